"""Seeds of a network's layers drawn from the fit's own stream, not a shared one.

Keras gives every initializer and dropout layer created without a seed one
drawn from Python's global ``random`` module (``make_default_seed``). skmm
seeds that module at the start of a seeded fit, so building the network draws
the same seeds every time, as long as no other thread draws from the module
meanwhile. In a Dask worker the event loop does (heartbeat jitter, retry
back-off) while the task builds its network, and the network then starts from
other weights now and then: a grid search on a cluster no longer matches the
sequential one. While skmm builds a network in a seeded fit, the layer seeds of
that thread therefore come from a private stream seeded like the global one;
other threads, and unseeded fits, keep drawing from the global module.

``skmm._compat.keras_default_seed_stream`` replaces ``random`` inside Keras'
``keras.src.random.seed_generator`` by a stand-in that forwards to the global
module except in a thread that is building a network here; Keras 3.15 offers
no public way to choose where default seeds come from.
"""

from __future__ import annotations

import random
from contextlib import contextmanager

from .._compat import get_backend_seed_state, keras_default_seed_stream


@contextmanager
def private_layer_seeds():
    """Draw the layer seeds of the body from this thread's fit seed, undisturbed.

    Inside a seeded fit (skmm's ``seeded``, which records the fit's seed in
    Keras' per-thread state), the seeds Keras draws for layers created in the
    body come from ``random.Random(seed)``: the very values the global module
    gives right after ``random.seed(seed)`` when no other thread draws from
    it. Afterwards the global module continues from where the private stream
    stopped, as if the draws had been made there. Outside a seeded fit nothing
    changes.
    """
    seed = get_backend_seed_state()[1]["global_random_seed"]
    if seed is None:
        yield
        return
    proxy = keras_default_seed_stream()
    stream = random.Random(seed)
    proxy.local.stream = stream
    try:
        yield
    finally:
        proxy.local.stream = None
        random.setstate(stream.getstate())
