"""Feeding blocks to Keras: small in-memory arrays through one lean tf.data pipeline,
larger ones as arrays, lazy blocks batch by batch."""

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


#: In-memory training data (inputs, targets and weights together) of at most this many
#: bytes is fed by `in_memory_batches`; larger data goes to Keras as arrays.
SMALL_DATA_BYTES = 32 * 2**20


def data_bytes(*parts) -> int:
    """Bytes held by the arrays in ``parts`` (dicts, tuples, arrays or None)."""
    total = 0
    for part in parts:
        if isinstance(part, dict):
            total += data_bytes(*part.values())
        elif isinstance(part, tuple | list):
            total += data_bytes(*part)
        elif part is not None:
            total += np.asarray(part).nbytes
    return total


def in_memory_batches(
    inputs, y=None, sample_weight=None, *, batch_size, shuffle=False, seed=None, n_targets=1
):
    """Batches of in-memory inputs as a ``tf.data.Dataset``, reshuffled every epoch.

    Keras feeds arrays through a pipeline that starts a parallel map and a
    prefetch thread at every epoch (and every validation pass); on a few
    hundred rows that costs more than the training steps (a 100-epoch fit of
    a small network: 6.3 s against 1.4 s here). This pipeline slices the rows
    once and shuffles them with a seed of its own, in one thread. The shuffle
    buffer holds every row, so it is meant for data up to
    `SMALL_DATA_BYTES`.

    Parameters
    ----------
    inputs : dict of str to ndarray
    y, sample_weight : ndarray or None
    batch_size : int
        Rows per batch (-1: all rows in one batch).
    shuffle : bool
        Draw a new row order every epoch.
    seed : int or None
        Seed of the row orders.
    n_targets : int
        How many outputs the network trains (the targets are repeated per output).
    """
    import tensorflow as tf

    n = len(next(iter(inputs.values())))
    floatx = keras.backend.floatx()

    def tensor(array):
        array = np.asarray(array)
        if array.dtype.kind == "f" and array.dtype != floatx:
            array = array.astype(floatx)
        return tf.convert_to_tensor(array)

    parts = ({name: tensor(value) for name, value in inputs.items()},)
    if y is not None:
        targets = tensor(y)
        parts += (targets if n_targets == 1 else (targets,) * n_targets,)
        if sample_weight is not None:
            parts += (tensor(sample_weight),)
    dataset = tf.data.Dataset.from_tensor_slices(parts)
    if shuffle:
        dataset = dataset.shuffle(max(n, 1), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(n if batch_size == -1 else batch_size)


def subset_inputs(inputs, rows):
    """Rows of every network input, lazy blocks staying lazy."""
    return {name: take_rows(value, rows) for name, value in inputs.items()}


def repeat_targets(y, n_targets):
    """``y`` itself for a single-output network, else one reference to it per output."""
    return y if n_targets == 1 else (y,) * n_targets
