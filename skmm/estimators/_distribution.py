"""Training under a ``tf.distribute`` strategy: the estimators' ``distribution`` parameter.

Keras 3 (TensorFlow backend) distributes ``Model.fit`` over the strategy that
was active when the model was created. skmm therefore only builds and compiles
the network (and creates the optimizer's variables) inside the strategy's
scope; every later ``fit`` of that network runs one replica per device and
averages their gradients, whether the blocks are fed as arrays or lazily,
batch by batch.
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager

#: How the accepted values are named in error messages.
ACCEPTED = "None, 'mirrored' or a tf.distribute.Strategy instance"


def is_strategy(value):
    """Whether ``value`` is a ``tf.distribute.Strategy`` (without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")  # no strategy can exist before TensorFlow is imported
    return tf is not None and isinstance(value, tf.distribute.Strategy)


def check_distribution(distribution):
    """Refuse anything but None, ``"mirrored"`` or a strategy, naming the parameter.

    Parameters
    ----------
    distribution : object
        The value of the estimator's ``distribution`` parameter.

    Raises
    ------
    ValueError
        The value is none of the accepted ones.
    """
    if distribution is None or is_strategy(distribution):
        return
    if isinstance(distribution, str) and distribution == "mirrored":
        return
    raise ValueError(f"distribution must be {ACCEPTED}; got {distribution!r}.")


def mirrored_strategy():
    """A ``MirroredStrategy`` over every GPU, or over every logical CPU device without one.

    TensorFlow's own default (``tf.distribute.MirroredStrategy()``) falls back to
    the first CPU only; here every logical CPU device the process configured
    gets a replica. One strategy per set of devices is created and reused by
    every fit of the process.

    Returns
    -------
    strategy : tf.distribute.MirroredStrategy
    """
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return _mirrored_over(tuple(device.name for device in devices))


@functools.cache
def _mirrored_over(devices):
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(devices=list(devices))


def resolve_strategy(distribution):
    """The strategy a ``distribution`` value stands for (None for None)."""
    check_distribution(distribution)
    if isinstance(distribution, str):
        return mirrored_strategy()
    return distribution


@contextmanager
def distribution_scope(distribution):
    """Enter the scope of the strategy ``distribution`` stands for (nothing for None).

    Yields
    ------
    strategy : tf.distribute.Strategy or None
    """
    strategy = resolve_strategy(distribution)
    if strategy is None:
        yield None
        return
    with strategy.scope():
        yield strategy


def refuse_strategy_instance(estimator):
    """Raise a clear error when ``estimator.distribution`` is a strategy instance.

    A strategy holds devices, threads and collective-communication state of
    the running process; it cannot be written to a file or sent to another
    process. Called when an estimator is pickled or saved.

    Raises
    ------
    TypeError
        The estimator's ``distribution`` is a ``tf.distribute.Strategy``.
    """
    distribution = vars(estimator).get("distribution")
    if is_strategy(distribution):
        raise TypeError(
            f"{type(estimator).__name__} cannot be pickled or saved with "
            f"distribution={type(distribution).__name__} instance: a tf.distribute.Strategy "
            "belongs to the running process and cannot be stored or sent to another one. "
            "Use distribution='mirrored' (stored as the string), or call "
            "set_params(distribution=None) before pickling or saving; the fitted network is "
            "kept either way."
        )
