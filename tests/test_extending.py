"""A block kind declared from outside the package: docs/extending.md's worked example
runs as written, and the registry's rules hold (nothing here touches skmm's files)."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

from skmm._compat import InvalidParameterError
from skmm.compose import BlockSpec, MultimodalInput
from skmm.modalities import (
    Modality,
    get_modality,
    modality_kinds,
    register_modality,
    unregister_modality,
)
from skmm.network import (
    Fusion,
    ImageEncoder,
    TextEncoder,
    fusion_names,
    get_fusion,
    get_image_encoder,
    get_text_encoder,
    image_encoder_names,
    register_fusion,
    register_image_encoder,
    register_text_encoder,
    text_encoder_names,
    unregister_fusion,
    unregister_image_encoder,
    unregister_text_encoder,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


@pytest.fixture
def registered():
    """Kinds, fusions and encoders registered by a test, removed after it."""
    kinds, fusions, encoders = set(modality_kinds()), set(fusion_names()), text_encoder_names()
    images = image_encoder_names()
    yield
    for name in set(image_encoder_names()) - set(images):
        unregister_image_encoder(name)
    for kind in set(modality_kinds()) - kinds:
        unregister_modality(kind)
    for name in set(fusion_names()) - fusions:
        unregister_fusion(name)
    for name in set(text_encoder_names()) - set(encoders):
        unregister_text_encoder(name)


def test_the_worked_example_of_docs_extending_runs(registered, capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 4
    namespace = {}
    for block in blocks[:2]:
        exec(compile(block, str(DOC), "exec"), namespace)
    spec = namespace["model"][0].block_specs_["readings"]
    assert (spec.kind, spec.shape, spec.presence, spec.detail("length")) == (
        "series",
        (16, 1),
        True,
        16,
    )
    accuracy = float(capsys.readouterr().out.rsplit("held-out accuracy:", 1)[1])
    assert accuracy >= 0.8
    network = namespace["model"][-1].model_
    assert "readings_conv" in [layer.name for layer in network.layers]
    assert "readings_present" in [tensor.name for tensor in network.inputs]

    exec(compile(blocks[2], str(DOC), "exec"), namespace)
    accuracy = float(capsys.readouterr().out.rsplit("held-out accuracy:", 1)[1])
    assert accuracy >= 0.8
    names = [layer.name for layer in namespace["model"][-1].model_.layers]
    assert {"fusion_max", "readings_max_masked", "note_max_projection"} <= set(names)

    exec(compile(blocks[3], str(DOC), "exec"), namespace)
    accuracy = float(capsys.readouterr().out.rsplit("held-out accuracy:", 1)[1])
    assert accuracy >= 0.8
    names = [layer.name for layer in namespace["model"][-1].model_.layers]
    assert {"note_word_features", "note_mean_of_words"} <= set(names)


class Pairs(TransformerMixin, BaseEstimator):
    """A toy transformer: two numeric columns -> rows of shape (2, 1)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float32)[..., None]

    def get_block_info(self):
        return {"kind": "pair", "scale": 2.0}


def _flatten_encoder(inputs, spec, *, l2, tabular_units):
    import keras

    x = keras.layers.Flatten(name=f"{spec.name}_flat")(inputs)
    return keras.layers.Dense(tabular_units[0], activation="relu", name=f"{spec.name}_dense")(x)


def _pair(**changes):
    fields = dict(
        kind="pair",
        dtype="float32",
        row_ndim=2,
        encoder=_flatten_encoder,
        encoder_settings=("tabular_units",),
        info_keys=("scale",),
        description="pairs (n, 2, 1)",
    )
    return Modality(**{**fields, **changes})


def _frame(n=80, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"a": y + rng.normal(0, 0.3, n), "b": rng.normal(0, 1, n)}), y


def test_a_registered_kind_trains_and_uses_the_settings_it_declares(registered):
    from skmm import MultimodalClassifier

    register_modality(_pair())
    X, y = _frame()
    inp = MultimodalInput([("pair", Pairs(), ["a", "b"])])
    blocks = inp.fit_transform(X, y)
    spec = blocks.specs["pair"]
    assert (spec.kind, spec.shape, spec.dtype, spec.presence) == ("pair", (2, 1), "float32", False)
    assert spec.details == (("scale", 2.0),)
    clf = MultimodalClassifier(epochs=20, tabular_units=(7,), random_state=0).fit(blocks, y)
    assert clf.model_.get_layer("pair_dense").units == 7
    assert clf.score(inp.transform(X), y) >= 0.8


def test_the_registry_refuses_what_it_cannot_use(registered):
    with pytest.raises(ValueError, match="already registered"):
        register_modality(_pair(kind="text"))
    with pytest.raises(TypeError, match="expects a Modality"):
        register_modality("pair")
    with pytest.raises(ValueError, match="dtype must be one of"):
        _pair(dtype="float64")
    with pytest.raises(ValueError, match="row_ndim must be a positive int"):
        _pair(row_ndim=0)
    with pytest.raises(ValueError, match="encoder must be callable"):
        _pair(encoder="flatten")
    with pytest.raises(ValueError, match="encoder_choice 'x' is not one of"):
        _pair(encoder_choice="x")
    with pytest.raises(ValueError, match=r"Unknown block kind 'pair'; the registered kinds"):
        get_modality("pair")
    with pytest.raises(ValueError, match="Block 'p': Unknown block kind 'pair'"):
        BlockSpec("p", "pair", (2, 1), "float32")
    X, y = _frame()
    with pytest.raises(ValueError, match=r"Block 'pair'.*get_block_info.*Unknown block kind"):
        MultimodalInput([("pair", Pairs(), ["a", "b"])]).fit_transform(X, y)


def test_replace_swaps_a_declaration(registered):
    register_modality(_pair())
    register_modality(_pair(description="other"), replace=True)
    assert get_modality("pair").description == "other"


def test_the_declared_row_rank_and_row_check_are_enforced(registered):
    from skmm import MultimodalClassifier

    def negative_rows(array, spec):
        return (array.reshape(len(array), -1) < -5).any(axis=1), "values below -5"

    register_modality(_pair(row_ndim=1))
    X, y = _frame()
    with pytest.raises(ValueError, match=r"Block 'pair': a pair block holds 2-D rows"):
        MultimodalInput([("pair", Pairs(), ["a", "b"])]).fit_transform(X, y)

    register_modality(_pair(invalid_rows=negative_rows), replace=True)
    blocks = MultimodalInput([("pair", Pairs(), ["a", "b"])]).fit_transform(X, y)
    clf = MultimodalClassifier(epochs=1, random_state=0).fit(blocks, y)
    X.loc[5, "b"] = -9.0
    bad = MultimodalInput([("pair", Pairs(), ["a", "b"])]).fit_transform(X, y)
    with pytest.raises(ValueError, match=r"Block 'pair': row 5 holds values below -5"):
        clf.predict(bad)

    register_modality(_pair(invalid_rows=negative_rows, checked_after_transform=True), replace=True)
    with pytest.raises(ValueError, match=r"row 5 \(index 5\) holds values below -5 after"):
        MultimodalInput([("pair", Pairs(), ["a", "b"])]).fit_transform(X, y)


def test_an_encoder_that_asks_for_an_unknown_setting_or_returns_a_bad_tensor(registered):
    from skmm import MultimodalClassifier

    def wrong_rank(inputs, spec, *, l2):
        return inputs  # (batch, 2, 1): not (batch, features)

    def no_setting(inputs, spec, *, l2, pair_units):
        raise AssertionError("never built")

    X, y = _frame()
    register_modality(_pair(encoder=no_setting, encoder_settings=("pair_units",)))
    blocks = MultimodalInput([("pair", Pairs(), ["a", "b"])]).fit_transform(X, y)
    with pytest.raises(ValueError, match=r"Block 'pair'.*asks for the settings \['pair_units'\]"):
        MultimodalClassifier(epochs=1).fit(blocks, y)
    register_modality(_pair(encoder=wrong_rank, encoder_settings=()), replace=True)
    with pytest.raises(ValueError, match=r"Block 'pair'.*\(batch, features\) Keras tensor"):
        MultimodalClassifier(epochs=1).fit(blocks, y)


def test_a_kind_read_from_a_bare_array_in_a_dict(registered):
    from skmm import MultimodalClassifier

    def from_3d(name, array):
        if array.ndim == 3 and array.shape[1:] == (2, 1):
            return BlockSpec(name, "pair", (2, 1), "float32")
        return None

    register_modality(_pair(from_array=from_3d))
    X, y = _frame()
    pairs = X.to_numpy(dtype=np.float32)[..., None]
    clf = MultimodalClassifier(epochs=1, random_state=0).fit({"p": pairs}, y)
    assert clf.block_specs_["p"].kind == "pair"
    with pytest.raises(ValueError, match=r"cannot tell what an array of shape .* pair: pairs"):
        MultimodalClassifier(epochs=1).fit({"p": np.zeros((80, 3, 3))}, y)


def _sum_fusion(blocks, *, reg, fusion_units):
    from keras import layers

    projected = [
        layers.Dense(fusion_units, name=f"{name}_sum_projection")(feat) for name, feat, _ in blocks
    ]
    return projected[0] if len(projected) == 1 else layers.Add(name="fusion_sum_of")(projected)


def _max_of_predictions(blocks, outputs, *, n_outputs):
    from keras import layers

    return layers.Maximum(name="output")(outputs)


def _two_blocks(n=80, seed=0):
    X, y = _frame(n, seed)
    inp = MultimodalInput([("a", "passthrough", ["a"]), ("b", "passthrough", ["b"])])
    return inp.fit_transform(X, y), y


def test_a_registered_fusion_is_selected_by_name_and_reads_its_settings(registered):
    from skmm import MultimodalClassifier

    register_fusion(Fusion("sum", _sum_fusion, settings=("fusion_units",)))
    blocks, y = _two_blocks()
    clf = MultimodalClassifier(fusion="sum", fusion_units=5, epochs=20, random_state=0)
    clf.fit(blocks, y)
    assert clf.model_.get_layer("a_sum_projection").units == 5
    assert "fusion_sum_of" in [layer.name for layer in clf.model_.layers]
    assert clf.score(blocks, y) >= 0.8

    register_fusion(Fusion("max_late", _max_of_predictions, combines="predictions"))
    clf = MultimodalClassifier(fusion="max_late", balance=None, epochs=2, random_state=0)
    clf.fit(blocks, y)
    assert {"a_output", "b_output"} <= {layer.name for layer in clf.model_.layers}
    assert clf.predict_proba(blocks).shape == (80, 2)


def test_the_fusion_registry_refuses_what_it_cannot_use(registered):
    from skmm import MultimodalClassifier

    assert get_fusion("concat").combines == "features"
    assert get_fusion("late").combines == "predictions"
    with pytest.raises(ValueError, match="already registered"):
        register_fusion(Fusion("concat", _sum_fusion))
    with pytest.raises(TypeError, match="expects a Fusion"):
        register_fusion(_sum_fusion)
    with pytest.raises(ValueError, match=r"unknown settings \['units'\]"):
        Fusion("sum", _sum_fusion, settings=("units",))
    with pytest.raises(ValueError, match="combines must be one of"):
        Fusion("sum", _sum_fusion, combines="heads")
    with pytest.raises(ValueError, match="function must be callable"):
        Fusion("sum", "add")
    blocks, y = _two_blocks()
    with pytest.raises(
        InvalidParameterError,
        match=r"'fusion' parameter of MultimodalClassifier must be a str among 'concat', 'gated'",
    ):
        MultimodalClassifier(fusion="sum", epochs=1).fit(blocks, y)

    register_fusion(Fusion("flat", lambda blocks, *, reg: blocks[0][1][:, None]))
    with pytest.raises(ValueError, match=r"fusion 'flat' must return a \(batch, features\)"):
        MultimodalClassifier(fusion="flat", epochs=1).fit(blocks, y)


def _first_token_embedding(inputs, spec, *, reg, embedding_dim, text_units):
    from keras import layers

    x = layers.Embedding(spec.vocabulary_size, text_units, name=f"{spec.name}_first_embedding")
    return layers.Flatten(name=f"{spec.name}_first_token")(x(inputs[:, :1]))


def test_a_registered_text_encoder_is_selected_tuned_and_refused_when_unknown(registered):
    from sklearn.model_selection import GridSearchCV

    from skmm import MultimodalClassifier, TextTokenizer

    assert text_encoder_names()[:5] == ("bag", "lstm", "gru", "cnn", "transformer")
    assert get_text_encoder("bag").description
    with pytest.raises(ValueError, match="already registered"):
        register_text_encoder(TextEncoder("bag", _first_token_embedding))
    with pytest.raises(TypeError, match="expects a TextEncoder"):
        register_text_encoder(_first_token_embedding)
    with pytest.raises(ValueError, match="function must be callable"):
        TextEncoder("first", "embedding")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    X = pd.DataFrame({"note": [f"{'good' if v else 'bad'} item {i}" for i, v in enumerate(y)]})
    model = make_pipeline(
        MultimodalInput([("note", TextTokenizer(char_ngrams=None), "note")]),
        MultimodalClassifier(epochs=30, random_state=0),
    )
    with pytest.raises(
        InvalidParameterError, match=r"'text_encoder' parameter .* must be a str among 'bag'"
    ):
        model.set_params(multimodalclassifier__text_encoder="first").fit(X, y)

    register_text_encoder(TextEncoder("first", _first_token_embedding))
    search = GridSearchCV(
        model, {"multimodalclassifier__text_encoder": ["first", "bag"]}, cv=2
    ).fit(X, y)
    assert list(search.cv_results_["param_multimodalclassifier__text_encoder"]) == ["first", "bag"]
    names = [layer.name for layer in search.best_estimator_[-1].model_.layers]
    best = search.best_params_["multimodalclassifier__text_encoder"]
    assert ("note_first_token" in names) == (best == "first")
    # the first word is the label: the registered encoder learns it
    assert search.cv_results_["mean_test_score"][0] >= 0.9
    unregister_text_encoder("first")
    with pytest.raises(ValueError, match="Unknown text_encoder 'first'"):
        get_text_encoder("first")


def _mean_colour(inputs, spec, *, reg, image_filters, image_width_multiplier, image_weights):
    import keras

    return keras.layers.GlobalAveragePooling2D(name=f"{spec.name}_mean_colour")(inputs)


def test_a_registered_image_encoder_is_chosen_for_every_image_block_or_for_one(registered):
    from skmm import MultimodalClassifier

    assert image_encoder_names()[0] == "cnn"
    assert "MobileNetV2" in image_encoder_names()  # keras.applications, registered by name
    with pytest.raises(ValueError, match="already registered"):
        register_image_encoder(ImageEncoder("cnn", _mean_colour))
    rng = np.random.default_rng(0)
    X = {
        "front": rng.random((40, 8, 8, 3), dtype=np.float32),
        "back": rng.random((40, 8, 8, 3), dtype=np.float32),
    }
    y = (X["front"][:, :, :, 0].mean(axis=(1, 2)) > 0.5).astype(int)
    settings = dict(image_filters=(4,), hidden_units=(4,), epochs=1, random_state=0)
    with pytest.raises(InvalidParameterError, match=r"'image_encoder' parameter .* 'cnn'"):
        MultimodalClassifier(image_encoder="mean_colour", **settings).fit(X, y)
    register_image_encoder(ImageEncoder("mean_colour", _mean_colour, "mean of each channel"))
    assert get_image_encoder("mean_colour").description == "mean of each channel"
    every = MultimodalClassifier(image_encoder="mean_colour", **settings).fit(X, y)
    names = {layer.name for layer in every.model_.layers}
    assert {"front_mean_colour", "back_mean_colour"} <= names and "front_conv0" not in names
    one = MultimodalClassifier(encoders__back__encoder="mean_colour", **settings).fit(X, y)
    names = {layer.name for layer in one.model_.layers}
    assert {"front_conv0", "back_mean_colour"} <= names and "back_conv0" not in names
    unregister_image_encoder("mean_colour")
    with pytest.raises(ValueError, match="Unknown image_encoder 'mean_colour'"):
        get_image_encoder("mean_colour")
