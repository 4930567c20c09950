"""No TensorFlow start-up lines in a user's console: from import skmm, fitting, saving,
loading and predicting, or the command line; SKMM_TENSORFLOW_LOGS=1 shows them again,
and real warnings always show."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Fragments of the lines TensorFlow's C++ runtime writes when it starts.
NOISE = (
    "absl::InitializeLog",
    "oneDNN custom operations",
    "cudart_stub",
    "cuInit",
    "cpu_feature_guard",
    "Could not find cuda drivers",
)

SESSION = """
import warnings
import numpy as np
import skmm
from skmm import MultimodalClassifier

X = np.random.default_rng(0).normal(size=(30, 3)).astype("float32")
y = np.arange(30) % 2
clf = MultimodalClassifier(epochs=1, random_state=0).fit(X, y)
skmm.save(clf, "m.skmm")
skmm.load("m.skmm").predict(X)
warnings.warn("a warning of the user's own")
print("finished")
"""


def run_python(code, cwd, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TF_CPP_MIN_LOG_LEVEL", "SKMM_TENSORFLOW_LOGS")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def noise_in(stderr):
    return [line for line in stderr.splitlines() if any(part in line for part in NOISE)]


def test_a_python_session_shows_no_tensorflow_start_up_lines(tmp_path):
    out = run_python(SESSION, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "finished"
    assert noise_in(out.stderr) == []
    assert "UserWarning: a warning of the user's own" in out.stderr


def test_the_switch_shows_them_again(tmp_path):
    out = run_python(
        "import skmm.network, tensorflow as tf; tf.constant(1) + 1",
        tmp_path,
        SKMM_TENSORFLOW_LOGS="1",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    if not noise_in(out.stderr):
        pytest.skip(reason="TensorFlow writes no start-up lines on this machine")


def test_the_command_line_shows_none_either(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    code = (
        "import sys\nfrom skmm.cli import main\n"
        "sys.exit(main(['fit', 't.csv', '--target', 'y', '--epochs', '1', '--out', 'm.skmm']))"
    )
    out = run_python(code, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert noise_in(out.stderr) == []
    assert "saved classification model of y to m.skmm" in out.stderr
