"""Icons and their file names: image vs text vs fused, against scikit-learn baselines.

Data: the 32x32 PNG icons of Debian's ``oxygen-icon-theme`` package (KDE's
Oxygen icons, LGPL-3), fetched on the first run with ``apt-get download`` and
unpacked with ``dpkg -x`` into a cache folder (``--cache-dir``, default
``~/.cache/skmm-benchmarks``), never into the repository. The run stops with
a reason where ``apt-get`` or ``dpkg`` is missing or the download fails.

Task: the category folder of each icon (``actions``, ``apps``, ``devices``,
``mimetypes``, ``places``, ``status``: 6 classes), from the picture (a PNG
path; ``ImageNormalizer(size=(32, 32))``) and the words of its file name
(``"audio-card.png"`` -> ``"audio card"``; ``TextTokenizer()``), with the
words that literally name a category (``action``, ``app``, ``application``,
``device``, ``mimetype``, ``place``, ``status`` and their plurals) removed.
Each class is capped at 100 icons, drawn seeded (545 rows: 72 places, 76
devices, 97 status, 100 of each other class), so no class dominates.

Protocol: 3-fold stratified cross-validation, repeated ``--seeds`` times
(default 3): repeat ``k`` shuffles the folds with seed ``k`` and gives every
network ``random_state=k``, so a figure is the mean over 9 fits and the
run-to-run noise of one 3-fold run (about +-0.02 here) stops deciding the
comparison. Every skmm row uses the estimator's defaults (nothing here is
tuned to this data) except the ``balance`` or ``modality_dropout`` it names
and ``random_state``. The scikit-learn baselines run in the same script on the
same folds: TF-IDF (character 2-4-grams within
words, and word 1-2-grams) + logistic regression on the names, a logistic
regression on the standardized pixels, and one on both side by side.
The names are short, so ``TextTokenizer()``'s default ``char_ngrams="auto"``
gives them character 2-4-grams as well as words; two more skmm rows give them
as words only (``char_ngrams=None``), to show what the subwords add.
Reported: mean +- std of the accuracy over the folds of all repeats.

Run:  python benchmarks/real/icons_and_names.py [--cache-dir DIR] [--seeds 3] [--smoke]
                                                [--skip-options]
(about 50 minutes on 2 CPU cores with 3 seeds; --skip-options, the three
default skmm rows and the baselines only, about 12; --smoke, one fold of three
networks, takes seconds and its figures mean nothing).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from PIL import Image
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import skmm
from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer

PACKAGE = "oxygen-icon-theme"
ICONS = Path("usr/share/icons/oxygen/base/32x32")
CATEGORIES = ("actions", "apps", "devices", "mimetypes", "places", "status")
NAMING_WORDS = {
    "action", "actions", "app", "apps", "application", "applications", "device",
    "devices", "mimetype", "mimetypes", "place", "places", "status",
}  # fmt: skip
PER_CLASS = 100
SEED = 0
FOLDS = 3

TEXT = ("name", TextTokenizer(), "name")
#: The names as words only: what TextTokenizer's default (char_ngrams="auto", which
#: adds character 2-4-grams to text this short) is measured against.
WORDS = ("name", TextTokenizer(char_ngrams=None), "name")
IMAGE = ("picture", ImageNormalizer(size=(32, 32)), "path")


def environment():
    import keras
    import tensorflow as tf

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now}; Python {platform.python_version()}, skmm {skmm.__version__}, "
        f"scikit-learn {sklearn.__version__}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}; os.cpu_count()={os.cpu_count()}"
    )


def fetch(cache_dir):
    """The unpacked package's 32x32 icon folder, downloading it on first use."""
    root = Path(cache_dir).expanduser() / PACKAGE
    icons = root / "tree" / ICONS
    if icons.is_dir():
        return icons
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            sys.exit(f"SKIPPED: {tool} is not available to fetch the {PACKAGE} package.")
    root.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["apt-get", "download", PACKAGE], cwd=root, capture_output=True, text=True
    )
    debs = sorted(root.glob(f"{PACKAGE}_*.deb"))
    if result.returncode != 0 or not debs:
        sys.exit(f"SKIPPED: apt-get download {PACKAGE} failed: {result.stderr.strip()[-300:]}")
    subprocess.run(["dpkg", "-x", str(debs[-1]), str(root / "tree")], check=True)
    return icons


def name_words(path):
    words = re.split(r"[-_.\s]+", Path(path).stem.lower())
    return " ".join(word for word in words if word and word not in NAMING_WORDS)


def load(icons):
    rows = [
        {"path": str(path), "category": category}
        for category in CATEGORIES
        for path in sorted((icons / category).glob("*.png"))
    ]
    frame = pd.DataFrame(rows)
    rng = np.random.RandomState(SEED)
    keep = np.concatenate(
        [
            rng.permutation(np.flatnonzero(frame["category"] == category))[:PER_CLASS]
            for category in CATEGORIES
        ]
    )
    frame = frame.iloc[np.sort(keep)].reset_index(drop=True)
    frame["name"] = [name_words(path) for path in frame["path"]]
    return frame


def pixels(frame):
    return np.stack(
        [
            np.asarray(Image.open(path).convert("RGBA").resize((32, 32)), dtype=np.float32).ravel()
            / 255.0
            for path in frame["path"]
        ]
    )


def skmm_pipeline(blocks, **params):
    return make_pipeline(
        MultimodalInput(list(blocks)), MultimodalClassifier(random_state=SEED, **params)
    )


def repeated_folds(y, seeds):
    """(seed, train, test) for the 3 stratified folds of each seed's shuffle."""
    return [
        (seed, train, test)
        for seed in range(seeds)
        for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(y, y)
    ]


def name_features():
    """TF-IDF of the names: character 2-4-grams within words, and word 1-2-grams."""
    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
            ("words", TfidfVectorizer(ngram_range=(1, 2))),
        ]
    )


def text_baseline():
    names = ColumnTransformer(
        [
            (
                "names",
                name_features(),
                "name",
            )
        ]
    )
    return make_pipeline(names, LogisticRegression(C=10, max_iter=3000))


def pixel_baseline():
    return make_pipeline(
        ColumnTransformer([("pixels", StandardScaler(), PIXEL_COLUMNS)]),
        LogisticRegression(C=0.01, max_iter=3000),
    )


def both_baseline():
    features = ColumnTransformer(
        [
            (
                "names",
                name_features(),
                "name",
            ),
            (
                "pixels",
                make_pipeline(StandardScaler(), FunctionTransformer(lambda x: x * 0.05)),
                PIXEL_COLUMNS,
            ),
        ]
    )
    return make_pipeline(features, LogisticRegression(C=10, max_iter=3000))


PIXEL_COLUMNS: list[str] = []

ROWS = [
    ("skmm text only (defaults)", lambda: skmm_pipeline([TEXT])),
    ("skmm image only (defaults)", lambda: skmm_pipeline([IMAGE])),
    ("skmm fused (defaults: balance='ensemble')", lambda: skmm_pipeline([TEXT, IMAGE])),
    ("skmm fused, balance='blend'", lambda: skmm_pipeline([TEXT, IMAGE], balance="blend")),
    ("skmm fused, balance='auxiliary'", lambda: skmm_pipeline([TEXT, IMAGE], balance="auxiliary")),
    ("skmm fused, balance='modulate'", lambda: skmm_pipeline([TEXT, IMAGE], balance="modulate")),
    ("skmm fused, balance=None (naive)", lambda: skmm_pipeline([TEXT, IMAGE], balance=None)),
    (
        "skmm fused, modality_dropout=0",
        lambda: skmm_pipeline([TEXT, IMAGE], modality_dropout=0.0),
    ),
    ("skmm text only, char_ngrams=None (words)", lambda: skmm_pipeline([WORDS])),
    ("skmm fused, char_ngrams=None (words)", lambda: skmm_pipeline([WORDS, IMAGE])),
    ("TF-IDF + LR on names", text_baseline),
    ("LR on pixels", pixel_baseline),
    ("TF-IDF + pixels, one LR", both_baseline),
]


def main(cache_dir, smoke=False, seeds=3, skip_options=False):
    start = time.perf_counter()
    print(f"icons_and_names benchmark{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(environment())
    frame = load(fetch(cache_dir))
    flat = pixels(frame)
    PIXEL_COLUMNS[:] = [f"px{i}" for i in range(flat.shape[1])]
    frame = pd.concat([frame, pd.DataFrame(flat, columns=PIXEL_COLUMNS)], axis=1)
    y = frame["category"].to_numpy()
    rows = ROWS
    extra = {}
    kept = ("text only (defaults)", "image only (defaults)", "fused (defaults")
    if smoke or skip_options:
        rows = [row for row in ROWS if not row[0].startswith("skmm") or row[0][5:].startswith(kept)]
    if smoke:
        frame, y = frame.iloc[::4].reset_index(drop=True), y[::4]
        extra = dict(epochs=2)
    counts = pd.Series(y).value_counts().sort_index()
    print(f"{len(frame)} icons: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    folds = repeated_folds(y, seeds)
    if smoke:
        folds = folds[:1]
    results = []
    for label, make in rows:
        t0 = time.perf_counter()
        scores = []
        for seed, train, test in folds:
            model = make()
            if label.startswith("skmm"):
                model[-1].set_params(random_state=seed, **extra)
            model.fit(frame.iloc[train], y[train])
            scores.append(model.score(frame.iloc[test], y[test]))
        results.append((label, np.mean(scores), np.std(scores), time.perf_counter() - t0))
        print(f"  {label:<42} {np.mean(scores):.3f} +- {np.std(scores):.3f}", flush=True)

    print()
    repeats = len({seed for seed, _, _ in folds})
    print(
        f"{FOLDS}-fold stratified CV accuracy x {repeats} seed(s) "
        f"({len(frame)} icons, {len(counts)} classes)"
    )
    header = f"{'model':<42} {'accuracy':>16} {'wall s':>7}"
    print(header)
    print("-" * len(header))
    for label, mean, std, seconds in results:
        print(f"{label:<42} {mean:8.3f} +- {std:.3f} {seconds:7.0f}")
    by_label = {label: mean for label, mean, _, _ in results}
    fused = by_label["skmm fused (defaults: balance='ensemble')"]
    best_single = max(by_label["skmm text only (defaults)"], by_label["skmm image only (defaults)"])
    baseline = max(mean for label, mean, _, _ in results if not label.startswith("skmm"))
    print(
        f"target: fused by default >= best single modality + 0.02 ({best_single:.3f} + 0.02) "
        f"-> {'MET' if fused >= best_single + 0.02 else 'NOT MET'}; >= best scikit-learn "
        f"baseline ({baseline:.3f}) -> {'MET' if fused >= baseline else 'NOT MET'}"
    )
    print(f"total run time: {time.perf_counter() - start:.0f} s")
    return results


def add_cache_dir_argument(parser):
    """The ``--cache-dir`` option of the scripts that use the icons."""
    parser.add_argument(
        "--cache-dir",
        default=os.environ.get("SKMM_BENCHMARK_CACHE", "~/.cache/skmm-benchmarks"),
        help="where the icon package is downloaded and unpacked",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cache_dir_argument(parser)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--seeds", type=int, default=3, help="repeats of the 3-fold CV (default 3)")
    parser.add_argument(
        "--skip-options",
        action="store_true",
        help="only the skmm defaults (text, image, fused) and the scikit-learn baselines",
    )
    args = parser.parse_args()
    main(args.cache_dir, smoke=args.smoke, seeds=args.seeds, skip_options=args.skip_options)
