"""One fitted pipeline answering from many threads at once gives the serial answers.

A web service shares one fitted model between its request threads. The
guarantee (``docs/reliability.md``): ``predict`` and ``predict_proba`` of a
fitted skmm pipeline, and ``transform`` of a fitted transformer (its own
decoding threads included), may be called from any number of threads at
once; each call returns exactly what it returns when the calls are made one
after another, and none raises.
"""

import threading

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import (
    AudioFeaturizer,
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalInput,
    TextTokenizer,
)
from tests.conftest import TINY

soundfile = pytest.importorskip("soundfile", reason="the audio extra is not installed")

N_THREADS = 8
ROW_COUNTS = (1, 3, 7, 16, 40)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """40 rows: a caption, a PNG file, an in-memory picture, a wav file, two numbers."""
    folder = tmp_path_factory.mktemp("served")
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    rows = []
    for i, label in enumerate(y):
        png = folder / f"img{i}.png"
        pixels = rng.integers(0, 255, (12, 12, 3), dtype=np.uint8)
        pixels[..., label] = 255
        Image.fromarray(pixels).save(png)
        wav = folder / f"clip{i}.wav"
        t = np.arange(2000) / 8000
        tone = 0.4 * np.sin(2 * np.pi * (400 + 800 * label) * t) + 0.05 * rng.normal(size=t.size)
        soundfile.write(wav, tone.astype("float32"), 8000, subtype="PCM_16")
        rows.append(
            {
                "caption": f"{'bright' if label else 'dark'} item {i}",
                "path": str(png),
                "picture": rng.integers(0, 255, (10, 10, 3), dtype=np.uint8),
                "clip": str(wav),
                "x0": rng.normal() + label,
                "x1": rng.normal(),
            }
        )
    return pd.DataFrame(rows), y


@pytest.fixture(scope="module")
def served(table):
    X, y = table
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(sequence_length=6), "caption"),
            ("photo", ImageNormalizer(size=(12, 12), lazy=True, n_jobs=2), "path"),
            ("picture", ImageNormalizer(size=(10, 10), lazy=False), "picture"),
            ("speech", AudioFeaturizer(sample_rate=8000, duration=0.25, n_mels=8), "clip"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    clf = MultimodalClassifier(**{**TINY, "audio_filters": (8,), "epochs": 2})
    return make_pipeline(pre, clf).fit(X, y)


def _calls(X):
    """(method name, rows) pairs covering every row count, both methods."""
    return [
        (method, np.arange(start, start + count) % len(X))
        for count in ROW_COUNTS
        for start in (0, 11)
        for method in ("predict", "predict_proba")
    ]


def _run_in_threads(work, n_threads=N_THREADS):
    """Run ``work(thread_index)`` in ``n_threads`` threads started together."""
    barrier = threading.Barrier(n_threads)
    results, errors = [None] * n_threads, []

    def target(k):
        try:
            barrier.wait()
            results[k] = work(k)
        except BaseException as exc:  # reported below, with the thread that raised
            errors.append((k, exc))

    threads = [threading.Thread(target=target, args=(k,)) for k in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    assert not errors, errors
    return results


def test_predict_from_eight_threads_gives_the_serial_answers(served, table):
    X, _ = table
    calls = _calls(X)
    serial = [getattr(served, method)(X.iloc[rows]) for method, rows in calls]

    def work(k):  # each thread walks the calls in its own order
        order = np.random.default_rng(k).permutation(len(calls))
        answers = {}
        for i in order:
            method, rows = calls[i]
            answers[i] = getattr(served, method)(X.iloc[rows])
        return answers

    for answers in _run_in_threads(work):
        for i, expected in enumerate(serial):
            np.testing.assert_array_equal(answers[i], expected)


def test_transformers_with_decoding_threads_under_concurrent_use(served, table):
    X, _ = table
    pre = served[0]
    images = ImageNormalizer(size=(12, 12), n_jobs=2, lazy=False).fit(X["path"])
    audio = AudioFeaturizer(sample_rate=8000, duration=0.25, n_mels=8).fit(X["clip"])
    subsets = [np.arange(count) for count in ROW_COUNTS]
    serial = {
        (name, count): np.asarray(transformer.transform(X[column].iloc[rows]))
        for name, transformer, column in (("image", images, "path"), ("audio", audio, "clip"))
        for count, rows in zip(ROW_COUNTS, subsets, strict=True)
    }
    blocks_serial = [pre.transform(X.iloc[rows]) for rows in subsets]

    def work(k):
        out = {}
        for count, rows in reversed(list(zip(ROW_COUNTS, subsets, strict=True))):
            out["image", count] = np.asarray(images.transform(X["path"].iloc[rows]))
            out["audio", count] = np.asarray(audio.transform(X["clip"].iloc[rows]))
            out["blocks", count] = pre.transform(X.iloc[rows])
        return out

    for out in _run_in_threads(work):
        for key, expected in serial.items():
            np.testing.assert_array_equal(out[key], expected)
        for count, expected in zip(ROW_COUNTS, blocks_serial, strict=True):
            got = out["blocks", count]
            for name in expected:
                np.testing.assert_array_equal(np.asarray(got[name]), np.asarray(expected[name]))
                if name in expected.masks:
                    np.testing.assert_array_equal(got.masks[name], expected.masks[name])
