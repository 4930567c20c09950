"""Women's E-Commerce Clothing Reviews: skmm against published BERT results.

Data: ``clothing_reviews/reviews.parquet`` and ``split.csv`` in the shared data
folder (reading parquet needs ``pyarrow``). The test and val rows are those of
the published split of the Multimodal-Toolkit (Gu & Budhkar, 2021); train is
the other 18,788 rows.

Task 1, binary ``Recommended IND``, reported on the TEST split as F1 of the
positive class and PR-AUC (``average_precision_score``), for three skmm
pipelines -- text only (Title + Review Text), tabular only (Age, Rating,
Positive Feedback Count, Clothing ID, Division/Department/Class Name) and
fused (all columns) -- and for a TF-IDF + one-hot + logistic regression
baseline fitted in this same run, next to the published BERT numbers.

Task 2, 5-class ``Rating`` without the ``Rating`` column as input (and
without ``Recommended IND``, the other label): accuracy and macro-F1 on test.

Protocol (no test row is used to choose anything):

- Every network trains on the train split only, with early stopping on a
  seeded, stratified 10 % slice of train (skmm's ``early_stopping``) that
  restores the best epoch's weights.
- A small grid of settings per pipeline (``GRIDS`` below) is tried; the
  setting with the best PR-AUC on the VAL split (macro-F1 for the Rating task)
  is kept. The kept model is the one trained in the search, on train only:
  there is no refit, and val and test are never trained on.
- The val-chosen fused setting is also trained with three more seeds (on
  train) and the four models' probabilities averaged (a soft vote), as an
  extra row.
- F1 is reported at the threshold that maximises F1 on VAL (``F1``) and at
  0.5 (``F1@0.5``). PR-AUC does not depend on a threshold.
- Missing text (3,810 titles, 845 reviews are missing) follows skmm's policy:
  ``TextTokenizer`` turns a missing cell into a row of padding and
  ``MultimodalInput`` marks the block absent for that row, so the network
  zeroes that block's features. Missing categories become a ``"missing"``
  category.

``--defaults`` runs task 1 with every estimator parameter at skmm's defaults
(only ``random_state`` set; the same blocks, with ``TextTokenizer()`` at its
defaults): text only, tabular only, fused by default (``balance="ensemble"``),
fused with each other ``balance`` option, fused without modality dropout
(``modality_dropout=0``), and the TF-IDF + LR baseline (C
chosen on val) in the same run. The accuracy on test is also given, next to
the majority class and the one-line rule ``Rating >= 4``.

``--skip-options`` (with ``--defaults``) leaves out the rows of the other
``balance`` options and of ``modality_dropout=0``.

Run:  python benchmarks/real/clothing_reviews.py [--data-dir DIR] [--smoke] [--defaults]
      [--skip-options]
(the full run takes about 11 minutes on 2 CPU cores; --smoke takes seconds
and its figures mean nothing).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import skmm
from skmm import MultimodalClassifier, MultimodalInput, TextTokenizer

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT / ".." / "shared" / "data"
SEED = 0

TARGET = "Recommended IND"
TITLE, REVIEW = "Title", "Review Text"
NUMBERS = ["Age", "Positive Feedback Count"]
CATEGORIES = ["Division Name", "Department Name", "Class Name"]
ITEM = "Clothing ID"

#: Published results on the same test split (Multimodal-Toolkit README, BERT-base).
PUBLISHED = [
    ("published: BERT text only", 0.957, 0.992),
    ("published: BERT all columns as text", 0.968, 0.995),
    ("published: TF-IDF + one-hot + LR (data README)", 0.961, 0.994),
]

#: Settings shared by every network (the grid below varies the rest).
BASE = dict(
    text_encoder="cnn",
    embedding_dim=64,
    text_units=64,
    tabular_units=(32,),
    hidden_units=(64,),
    dropout=0.3,
    learning_rate=2e-3,
    batch_size=64,
    epochs=12,
    early_stopping=True,
    validation_fraction=0.1,
    n_iter_no_change=2,
    random_state=SEED,
)

#: Per pipeline, the settings tried (chosen on val).
TRANSFORMER = dict(text_encoder="transformer", l2=1e-4, learning_rate=1e-3)
GRIDS = {
    "text": [dict(l2=1e-5), dict(l2=1e-4, learning_rate=1e-3), TRANSFORMER],
    "tabular": [dict(l2=1e-4), dict(l2=1e-3)],
    "fused": [
        dict(l2=1e-5),
        dict(l2=1e-4, learning_rate=1e-3),
        TRANSFORMER,
        dict(TRANSFORMER, modality_dropout=0.2),
    ],
    "rating": [
        dict(l2=1e-5),
        dict(l2=1e-5, class_weight="balanced"),
        dict(TRANSFORMER, class_weight="balanced"),
    ],
}

#: Extra seeds of the val-chosen fused setting, soft-voted with the chosen model.
ENSEMBLE_SEEDS = (1, 2, 3)


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
    folder = Path(data_dir) / "clothing_reviews"
    if not (folder / "reviews.parquet").is_file() or not (folder / "split.csv").is_file():
        sys.exit(f"No clothing_reviews data in {folder}; pass --data-dir.")
    frame = pd.read_parquet(folder / "reviews.parquet")
    split = pd.read_csv(folder / "split.csv").set_index("row")["split"]
    frame["split"] = split.reindex(np.arange(len(frame))).to_numpy()
    if frame["split"].isna().any():
        sys.exit("split.csv does not cover every row of reviews.parquet.")
    return {name: part.drop(columns="split") for name, part in frame.groupby("split")}


# -- skmm pipelines --------------------------------------------------------------------------


def text_blocks(max_tokens):
    return [
        ("title", TextTokenizer(max_tokens=max_tokens, sequence_length=12), TITLE),
        ("review", TextTokenizer(max_tokens=max_tokens, sequence_length=120), REVIEW),
    ]


def tabular_blocks(with_rating):
    numbers = NUMBERS + (["Rating"] if with_rating else [])
    log_counts = FunctionTransformer(
        lambda x: np.log1p(np.asarray(x, dtype=float)), feature_names_out="one-to-one"
    )
    return [
        (
            "numbers",
            make_pipeline(
                ColumnTransformer(
                    [("counts", log_counts, ["Positive Feedback Count"])],
                    remainder="passthrough",
                ),
                StandardScaler(),
            ),
            numbers,
        ),
        (
            "categories",
            make_pipeline(
                SimpleImputer(strategy="constant", fill_value="missing"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
            CATEGORIES,
        ),
        (
            "item",
            OneHotEncoder(
                min_frequency=20, handle_unknown="infrequent_if_exist", sparse_output=False
            ),
            [ITEM],
        ),
    ]


def skmm_pipeline(kind, settings, max_tokens):
    blocks = {
        "text": text_blocks(max_tokens),
        "tabular": tabular_blocks(with_rating=True),
        "fused": text_blocks(max_tokens) + tabular_blocks(with_rating=True),
        "rating": text_blocks(max_tokens) + tabular_blocks(with_rating=False),
    }[kind]
    return make_pipeline(MultimodalInput(blocks), MultimodalClassifier(**{**BASE, **settings}))


# -- baseline ----------------------------------------------------------------------------------


def tfidf_lr(C):
    """TF-IDF of title and review, one-hot categories (Rating included), scaled numbers, LR."""
    fill = FunctionTransformer(lambda x: pd.Series(x).fillna("").to_numpy(dtype=object))

    def tfidf():
        return make_pipeline(fill, TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True))

    columns = ColumnTransformer(
        [
            ("title", tfidf(), TITLE),
            ("review", tfidf(), REVIEW),
            (
                "onehot",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                CATEGORIES,
            ),
            (
                "levels",
                OneHotEncoder(handle_unknown="ignore"),
                ["Rating", ITEM],
            ),
            ("numbers", StandardScaler(), NUMBERS),
        ]
    )
    return make_pipeline(columns, LogisticRegression(C=C, max_iter=2000))


# -- evaluation ----------------------------------------------------------------------------------


def best_f1_threshold(y, p):
    """The threshold in (0, 1) that maximises F1 of class 1 on (y, p)."""
    candidates = np.unique(np.round(p, 4))
    candidates = candidates[(candidates > 0.01) & (candidates < 0.99)]
    if len(candidates) == 0:
        return 0.5
    scores = [f1_score(y, p >= t, zero_division=0) for t in candidates]
    return float(candidates[int(np.argmax(scores))])


def binary_row(label, model, parts, settings, seconds):
    p_val = model.predict_proba(parts["val"])[:, 1]
    p_test = model.predict_proba(parts["test"])[:, 1]
    y_val, y_test = parts["val"][TARGET], parts["test"][TARGET]
    threshold = best_f1_threshold(y_val, p_val)
    return dict(
        model=label,
        f1=f1_score(y_test, p_test >= threshold),
        pr_auc=average_precision_score(y_test, p_test),
        f1_05=f1_score(y_test, p_test >= 0.5),
        threshold=threshold,
        val_pr_auc=average_precision_score(y_val, p_val),
        seconds=seconds,
        settings=settings,
    )


def search(kind, grid, parts, target, max_tokens, val_score):
    """Train one network per setting on train; keep the best on val. Returns (model, setting,
    seconds for the whole search, the trace)."""
    start = time.perf_counter()
    best, trace = None, []
    X_train, y_train = parts["train"], parts["train"][target]
    for settings in grid:
        t0 = time.perf_counter()
        model = skmm_pipeline(kind, settings, max_tokens).fit(X_train, y_train)
        score = val_score(model, parts["val"], parts["val"][target])
        epochs = model[-1].n_iter_
        trace.append((settings, score, epochs, time.perf_counter() - t0))
        print(
            f"  {kind:<8} {settings!s:<40} val {score:.4f}  epochs {epochs:>2}  "
            f"{time.perf_counter() - t0:5.0f} s",
            flush=True,
        )
        if best is None or score > best[0]:
            best = (score, model, settings)
    return best[1], best[2], time.perf_counter() - start, trace


class SoftVote:
    """Mean of the predicted probabilities of fitted models (a prefit soft vote)."""

    def __init__(self, models):
        self.models = models

    def predict_proba(self, X):
        return np.mean([model.predict_proba(X) for model in self.models], axis=0)


def val_pr_auc(model, X, y):
    return average_precision_score(y, model.predict_proba(X)[:, 1])


def val_macro_f1(model, X, y):
    return f1_score(y, model.predict(X), average="macro")


def describe(settings):
    return ", ".join(f"{k}={v}" for k, v in settings.items()) or "-"


def main(data_dir, smoke=False):
    start = time.perf_counter()
    print(f"clothing_reviews benchmark{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(environment())
    parts = load(data_dir)
    if smoke:
        parts = {
            name: part.sample(n, random_state=SEED)
            for (name, part), n in zip(
                sorted(parts.items()), (100, 200, 100), strict=True
            )  # test, train, val
        }
        grids = {kind: grid[:1] for kind, grid in GRIDS.items()}
        BASE.update(
            epochs=1,
            early_stopping=False,
            embedding_dim=8,
            text_units=8,
            tabular_units=(8,),
            hidden_units=(8,),
        )
        max_tokens, lr_grid = 2000, [1.0]
    else:
        grids, max_tokens, lr_grid = GRIDS, 20000, [1.0, 3.0, 10.0, 30.0]
    print(
        "rows: "
        + ", ".join(f"{name} {len(part)}" for name, part in sorted(parts.items()))
        + f"; positive share in train {parts['train'][TARGET].mean():.3f}"
    )
    print(f"shared network settings: {describe(BASE)}")

    rows = []
    # Same-run baseline: TF-IDF + one-hot + logistic regression, C chosen on val.
    t0 = time.perf_counter()
    fits = []
    for C in lr_grid:
        model = tfidf_lr(C).fit(parts["train"], parts["train"][TARGET])
        fits.append((val_pr_auc(model, parts["val"], parts["val"][TARGET]), C, model))
        print(f"  tfidf-lr C={C:<5g} val {fits[-1][0]:.4f}", flush=True)
    _, C, model = max(fits, key=lambda f: f[0])
    rows.append(
        binary_row(
            "TF-IDF + one-hot + LR (this run)",
            model,
            parts,
            dict(C=C),
            time.perf_counter() - t0,
        )
    )

    for kind, label in [
        ("text", "skmm text only (title + review)"),
        ("tabular", "skmm tabular only"),
        ("fused", "skmm fused (all columns)"),
    ]:
        model, settings, seconds, _ = search(
            kind, grids[kind], parts, TARGET, max_tokens, val_pr_auc
        )
        rows.append(binary_row(label, model, parts, settings, seconds))
        if kind == "fused":
            fused_model, fused_settings, fused_seconds = model, settings, seconds

    # The val-chosen fused setting trained with more seeds (on train only), soft-voted.
    t0 = time.perf_counter()
    seeds = ENSEMBLE_SEEDS[:1] if smoke else ENSEMBLE_SEEDS
    members = [fused_model] + [
        skmm_pipeline("fused", {**fused_settings, "random_state": seed}, max_tokens).fit(
            parts["train"], parts["train"][TARGET]
        )
        for seed in seeds
    ]
    rows.append(
        binary_row(
            f"skmm fused, soft vote of {len(members)} seeds",
            SoftVote(members),
            parts,
            {**fused_settings, "random_state": (SEED, *seeds)},
            fused_seconds + time.perf_counter() - t0,
        )
    )

    model, settings, seconds, _ = search(
        "rating", grids["rating"], parts, "Rating", max_tokens, val_macro_f1
    )
    rating_pred = model.predict(parts["test"])
    rating = dict(
        accuracy=accuracy_score(parts["test"]["Rating"], rating_pred),
        macro_f1=f1_score(parts["test"]["Rating"], rating_pred, average="macro"),
        seconds=seconds,
        settings=settings,
    )
    total = time.perf_counter() - start
    print_tables(rows, rating, total)
    return rows, rating, total


def defaults_main(data_dir, smoke=False, skip_options=False):
    """Task 1 with every skmm parameter at its default, next to the same-run baseline."""
    start = time.perf_counter()
    print(f"clothing_reviews --defaults{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(environment())
    parts = load(data_dir)
    extra, lr_grid = {}, [1.0, 3.0, 10.0, 30.0]
    if smoke:
        parts = {name: part.sample(200, random_state=SEED) for name, part in parts.items()}
        extra, lr_grid = dict(epochs=1), [1.0]
    print("rows: " + ", ".join(f"{name} {len(part)}" for name, part in sorted(parts.items())))
    text = [("title", TextTokenizer(), TITLE), ("review", TextTokenizer(), REVIEW)]
    tabular = tabular_blocks(with_rating=True)
    X_train, y_train = parts["train"], parts["train"][TARGET]
    rows = []
    t0 = time.perf_counter()
    fits = []
    for C in lr_grid:
        model = tfidf_lr(C).fit(X_train, y_train)
        fits.append((val_pr_auc(model, parts["val"], parts["val"][TARGET]), C, model))
    _, C, model = max(fits, key=lambda f: f[0])
    rows.append(
        binary_row("TF-IDF + one-hot + LR", model, parts, dict(C=C), time.perf_counter() - t0)
    )
    rows[-1]["accuracy"] = model.score(parts["test"], parts["test"][TARGET])
    for label, blocks, params in [
        ("skmm text only", text, {}),
        ("skmm tabular only", tabular, {}),
        ("skmm fused, defaults (ensemble)", text + tabular, {}),
        *(
            []
            if skip_options
            else [
                ("skmm fused, balance='blend'", text + tabular, dict(balance="blend")),
                ("skmm fused, balance='auxiliary'", text + tabular, dict(balance="auxiliary")),
                ("skmm fused, balance='modulate'", text + tabular, dict(balance="modulate")),
                ("skmm fused, balance=None", text + tabular, dict(balance=None)),
                ("skmm fused, modality_dropout=0", text + tabular, dict(modality_dropout=0.0)),
            ]
        ),
    ]:
        t0 = time.perf_counter()
        model = make_pipeline(
            MultimodalInput(list(blocks)),
            MultimodalClassifier(random_state=SEED, **params, **extra),
        ).fit(X_train, y_train)
        rows.append(binary_row(label, model, parts, params, time.perf_counter() - t0))
        rows[-1]["accuracy"] = model.score(parts["test"], parts["test"][TARGET])
        rows[-1]["epochs"] = model[-1].n_iter_
        print(f"  {label:<34} F1 {rows[-1]['f1']:.3f}  acc {rows[-1]['accuracy']:.3f}", flush=True)
    y_test = parts["test"][TARGET]
    print()
    print("Recommended IND, TEST split; every skmm parameter at its default")
    header = (
        f"{'model':<34} {'F1':>6} {'PR-AUC':>7} {'F1@0.5':>7} {'acc':>6} {'epochs':>6} "
        f"{'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['model']:<34} {r['f1']:6.3f} {r['pr_auc']:7.3f} {r['f1_05']:7.3f} "
            f"{r['accuracy']:6.3f} {r.get('epochs', 0):6d} {r['seconds']:7.0f}"
        )
    rule = (parts["test"]["Rating"] >= 4).astype(int)
    print(
        f"{'rule Rating >= 4':<34} {f1_score(y_test, rule):6.3f} {'':>7} {'':>7} "
        f"{accuracy_score(y_test, rule):6.3f}"
    )
    majority = max(y_test.mean(), 1 - y_test.mean())
    print(f"{'majority class':<34} {'':>6} {'':>7} {'':>7} {majority:6.3f}")
    by = {r["model"]: r for r in rows}
    fused = by["skmm fused, defaults (ensemble)"]
    singles = max(by["skmm text only"]["f1"], by["skmm tabular only"]["f1"])
    print(
        f"targets: fused F1 {fused['f1']:.3f} >= both single modalities ({singles:.3f}) -> "
        f"{'MET' if fused['f1'] >= singles else 'NOT MET'}; >= TF-IDF + LR "
        f"({by['TF-IDF + one-hot + LR']['f1']:.3f}) -> "
        f"{'MET' if fused['f1'] >= by['TF-IDF + one-hot + LR']['f1'] else 'NOT MET'}; "
        f">= 0.968 -> {'MET' if fused['f1'] >= 0.968 else 'NOT MET'}"
    )
    print(f"total run time: {time.perf_counter() - start:.0f} s")
    return rows


def print_tables(rows, rating, total):
    print()
    print("Recommended IND, TEST split (F1 at the threshold chosen on val, thr; also at 0.5)")
    header = (
        f"{'model':<48} {'F1':>6} {'PR-AUC':>7} {'F1@0.5':>7} {'thr':>5} "
        f"{'wall s':>7}  chosen on val"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['model']:<48} {r['f1']:6.3f} {r['pr_auc']:7.3f} {r['f1_05']:7.3f} "
            f"{r['threshold']:5.2f} {r['seconds']:7.0f}  {describe(r['settings'])}"
        )
    for label, f1, pr_auc in PUBLISHED:
        print(f"{label:<48} {f1:6.3f} {pr_auc:7.3f} {'':>7} {'':>5} {'-':>7}")
    for fused in (r for r in rows if r["model"].startswith("skmm fused")):
        met = fused["f1"] >= 0.968 and fused["pr_auc"] >= 0.995 and total < 900
        print(
            f"target (fused >= 0.968 F1 and >= 0.995 PR-AUC, run < 15 min), {fused['model']}: "
            f"F1 {fused['f1']:.3f}, PR-AUC {fused['pr_auc']:.3f}, run {total / 60:.1f} min -> "
            f"{'MET' if met else 'NOT MET'}"
        )
    print()
    print("Rating (5 classes), TEST split, inputs without Rating and Recommended IND")
    print(f"{'model':<48} {'accuracy':>8} {'macro-F1':>8} {'wall s':>7}  chosen on val")
    print(
        f"{'skmm fused (text + tabular, no Rating)':<48} {rating['accuracy']:8.3f} "
        f"{rating['macro_f1']:8.3f} {rating['seconds']:7.0f}  {describe(rating['settings'])}"
    )
    print(f"\ntotal run time: {total:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help="the shared data folder")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--defaults", action="store_true", help="skmm rows at their defaults")
    parser.add_argument(
        "--skip-options",
        action="store_true",
        help="with --defaults: leave out the rows of the other balance options and of "
        "modality_dropout=0 (a third of the run time)",
    )
    args = parser.parse_args()
    if args.defaults:
        defaults_main(args.data_dir, smoke=args.smoke, skip_options=args.skip_options)
    else:
        main(args.data_dir, smoke=args.smoke)
