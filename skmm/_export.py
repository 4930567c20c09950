"""Export the fitted fused network for serving: a TensorFlow SavedModel or an ONNX file.

What is exported is the network alone (``estimator.model_``: the encoders, the
fusion and the head). The preprocessing (tokenization with the fitted
vocabulary, image decoding and resizing, audio features, the tabular
transformers) stays in Python: [`serving_inputs`][skmm._export.serving_inputs] runs it and returns
the
dict of named arrays the exported model takes.

TensorFlow, Keras and the ONNX tools are imported inside the functions, on first use.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import warnings

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from .compose import PRESENCE_SUFFIX
from .modalities import get_modality

__all__ = ["export_onnx", "export_saved_model", "serving_inputs"]

#: Name of the exported model's output (SavedModel signature key and ONNX output).
OUTPUT_NAME = "output"

#: Name of the dynamic batch dimension of the ONNX inputs and output.
BATCH_DIM = "batch"

#: Name of the SavedModel signature (TensorFlow Serving's default).
SIGNATURE_NAME = "serving_default"

#: File (under the SavedModel's ``assets.extra``) describing the inputs and output.
METADATA_FILE = "skmm_export.json"

#: How closely the ONNX model must reproduce the Keras network on probe rows
#: before ``export_onnx`` accepts it (a wrong conversion is off by far more).
_CHECK_RTOL = 1e-4
_CHECK_ATOL = 1e-4

_CLASSIFIER_OUTPUT = (
    "Class probabilities, as the network computes them: with one column, the probability "
    "of classes[1] (predict_proba is [1 - p, p]); otherwise one column per class, in the "
    "order of classes (several targets: each task's columns in turn)."
)
_REGRESSOR_OUTPUT = "Predicted values, one column per target (what predict returns)."

_EXPORT_HINT = 'Install the export dependencies with: pip install "skmm[export]"'


# -- the estimator -------------------------------------------------------------------


def _final_estimator(estimator, caller):
    """The fitted skmm estimator of ``estimator`` (itself, or a Pipeline's last step)."""
    from .estimators._base import MultimodalEstimatorMixin

    final = estimator
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1] if estimator.steps else None
    if not isinstance(final, MultimodalEstimatorMixin):
        what = (
            f"a Pipeline whose last step is {type(final).__name__}"
            if isinstance(estimator, Pipeline)
            else f"{type(estimator).__name__}"
        )
        raise TypeError(
            f"{caller} takes a fitted skmm MultimodalClassifier or MultimodalRegressor, or a "
            f"Pipeline ending in one; got {what}."
        )
    if getattr(final, "model_", None) is None:
        raise NotFittedError(
            f"This {type(final).__name__} is not fitted yet (it holds no network); call fit "
            f"before {caller}."
        )
    return final


def _input_specs(model):
    """One ``tf.TensorSpec`` per network input, in the model's input order, batch open."""
    import tensorflow as tf

    return [
        tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype, name=tensor.name)
        for tensor in model.inputs
    ]


def _metadata(final, model):
    """What a server needs to know about the exported model, as JSON-ready values."""
    from . import __version__

    inputs = [
        {"name": t.name, "dtype": str(t.dtype), "shape": [None, *t.shape[1:]]} for t in model.inputs
    ]
    output = model.outputs[0]
    metadata = {
        "skmm_version": __version__,
        "estimator": type(final).__name__,
        "inputs": inputs,
        "output": {"name": OUTPUT_NAME, "shape": [None, *output.shape[1:]]},
    }
    classes = getattr(final, "classes_", None)
    if classes is not None:
        metadata["classes"] = json.loads(json.dumps(_to_list(classes), default=str))
        metadata["output"]["description"] = _CLASSIFIER_OUTPUT
    else:
        metadata["output"]["description"] = _REGRESSOR_OUTPUT
    return metadata


def _to_list(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_to_list(v) for v in value]
    return value


def _check_target(path, *, directory):
    """Refuse to overwrite: an existing non-empty directory or file at ``path``."""
    path = pathlib.Path(os.fspath(path))
    if path.is_dir():
        if not directory:
            raise IsADirectoryError(
                f"{path} is a directory; give the path of the .onnx file to write."
            )
        if any(path.iterdir()):
            raise FileExistsError(
                f"{path} exists and is not empty; export to a new or empty directory."
            )
    elif path.exists():
        if directory:
            raise FileExistsError(f"{path} exists and is a file; give a directory path.")
        if path.stat().st_size:
            raise FileExistsError(f"{path} exists; remove it or choose another path.")
    return path


# -- feeding the exported model ------------------------------------------------------


def serving_inputs(estimator, X):
    """Turn raw rows into the named arrays the exported model takes.

    Runs the fitted preprocessing in Python (for a Pipeline, every step before
    the final estimator, e.g. [`MultimodalInput`][skmm.compose.MultimodalInput]: tokenization with
    the fitted vocabulary, image decoding and resizing, audio features, the
    tabular transformers), checks the blocks as ``predict`` does, and applies
    the estimator's feature encoder, which adds the ``<block>_present``
    masks.

    Parameters
    ----------
    estimator : Pipeline or MultimodalClassifier or MultimodalRegressor
        The fitted estimator that was exported, or the Pipeline ending in it.
    X : DataFrame, MultimodalBlocks, dict of arrays or array-like
        Rows as the estimator (or the Pipeline) takes them in ``predict``; a
        DataFrame may be a pandas or a polars one.

    Returns
    -------
    inputs : dict of str to ndarray
        One C-contiguous array per input of the exported model, in the
        network's input order: int32 token ids ``(n, sequence_length)``,
        float32 images ``(n, height, width, channels)``, float32 features,
        and float32 presence masks ``(n, 1)`` (1 present, 0 missing). Feed
        it to the SavedModel's ``serving_default`` signature as keyword
        arguments, or to ``onnxruntime.InferenceSession.run(None, inputs)``.

    Examples
    --------
    >>> from skmm import serving_inputs  # doctest: +SKIP
    >>> inputs = serving_inputs(pipeline, X_new)  # doctest: +SKIP
    >>> session.run(["output"], inputs)[0]  # doctest: +SKIP
    """
    final = _final_estimator(estimator, "serving_inputs")
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        X = estimator[:-1].transform(X)
    blocks, _ = final._validate_input(X=X)
    encoded = final.feature_encoder_.transform(blocks)
    inputs = {}
    for tensor in final.model_.inputs:
        value = encoded[tensor.name]
        if getattr(value, "is_lazy_block", False):
            value = value[:]  # decode every row
        inputs[tensor.name] = np.ascontiguousarray(value, dtype=str(tensor.dtype))
    return inputs


# -- SavedModel ------------------------------------------------------------------------


def export_saved_model(estimator, path):
    """Export the fitted network as a TensorFlow SavedModel.

    The SavedModel holds the network alone (encoders, fusion, head) in
    inference mode (dropout off); the preprocessing stays in Python, see
    [`serving_inputs`][skmm._export.serving_inputs]. Its ``serving_default`` signature takes one
    keyword argument per network input (the block names and the
    ``<block>_present`` masks; int32 token ids, float32 otherwise), each
    with an open batch dimension, and returns ``{"output": ...}``: what
    ``estimator.model_`` returns (class probabilities for a classifier,
    values for a regressor). A JSON description of the inputs and output
    (and ``classes_`` for a classifier) is written to
    ``assets.extra/skmm_export.json``.

    Parameters
    ----------
    estimator : MultimodalClassifier or MultimodalRegressor or Pipeline
        A fitted skmm estimator, or a fitted Pipeline ending in one.
    path : str or path-like
        Directory to write; it must not exist yet or be empty.

    Returns
    -------
    path : pathlib.Path
        The directory written.

    Raises
    ------
    TypeError
        If ``estimator`` is not an skmm estimator or a Pipeline ending in one.
    NotFittedError
        If the estimator is not fitted.
    FileExistsError
        If ``path`` is a file or a non-empty directory.

    See Also
    --------
    export_onnx : The same network as an ONNX file.

    Examples
    --------
    >>> import tensorflow as tf  # doctest: +SKIP
    >>> export_saved_model(pipeline, "model_dir")  # doctest: +SKIP
    >>> serve = tf.saved_model.load("model_dir").signatures["serving_default"]  # doctest: +SKIP
    >>> serve(**serving_inputs(pipeline, X_new))["output"]  # doctest: +SKIP
    """
    import keras

    final = _final_estimator(estimator, "export_saved_model")
    path = _check_target(path, directory=True)
    from .network import serving_network

    model = serving_network(final.model_)

    def serve(inputs):
        return {OUTPUT_NAME: model(inputs, training=False)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SIGNATURE_NAME, serve, input_signature=[_input_specs(model)])
    archive.write_out(os.fspath(path), verbose=False)
    extra = path / "assets.extra"
    extra.mkdir(exist_ok=True)
    (extra / METADATA_FILE).write_text(json.dumps(_metadata(final, model), indent=2))
    return path


# -- ONNX --------------------------------------------------------------------------------


def _import_onnx_tools():
    try:
        import onnx
        import onnxruntime
        import tf2onnx  # noqa: F401  (Keras' ONNX export uses it)
    except ImportError as error:
        raise ImportError(
            f"export_onnx needs tf2onnx, onnx and onnxruntime ({error}). {_EXPORT_HINT}"
        ) from error
    return onnx, onnxruntime


def export_onnx(estimator, path, *, opset=None):
    """Export the fitted network as an ONNX model.

    The network (encoders, fusion, head; inference mode) is converted by
    Keras' ONNX export (tf2onnx). The ONNX model has one input per network
    input (the block names and the ``<block>_present`` masks; int32 token
    ids, float32 otherwise) whose first dimension is the dynamic ``"batch"``,
    and one output named ``"output"``: what ``estimator.model_`` returns
    (class probabilities for a classifier, values for a regressor). The
    preprocessing stays in Python, see [`serving_inputs`][skmm._export.serving_inputs]. A JSON
    description of the inputs and output (and ``classes_`` for a
    classifier) is stored in the model's ``metadata_props`` under
    ``"skmm"``.

    Before the file is written, the converted model is run with ONNX
    Runtime on a few synthetic rows (some with missing modalities) and
    compared with the Keras network; a conversion that does not reproduce
    it raises instead of leaving a wrong model behind.

    Parameters
    ----------
    estimator : MultimodalClassifier or MultimodalRegressor or Pipeline
        A fitted skmm estimator, or a fitted Pipeline ending in one.
    path : str or path-like
        The ``.onnx`` file to write; it must not exist yet (or be empty).
    opset : int, default=None
        ONNX opset version; None uses tf2onnx's default.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ImportError
        If tf2onnx, onnx or onnxruntime is not installed
        (``pip install "skmm[export]"``).
    TypeError
        If ``estimator`` is not an skmm estimator or a Pipeline ending in one.
    NotFittedError
        If the estimator is not fitted.
    FileExistsError
        If ``path`` exists and is not empty.
    IsADirectoryError
        If ``path`` is a directory.
    RuntimeError
        If the network cannot be converted, or the converted model does not
        reproduce the network's outputs; the message names the
        architecture (and the operations left unconverted, if any).

    See Also
    --------
    export_saved_model : The same network as a TensorFlow SavedModel.

    Examples
    --------
    >>> import onnxruntime  # doctest: +SKIP
    >>> export_onnx(pipeline, "model.onnx")  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession("model.onnx")  # doctest: +SKIP
    >>> session.run(["output"], serving_inputs(pipeline, X_new))[0]  # doctest: +SKIP
    """
    final = _final_estimator(estimator, "export_onnx")
    if opset is not None and (
        not isinstance(opset, int | np.integer) or isinstance(opset, bool) or opset < 1
    ):
        raise ValueError(f"opset must be a positive int or None; got {opset!r}.")
    onnx, onnxruntime = _import_onnx_tools()
    path = _check_target(path, directory=False)
    from .network import serving_network

    model = serving_network(final.model_)
    architecture = _architecture(final)

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "model.onnx")
        try:
            with warnings.catch_warnings():
                # Keras' tf2onnx patch for NumPy 2 probes ``np.object``
                warnings.filterwarnings("ignore", message=".*np.object.*", category=FutureWarning)
                model.export(
                    raw,
                    format="onnx",
                    verbose=False,
                    input_signature=[_input_specs(model)],
                    opset_version=None if opset is None else int(opset),
                )
        except Exception as error:
            raise RuntimeError(
                f"tf2onnx could not convert the network of this {type(final).__name__} "
                f"({architecture}): {type(error).__name__}: {error}"
            ) from error
        proto = onnx.load(raw)

    _tidy_names(proto, [t.name for t in model.inputs])
    proto.metadata_props.add(key="skmm", value=json.dumps(_metadata(final, model)))
    _check_conversion(proto, final, architecture, onnx, onnxruntime)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, os.fspath(path))
    return path


def _architecture(final):
    """A short description of the network's architecture, for error messages."""
    kinds = sorted({spec.kind for spec in final.block_specs_.values()})
    parts = [f"fusion={final.fusion!r}"]
    if len(final.model_.outputs) > 1:
        parts.append(f"balance={final.balance!r}")
    for kind in kinds:
        choice = get_modality(kind).encoder_choice
        if choice is not None:
            parts.append(f"{choice}={getattr(final, choice)!r}")
    if final.block_encoders:
        parts.append(f"block_encoders for {sorted(final.block_encoders)}")
    return f"blocks {kinds}, " + ", ".join(parts)


def _tidy_names(proto, input_names):
    """Name the output ``"output"`` and the first dimension of inputs and output ``"batch"``."""
    graph = proto.graph
    if len(graph.output) != 1:
        raise RuntimeError(f"Expected one ONNX output; the conversion gave {len(graph.output)}.")
    old = graph.output[0].name
    if old != OUTPUT_NAME:
        for node in graph.node:
            node.output[:] = [OUTPUT_NAME if name == old else name for name in node.output]
            node.input[:] = [OUTPUT_NAME if name == old else name for name in node.input]
        graph.output[0].name = OUTPUT_NAME
    names = [value.name for value in graph.input]
    if sorted(names) != sorted(input_names):
        raise RuntimeError(
            f"The ONNX inputs {names} differ from the network inputs {list(input_names)}."
        )
    for value in [*graph.input, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].dim_param = BATCH_DIM  # clears dim_value, which was unset (dynamic)


def _probe_inputs(model, specs, n_rows=5, seed=0):
    """A few valid synthetic rows for every network input.

    Row 0 has every block present, the last row every block missing, the rows
    between alternate which blocks are missing; each block's values are its
    modality's ``example_rows`` (for text, more and more padding at the end,
    as [`TextTokenizer`][skmm.preprocessing.TextTokenizer] writes it, the last row nothing else).
    """
    rng = np.random.default_rng(seed)
    names = list(specs)
    rows = np.arange(n_rows)
    inputs = {}
    for tensor in model.inputs:
        shape = (n_rows, *tensor.shape[1:])
        dtype = str(tensor.dtype)
        spec = specs.get(tensor.name)
        if spec is None:  # the presence mask of a block
            block = names.index(tensor.name.removesuffix(PRESENCE_SUFFIX))
            present = (rows == 0) | ((rows + block) % 2 == 1)
            present[-1] = False
            inputs[tensor.name] = present.astype(dtype).reshape(shape)
        else:
            values = get_modality(spec.kind).example_rows(rng, shape, spec)
            inputs[tensor.name] = np.asarray(values).astype(dtype)
    return inputs


def _graphs(graph):
    """``graph`` and every subgraph inside it (loop bodies, branches), depth first."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.g.node:
                yield from _graphs(attribute.g)
            for subgraph in attribute.graphs:
                yield from _graphs(subgraph)


def _unconverted(proto, model, onnx):
    """``"Op (in layer 'name')"`` for every node that is no ONNX operation: what tf2onnx
    could not convert and left as the TensorFlow operation."""
    import re

    layer_names = {layer.name for layer in _all_layers(model)}
    found = []
    for graph in _graphs(proto.graph):
        for node in graph.node:
            standard = node.domain in ("", "ai.onnx", "ai.onnx.ml")
            if not standard or onnx.defs.has(node.op_type, node.domain):
                continue  # other domains are left to ONNX Runtime to judge
            layers = [
                segment
                for segment in (re.sub(r"_\d+$", "", part) for part in node.name.split("/"))
                if segment in layer_names and segment != model.name
            ]
            where = f" in layer {layers[-1]!r}" if layers else ""
            found.append(f"{node.op_type}{where}")
    return sorted(set(found))


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def _check_conversion(proto, final, architecture, onnx, onnxruntime):
    """Raise unless the ONNX model holds only ONNX operations and reproduces the
    network on probe rows."""
    from .network import serving_network

    model = serving_network(final.model_)
    unconverted = _unconverted(proto, model, onnx)
    if unconverted:
        raise RuntimeError(
            f"tf2onnx cannot convert the network of this {type(final).__name__} "
            f"({architecture}): no ONNX operation for the TensorFlow operation(s) "
            f"{', '.join(unconverted)}. Use export_saved_model for this network."
        )
    probe = _probe_inputs(model, final.block_specs_)
    expected = final._predict_function(probe)
    try:
        session = onnxruntime.InferenceSession(
            proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        actual = session.run([OUTPUT_NAME], probe)[0]
    except Exception as error:
        raise RuntimeError(
            f"ONNX Runtime cannot run the converted network of this {type(final).__name__} "
            f"({architecture}): {type(error).__name__}: {error}. Use export_saved_model "
            "for this network."
        ) from error
    if actual.shape != expected.shape or not np.allclose(
        actual, expected, rtol=_CHECK_RTOL, atol=_CHECK_ATOL
    ):
        difference = (
            f"largest difference {float(np.max(np.abs(actual - expected))):.3g}"
            if actual.shape == expected.shape
            else f"output shape {actual.shape} instead of {expected.shape}"
        )
        raise RuntimeError(
            f"The ONNX conversion of the network of this {type(final).__name__} "
            f"({architecture}) does not reproduce it on test rows ({difference}). Use "
            "export_saved_model for this network."
        )
