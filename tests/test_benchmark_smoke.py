"""The λ-path benchmark runs end to end (tiny data, a few epochs)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_lambda_path_benchmark_runs_in_smoke_mode():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "lambda_path.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    lines = out.stdout.splitlines()
    for label in ("GridSearchCV (baseline)", "MultimodalClassifierCV", "wall-time ratio"):
        assert any(line.startswith(label) for line in lines), label
    assert "retracing" not in out.stderr
