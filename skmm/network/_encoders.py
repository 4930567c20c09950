"""One encoder per kind of block: text, image, audio, tabular.

Each encoder maps a Keras input tensor to a flat feature tensor. Every kernel
(and the embedding table) carries the L2 penalty ``l2``; biases do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from ._layers import (
    BigramIds,
    MaskedAveragePooling1D,
    PaddingMask,
    PositionEmbedding,
)
from ._named_registry import Declaration, NamedRegistry


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
class TextEncoder(Declaration):
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

    what = "text encoder"


_TEXT_ENCODERS = NamedRegistry(TextEncoder, "text_encoder", "register_text_encoder")


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
    return _TEXT_ENCODERS.register(encoder, replace=replace)


def unregister_text_encoder(name):
    """Remove the text encoder ``name`` and return it."""
    return _TEXT_ENCODERS.unregister(name)


def get_text_encoder(name):
    """The text encoder registered as ``name``; a ``ValueError`` naming the others otherwise."""
    return _TEXT_ENCODERS.get(name)


def text_encoder_names():
    """The registered text encoders' names, in registration order."""
    return _TEXT_ENCODERS.names()


def text_encoder(inputs, spec, *, embedding_dim, text_units, l2, encoder="bag"):
    """Encode token ids (0 is padding) into a flat feature vector with the text
    encoder registered as ``encoder``.

    The built-in ones (`TEXT_ENCODERS`): ``"bag"`` (fastText's bag of
    n-grams, Joulin et al. 2016): the mean of the embeddings of the real
    tokens and of their hashed bigrams (``BIGRAM_BUCKETS`` rows, see
    `BigramIds`); its features have ``embedding_dim`` values and no
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

#: The built-in text encoders ([`text_encoder_names`][skmm.network.text_encoder_names] lists the
#: registered ones).
TEXT_ENCODERS = text_encoder_names()


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
# modality lists in ``encoder_settings``, under those settings' names (one of which
# hides the function of the same name: hence the alias). The image block's is in
# ``_image_encoders``.

_encode_text = text_encoder


def text_block_encoder(inputs, spec, *, l2, embedding_dim, text_units, text_encoder):
    """The encoder of a text block: `text_encoder` of kind ``text_encoder``."""
    return _encode_text(
        inputs,
        spec,
        embedding_dim=embedding_dim,
        text_units=text_units,
        l2=l2,
        encoder=text_encoder,
    )


def audio_block_encoder(inputs, spec, *, l2, audio_filters):
    """The encoder of an audio block: `audio_encoder`."""
    return audio_encoder(inputs, spec, audio_filters=audio_filters, l2=l2)


def tabular_block_encoder(inputs, spec, *, l2, tabular_units):
    """The encoder of a tabular block: `tabular_encoder`."""
    return tabular_encoder(inputs, spec, tabular_units=tabular_units, l2=l2)
