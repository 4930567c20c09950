"""Choosing λ: a warm-started path against a grid search.

`MultimodalClassifierCV` chooses the L2 strength λ as `LogisticRegressionCV`
chooses C: one network per fold, trained along a path of λ from weak to
strong, each step warm-started from the one before, then refit along the same
path on all rows. The script runs it next to `GridSearchCV` over the same λ
and folds, and prints the scores per λ, the chosen λ and both run times.
"""

import argparse
import time

from sklearn.model_selection import GridSearchCV, StratifiedKFold
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


def main(smoke=False):
    if smoke:
        n_samples, epochs, l2s, folds = 90, 3, [1e-4, 1e-2], 2
    else:
        n_samples, epochs, l2s, folds = 600, 15, [1e-5, 1e-4, 1e-3, 1e-2, 1e-1], 3
    X, y = make_multimodal_classification(n_samples=n_samples, image_size=16, random_state=0)
    inputs = MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=2000, sequence_length=24), "caption"),
            ("image", ImageNormalizer(size=(16, 16)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    network = {"epochs": epochs, "image_width_multiplier": 0.25, "random_state": 0}
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)

    start = time.perf_counter()
    path = make_pipeline(inputs, MultimodalClassifierCV(l2s=l2s, cv=cv, **network)).fit(X, y)
    path_seconds = time.perf_counter() - start
    chosen = path[-1]
    for l2, score in zip(chosen.l2s_, chosen.scores_.mean(axis=0), strict=True):
        print(f"path  l2={l2:<8g} cv accuracy {score:.3f}")
    print(f"path chose l2={chosen.l2_:g} in {path_seconds:.1f} s")

    start = time.perf_counter()
    grid = GridSearchCV(
        make_pipeline(inputs, MultimodalClassifier(**network)),
        {"multimodalclassifier__l2": l2s},
        cv=cv,
    ).fit(X, y)
    grid_seconds = time.perf_counter() - start
    best = grid.best_params_["multimodalclassifier__l2"]
    print(f"grid chose l2={best:g} in {grid_seconds:.1f} s")
    print(f"time ratio path / grid: {path_seconds / grid_seconds:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    main(smoke=parser.parse_args().smoke)
