"""The features a fitted network computes before its head: what ``transform`` returns.

Every network `build_fused_network` builds names two kinds of layer for this:
``<block>_features``, the output of each block's encoder, and
``fused_features``, what the fused head reads (absent with ``fusion="late"``,
whose blocks each have their own head).
"""

from __future__ import annotations

import keras
from keras import layers

from ..modalities import PRESENCE_SUFFIX

#: Name of the layer whose output the fused head reads.
FUSED_FEATURES = "fused_features"

#: Suffix of the name of the layer holding a block's encoder output.
BLOCK_FEATURES_SUFFIX = "_features"

#: The values of the estimators' ``embedding`` parameter.
EMBEDDINGS = ("fused", "blocks")


def block_features_name(block):
    """The name of the layer that holds the features of ``block``."""
    return f"{block}{BLOCK_FEATURES_SUFFIX}"


def _layer_output(model, name):
    try:
        return model.get_layer(name).output
    except ValueError:
        raise ValueError(
            f"This network has no layer {name!r}: it was built before skmm named its "
            "features' layers (or its layers were renamed); fit it again to get embeddings."
        ) from None


def _masked_block_features(model, block):
    """The block's encoder output, zero on rows where the block is missing."""
    features = _layer_output(model, block_features_name(block))
    try:
        present = model.get_layer(block + PRESENCE_SUFFIX).output
    except ValueError:
        return features
    return layers.Multiply(name=f"{block}_embedding_masked")([features, present])


def embedding_network(model, blocks, embedding="fused"):
    """A model with ``model``'s inputs whose output is its features for ``embedding``.

    Parameters
    ----------
    model : keras.Model
        A network made by `build_fused_network`.
    blocks : sequence of str
        The block names, in the order their features are concatenated with
        ``embedding="blocks"``.
    embedding : {"fused", "blocks"}, default="fused"
        ``"fused"``: what the fused head reads (the fusion's output); with
        ``fusion="late"``, which has no fused features, the blocks' features
        concatenated. ``"blocks"``: each block's encoder output (zero on rows
        where the block is missing), concatenated in ``blocks`` order.

    Returns
    -------
    network : keras.Model
        Shares its layers (and weights) with ``model``.
    widths : list of (str, int)
        The name and width of each part of the output, in order: one
        ``("fused", width)`` for fused features, one per block otherwise.
    """
    if embedding not in EMBEDDINGS:
        raise ValueError(f"Unknown embedding {embedding!r}; choose one of {EMBEDDINGS}.")
    names = [layer.name for layer in model.layers]
    if embedding == "fused" and FUSED_FEATURES in names:
        output = _layer_output(model, FUSED_FEATURES)
        parts = [("fused", int(output.shape[-1]))]
    else:
        features = [_masked_block_features(model, block) for block in blocks]
        parts = [(block, int(f.shape[-1])) for block, f in zip(blocks, features, strict=True)]
        output = (
            features[0]
            if len(features) == 1
            else layers.Concatenate(name="block_embeddings")(features)
        )
    return keras.Model(inputs=model.inputs, outputs=output, name=f"{embedding}_embedding"), parts


def embedding_feature_names(parts):
    """``<part>_<i>`` for every feature of the parts `embedding_network` returns."""
    return [f"{name}_{i}" for name, width in parts for i in range(width)]
