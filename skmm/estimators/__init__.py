"""scikit-learn estimators wrapping the fused Keras network."""

from .. import _quiet_import  # noqa: F401  (first: TensorFlow without its start-up lines)
from ._classifier import MultimodalClassifier
from ._classifier_cv import MultimodalClassifierCV
from ._regressor import MultimodalRegressor

__all__ = ["MultimodalClassifier", "MultimodalClassifierCV", "MultimodalRegressor"]
