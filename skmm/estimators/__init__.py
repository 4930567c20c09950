"""scikit-learn estimators wrapping the fused Keras network."""

from ._classifier import MultimodalClassifier

__all__ = ["MultimodalClassifier"]
