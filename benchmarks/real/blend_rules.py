"""How the default ensemble's heads are blended: arithmetic vs geometric, fixed vs 1/n penalty.

The default ``balance="ensemble"`` predicts with a blend of its heads (the
fused head and one head per block) whose weights are fitted on the held-out
early-stopping rows. This script fits the default network once per fold and
then re-blends the same heads' predictions several ways, so that only the
blend rule differs between the rows of its table:

- arithmetic or geometric (the normalized weighted geometric mean of the
  heads' probabilities, what ``HeadBlend`` does for a classifier);
- weights fitted with the penalty ``BLEND_PENALTY / n`` on their logits
  (``n`` held-out rows, what ``fit_blend_weights`` does), with the former
  fixed penalty ``1e-3``, or uniform.

Data: the icons of ``icons_and_names.py`` (3-fold CV x ``--seeds``; the
Debian package is fetched into ``--cache-dir`` on first use) and the digits
of ``audio_visual_digits.py`` (its train / test split; ``--data-dir``).

Run:  python benchmarks/real/blend_rules.py [--seeds 3] [--cache-dir DIR] [--data-dir DIR]
                                            [--smoke]
(about 12 minutes on 2 CPU cores; --smoke takes seconds and its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.pipeline import make_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio_visual_digits as digits  # noqa: E402
import icons_and_names as icons  # noqa: E402

import skmm.estimators._training as estimator_training  # noqa: E402
from skmm import MultimodalClassifier, MultimodalInput  # noqa: E402
from skmm.network import blend_layer  # noqa: E402
from skmm.network._balancing import BLEND_PENALTY, blend  # noqa: E402

#: The penalty on the blend logits before it was scaled by 1 / n.
FORMER_PENALTY = 1e-3

RULES = [
    ("arithmetic, fixed penalty 1e-3 (former default)", None, "fixed"),
    ("arithmetic, penalty 1/n", None, "scaled"),
    ("arithmetic, uniform weights", None, "uniform"),
    ("geometric, fixed penalty 1e-3", "groups", "fixed"),
    ("geometric, penalty 1/n (default)", "groups", "scaled"),
    ("geometric, uniform weights", "groups", "uniform"),
]


class HeldOutHeads:
    """Records the held-out heads' predictions that a fit hands to ``fit_blend_weights``."""

    def __init__(self):
        self.original = estimator_training.fit_blend_weights
        self.last = None

    def __enter__(self):
        def record(model, heads, masks, y, sample_weight, loss):
            self.last = ([np.asarray(h, dtype=np.float64) for h in heads], np.asarray(y))
            return self.original(model, heads, masks, y, sample_weight, loss)

        estimator_training.fit_blend_weights = record
        return self

    def __exit__(self, *exc):
        estimator_training.fit_blend_weights = self.original


def head_predictions(pipeline, frame):
    """Every blended head's probabilities on ``frame``, and the head names."""
    clf = pipeline[-1]
    blocks = pipeline[0].transform(frame)
    inputs = clf.feature_encoder_.transform(blocks)
    layer = blend_layer(clf.model_)
    n_heads = len(layer.has_presence)
    heads = keras.Model(clf.model_.inputs, list(layer.input)[:n_heads])(inputs, training=False)
    return [keras.ops.convert_to_numpy(h).astype(np.float64) for h in heads], list(
        clf.head_weights_
    )


def mean_nll(p, codes):
    return float(-np.log(np.clip(p[np.arange(len(codes)), codes], 1e-7, 1)).mean())


def fit_weights(heads, codes, groups, penalty):
    """Blend weights minimizing the held-out cross-entropy plus ``penalty |logits|^2``."""
    ones = [np.ones((len(codes), 1))] * len(heads)

    def objective(logits):
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()
        return mean_nll(blend(heads, ones, weights, groups), codes) + penalty * logits @ logits

    result = minimize(objective, np.zeros(len(heads)), method="Nelder-Mead")
    weights = np.exp(result.x - result.x.max())
    return weights / weights.sum()


def score_rules(held_out, test_heads, test_codes, n_classes):
    """Accuracy of each rule of RULES, and of each head alone, on the test rows."""
    val_heads, val_y = held_out
    val_codes = np.asarray(val_y).reshape(-1).astype(int)
    ones = [np.ones((len(test_codes), 1))] * len(test_heads)
    scores = {}
    for label, geometric, weighting in RULES:
        groups = [n_classes] if geometric else None
        if weighting == "uniform":
            weights = np.full(len(test_heads), 1 / len(test_heads))
        else:
            penalty = FORMER_PENALTY if weighting == "fixed" else BLEND_PENALTY / len(val_codes)
            weights = fit_weights(val_heads, val_codes, groups, penalty)
        blended = blend(test_heads, ones, weights, groups)
        scores[label] = float((blended.argmax(axis=1) == test_codes).mean())
    return scores


def run(make, frame, y, folds, extra):
    """Per rule (and per head alone): the test accuracies over ``folds``."""
    table = {}
    for seed, train, test in folds:
        model = make()
        model[-1].set_params(random_state=seed, **extra)
        with HeldOutHeads() as recorder:
            model.fit(frame.iloc[train], y[train])
        heads, names = head_predictions(model, frame.iloc[test])
        codes = np.searchsorted(model[-1].classes_, y[test])
        scores = score_rules(recorder.last, heads, codes, len(model[-1].classes_))
        for name, head in zip(names, heads, strict=True):
            scores[f"the {name} head alone"] = float((head.argmax(axis=1) == codes).mean())
        for label, value in scores.items():
            table.setdefault(label, []).append(value)
    return table


def main(cache_dir, data_dir, seeds=3, smoke=False):
    start = time.perf_counter()
    print(f"blend_rules benchmark{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(icons.environment())
    extra = dict(epochs=2) if smoke else {}

    frame = icons.load(icons.fetch(cache_dir))
    y = frame["category"].to_numpy()
    folds = icons.repeated_folds(y, seeds)
    if smoke:
        frame, y = frame.iloc[::2].reset_index(drop=True), y[::2]
        folds = icons.repeated_folds(y, 1)[:1]
    icon_table = run(lambda: icons.skmm_pipeline([icons.TEXT, icons.IMAGE]), frame, y, folds, extra)

    train, test = digits.load(data_dir)
    if smoke:
        train, test = train.iloc[::10], test.iloc[::10]
    pairs = pd.concat([train, test], ignore_index=True)
    digit_folds = [(digits.SEED, np.arange(len(train)), np.arange(len(train), len(pairs)))]
    digit_table = run(
        lambda: make_pipeline(
            MultimodalInput([digits.AUDIO, digits.IMAGE]), MultimodalClassifier()
        ),
        pairs,
        pairs["digit"].to_numpy(),
        digit_folds,
        extra,
    )

    print()
    print("The same fitted default ensembles, their heads blended several ways")
    header = f"{'blend':<50} {'icons accuracy':>16} {'digits errors':>14}"
    print(header)
    print("-" * len(header))
    for label, _, _ in RULES:
        errors = round((1 - digit_table[label][0]) * len(test))
        icon_scores = icon_table[label]
        print(f"{label:<50} {np.mean(icon_scores):7.3f} +- {np.std(icon_scores):.3f} {errors:14d}")
    print(f"(icons: {len(folds)} folds; digits: errors of {len(test)} test pairs)")
    alone = [label for label in icon_table if label.endswith("head alone")]
    print(
        "icons, each head alone (accuracy): "
        + ", ".join(f"{label[4:-11]} {np.mean(icon_table[label]):.3f}" for label in alone)
    )
    alone = [label for label in digit_table if label.endswith("head alone")]
    print(
        "digits, each head alone (errors): "
        + ", ".join(
            f"{label[4:-11]} {round((1 - digit_table[label][0]) * len(test))}" for label in alone
        )
    )
    print(f"total run time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    icons.add_cache_dir_argument(parser)
    parser.add_argument("--data-dir", default=str(digits.DEFAULT_DATA), help="shared data folder")
    parser.add_argument("--seeds", type=int, default=3, help="repeats of the icons' 3-fold CV")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    main(args.cache_dir, args.data_dir, seeds=args.seeds, smoke=args.smoke)
