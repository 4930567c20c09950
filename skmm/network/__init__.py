"""Keras layers and model assembly, built from block specs.

This subpackage knows nothing of scikit-learn or pandas.
"""

from ._assembly import FUSIONS, build_fused_network
from ._encoders import TEXT_ENCODERS, application_names
from ._inference import PredictFunction
from ._layers import AdjustableL2
from ._losses import MultiTaskCrossEntropy

__all__ = [
    "AdjustableL2",
    "FUSIONS",
    "MultiTaskCrossEntropy",
    "TEXT_ENCODERS",
    "PredictFunction",
    "application_names",
    "build_fused_network",
]
