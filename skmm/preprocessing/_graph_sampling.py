"""GraphSAGE-style neighbour sampling, vectorized and reproducible.

Each candidate edge gets a random key from a hash of ``(seed, node, edge
position)``, and a node keeps its ``k`` edges of largest key. The same seed
gives a node the same neighbours whatever batch it is in (prediction is
deterministic); a new seed gives new ones (re-sampling at every training
batch).

- ``"uniform"``: keys uniform in (0, 1): ``k`` neighbours without replacement.
- ``"weighted"``: Efraimidis–Spirakis keys ``log(u) / w``: ``k`` neighbours
  without replacement, each drawn with probability proportional to its weight.
- ``"top"``: the ``k`` heaviest edges (ties broken by the hash).

A node of more than `MAX_CANDIDATES_PER_SLOT` x ``k`` edges first draws that
many candidate edges uniformly (with replacement), so that a hub costs as much
as any node; weighted sampling then picks among those candidates.
"""

from __future__ import annotations

import numpy as np

SAMPLINGS = ("weighted", "uniform", "top")

#: A node keeps at most this many candidate edges per neighbour slot.
MAX_CANDIDATES_PER_SLOT = 16

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x):
    """splitmix64's finalizer on a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def uniform_hash(seed, *keys):
    """Floats in (0, 1), one per element of the broadcast ``keys`` (integer arrays)."""
    with np.errstate(over="ignore"):
        x = _mix(np.uint64(seed % 2**64) + _GOLDEN)
        for key in keys:
            x = _mix(x ^ (np.asarray(key).astype(np.uint64) + _GOLDEN))
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def sample_neighbors(graph, nodes, k, *, seed, sampling="weighted", exclude=None):
    """Up to ``k`` neighbours of each of ``nodes``.

    Parameters
    ----------
    graph : Graph
    nodes : ndarray of int64, shape (m,)
        Node indices; -1 for no node (no neighbours).
    k : int
        Neighbours per node.
    seed : int
        The draw: the same seed gives the same neighbours.
    sampling : {"weighted", "uniform", "top"}
    exclude : ndarray of int64 of shape (m,) or None
        A node that must not be sampled as the neighbour of the node in the
        same position (the other end of a row's own edge); -1 for none.

    Returns
    -------
    neighbors : ndarray of int64, shape (m, k)
        Node indices, -1 in the slots left empty (fewer than ``k``
        neighbours).
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    m = len(nodes)
    out = np.full((m, k), -1, dtype=np.int64)
    valid = nodes >= 0
    starts = np.zeros(m, dtype=np.int64)
    degrees = np.zeros(m, dtype=np.int64)
    starts[valid] = graph.indptr[nodes[valid]]
    degrees[valid] = graph.indptr[nodes[valid] + 1] - starts[valid]
    cap = MAX_CANDIDATES_PER_SLOT * k
    counts = np.minimum(degrees, cap)
    total = int(counts.sum())
    if total == 0:
        return out
    owner = np.repeat(np.arange(m), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    hub = degrees[owner] > cap
    if hub.any():  # a hub's candidates: `cap` uniform draws among its edges
        draw = uniform_hash(seed + 1, nodes[owner[hub]], offsets[hub])
        offsets[hub] = np.minimum(
            (draw * degrees[owner[hub]]).astype(np.int64), degrees[owner[hub]] - 1
        )
    positions = starts[owner] + offsets
    neighbors = graph.indices[positions].astype(np.int64)
    keep = np.ones(total, dtype=bool)
    if exclude is not None:
        keep &= neighbors != np.asarray(exclude, dtype=np.int64)[owner]
    if hub.any():  # a candidate drawn twice counts once
        pairs = owner.astype(np.int64) * (graph.n_nodes + 1) + neighbors
        _, first = np.unique(pairs, return_index=True)
        once = np.zeros(total, dtype=bool)
        once[first] = True
        keep &= once
    owner, positions, neighbors = owner[keep], positions[keep], neighbors[keep]
    if len(owner) == 0:
        return out
    u = uniform_hash(seed, nodes[owner], positions)
    weights = graph.weights[positions].astype(np.float64)
    if sampling == "uniform":
        key = u
    elif sampling == "weighted":
        key = np.log(u) / weights
    elif sampling == "top":
        key = weights + 1e-9 * u * np.maximum(weights, 1.0)
    else:
        raise ValueError(f"sampling must be one of {SAMPLINGS}; got {sampling!r}.")
    order = np.lexsort((-key, owner))
    owner, neighbors = owner[order], neighbors[order]
    group_start = np.searchsorted(owner, owner, side="left")
    rank = np.arange(len(owner)) - group_start
    chosen = rank < k
    out[owner[chosen], rank[chosen]] = neighbors[chosen]
    return out
