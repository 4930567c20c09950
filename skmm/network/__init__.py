"""Keras layers and model assembly, built from block specs.

This subpackage knows nothing of scikit-learn or pandas.
"""

from ._assembly import build_fused_network
from ._inference import PredictFunction

__all__ = ["PredictFunction", "build_fused_network"]
