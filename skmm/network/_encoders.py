"""One encoder per kind of block: text, image, audio, tabular.

Each encoder maps a Keras input tensor to a flat feature tensor. Every kernel
(and the embedding table) carries the L2 penalty ``l2``; biases do not.
"""

from __future__ import annotations

import keras
from keras import layers


def l2_regularizer(l2):
    """The L2 penalty applied to every kernel; None when ``l2`` is 0."""
    return keras.regularizers.L2(float(l2)) if l2 else None


def text_encoder(inputs, spec, *, embedding_dim, text_units, l2):
    """Embedding + LSTM over token ids (0 is padding and is masked)."""
    reg = l2_regularizer(l2)
    x = layers.Embedding(
        input_dim=spec.vocabulary_size,
        output_dim=embedding_dim,
        mask_zero=True,
        embeddings_regularizer=reg,
        name=f"{spec.name}_embedding",
    )(inputs)
    return layers.LSTM(
        text_units,
        kernel_regularizer=reg,
        recurrent_regularizer=reg,
        name=f"{spec.name}_lstm",
    )(x)


def image_encoder(inputs, spec, *, image_filters, image_width_multiplier, l2):
    """Conv2D + MaxPooling stages, then global average pooling."""
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
    return layers.GlobalAveragePooling2D(name=f"{spec.name}_global_pool")(x)


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
