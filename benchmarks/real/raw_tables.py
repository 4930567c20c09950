"""Real tables given as they are: MultimodalClassifier().fit(df, y) with no MultimodalInput.

The estimator reads each column's role itself (``column_roles_``) and builds the
input those roles call for; this script measures what that gives on real data,
every parameter at its default (only ``random_state`` set), next to a
scikit-learn baseline of the same run:

- clothing reviews (``clothing_reviews/``, the published split): every column but
  the target as it is in the file (ids, ages, ratings, two texts with missing
  cells, three categories); test accuracy, F1 of class 1 at 0.5 and PR-AUC,
  against TF-IDF + one-hot + logistic regression (``clothing_reviews.py``'s
  baseline, C = 1);
- spoken + handwritten digits (``spoken_digits/`` + ``mnist_5k/``, paired as in
  ``audio_visual_digits.py``): a table of wav paths and 28x28 pixel arrays; test
  errors of 300, against a logistic regression on the standardized log-mel
  features and pixels.

Run:  python benchmarks/real/raw_tables.py [--data-dir DIR] [--train-rows N] [--smoke]
(--train-rows subsamples the clothing reviews' training rows, seeded; --smoke
takes seconds and its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import audio_visual_digits as digits  # noqa: E402
import clothing_reviews as clothing  # noqa: E402

from skmm import AudioFeaturizer, MultimodalClassifier  # noqa: E402

TARGET = "Recommended IND"


def roles_line(clf):
    return ", ".join(f"{column}: {role}" for column, role in clf.column_roles_.items())


def clothing_rows(data_dir, train_rows, smoke):
    parts = clothing.load(data_dir)
    train, test = parts["train"], parts["test"]
    if smoke:
        train, test = train.iloc[:200], test.iloc[:100]
    elif train_rows:
        train = train.sample(n=min(train_rows, len(train)), random_state=0)
    X, y = train.drop(columns=[TARGET]), train[TARGET].to_numpy()
    X_test, y_test = test.drop(columns=[TARGET]), test[TARGET].to_numpy()
    rows = []
    start = time.perf_counter()
    clf = MultimodalClassifier(random_state=0, **({"epochs": 1} if smoke else {}))
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    p = clf.predict_proba(X_test)[:, 1]
    rows.append(("skmm, raw table, defaults", p, seconds))
    print(f"clothing reviews: roles read: {roles_line(clf)}")
    start = time.perf_counter()
    baseline = clothing.tfidf_lr(C=1.0).fit(X, y)
    rows.append(("TF-IDF + one-hot + LR (C=1)", baseline.predict_proba(X_test)[:, 1],
                 time.perf_counter() - start))  # fmt: skip
    print(f"{len(X)} training rows, {len(X_test)} test rows (the published split)")
    print(f"{'model':<32} {'accuracy':>8} {'F1@0.5':>7} {'PR-AUC':>7} {'wall s':>7}")
    for label, proba, secs in rows:
        print(
            f"{label:<32} {accuracy_score(y_test, proba >= 0.5):>8.3f} "
            f"{f1_score(y_test, proba >= 0.5):>7.3f} "
            f"{average_precision_score(y_test, proba):>7.3f} {secs:>7.0f}"
        )


def digits_rows(data_dir, smoke):
    train, test = digits.load(data_dir)
    if smoke:
        train, test = train.iloc[::30], test.iloc[::10]
    columns = ["clip", "image"]
    X, y = train[columns], train["digit"].to_numpy()
    X_test, y_test = test[columns], test["digit"].to_numpy()
    start = time.perf_counter()
    clf = MultimodalClassifier(random_state=0, **({"epochs": 1} if smoke else {}))
    clf.fit(X, y)
    seconds = time.perf_counter() - start
    print(f"\ndigits: roles read: {roles_line(clf)}")
    errors = int((clf.predict(X_test) != y_test).sum())
    start = time.perf_counter()
    features = AudioFeaturizer().fit(X["clip"])

    def table(frame):
        audio = features.transform(frame["clip"]).reshape(len(frame), -1)
        pixels = np.stack(frame["image"].to_numpy()).reshape(len(frame), -1) / 255.0
        return np.hstack([audio, pixels])

    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(table(X), y)
    lr_errors = int((lr.predict(table(X_test)) != y_test).sum())
    lr_seconds = time.perf_counter() - start
    print(f"{len(X)} training pairs, {len(X_test)} test pairs")
    print(f"{'model':<32} {'errors':>7} {'wall s':>7}")
    print(f"{'skmm, raw table, defaults':<32} {errors:>7} {seconds:>7.0f}")
    print(f"{'LR, log-mel + pixels':<32} {lr_errors:>7} {lr_seconds:>7.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(clothing.DEFAULT_DATA))
    parser.add_argument("--train-rows", type=int, default=None)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    print(clothing.environment())
    clothing_rows(args.data_dir, args.train_rows, args.smoke)
    digits_rows(args.data_dir, args.smoke)


if __name__ == "__main__":
    main()
