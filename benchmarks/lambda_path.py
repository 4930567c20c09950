"""Choosing λ: MultimodalClassifierCV's warm-started path vs GridSearchCV over l2.

Both search the same λ grid with the same folds on the quickstart data and
network (text + image + tabular, as in examples/quickstart.py), then refit on
all training rows. Prints the wall time of each, their ratio (target <= 0.5),
the λ each chooses, the mean cross-validated accuracy each measured per λ,
and the accuracy of each refit model on a held-out seeded test split. CPU
seconds are printed too: on a shared machine they are less disturbed by other
processes than wall time.

Run:  python benchmarks/lambda_path.py            (about 3 minutes on 2 CPU cores)
      python benchmarks/lambda_path.py --smoke    (about 20 s; a check that it runs)
"""

import argparse
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import (
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalClassifierCV,
    MultimodalInput,
    TextTokenizer,
)
from skmm.datasets import make_multimodal_classification


def preprocessing():
    return MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=5000, sequence_length=24), "caption"),
            ("image", ImageNormalizer(size=(32, 32)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )


def timed(model, X, y):
    """Wall and CPU seconds (this process, all threads) of ``model.fit(X, y)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(X, y)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--n-l2s", type=int, default=5, help="λ log-spaced from 1e-5 to 1e-1")
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--path-epochs", type=int, default=None, help="default: the estimator's")
    args = parser.parse_args(argv)
    if args.smoke:
        args.n_samples, args.epochs, args.n_l2s, args.cv = 120, 2, 2, 2

    X, y = make_multimodal_classification(n_samples=args.n_samples, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    grid = list(np.logspace(-5, -1, args.n_l2s))
    folds = StratifiedKFold(args.cv)  # what cv=int gives both
    network = dict(
        epochs=args.epochs, learning_rate=3e-3, image_width_multiplier=0.25, random_state=0
    )

    if not args.smoke:  # warm up TensorFlow (first graph, thread pools) for fair timings
        warm_up = make_pipeline(preprocessing(), MultimodalClassifier(**{**network, "epochs": 1}))
        warm_up.fit(X_train.iloc[:64], y_train[:64])

    path = make_pipeline(
        preprocessing(),
        MultimodalClassifierCV(l2s=grid, cv=folds, path_epochs=args.path_epochs, **network),
    )
    path_seconds = timed(path, X_train, y_train)
    search = GridSearchCV(
        make_pipeline(preprocessing(), MultimodalClassifier(**network)),
        {"multimodalclassifier__l2": grid},
        cv=folds,
    )
    search_seconds = timed(search, X_train, y_train)

    clf = path[-1]
    path_epochs = clf._path_epochs()
    search_l2 = search.best_params_["multimodalclassifier__l2"]
    search_means = dict(
        zip(
            search.cv_results_["param_multimodalclassifier__l2"],
            search.cv_results_["mean_test_score"],
            strict=True,
        )
    )
    print(
        f"{len(X_train)} training rows, {len(X_test)} test rows; {args.cv}-fold CV over "
        f"{len(grid)} λ; epochs={args.epochs}, path_epochs={path_epochs}"
    )
    print(f"{'λ (path order)':>14}  {'GridSearchCV cv acc':>19}  {'path cv acc':>11}")
    for l2, path_mean in zip(clf.l2s_, clf.cv_results_["mean_test_score"], strict=True):
        print(f"{l2:>14.0e}  {search_means[l2]:>19.3f}  {path_mean:>11.3f}")
    print()
    header = ("seconds", 9), ("ratio", 7), ("CPU s", 8), ("ratio", 7), ("chosen λ", 10)
    print(f"{'method':<26}" + "".join(f"{h:>{w}}" for h, w in header) + f"{'test acc':>10}")
    rows = [
        ("GridSearchCV (baseline)", search_seconds, search_l2, search.score(X_test, y_test)),
        ("MultimodalClassifierCV", path_seconds, clf.l2_, path.score(X_test, y_test)),
    ]
    for label, (wall, cpu), l2, accuracy in rows:
        print(
            f"{label:<26}{wall:>9.1f}{wall / search_seconds[0]:>7.2f}{cpu:>8.1f}"
            f"{cpu / search_seconds[1]:>7.2f}{l2:>10.0e}{accuracy:>10.3f}"
        )
    ratio = path_seconds[0] / search_seconds[0]
    print(f"wall-time ratio {ratio:.2f} (target <= 0.5: {'met' if ratio <= 0.5 else 'missed'})")


if __name__ == "__main__":
    main()
