"""skmm: scikit-learn-native multimodal deep learning on Keras 3.

Importing skmm does not import TensorFlow: the transformers load without it,
and the estimators (``MultimodalClassifier``, ``MultimodalClassifierCV``,
``MultimodalRegressor``) import TensorFlow and Keras on first access.
"""

from importlib import import_module

from .compose import MultimodalInput, TransferredEncoder, make_multimodal_input
from .preprocessing import (
    AudioFeaturizer,
    Graph,
    GraphFeatures,
    GraphNeighborhood,
    ImageNormalizer,
    PresetTokenizer,
    TextTokenizer,
    VideoFrames,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "AudioFeaturizer",
    "Graph",
    "GraphFeatures",
    "GraphNeighborhood",
    "ImageNormalizer",
    "MultimodalClassifier",
    "MultimodalClassifierCV",
    "MultimodalInput",
    "MultimodalRegressor",
    "PersistenceError",
    "PresetTokenizer",
    "TextTokenizer",
    "TransferredEncoder",
    "UnsafeKerasError",
    "UntrustedTypesError",
    "VersionMismatchWarning",
    "VideoFrames",
    "__version__",
    "export_onnx",
    "export_saved_model",
    "load",
    "make_multimodal_input",
    "save",
    "serving_inputs",
]

_LAZY = {
    "MultimodalClassifier": "skmm.estimators",
    "MultimodalClassifierCV": "skmm.estimators",
    "MultimodalRegressor": "skmm.estimators",
    "PersistenceError": "skmm._persistence",
    "UnsafeKerasError": "skmm._persistence",
    "UntrustedTypesError": "skmm._persistence",
    "VersionMismatchWarning": "skmm._persistence",
    "export_onnx": "skmm._export",
    "export_saved_model": "skmm._export",
    "load": "skmm._persistence",
    "save": "skmm._persistence",
    "serving_inputs": "skmm._export",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skmm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
