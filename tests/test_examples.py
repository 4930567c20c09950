"""The README's promises: the user story runs as written, the quickstart runs."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests._scripts import run_in_process

ROOT = Path(__file__).resolve().parents[1]


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, skmm, skmm.datasets; "
        "from skmm import TextTokenizer, ImageNormalizer, MultimodalInput; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
SHARED_DATA = ROOT.parent / "shared" / "data"
#: Examples that read the shared data beside the project, and the folder they need.
NEEDS_SHARED_DATA = {"spoken_digits.py": "spoken_digits/recordings"}
#: Extra arguments of an example in the test, beyond ``--smoke``: the command line's
#: own entry point is tested in a subprocess in tests/cli/test_entry_point.py.
EXTRA_ARGS = {"command_line.py": ["--in-process"]}
#: What each example must print in smoke mode, beyond running without error.
EXPECTED_OUTPUT = {
    "quickstart.py": ("text only", "image only", "fused", "best l2"),
    "spoken_digits.py": ("audio-only test accuracy",),
    "plots.py": ("wrote", "chosen l2"),
    "several_targets.py": ("task label", "label learned alone"),
    "choose_lambda.py": ("path chose", "grid chose"),
    "save_and_serve.py": ("identical after load: True", "SavedModel largest difference"),
    "scaling_out.py": ("sequential, n_jobs=1", "dask, 2 workers"),
    "command_line.py": ("skmm fit", "skmm predict", "skmm evaluate"),
}


def test_every_example_starts_with_a_docstring():
    import ast

    for name in EXAMPLES:
        tree = ast.parse((ROOT / "examples" / name).read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"examples/{name} must say what it shows"


#: Examples run in a process of their own: a Dask cluster exports OMP_NUM_THREADS=1
#: into the process that starts it, which would slow every later test of this worker.
OWN_PROCESS = {"scaling_out.py"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_in_smoke_mode(name, monkeypatch, capsys):
    path, args = ROOT / "examples" / name, ["--smoke", *EXTRA_ARGS.get(name, [])]
    if name in NEEDS_SHARED_DATA:
        if not (SHARED_DATA / NEEDS_SHARED_DATA[name]).is_dir():
            pytest.skip(reason=f"shared data ({NEEDS_SHARED_DATA[name]}) is not beside the project")
        args += ["--data-dir", str(SHARED_DATA)]
    if name in OWN_PROCESS:
        out = subprocess.run(
            [sys.executable, str(path), *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert out.returncode == 0, f"examples/{name} failed:\n{out.stdout}\n{out.stderr[-3000:]}"
        stdout, retraces = out.stdout, out.stderr.count("retracing")
    else:
        monkeypatch.chdir(ROOT)
        stdout, retraces = run_in_process(path, args, monkeypatch, capsys)
    for label in EXPECTED_OUTPUT.get(name, ()):
        assert label in stdout
    assert retraces == 0


def test_user_story_as_written():
    """The README's user story, verbatim except for fewer rows (120 of 600), one epoch,
    a narrower image encoder and 2 folds: what is checked is that every step runs."""
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
    from skmm.datasets import make_multimodal_classification

    X, y = make_multimodal_classification(n_samples=120, random_state=0)
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
    scores = cross_val_score(model, X, y, cv=2)
    print(f"cv accuracy: {scores.mean():.3f} ± {scores.std():.3f}")
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(model, {"multimodalclassifier__l2": [1e-5, 1e-3, 1e-1]}, cv=2).fit(X, y)
    print(
        f"best λ: {search.best_params_['multimodalclassifier__l2']:g}, "
        f"cv accuracy {search.best_score_:.3f}"
    )
    assert search.best_params_["multimodalclassifier__l2"] in (1e-5, 1e-3, 1e-1)
    assert search.predict(X.iloc[:4]).shape == (4,)
