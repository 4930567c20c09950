"""skmm.plotting loads without matplotlib or TensorFlow, and says how to get matplotlib."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.utils import Bunch

import skmm.plotting
from skmm.plotting import (
    L2ValidationCurveDisplay,
    ModalityImportanceDisplay,
    MultiTaskConfusionMatrixDisplay,
    TrainingHistoryDisplay,
)


def test_import_loads_neither_matplotlib_nor_tensorflow():
    code = (
        "import sys, skmm.plotting; "
        "from skmm.plotting import *; "
        "print(*(m in sys.modules for m in ('matplotlib', 'tensorflow', 'keras')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_public_names():
    assert sorted(skmm.plotting.__all__) == [
        "L2ValidationCurveDisplay",
        "ModalityImportanceDisplay",
        "MultiTaskConfusionMatrixDisplay",
        "TrainingHistoryDisplay",
        "modality_importance",
    ]
    for name in skmm.plotting.__all__:
        assert getattr(skmm.plotting, name).__doc__


MISSING_MATPLOTLIB_CALLS = {
    "TrainingHistoryDisplay.from_history": lambda: TrainingHistoryDisplay.from_history(
        {"loss": [1.0, 0.5]}
    ),
    "TrainingHistoryDisplay.plot": lambda: TrainingHistoryDisplay({"loss": [1.0]}).plot(),
    "L2ValidationCurveDisplay.plot": lambda: L2ValidationCurveDisplay(
        l2s=[1e-3], test_scores=[[0.5]]
    ).plot(),
    "L2ValidationCurveDisplay.from_cv_results": lambda: L2ValidationCurveDisplay.from_cv_results(
        None
    ),
    "ModalityImportanceDisplay.from_importances": lambda: (
        ModalityImportanceDisplay.from_importances(
            Bunch(modalities=["a"], importances_mean=[0.1], importances_std=[0.0])
        )
    ),
    "MultiTaskConfusionMatrixDisplay.from_predictions": lambda: (
        MultiTaskConfusionMatrixDisplay.from_predictions(np.zeros((2, 2)), np.zeros((2, 2)))
    ),
}


@pytest.mark.parametrize("caller", sorted(MISSING_MATPLOTLIB_CALLS))
def test_missing_matplotlib_names_the_plot_extra(caller, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ImportError, match=r'pip install "skmm\[plot\]"') as info:
        MISSING_MATPLOTLIB_CALLS[caller]()
    assert caller in str(info.value)
