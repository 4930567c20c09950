"""Transfer on clothing reviews: a text encoder trained on ratings, reused with 500 labels.

Data: ``clothing_reviews/reviews.parquet`` and ``split.csv`` in the shared data
folder (see ``clothing_reviews.py``; reading parquet needs ``pyarrow``).

1. Source: a text-only skmm classifier (Title + Review Text, one block, skmm's
   defaults) learns the 5-class ``Rating`` on the whole TRAIN split (18,788
   rows; ``Recommended IND`` is never read).
2. Target: ``Recommended IND`` from the same text with only ``--labels`` (500;
   several comma-separated sizes give one table each) labelled rows, drawn
   from TRAIN (stratified, seeded; ``--seeds`` draws).
   Each target model trains on those rows alone and is scored on the TEST
   split (2,349 rows): F1 of the positive class at 0.5 and PR-AUC.

   - transfer, frozen: the source's text encoder and tokenizer
     (``TransferredEncoder``) with ``backbone_trainable=False``;
   - transfer, fine-tuned: the same, ``backbone_trainable=True`` (the encoder
     at 0.1 times the learning rate, skmm's default ``backbone_lr_factor``);
   - from scratch: the same network, tokenizer and encoder fitted on the 500
     rows only;
   - transform + LR: ``LogisticRegression`` on the frozen source model's
     features (``transform``, the embedding step), C=1;
   - TF-IDF + LR on the 500 rows (unigrams and bigrams, C=10), fitted here.

Every skmm model keeps its defaults but ``random_state`` (and ``epochs`` in
``--smoke``). No test row is used to choose anything.

Run:  python benchmarks/real/clothing_transfer.py [--data-dir DIR] [--labels 100,500,2000]
      [--seeds 3] [--smoke]
(about 90 s on 2 CPU cores for 500 labels, 5 minutes for 100,500,2000; --smoke takes
seconds and its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clothing_reviews import DEFAULT_DATA, REVIEW, TITLE, environment, load  # noqa: E402

from skmm import MultimodalClassifier, MultimodalInput, TextTokenizer  # noqa: E402
from skmm.compose import TransferredEncoder  # noqa: E402

TEXT = "text"


def with_text(frame):
    """One text column: the title and the review (a missing part left out)."""
    title = frame[TITLE].fillna("").astype(str)
    review = frame[REVIEW].fillna("").astype(str)
    text = (title + ". " + review).str.strip(". ").replace("", np.nan)
    return pd.DataFrame({TEXT: text}, index=frame.index)


def text_pipeline(tokenizer, **params):
    return make_pipeline(MultimodalInput([(TEXT, tokenizer, TEXT)]), MultimodalClassifier(**params))


def scores(y_true, proba):
    positive = proba[:, 1] if proba.ndim == 2 else proba
    return f1_score(y_true, positive >= 0.5), average_precision_score(y_true, positive)


def target(transfer, source, X_train, train, X_test, y_test, n_labels, n_seeds, extra):
    """Train every target model on ``n_labels`` rows (``n_seeds`` draws); print the table."""
    rows = {}
    for seed in range(n_seeds):
        labelled, _ = train_test_split(
            np.arange(len(train)),
            train_size=n_labels,
            stratify=train["Recommended IND"],
            random_state=seed,
        )
        X, y = X_train.iloc[labelled], train["Recommended IND"].to_numpy()[labelled]
        models = {
            "skmm, transferred encoder, frozen": text_pipeline(
                transfer.transformer,
                block_encoders={TEXT: transfer},
                backbone_trainable=False,
                random_state=seed,
                **extra,
            ),
            "skmm, transferred encoder, fine-tuned": text_pipeline(
                transfer.transformer,
                block_encoders={TEXT: transfer},
                random_state=seed,
                **extra,
            ),
            "skmm, same network from scratch": text_pipeline(
                TextTokenizer(), random_state=seed, **extra
            ),
            "source model's transform + LR": make_pipeline(
                FrozenEstimator(source), StandardScaler(), LogisticRegression(max_iter=2000)
            ),
            "TF-IDF (1-2 grams) + LR": make_pipeline(
                FunctionTransformer(text_cells),
                TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                LogisticRegression(C=10, max_iter=2000),
            ),
        }
        for name, model in models.items():
            began = time.perf_counter()
            model.fit(X, y)
            f1, pr_auc = scores(y_test, model.predict_proba(X_test))
            rows.setdefault(name, []).append((f1, pr_auc, time.perf_counter() - began))

    print(
        f"\ntarget: Recommended IND with {n_labels} labelled TRAIN rows, "
        f"{n_seeds} draws; TEST split ({len(X_test)} rows), mean ± std over the draws"
    )
    print("| model | F1@0.5 | PR-AUC | fit s |\n|---|---|---|---|")
    for name, values in rows.items():
        values = np.array(values)
        mean, std = values.mean(axis=0), values.std(axis=0)
        print(
            f"| {name} | {mean[0]:.3f} ± {std[0]:.3f} | {mean[1]:.3f} ± {std[1]:.3f} "
            f"| {mean[2]:.0f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument(
        "--labels", default="500", help="labelled rows of the target, comma-separated sizes"
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    print(environment())
    splits = load(args.data_dir)
    train, test = splits["train"], splits["test"]
    extra = {"epochs": 1} if args.smoke else {}
    if args.smoke:
        train, test = train.iloc[:600], test.iloc[:300]
        args.seeds = 1
        args.labels = "200"
    X_train, X_test = with_text(train), with_text(test)
    y_test = test["Recommended IND"].to_numpy()

    start = time.perf_counter()
    source = text_pipeline(TextTokenizer(), random_state=0, **extra)
    source.fit(X_train, train["Rating"].to_numpy())
    source_s = time.perf_counter() - start
    rating_accuracy = source.score(X_test, test["Rating"].to_numpy())
    print(
        f"source: 5-class Rating on {len(X_train)} TRAIN rows, {source_s:.0f} s; "
        f"test accuracy {rating_accuracy:.3f} ({source[-1].n_iter_} epochs)"
    )
    transfer = TransferredEncoder.from_estimator(source, TEXT)

    for n_labels in [int(n) for n in str(args.labels).split(",")]:
        target(transfer, source, X_train, train, X_test, y_test, n_labels, args.seeds, extra)
    print(f"wall s: {time.perf_counter() - start:.0f}")


def text_cells(X):
    """The text column, a missing text as an empty string (for TF-IDF)."""
    return X[TEXT].fillna("").to_numpy()


if __name__ == "__main__":
    main()
