"""The README's promises: the user story runs as written, the quickstart runs."""

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, skmm, skmm.datasets; "
        "from skmm import TextTokenizer, ImageNormalizer, MultimodalInput; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_quickstart_runs_in_smoke_mode():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    for label in ("text only", "image only", "fused", "best l2"):
        assert label in out.stdout
    assert "retracing" not in out.stderr


def test_user_story_as_written():
    """The issue's user story, verbatim except for epochs and a smaller network."""
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
    from skmm.datasets import make_multimodal_classification

    X, y = make_multimodal_classification(n_samples=600, random_state=0)
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=5000, sequence_length=32), "caption"),
            ("image", ImageNormalizer(size=(32, 32)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    model = make_pipeline(
        pre, MultimodalClassifier(epochs=1, image_width_multiplier=0.125, random_state=0)
    )
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(model, {"multimodalclassifier__l2": [1e-5, 1e-3, 1e-1]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["multimodalclassifier__l2"] in (1e-5, 1e-3, 1e-1)
    assert search.predict(X.iloc[:4]).shape == (4,)


SHARED_DATA = ROOT.parent / "shared" / "data"


def test_spoken_digits_example_runs_in_smoke_mode():
    import pytest

    if not (SHARED_DATA / "spoken_digits" / "recordings").is_dir():
        pytest.skip(reason="shared data (spoken_digits) is not present beside the project")
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "spoken_digits.py"),
            "--smoke",
            "--data-dir",
            str(SHARED_DATA),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert "audio-only test accuracy" in out.stdout
