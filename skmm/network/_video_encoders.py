"""Encoders of video blocks: a frame encoder applied to every frame with shared
weights, then a temporal encoder over the sequence of frame features.

Both are registered by name. A video block's rows are ``(n_frames, height, width,
channels)`` float32 frames; a frame that is zero everywhere is padding (a short
clip) or belongs to a missing clip (see `skmm.preprocessing.frame_mask`), and
every temporal encoder leaves it out.

A [`VideoFrameEncoder`][skmm.network.VideoFrameEncoder]'s function is
``function(frames, spec, *, reg, video_filters, video_units, video_weights)``: it
encodes ``(batch * n_frames, height, width, channels)`` frames into
``(batch * n_frames, features)``; ``spec`` describes one frame (``name``,
``shape`` ``(height, width, channels)``, ``pixel_scaling``). Every image encoder
(``"cnn"``, the ``keras.applications`` backbones, any registered one) is a
frame encoder too.

A [`VideoEncoder`][skmm.network.VideoEncoder]'s function is
``function(features, mask, spec, *, reg, video_units)``: it encodes
``(batch, n_frames, features)`` frame features, with ``mask`` the
``(batch, n_frames)`` 0/1 frame mask, into ``(batch, features)``.
``reg`` is the L2 regularizer of every kernel (None when λ is 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import keras
from keras import layers, ops

from ._encoders import l2_regularizer
from ._image_encoders import get_image_encoder, image_encoder_names
from ._layers import MaskedAveragePooling1D, PositionEmbedding
from ._named_registry import Declaration, NamedRegistry

#: Side of the grid the ``"grid"`` frame encoder pools each frame's feature maps to.
FRAME_GRID = 4
#: Heads of the ``"attention"`` temporal encoder.
VIDEO_ATTENTION_HEADS = 2


@keras.saving.register_keras_serializable(package="skmm")
class FrameMask(layers.Layer):
    """1.0 for a real frame, 0.0 for a frame that is zero everywhere (padding).

    Takes ``(batch, n_frames, height, width, channels)`` and returns
    ``(batch, n_frames)``.
    """

    def call(self, frames):
        nonzero = ops.not_equal(frames, 0)
        return ops.cast(ops.any(nonzero, axis=(2, 3, 4)), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2])


@keras.saving.register_keras_serializable(package="skmm")
class FramesToBatch(layers.Layer):
    """``(batch, n_frames, *frame)`` to ``(batch * n_frames, *frame)``: every frame a row."""

    def call(self, frames):
        return ops.reshape(frames, (-1, *frames.shape[2:]))

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[2:])


@keras.saving.register_keras_serializable(package="skmm")
class FramesFromBatch(layers.Layer):
    """``(batch * n_frames, features)`` back to ``(batch, n_frames, features)``.

    Parameters
    ----------
    n_frames : int
        Frames per clip.
    """

    def __init__(self, n_frames, **kwargs):
        super().__init__(**kwargs)
        self.n_frames = int(n_frames)

    def call(self, features):
        return ops.reshape(features, (-1, self.n_frames, features.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (None, self.n_frames, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "n_frames": self.n_frames}


@dataclass(frozen=True)
class VideoFrameEncoder(Declaration):
    """A named encoder of single frames, the value of ``video_frame_encoder``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``video_frame_encoder`` parameter.
    function : callable
        See the module's docstring for its signature.
    description : str, default=""
        One line on what it does.
    """

    what = "video frame encoder"


@dataclass(frozen=True)
class VideoEncoder(Declaration):
    """A named temporal encoder of video blocks, the value of ``video_encoder``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``video_encoder`` parameter.
    function : callable
        See the module's docstring for its signature.
    description : str, default=""
        One line on what it does.
    """

    what = "video encoder"


_FRAME_ENCODERS = NamedRegistry(
    VideoFrameEncoder, "video_frame_encoder", "register_video_frame_encoder"
)
_VIDEO_ENCODERS = NamedRegistry(VideoEncoder, "video_encoder", "register_video_encoder")


def register_video_frame_encoder(encoder, *, replace=False):
    """Make ``encoder`` selectable as ``video_frame_encoder=<its name>``; return it."""
    return _FRAME_ENCODERS.register(encoder, replace=replace)


def unregister_video_frame_encoder(name):
    """Remove the frame encoder ``name`` and return it."""
    return _FRAME_ENCODERS.unregister(name)


def video_frame_encoder_names():
    """The frame encoders' names: those registered (``"grid"`` first), then every image
    encoder's."""
    own = _FRAME_ENCODERS.names()
    return [*own, *(name for name in image_encoder_names() if name not in own)]


def get_video_frame_encoder(name):
    """The frame encoder ``name``: a registered one, or an image encoder applied per frame."""
    if name in _FRAME_ENCODERS.names():
        return _FRAME_ENCODERS.get(name)
    if isinstance(name, str) and name in image_encoder_names():
        image = get_image_encoder(name)

        def per_frame(frames, spec, *, reg, video_filters, video_units, video_weights):
            return image.function(
                frames,
                spec,
                reg=reg,
                image_filters=video_filters,
                image_width_multiplier=1.0,
                image_weights=video_weights,
            )

        return VideoFrameEncoder(name, per_frame, f"the image encoder {name!r}, per frame")
    raise ValueError(
        f"Unknown video_frame_encoder {name!r}; choose one of "
        f"{', '.join(map(repr, video_frame_encoder_names()))}."
    )


def register_video_encoder(encoder, *, replace=False):
    """Make ``encoder`` selectable as ``video_encoder=<its name>``; return it.

    Examples
    --------
    >>> from keras import layers
    >>> from skmm.network import (
    ...     VideoEncoder, register_video_encoder, unregister_video_encoder, video_encoder_names
    ... )
    >>> def last_frame(features, mask, spec, *, reg, video_units):
    ...     return layers.Lambda(lambda x: x[:, -1], name=f"{spec.name}_last")(features)
    >>> _ = register_video_encoder(VideoEncoder("last_frame", last_frame))
    >>> "last_frame" in video_encoder_names()
    True
    >>> _ = unregister_video_encoder("last_frame")
    """
    return _VIDEO_ENCODERS.register(encoder, replace=replace)


def unregister_video_encoder(name):
    """Remove the temporal encoder ``name`` and return it."""
    return _VIDEO_ENCODERS.unregister(name)


def get_video_encoder(name):
    """The temporal encoder registered as ``name``; a ``ValueError`` naming the others."""
    return _VIDEO_ENCODERS.get(name)


def video_encoder_names():
    """The registered temporal encoders' names, in registration order."""
    return _VIDEO_ENCODERS.names()


# -- frame encoders --------------------------------------------------------------------


def _grid_cnn(frames, spec, *, reg, video_filters, video_units, video_weights):
    """Conv2D + MaxPooling stages, then two views of the last feature maps side by side:
    global average and max pooling (what the frame shows, wherever it is, as the image
    CNN pools), and average pooling to a FRAME_GRID x FRAME_GRID grid, flattened and
    projected to ``video_units`` (where things are, which a temporal encoder needs to
    see motion: globally pooled features are the same wherever the object stands)."""
    name = spec.name
    x = frames
    for stage, filters in enumerate(video_filters):
        x = layers.Conv2D(
            filters,
            kernel_size=3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
            name=f"{name}_frame_conv{stage}",
        )(x)
        if min(x.shape[1], x.shape[2]) >= 2 * FRAME_GRID:
            x = layers.MaxPooling2D(2, name=f"{name}_frame_pool{stage}")(x)
    average = layers.GlobalAveragePooling2D(name=f"{name}_frame_average")(x)
    maximum = layers.GlobalMaxPooling2D(name=f"{name}_frame_max")(x)
    pool = (max(1, math.ceil(x.shape[1] / FRAME_GRID)), max(1, math.ceil(x.shape[2] / FRAME_GRID)))
    grid = layers.AveragePooling2D(pool, padding="same", name=f"{name}_frame_grid")(x)
    grid = layers.Flatten(name=f"{name}_frame_flatten")(grid)
    grid = layers.Dense(
        video_units, activation="relu", kernel_regularizer=reg, name=f"{name}_frame_dense"
    )(grid)
    return layers.Concatenate(name=f"{name}_frame_features")([average, maximum, grid])


# -- temporal encoders -----------------------------------------------------------------


def _mean(features, mask, spec, *, reg, video_units):
    return MaskedAveragePooling1D(name=f"{spec.name}_frame_mean")([features, mask])


def _temporal_conv(features, mask, spec, *, reg, video_units):
    name = spec.name
    x = features
    for stage in range(2):
        x = x * mask[:, :, None]  # padding frames contribute nothing
        x = layers.Conv1D(
            video_units,
            kernel_size=3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
            name=f"{name}_time_conv{stage}",
        )(x)
    return MaskedAveragePooling1D(name=f"{name}_time_pool")([x, mask])


def _recurrent(recurrent, suffix):
    def encode(features, mask, spec, *, reg, video_units):
        return recurrent(
            video_units,
            kernel_regularizer=reg,
            recurrent_regularizer=reg,
            name=f"{spec.name}_{suffix}",
        )(features, mask=ops.cast(mask, "bool"))

    return encode


def _attention(features, mask, spec, *, reg, video_units):
    name = spec.name
    x = layers.Dense(video_units, kernel_regularizer=reg, name=f"{name}_time_projection")(features)
    x = PositionEmbedding(spec.shape[0], embeddings_regularizer=reg, name=f"{name}_time_position")(
        x
    )
    attention = layers.MultiHeadAttention(
        num_heads=VIDEO_ATTENTION_HEADS,
        key_dim=max(1, video_units // VIDEO_ATTENTION_HEADS),
        kernel_regularizer=reg,
        name=f"{name}_time_attention",
    )(x, x, value_mask=ops.cast(mask, "bool"))
    x = layers.Add(name=f"{name}_time_residual")([x, attention])
    x = layers.LayerNormalization(name=f"{name}_time_norm")(x)
    return MaskedAveragePooling1D(name=f"{name}_time_pool")([x, mask])


register_video_frame_encoder(
    VideoFrameEncoder(
        "grid", _grid_cnn, "Conv2D stages; global average + max pooling beside a 4x4 grid"
    )
)
register_video_encoder(VideoEncoder("gru", _recurrent(layers.GRU, "gru"), "GRU over the frames"))
register_video_encoder(
    VideoEncoder("lstm", _recurrent(layers.LSTM, "lstm"), "LSTM over the frames")
)
register_video_encoder(
    VideoEncoder("conv", _temporal_conv, "two Conv1D stages over time, averaged")
)
register_video_encoder(
    VideoEncoder("attention", _attention, "self-attention over frames with positions")
)
register_video_encoder(
    VideoEncoder("mean", _mean, "the mean of the frame features (blind to order)")
)


def video_block_encoder(
    inputs,
    spec,
    *,
    l2,
    video_encoder,
    video_frame_encoder,
    video_filters,
    video_units,
    video_weights,
):
    """The encoder of a video block: the frame encoder ``video_frame_encoder`` on every
    frame (shared weights), then the temporal encoder ``video_encoder`` over the frames,
    padding frames masked out."""
    reg = l2_regularizer(l2)
    name = spec.name
    n_frames = spec.shape[0]
    frame_spec = SimpleNamespace(
        name=name,
        kind="image",
        shape=tuple(spec.shape[1:]),
        dtype=spec.dtype,
        pixel_scaling=getattr(spec, "pixel_scaling", None),
    )
    mask = FrameMask(name=f"{name}_frame_mask")(inputs)
    frames = FramesToBatch(name=f"{name}_frames")(inputs)
    features = get_video_frame_encoder(video_frame_encoder).function(
        frames,
        frame_spec,
        reg=reg,
        video_filters=tuple(video_filters),
        video_units=int(video_units),
        video_weights=video_weights,
    )
    if len(features.shape) != 2:
        raise ValueError(
            f"Block {name!r}: video_frame_encoder={video_frame_encoder!r} returned features "
            f"of shape {tuple(features.shape)}; expected (frames, features)."
        )
    sequence = FramesFromBatch(n_frames, name=f"{name}_sequence")(features)
    return get_video_encoder(video_encoder).function(
        sequence, mask, spec, reg=reg, video_units=int(video_units)
    )
