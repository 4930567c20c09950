"""``GraphFeatures``: classic per-node graph statistics as a tabular block.

Degree, weighted degree, PageRank, the clustering coefficient, a community
(spectral clustering, one-hot) and a spectral embedding of the normalized
adjacency, computed once on the fit graph with SciPy's sparse routines. The
columns feed skmm's tabular encoder or any scikit-learn model (gradient
boosting included).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.utils import check_random_state
from sklearn.utils.extmath import randomized_svd
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval
from .._constraints import Predicate
from ._graph import GRAPH_INPUT_CONSTRAINTS, NodeColumns

__all__ = ["GraphFeatures"]

FEATURES = ("degree", "weighted_degree", "pagerank", "clustering", "community", "spectral")

#: PageRank's damping factor, iterations and tolerance.
PAGERANK_DAMPING, PAGERANK_ITERATIONS, PAGERANK_TOL = 0.85, 200, 1e-10
#: Rows of the adjacency multiplied at once when counting triangles (bounds memory).
TRIANGLE_CHUNK = 2048
#: Power iterations of the randomized eigensolver of the spectral embedding.
RANDOMIZED_ITERATIONS = 12


def _is_features(value):
    return (
        isinstance(value, list | tuple)
        and len(value) > 0
        and all(isinstance(v, str) and v in FEATURES for v in value)
        and len(set(value)) == len(value)
    )


def pagerank(adjacency):
    """PageRank of an undirected weighted graph (dangling nodes spread uniformly)."""
    n = adjacency.shape[0]
    out = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
    transition = sp.diags(inverse) @ adjacency  # row-stochastic
    rank = np.full(n, 1.0 / n)
    for _ in range(PAGERANK_ITERATIONS):
        dangling = rank[out == 0].sum()
        new = PAGERANK_DAMPING * (transition.T @ rank + dangling / n) + (1 - PAGERANK_DAMPING) / n
        if np.abs(new - rank).sum() < PAGERANK_TOL:
            rank = new
            break
        rank = new
    return rank / rank.sum()


def clustering(adjacency):
    """Local clustering coefficient of each node (unweighted), by chunks of rows."""
    pattern = (adjacency > 0).astype(np.float64).tocsr()
    degree = np.asarray(pattern.sum(axis=1)).ravel()
    triangles = np.zeros(pattern.shape[0])
    for start in range(0, pattern.shape[0], TRIANGLE_CHUNK):
        rows = pattern[start : start + TRIANGLE_CHUNK]
        triangles[start : start + TRIANGLE_CHUNK] = (
            np.asarray((rows @ pattern).multiply(rows).sum(axis=1)).ravel() / 2
        )
    pairs = degree * (degree - 1) / 2
    return np.divide(triangles, pairs, out=np.zeros_like(triangles), where=pairs > 0)


def spectral_embedding(adjacency, n_components, seed):
    """The ``n_components`` leading non-trivial eigenvectors of ``D^-1/2 A D^-1/2``,
    signs fixed (largest-magnitude entry positive), scaled by ``sqrt(n)``."""
    n = adjacency.shape[0]
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    scale = np.divide(1.0, np.sqrt(degree), out=np.zeros(n), where=degree > 0)
    normalized = sp.diags(scale) @ adjacency @ sp.diags(scale)
    k = min(n_components + 1, n)
    if n <= max(64, 2 * k + 1):
        values, vectors = np.linalg.eigh(normalized.toarray())
    else:  # randomized subspace iteration on the PSD (I + N) / 2: same eigenvectors
        shifted = (sp.identity(n, format="csr") + normalized) * 0.5
        vectors, values, _ = randomized_svd(
            shifted, k, n_oversamples=20, n_iter=RANDOMIZED_ITERATIONS, random_state=seed
        )
    order = np.argsort(values)[::-1][:k]
    vectors = vectors[:, order[1:]]  # the first is the trivial sqrt(degree) direction
    signs = np.sign(vectors[np.abs(vectors).argmax(axis=0), np.arange(vectors.shape[1])])
    vectors = vectors * np.where(signs == 0, 1, signs) * np.sqrt(n)
    if vectors.shape[1] < n_components:
        vectors = np.hstack([vectors, np.zeros((n, n_components - vectors.shape[1]))])
    return vectors


def _standardized(values):
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    std[std == 0] = 1.0
    return (values - mean) / std


class GraphFeatures(NodeColumns, TransformerMixin, BaseEstimator):
    """Per-node graph statistics of the rows' nodes, as numeric columns.

    For each node column (one, or two for user and item), the columns are,
    in this order and as chosen in ``features``:

    - ``degree``: ``log1p`` of the number of neighbours;
    - ``weighted_degree``: ``log1p`` of the sum of edge weights;
    - ``pagerank``: ``log`` of PageRank times the number of nodes;
    - ``clustering``: the local clustering coefficient;
    - ``community_0 .. community_{n_communities-1}``: one-hot of the node's
      community (k-means on the spectral embedding: spectral clustering);
    - ``spectral_0 .. spectral_{n_components-1}``: the leading non-trivial
      eigenvectors of the normalized adjacency;
    - ``in_graph``: 1 for a node of the fit graph, 0 otherwise.

    The continuous columns are standardized over the graph's nodes. **Nodes
    outside the fit graph** (and missing ids) get 0 in every column — the
    graph's average node, no community — and ``in_graph = 0``. Labels are
    never read; with ``graph=None`` the graph is the fit rows' node pairs.

    Parameters
    ----------
    graph : Graph, DataFrame, networkx graph, sparse matrix or None, default=None
        As in [`GraphNeighborhood`][skmm.preprocessing.GraphNeighborhood].
    source, target : str, default="source", "target"
        The columns of a DataFrame ``graph``.
    weight : str or None, default=None
        A column of positive edge weights of a DataFrame ``graph``.
    bipartite : bool, default=True
        With ``graph=None``: whether the two columns are two kinds of nodes.
    features : tuple of str, default=all six
        Which statistics.
    n_components : int, default=8
        Columns of the spectral embedding.
    n_communities : int, default=8
        Communities found by spectral clustering.
    missing : {"zeros", "error"}, default="zeros"
        A missing node id: the outside-the-graph row (zeros), or an error.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigensolver's start vector and k-means.

    Attributes
    ----------
    graph_ : Graph
    node_features_ : ndarray of shape (graph_.n_nodes, n_columns_per_node)
        The statistics of every node of the graph (standardized).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.preprocessing import GraphFeatures
    >>> edges = pd.DataFrame({"source": [0, 0, 1, 2, 3], "target": [1, 2, 2, 3, 4]})
    >>> features = GraphFeatures(edges, features=("degree", "clustering"), random_state=0)
    >>> out = features.fit_transform(pd.DataFrame({"node": [0, 2, 9]}))
    >>> features.get_feature_names_out().tolist()
    ['node__degree', 'node__clustering', 'node__in_graph']
    >>> out[2].tolist()  # node 9 is not in the graph
    [0.0, 0.0, 0.0]
    """

    _parameter_constraints = {
        **GRAPH_INPUT_CONSTRAINTS,
        "features": [Predicate(_is_features, f"a tuple of distinct names among {FEATURES}")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_communities": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(
        self,
        graph=None,
        *,
        source="source",
        target="target",
        weight=None,
        bipartite=True,
        features=FEATURES,
        n_components=8,
        n_communities=8,
        missing="zeros",
        random_state=None,
    ):
        self.graph = graph
        self.source = source
        self.target = target
        self.weight = weight
        self.bipartite = bipartite
        self.features = features
        self.n_components = n_components
        self.n_communities = n_communities
        self.missing = missing
        self.random_state = random_state

    def fit(self, X, y=None):
        """Compute the statistics of every node of the graph.

        Parameters
        ----------
        X : DataFrame, Series or array-like of shape (n_samples,) or (n_samples, 1 or 2)
            The rows' node ids.
        y : None
            Ignored.

        Returns
        -------
        self : GraphFeatures
        """
        self._validate_params()
        frame = self._frame(X, reset=True)
        ids, missing = self._column_ids(frame)
        self.graph_ = graph = self._fit_graph(frame, ids, missing)
        self._check_kinds(frame, ids, missing)
        adjacency = graph.adjacency().astype(np.float64)
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        columns = []
        if "degree" in self.features:
            columns.append(np.log1p(graph.degree().astype(float)))
        if "weighted_degree" in self.features:
            columns.append(np.log1p(graph.weighted_degree()))
        if "pagerank" in self.features:
            columns.append(np.log(pagerank(adjacency) * graph.n_nodes))
        if "clustering" in self.features:
            columns.append(clustering(adjacency))
        blocks = [
            _standardized(np.column_stack(columns) if columns else np.zeros((graph.n_nodes, 0)))
        ]
        embedding = None
        if "spectral" in self.features or "community" in self.features:
            embedding = spectral_embedding(adjacency, self.n_components, seed)
        if "community" in self.features:
            k = min(self.n_communities, graph.n_nodes)
            labels = KMeans(k, n_init=4, random_state=seed).fit_predict(embedding)
            sizes = np.bincount(labels, minlength=k)
            rank = np.empty_like(sizes)
            rank[np.argsort(-sizes, kind="stable")] = np.arange(k)  # 0: the largest
            self.community_ = rank[labels]
            onehot = np.zeros((graph.n_nodes, self.n_communities))
            onehot[np.arange(graph.n_nodes), self.community_] = 1.0
            blocks.append(onehot)
        if "spectral" in self.features:
            blocks.append(_standardized(embedding))
        blocks.append(np.ones((graph.n_nodes, 1)))  # in_graph
        self.node_features_ = np.hstack(blocks).astype(np.float32)
        return self

    def transform(self, X):
        """The statistics of the rows' nodes: ``(n_samples, n_columns * n_node_columns)``
        float32."""
        check_is_fitted(self, "graph_")
        frame = self._frame(X, reset=False)
        ids, missing = self._column_ids(frame)
        self._check_kinds(frame, ids, missing)
        roots = self._roots(ids, missing)
        width = self.node_features_.shape[1]
        out = np.zeros((len(frame), width * roots.shape[1]), dtype=np.float32)
        for r in range(roots.shape[1]):
            known = roots[:, r] >= 0
            out[known, r * width : (r + 1) * width] = self.node_features_[roots[known, r]]
        return out

    def get_feature_names_out(self, input_features=None):
        """``<column>__<statistic>`` per node column."""
        check_is_fitted(self, "graph_")
        columns = getattr(self, "feature_names_in_", None)
        if columns is None:
            columns = [f"x{i}" for i in range(self.n_features_in_)]
        names = [f"{column}__{name}" for column in columns for name in self._names()]
        return np.asarray(names, dtype=object)

    def _names(self):
        names = [
            n for n in ("degree", "weighted_degree", "pagerank", "clustering") if n in self.features
        ]
        if "community" in self.features:
            names += [f"community_{i}" for i in range(self.n_communities)]
        if "spectral" in self.features:
            names += [f"spectral_{i}" for i in range(self.n_components)]
        return [*names, "in_graph"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
