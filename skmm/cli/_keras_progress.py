"""The Keras callback that moves a `ProgressBar` along the epochs of a fit.

Imported only by the commands that train, after TensorFlow has been imported.
"""

from __future__ import annotations

import keras


class EpochProgress(keras.callbacks.Callback):
    """Advance a progress bar by one step per epoch (by a fraction per batch).

    Parameters
    ----------
    bar : ProgressBar
        The bar; it counts epochs.
    offset : float, default=0
        Steps already on the bar before this fit (earlier folds).
    prefix : str, default=""
        Put in front of the loss in the bar's note (e.g. ``"fold 2/5"``).
    """

    def __init__(self, bar, offset=0, prefix=""):
        super().__init__()
        self.bar = bar
        self.offset = offset
        self.prefix = prefix
        self._epoch = 0
        self._steps = None

    def _note(self, logs):
        parts = [self.prefix] if self.prefix else []
        if logs and "loss" in logs:
            parts.append(f"loss {float(logs['loss']):.4f}")
        if logs and "val_loss" in logs:
            parts.append(f"val_loss {float(logs['val_loss']):.4f}")
        return "  ".join(parts)

    def on_train_begin(self, logs=None):
        self._steps = self.params.get("steps") if self.params else None
        self.bar.update(self.offset, note=self.prefix, partial=True)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._steps:
            done = self.offset + self._epoch + (batch + 1) / self._steps
            self.bar.update(done, note=self._note(logs), partial=True)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(self.offset + self._epoch + 1, note=self._note(logs))
