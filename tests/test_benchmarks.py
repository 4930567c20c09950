"""The benchmark scripts run: each new one in its ``--smoke`` mode.

Smoke mode only checks that a script runs and prints its table; its figures
mean nothing. Most run in the test's process (see ``tests/_scripts.py``);
three run in a process of their own (see ``OWN_PROCESS``); ``scaling.py``
starts two more processes,
so its smoke run fits in lazy mode only. Not run here: ``image_decoding.py``
and ``lazy_images.py`` (no smoke mode: they write thousands of image files),
``search_cost.py``, whose smoke run starts two joblib workers and takes
over a minute, and ``memory_over_fits.py``, which starts three processes
(``tests/estimators/test_memory.py`` guards what it measures).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._scripts import run_in_process

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

#: script -> words of its table header
HEADERS = {
    "text_tokenizer.py": ("method", "seconds", "ratio", "vs TV"),
    "lambda_path.py": ("method", "seconds", "ratio", "CPU s", "chosen λ", "test acc"),
    "wrapper_overhead.py": ("step", "method", "best s", "median s", "ratio", "budget"),
    "predict_latency.py": ("method", "median ms", "p90 ms", "ratio", "retraces", "budget"),
    "startup.py": ("statement", "seconds", "time ratio", "peak RSS MiB", "RSS ratio"),
    "scaling.py": ("mode", "rows", "time ratio", "time/row ratio", "peak RSS MiB", "RSS ratio"),
    "polars_input.py": ("pipeline", "input", "best s", "median s", "ratio", "budget"),
    "small_data_feeding.py": ("rows", "epochs", "method", "best s", "ratio"),
    "video_decoding.py": ("method", "seconds", "frames/s", "speed-up"),
}


#: Scripts run in a process of their own: ``startup.py`` and ``scaling.py`` time fresh
#: processes that they start; ``small_data_feeding.py`` fits many short-lived networks,
#: and TensorFlow's retracing warning, which counts traces per function across all the
#: networks of a process, would also count those of the tests before it.
OWN_PROCESS = {"startup.py", "scaling.py", "small_data_feeding.py"}


@pytest.mark.parametrize("script", sorted(HEADERS))
def test_benchmark_runs_in_smoke_mode(script, monkeypatch, capsys):
    if script == "video_decoding.py":
        pytest.importorskip("av", reason="the video extra (PyAV) is not installed")
    if script in OWN_PROCESS:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        out = subprocess.run(
            [sys.executable, str(BENCHMARKS / script), "--smoke"],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        stdout, retraces = out.stdout, out.stderr.count("retracing")
    else:
        stdout, retraces = run_in_process(BENCHMARKS / script, ["--smoke"], monkeypatch, capsys)
    lines = stdout.splitlines()
    assert any(all(word in line for word in HEADERS[script]) for line in lines), stdout
    assert retraces == 0
