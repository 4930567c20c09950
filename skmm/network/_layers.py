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
    the variable, so `assign` changes the penalty of the next step
    without retracing. One instance can be shared by every layer of a network,
    so one `assign` changes them all.

    The variable belongs to no layer: it is not among the model's weights, and
    a saved model records the strength through `get_config` (each layer
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


@keras.saving.register_keras_serializable(package="skmm")
class BigramIds(layers.Layer):
    """Hashed ids of the pairs of adjacent tokens of a sequence (fastText's bigrams).

    Takes token ids of shape ``(batch, length)`` (0 is padding) and returns
    ids of the same shape: position ``t`` holds the bucket of the pair
    ``(token[t], token[t + 1])``, an id in ``1 .. buckets - 1``, or 0 where
    either token is padding (and at the last position). The bucket is
    ``(token[t] * 7919 + token[t + 1]) mod (buckets - 1) + 1``, computed in
    int64, so any vocabulary size is safe.

    Parameters
    ----------
    buckets : int
        Size of the bigram embedding table (ids 0 .. buckets - 1).
    """

    def __init__(self, buckets, **kwargs):
        super().__init__(**kwargs)
        self.buckets = int(buckets)
        if self.buckets < 2:
            raise ValueError(f"buckets must be an int >= 2; got {buckets!r}.")

    def call(self, token_ids):
        ids = ops.cast(token_ids, "int64")
        following = ops.concatenate([ids[:, 1:], ops.zeros_like(ids[:, :1])], axis=1)
        bucket = (ids * 7919 + following) % (self.buckets - 1) + 1
        valid = ops.logical_and(ops.not_equal(ids, 0), ops.not_equal(following, 0))
        return ops.where(valid, bucket, ops.zeros_like(bucket))

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, token_ids):
        return keras.KerasTensor(token_ids.shape, dtype="int64")

    def get_config(self):
        return {**super().get_config(), "buckets": self.buckets}


@keras.saving.register_keras_serializable(package="skmm")
class ModulatedGradient(layers.Layer):
    """Pass features through unchanged, with their gradient scaled during training.

    The forward value is always the input. While training, the gradient that
    flows back through the layer is multiplied by ``coefficient``, a
    non-trainable variable (1.0 at first) that
    `GradientModulation` lowers for the modality that
    dominates the fused head (on-the-fly gradient modulation, Peng et al.,
    CVPR 2022), so the other modalities keep learning.
    """

    def build(self, input_shape):
        self.coefficient = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="coefficient"
        )

    def call(self, inputs, training=False):
        if not training:
            return inputs
        scale = ops.cast(self.coefficient, inputs.dtype)
        return inputs * scale + ops.stop_gradient(inputs) * (1.0 - scale)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="skmm")
class DetachedFeatures(layers.Layer):
    """Pass features through unchanged and let no gradient flow back through them.

    ``balance="ensemble"`` puts one on each block's features where they enter
    the fusion, so an encoder learns from its own block's auxiliary head
    only and each branch can stop training at its own best epoch
    (`BranchEarlyStopping`).
    """

    def call(self, inputs):
        return ops.stop_gradient(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="skmm")
class HeadBlend(layers.Layer):
    """Weighted blend of several heads' predictions over the present blocks.

    Called on ``[*heads, *presences]``: ``heads`` are ``(batch, units)``
    predictions of the same target (probabilities or values), one per head;
    ``presences`` hold one ``(batch, 1)`` mask per head flagged in
    ``has_presence``, in head order (heads without a flag, such as the fused
    head, count as present). With `w` the non-trainable
    ``blend_weights`` (uniform until `set_blend_weights` is called with
    weights fitted on held-out rows) and `m_h` the presence of head
    `h`, each head gets the factor `f_h = w_h m_h`. A row whose
    present heads all have weight 0 takes its present heads alike
    (`f_h = m_h`), and a row with no present head takes every head
    alike.

    - Values (``probability_groups=None``, a regressor's heads): the output is
      the weighted mean `Σₕ f_h p_h / Σₕ f_h`.
    - Probabilities (``probability_groups`` given): the output is the
      normalized weighted geometric mean of the heads' distributions,
      `p ∝ Πₕ p_h^{f_h / Σₕ f_h}`, within each group of
      units: a group of one unit is a Bernoulli probability (a sigmoid unit:
      its log-odds are averaged), a group of ``k > 1`` units a categorical
      distribution over ``k`` classes (a softmax: its log-probabilities are
      averaged, then renormalized). A confident head is not diluted by an
      unsure one as in an arithmetic mean: for heads that err independently,
      as heads of different modalities do, adding log-probabilities is how
      their evidence combines (a product of experts), and on the real data
      measured it predicted better (``docs/balanced_fusion.md``).

    Parameters
    ----------
    has_presence : sequence of bool
        One flag per head: whether a presence mask follows for it.
    probability_groups : sequence of int, optional
        Widths of the heads' probability groups, in unit order, summing to
        the number of units: ``[n_classes]`` for a softmax head, ``[1]`` for a
        binary one, ``[1] * n_labels`` for multi-label sigmoids, the tasks'
        widths for multi-task heads. None: the heads predict values, blended
        arithmetically.
    """

    def __init__(self, has_presence, probability_groups=None, **kwargs):
        super().__init__(**kwargs)
        self.has_presence = [bool(flag) for flag in has_presence]
        if probability_groups is not None:
            probability_groups = [int(width) for width in probability_groups]
            if not probability_groups or min(probability_groups) < 1:
                raise ValueError(
                    f"probability_groups must be positive widths; got {probability_groups!r}."
                )
        self.probability_groups = probability_groups

    def build(self, input_shape):
        n_heads = len(self.has_presence)
        units = input_shape[0][-1]
        if self.probability_groups is not None and units is not None:
            if sum(self.probability_groups) != units:
                raise ValueError(
                    f"probability_groups {self.probability_groups} must sum to the heads' "
                    f"{units} units."
                )
        self.blend_weights = self.add_weight(
            shape=(n_heads,),
            initializer=keras.initializers.Constant(1.0 / n_heads),
            trainable=False,
            name="blend_weights",
        )

    def call(self, inputs):
        n_heads = len(self.has_presence)
        heads, presences = inputs[:n_heads], iter(inputs[n_heads:])
        ones = ops.ones_like(heads[0][:, :1])
        masks = [
            ops.cast(next(presences), ones.dtype) if flag else ones for flag in self.has_presence
        ]
        weights = ops.cast(self.blend_weights, ones.dtype)
        weighted = [weights[h] * masks[h] for h in range(n_heads)]
        weighted_norm, present_norm = sum(weighted), sum(masks)
        factors = [
            ops.where(weighted_norm > 0, w, ops.where(present_norm > 0, m, ones))
            for w, m in zip(weighted, masks, strict=True)
        ]
        norm = sum(factors)
        shares = [factor / norm for factor in factors]
        if self.probability_groups is None:
            return sum(share * head for share, head in zip(shares, heads, strict=True))
        return _geometric_blend(heads, shares, self.probability_groups)

    def set_blend_weights(self, weights):
        """Set the weights of the heads (non-negative, any positive sum)."""
        weights = [float(w) for w in weights]
        if len(weights) != len(self.has_presence) or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(
                f"Expected {len(self.has_presence)} non-negative blend weights with a "
                f"positive sum; got {weights}."
            )
        total = sum(weights)
        self.blend_weights.assign([w / total for w in weights])

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {
            **super().get_config(),
            "has_presence": list(self.has_presence),
            "probability_groups": self.probability_groups,
        }


#: Probabilities are clipped to ``[BLEND_EPSILON, 1 - BLEND_EPSILON]`` before their
#: logarithm is taken (Keras' clipping in its cross-entropies).
BLEND_EPSILON = 1e-7


def _geometric_blend(heads, shares, groups):
    """Normalized weighted geometric mean of the heads' distributions, per group."""
    parts, start = [], 0
    for width in groups:
        chunks = [
            ops.clip(head[:, start : start + width], BLEND_EPSILON, 1.0 - BLEND_EPSILON)
            for head in heads
        ]
        if width == 1:
            log_odds = sum(
                share * (ops.log(p) - ops.log(1.0 - p))
                for share, p in zip(shares, chunks, strict=True)
            )
            parts.append(ops.sigmoid(log_odds))
        else:
            log_p = sum(share * ops.log(p) for share, p in zip(shares, chunks, strict=True))
            parts.append(ops.softmax(log_p, axis=-1))
        start += width
    return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)


def _nonzero(norm):
    """``norm`` with its zeros replaced by ones (the caller picks another branch there)."""
    return ops.where(norm > 0, norm, ops.ones_like(norm))


@keras.saving.register_keras_serializable(package="skmm")
class ImageAugmentation(layers.Layer):
    """Random flips, shifts and zooms of images, during training only.

    At prediction (``training`` false) the images pass through unchanged and
    the layer adds no operation to the graph, so exported networks hold no
    random operation.

    Parameters
    ----------
    augmentation : sequence of {"flip", "shift", "zoom"}
        The transformations, applied in this order: horizontal flips; shifts
        of up to ``factor`` of the height and width; zooms in or out of up
        to ``factor``.
    factor : float, default=0.1
        Largest shift (share of the height and width) and zoom.
    """

    def __init__(self, augmentation, factor=0.1, **kwargs):
        super().__init__(**kwargs)
        self.augmentation = [str(name) for name in augmentation]
        self.factor = float(factor)
        self._steps = []
        if "flip" in self.augmentation:
            self._steps.append(layers.RandomFlip("horizontal"))
        if "shift" in self.augmentation:
            self._steps.append(
                layers.RandomTranslation(self.factor, self.factor, fill_mode="nearest")
            )
        if "zoom" in self.augmentation:
            self._steps.append(layers.RandomZoom((-self.factor, self.factor), fill_mode="nearest"))

    def build(self, input_shape):
        for step in self._steps:
            step.build(input_shape)

    def call(self, images, training=False):
        if not training:
            return images
        for step in self._steps:
            images = step(images, training=True)
        return images

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "augmentation": self.augmentation, "factor": self.factor}


@keras.saving.register_keras_serializable(package="skmm")
class TokenRows(layers.Layer):
    """Split a pretrained text block's rows into what a Keras-Hub backbone reads.

    Called on int32 rows of shape ``(batch, 2, sequence_length)``: the token
    ids, then the padding mask (1 for real tokens). Returns the token ids, the
    padding mask (bool) and segment ids (all 0: one segment).
    """

    def call(self, inputs):
        ids = ops.cast(inputs[:, 0, :], "int32")
        mask = ops.cast(inputs[:, 1, :], "bool")
        return ids, mask, ops.zeros_like(ids)

    def compute_output_shape(self, input_shape):
        shape = (input_shape[0], input_shape[2])
        return shape, shape, shape


@keras.saving.register_keras_serializable(package="skmm")
class FirstToken(layers.Layer):
    """The first step of a sequence: ``(batch, steps, dim) -> (batch, dim)`` (CLS pooling)."""

    def call(self, inputs):
        return inputs[:, 0, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
