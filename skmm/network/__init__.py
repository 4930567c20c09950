"""Keras layers and model assembly, built from block specs.

This subpackage knows nothing of scikit-learn or pandas.
"""

from ._assembly import build_fused_network

__all__ = ["build_fused_network"]
