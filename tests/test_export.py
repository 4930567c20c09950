"""Exporting the fitted network (SavedModel, ONNX) and feeding the exported model."""

import copy
import functools
import json
import pickle
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skmm.network import serving_network
from tests.conftest import TINY, make_input

# Measured: the exported models differ from the Keras network by at most 1.8e-7
# (docs/export.md lists the figures per architecture).
RTOL, ATOL = 1e-5, 1e-6


def _query_rows(small_data):
    """Six rows, one with its text missing (None)."""
    X, _ = small_data
    X = X.iloc[:6].copy()
    X["caption"] = X["caption"].astype(object)
    X.loc[X.index[1], "caption"] = None
    return X


def _without_image(blocks, rows):
    """``blocks`` with the image of ``rows`` marked missing (zeros, presence 0)."""
    from skmm.compose import MultimodalBlocks

    arrays = dict(blocks)
    arrays["image"] = arrays["image"].copy()
    arrays["image"][rows] = 0.0
    masks = dict(blocks.masks)
    masks["image"] = masks["image"].copy()
    masks["image"][rows] = False
    return MultimodalBlocks(arrays, blocks.specs, masks)


def _rows(inputs, rows):
    return {name: value[rows] for name, value in inputs.items()}


@pytest.fixture(scope="module")
def exported(fitted_pipeline, small_data, tmp_path_factory):
    """The session pipeline exported both ways, with what it predicted before and after."""
    from skmm import export_onnx, export_saved_model

    clf = fitted_pipeline[-1]
    X = _query_rows(small_data)
    weights = [w.copy() for w in clf.model_.get_weights()]
    before = fitted_pipeline.predict_proba(X)
    root = tmp_path_factory.mktemp("export")
    saved_model = export_saved_model(fitted_pipeline, root / "saved_model")
    onnx_path = export_onnx(fitted_pipeline, root / "model.onnx")
    return dict(
        saved_model=saved_model,
        onnx=onnx_path,
        before=before,
        after=fitted_pipeline.predict_proba(X),
        weights=weights,
    )


@pytest.fixture(scope="module")
def query(fitted_pipeline, small_data):
    """Inputs of the session pipeline for six rows: row 1 without text, rows 2 and 4
    without image, with the Keras network's outputs and predict_proba."""
    from skmm import serving_inputs

    clf = fitted_pipeline[-1]
    blocks = _without_image(fitted_pipeline[0].transform(_query_rows(small_data)), [2, 4])
    inputs = serving_inputs(clf, blocks)
    return dict(
        inputs=inputs,
        keras=serving_network(clf.model_)(inputs, training=False).numpy(),
        proba=clf.predict_proba(blocks),
    )


def _serving_signature(path):
    import tensorflow as tf

    return tf.saved_model.load(str(path)).signatures["serving_default"]


def _onnx_session(path):
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _check_outputs(run, reference, inputs):
    """The exported model ``run`` on several rows and on each single row."""
    assert_allclose(run(inputs), reference, rtol=RTOL, atol=ATOL)
    for row in range(len(reference)):
        assert_allclose(run(_rows(inputs, [row])), reference[[row]], rtol=RTOL, atol=ATOL)


# -- serving_inputs -----------------------------------------------------------------


def test_serving_inputs_runs_the_fitted_preprocessing(fitted_pipeline, small_data):
    from skmm import serving_inputs

    X = _query_rows(small_data)
    inputs = serving_inputs(fitted_pipeline, X)
    clf = fitted_pipeline[-1]
    assert list(inputs) == [t.name for t in clf.model_.inputs]
    assert list(inputs) == ["text", "text_present", "image", "image_present", "tabular"]
    expected = clf.feature_encoder_.transform(fitted_pipeline[0].transform(X))
    for name, value in inputs.items():
        assert value.flags.c_contiguous
        assert_array_equal(value, expected[name])
    assert inputs["text"].dtype == np.int32 and inputs["text"].shape == (6, 12)
    assert inputs["image"].dtype == np.float32 and inputs["image"].shape == (6, 16, 16, 3)
    assert inputs["tabular"].dtype == np.float32 and inputs["tabular"].shape == (6, 2)
    assert_array_equal(inputs["text_present"][:, 0], [1, 0, 1, 1, 1, 1])
    assert_array_equal(inputs["text"][1], 0)  # a missing text is all padding
    assert_array_equal(inputs["image_present"], 1)
    assert inputs["text_present"].dtype == np.float32


def test_serving_inputs_decodes_a_lazy_block(fitted_pipeline, small_data):
    from skmm import serving_inputs
    from skmm.compose import MultimodalBlocks

    X = _query_rows(small_data)
    blocks = fitted_pipeline[0].transform(X)
    fitted = fitted_pipeline[0].named_transformers_["image"]  # its standardization
    lazy = copy.deepcopy(fitted).set_params(lazy=True).transform(X["image"])
    assert lazy.is_lazy_block
    lazy_blocks = MultimodalBlocks(dict(blocks, image=lazy), blocks.specs, blocks.masks)
    inputs = serving_inputs(fitted_pipeline[-1], lazy_blocks)
    assert type(inputs["image"]) is np.ndarray
    for name, value in serving_inputs(fitted_pipeline[-1], blocks).items():
        assert_array_equal(inputs[name], value)


def test_serving_inputs_checks_the_rows(fitted_pipeline, small_data):
    from skmm import serving_inputs

    X = _query_rows(small_data)
    X.loc[X.index[3], "x0"] = np.nan
    with pytest.raises(ValueError, match=r"Block 'tabular': row 3 .*NaN"):
        serving_inputs(fitted_pipeline, X)


# -- SavedModel -------------------------------------------------------------------


def test_saved_model_signature(exported, fitted_pipeline):
    signature = _serving_signature(exported["saved_model"])
    _, specs = signature.structured_input_signature
    described = {name: (spec.dtype.name, tuple(spec.shape)) for name, spec in specs.items()}
    assert described == {
        "text": ("int32", (None, 12)),
        "text_present": ("float32", (None, 1)),
        "image": ("float32", (None, 16, 16, 3)),
        "image_present": ("float32", (None, 1)),
        "tabular": ("float32", (None, 2)),
    }
    assert list(signature.structured_outputs) == ["output"]
    metadata = json.loads(
        (exported["saved_model"] / "assets.extra" / "skmm_export.json").read_text()
    )
    assert metadata["estimator"] == "MultimodalClassifier"
    assert metadata["classes"] == fitted_pipeline.classes_.tolist()
    assert [entry["name"] for entry in metadata["inputs"]] == [
        t.name for t in fitted_pipeline[-1].model_.inputs
    ]
    assert (metadata["output"]["name"], metadata["output"]["shape"]) == ("output", [None, 1])
    assert "probability of classes[1]" in metadata["output"]["description"]


def test_saved_model_reproduces_the_network(exported, query):
    signature = _serving_signature(exported["saved_model"])

    def run(inputs):
        return signature(**inputs)["output"].numpy()

    _check_outputs(run, query["keras"], query["inputs"])
    # binary classifier: the network gives P(classes_[1]); predict_proba both columns
    assert_allclose(run(query["inputs"])[:, 0], query["proba"][:, 1], rtol=RTOL, atol=ATOL)


# -- ONNX -------------------------------------------------------------------------


def test_onnx_inputs_output_and_metadata(exported, fitted_pipeline):
    import onnx

    session = _onnx_session(exported["onnx"])
    described = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    assert described == {
        "text": ("tensor(int32)", ["batch", 12]),
        "text_present": ("tensor(float)", ["batch", 1]),
        "image": ("tensor(float)", ["batch", 16, 16, 3]),
        "image_present": ("tensor(float)", ["batch", 1]),
        "tabular": ("tensor(float)", ["batch", 2]),
    }
    assert [(o.name, o.shape) for o in session.get_outputs()] == [("output", ["batch", 1])]
    props = {p.key: p.value for p in onnx.load(str(exported["onnx"])).metadata_props}
    metadata = json.loads(props["skmm"])
    assert metadata["classes"] == fitted_pipeline.classes_.tolist()
    assert [entry["name"] for entry in metadata["inputs"]] == [
        t.name for t in fitted_pipeline[-1].model_.inputs
    ]


def test_onnx_reproduces_the_network(exported, query):
    session = _onnx_session(exported["onnx"])

    def run(inputs):
        return session.run(["output"], inputs)[0]

    _check_outputs(run, query["keras"], query["inputs"])
    assert_allclose(run(query["inputs"])[:, 0], query["proba"][:, 1], rtol=RTOL, atol=ATOL)


def test_the_query_exercises_the_presence_inputs(fitted_pipeline, query):
    """Rows 2 and 4 have their image marked missing: marking it present instead changes
    the network's output, so the comparisons above cover the presence inputs."""
    inputs = query["inputs"]
    assert_array_equal(inputs["image_present"][:, 0], [1, 1, 0, 1, 0, 1])
    assert_array_equal(inputs["text_present"][:, 0], [1, 0, 1, 1, 1, 1])
    flipped = dict(inputs, image_present=np.ones_like(inputs["image_present"]))
    outputs = serving_network(fitted_pipeline[-1].model_)(flipped, training=False).numpy()
    assert_array_equal(outputs[[0, 1, 3, 5]], query["keras"][[0, 1, 3, 5]])
    assert np.abs(outputs[[2, 4]] - query["keras"][[2, 4]]).min() > 1e-4


# -- the estimator is left alone ----------------------------------------------------


def test_export_leaves_the_estimator_unchanged(exported, fitted_pipeline, small_data):
    assert_array_equal(exported["after"], exported["before"])
    weights = fitted_pipeline[-1].model_.get_weights()
    assert len(weights) == len(exported["weights"])
    for now, then in zip(weights, exported["weights"], strict=True):
        assert_array_equal(now, then)
    clone = pickle.loads(pickle.dumps(fitted_pipeline))
    assert_array_equal(clone.predict_proba(_query_rows(small_data)), exported["before"])


# -- another architecture -------------------------------------------------------------


@pytest.fixture(scope="module")
def attention_regressor(small_data):
    """A regressor with a transformer text encoder and attention fusion; its images
    may be missing (``missing="zeros"``)."""
    from sklearn.pipeline import make_pipeline

    from skmm import ImageNormalizer, MultimodalRegressor

    X, y = small_data
    preprocessing = make_input()
    preprocessing.transformers[1] = (
        "image",
        ImageNormalizer(size=(16, 16), missing="zeros"),
        "image",
    )
    params = dict(TINY, epochs=1, text_encoder="transformer", fusion="attention", fusion_units=8)
    return make_pipeline(preprocessing, MultimodalRegressor(**params)).fit(X, y * 2.0 - 1.0)


def test_attention_transformer_network_exports(attention_regressor, small_data, tmp_path):
    import onnx

    from skmm import export_onnx, export_saved_model, serving_inputs

    X = _query_rows(small_data)
    X["image"] = X["image"].astype(object)
    X.loc[X.index[[2, 4]], "image"] = None
    X.loc[X.index[4], "caption"] = ""
    inputs = serving_inputs(attention_regressor, X)
    assert_array_equal(inputs["text_present"][:, 0], [1, 0, 1, 1, 0, 1])
    assert_array_equal(inputs["image_present"][:, 0], [1, 1, 0, 1, 0, 1])
    reference = serving_network(attention_regressor[-1].model_)(inputs, training=False).numpy()
    assert_allclose(reference[:, 0], attention_regressor.predict(X), rtol=RTOL, atol=ATOL)

    (tmp_path / "sm").mkdir()  # an existing empty directory is accepted
    signature = _serving_signature(export_saved_model(attention_regressor, tmp_path / "sm"))
    _check_outputs(lambda i: signature(**i)["output"].numpy(), reference, inputs)

    path = export_onnx(attention_regressor, tmp_path / "model.onnx", opset=17)
    assert {o.version for o in onnx.load(str(path)).opset_import if o.domain == ""} == {17}
    session = _onnx_session(path)
    _check_outputs(lambda i: session.run(["output"], i)[0], reference, inputs)


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["export_saved_model", "export_onnx"])
def test_unfitted_estimator(function, tmp_path):
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import make_pipeline

    import skmm

    export = getattr(skmm, function)
    for estimator in (
        skmm.MultimodalClassifier(),
        make_pipeline(make_input(), skmm.MultimodalRegressor()),
    ):
        with pytest.raises(NotFittedError, match=r"not fitted yet.*call fit"):
            export(estimator, tmp_path / "out")
    with pytest.raises(NotFittedError, match="not fitted yet"):
        skmm.serving_inputs(skmm.MultimodalClassifier(), np.zeros((2, 2)))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("function", ["export_saved_model", "export_onnx", "serving_inputs"])
def test_not_an_skmm_estimator(function, tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import skmm

    export = getattr(skmm, function)
    with pytest.raises(TypeError, match=r"MultimodalClassifier or MultimodalRegressor.*got"):
        export(LogisticRegression(), tmp_path / "out")
    with pytest.raises(TypeError, match="last step is LogisticRegression"):
        export(make_pipeline(StandardScaler(), LogisticRegression()), tmp_path / "out")


@pytest.mark.parametrize("module", ["tf2onnx", "onnxruntime", "onnx"])
def test_missing_onnx_dependency(fitted_pipeline, tmp_path, monkeypatch, module):
    from skmm import export_onnx

    monkeypatch.setitem(sys.modules, module, None)  # makes ``import module`` fail
    with pytest.raises(ImportError, match=r'pip install "skmm\[export\]"'):
        export_onnx(fitted_pipeline, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_existing_target_is_not_overwritten(fitted_pipeline, tmp_path):
    from skmm import export_onnx, export_saved_model

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("keep")
    (tmp_path / "file").write_text("keep")
    with pytest.raises(FileExistsError, match="not empty"):
        export_saved_model(fitted_pipeline, tmp_path / "full")
    with pytest.raises(FileExistsError, match="is a file"):
        export_saved_model(fitted_pipeline, tmp_path / "file")
    with pytest.raises(FileExistsError, match="exists"):
        export_onnx(fitted_pipeline, tmp_path / "file")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        export_onnx(fitted_pipeline, tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "keep"
    assert (tmp_path / "file").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "full"]


@pytest.mark.parametrize("opset", [0, "17", 12.0, True])
def test_bad_opset(fitted_pipeline, tmp_path, opset):
    from skmm import export_onnx

    with pytest.raises(ValueError, match="opset must be a positive int"):
        export_onnx(fitted_pipeline, tmp_path / "model.onnx", opset=opset)


def test_onnx_export_refuses_a_conversion_that_differs(fitted_pipeline, tmp_path, monkeypatch):
    """The check run before writing: if the converted model does not reproduce the
    network on probe rows, nothing is written and the error names the architecture."""
    from skmm import export_onnx

    clf = fitted_pipeline[-1]
    network = clf._predict_function
    monkeypatch.setattr(clf, "_predict_function", lambda inputs: network(inputs) + 1e-3)
    with pytest.raises(
        RuntimeError,
        match=(
            r"fusion='concat', balance='ensemble', image_encoder='cnn', "
            r"text_encoder='bag'.*reproduce"
        ),
    ):
        export_onnx(fitted_pipeline, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_onnx_export_names_an_unconvertible_layer(tmp_path):
    """A custom encoder with a TensorFlow operation tf2onnx cannot convert (Lgamma)."""
    from skmm import MultimodalRegressor, export_onnx, export_saved_model

    X = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    params = dict(TINY, epochs=1, block_encoders={"tabular": _lgamma_encoder})
    regressor = MultimodalRegressor(**params).fit(X, X[:, 0])
    with pytest.raises(RuntimeError, match=r"Lgamma in layer 'log_gamma'.*export_saved_model"):
        export_onnx(regressor, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()
    signature = _serving_signature(export_saved_model(regressor, tmp_path / "sm"))
    reference = serving_network(regressor.model_)({"tabular": X[:4]}, training=False).numpy()
    assert_allclose(signature(tabular=X[:4])["output"].numpy(), reference, rtol=RTOL, atol=ATOL)


def _lgamma_encoder(inputs):
    return _log_gamma_class()(name="log_gamma")(inputs)


@functools.cache
def _log_gamma_class():
    import keras
    import tensorflow as tf

    @keras.saving.register_keras_serializable(package="skmm_tests")
    class LogGamma(keras.layers.Layer):
        def call(self, x):
            return tf.math.lgamma(tf.abs(x) + 1.0)

    return LogGamma
