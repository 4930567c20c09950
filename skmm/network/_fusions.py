"""Fusions: how the blocks' features (or the blocks' predictions) become one.

A [`Fusion`][skmm.network.Fusion] is registered under a name, the value of the estimators'
``fusion`` parameter. A fusion of *features* is a function
``function(blocks, *, reg, **settings)``: ``blocks`` is a list of
``(name, features, presence)`` with ``features`` a ``(batch, width)`` Keras
tensor and ``presence`` the block's ``(batch, 1)`` presence mask (None for a
block whose rows are never missing); ``reg`` is the network's L2
regularizer; ``settings`` are the network settings the fusion declares
(``"fusion_units"``, ``"fusion_heads"``). It returns the ``(batch, width)``
tensor the head reads. A fusion of *predictions* (``"late"``) gives every
block its own head and is called as
``function(blocks, outputs, *, n_outputs)`` with the heads' ``outputs``; it
returns the network's output.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras import layers

from ._layers import MaskedAveragePooling1D, ModalityMask
from ._named_registry import Declaration, NamedRegistry

#: The settings a fusion may read.
FUSION_SETTINGS = ("fusion_units", "fusion_heads")

#: What a fusion combines.
COMBINES = ("features", "predictions")


@dataclass(frozen=True)
class Fusion(Declaration):
    """A named way to fuse the blocks.

    Parameters
    ----------
    name : str
        The value of ``fusion`` that selects it.
    function : callable
        See the module's docstring for its signature.
    description : str, default=""
        One line on what it does.
    settings : tuple of str, default=()
        The network settings (of ``FUSION_SETTINGS``) passed to ``function``.
    combines : {"features", "predictions"}, default="features"
        Whether ``function`` fuses the blocks' features (one head after it)
        or the predictions of one head per block.
    """

    settings: tuple = ()
    combines: str = "features"

    what = "fusion"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "settings", tuple(self.settings))
        unknown = sorted(set(self.settings) - set(FUSION_SETTINGS))
        if unknown:
            raise ValueError(
                f"Fusion {self.name!r}: unknown settings {unknown}; a fusion may read "
                f"{', '.join(FUSION_SETTINGS)}."
            )
        if self.combines not in COMBINES:
            raise ValueError(
                f"Fusion {self.name!r}: combines must be one of {COMBINES}; got {self.combines!r}."
            )


_FUSIONS = NamedRegistry(Fusion, "fusion", "register_fusion")


def register_fusion(fusion, *, replace=False):
    """Make ``fusion`` selectable as ``fusion=<its name>``; return it.

    Examples
    --------
    >>> from keras import layers
    >>> from skmm.network import Fusion, register_fusion, unregister_fusion
    >>> def sum_fusion(blocks, *, reg, fusion_units):
    ...     projected = [
    ...         layers.Dense(fusion_units, name=f"{name}_sum_projection")(feat)
    ...         for name, feat, _ in blocks
    ...     ]
    ...     return projected[0] if len(projected) == 1 else layers.Add()(projected)
    >>> _ = register_fusion(Fusion("sum", sum_fusion, settings=("fusion_units",)))
    >>> "sum" in fusion_names()
    True
    >>> _ = unregister_fusion("sum")
    """
    return _FUSIONS.register(fusion, replace=replace)


def unregister_fusion(name):
    """Remove the fusion ``name`` and return it."""
    return _FUSIONS.unregister(name)


def get_fusion(name):
    """The fusion registered as ``name``; a ``ValueError`` naming the others otherwise."""
    return _FUSIONS.get(name)


def fusion_names():
    """The registered fusions' names, in registration order."""
    return _FUSIONS.names()


# -- helpers shared with the network assembly -------------------------------------------


def concatenate(tensors, name, axis=-1):
    """``tensors`` joined along ``axis`` (the tensor itself when there is one)."""
    if len(tensors) == 1:
        return tensors[0]
    return layers.Concatenate(axis=axis, name=name)(tensors)


def masked(name, x, present, suffix="masked"):
    """``x`` multiplied by the block's presence mask (``x`` itself without one)."""
    if present is None:
        return x
    return layers.Multiply(name=f"{name}_{suffix}")([x, present])


def presence_masks(blocks):
    """The presence masks of the blocks that have one, in block order."""
    return [present for _, _, present in blocks if present is not None]


def stack_blocks(blocks, tensors, width, suffix, name):
    """``(batch, width)`` tensors stacked into ``(batch, n_blocks, width)``."""
    tokens = [
        layers.Reshape((1, width), name=f"{block}_{suffix}")(tensor)
        for (block, _, _), tensor in zip(blocks, tensors, strict=True)
    ]
    return concatenate(tokens, name, axis=1)


def modality_mask(blocks, tokens):
    """``(batch, n_blocks)`` presence of each block; None when no block has a mask."""
    masks = presence_masks(blocks)
    if not masks:
        return None
    has_presence = [present is not None for _, _, present in blocks]
    return ModalityMask(has_presence, name="modality_mask")([tokens, *masks])


# -- the built-in fusions -------------------------------------------------------------


def concat_fusion(blocks, *, reg):
    """Masked features and presence masks side by side (the original network)."""
    features = []
    for name, feat, present in blocks:
        if present is not None:
            features.append(present)
        features.append(masked(name, feat, present))
    return concatenate(features, "fusion")


def _projections(blocks, units, reg):
    """Each block's features projected to ``units`` values, then masked."""
    return [
        masked(
            name,
            layers.Dense(units, kernel_regularizer=reg, name=f"{name}_projection")(feat),
            present,
        )
        for name, feat, present in blocks
    ]


def gated_fusion(blocks, *, reg, fusion_units):
    """Each block projected to ``fusion_units`` values and weighted by a sigmoid gate
    computed from all of them (in the manner of Arevalo et al. 2017's gated multimodal
    unit); the
    gated projections are summed, the presence masks appended."""
    units = fusion_units
    projected = _projections(blocks, units, reg)
    masks = presence_masks(blocks)
    gate_input = concatenate([*projected, *masks], "gate_input")
    gated = []
    for (name, _, _), proj in zip(blocks, projected, strict=True):
        gate = layers.Dense(
            units, activation="sigmoid", kernel_regularizer=reg, name=f"{name}_gate"
        )(gate_input)
        gated.append(layers.Multiply(name=f"{name}_gated")([proj, gate]))
    fused = gated[0] if len(gated) == 1 else layers.Add(name="fusion_sum")(gated)
    return concatenate([fused, *masks], "fusion")


def attention_fusion(blocks, *, reg, fusion_units, fusion_heads):
    """One token per block (its projection to ``fusion_units`` values), one
    self-attention block over the tokens (``fusion_heads`` heads, missing blocks
    masked out), then the mean over the present tokens; presence masks appended."""
    units, heads = fusion_units, fusion_heads
    tokens = stack_blocks(
        blocks, _projections(blocks, units, reg), units, "token", "modality_tokens"
    )
    mask = modality_mask(blocks, tokens)
    attention = layers.MultiHeadAttention(
        num_heads=heads,
        key_dim=max(1, units // heads),
        kernel_regularizer=reg,
        name="fusion_attention",
    )(tokens, tokens, value_mask=mask)
    x = layers.Add(name="fusion_residual")([tokens, attention])
    x = layers.LayerNormalization(name="fusion_norm")(x)
    if mask is None:
        pooled = layers.GlobalAveragePooling1D(name="fusion_pool")(x)
    else:
        pooled = MaskedAveragePooling1D(name="fusion_pool")([x, mask])
    return concatenate([pooled, *presence_masks(blocks)], "fusion")


def average_predictions(blocks, outputs, *, n_outputs):
    """The mean of the blocks' predictions over the blocks present in each row."""
    stacked = stack_blocks(blocks, outputs, n_outputs, "output_token", "block_outputs")
    mask = modality_mask(blocks, stacked)
    if mask is None:
        return layers.GlobalAveragePooling1D(name="output")(stacked)
    return MaskedAveragePooling1D(name="output")([stacked, mask])


#: The built-in fusions, in the order the estimators document them.
FUSIONS = tuple(
    register_fusion(fusion).name
    for fusion in (
        Fusion("concat", concat_fusion),
        Fusion("gated", gated_fusion, settings=("fusion_units",)),
        Fusion("attention", attention_fusion, settings=("fusion_units", "fusion_heads")),
        Fusion("late", average_predictions, combines="predictions"),
    )
)
