"""Feeding blocks to Keras: in-memory arrays directly, lazy blocks batch by batch."""

from __future__ import annotations

import math

import keras
import numpy as np

from ..compose import is_lazy, take_rows


def has_lazy_block(inputs) -> bool:
    """Whether any network input is a lazy block."""
    return any(is_lazy(value) for value in inputs.values())


class BlockBatches(keras.utils.PyDataset):
    """Batches of named inputs, decoding lazy blocks one batch at a time.

    Keras runs ``__getitem__`` in ``workers`` threads, so decoding the next
    batches overlaps training on the current one, and peak memory holds a
    few batches, not the whole column.

    Parameters
    ----------
    inputs : dict of str to array or lazy block
        The network inputs.
    y, sample_weight : ndarray or None
        Targets and weights, in memory.
    batch_size : int
        Rows per batch.
    shuffle : bool
        Draw a new row order every epoch (rows inside a batch are sorted,
        which keeps file reads in order).
    seed : int or None
        Seed of the row order.
    workers : int
        Threads preparing batches.
    n_targets : int
        How many outputs the network trains: the targets of a batch are
        repeated into a tuple of that many (one per output) when above 1.
    """

    def __init__(
        self,
        inputs,
        y=None,
        sample_weight=None,
        *,
        batch_size,
        shuffle=False,
        seed=None,
        workers=2,
        n_targets=1,
    ):
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=workers * 2)
        self.inputs = inputs
        self.y = y
        self.sample_weight = sample_weight
        self.n_targets = n_targets
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(len(next(iter(inputs.values()))))
        if shuffle:
            self._rng.shuffle(self._order)

    def __len__(self):
        return math.ceil(len(self._order) / self.batch_size)

    def __getitem__(self, index):
        rows = np.sort(self._order[index * self.batch_size : (index + 1) * self.batch_size])
        x = {name: value[rows] for name, value in self.inputs.items()}  # decodes lazy rows
        if self.y is None:
            return (x,)
        y = repeat_targets(self.y[rows], self.n_targets)
        if self.sample_weight is None:
            return x, y
        return x, y, self.sample_weight[rows]

    def on_epoch_end(self):
        if self.shuffle:
            self._rng.shuffle(self._order)


def subset_inputs(inputs, rows):
    """Rows of every network input, lazy blocks staying lazy."""
    return {name: take_rows(value, rows) for name, value in inputs.items()}


def repeat_targets(y, n_targets):
    """``y`` itself for a single-output network, else one reference to it per output."""
    return y if n_targets == 1 else (y,) * n_targets
