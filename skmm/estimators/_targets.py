"""Targets with several columns: multi-task and multi-label classification.

``TaskTargetEncoder`` plays, for a 2-D ``y``, the part scikeras'
``ClassifierLabelEncoder`` plays for a 1-D one: labels to the codes the
network trains on, and the network's concatenated output back to labels or
probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

#: scikit-learn's target types with one column per task.
MULTI_OUTPUT_TARGETS = ("multilabel-indicator", "multiclass-multioutput")


def task_names(y):
    """Names of the columns of a 2-D target: a DataFrame's column names, else
    ``task0, task1, ...``; None for a 1-D target."""
    shape = np.asarray(y).shape
    if len(shape) != 2:
        return None
    if hasattr(y, "columns"):
        return [str(column) for column in y.columns]
    return [f"task{index}" for index in range(shape[1])]


def _columns(y):
    """The columns of a 2-D target, each with its own natural dtype (an object array of
    ints becomes int64, of strings a string array)."""
    y = np.asarray(y)
    if y.dtype != object:
        return list(y.T)
    return [np.asarray(column.tolist()) for column in y.T]


def resolve_task_weights(task_weights, names):
    """``task_weights`` (None, a sequence, or a mapping by task name) as one float per task."""
    if task_weights is None:
        return np.ones(len(names))
    if isinstance(task_weights, Mapping):
        unknown = sorted(str(key) for key in task_weights if key not in names)
        if unknown:
            raise ValueError(f"task_weights names unknown tasks {unknown}; the tasks are {names}.")
        weights = np.array([task_weights.get(name, 1.0) for name in names], dtype=float)
    else:
        weights = np.asarray(task_weights, dtype=float).reshape(-1)
        if len(weights) != len(names):
            raise ValueError(
                f"task_weights has {len(weights)} values, but y has {len(names)} target "
                f"columns ({names})."
            )
    if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(
            f"task_weights must be finite and >= 0 with a positive sum; got {weights.tolist()}."
        )
    return weights


class TaskTargetEncoder(TransformerMixin, BaseEstimator):
    """Encode a 2-D classification target, one task per column.

    Parameters
    ----------
    multilabel : bool, default=False
        The columns are 0/1 indicators of independent labels (scikit-learn's
        ``multilabel-indicator``): one sigmoid unit per label, and
        ``inverse_transform(..., return_proba=True)`` gives one
        ``(n_samples, n_labels)`` array of positive-label probabilities, as
        ``MLPClassifier`` does. Otherwise each task has its own classes and
        the probabilities come back as a list with one
        ``(n_samples, n_classes)`` array per task, as ``RandomForestClassifier``
        gives for multi-output targets.
    categories : list of array-like, default=None
        The classes of each task (``partial_fit``'s ``classes``); None takes
        those seen in ``fit``.
    names : list of str, default=None
        Task names, used in error messages.
    """

    def __init__(self, multilabel=False, categories=None, names=None):
        self.multilabel = multilabel
        self.categories = categories
        self.names = names

    def _name(self, task):
        return repr(self.names[task]) if self.names else str(task)

    def fit(self, y):
        y = np.asarray(y)
        if self.multilabel:
            # every label is 0/1, even one that is constant in this sample
            classes = [np.array([0, 1], dtype=y.dtype)] * y.shape[1]
        elif self.categories is None:
            classes = [np.unique(column) for column in _columns(y)]
        else:
            classes = [np.asarray(values) for values in self.categories]
            if len(classes) != y.shape[1]:
                raise ValueError(
                    f"classes lists {len(classes)} tasks, but y has {y.shape[1]} columns."
                )
        for task, values in enumerate(classes):
            if len(values) < 2:
                raise ValueError(
                    f"Target column {self._name(task)} has a single class "
                    f"({values.tolist()[0]!r}); every task needs at least 2 classes."
                )
        self.task_classes_ = classes
        self.task_units_ = [1 if len(values) == 2 else len(values) for values in classes]
        return self

    def transform(self, y):
        columns = _columns(y)
        codes = np.empty((len(columns[0]), len(columns)), dtype=np.float32)
        for task, (values, column) in enumerate(zip(self.task_classes_, columns, strict=True)):
            index = np.clip(np.searchsorted(values, column), 0, len(values) - 1)
            unknown = values[index] != column
            if unknown.any():
                row = int(np.flatnonzero(unknown)[0])
                label = column.tolist()[row]
                raise ValueError(
                    f"Target column {self._name(task)}: row {row} has label {label!r}, "
                    f"which is not one of the classes {values.tolist()}."
                )
            codes[:, task] = index
        return codes

    def task_probabilities(self, outputs):
        """The network's concatenated output split into ``(n_samples, n_classes)`` per task."""
        outputs = np.asarray(outputs).reshape(len(outputs), -1)
        probabilities, start = [], 0
        for units in self.task_units_:
            block = outputs[:, start : start + units]
            if units == 1:
                block = np.hstack([1 - block, block])
            probabilities.append(block)
            start += units
        return probabilities

    def inverse_transform(self, outputs, return_proba=False):
        probabilities = self.task_probabilities(outputs)
        if return_proba:
            if self.multilabel:
                return np.column_stack([p[:, 1] for p in probabilities])
            return probabilities
        labels = [
            values[p.argmax(axis=1)]
            for values, p in zip(self.task_classes_, probabilities, strict=True)
        ]
        kinds = {values.dtype.kind for values in self.task_classes_}
        if kinds <= set("biuf") or kinds in ({"U"}, {"S"}):
            dtype = np.result_type(*self.task_classes_)
        else:  # e.g. string and integer tasks side by side: keep each label as it is
            dtype = object
        stacked = np.empty((len(labels[0]), len(labels)), dtype=dtype)
        for task, column in enumerate(labels):
            stacked[:, task] = column
        return stacked

    def get_metadata(self):
        n_tasks = len(self.task_classes_)
        if self.multilabel:
            # MLPClassifier's convention for a label indicator matrix
            return {"classes_": np.arange(n_tasks), "n_classes_": None, "n_outputs_": n_tasks}
        return {
            "classes_": self.task_classes_,
            "n_classes_": [len(values) for values in self.task_classes_],
            "n_outputs_": n_tasks,
        }
