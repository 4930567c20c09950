"""Audio-visual digits: spoken digits paired with MNIST images, audio vs image vs fused.

Data, in the shared data folder: ``spoken_digits/recordings/*.wav`` (Free
Spoken Digit Dataset, 3,000 recordings at 8 kHz; its official split: index
0-4 is test, 300 recordings, the other 2,700 train) and
``mnist_5k/mnist_5k.csv.gz`` (5,000 MNIST images, 784 pixel columns then the
label, 500 per digit).

Each recording is paired with an MNIST image of the same digit, in the style
of AV-MNIST (the pairing is made up; each modality is real). MNIST is first
split, per digit and seeded, into two halves of 250 images: training
recordings draw their images from the first half, test recordings from the
second, so no image is shared between train and test. Within a half, images
are drawn without replacement until the half is used up (270 training
recordings per digit reuse 20 of the 250 images; the 30 test recordings per
digit get 30 different images).

Three skmm pipelines, trained on the train pairs with early stopping on a
seeded 10 % slice of them, scored on the 300 test pairs: audio only
(``AudioFeaturizer``), image only (``ImageNormalizer`` on the 28x28 arrays)
and fused (both blocks in one ``MultimodalInput``). Target: the fused error
at most a third of the better single modality's error.

``--defaults`` runs the same comparison with every estimator parameter left
at skmm's defaults (only ``random_state`` set): audio only, image only, fused
by default (``balance="ensemble"``, ``modality_dropout="auto"``), fused with
each other ``balance`` option, fused without modality dropout,
and a scikit-learn baseline in the same run (a logistic regression on the
standardized log-mel features and pixels side by side).

Run:  python benchmarks/real/audio_visual_digits.py [--data-dir DIR] [--smoke]
          [--defaults [--seed S]]
(about 2 minutes on 2 CPU cores, 20 with --defaults; --smoke takes seconds
and its figures mean nothing; --seed sets the networks' random_state).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.pipeline import make_pipeline

import skmm
from skmm import AudioFeaturizer, ImageNormalizer, MultimodalClassifier, MultimodalInput

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT / ".." / "shared" / "data"
SEED = 0
NAME = re.compile(r"(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<index>\d+)\.wav$")

AUDIO = ("speech", AudioFeaturizer(sample_rate=8000, duration=0.8, n_mels=40), "clip")
IMAGE = ("picture", ImageNormalizer(size=(28, 28), channels=1), "image")

#: Network settings shared by the three pipelines (the audio ones are those of
#: examples/spoken_digits.py).
SETTINGS = dict(
    image_filters=(32, 64, 128),
    learning_rate=2e-3,
    epochs=60,
    early_stopping=True,
    n_iter_no_change=8,
    random_state=SEED,
)

#: The fused network also drops a whole modality for 30 % of the rows in training, so each
#: modality must carry the digit by itself and neither is ignored (see docs/real_data.md).
FUSED = dict(modality_dropout=0.3)


def environment():
    """Versions, machine and date, printed at the top of the run."""
    import keras
    import tensorflow as tf

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now}; Python {platform.python_version()}, skmm {skmm.__version__}, "
        f"scikit-learn {sklearn.__version__}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}; os.cpu_count()={os.cpu_count()}, {platform.platform()}"
    )


def load(data_dir):
    """Train and test frames with columns clip (path), image (28x28 uint8), digit."""
    folder = Path(data_dir) / "spoken_digits" / "recordings"
    mnist_file = Path(data_dir) / "mnist_5k" / "mnist_5k.csv.gz"
    if not folder.is_dir() or not mnist_file.is_file():
        sys.exit(f"No spoken_digits recordings or mnist_5k in {data_dir}; pass --data-dir.")
    clips = pd.DataFrame(
        [{"clip": str(p), **NAME.search(p.name).groupdict()} for p in sorted(folder.glob("*.wav"))]
    ).astype({"digit": int, "index": int})
    mnist = np.loadtxt(mnist_file, delimiter=",", dtype=np.uint8)
    images, labels = mnist[:, :784].reshape(-1, 28, 28), mnist[:, 784].astype(int)

    rng = np.random.default_rng(SEED)
    pools = {"train": {}, "test": {}}
    for digit in range(10):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        half = len(rows) // 2
        pools["train"][digit], pools["test"][digit] = rows[:half], rows[half:]

    def draw(pool, n):
        # without replacement until the pool is used up, then again from a new permutation
        reps = -(-n // len(pool))
        return np.concatenate([rng.permutation(pool) for _ in range(reps)])[:n]

    frames = {}
    for name, part in (("train", clips[clips["index"] > 4]), ("test", clips[clips["index"] <= 4])):
        part = part.reset_index(drop=True)
        chosen = np.empty(len(part), dtype=int)
        for digit in range(10):
            where = np.flatnonzero(part["digit"].to_numpy() == digit)
            chosen[where] = draw(pools[name][digit], len(where))
        assert (labels[chosen] == part["digit"].to_numpy()).all()
        part["image"] = list(images[chosen])
        part["mnist_row"] = chosen
        frames[name] = part
    shared = set(frames["train"]["mnist_row"]) & set(frames["test"]["mnist_row"])
    assert not shared, "an MNIST image is shared between train and test"
    return frames["train"], frames["test"]


def pipeline(blocks, **overrides):
    return make_pipeline(
        MultimodalInput(list(blocks)), MultimodalClassifier(**{**SETTINGS, **overrides})
    )


def defaults_main(data_dir, smoke=False, seed=SEED, skip_options=False):
    """Every skmm row at the estimator's defaults, and a scikit-learn baseline.

    ``skip_options`` runs only the default rows (each modality alone and fused)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    start = time.perf_counter()
    print(f"audio_visual_digits --defaults{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(environment())
    train, test = load(data_dir)
    extra = {}
    if smoke:
        train, test = train.iloc[::20], test.iloc[::10]
        extra = dict(epochs=1)
    print(
        f"{len(train)} training pairs, {len(test)} test pairs; skmm rows: defaults only, "
        f"random_state={seed}"
    )
    rows = []
    configurations = [
        ("audio only", [AUDIO], {}),
        ("image only", [IMAGE], {}),
        ("fused, defaults (ensemble)", [AUDIO, IMAGE], {}),
    ]
    if not skip_options:
        configurations += [
            ("fused, balance='blend'", [AUDIO, IMAGE], dict(balance="blend")),
            ("fused, balance='auxiliary'", [AUDIO, IMAGE], dict(balance="auxiliary")),
            ("fused, balance='modulate'", [AUDIO, IMAGE], dict(balance="modulate")),
            ("fused, balance=None", [AUDIO, IMAGE], dict(balance=None)),
            ("fused, modality_dropout=0", [AUDIO, IMAGE], dict(modality_dropout=0.0)),
        ]
    for label, blocks, params in configurations:
        t0 = time.perf_counter()
        model = make_pipeline(
            MultimodalInput(list(blocks)),
            MultimodalClassifier(random_state=seed, **params, **extra),
        ).fit(train, train["digit"])
        accuracy = model.score(test, test["digit"])
        rows.append((label, accuracy, model[-1].n_iter_, time.perf_counter() - t0))
        print(f"  {label:<28} {accuracy:.3f}", flush=True)

    t0 = time.perf_counter()
    features = MultimodalInput([AUDIO, IMAGE]).fit(train)

    def flat(frame):
        blocks = features.transform(frame)
        return np.hstack(
            [blocks["speech"].reshape(len(frame), -1), blocks["picture"].reshape(len(frame), -1)]
        )

    baseline = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    baseline.fit(flat(train), train["digit"])
    rows.append(
        (
            "LR on log-mels + pixels",
            baseline.score(flat(test), test["digit"]),
            0,
            time.perf_counter() - t0,
        )
    )
    print()
    print(f"TEST split ({len(test)} pairs), every skmm parameter at its default")
    header = f"{'model':<28} {'accuracy':>8} {'errors':>6} {'epochs':>6} {'wall s':>7}"
    print(header)
    print("-" * len(header))
    for label, accuracy, epochs, seconds in rows:
        errors = int(round((1 - accuracy) * len(test)))
        print(f"{label:<28} {accuracy:8.3f} {errors:6d} {epochs:6d} {seconds:7.0f}")
    errors = {label: int(round((1 - acc) * len(test))) for label, acc, _, _ in rows}
    best_single = min(errors["audio only"], errors["image only"])
    fused = errors["fused, defaults (ensemble)"]
    print(
        f"target (fused error <= 1/3 of the better single modality's): fused {fused}, better "
        f"single {best_single} -> {'MET' if fused * 3 <= best_single else 'NOT MET'}"
    )
    print(f"total run time: {time.perf_counter() - start:.0f} s")
    return rows


def main(data_dir, smoke=False):
    start = time.perf_counter()
    print(f"audio_visual_digits benchmark{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(environment())
    train, test = load(data_dir)
    overrides = {}
    if smoke:
        train, test = train.iloc[::20], test.iloc[::10]
        overrides = dict(epochs=1, early_stopping=False)
    print(
        f"{len(train)} training pairs, {len(test)} test pairs; "
        f"{train['mnist_row'].nunique()} distinct training images, "
        f"{test['mnist_row'].nunique()} distinct test images, none shared"
    )
    print(f"network settings: {', '.join(f'{k}={v}' for k, v in SETTINGS.items())}")
    print(f"fused network only: {', '.join(f'{k}={v}' for k, v in FUSED.items())}")
    rows = []
    for label, blocks, extra in [
        ("audio only", [AUDIO], {}),
        ("image only", [IMAGE], {}),
        ("fused (audio + image)", [AUDIO, IMAGE], FUSED),
    ]:
        t0 = time.perf_counter()
        model = pipeline(blocks, **extra, **overrides).fit(train, train["digit"])
        accuracy = model.score(test, test["digit"])
        errors = int(round((1 - accuracy) * len(test)))
        rows.append((label, accuracy, errors, model[-1].n_iter_, time.perf_counter() - t0))
        print(f"  {label:<24} done", flush=True)

    print()
    print(f"TEST split ({len(test)} pairs)")
    header = f"{'model':<24} {'accuracy':>8} {'errors':>6} {'epochs':>6} {'wall s':>7}"
    print(header)
    print("-" * len(header))
    for label, accuracy, errors, epochs, seconds in rows:
        print(f"{label:<24} {accuracy:8.3f} {errors:6d} {epochs:6d} {seconds:7.0f}")
    best_single = min(rows[0][2], rows[1][2])
    fused = rows[2][2]
    met = fused * 3 <= best_single
    print(
        f"target (fused error <= 1/3 of the better single modality's): fused {fused} errors, "
        f"better single {best_single} errors -> {'MET' if met else 'NOT MET'}"
    )
    total = time.perf_counter() - start
    print(f"total run time: {total:.0f} s")
    return rows, total


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help="the shared data folder")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--defaults", action="store_true", help="skmm rows at their defaults")
    parser.add_argument(
        "--seed", type=int, default=SEED, help="random_state of the skmm rows (with --defaults)"
    )
    parser.add_argument(
        "--skip-options",
        action="store_true",
        help="with --defaults: only audio, image and fused at their defaults, and the baseline",
    )
    args = parser.parse_args()
    if args.defaults:
        defaults_main(
            args.data_dir, smoke=args.smoke, seed=args.seed, skip_options=args.skip_options
        )
    else:
        main(args.data_dir, smoke=args.smoke)
