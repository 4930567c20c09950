"""A fitted model's features for other estimators (``transform``), and a block's encoder
carried to a new model (``TransferredEncoder``)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmm
from skmm import MultimodalClassifier, MultimodalInput, MultimodalRegressor, TextTokenizer
from skmm.compose import FrozenTransformer, TransferredEncoder
from tests._presets import reviews
from tests.conftest import TINY

# -- embeddings ------------------------------------------------------------------------------


def test_transform_gives_the_fused_features_named_and_as_pandas(fitted_pipeline, small_data):
    X, _ = small_data
    clf = fitted_pipeline[-1]  # shared: its output configuration is put back below
    blocks = fitted_pipeline[0].transform(X)
    features = clf.transform(blocks)
    width = clf.model_.get_layer("fused_features").output.shape[-1]
    assert features.shape == (len(X), width) and features.dtype == np.float32
    names = clf.get_feature_names_out()
    assert list(names[:2]) == ["fused_0", "fused_1"] and len(names) == width
    try:
        frame = clf.set_output(transform="pandas").transform(blocks)
    finally:
        clf.set_output(transform="default")
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(names)
    np.testing.assert_array_equal(frame.to_numpy(), features)


def test_transform_needs_a_fitted_network():
    with pytest.raises(NotFittedError, match="call fit before transform"):
        MultimodalRegressor().transform(np.zeros((2, 3)))


def test_embeddings_feed_a_logistic_regression_that_beats_the_raw_columns():
    """The quickstart's data (16-pixel images) and network: a LogisticRegression on the fitted skmm
    model's features is better than one on the table's numeric columns (the
    label needs the caption's keyword and the image's shape, which the raw
    columns do not hold)."""
    from skmm import ImageNormalizer
    from skmm.datasets import make_multimodal_classification

    X, y = make_multimodal_classification(n_samples=600, image_size=16, random_state=0)
    train, test = slice(0, 400), slice(400, 600)
    embedded = make_pipeline(
        MultimodalInput(
            [
                ("text", TextTokenizer(max_tokens=5000, sequence_length=24), "caption"),
                ("image", ImageNormalizer(size=(16, 16)), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        ),
        MultimodalClassifier(
            epochs=10, learning_rate=3e-3, image_width_multiplier=0.25, random_state=0
        ),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    ).fit(X[train], y[train])
    raw = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    raw.fit(X[train][["x0", "x1"]], y[train])
    embedded_score = embedded.score(X[test], y[test])
    raw_score = raw.score(X[test][["x0", "x1"]], y[test])
    assert embedded_score > raw_score + 0.05, (embedded_score, raw_score)


# -- transfer ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source():
    X, y = reviews(160, seed=1)
    return make_pipeline(
        MultimodalInput([("review", TextTokenizer(), "review")]),
        MultimodalClassifier(**{**TINY, "epochs": 10}),
    ).fit(X, y)


def _target(transfer, **params):
    return make_pipeline(
        MultimodalInput(
            [("review", transfer.transformer, "review"), ("num", "passthrough", ["x"])]
        ),
        MultimodalClassifier(block_encoders={"review": transfer}, **{**TINY, **params}),
    )


def _weights(layer):
    import keras

    return [keras.ops.convert_to_numpy(v) for v in layer.weights]


def test_a_transferred_encoder_is_frozen_or_fine_tuned_and_leaves_the_source_alone(
    source, tmp_path
):
    transfer = TransferredEncoder.from_estimator(source, "review")
    assert isinstance(transfer.transformer, FrozenTransformer)
    assert transfer.kind == "text" and transfer.shape == source[-1].block_specs_["review"].shape
    source_weights = _weights(source[-1].model_.get_layer("review_embedding"))
    X, y = reviews(40, seed=2)
    X["review"] = X["review"].str.replace("film", "movie")  # a word the source never saw

    X.loc[X.index[:3], "review"] = None

    frozen = _target(transfer, backbone_trainable=False).fit(X, y)
    backbone = frozen[-1].model_.get_layer("review_backbone")
    for before, after in zip(transfer.weights, _weights(backbone), strict=True):
        np.testing.assert_array_equal(before, after)
    # the blocks' embeddings side by side, zero where the block is missing
    features = frozen[-1].set_params(embedding="blocks").transform(frozen[0].transform(X))
    names = frozen[-1].get_feature_names_out()
    text = np.array([name.startswith("review_") for name in names])
    assert {name.rsplit("_", 1)[0] for name in names} == {"review", "num"}
    assert np.all(features[:3][:, text] == 0) and np.any(features[3:][:, text] != 0)
    # the source's vocabulary reads the new rows: "movie" is out of its vocabulary
    assert (
        transfer.transformer.estimator.vocabulary_
        == source[0].named_transformers_["review"].vocabulary_
    )
    assert "movie" not in transfer.transformer.vocabulary_

    tuned = _target(transfer, backbone_trainable=True, backbone_lr_factor=1.0).fit(X, y)
    moved = _weights(tuned[-1].model_.get_layer("review_backbone"))
    assert any(not np.array_equal(a, b) for a, b in zip(transfer.weights, moved, strict=True))
    for before, after in zip(
        source_weights, _weights(source[-1].model_.get_layer("review_embedding")), strict=True
    ):
        np.testing.assert_array_equal(before, after)

    assert clone(tuned)[-1].block_encoders["review"] is transfer  # clones share it
    skmm.save(tuned, tmp_path / "tuned.skmm")
    loaded = skmm.load(tmp_path / "tuned.skmm")
    np.testing.assert_array_equal(loaded.predict_proba(X), tuned.predict_proba(X))


def test_a_transfer_checks_the_block_it_meets(source):
    with pytest.raises(ValueError, match="no block 'text'; its blocks are 'review'"):
        TransferredEncoder.from_estimator(source, "text")
    with pytest.raises(ValueError, match="needs a fitted skmm estimator"):
        TransferredEncoder.from_estimator(MultimodalClassifier(), "review")
    transfer = TransferredEncoder.from_estimator(source, "review")
    X, y = reviews(20, seed=3)
    other = make_pipeline(
        MultimodalInput([("review", TextTokenizer(sequence_length=5), "review")]),
        MultimodalClassifier(block_encoders={"review": transfer}, **TINY),
    )
    with pytest.raises(ValueError, match=r"reads text rows of shape \(\d+,\).*\(5,\)"):
        other.fit(X, y)
