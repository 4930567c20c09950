"""Losses of networks with several targets: one cross-entropy per task, weighted."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="skmm")
class MultiTaskCrossEntropy(keras.losses.Loss):
    """Weighted mean of per-task cross-entropies over one concatenated output.

    The network's output is the concatenation of one block per task:
    ``task_units[t]`` probabilities for task ``t``, a single sigmoid
    probability when ``task_units[t] == 1`` (binary task, or one label of a
    multi-label target) or a softmax distribution otherwise. ``y_true`` holds
    one column of class codes per task (``0 .. n_classes - 1``).

    The loss of a row is `Σₜ w_t L_t / Σₜ w_t`, with
    `L_t` the binary or sparse categorical cross-entropy of task
    `t`: a weighted mean, so the scale of the loss (and the meaning of
    the L2 strength next to it) does not grow with the number of tasks.

    Parameters
    ----------
    task_units : sequence of int
        Output width of each task, in output order.
    task_weights : sequence of float, default=None
        Weight of each task's loss; None weighs every task 1.
    name : str, default="multi_task_cross_entropy"
        Name of the loss.
    reduction : str, default="sum_over_batch_size"
        Keras' reduction over the rows.
    """

    def __init__(
        self,
        task_units,
        task_weights=None,
        name="multi_task_cross_entropy",
        reduction="sum_over_batch_size",
    ):
        super().__init__(name=name, reduction=reduction)
        self.task_units = [int(units) for units in task_units]
        if not self.task_units or min(self.task_units) < 1:
            raise ValueError(f"task_units must be positive ints; got {task_units!r}.")
        if task_weights is None:
            task_weights = [1.0] * len(self.task_units)
        self.task_weights = [float(weight) for weight in task_weights]
        if len(self.task_weights) != len(self.task_units):
            raise ValueError(
                f"task_weights has {len(self.task_weights)} values for "
                f"{len(self.task_units)} tasks."
            )
        if min(self.task_weights) < 0 or sum(self.task_weights) <= 0:
            raise ValueError(
                f"task_weights must be >= 0 with a positive sum; got {self.task_weights}."
            )

    def call(self, y_true, y_pred):
        y_true = ops.reshape(y_true, (-1, len(self.task_units)))
        total = 0.0
        start = 0
        for task, (units, weight) in enumerate(
            zip(self.task_units, self.task_weights, strict=True)
        ):
            probabilities = y_pred[:, start : start + units]
            codes = y_true[:, task]
            if units == 1:
                loss = keras.losses.binary_crossentropy(
                    ops.expand_dims(ops.cast(codes, y_pred.dtype), -1), probabilities
                )
            else:
                loss = keras.losses.sparse_categorical_crossentropy(
                    ops.cast(codes, "int32"), probabilities
                )
            total = total + weight * loss
            start += units
        return total / sum(self.task_weights)

    def get_config(self):
        return {
            **super().get_config(),
            "task_units": self.task_units,
            "task_weights": self.task_weights,
        }
