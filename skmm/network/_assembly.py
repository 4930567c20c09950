"""Assemble the fused network from block specs."""

from __future__ import annotations

import keras
from keras import layers

from ._encoders import image_encoder, l2_regularizer, tabular_encoder, text_encoder


def build_fused_network(
    specs,
    *,
    n_outputs,
    output_activation,
    l2=1e-4,
    embedding_dim=32,
    text_units=32,
    image_filters=(64, 128, 128),
    image_width_multiplier=1.0,
    tabular_units=(64,),
    hidden_units=(64,),
    dropout=0.2,
):
    """Build the uncompiled fused network: one encoder per block, concat, head.

    Parameters
    ----------
    specs : sequence of BlockSpec-like
        Objects with ``name``, ``kind`` (``"text"``, ``"image"`` or
        ``"tabular"``), ``shape``, ``dtype`` and, for text,
        ``vocabulary_size``. One named input is made per spec.
    n_outputs : int
        Units of the output layer.
    output_activation : str
        ``"sigmoid"`` or ``"softmax"``.
    l2 : float
        L2 penalty on every kernel and embedding table.
    embedding_dim, text_units : int
        Text encoder sizes.
    image_filters : sequence of int
        Filters of each Conv2D stage, scaled by ``image_width_multiplier``.
    tabular_units, hidden_units : sequence of int
        Widths of the tabular MLP and of the fused head.
    dropout : float
        Dropout rate after each hidden layer of the head.

    Returns
    -------
    model : keras.Model
        A functional model whose inputs are named after the blocks.
    """
    inputs, features = [], []
    for spec in specs:
        x_in = keras.Input(shape=spec.shape, dtype=spec.dtype, name=spec.name)
        if spec.kind == "text":
            feat = text_encoder(
                x_in, spec, embedding_dim=embedding_dim, text_units=text_units, l2=l2
            )
        elif spec.kind == "image":
            feat = image_encoder(
                x_in,
                spec,
                image_filters=image_filters,
                image_width_multiplier=image_width_multiplier,
                l2=l2,
            )
        elif spec.kind == "tabular":
            feat = tabular_encoder(x_in, spec, tabular_units=tabular_units, l2=l2)
        else:
            raise ValueError(f"Block {spec.name!r}: no encoder for kind {spec.kind!r}.")
        inputs.append(x_in)
        features.append(feat)
    x = features[0] if len(features) == 1 else layers.Concatenate(name="fusion")(features)
    reg = l2_regularizer(l2)
    for depth, units in enumerate(hidden_units):
        x = layers.Dense(
            units, activation="relu", kernel_regularizer=reg, name=f"head_dense{depth}"
        )(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"head_dropout{depth}")(x)
    outputs = layers.Dense(
        n_outputs, activation=output_activation, kernel_regularizer=reg, name="output"
    )(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="fused_network")
