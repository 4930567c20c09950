"""Predicting in chunks, and laying the predictions out as a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from ._errors import UsageError
from ._model import final_estimator, target_names


def predict_chunks(model, X, chunk_size, bar, proba=False):
    """Predict ``X`` chunk by chunk, moving ``bar`` one step per chunk.

    Parameters
    ----------
    model : object
        A fitted model.
    X : pandas.DataFrame
    chunk_size : int
        Rows per chunk.
    bar : ProgressBar
        Counts chunks.
    proba : bool, default=False
        Also compute ``predict_proba``.

    Returns
    -------
    y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
    proba : ndarray, list of ndarray or None
        As ``predict_proba`` returns it (None unless ``proba``).
    """
    predictions, probabilities = [], []
    for start in range(0, len(X), chunk_size):
        chunk = X.iloc[start : start + chunk_size]
        predictions.append(np.asarray(model.predict(chunk)))
        if proba:
            probabilities.append(model.predict_proba(chunk))
        bar.advance()
    y_pred = np.concatenate(predictions)
    if not proba:
        return y_pred, None
    if isinstance(probabilities[0], list):
        return y_pred, [np.concatenate(parts) for parts in zip(*probabilities, strict=True)]
    return y_pred, np.concatenate(probabilities)


def task_of(model):
    """``"classification"`` or ``"regression"``, from the model's final step."""
    return "classification" if is_classifier(final_estimator(model)) else "regression"


def output_names(model, n_targets):
    """Names of the prediction columns: ``prediction``, or one per target."""
    if n_targets == 1:
        return ["prediction"]
    names = target_names(model)
    if names is None or len(names) != n_targets:
        names = [f"prediction_{i}" for i in range(n_targets)]
    return names


def per_target_probabilities(model, proba, n_targets):
    """The probabilities as one ``(n_samples, n_classes)`` array per target, with classes.

    Parameters
    ----------
    model : object
        A fitted classifier or pipeline ending in one.
    proba : ndarray or list of ndarray
        What ``predict_proba`` returned.
    n_targets : int

    Returns
    -------
    per_target : list of (ndarray, ndarray)
        ``(probabilities, classes)`` for each target.
    """
    classes = final_estimator(model).classes_
    if n_targets == 1:
        return [(np.asarray(proba), np.asarray(classes))]
    if isinstance(proba, list):  # multi-task: one array per task
        return [(np.asarray(p), np.asarray(c)) for p, c in zip(proba, classes, strict=True)]
    # multi-label: the probability of each label being 1
    proba = np.asarray(proba)
    return [
        (np.column_stack([1 - proba[:, j], proba[:, j]]), np.array([0, 1]))
        for j in range(n_targets)
    ]


def prediction_table(model, y_pred, proba=None, ids=None):
    """The predictions as a table: id column, prediction columns, probability columns.

    Parameters
    ----------
    model : object
        The fitted model (for target names and classes).
    y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
    proba : ndarray, list of ndarray or None
    ids : pandas.Series or None
        Written first, under its own name.

    Returns
    -------
    table : pandas.DataFrame
        ``prediction`` (one target) or one column per target; with ``proba``,
        ``proba_<class>`` (one target) or ``<target>_proba_<class>`` columns.
    """
    y_pred = np.asarray(y_pred)
    n_targets = 1 if y_pred.ndim == 1 else y_pred.shape[1]
    names = output_names(model, n_targets)
    columns = {}
    if ids is not None:
        columns[str(ids.name)] = ids.to_numpy()
    matrix = y_pred.reshape(len(y_pred), n_targets)
    predicted = {name: matrix[:, j] for j, name in enumerate(names)}
    if proba is not None:
        for j, (values, classes) in enumerate(per_target_probabilities(model, proba, n_targets)):
            prefix = "proba" if n_targets == 1 else f"{names[j]}_proba"
            for k, label in enumerate(classes):
                predicted[f"{prefix}_{label}"] = values[:, k]
    if ids is not None and str(ids.name) in predicted:
        raise UsageError(f"--id {ids.name!r} has the name of an output column; rename it")
    columns.update(predicted)
    return pd.DataFrame(columns)
