"""Pretrained encoders from local Keras-Hub presets: tokenizer, text and image backbones,
what trains and how fast, offline fit / save / load / export.

The presets are tiny random-weight ones written here (tests/_presets.py):
nothing is downloaded, and the tests that matter run with every socket blocked.
"""

import pickle
import shutil
import socket
import warnings

import keras
import numpy as np
import pytest
from PIL import Image
from sklearn.pipeline import make_pipeline

pytest.importorskip("keras_hub")

import skmm  # noqa: E402
from skmm import (  # noqa: E402
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalInput,
    PresetTokenizer,
)
from skmm._compat import InvalidParameterError  # noqa: E402
from tests._presets import (  # noqa: E402
    VOCABULARY,
    reviews,
    write_image_preset,
    write_text_preset,
)

FAST = dict(epochs=2, hidden_units=(8,), tabular_units=(8,), batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def text_preset(tmp_path_factory):
    return write_text_preset(tmp_path_factory.mktemp("bert_tiny"))


@pytest.fixture(scope="module")
def image_preset(tmp_path_factory):
    return write_image_preset(tmp_path_factory.mktemp("resnet_tiny"), size=16)


@pytest.fixture
def no_network(monkeypatch):
    """Every way out of the machine raises."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _text_pipeline(preset, **params):
    return make_pipeline(
        MultimodalInput(
            [
                ("review", PresetTokenizer(preset, sequence_length=12), "review"),
                ("num", "passthrough", ["x"]),
            ]
        ),
        MultimodalClassifier(**{**FAST, **params}),
    )


# -- the tokenizer ---------------------------------------------------------------------


def test_the_tokenizer_writes_start_tokens_end_padding_and_masks(text_preset, tmp_path):
    tokens = PresetTokenizer(text_preset, sequence_length=6).fit(["Good film", "bad"])
    rows = tokens.transform(["Good film", None, "good good good good good good", "  "])
    ids, mask = rows[:, 0], rows[:, 1]
    vocab = {token: i for i, token in enumerate(VOCABULARY)}
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    assert rows.dtype == np.int32 and rows.shape == (4, 2, 6)
    assert ids[0].tolist() == [cls, vocab["good"], vocab["film"], sep, 0, 0]  # lowercased
    assert mask[0].tolist() == [1, 1, 1, 1, 0, 0]
    assert ids[1].tolist() == mask[1].tolist() == [0] * 6  # missing: padding, mask 0
    assert ids[2].tolist() == [cls, *[vocab["good"]] * 4, sep]  # cut, end token kept
    assert mask[3].sum() == 0  # blank is missing
    assert tokens.get_block_info()["kind"] == "pretrained_text"
    assert (tokens.pad_token_id_, tokens.start_token_id_, tokens.end_token_id_) == (0, cls, sep)
    # the fitted tokenizer needs the directory no more: it carries its vocabulary
    copy = shutil.copytree(text_preset, tmp_path / "copy")
    moved = PresetTokenizer(copy, sequence_length=6).fit(["good"])
    shutil.rmtree(copy)
    again = pickle.loads(pickle.dumps(moved))
    np.testing.assert_array_equal(again.transform(["Good film"]), rows[:1])


def test_the_tokenizer_chooses_a_length_and_names_bad_rows(text_preset):
    import pandas as pd

    texts = pd.Series(["good film"] * 29 + ["good " * 60], name="review")
    tokens = PresetTokenizer(text_preset).fit(texts)
    assert tokens.sequence_length_ == 8  # 95 % of the texts (4 tokens), a multiple of 8
    assert PresetTokenizer(text_preset).fit(["good " * 60]).sequence_length_ == 32  # the cap
    with pytest.raises(ValueError, match=r"'review'.*row 1.*missing"):
        PresetTokenizer(text_preset, missing="error").fit(pd.Series(["good", None], name="review"))
    with pytest.raises(TypeError, match=r"row 1.*int"):
        tokens.transform(pd.Series(["good", 3], name="review"))


@pytest.mark.parametrize(
    "handle, match",
    [
        ("kaggle://keras/bert/keras/bert_tiny_en_uncased/2", "remote handle"),
        ("hf://google-bert/bert-base-uncased", "remote handle"),
        ("https://example.org/bert.tar.gz", "remote handle"),
        ("bert_base_en", "preset name, which would be downloaded"),
        ("/no/such/preset", "is not a directory"),
    ],
)
def test_remote_handles_and_missing_presets_are_refused(handle, match, no_network):
    with pytest.raises(ValueError, match=rf"PresetTokenizer\(preset=\.\.\.\)=.*{match}"):
        PresetTokenizer(handle).fit(["good"])


def test_a_directory_that_is_no_preset_and_remote_image_weights_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a Keras-Hub preset directory: it has no tokenizer"):
        PresetTokenizer(tmp_path).fit(["good"])
    X, y = reviews(12)
    images = np.random.default_rng(0).random((12, 32, 32, 3)).astype("float32")
    blocks = {"image": images}
    with pytest.raises(InvalidParameterError, match="image_weights='imagenet'.*never downloads"):
        MultimodalClassifier(image_encoder="MobileNetV2", image_weights="imagenet", **FAST).fit(
            blocks, y
        )
    with pytest.raises(InvalidParameterError, match=r"image_weights.*=.*kaggle://.*remote"):
        MultimodalClassifier(image_encoder="preset", image_weights="kaggle://x/y", **FAST).fit(
            blocks, y
        )
    with pytest.raises(InvalidParameterError, match="give its path as image_weights"):
        MultimodalClassifier(image_encoder="preset", **FAST).fit(blocks, y)


# -- offline, end to end -----------------------------------------------------------------


def _image_files(folder, y, size):
    rng = np.random.default_rng(0)
    paths = []
    for i, label in enumerate(y):
        pixels = rng.random((size, size, 3)) * 90 + (140 if label else 10)
        paths.append(str(folder / f"{i}.png"))
        Image.fromarray(pixels.astype("uint8")).save(paths[-1])
    return paths


def test_text_and_image_presets_fit_predict_save_load_and_export_offline(
    text_preset, image_preset, tmp_path, no_network
):
    import onnxruntime

    X, y = reviews(32)
    X["image"] = _image_files(tmp_path, y, 16)
    text = shutil.copytree(text_preset, tmp_path / "text")
    image = shutil.copytree(image_preset, tmp_path / "image")
    model = make_pipeline(
        MultimodalInput(
            [
                ("review", PresetTokenizer(text, sequence_length=12), "review"),
                ("photo", ImageNormalizer(size=(16, 16)), "image"),
                ("num", "passthrough", ["x"]),
            ]
        ),
        MultimodalClassifier(image_encoder="preset", image_weights=image, **FAST),
    ).fit(X, y)
    network = model[-1].model_
    assert {"review_backbone", "photo_backbone"} <= {layer.name for layer in network.layers}
    proba = model.predict_proba(X)
    assert proba.shape == (32, 2)

    skmm.save(model, tmp_path / "model.skmm")
    shutil.rmtree(text)  # a saved model needs no preset directory
    shutil.rmtree(image)
    loaded = skmm.load(tmp_path / "model.skmm")
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)

    inputs = skmm.serving_inputs(model, X)
    skmm.export_onnx(model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"))
    np.testing.assert_allclose(session.run(["output"], inputs)[0][:, 0], proba[:, 1], atol=1e-5)
    import tensorflow as tf

    skmm.export_saved_model(model, tmp_path / "saved")  # (a backbone is one more layer)
    serve = tf.saved_model.load(str(tmp_path / "saved")).signatures["serving_default"]
    served = serve(**{k: tf.constant(v) for k, v in inputs.items()})["output"].numpy()
    np.testing.assert_allclose(served[:, 0], proba[:, 1], atol=1e-5)


def test_an_image_preset_needs_its_image_size(image_preset):
    X = {"image": np.random.default_rng(0).random((8, 24, 24, 3)).astype("float32")}
    with pytest.raises(InvalidParameterError, match=r"reads 16x16 images.*size=\(16, 16\)"):
        MultimodalClassifier(image_encoder="preset", image_weights=image_preset, **FAST).fit(
            X, np.arange(8) % 2
        )


# -- what trains ---------------------------------------------------------------------------


def _weights(layer):
    import keras

    return {v.path: keras.ops.convert_to_numpy(v) for v in layer.weights}


ALL = {"embedding", "transformer_layer_0", "transformer_layer_1"}


class FirstEpochSnapshot(keras.callbacks.Callback):
    """The backbone's weights at the end of the first epoch."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.snapshot = _weights(self.model.get_layer("review_backbone"))

    def __reduce__(self):  # pickled with the estimator's parameters: an empty one
        return (type(self), ())


@pytest.mark.parametrize(
    "params, moved, after_the_first_epoch",
    [
        # a frozen backbone, its mean token state the features the head learns from
        (
            {"backbone_trainable": False, "text_pooling": "mean", "epochs": 12},
            set(),
            None,
        ),
        ({"backbone_trainable": 1}, {"transformer_layer_1"}, None),
        # the first epoch trains the head alone, the second every backbone weight
        ({"backbone_trainable": True, "head_epochs": 1}, ALL, set()),
    ],
    ids=["frozen", "top layer", "head first, then all"],
)
def test_backbone_trainable_and_head_epochs_decide_what_moves(
    text_preset, params, moved, after_the_first_epoch
):
    import keras_hub

    from skmm._compat import learning_rate_factor

    def moved_since(before, layer):
        after = _weights(layer)
        changed = {path for path in after if not np.array_equal(before[path], after[path])}
        return {"embedding" if "embedding" in path else path.split("/")[0] for path in changed}

    X, y = reviews(40)
    before = _weights(keras_hub.models.Backbone.from_preset(text_preset))
    first = FirstEpochSnapshot()
    model = _text_pipeline(
        text_preset, early_stopping=False, callbacks=[first], learning_rate=0.03, **params
    )
    model.fit(X, y)
    network = model[-1].model_
    if params.get("text_pooling") == "mean":
        assert "review_pool" in {layer.name for layer in network.layers}
        assert model.score(X, y) > 0.8  # random BERT features of the sentiment words
    backbone = network.get_layer("review_backbone")
    assert moved_since(before, backbone) == moved
    if after_the_first_epoch is not None:
        snapshot = first.snapshot
        changed = {path for path in snapshot if not np.array_equal(before[path], snapshot[path])}
        assert changed == after_the_first_epoch
    # the learning rate factor (0.1 by default) is on the backbone's weights only
    optimizer = network.optimizer
    factors = {learning_rate_factor(optimizer, v) for v in backbone.trainable_variables}
    assert factors == (set() if params["backbone_trainable"] is False else {0.1})
    assert learning_rate_factor(optimizer, network.get_layer("fused_output").kernel) == 1.0
    # a network saved with frozen weights loads with the same optimizer (no skipped state)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        again = pickle.loads(pickle.dumps(model))
    assert len(again[-1].model_.trainable_variables) == len(network.trainable_variables)
    assert len(again[-1].model_.optimizer.variables) == len(optimizer.variables)


def test_the_learning_rate_factor_scales_each_step():
    import keras

    from skmm._compat import fuse_adam_update_step, set_learning_rate_factors

    def value(variable):
        return keras.ops.convert_to_numpy(variable)

    for optimizer in (keras.optimizers.SGD(0.1), fuse_adam_update_step(keras.optimizers.Adam(0.1))):
        slow, fast = keras.Variable(np.ones(3, "float32")), keras.Variable(np.ones(3, "float32"))
        optimizer.build([slow, fast])
        set_learning_rate_factors(optimizer, [slow], 0.25)
        gradient = keras.ops.ones(3)
        optimizer.apply([gradient, gradient], [slow, fast])
        np.testing.assert_allclose(1 - value(slow), 0.25 * (1 - value(fast)), rtol=1e-5)
        set_learning_rate_factors(optimizer, [slow], 1.0)  # and back
        moved = value(slow) - value(fast)
        optimizer.apply([gradient, gradient], [slow, fast])
        assert np.allclose(value(slow) - value(fast), moved, rtol=1e-3)
