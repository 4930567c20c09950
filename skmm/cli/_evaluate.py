"""Metrics for ``skmm evaluate``: scorers on fixed predictions, the report."""

from __future__ import annotations

import json
import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer, get_scorer_names

from ._errors import UsageError
from ._predictions import per_target_probabilities

#: The share of rows with every target right (several classification targets).
SUBSET_ACCURACY = "subset_accuracy"


def default_metrics(task, n_classes, n_targets):
    """The metrics ``evaluate`` reports when ``--scoring`` is not given.

    Parameters
    ----------
    task : {"classification", "regression"}
    n_classes : int or None
        Classes of a single classification target (None otherwise).
    n_targets : int

    Returns
    -------
    names : list of str
        scikit-learn scorer names (and ``subset_accuracy``).
    """
    if task == "regression":
        return ["r2", "neg_mean_absolute_error", "neg_root_mean_squared_error"]
    names = ["accuracy", "balanced_accuracy", "f1_macro"]
    if n_targets > 1:
        return [SUBSET_ACCURACY, *names]
    if n_classes == 2:
        names.append("roc_auc")
    return names


def check_metrics(names, task, n_targets):
    """Refuse metric names scikit-learn does not know.

    Parameters
    ----------
    names : list of str
    task : {"classification", "regression"}
    n_targets : int
    """
    known = set(get_scorer_names())
    for name in names:
        if name == SUBSET_ACCURACY:
            if task != "classification" or n_targets < 2:
                raise UsageError(
                    f"--scoring {SUBSET_ACCURACY} needs several classification targets"
                )
        elif name not in known:
            raise UsageError(
                f"--scoring: unknown metric {name!r}; use scikit-learn scorer names such as "
                "accuracy, balanced_accuracy, f1_macro, roc_auc, r2, neg_mean_absolute_error "
                "(sklearn.metrics.get_scorer_names() lists them all)"
            )


def shown_name(name):
    """How a metric is reported: ``neg_mean_absolute_error`` becomes ``mean_absolute_error``."""
    return name[len("neg_") :] if name.startswith("neg_") else name


class _FixedPredictions(BaseEstimator):
    """Stands for a fitted model whose predictions are already known, so that
    scikit-learn's scorers run without predicting again for each metric."""

    def __init__(self, y_pred=None, proba=None, classes=None):
        self.y_pred = y_pred
        self.proba = proba
        self.classes = classes

    def fit(self, X, y):
        return self

    def predict(self, X):
        return self.y_pred

    def predict_proba(self, X):
        if self.proba is None:
            raise UsageError("this metric needs class probabilities, which the model lacks")
        return self.proba

    @property
    def classes_(self):
        return self.classes

    def __sklearn_is_fitted__(self):
        return True


class _FixedClassifier(ClassifierMixin, _FixedPredictions):
    pass


class _FixedRegressor(RegressorMixin, _FixedPredictions):
    pass


def score_predictions(model, task, names, y_true, y_pred, proba, target_labels):
    """Each metric of the predictions of one model.

    Parameters
    ----------
    model : object
        The fitted model (for its classes).
    task : {"classification", "regression"}
    names : list of str
        Metric names.
    y_true : pandas.Series or pandas.DataFrame
    y_pred : ndarray
    proba : ndarray, list of ndarray or None
    target_labels : list of str
        Names of the target columns.

    Returns
    -------
    scores : dict of str to float
        By reported name; with several targets, ``<metric>[<target>]`` for
        each target (and ``subset_accuracy``).
    """
    frame = y_true.to_frame() if y_true.ndim == 1 else y_true
    n_targets = frame.shape[1]
    # column by column, so that each keeps (or finds back) its own dtype
    truth = [_as_array(frame.iloc[:, j]) for j in range(n_targets)]
    matrix = np.asarray(y_pred).reshape(len(frame), n_targets)
    predicted = [_as_array(matrix[:, j]) for j in range(n_targets)]
    per_target = (
        per_target_probabilities(model, proba, n_targets)
        if proba is not None
        else [(None, None)] * n_targets
    )
    if task == "classification" and proba is None:
        classes = _classes(model, n_targets)
        per_target = [(None, c) for c in classes]
    scores = {}
    for name in names:
        if name == SUBSET_ACCURACY:
            right = [t == p for t, p in zip(truth, predicted, strict=True)]
            scores[name] = float(np.mean(np.all(right, axis=0)))
            continue
        scorer = get_scorer(name)
        sign = -1.0 if name.startswith("neg_") else 1.0
        for j in range(n_targets):
            probabilities, classes = per_target[j]
            fixed = (
                _FixedClassifier(predicted[j], probabilities, classes)
                if task == "classification"
                else _FixedRegressor(predicted[j].astype(float))
            )
            y = truth[j] if task == "classification" else truth[j].astype(float)
            key = shown_name(name) if n_targets == 1 else f"{shown_name(name)}[{target_labels[j]}]"
            scores[key] = sign * float(scorer(fixed, None, y))
    return scores


def _as_array(values):
    """A 1-D array of ``values`` with the dtype NumPy infers from them (not object)."""
    return np.asarray(list(values))


def _classes(model, n_targets):
    from ._model import final_estimator

    classes = final_estimator(model).classes_
    if n_targets == 1:
        return [np.asarray(classes)]
    if isinstance(classes, list):
        return [np.asarray(c) for c in classes]
    return [np.array([0, 1])] * n_targets


def needs_proba(names):
    """Whether any of the metrics scores probabilities (or decision values)."""
    for name in names:
        if name == SUBSET_ACCURACY:
            continue
        response = getattr(get_scorer(name), "_response_method", "predict")
        methods = (response,) if isinstance(response, str) else tuple(response)
        if "predict" not in methods:
            return True
    return False


def _clean(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def summarize(fold_scores):
    """Per metric: the value of each fold, their mean and standard deviation.

    Parameters
    ----------
    fold_scores : list of dict
        One ``score_predictions`` result per fold.

    Returns
    -------
    summary : dict
        ``{metric: {"folds": [...], "mean": float, "std": float}}``.
    """
    summary = {}
    for name in fold_scores[0]:
        values = np.array([scores[name] for scores in fold_scores], dtype=float)
        summary[name] = {
            "folds": [float(v) for v in values],
            "mean": float(np.mean(values)),
            "std": float(np.std(values)),
        }
    return summary


def json_report(report):
    """The report as JSON text (NaN, e.g. an undefined metric in a fold, becomes null)."""

    def clean(value):
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return _clean(value)

    return json.dumps(clean(report), indent=2) + "\n"


def _number(value):
    return "nan" if value is None or math.isnan(value) else f"{value:.4f}"


def text_report(report):
    """The report as an aligned text table.

    Parameters
    ----------
    report : dict
        As built by the ``evaluate`` command (see ``json_report``).

    Returns
    -------
    text : str
    """
    lines = [report["description"], ""]
    metrics = report["metrics"]
    width = max(len("metric"), *(len(name) for name in metrics)) + 2
    if report.get("cv") is None:
        lines.append(f"{'metric':<{width}}value")
        for name, entry in metrics.items():
            lines.append(f"{name:<{width}}{_number(entry['value'])}")
        return "\n".join(lines) + "\n"
    n_folds = report["cv"]["n_splits"]
    header = f"{'metric':<{width}}" + "".join(f"{f'fold {k + 1}':>9}" for k in range(n_folds))
    lines.append(header + "   mean ± std")
    for name, entry in metrics.items():
        folds = "".join(f"{_number(v):>9}" for v in entry["folds"])
        lines.append(f"{name:<{width}}{folds}   {_number(entry['mean'])} ± {_number(entry['std'])}")
    seconds = report.get("fit_seconds")
    if seconds:
        lines.append("")
        lines.append(f"fit time per fold: {np.mean(seconds):.1f} s (total {np.sum(seconds):.1f} s)")
    return "\n".join(lines) + "\n"
