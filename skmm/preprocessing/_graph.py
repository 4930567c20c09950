"""``GraphNeighborhood``: the rows' nodes and a sample of their neighbours, as a graph block.

The block's rows are ``(n_roots, n_slots, 1 + n_node_features)`` float32:
for each node column of the row (one, or two for a pair such as user and
item), slot 0 is the row's node, the next ``k1`` slots its sampled
neighbours, and with two hops the next ``k1 * k2`` slots the neighbours of
each of those (``k2`` per first-hop neighbour, in order). Channel 0 holds the
node's embedding index (0: empty slot, 1: the *unknown* node, 2 and up: a
node known at fit), the other channels the node's standardized features from
``node_features`` (zeros without them).

Only graph structure and node features go in; the labels never do.
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._compat import StrOptions
from .._constraints import Predicate
from .._dataframes import as_pandas
from ._graph_data import Graph, NodeFeatures, as_graph, normalized_ids
from ._graph_sampling import SAMPLINGS, sample_neighbors

__all__ = ["GraphNeighborhood", "LazyNeighborhoods", "NodeColumns"]

#: Embedding index of an empty slot (no node) and of a node not known at fit.
PADDING_INDEX, UNKNOWN_INDEX = 0, 1

#: Rows per chunk when a whole block is sampled at once.
CHUNK_ROWS = 2048


def _is_hops(value):
    return (
        isinstance(value, list | tuple)
        and len(value) in (1, 2)
        and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in value
        )
    )


def _is_graph(value):
    return (
        value is None
        or isinstance(value, Graph)
        or hasattr(value, "columns")
        or (hasattr(value, "adj") and hasattr(value, "nodes"))
        or hasattr(value, "tocsr")
        or (isinstance(value, np.ndarray) and value.ndim == 2)
    )


def _is_table(value):
    return value is None or hasattr(value, "columns")


def _is_features(value):
    if _is_table(value):
        return True
    return isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_table, value))


def _as_saved_table(table):
    """A node-feature table as saved: a ``NodeFeatures`` (a DataFrame converted)."""
    if table is None or isinstance(table, NodeFeatures):
        return table
    return NodeFeatures.from_frame(as_pandas(table, "node_features"))


#: The constraints of the parameters every graph transformer has (``NodeColumns``).
GRAPH_INPUT_CONSTRAINTS = {
    "graph": [
        Predicate(
            _is_graph,
            "a Graph, a DataFrame of edges, a networkx graph, a square sparse adjacency or None",
        )
    ],
    "source": [str],
    "target": [str],
    "weight": [None, str],
    "bipartite": ["boolean"],
    "missing": [StrOptions({"zeros", "error"})],
    "random_state": ["random_state"],
}


def slot_count(n_neighbors):
    """Slots per root: the root, its ``k1`` neighbours and their ``k1 * k2``."""
    total, width = 1, 1
    for k in n_neighbors:
        width *= int(k)
        total += width
    return total


class NodeColumns:
    """What the graph transformers share: reading one or two columns of node ids, the
    graph of ``graph`` or of the rows, and the rows' node indices."""

    def _fit_graph(self, frame, ids, missing):
        """The graph of ``graph``, or of the rows' node pairs with ``graph=None``."""
        name = type(self).__name__
        if self.graph is None:
            if frame.shape[1] != 2:
                raise ValueError(
                    f"{name}: with graph=None the edges are the rows' node pairs, so X needs "
                    f"two node columns; got {frame.shape[1]} ({list(frame.columns)}). Pass "
                    "graph= for a graph of its own."
                )
            both = ~(missing[0] | missing[1])
            if not both.any():
                raise ValueError(f"{name}: no row of X has both node ids; no edge.")
            return Graph._from_id_pairs(ids[0][both], ids[1][both], None, bipartite=self.bipartite)
        return as_graph(
            self.graph,
            source=self.source,
            target=self.target,
            weight=self.weight,
            where=f"{name} graph",
        )

    def __getstate__(self):
        """Saved (and pickled) state: a ``graph`` given as a DataFrame, a networkx graph
        or a matrix is stored as the equivalent ``Graph``, node-feature DataFrames as
        ``NodeFeatures`` (scikit-learn-safe files hold no DataFrame)."""
        state = dict(super().__getstate__())
        if state.get("graph") is not None and not isinstance(state["graph"], Graph):
            state["graph"] = state.get("graph_") or self._fit_graph(None, None, None)
        if state.get("node_features") is not None:
            tables = state["node_features"]
            state["node_features"] = (
                tuple(map(_as_saved_table, tables))
                if isinstance(tables, list | tuple)
                else _as_saved_table(tables)
            )
        return state

    def _frame(self, X, reset):
        frame = as_pandas(X, type(self).__name__)
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        elif not isinstance(frame, pd.DataFrame):
            array = np.asarray(frame, dtype=object)
            if array.ndim == 1:
                array = array.reshape(-1, 1)
            if array.ndim != 2:
                raise ValueError(
                    f"{type(self).__name__} expects one or two columns of node ids; got an "
                    f"array of shape {array.shape}."
                )
            frame = pd.DataFrame(array)
        if frame.shape[1] not in (1, 2):
            raise ValueError(
                f"{type(self).__name__} expects one or two columns of node ids; got "
                f"{frame.shape[1]} ({list(frame.columns)})."
            )
        if len(frame) == 0:
            raise ValueError(f"{type(self).__name__}: got 0 rows. Expected at least one row.")
        names = [str(c) for c in frame.columns]
        if reset:
            self.n_features_in_ = frame.shape[1]
            if all(isinstance(c, str) for c in frame.columns):
                self.feature_names_in_ = np.asarray(names, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} node columns, but {type(self).__name__} was fitted on "
                f"{self.n_features_in_}."
            )
        return frame

    def _side(self, column, graph):
        return column if graph is not None and graph.bipartite else 0

    def _column_ids(self, frame):
        """Per column: the ids (int64 or str; a placeholder where missing) and the
        missing mask."""
        ids, missing = [], []
        for column in frame.columns:
            values = frame[column].to_numpy()
            absent = np.asarray(pd.isna(values), dtype=bool)
            if absent.any() and self.missing == "error":
                row = int(np.flatnonzero(absent)[0])
                raise ValueError(
                    f"{type(self).__name__}: column {column!r}, row {row} (index "
                    f"{frame.index[row]!r}) has no node id; missing='error'. Pass "
                    "missing='zeros' for an empty neighbourhood and a presence mask."
                )
            present = values[~absent]
            if values.dtype.kind == "f":
                present = present.astype(np.float64)
            clean = normalized_ids(present, f"{type(self).__name__}: column {column!r}")
            filled = np.empty(len(values), dtype=clean.dtype)
            filled[~absent] = clean
            if absent.any():
                filled[absent] = "" if clean.dtype.kind == "U" else -1
            ids.append(filled)
            missing.append(absent)
        return ids, missing

    def _check_kinds(self, frame, ids, missing):
        graph = self.graph_
        for position, column in enumerate(frame.columns):
            if missing[position].all():
                continue
            side = self._side(position, graph)
            expected = graph.id_kind(side)
            got = "str" if ids[position].dtype.kind == "U" else "int"
            if got != expected:
                raise ValueError(
                    f"{type(self).__name__}: column {column!r} holds {got} node ids, but the "
                    f"graph's nodes{' (side ' + str(side) + ')' if graph.bipartite else ''} are "
                    f"{expected} ids; convert the column (or the graph) so that they match."
                )

    def _roots(self, ids, missing):
        """Node indices, shape (n, n_roots): -1 not in the graph, -2 missing."""
        roots = np.empty((len(ids[0]), len(ids)), dtype=np.int64)
        for position, column_ids in enumerate(ids):
            side = self._side(position, self.graph_)
            if self.graph_.id_kind(side) == ("str" if column_ids.dtype.kind == "U" else "int"):
                roots[:, position] = self.graph_.lookup(column_ids, side)
            else:
                roots[:, position] = -1
            roots[missing[position], position] = -2
        return roots


class GraphNeighborhood(NodeColumns, TransformerMixin, BaseEstimator):
    """The rows' graph nodes and a fixed-size sample of their neighbourhood (a graph block).

    Each row names one node (one column: a user) or two (two columns: a user
    and an item, a citing and a cited paper). For each, the transformer samples
    up to ``n_neighbors[0]`` neighbours, and with two hops up to
    ``n_neighbors[1]`` neighbours of each of those (GraphSAGE), and emits their
    embedding indices and features. The network embeds the nodes and
    aggregates the neighbourhood (``graph_encoder``: mean, max or attention).

    **Leak-free.** Only graph structure and node features flow through the
    block; ``y`` is never read. With ``graph=None`` the graph is made of the
    pairs of the rows seen at fit — inside a pipeline or a cross-validation,
    the training rows alone, so a test row's own edge (and its rating) is
    never in the graph. A row's own edge is also left out of its
    neighbourhood (``exclude_row_edge``), at fit as at prediction.

    **Inductive.** Nodes within ``len(n_neighbors)`` hops of the nodes of the
    fit rows get an embedding of their own. Any other node of the graph (one
    only a larger graph given later holds) gets the shared *unknown*
    embedding, plus its features and the representation of its known
    neighbours; a node the graph does not hold at all is an isolated unknown
    node: the unknown embedding and its features, no neighbours.

    Parameters
    ----------
    graph : Graph, DataFrame, networkx graph, sparse matrix or None, default=None
        The graph: a [`Graph`][skmm.preprocessing.Graph] (kept as is: clones
        share it), a DataFrame of edges (see ``source``, ``target``,
        ``weight``), a ``networkx`` graph or a square sparse adjacency whose
        row ``i`` is node ``i``. None: the edges are the rows seen at fit
        (two node columns needed).
    source, target : str, default="source", "target"
        The columns of a DataFrame ``graph``.
    weight : str or None, default=None
        A column of positive edge weights of a DataFrame ``graph``.
    bipartite : bool, default=True
        With ``graph=None``: whether the two columns are two kinds of nodes
        (users and items, whose ids are apart). A bipartite ``Graph`` maps the
        first column to its source side, the second to its target side.
    n_neighbors : tuple of 1 or 2 ints, default=(10,)
        Neighbours sampled per node at each hop: ``(k1,)`` for one hop,
        ``(k1, k2)`` for two. One hop is the default: on the stochastic block
        model of the tests and on MovieLens-100k it predicted as well or better
        than two, at a quarter of the cost (``docs/graph.md``).
    sampling : {"weighted", "uniform", "top"}, default="weighted"
        How neighbours are drawn: in proportion to the edge weights, uniformly,
        or the heaviest edges.
    node_features : DataFrame, pair of DataFrames or None, default=None
        Numeric features per node, indexed by node id (for a bipartite graph, a
        ``(source_side, target_side)`` pair, either None). Standardized with
        the table's own mean and deviation; a node without a row gets zeros
        (the mean). Features, not labels: a table may hold nodes of later rows.
    exclude_row_edge : bool, default=True
        With two node columns, leave the edge between a row's two nodes out of
        their neighbourhoods (at fit and at prediction alike), so that a
        training row does not see itself.
    resample : bool, default=False
        Draw new neighbours at every training batch (``fit_transform`` then
        returns a lazy block, sampled batch by batch). Prediction (``transform``)
        always samples deterministically.
    missing : {"zeros", "error"}, default="zeros"
        A missing node id (None, NaN): an empty neighbourhood and a presence
        mask of 0 (``"zeros"``), or a ``ValueError`` naming the row.
    random_state : int, RandomState instance or None, default=None
        Seeds the neighbour draws.

    Attributes
    ----------
    graph_ : Graph
        The graph (``graph`` itself when it is a ``Graph``).
    embedding_index_ : ndarray of int32 of shape (graph_.n_nodes,)
        Each node's embedding index (1 for nodes not known at fit).
    n_embeddings_ : int
        Size of the node embedding table (padding and unknown included).
    n_node_features_ : int
        Feature channels per node.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.preprocessing import GraphNeighborhood
    >>> ratings = pd.DataFrame({"user": [1, 1, 2, 3], "item": ["a", "b", "b", "c"]})
    >>> block = GraphNeighborhood(n_neighbors=(2,), random_state=0).fit_transform(ratings)
    >>> block.shape  # 4 rows, 2 roots (user, item), 1 + 2 slots, 1 channel
    (4, 2, 3, 1)
    """

    _parameter_constraints = {
        **GRAPH_INPUT_CONSTRAINTS,
        "n_neighbors": [Predicate(_is_hops, "a tuple of 1 or 2 ints >= 1")],
        "sampling": [StrOptions(set(SAMPLINGS))],
        "node_features": [
            Predicate(_is_features, "a DataFrame indexed by node id, a pair of them or None")
        ],
        "exclude_row_edge": ["boolean"],
        "resample": ["boolean"],
    }

    def __init__(
        self,
        graph=None,
        *,
        source="source",
        target="target",
        weight=None,
        bipartite=True,
        n_neighbors=(10,),
        sampling="weighted",
        node_features=None,
        exclude_row_edge=True,
        resample=False,
        missing="zeros",
        random_state=None,
    ):
        self.graph = graph
        self.source = source
        self.target = target
        self.weight = weight
        self.bipartite = bipartite
        self.n_neighbors = n_neighbors
        self.sampling = sampling
        self.node_features = node_features
        self.exclude_row_edge = exclude_row_edge
        self.resample = resample
        self.missing = missing
        self.random_state = random_state

    # -- fit ---------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Read the graph, the node features and the nodes known at fit.

        Parameters
        ----------
        X : DataFrame, Series or array-like of shape (n_samples,) or (n_samples, 1 or 2)
            The rows' node ids (one or two columns).
        y : None
            Ignored: labels never enter a graph block.

        Returns
        -------
        self : GraphNeighborhood
        """
        self._fit_state(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then the block of ``X`` (lazy and re-sampled per batch with
        ``resample=True``)."""
        roots, exclude, ids = self._fit_state(X)
        sampler = self._sampler()
        if self.resample:
            return LazyNeighborhoods(sampler, roots, exclude, ids, resample=True)
        return sampler.block(roots, exclude, seed=sampler.seed, ids=ids)

    def _fit_state(self, X):
        self._validate_params()
        frame = self._frame(X, reset=True)
        ids, missing = self._column_ids(frame)
        graph = self._fit_graph(frame, ids, missing)
        self.graph_ = graph
        self._check_kinds(frame, ids, missing)
        roots = self._roots(ids, missing)
        known = graph.within_hops(roots.reshape(-1), len(self.n_neighbors))
        index = np.full(graph.n_nodes, UNKNOWN_INDEX, dtype=np.int32)
        index[known] = 2 + np.arange(int(known.sum()), dtype=np.int32)
        self.embedding_index_ = index
        self.n_embeddings_ = 2 + int(known.sum())
        self._fit_node_features()
        self.seed_ = int(check_random_state(self.random_state).randint(2**31 - 1))
        return roots, self._exclude(roots), ids

    # -- transform ---------------------------------------------------------------------

    def transform(self, X):
        """The graph block of ``X``: ``(n_samples, n_roots, n_slots, 1 + n_node_features)``
        float32, sampled deterministically."""
        check_is_fitted(self, "graph_")
        frame = self._frame(X, reset=False)
        ids, missing = self._column_ids(frame)
        self._check_kinds(frame, ids, missing)
        roots = self._roots(ids, missing)
        sampler = self._sampler()
        return sampler.block(roots, self._exclude(roots), seed=sampler.seed, ids=ids)

    def get_block_info(self):
        """The block's kind and what its encoder needs."""
        check_is_fitted(self, "graph_")
        return {
            "kind": "graph",
            "n_embeddings": self.n_embeddings_,
            "n_neighbors": tuple(int(k) for k in self.n_neighbors),
        }

    # -- helpers -----------------------------------------------------------------------

    def _exclude(self, roots):
        if roots.shape[1] != 2 or not self.exclude_row_edge:
            return None
        return roots[:, ::-1].copy()

    def _fit_node_features(self):
        graph = self.graph_
        tables = self.node_features
        if tables is None:
            tables = (None,) * graph.n_sides
        elif not isinstance(tables, list | tuple):
            tables = (tables,) + (None,) * (graph.n_sides - 1)
        elif len(tables) != graph.n_sides:
            raise ValueError(
                f"GraphNeighborhood: node_features is a pair, but the graph has "
                f"{graph.n_sides} side(s); pass one DataFrame for a graph that is not bipartite."
            )
        matrices, ids, names = [], [], []
        for side, table in enumerate(tables):
            if table is None:
                matrices.append(np.zeros((0, 0), dtype=np.float32))
                ids.append(graph.ids[side][:0])
                continue
            matrix, table_ids, columns = _feature_table(table, side, graph)
            matrices.append(matrix)
            ids.append(table_ids)
            names.extend(columns)
        widths = [m.shape[1] for m in matrices]
        self.n_node_features_ = int(sum(widths))
        self.node_feature_names_ = np.asarray(names, dtype=object)
        offsets = np.cumsum([0, *widths])
        aligned = np.zeros((graph.n_nodes + 1, self.n_node_features_), dtype=np.float32)
        tables = []
        for side, (matrix, table_ids) in enumerate(zip(matrices, ids, strict=True)):
            columns = slice(offsets[side], offsets[side + 1])
            wide = np.zeros((len(matrix), self.n_node_features_), dtype=np.float32)
            wide[:, columns] = matrix
            tables.append(wide)
            if len(matrix):
                rows = pd.Index(table_ids).get_indexer(graph.ids[side])
                start = graph.side_offset(side)
                nodes = start + np.flatnonzero(rows >= 0)
                aligned[nodes, columns] = matrix[rows[rows >= 0]]
        self.node_feature_block_ = aligned
        self.node_feature_ids_ = tuple(ids)
        self.node_feature_tables_ = tuple(tables)

    def _sampler(self):
        return NeighborhoodSampler(
            graph=self.graph_,
            embedding_index=self.embedding_index_,
            node_feature_block=self.node_feature_block_,
            feature_ids=self.node_feature_ids_,
            feature_tables=self.node_feature_tables_,
            side_of_column=[self._side(c, self.graph_) for c in range(self.n_features_in_)],
            n_neighbors=tuple(int(k) for k in self.n_neighbors),
            sampling=self.sampling,
            seed=self.seed_,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.requires_fit = True
        return tags


def _feature_table(table, side, graph):
    if isinstance(table, NodeFeatures):
        table = table.to_frame()
    table = as_pandas(table, "GraphNeighborhood node_features")
    if table.shape[1] == 0:
        raise ValueError("GraphNeighborhood: a node_features table has no columns.")
    for column in table.columns:
        if not (
            pd.api.types.is_numeric_dtype(table[column])
            or pd.api.types.is_bool_dtype(table[column])
        ):
            raise ValueError(
                f"GraphNeighborhood: node_features column {column!r} is not numeric "
                f"({table[column].dtype}); encode it first (one-hot, or text through "
                "TfidfVectorizer + TruncatedSVD)."
            )
    values = table.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise ValueError(
            f"GraphNeighborhood: node_features column {table.columns[col]!r} is NaN or infinite "
            f"for node {table.index[row]!r}; impute it first."
        )
    table_ids = normalized_ids(table.index.to_numpy(), "GraphNeighborhood node_features index")
    if len(pd.unique(table_ids)) != len(table_ids):
        raise ValueError("GraphNeighborhood: the node_features index repeats node ids.")
    expected = graph.id_kind(side)
    got = "str" if table_ids.dtype.kind == "U" else "int"
    if got != expected:
        raise ValueError(
            f"GraphNeighborhood: node_features is indexed by {got} ids, but the graph's nodes "
            f"are {expected} ids."
        )
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale == 0] = 1.0
    matrix = ((values - mean) / scale).astype(np.float32)
    return matrix, table_ids, [str(c) for c in table.columns]


class NeighborhoodSampler:
    """The fitted state that samples blocks: the graph, the embedding indices, the node
    features and the draw settings. Held by reference (no copy of the graph)."""

    def __init__(
        self,
        *,
        graph,
        embedding_index,
        node_feature_block,
        feature_ids,
        feature_tables,
        side_of_column,
        n_neighbors,
        sampling,
        seed,
    ):
        self.graph = graph
        self.embedding_index = embedding_index
        self.node_feature_block = node_feature_block
        self.feature_ids = feature_ids
        self.feature_tables = feature_tables
        self._feature_index = {}
        self.side_of_column = side_of_column
        self.n_neighbors = n_neighbors
        self.sampling = sampling
        self.seed = seed
        self.n_slots = slot_count(n_neighbors)
        self.n_channels = 1 + node_feature_block.shape[1]

    def row_shape(self, n_roots):
        return (n_roots, self.n_slots, self.n_channels)

    def block(self, roots, exclude, *, seed, ids=None):
        """The block of ``roots`` (n, n_roots), in chunks."""
        out = np.zeros((len(roots), *self.row_shape(roots.shape[1])), dtype=np.float32)
        for start in range(0, len(roots), CHUNK_ROWS):
            rows = slice(start, start + CHUNK_ROWS)
            out[rows] = self.rows(
                roots[rows],
                None if exclude is None else exclude[rows],
                seed=seed,
                ids=None if ids is None else [column[rows] for column in ids],
            )
        return out

    def rows(self, roots, exclude, *, seed, ids=None):
        n, n_roots = roots.shape
        out = np.zeros((n, *self.row_shape(n_roots)), dtype=np.float32)
        for r in range(n_roots):
            nodes = roots[:, r]
            in_graph = nodes >= 0
            slots = np.full((n, self.n_slots), -1, dtype=np.int64)
            slots[:, 0] = np.where(in_graph, nodes, -1)
            hop = sample_neighbors(
                self.graph,
                slots[:, 0],
                self.n_neighbors[0],
                seed=seed,
                sampling=self.sampling,
                exclude=None if exclude is None else np.where(in_graph, exclude[:, r], -1),
            )
            slots[:, 1 : 1 + hop.shape[1]] = hop
            if len(self.n_neighbors) == 2:
                second = sample_neighbors(
                    self.graph,
                    hop.reshape(-1),
                    self.n_neighbors[1],
                    seed=seed,
                    sampling=self.sampling,
                )
                slots[:, 1 + hop.shape[1] :] = second.reshape(n, -1)
            present = slots >= 0
            index = np.where(present, self.embedding_index[np.maximum(slots, 0)], PADDING_INDEX)
            index[:, 0] = np.where(in_graph, index[:, 0], UNKNOWN_INDEX)
            index[nodes == -2, 0] = PADDING_INDEX  # a missing id: an empty neighbourhood
            out[:, r, :, 0] = index
            if self.n_channels > 1:
                out[:, r, :, 1:] = self.node_feature_block[np.where(present, slots, -1)]
                if ids is not None:
                    self._root_features(out, r, nodes, ids[r])
        return out

    def _root_features(self, out, r, nodes, column_ids):
        """Features of root nodes that the graph does not hold, from the feature table."""
        outside = np.flatnonzero(nodes == -1)
        side = self.side_of_column[r]
        if len(outside) == 0 or len(self.feature_ids[side]) == 0:
            return
        if side not in self._feature_index:
            self._feature_index[side] = pd.Index(self.feature_ids[side])
        wide = self.feature_tables[side]
        rows = self._feature_index[side].get_indexer(column_ids[outside])
        found = rows >= 0
        out[outside[found], r, 0, 1:] = wide[rows[found]]


class LazyNeighborhoods:
    """A graph block sampled batch by batch: each indexing draws new neighbours (with
    ``resample=True``) or the same ones (a fixed seed).

    Parameters
    ----------
    sampler : NeighborhoodSampler
    roots : ndarray of int64 of shape (n, n_roots)
    exclude : ndarray or None
    ids : list of ndarray
        Each column's node ids (features of nodes outside the graph).
    resample : bool
    """

    is_lazy_block = True

    @property
    def dtype(self):
        """float32, as every graph block."""
        return np.dtype("float32")

    def __init__(self, sampler, roots, exclude, ids, *, resample):
        self.sampler = sampler
        self.roots = roots
        self.exclude = exclude
        self.ids = ids
        self.resample = resample
        self._draws = itertools.count(1)

    @property
    def shape(self):
        return (len(self.roots), *self.sampler.row_shape(self.roots.shape[1]))

    @property
    def ndim(self):
        return len(self.shape)

    def __len__(self):
        return len(self.roots)

    def take(self, rows):
        return LazyNeighborhoods(
            self.sampler,
            self.roots[rows],
            None if self.exclude is None else self.exclude[rows],
            [column[rows] for column in self.ids],
            resample=self.resample,
        )

    def __getitem__(self, rows):
        seed = self.sampler.seed
        if self.resample:
            seed = seed + 1_000_003 * next(self._draws)
        return self.sampler.rows(
            self.roots[rows],
            None if self.exclude is None else self.exclude[rows],
            seed=seed,
            ids=[column[rows] for column in self.ids],
        )

    def __array__(self, dtype=None, copy=None):
        out = self.sampler.block(self.roots, self.exclude, seed=self.sampler.seed, ids=self.ids)
        return out if dtype is None else out.astype(dtype)

    def __repr__(self):
        return f"LazyNeighborhoods({len(self)} rows, resample={self.resample})"
