"""The graph that graph blocks read: nodes, undirected weighted edges, in CSR form.

A [`Graph`][skmm.preprocessing.Graph] is built once from an edge list (a
DataFrame), a ``networkx`` graph or a SciPy sparse adjacency, checked, and then
never changes. Copying it (``copy.copy``, ``copy.deepcopy``, and so
``sklearn.base.clone`` of a transformer holding it) returns the same object, so
a search that clones a pipeline a hundred times holds one graph.

This module depends on NumPy, pandas and SciPy only (``networkx`` is read when
given, never imported otherwise).
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["Graph", "NodeFeatures", "as_graph"]

#: Node indices are stored in float32 network inputs: a graph may hold at most this
#: many nodes (2**24, the largest range of exact integers in float32).
MAX_NODES = 2**24


def _id_kind(values):
    """``"int"`` or ``"str"``: what kind of ids ``values`` (an array) holds."""
    if values.dtype.kind in "iu" or values.dtype.kind == "b":
        return "int"
    if values.dtype.kind == "f":
        return "int"  # integral floats (checked by the caller) are integer ids
    if values.dtype.kind in "US":
        return "str"
    kinds = {type(v) for v in values}
    if kinds <= {str}:
        return "str"
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        return "int"
    names = sorted(t.__name__ for t in kinds)
    raise ValueError(
        f"node ids must be integers or strings (one kind); got values of types {names}"
    )


def normalized_ids(values, where):
    """``values`` as an int64 or unicode array of node ids, NaN / None refused.

    ``where`` names the values in messages (``"edges column 'source'"``).
    """
    values = np.asarray(values)
    if values.dtype == object:
        missing = pd.isna(values)
    elif values.dtype.kind == "f":
        missing = np.isnan(values)
    else:
        missing = np.zeros(len(values), dtype=bool)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"{where}: row {row} has a missing node id ({_plain(values[row])!r}); "
            f"{int(missing.sum())} row(s) are affected. Drop those edges first."
        )
    try:
        kind = _id_kind(values)
    except ValueError as error:
        raise ValueError(f"{where}: {error}.") from None
    if kind == "str":
        return values.astype(str)
    if values.dtype.kind == "f":
        fractional = values != np.round(values)
        if fractional.any():
            row = int(np.flatnonzero(fractional)[0])
            raise ValueError(
                f"{where}: row {row} holds the node id {_plain(values[row])!r}, which is not an "
                "integer; node ids must be integers or strings."
            )
    return values.astype(np.int64)


class Graph:
    """An undirected, weighted graph of node ids, read-only.

    Build one with [`from_edges`][skmm.preprocessing.Graph.from_edges],
    [`from_networkx`][skmm.preprocessing.Graph.from_networkx] or
    [`from_adjacency`][skmm.preprocessing.Graph.from_adjacency] (or let
    `as_graph` pick). Edges are undirected; self-loops are dropped and
    duplicate edges merged, their weights summed (a documented policy: a
    node's own features enter its representation anyway, and a repeated
    interaction is a stronger tie).

    A *bipartite* graph (users and items) keeps the two sides' ids apart:
    user ``7`` and item ``7`` are two nodes.

    Attributes
    ----------
    n_nodes : int
        Number of nodes (both sides).
    n_edges : int
        Number of undirected edges, after merging duplicates.
    bipartite : bool
        Whether the nodes are two sides (source and target ids apart).
    n_self_loops_dropped, n_duplicates_merged : int
        What the policies did when building it.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.preprocessing import Graph
    >>> edges = pd.DataFrame({"source": [1, 2, 2, 3], "target": [2, 3, 3, 3]})
    >>> graph = Graph.from_edges(edges)
    >>> graph.n_nodes, graph.n_edges, graph.n_duplicates_merged, graph.n_self_loops_dropped
    (3, 2, 1, 1)
    >>> graph.degree(graph.lookup([2])).tolist()
    [2]
    """

    def __init__(
        self, ids, adjacency, *, bipartite=False, n_self_loops_dropped=0, n_duplicates_merged=0
    ):
        self.ids = tuple(ids)
        adjacency = sp.csr_matrix(adjacency)
        self.indptr = adjacency.indptr.astype(np.int64)
        self.indices = adjacency.indices.astype(
            np.int32 if adjacency.shape[0] < 2**31 else np.int64
        )
        self.weights = adjacency.data.astype(np.float32)
        self.bipartite = bool(bipartite)
        self.n_self_loops_dropped = int(n_self_loops_dropped)
        self.n_duplicates_merged = int(n_duplicates_merged)
        self._lookups = None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_edges(cls, edges, *, source="source", target="target", weight=None, bipartite=False):
        """A graph from an edge list: a DataFrame with a source and a target column.

        Parameters
        ----------
        edges : pandas.DataFrame or polars.DataFrame
            One row per edge.
        source, target : str, default="source", "target"
            The columns of the two end nodes (integer or string ids).
        weight : str or None, default=None
            A column of positive, finite weights (None: every edge weighs 1).
        bipartite : bool, default=False
            Whether sources and targets are two kinds of nodes (users and
            items): ``source`` ids and ``target`` ids are then kept apart.

        Returns
        -------
        graph : Graph
        """
        from .._dataframes import as_pandas

        edges = as_pandas(edges, "Graph.from_edges")
        if not isinstance(edges, pd.DataFrame):
            raise TypeError(
                f"Graph.from_edges expects a DataFrame of edges; got {type(edges).__name__}."
            )
        for role, column in (("source", source), ("target", target), ("weight", weight)):
            if column is not None and column not in edges.columns:
                raise ValueError(
                    f"Graph.from_edges: the {role} column {column!r} is not in the edges "
                    f"(they have {list(edges.columns)})."
                )
        if len(edges) == 0:
            raise ValueError("Graph.from_edges: the edge list is empty; a graph needs edges.")
        left = normalized_ids(edges[source].to_numpy(), f"edges column {source!r}")
        right = normalized_ids(edges[target].to_numpy(), f"edges column {target!r}")
        if not bipartite and left.dtype.kind != right.dtype.kind:
            raise ValueError(
                f"Graph.from_edges: the source column {source!r} holds {_kind_name(left)} ids "
                f"and the target column {target!r} {_kind_name(right)} ids; the ids of one "
                "graph must be of one kind (or pass bipartite=True for two kinds of nodes)."
            )
        weights = None
        if weight is not None:
            weights = _checked_weights(edges[weight].to_numpy(), f"edges column {weight!r}")
        return cls._from_id_pairs(left, right, weights, bipartite=bipartite)

    @classmethod
    def from_networkx(cls, graph, *, weight="weight"):
        """A graph from a ``networkx`` graph (directed graphs are made undirected).

        ``weight`` is the edge attribute read as the weight (edges without it
        weigh 1). A graph with a node attribute ``bipartite`` of 0 / 1 on every
        node is read as bipartite.
        """
        nodes = list(graph.nodes)
        if not nodes:
            raise ValueError("Graph.from_networkx: the graph has no nodes.")
        rows = list(graph.edges(data=True))
        if not rows:
            raise ValueError("Graph.from_networkx: the graph has no edges.")
        left = [u for u, _, _ in rows]
        right = [v for _, v, _ in rows]
        weights = _checked_weights(
            np.asarray([data.get(weight, 1.0) for _, _, data in rows], dtype=float),
            f"networkx edge attribute {weight!r}",
        )
        sides = {graph.nodes[n].get("bipartite") for n in nodes}
        if sides == {0, 1}:
            side_of = {n: graph.nodes[n]["bipartite"] for n in nodes}
            pairs = [
                (u, v) if side_of[u] == 0 else (v, u) for u, v in zip(left, right, strict=True)
            ]
            left, right = [p[0] for p in pairs], [p[1] for p in pairs]
            return cls._from_id_pairs(
                normalized_ids(np.asarray(left, dtype=object), "networkx side-0 nodes"),
                normalized_ids(np.asarray(right, dtype=object), "networkx side-1 nodes"),
                weights,
                bipartite=True,
            )
        ids = np.asarray(left + right, dtype=object)
        ids = normalized_ids(ids, "networkx nodes")
        isolated = np.asarray(nodes, dtype=object)
        return cls._from_id_pairs(ids[: len(left)], ids[len(left) :], weights, extra_ids=isolated)

    @classmethod
    def from_adjacency(cls, adjacency, nodes=None):
        """A graph from a square SciPy sparse (or dense) adjacency matrix.

        ``nodes`` gives the id of each row (default: ``0 .. n - 1``). The
        matrix is symmetrized (``A + A.T`` where it is not symmetric); the
        diagonal is dropped.
        """
        matrix = sp.coo_matrix(adjacency)
        if matrix.shape[0] != matrix.shape[1]:
            raise ValueError(
                f"Graph.from_adjacency: the adjacency must be square; got {matrix.shape}."
            )
        ids = (
            np.arange(matrix.shape[0], dtype=np.int64)
            if nodes is None
            else normalized_ids(np.asarray(nodes), "Graph.from_adjacency nodes")
        )
        if len(ids) != matrix.shape[0]:
            raise ValueError(
                f"Graph.from_adjacency: {len(ids)} node ids for a {matrix.shape[0]}-node matrix."
            )
        if len(pd.unique(ids)) != len(ids):
            raise ValueError("Graph.from_adjacency: the node ids repeat.")
        keep = matrix.data != 0
        weights = _checked_weights(matrix.data[keep], "Graph.from_adjacency values")
        return cls._from_id_pairs(
            ids[matrix.row[keep]], ids[matrix.col[keep]], weights, extra_ids=ids
        )

    @classmethod
    def _from_id_pairs(cls, left, right, weights, *, bipartite=False, extra_ids=None):
        if bipartite:
            left_ids, left_codes = _factorized(left)
            right_ids, right_codes = _factorized(right)
            ids = (left_ids, right_ids)
            right_codes = right_codes + len(left_ids)
        else:
            both = np.concatenate([left, right])
            if extra_ids is not None and len(extra_ids):
                extra = normalized_ids(extra_ids, "graph nodes")
                if extra.dtype.kind != both.dtype.kind:
                    extra = extra.astype(both.dtype)
                both = np.concatenate([both, extra])
            all_ids, codes = _factorized(both)
            ids = (all_ids,)
            left_codes, right_codes = codes[: len(left)], codes[len(left) : 2 * len(left)]
        n_nodes = sum(len(side) for side in ids)
        if n_nodes > MAX_NODES:
            raise ValueError(
                f"The graph has {n_nodes} nodes; skmm's graph blocks hold at most {MAX_NODES}."
            )
        loops = left_codes == right_codes
        n_loops = int(loops.sum())
        if n_loops:
            left_codes, right_codes = left_codes[~loops], right_codes[~loops]
            if weights is not None:
                weights = weights[~loops]
        if len(left_codes) == 0:
            raise ValueError("The graph has no edges once self-loops are dropped.")
        data = (
            np.ones(len(left_codes), dtype=np.float32)
            if weights is None
            else weights.astype(np.float32)
        )
        low = np.minimum(left_codes, right_codes)
        high = np.maximum(left_codes, right_codes)
        upper = sp.coo_matrix((data, (low, high)), shape=(n_nodes, n_nodes)).tocsr()
        upper.sum_duplicates()
        n_duplicates = len(low) - upper.nnz
        adjacency = (upper + upper.T).tocsr()
        adjacency.sort_indices()
        return cls(
            ids,
            adjacency,
            bipartite=bipartite,
            n_self_loops_dropped=n_loops,
            n_duplicates_merged=n_duplicates,
        )

    # -- read-only, one copy ----------------------------------------------------------------

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_lookups"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lookups = None

    def __repr__(self):
        kind = "bipartite " if self.bipartite else ""
        return f"Graph({kind}{self.n_nodes} nodes, {self.n_edges} edges)"

    # -- queries -------------------------------------------------------------------------

    @property
    def n_nodes(self):
        return len(self.indptr) - 1

    @property
    def n_edges(self):
        return len(self.indices) // 2

    @property
    def n_sides(self):
        return len(self.ids)

    def side_offset(self, side):
        """The index of the first node of ``side`` (0 or 1)."""
        return sum(len(ids) for ids in self.ids[:side])

    def id_kind(self, side=0):
        """``"int"`` or ``"str"``: the kind of the ids of ``side``."""
        return _kind_name(self.ids[side])

    def lookup(self, ids, side=0):
        """Node indices of ``ids`` (an array of ids of ``side``); -1 where not a node."""
        if self._lookups is None:
            self._lookups = [pd.Index(side_ids) for side_ids in self.ids]
        found = self._lookups[side].get_indexer(np.asarray(ids))
        return np.where(found >= 0, found + self.side_offset(side), -1).astype(np.int64)

    def degree(self, nodes=None):
        """Number of neighbours of ``nodes`` (node indices; all nodes by default)."""
        degrees = np.diff(self.indptr)
        return degrees if nodes is None else degrees[np.asarray(nodes)]

    def weighted_degree(self):
        """Sum of the weights of each node's edges."""
        return np.add.reduceat(
            np.append(self.weights, 0.0).astype(np.float64), self.indptr[:-1]
        ) * (np.diff(self.indptr) > 0)

    def adjacency(self):
        """The symmetric weighted adjacency as a SciPy CSR matrix (a view of the arrays)."""
        return sp.csr_matrix(
            (self.weights, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes)
        )

    def within_hops(self, nodes, hops):
        """Boolean mask of the nodes at most ``hops`` edges from ``nodes``."""
        reached = np.zeros(self.n_nodes, dtype=bool)
        reached[nodes[nodes >= 0]] = True
        frontier = reached.copy()
        pattern = self.adjacency()
        for _ in range(hops):
            frontier = (pattern @ frontier.astype(np.float32)) > 0
            frontier &= ~reached
            if not frontier.any():
                break
            reached |= frontier
        return reached


def _plain(value):
    """A NumPy scalar as the Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _kind_name(ids):
    return "str" if np.asarray(ids).dtype.kind in "US" else "int"


def _factorized(values):
    codes, uniques = pd.factorize(values, sort=True)
    uniques = np.asarray(uniques)
    uniques = uniques.astype(str) if uniques.dtype == object else uniques
    return uniques, codes.astype(np.int32 if len(uniques) < 2**31 else np.int64, copy=False)


def _checked_weights(values, where):
    try:
        weights = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: edge weights must be numbers.") from None
    bad = ~np.isfinite(weights) | (weights <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: row {row} has the weight {float(weights[row])!r}; edge weights must be "
            f"finite and > 0 ({int(bad.sum())} row(s) are affected)."
        )
    return weights


def as_graph(graph, *, source="source", target="target", weight=None, where="graph"):
    """``graph`` as a [`Graph`][skmm.preprocessing.Graph]: a Graph itself, a DataFrame of
    edges, a ``networkx`` graph or a SciPy sparse / dense square adjacency."""
    if isinstance(graph, Graph):
        return graph
    if hasattr(graph, "columns"):
        return Graph.from_edges(graph, source=source, target=target, weight=weight)
    if hasattr(graph, "adj") and hasattr(graph, "nodes"):
        return Graph.from_networkx(graph, weight=weight or "weight")
    if sp.issparse(graph) or (isinstance(graph, np.ndarray) and graph.ndim == 2):
        return Graph.from_adjacency(graph)
    raise TypeError(
        f"{where}: expected a skmm.preprocessing.Graph, a DataFrame of edges, a networkx graph "
        f"or a square sparse adjacency matrix; got {type(graph).__name__}."
    )


class NodeFeatures:
    """A read-only table of numeric features per node id (what ``node_features`` holds
    once saved: a DataFrame is stored as one of these, same content).

    Like [`Graph`][skmm.preprocessing.Graph], copying returns the same object, so
    clones share one table.

    Parameters
    ----------
    ids : array-like of int or str
        The node ids, one per row.
    values : array-like of shape (n_nodes, n_features)
        The features.
    columns : array-like of str
        The feature names.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.preprocessing import NodeFeatures
    >>> table = NodeFeatures.from_frame(pd.DataFrame({"age": [31, 45]}, index=[7, 9]))
    >>> table.to_frame()
       age
    7   31
    9   45
    """

    def __init__(self, ids, values, columns):
        self.ids = np.asarray(ids)
        self.values = np.asarray(values)
        self.columns = np.asarray([str(c) for c in columns])

    @classmethod
    def from_frame(cls, frame):
        """The table of a DataFrame indexed by node id."""
        return cls(frame.index.to_numpy(), frame.to_numpy(), frame.columns)

    def to_frame(self):
        """The table as a DataFrame indexed by node id."""
        return pd.DataFrame(self.values, index=self.ids, columns=self.columns)

    @property
    def shape(self):
        return self.values.shape

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self):
        return f"NodeFeatures({len(self.ids)} nodes, {len(self.columns)} features)"
