"""skmm's own Keras layers (registered, so saved models reload in safe mode)."""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="skmm")
class ModalityDropout(layers.Layer):
    """Randomly mark a whole modality missing for a row, during training only.

    Takes a presence mask of shape ``(batch, 1)`` (1 present, 0 missing) and,
    when training, sets each row's entry to 0 with probability ``rate``. The
    network multiplies the block's features by the result, so it learns to
    predict from the other modalities when one is absent.

    Parameters
    ----------
    rate : float
        Probability of dropping the modality for a row.
    seed : int, optional
        Seed of the layer's random generator.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, presence, training=False):
        if not training or self.rate == 0:
            return presence
        draw = keras.random.uniform(ops.shape(presence), seed=self.seed_generator)
        return presence * ops.cast(draw >= self.rate, presence.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="skmm")
class PaddingMask(layers.Layer):
    """1.0 where a token id is a real token, 0.0 where it is padding (id 0).

    Takes token ids of shape ``(batch, length)`` and returns a float mask of
    the same shape, used to zero padded positions and to keep them out of
    attention and pooling.
    """

    def call(self, token_ids):
        return ops.cast(ops.not_equal(token_ids, 0), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="skmm")
class PositionEmbedding(layers.Layer):
    """Add a learned embedding of each position to a sequence of vectors.

    Takes ``(batch, length, dim)`` and returns the same shape, with row ``t``
    of a trainable ``(sequence_length, dim)`` table added at position ``t``.

    Parameters
    ----------
    sequence_length : int
        Longest sequence the table covers.
    embeddings_initializer : initializer, default="uniform"
        Initializer of the table.
    embeddings_regularizer : regularizer, optional
        Penalty on the table.
    """

    def __init__(
        self,
        sequence_length,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            name="embeddings",
        )

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        return inputs + ops.cast(self.embeddings[None, :length, :], inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer),
        }


@keras.saving.register_keras_serializable(package="skmm")
class MaskedAveragePooling1D(layers.Layer):
    """Average a sequence over its unmasked steps.

    Called on ``[x, mask]`` with ``x`` of shape ``(batch, steps, dim)`` and a
    0/1 ``mask`` of shape ``(batch, steps)``; returns ``(batch, dim)``, the
    mean of ``x`` over the steps where ``mask`` is 1. A row whose mask is all
    0 falls back to the plain mean over all its steps (never a division by
    zero); the callers make such rows independent of the masked content.
    """

    def call(self, inputs):
        x, mask = inputs
        weights = ops.cast(mask, x.dtype)
        total = ops.sum(weights, axis=1, keepdims=True)
        weights = ops.where(total > 0, weights, ops.ones_like(weights))
        total = ops.sum(weights, axis=1, keepdims=True)
        return ops.sum(x * weights[:, :, None], axis=1) / total

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return (x_shape[0], x_shape[2])


@keras.saving.register_keras_serializable(package="skmm")
class ModalityMask(layers.Layer):
    """Stack the presence masks of the blocks into one ``(batch, n_blocks)`` mask.

    Called on ``[tokens, *presences]``: ``tokens`` has shape
    ``(batch, n_blocks, dim)`` and only sets the batch size; ``presences``
    holds one ``(batch, 1)`` mask per block flagged in ``has_presence``, in
    block order. Blocks without a presence input count as present (1).

    Parameters
    ----------
    has_presence : sequence of bool
        One flag per block: whether it has a presence input.
    """

    def __init__(self, has_presence, **kwargs):
        super().__init__(**kwargs)
        self.has_presence = [bool(flag) for flag in has_presence]

    def call(self, inputs):
        tokens, *presences = inputs
        ones = ops.ones_like(tokens[:, 0, :1])
        presences = iter(presences)
        columns = [
            ops.cast(next(presences), ones.dtype) if flag else ones for flag in self.has_presence
        ]
        return ops.concatenate(columns, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], len(self.has_presence))

    def get_config(self):
        return {**super().get_config(), "has_presence": list(self.has_presence)}


@keras.saving.register_keras_serializable(package="skmm")
class ReverseChannels(layers.Layer):
    """Reverse the order of the last axis (RGB to BGR for caffe-style backbones)."""

    def call(self, inputs):
        return ops.flip(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="skmm")
class AdjustableL2(keras.regularizers.Regularizer):
    """An L2 penalty whose strength can be changed after the network is built.

    Computes ``l2 * sum(x ** 2)``, as ``keras.regularizers.L2`` does, but keeps
    ``l2`` in a non-trainable float32 variable: a traced training step reads
    the variable, so :meth:`assign` changes the penalty of the next step
    without retracing. One instance can be shared by every layer of a network,
    so one :meth:`assign` changes them all.

    The variable belongs to no layer: it is not among the model's weights, and
    a saved model records the strength through :meth:`get_config` (each layer
    of a reloaded model gets its own instance).

    Parameters
    ----------
    l2 : float, default=0.01
        Initial strength λ (>= 0).
    """

    def __init__(self, l2=0.01):
        self.strength = keras.Variable(
            _check_strength(l2), dtype="float32", trainable=False, name="l2_strength"
        )

    def __call__(self, x):
        return ops.cast(self.strength, x.dtype) * ops.sum(ops.square(x))

    def assign(self, value):
        """Set the strength λ (>= 0) used from the next training step on."""
        self.strength.assign(_check_strength(value))

    @property
    def l2(self):
        """The current strength λ, as a Python float."""
        return float(ops.convert_to_numpy(self.strength))

    def get_config(self):
        return {"l2": self.l2}


def _check_strength(value):
    try:
        strength = float(value)
    except (TypeError, ValueError):
        strength = float("nan")
    if not strength >= 0:  # also refuses NaN
        raise ValueError(f"The L2 strength must be a float >= 0; got {value!r}.")
    return strength
