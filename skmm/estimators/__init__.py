"""scikit-learn estimators wrapping the fused Keras network."""

from ._classifier import MultimodalClassifier
from ._regressor import MultimodalRegressor

__all__ = ["MultimodalClassifier", "MultimodalRegressor"]
