"""Assemble the fused network from block specs."""

from __future__ import annotations

import keras
from keras import layers

from ._encoders import (
    audio_encoder,
    image_encoder,
    l2_regularizer,
    tabular_encoder,
    text_encoder,
)
from ._layers import ModalityDropout

#: Suffix of the presence input of a block (kept equal to skmm.compose.PRESENCE_SUFFIX).
PRESENCE_SUFFIX = "_present"


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
    audio_filters=(64, 128),
    tabular_units=(64,),
    hidden_units=(64,),
    dropout=0.2,
    modality_dropout=0.0,
):
    """Build the uncompiled fused network: one encoder per block, concat, head.

    Parameters
    ----------
    specs : sequence of BlockSpec-like
        Objects with ``name``, ``kind`` (``"text"``, ``"image"``, ``"audio"``
        or ``"tabular"``), ``shape``, ``dtype``, ``presence`` and, for text,
        ``vocabulary_size``. One named input is made per spec, plus a
        ``<name>_present`` input of shape ``(1,)`` for specs with
        ``presence``: the block's features are multiplied by it and it is
        also fed to the head, so a missing row contributes nothing but its
        absence.
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
    audio_filters : sequence of int
        Filters of each Conv1D stage of audio blocks.
    tabular_units, hidden_units : sequence of int
        Widths of the tabular MLP and of the fused head.
    dropout : float
        Dropout rate after each hidden layer of the head.
    modality_dropout : float
        During training, probability of marking a block with a presence
        input missing for a row (whole-modality dropout).

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
        elif spec.kind == "audio":
            feat = audio_encoder(x_in, spec, audio_filters=audio_filters, l2=l2)
        elif spec.kind == "tabular":
            feat = tabular_encoder(x_in, spec, tabular_units=tabular_units, l2=l2)
        else:
            raise ValueError(f"Block {spec.name!r}: no encoder for kind {spec.kind!r}.")
        inputs.append(x_in)
        if getattr(spec, "presence", False):
            present_in = keras.Input(shape=(1,), name=spec.name + PRESENCE_SUFFIX)
            inputs.append(present_in)
            present = present_in
            if modality_dropout:
                present = ModalityDropout(modality_dropout, name=f"{spec.name}_modality_dropout")(
                    present_in
                )
            feat = layers.Multiply(name=f"{spec.name}_masked")([feat, present])
            features.append(present)
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
