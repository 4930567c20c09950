"""Graph blocks in the estimators: a stochastic block model where the graph carries the
label, leak-free cross-validation, bipartite pairs with unseen nodes, persistence,
export, the other estimators, the CLI and modality importance."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import KFold, cross_val_predict, train_test_split
from sklearn.pipeline import make_pipeline

from skmm import (
    Graph,
    GraphNeighborhood,
    MultimodalClassifier,
    MultimodalInput,
    MultimodalRegressor,
    TextTokenizer,
)

SMALL = dict(graph_units=16, hidden_units=(16,), random_state=0)


def sbm_table(seed, n_per_block=100, p_in=0.05, p_out=0.015, p_word=0.4):
    """Four communities of a stochastic block model; the label is the community. Each
    node's text names its community with probability ``p_word`` (else filler words)."""
    probabilities = np.full((4, 4), p_out)
    np.fill_diagonal(probabilities, p_in)
    sbm = nx.stochastic_block_model([n_per_block] * 4, probabilities.tolist(), seed=seed)
    y = np.repeat(np.arange(4), n_per_block)
    rng = np.random.default_rng(seed)
    filler = ["the", "a", "of", "and", "is", "on", "in", "to"]
    words = [
        ["alpha", "beta", "gamma", "delta"][c] if rng.random() < p_word else rng.choice(filler)
        for c in y
    ]
    text = [f"{w} {' '.join(rng.choice(filler, 4))}" for w in words]
    return pd.DataFrame({"node": np.arange(len(y)), "text": text}), y, Graph.from_networkx(sbm)


def test_the_graph_lifts_weak_text_and_fused_beats_both():
    X, y, graph = sbm_table(seed=1)
    train, test = train_test_split(np.arange(len(y)), test_size=0.5, random_state=1, stratify=y)
    text = ("text", TextTokenizer(), "text")
    neighbours = ("graph", GraphNeighborhood(graph, random_state=0), ["node"])
    scores = {}
    for label, blocks in (("text", [text]), ("graph", [neighbours]), ("fused", [text, neighbours])):
        model = make_pipeline(
            MultimodalInput(blocks), MultimodalClassifier(epochs=40, random_state=0)
        )
        scores[label] = model.fit(X.iloc[train], y[train]).score(X.iloc[test], y[test])
    assert scores["text"] < 0.6, scores
    assert scores["graph"] > scores["text"] + 0.12, scores
    assert scores["fused"] > max(scores["text"], scores["graph"]) + 0.05, scores


def ratings_table(seed, n_users=40, n_items=30, n_rows=360):
    """User-item ratings of a low-rank model, with a weakly informative user column."""
    rng = np.random.default_rng(seed)
    users, items = rng.integers(0, n_users, n_rows), rng.integers(0, n_items, n_rows)
    taste, profile = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    rating = (taste[users] * profile[items]).sum(axis=1) + 0.3 * rng.normal(size=n_rows)
    X = pd.DataFrame(
        {
            "user": users,
            "item": [f"i{k}" for k in items],
            "age": taste[users, 0] + rng.normal(size=n_rows),
        }
    )
    return X, rating


def _pair_model(graph_block, **settings):
    return make_pipeline(
        MultimodalInput([("pair", graph_block, ["user", "item"]), ("age", "passthrough", ["age"])]),
        MultimodalRegressor(**{"epochs": 3, **SMALL, **settings}),
    )


def test_test_fold_labels_do_not_change_the_predictions_of_that_fold():
    """cross_val_predict with the graph made of each fit's own rows: changing the labels of
    one fold changes no prediction of that fold. The control, a graph of every row whose
    edge weights are the ratings, leaks them: the same change moves that fold's predictions."""
    X, y = ratings_table(seed=0, n_rows=240)
    folds = KFold(2, shuffle=True, random_state=0)
    held_out = next(iter(folds.split(X)))[1]
    changed = y.copy()
    changed[held_out] = -changed[held_out] * 3

    def fold_predictions(labels, leaky):
        if leaky:
            weights = labels - labels.min() + 1.0
            edges = pd.DataFrame({"source": X["user"], "target": X["item"], "w": weights})
            block = GraphNeighborhood(
                Graph.from_edges(edges, weight="w", bipartite=True),
                n_neighbors=(3,),
                random_state=0,
            )
        else:
            block = GraphNeighborhood(n_neighbors=(3,), random_state=0)
        model = _pair_model(block, epochs=1, balance=None)
        return cross_val_predict(model, X, labels, cv=folds)[held_out]

    assert_array_equal(fold_predictions(y, leaky=False), fold_predictions(changed, leaky=False))
    assert not np.allclose(fold_predictions(y, leaky=True), fold_predictions(changed, leaky=True))


@pytest.fixture(scope="module")
def pair_model():
    X, y = ratings_table(seed=1)
    model = _pair_model(GraphNeighborhood(n_neighbors=(4, 2), random_state=0))
    return model.fit(X.iloc[:300], y[:300]), X, y


def test_bipartite_pairs_unseen_users_and_items_still_predict(pair_model):
    model, X, _ = pair_model
    blocks = model[0].transform(X.iloc[300:])
    assert blocks["pair"].shape == (60, 2, 1 + 4 + 8, 1)
    new = pd.DataFrame({"user": [999, 999, 3], "item": ["i1", "zzz", "zzz"], "age": [0.0] * 3})
    prediction = model.predict(new)
    assert np.isfinite(prediction).all()
    pair = model[0].transform(new)["pair"]
    assert pair[0, 0, 0, 0] == 1 and pair[0, 0, 1:].max() == 0  # an isolated unknown user
    assert pair[0, 1, 1:, 0].max() >= 2  # the known item brings its known neighbours
    assert prediction[0] != prediction[1]


def test_graph_pipeline_saves_loads_and_exports_identically(pair_model, tmp_path):
    import onnxruntime

    import skmm
    from skmm.network import serving_network

    model, X, _ = pair_model
    query = X.iloc[300:]
    expected = model.predict(query)
    skmm.save(model, tmp_path / "model.skmm")
    assert_array_equal(skmm.load(tmp_path / "model.skmm").predict(query), expected)
    regressor = model[-1]
    inputs = skmm.serving_inputs(regressor, model[0].transform(query))
    reference = serving_network(regressor.model_)(inputs, training=False).numpy()
    onnx_path = skmm.export_onnx(model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert {i.name: i.shape for i in session.get_inputs()}["pair"] == ["batch", 2, 13, 1]
    assert_allclose(session.run(["output"], inputs)[0], reference, rtol=1e-5, atol=1e-5)


def test_classifier_cv_multi_task_encoders_and_l2_take_graph_blocks():
    from skmm import MultimodalClassifierCV

    X, y, graph = sbm_table(seed=2, n_per_block=20)
    block = MultimodalInput([("graph", GraphNeighborhood(graph, n_neighbors=(3, 2)), ["node"])])
    blocks = block.fit_transform(X, y)
    small = dict(epochs=1, **SMALL)
    cv = MultimodalClassifierCV(l2s=2, cv=2, path_epochs=1, graph_encoder="max", **small)
    assert cv.fit(blocks, y).predict(blocks).shape == (len(y),)
    multi = MultimodalClassifier(graph_encoder="attention", l2=1e-3, **small)
    multi.fit(blocks, np.column_stack([y, y % 2]))
    assert multi.predict(blocks).shape == (len(y), 2)
    kernels = [layer for layer in multi.model_.layers if layer.name.startswith("graph_sage")] + [
        multi.model_.get_layer("graph_node_embedding")
    ]
    assert kernels and all(
        getattr(layer, "kernel_regularizer", None) is not None
        or getattr(layer, "embeddings_regularizer", None) is not None
        for layer in kernels
    )


def test_resampled_training_and_polars_input():
    import polars as pl

    X, y = ratings_table(seed=3)
    model = _pair_model(GraphNeighborhood(n_neighbors=(3,), resample=True, random_state=0))
    model.fit(X, y)
    assert type(model[0].fit_transform(X)["pair"]).__name__ == "LazyNeighborhoods"
    assert_array_equal(model.predict(pl.from_pandas(X)), model.predict(X))


def test_modality_importance_of_a_graph_block(pair_model):
    from skmm.plotting import modality_importance

    model, X, y = pair_model
    result = modality_importance(model, X.iloc[300:], y[300:], n_repeats=2, random_state=0)
    assert set(result.modalities) == {"pair", "age"}


def test_the_cli_trains_on_a_graph(tmp_path, capsys):
    from tests.cli.test_errors import run

    X, y, graph = sbm_table(seed=3, n_per_block=15)
    edges = pd.DataFrame(
        [
            (graph.ids[0][a], graph.ids[0][b])
            for a in range(graph.n_nodes)
            for b in graph.indices[graph.indptr[a] : graph.indptr[a + 1]]
            if a < b
        ],
        columns=["source", "target"],
    )
    edges.to_csv(tmp_path / "edges.csv", index=False)
    X.assign(label=y).to_csv(tmp_path / "train.csv", index=False)
    model = tmp_path / "model.skmm"
    code, _, err = run(
        capsys, "fit", tmp_path / "train.csv", "--target", "label", "--text", "text",
        "--graph-edges", tmp_path / "edges.csv", "--node", "node",
        "--param", "epochs=1", "--out", model,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "predict", model, tmp_path / "train.csv")
    assert code == 0, err
    assert len(out.strip().splitlines()) == len(y) + 1
    code, _, err = run(
        capsys, "fit", tmp_path / "train.csv", "--target", "label", "--node", "node",
        "--out", model,
    )  # fmt: skip
    assert code != 0 and "--node with one column needs --graph-edges" in err
