"""Memory of dropped networks, handed back every few builds.

A Keras network sits in reference cycles (its layers, nodes and traced
functions refer to each other), so dropping a fitted estimator does not free
its network: Python's cyclic garbage collector does, but its full
collections come rarely in a process that holds as many long-lived objects
as one that has imported TensorFlow, while every dropped network holds
megabytes of native memory (weights, optimizer slots, traced graphs). A loop
of fits (a search, a notebook that refits) then grows by several MiB per fit
until a full collection happens to run.

skmm therefore runs a full collection before every ``COLLECT_EVERY``-th
network it builds in a process (`collect_dropped_networks`): at most
that many dropped networks wait to be freed, so memory stays flat over any
number of fits, and the collection (a few hundred milliseconds in such a
process) costs a few tens of milliseconds per fit. ``benchmarks/
memory_over_fits.py`` measures it.
"""

from __future__ import annotations

import gc
import itertools

#: A full garbage collection runs before every this-many-th network built.
COLLECT_EVERY = 8

_BUILDS = itertools.count(1)


def collect_dropped_networks():
    """Count one network build; before every ``COLLECT_EVERY``-th, run ``gc.collect()``.

    Returns
    -------
    collected : bool
        Whether this call ran a collection.
    """
    if next(_BUILDS) % COLLECT_EVERY:
        return False
    gc.collect()
    return True
