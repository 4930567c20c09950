"""Plots in the manner of scikit-learn's displays (``from_estimator``, ``plot``).

- [`TrainingHistoryDisplay`][skmm.plotting.TrainingHistoryDisplay]: loss and metrics per epoch,
  training and
  validation, the best epoch of early stopping marked.
- [`L2ValidationCurveDisplay`][skmm.plotting.L2ValidationCurveDisplay]: cross-validated score along
  the L2
  strength λ, computed or read from a fitted ``MultimodalClassifierCV``.
- [`modality_importance`][skmm.plotting.modality_importance] and
  [`ModalityImportanceDisplay`][skmm.plotting.ModalityImportanceDisplay]:
  permutation importance of whole modalities.
- [`MultiTaskConfusionMatrixDisplay`][skmm.plotting.MultiTaskConfusionMatrixDisplay]: one confusion
  matrix per task.

They need matplotlib (``pip install "skmm[plot]"``). Importing this module
imports neither matplotlib nor TensorFlow; plotting imports matplotlib.
"""

from ._confusion import MultiTaskConfusionMatrixDisplay
from ._history import TrainingHistoryDisplay
from ._importance import ModalityImportanceDisplay, modality_importance
from ._l2_curve import L2ValidationCurveDisplay

__all__ = [
    "L2ValidationCurveDisplay",
    "ModalityImportanceDisplay",
    "MultiTaskConfusionMatrixDisplay",
    "TrainingHistoryDisplay",
    "modality_importance",
]
