"""Plots in the manner of scikit-learn's displays (``from_estimator``, ``plot``).

- :class:`TrainingHistoryDisplay`: loss and metrics per epoch, training and
  validation, the best epoch of early stopping marked.
- :class:`L2ValidationCurveDisplay`: cross-validated score along the L2
  strength λ, computed or read from a fitted ``MultimodalClassifierCV``.
- :func:`modality_importance` and :class:`ModalityImportanceDisplay`:
  permutation importance of whole modalities.
- :class:`MultiTaskConfusionMatrixDisplay`: one confusion matrix per task.

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
