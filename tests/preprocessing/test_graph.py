"""Graph, GraphNeighborhood and GraphFeatures: construction policies, the block layout,
sampling, unseen nodes, hostile graph input (no TensorFlow)."""

import copy
import pickle
import tracemalloc

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from skmm.preprocessing import (
    Graph,
    GraphFeatures,
    GraphNeighborhood,
    LazyNeighborhoods,
    NodeFeatures,
)


def _edges(pairs, **columns):
    frame = pd.DataFrame(pairs, columns=["source", "target"])
    for name, values in columns.items():
        frame[name] = values
    return frame


def _slots(block, row, root=0):
    """The embedding indices of one row's slots."""
    return block[row, root, :, 0].astype(int).tolist()


# -- Graph: construction and policies -----------------------------------------------------


def test_self_loops_are_dropped_and_duplicates_merged_with_weights_summed():
    edges = _edges([(1, 2), (2, 1), (2, 2), (2, 3)], w=[1.0, 2.0, 5.0, 4.0])
    graph = Graph.from_edges(edges, weight="w")
    assert (graph.n_nodes, graph.n_edges) == (3, 2)
    assert graph.n_self_loops_dropped == 1 and graph.n_duplicates_merged == 1
    dense = graph.adjacency().toarray()
    one, two, three = graph.lookup([1, 2, 3])
    assert dense[one, two] == dense[two, one] == 3.0  # 1 + 2, undirected
    assert dense[two, three] == 4.0 and dense[two, two] == 0.0


@pytest.mark.parametrize(
    ("edges", "weight", "message"),
    [
        (_edges([(1, 2), (None, 3)]), None, r"'source': row 1 has a missing node id"),
        (_edges([(1, 2), (2, np.nan)]), None, r"'target': row 1 has a missing node id"),
        (_edges([(1, 2), (2, 3)], w=[1.0, -1.0]), "w", r"'w': row 1 has the weight -1\.0"),
        (_edges([(1, 2), (2, 3)], w=[np.nan, 1.0]), "w", r"'w': row 0 has the weight nan"),
        (_edges([(1, "b"), (2, 3)]), None, r"integers or strings \(one kind\)"),
        (_edges([(1.5, 2.0)]), None, r"row 0 holds the node id 1\.5, which is not an integer"),
        (_edges([]), None, "the edge list is empty"),
        (_edges([(1, 1)]), None, "no edges once self-loops are dropped"),
    ],
)
def test_hostile_edge_lists_get_clear_errors(edges, weight, message):
    with pytest.raises(ValueError, match=message):
        Graph.from_edges(edges, weight=weight)


def test_source_and_target_of_different_id_kinds_need_bipartite():
    edges = _edges([(1, "a"), (2, "b")])
    with pytest.raises(ValueError, match="pass bipartite=True"):
        Graph.from_edges(edges)
    graph = Graph.from_edges(edges, bipartite=True)
    assert graph.bipartite and graph.n_sides == 2 and graph.n_nodes == 4


def test_bipartite_sides_keep_equal_ids_apart():
    graph = Graph.from_edges(_edges([(7, 7), (7, 8)]), bipartite=True)
    assert graph.n_nodes == 3 and graph.n_edges == 2 and graph.n_self_loops_dropped == 0
    assert graph.lookup([7], side=0)[0] != graph.lookup([7], side=1)[0]


def test_networkx_and_adjacency_inputs_give_the_same_graph():
    nx_graph = nx.karate_club_graph()
    from_nx = Graph.from_networkx(nx_graph)
    from_matrix = Graph.from_adjacency(nx.to_scipy_sparse_array(nx_graph, weight=None))
    assert from_nx.n_edges == nx_graph.number_of_edges() == from_matrix.n_edges
    assert np.array_equal(from_nx.degree(), from_matrix.degree())
    directed = sp.csr_matrix(([1.0], ([0], [1])), shape=(3, 3))  # node 2 isolated
    graph = Graph.from_adjacency(directed)
    assert graph.n_nodes == 3 and graph.degree().tolist() == [1, 1, 0]


def test_networkx_bipartite_attribute_makes_a_bipartite_graph():
    nx_graph = nx.Graph()
    nx_graph.add_nodes_from(["u1", "u2"], bipartite=0)
    nx_graph.add_nodes_from(["i1"], bipartite=1)
    nx_graph.add_edges_from([("i1", "u1"), ("u2", "i1")])
    graph = Graph.from_networkx(nx_graph)
    assert graph.bipartite and [len(ids) for ids in graph.ids] == [2, 1]


def test_unknown_graph_types_are_refused():
    with pytest.raises(ValueError, match="'graph' parameter of GraphNeighborhood must be a Graph"):
        GraphNeighborhood([[0, 1]]).fit(pd.DataFrame({"node": [0]}))
    with pytest.raises(TypeError, match="expected a skmm.preprocessing.Graph"):
        from skmm.preprocessing._graph_data import as_graph

        as_graph([[0, 1]])


def test_clones_share_one_read_only_graph_and_it_pickles():
    graph = Graph.from_edges(_edges([(0, 1), (1, 2)]))
    transformer = GraphNeighborhood(graph, n_neighbors=(2,))
    clones = [clone(transformer) for _ in range(20)]
    assert all(c.graph is graph for c in clones)
    assert copy.deepcopy(graph) is graph and copy.copy(graph) is graph
    back = pickle.loads(pickle.dumps(graph))
    assert back.n_edges == 2 and np.array_equal(back.lookup([2]), graph.lookup([2]))


# -- GraphNeighborhood: the block ----------------------------------------------------------


def _star_and_chain():
    """Node 0 joined to 1..4; node 4 joined to 5; node 5 to 6."""
    return Graph.from_edges(_edges([(0, 1), (0, 2), (0, 3), (0, 4), (4, 5), (5, 6)]))


def test_block_layout_roots_then_hops_grouped_by_parent():
    graph = _star_and_chain()
    transformer = GraphNeighborhood(graph, n_neighbors=(4, 2), random_state=0)
    block = transformer.fit_transform(pd.DataFrame({"node": [0, 1, 5, 6]}))
    assert block.shape == (4, 1, 1 + 4 + 8, 1) and block.dtype == np.float32
    index = transformer.embedding_index_
    to_node = {int(index[n]): int(graph.ids[0][n]) for n in range(graph.n_nodes)}
    to_node[0] = -1  # an empty slot
    slots = [to_node[i] for i in _slots(block, 0)]
    assert slots[0] == 0
    assert sorted(slots[1:5]) == [1, 2, 3, 4]
    for position, parent in enumerate(slots[1:5]):
        children = {s for s in slots[5 + 2 * position : 7 + 2 * position] if s != -1}
        expected = {0} if parent != 4 else {0, 5}
        assert children == expected  # node 4's neighbours are 0 and 5
    leaf = _slots(block, 3)  # node 6: one neighbour (5), whose neighbours are 4 and 6
    assert leaf[0] == index[graph.lookup([6])[0]] and leaf[2:5] == [0, 0, 0]


def test_sampling_is_deterministic_per_node_whatever_the_batch():
    rng = np.random.default_rng(0)
    graph = Graph.from_edges(_edges(rng.integers(0, 50, size=(600, 2))))
    transformer = GraphNeighborhood(graph, n_neighbors=(5, 3), random_state=3)
    nodes = pd.DataFrame({"node": np.arange(50)})
    whole = transformer.fit_transform(nodes)
    part = transformer.transform(nodes.iloc[[40, 7, 7]])
    assert np.array_equal(part, whole[[40, 7, 7]])
    other = GraphNeighborhood(graph, n_neighbors=(5, 3), random_state=4).fit_transform(nodes)
    assert not np.array_equal(other, whole)  # another seed, other neighbours


def test_weighted_sampling_follows_the_weights_and_top_takes_the_heaviest():
    graph = Graph.from_edges(_edges([(0, 1), (0, 2)], w=[9.0, 1.0]), weight="w")
    heavy = graph.lookup([1])[0]
    picks = []
    for seed in range(400):
        transformer = GraphNeighborhood(graph, n_neighbors=(1,), random_state=seed)
        block = transformer.fit_transform(pd.DataFrame({"node": [0]}))
        picks.append(block[0, 0, 1, 0] == transformer.embedding_index_[heavy])
    assert 0.84 < np.mean(picks) < 0.96  # 0.9 expected
    top = GraphNeighborhood(graph, n_neighbors=(1,), sampling="top", random_state=1)
    block = top.fit_transform(pd.DataFrame({"node": [0]}))
    assert block[0, 0, 1, 0] == top.embedding_index_[heavy]


def test_rows_pairs_make_a_bipartite_graph_without_the_rows_own_edge():
    ratings = pd.DataFrame({"user": [1, 1, 2], "item": ["a", "b", "a"]})
    transformer = GraphNeighborhood(n_neighbors=(3,), random_state=0)
    block = transformer.fit_transform(ratings)
    graph = transformer.graph_
    assert graph.bipartite and graph.n_edges == 3
    index = transformer.embedding_index_
    item_b = index[graph.lookup(["b"], side=1)[0]]
    user_2 = index[graph.lookup([2], side=0)[0]]
    assert _slots(block, 0, root=0)[1:] == [item_b, 0, 0]  # user 1 without item a
    assert _slots(block, 0, root=1)[1:] == [user_2, 0, 0]  # item a without user 1
    kept = GraphNeighborhood(n_neighbors=(3,), exclude_row_edge=False, random_state=0)
    assert sorted(_slots(kept.fit_transform(ratings), 0, root=0)[1:]) != sorted(
        _slots(block, 0, root=0)[1:]
    )


def test_unseen_nodes_fall_back_to_the_unknown_embedding_with_known_neighbours():
    graph = _star_and_chain()
    transformer = GraphNeighborhood(graph, n_neighbors=(4,), random_state=0)
    transformer.fit(pd.DataFrame({"node": [1, 2]}))  # nodes within 1 hop of 1, 2: 0, 1, 2
    assert transformer.n_embeddings_ == 2 + 3
    block = transformer.transform(pd.DataFrame({"node": [4, 99, None]}))
    own, outside, missing = (_slots(block, row) for row in range(3))
    assert own[0] == 1 and sorted(own[1:3]) == [1, transformer.embedding_index_[0]]
    assert outside == [1] + [0] * 4  # not in the graph: unknown, no neighbours
    assert missing == [0] * 5  # a missing id: an empty neighbourhood
    with pytest.raises(ValueError, match=r"column 'node', row 2 .* has no node id"):
        GraphNeighborhood(graph, missing="error").fit(pd.DataFrame({"node": [1, 2, None]}))


def test_node_ids_of_another_kind_are_refused_naming_the_column():
    graph = _star_and_chain()
    transformer = GraphNeighborhood(graph, n_neighbors=(2,)).fit(pd.DataFrame({"node": [0]}))
    with pytest.raises(ValueError, match=r"column 'node' holds str node ids, but the graph"):
        transformer.transform(pd.DataFrame({"node": ["0", "1"]}))
    with pytest.raises(ValueError, match=r"column 'node': row 1 holds the node id 1\.5"):
        transformer.transform(pd.DataFrame({"node": [0.0, 1.5]}))
    # integer ids in a float column (pandas' ints with a missing value) are integers
    block = transformer.transform(pd.DataFrame({"node": [0.0, np.nan]}))
    assert block[0, 0, 0, 0] >= 2 and block[1].max() == 0


def test_node_features_fill_every_slot_and_unknown_roots_from_the_table():
    graph = _star_and_chain()
    table = pd.DataFrame({"x": np.arange(8.0), "flag": [True, False] * 4}, index=range(8))
    transformer = GraphNeighborhood(graph, n_neighbors=(4,), node_features=table)
    block = transformer.fit_transform(pd.DataFrame({"node": [0, 7]}))
    assert block.shape == (2, 1, 5, 3) and transformer.n_node_features_ == 2
    standardized = (np.arange(8.0) - 3.5) / np.arange(8.0).std()
    assert np.isclose(block[0, 0, 0, 1], standardized[0])
    neighbours = sorted(np.round(block[0, 0, 1:, 1], 5))
    assert neighbours == sorted(np.round(standardized[1:5].astype(np.float32), 5))
    assert np.isclose(block[1, 0, 0, 1], standardized[7])  # node 7: outside the graph
    assert block[1, 0, 0, 0] == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"name": list("abcdefg")}, index=range(7)), "column 'name' is not numeric"),
        (
            pd.DataFrame({"x": [0.0, np.nan] + [1.0] * 5}, index=range(7)),
            "NaN or infinite for node 1",
        ),
        (pd.DataFrame({"x": [1.0, 2.0]}, index=[0, 0]), "index repeats node ids"),
        (pd.DataFrame({"x": [1.0, 2.0]}, index=["0", "1"]), "indexed by str ids"),
    ],
)
def test_hostile_node_features_get_clear_errors(table, message):
    with pytest.raises(ValueError, match=message):
        GraphNeighborhood(_star_and_chain(), node_features=table).fit(pd.DataFrame({"n": [0]}))


def test_resampling_draws_new_neighbours_per_batch_and_transform_does_not():
    rng = np.random.default_rng(1)
    graph = Graph.from_edges(_edges(rng.integers(0, 30, size=(400, 2))))
    nodes = pd.DataFrame({"node": np.arange(30)})
    transformer = GraphNeighborhood(graph, n_neighbors=(3,), resample=True, random_state=0)
    lazy = transformer.fit_transform(nodes)
    assert isinstance(lazy, LazyNeighborhoods) and lazy.shape == (30, 1, 4, 1)
    rows = np.arange(30)
    assert not np.array_equal(lazy[rows], lazy[rows])
    assert np.array_equal(transformer.transform(nodes), transformer.transform(nodes))
    assert lazy.take(rows[:5])[rows[:2]].shape == (2, 1, 4, 1)


def test_labels_never_enter_the_block():
    rng = np.random.default_rng(2)
    ratings = pd.DataFrame({"user": rng.integers(0, 20, 200), "item": rng.integers(0, 15, 200)})
    y = rng.normal(size=200)
    first = GraphNeighborhood(random_state=0).fit_transform(ratings, y)
    second = GraphNeighborhood(random_state=0).fit_transform(ratings, rng.permutation(y) * 100)
    assert np.array_equal(first, second)


def test_a_million_edges_with_a_hub_stay_within_a_memory_bound():
    rng = np.random.default_rng(0)
    n_edges = 1_000_000
    sources = rng.integers(0, 100_000, n_edges)
    sources[: n_edges // 10] = 0  # a hub of 100,000 edges
    edges = pd.DataFrame({"source": sources, "target": rng.integers(0, 100_000, n_edges)})
    tracemalloc.start()
    graph = Graph.from_edges(edges)
    _, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    transformer = GraphNeighborhood(graph, n_neighbors=(10, 5), random_state=0)
    block = transformer.fit_transform(pd.DataFrame({"node": np.r_[np.zeros(2000, int), 1:2000]}))
    _, sample_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    edge_bytes = edges.memory_usage(deep=True).sum()  # 16 MB
    assert build_peak < 8 * edge_bytes
    # sampling works by chunks of rows, each node keeping at most 16 candidate edges
    # per slot: its memory does not grow with the graph or the hub's degree
    assert sample_peak < 96 * 2**20
    assert (block[:2000, 0, 1:11, 0] > 0).all()  # the hub still gets 10 neighbours


# -- GraphFeatures -------------------------------------------------------------------------


def test_graph_statistics_on_a_known_graph():
    # a triangle 0-1-2 with a tail 2-3
    graph = Graph.from_edges(_edges([(0, 1), (1, 2), (0, 2), (2, 3)]))
    features = GraphFeatures(graph, features=("degree", "clustering", "pagerank"))
    out = features.fit_transform(pd.DataFrame({"node": [0, 2, 3, 42]}))
    names = features.get_feature_names_out().tolist()  # in the documented order
    assert names == ["node__degree", "node__pagerank", "node__clustering", "node__in_graph"]
    raw = pd.DataFrame(features.node_features_, columns=[n[6:] for n in names])
    by_node = dict(zip(graph.ids[0].tolist(), range(4), strict=True))
    assert raw["degree"][by_node[2]] == raw["degree"].max()  # node 2 has 3 neighbours
    assert raw["clustering"][by_node[0]] > raw["clustering"][by_node[2]]  # 1 vs 1/3
    assert raw["pagerank"][by_node[2]] == raw["pagerank"].max()
    assert out[3].tolist() == [0.0] * 4  # outside the graph: zeros, in_graph 0
    assert out[:3, 3].tolist() == [1.0, 1.0, 1.0]


def test_spectral_communities_recover_a_stochastic_block_model():
    sbm = nx.stochastic_block_model(
        [40, 40, 40], [[0.3, 0.01, 0.01], [0.01, 0.3, 0.01], [0.01, 0.01, 0.3]], seed=0
    )
    features = GraphFeatures(
        Graph.from_networkx(sbm),
        features=("community", "spectral"),
        n_communities=3,
        n_components=3,
        random_state=0,
    )
    features.fit(pd.DataFrame({"node": range(120)}))
    assert adjusted_rand_score(np.repeat([0, 1, 2], 40), features.community_) > 0.9
    again = GraphFeatures(
        Graph.from_networkx(sbm),
        features=("community", "spectral"),
        n_communities=3,
        n_components=3,
        random_state=0,
    )
    assert np.array_equal(
        again.fit(pd.DataFrame({"n": [0]})).node_features_, features.node_features_
    )


def test_graph_features_of_row_pairs_and_saved_tables():
    ratings = pd.DataFrame({"user": [1, 1, 2, 3], "item": ["a", "b", "a", "c"]})
    features = GraphFeatures(features=("degree",)).fit(ratings)
    assert features.get_feature_names_out().tolist() == [
        "user__degree",
        "user__in_graph",
        "item__degree",
        "item__in_graph",
    ]
    table = NodeFeatures.from_frame(pd.DataFrame({"x": [1.0]}, index=[5]))
    assert copy.deepcopy(table) is table and table.to_frame().loc[5, "x"] == 1.0


@pytest.mark.parametrize("cls", [GraphNeighborhood, GraphFeatures])
def test_parameters_are_validated_by_scikit_learn(cls):
    from sklearn.utils.estimator_checks import check_param_validation

    check_param_validation(cls.__name__, cls(_star_and_chain()))
