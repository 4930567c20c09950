"""One encoder per kind of block: text, image, audio, tabular.

Each encoder maps a Keras input tensor to a flat feature tensor. Every kernel
(and the embedding table) carries the L2 penalty ``l2``; biases do not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

from ._layers import (
    BigramIds,
    MaskedAveragePooling1D,
    PaddingMask,
    PositionEmbedding,
    ReverseChannels,
)


def l2_regularizer(l2):
    """The L2 penalty applied to every kernel: ``l2`` itself when it is a Keras
    regularizer (shared by every layer given it), else ``L2(l2)``; None when ``l2`` is 0."""
    if isinstance(l2, keras.regularizers.Regularizer):
        return l2
    return keras.regularizers.L2(float(l2)) if l2 else None


#: Rows of the hashed bigram embedding table of the ``"bag"`` text encoder.
BIGRAM_BUCKETS = 2**14

#: Number of attention heads of the ``"transformer"`` text encoder.
TEXT_ATTENTION_HEADS = 2

#: Number of Conv1D stages of the ``"cnn"`` text encoder.
TEXT_CONV_STAGES = 2


@dataclass(frozen=True)
class TextEncoder:
    """A named encoder of text blocks, the value of ``text_encoder`` that selects it.

    Parameters
    ----------
    name : str
        The value of the estimators' ``text_encoder`` parameter.
    function : callable
        ``function(inputs, spec, *, reg, embedding_dim, text_units)``: encodes
        the ``(batch, sequence_length)`` int32 token ids ``inputs`` (0 is
        padding) of the block described by ``spec`` (its ``vocabulary_size``,
        its ``name`` to prefix layer names with) into a ``(batch, features)``
        tensor. ``reg`` is the L2 regularizer for every kernel and embedding
        table (None when λ is 0).
    description : str, default=""
        One line on what it does.
    """

    name: str
    function: Callable
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(
                f"A text encoder's name must be a non-empty string; got {self.name!r}."
            )
        if not callable(self.function):
            raise ValueError(f"Text encoder {self.name!r}: function must be callable.")


_TEXT_ENCODERS: dict[str, TextEncoder] = {}


def register_text_encoder(encoder, *, replace=False):
    """Make ``encoder`` selectable as ``text_encoder=<its name>``; return it.

    Examples
    --------
    >>> from keras import layers
    >>> from skmm.network import TextEncoder, register_text_encoder, unregister_text_encoder
    >>> def max_of_embeddings(inputs, spec, *, reg, embedding_dim, text_units):
    ...     x = layers.Embedding(spec.vocabulary_size, embedding_dim, name=f"{spec.name}_emb")
    ...     return layers.GlobalMaxPooling1D()(x(inputs))
    >>> _ = register_text_encoder(TextEncoder("max", max_of_embeddings))
    >>> "max" in text_encoder_names()
    True
    >>> _ = unregister_text_encoder("max")
    """
    if not isinstance(encoder, TextEncoder):
        raise TypeError(f"register_text_encoder expects a TextEncoder; got {encoder!r}.")
    if encoder.name in _TEXT_ENCODERS and not replace:
        raise ValueError(
            f"A text encoder named {encoder.name!r} is already registered; pass replace=True "
            "to replace it."
        )
    _TEXT_ENCODERS[encoder.name] = encoder
    return encoder


def unregister_text_encoder(name):
    """Remove the text encoder ``name`` and return it."""
    get_text_encoder(name)
    return _TEXT_ENCODERS.pop(name)


def get_text_encoder(name):
    """The text encoder registered as ``name``; a ``ValueError`` naming the others otherwise."""
    try:
        return _TEXT_ENCODERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown text_encoder {name!r}; choose one of {', '.join(text_encoder_names())}."
        ) from None


def text_encoder_names():
    """The registered text encoders' names, in registration order."""
    return tuple(_TEXT_ENCODERS)


def text_encoder(inputs, spec, *, embedding_dim, text_units, l2, encoder="bag"):
    """Encode token ids (0 is padding) into a flat feature vector with the text
    encoder registered as ``encoder``.

    The built-in ones (:data:`TEXT_ENCODERS`): ``"bag"`` (fastText's bag of
    n-grams, Joulin et al. 2016): the mean of the embeddings of the real
    tokens and of their hashed bigrams (``BIGRAM_BUCKETS`` rows, see
    :class:`BigramIds`); its features have ``embedding_dim`` values and no
    recurrence, so it is fast and strong on short texts and small data.
    ``"lstm"`` / ``"gru"``: Embedding (padding masked) + one recurrent layer
    of ``text_units``. ``"cnn"``: Embedding, then ``TEXT_CONV_STAGES`` Conv1D
    stages (``text_units`` filters, kernel 3, ReLU), with padded positions
    zeroed after the embedding and after every stage, then global max
    pooling (with ReLU features and zeroed padding this is the max over the
    real tokens). ``"transformer"``: Embedding + learned position embedding,
    one self-attention block (``TEXT_ATTENTION_HEADS`` heads of total width
    ``text_units``, padded keys masked, residual + LayerNormalization), a
    feed-forward block (``text_units`` hidden units, residual +
    LayerNormalization), then the mean over the real tokens; its features
    have ``embedding_dim`` values.
    """
    declaration = get_text_encoder(encoder)
    return declaration.function(
        inputs,
        spec,
        reg=l2_regularizer(l2),
        embedding_dim=embedding_dim,
        text_units=text_units,
    )


def _recurrent_text(recurrent, suffix):
    def encode(inputs, spec, *, reg, embedding_dim, text_units):
        x = layers.Embedding(
            input_dim=spec.vocabulary_size,
            output_dim=embedding_dim,
            mask_zero=True,
            embeddings_regularizer=reg,
            name=f"{spec.name}_embedding",
        )(inputs)
        return recurrent(
            text_units,
            kernel_regularizer=reg,
            recurrent_regularizer=reg,
            name=f"{spec.name}_{suffix}",
        )(x)

    return encode


def _masked_embedding(inputs, spec, *, reg, embedding_dim):
    """The padding mask (1 for real tokens) and the token embeddings, unmasked."""
    mask = PaddingMask(name=f"{spec.name}_padding_mask")(inputs)
    x = layers.Embedding(
        input_dim=spec.vocabulary_size,
        output_dim=embedding_dim,
        embeddings_regularizer=reg,
        name=f"{spec.name}_embedding",
    )(inputs)
    return mask, x


def _text_cnn(inputs, spec, *, reg, embedding_dim, text_units):
    name, length = spec.name, spec.shape[0]
    mask, x = _masked_embedding(inputs, spec, reg=reg, embedding_dim=embedding_dim)
    step_mask = layers.Reshape((length, 1), name=f"{name}_step_mask")(mask)
    x = layers.Multiply(name=f"{name}_embedding_masked")([x, step_mask])
    for stage in range(TEXT_CONV_STAGES):
        x = layers.Conv1D(
            text_units,
            kernel_size=3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
            name=f"{name}_conv{stage}",
        )(x)
        x = layers.Multiply(name=f"{name}_conv{stage}_masked")([x, step_mask])
    return layers.GlobalMaxPooling1D(name=f"{name}_global_pool")(x)


def _text_transformer(inputs, spec, *, reg, embedding_dim, text_units):
    name, length = spec.name, spec.shape[0]
    mask, x = _masked_embedding(inputs, spec, reg=reg, embedding_dim=embedding_dim)
    x = PositionEmbedding(length, embeddings_regularizer=reg, name=f"{name}_position_embedding")(x)
    attention = layers.MultiHeadAttention(
        num_heads=TEXT_ATTENTION_HEADS,
        key_dim=max(1, text_units // TEXT_ATTENTION_HEADS),
        kernel_regularizer=reg,
        name=f"{name}_attention",
    )(x, x, value_mask=mask)
    x = layers.Add(name=f"{name}_attention_residual")([x, attention])
    x = layers.LayerNormalization(name=f"{name}_attention_norm")(x)
    ff = layers.Dense(
        text_units, activation="relu", kernel_regularizer=reg, name=f"{name}_ffn_dense0"
    )(x)
    ff = layers.Dense(embedding_dim, kernel_regularizer=reg, name=f"{name}_ffn_dense1")(ff)
    x = layers.Add(name=f"{name}_ffn_residual")([x, ff])
    x = layers.LayerNormalization(name=f"{name}_ffn_norm")(x)
    return MaskedAveragePooling1D(name=f"{name}_pool")([x, mask])


def _bag_of_ngrams(inputs, spec, *, reg, embedding_dim, text_units):
    name = spec.name
    words = layers.Embedding(
        input_dim=spec.vocabulary_size,
        output_dim=embedding_dim,
        embeddings_regularizer=reg,
        name=f"{name}_embedding",
    )(inputs)
    bigram_ids = BigramIds(BIGRAM_BUCKETS, name=f"{name}_bigram_ids")(inputs)
    bigrams = layers.Embedding(
        input_dim=BIGRAM_BUCKETS,
        output_dim=embedding_dim,
        embeddings_regularizer=reg,
        name=f"{name}_bigram_embedding",
    )(bigram_ids)
    mask = layers.Concatenate(axis=1, name=f"{name}_ngram_mask")(
        [
            PaddingMask(name=f"{name}_padding_mask")(inputs),
            PaddingMask(name=f"{name}_bigram_mask")(bigram_ids),
        ]
    )
    ngrams = layers.Concatenate(axis=1, name=f"{name}_ngrams")([words, bigrams])
    return MaskedAveragePooling1D(name=f"{name}_pool")([ngrams, mask])


for _encoder in (
    TextEncoder("bag", _bag_of_ngrams, "mean of the token and hashed-bigram embeddings"),
    TextEncoder("lstm", _recurrent_text(layers.LSTM, "lstm"), "embedding + one LSTM layer"),
    TextEncoder("gru", _recurrent_text(layers.GRU, "gru"), "embedding + one GRU layer"),
    TextEncoder("cnn", _text_cnn, "embedding + two Conv1D stages + max pooling"),
    TextEncoder("transformer", _text_transformer, "embedding + one self-attention block"),
):
    register_text_encoder(_encoder)

#: The built-in text encoders (:func:`text_encoder_names` lists the registered ones).
TEXT_ENCODERS = text_encoder_names()


def image_encoder(inputs, spec, *, image_filters, image_width_multiplier, l2):
    """Conv2D + MaxPooling stages, then global average and global max pooling side by side.

    The average says how much of each pattern a picture holds, the maximum
    whether it holds it anywhere (the concatenated pooling of fastai's
    ``AdaptiveConcatPool2d``); the features have twice the last stage's
    filters. On 363 small icons the pair scored 0.635 where the average alone
    scored 0.554 (``docs/balanced_fusion.md``).
    """
    reg = l2_regularizer(l2)
    x = inputs
    for stage, filters in enumerate(image_filters):
        x = layers.Conv2D(
            max(1, round(filters * image_width_multiplier)),
            kernel_size=3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
            name=f"{spec.name}_conv{stage}",
        )(x)
        if min(x.shape[1], x.shape[2]) >= 2:
            x = layers.MaxPooling2D(2, name=f"{spec.name}_pool{stage}")(x)
    average = layers.GlobalAveragePooling2D(name=f"{spec.name}_global_pool")(x)
    maximum = layers.GlobalMaxPooling2D(name=f"{spec.name}_global_max_pool")(x)
    return layers.Concatenate(name=f"{spec.name}_pools")([average, maximum])


# How each keras.applications backbone wants its RGB input, given images in [0, 1]:
#   "tf": scaled to [-1, 1];
#   "caffe": scaled to [0, 255], channels reversed to BGR, ImageNet mean subtracted;
#   "torch": ImageNet mean subtracted and divided by the ImageNet std;
#   "uint8": scaled to [0, 255] (the backbone normalizes inside itself).
_PREPROCESSING = {
    **dict.fromkeys(
        ["ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge"],
        "uint8",
    ),
    **dict.fromkeys(["DenseNet121", "DenseNet169", "DenseNet201"], "torch"),
    **dict.fromkeys([f"EfficientNetB{i}" for i in range(8)], "uint8"),
    **dict.fromkeys(
        [f"EfficientNetV2{v}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")], "uint8"
    ),
    **dict.fromkeys(["MobileNetV3Large", "MobileNetV3Small"], "uint8"),
    **dict.fromkeys(["ResNet50", "ResNet101", "ResNet152", "VGG16", "VGG19"], "caffe"),
    **dict.fromkeys(
        [
            "InceptionResNetV2",
            "InceptionV3",
            "MobileNet",
            "MobileNetV2",
            "NASNetLarge",
            "NASNetMobile",
            "ResNet50V2",
            "ResNet101V2",
            "ResNet152V2",
            "Xception",
        ],
        "tf",
    ),
}
# Smallest height and width each backbone accepts (32 where not listed).
_MIN_SIZE = {"InceptionResNetV2": 75, "InceptionV3": 75, "Xception": 71}
# ImageNet statistics, RGB order: of [0, 1] images (torch style) and of [0, 255] ones (caffe).
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)
_CAFFE_MEAN = (123.68, 116.779, 103.939)


def application_names():
    """The ``keras.applications`` backbones ``image_encoder`` accepts, sorted."""
    return sorted(name for name in _PREPROCESSING if hasattr(keras.applications, name))


def application_encoder(inputs, spec, *, application, weights=None):
    """A ``keras.applications`` backbone (no top, global average pooling).

    Images arrive in [0, 1] with 3 channels (RGB), or standardized by their
    transformer (``spec.pixel_scaling``, undone by a first ``Rescaling``
    layer, ``<block>_unstandardize``); a ``Rescaling`` layer
    (and, for caffe-style backbones, a ``ReverseChannels`` layer) brings them
    to the range the backbone was trained on (see ``_PREPROCESSING``). The
    backbone is one nested model named ``<block>_backbone``; it carries no L2
    penalty.
    """
    if application not in application_names():
        raise ValueError(
            f"Unknown image_encoder {application!r}; choose 'cnn' or one of the "
            f"keras.applications backbones: {', '.join(application_names())}."
        )
    shape = tuple(spec.shape)
    min_size = _MIN_SIZE.get(application, 32)
    if len(shape) != 3 or shape[-1] != 3 or min(shape[:2]) < min_size:
        raise ValueError(
            f"Block {spec.name!r}: image_encoder={application!r} needs RGB images of at "
            f"least {min_size}x{min_size}x3 pixels; this block's images have shape {shape}."
        )
    mode = _PREPROCESSING[application]
    name = spec.name
    scaling = getattr(spec, "pixel_scaling", None)
    if scaling is not None:  # standardized by the transformer: back to [0, 1] first
        mean, std = scaling
        inputs = layers.Rescaling(list(std), offset=list(mean), name=f"{name}_unstandardize")(
            inputs
        )
    if mode == "tf":
        x = layers.Rescaling(2.0, offset=-1.0, name=f"{name}_rescaling")(inputs)
    elif mode == "torch":
        x = layers.Rescaling(
            [1.0 / std for std in _IMAGENET_STD],
            offset=[-mean / std for mean, std in zip(_IMAGENET_MEAN, _IMAGENET_STD, strict=True)],
            name=f"{name}_rescaling",
        )(inputs)
    elif mode == "caffe":
        x = layers.Rescaling(
            255.0, offset=[-mean for mean in _CAFFE_MEAN], name=f"{name}_rescaling"
        )(inputs)
        x = ReverseChannels(name=f"{name}_bgr")(x)
    else:
        x = layers.Rescaling(255.0, name=f"{name}_rescaling")(inputs)
    try:
        backbone = getattr(keras.applications, application)(
            include_top=False,
            weights=weights,
            input_shape=shape,
            pooling="avg",
            name=f"{name}_backbone",
        )
    except ValueError as error:
        raise ValueError(
            f"Block {spec.name!r}: cannot build image_encoder={application!r} "
            f"(weights={weights!r}) for images of shape {shape}: {error}"
        ) from error
    return backbone(x)


def audio_encoder(inputs, spec, *, audio_filters, l2):
    """Conv1D + MaxPooling stages over spectrogram frames, then global average pooling."""
    reg = l2_regularizer(l2)
    x = inputs
    for stage, filters in enumerate(audio_filters):
        x = layers.Conv1D(
            filters,
            kernel_size=3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
            name=f"{spec.name}_conv{stage}",
        )(x)
        if x.shape[1] >= 2:
            x = layers.MaxPooling1D(2, name=f"{spec.name}_pool{stage}")(x)
    return layers.GlobalAveragePooling1D(name=f"{spec.name}_global_pool")(x)


def tabular_encoder(inputs, spec, *, tabular_units, l2):
    """A ReLU multilayer perceptron."""
    reg = l2_regularizer(l2)
    x = inputs
    for depth, units in enumerate(tabular_units):
        x = layers.Dense(
            units, activation="relu", kernel_regularizer=reg, name=f"{spec.name}_dense{depth}"
        )(x)
    return x


# -- the encoders the built-in modalities declare (skmm.modalities) -----------------------
# Each takes the Keras input, the block's spec, ``l2`` and the network settings its
# modality lists in ``encoder_settings``, under those settings' names (two of which
# hide the functions of the same name: hence the aliases).

_encode_text = text_encoder
_encode_image_cnn = image_encoder


def text_block_encoder(inputs, spec, *, l2, embedding_dim, text_units, text_encoder):
    """The encoder of a text block: :func:`text_encoder` of kind ``text_encoder``."""
    return _encode_text(
        inputs,
        spec,
        embedding_dim=embedding_dim,
        text_units=text_units,
        l2=l2,
        encoder=text_encoder,
    )


def image_block_encoder(
    inputs, spec, *, l2, image_encoder, image_filters, image_width_multiplier, image_weights
):
    """The encoder of an image block: the small CNN (``image_encoder="cnn"``) or a
    ``keras.applications`` backbone of that name (``image_weights`` its weights file)."""
    if image_encoder == "cnn":
        return _encode_image_cnn(
            inputs,
            spec,
            image_filters=image_filters,
            image_width_multiplier=image_width_multiplier,
            l2=l2,
        )
    return application_encoder(inputs, spec, application=image_encoder, weights=image_weights)


def audio_block_encoder(inputs, spec, *, l2, audio_filters):
    """The encoder of an audio block: :func:`audio_encoder`."""
    return audio_encoder(inputs, spec, audio_filters=audio_filters, l2=l2)


def tabular_block_encoder(inputs, spec, *, l2, tabular_units):
    """The encoder of a tabular block: :func:`tabular_encoder`."""
    return tabular_encoder(inputs, spec, tabular_units=tabular_units, l2=l2)
