"""The registry of block kinds: one [`Modality`][skmm.modalities.Modality] declaration per kind.

Every module that needs to know what a kind of block is (``MultimodalInput``
turning a transformer's output into a block, [`BlockSpec`][skmm.compose.BlockSpec]
checking a spec, the estimators checking input rows, the network builder
choosing an encoder, export making example rows) looks the kind up here
instead of comparing kind strings.

This module depends on NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_DTYPES = ("int32", "float32")

#: Suffix of the name of a block's presence mask (``"image_present"``): the column
#: of 1 (present) / 0 (missing) that blocks of kinds with ``may_be_missing`` carry,
#: and the network input of the same name.
PRESENCE_SUFFIX = "_present"


def non_finite_rows(array, spec):
    """Rows holding NaN or infinite values (the default row check)."""
    return ~np.isfinite(array.reshape(len(array), -1)).all(axis=1), "NaN or infinite values"


def normal_rows(rng, shape, spec):
    """Standard normal float32 rows (the default example rows of an export check)."""
    return rng.standard_normal(shape).astype(np.float32)


@dataclass(frozen=True)
class Modality:
    """What one kind of block is, and how the network encodes it.

    Parameters
    ----------
    kind : str
        The name a transformer's ``get_block_info()["kind"]`` gives, and
        `BlockSpec.kind <skmm.compose.BlockSpec>`.
    dtype : {"int32", "float32"}
        The dtype of the block's array (and of its network input).
    row_ndim : int
        Number of axes of one row: 1 for token ids or features, 2 for
        spectrogram frames, 3 for ``(height, width, channels)`` images. A
        transformer output of one axis for a kind of ``row_ndim=1`` is read
        as one feature per row.
    encoder : callable
        ``encoder(inputs, spec, *, l2, **settings)``: builds the block's
        encoder on the Keras input ``inputs`` and returns a
        ``(batch, features)`` Keras tensor. It may import Keras in its body
        (this module must not).
    encoder_settings : tuple of str, default=()
        The network settings (estimator parameters such as ``"text_units"``)
        passed to ``encoder`` as keyword arguments.
    encoder_choice : str or None, default=None
        The one of ``encoder_settings`` that names which encoder is built
        (``"text_encoder"``); error messages of export show it.
    may_be_missing : bool, default=False
        Whether a row of the kind's single column may be missing (None, NaN,
        an empty string). Its blocks then carry a presence mask and the
        network zeroes the block's features on missing rows.
    info_keys : tuple of str, default=()
        The entries of the transformer's ``get_block_info()`` the network
        needs. Those that are fields of ``BlockSpec`` (``vocabulary_size``,
        ``pixel_scaling``) are set as such; the others go to
        ``BlockSpec.details``.
    check_spec : callable or None, default=None
        ``check_spec(spec)`` raises ``ValueError`` for a spec of this kind
        that no encoder can take (a text block without a vocabulary).
    invalid_rows : callable, default=non_finite_rows
        ``invalid_rows(array, spec)`` returns a boolean array (True for a bad
        row) and a description of what is wrong, checked on every in-memory
        block an estimator receives.
    checked_after_transform : bool, default=False
        Whether ``MultimodalInput`` checks ``invalid_rows`` right after the
        block's transformer, with a hint to impute (a transformer of this
        kind is any scikit-learn transformer, which may let NaN through).
    from_array : callable or None, default=None
        ``from_array(name, array)`` returns the spec of a block given as a
        bare array in a dict of arrays, or None when the array is not of
        this kind. Kinds are tried in registration order.
    example_rows : callable, default=normal_rows
        ``example_rows(rng, shape, spec)``: valid rows of the given shape
        (first axis the rows), with which an export compares the exported
        network to the Keras one.
    augmentable : bool, default=False
        Whether the network's ``image_augmentation`` (random flips, shifts
        and zooms of ``(height, width, channels)`` rows) applies to its
        blocks.
    description : str, default=""
        One line on what the rows hold, for error messages.
    """

    kind: str
    dtype: str
    row_ndim: int
    encoder: Callable
    encoder_settings: tuple = ()
    encoder_choice: str | None = None
    may_be_missing: bool = False
    info_keys: tuple = ()
    check_spec: Callable | None = None
    invalid_rows: Callable = non_finite_rows
    checked_after_transform: bool = False
    from_array: Callable | None = None
    example_rows: Callable = normal_rows
    augmentable: bool = False
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.kind, str) or not self.kind.isidentifier():
            raise ValueError(f"A modality's kind must be an identifier string; got {self.kind!r}.")
        if self.dtype not in _DTYPES:
            raise ValueError(
                f"Modality {self.kind!r}: dtype must be one of {_DTYPES}; got {self.dtype!r}."
            )
        if not isinstance(self.row_ndim, int) or self.row_ndim < 1:
            raise ValueError(
                f"Modality {self.kind!r}: row_ndim must be a positive int; got {self.row_ndim!r}."
            )
        if not callable(self.encoder):
            raise ValueError(
                f"Modality {self.kind!r}: encoder must be callable; got {self.encoder!r}."
            )
        object.__setattr__(self, "encoder_settings", tuple(self.encoder_settings))
        object.__setattr__(self, "info_keys", tuple(self.info_keys))
        if self.encoder_choice is not None and self.encoder_choice not in self.encoder_settings:
            raise ValueError(
                f"Modality {self.kind!r}: encoder_choice {self.encoder_choice!r} is not one of "
                f"its encoder_settings {self.encoder_settings}."
            )


_REGISTRY: dict[str, Modality] = {}


def register_modality(modality, *, replace=False):
    """Declare a block kind, so that transformers, the network and export know it.

    Parameters
    ----------
    modality : Modality
        The declaration.
    replace : bool, default=False
        Whether an existing declaration of the same kind may be replaced.

    Returns
    -------
    modality : Modality
        The declaration, registered.

    Examples
    --------
    >>> from skmm.modalities import (
    ...     Modality, get_modality, register_modality, unregister_modality
    ... )
    >>> def mean_encoder(inputs, spec, *, l2):
    ...     import keras
    ...     return keras.layers.Flatten(name=f"{spec.name}_flat")(inputs)
    >>> _ = register_modality(Modality("sensor", "float32", 2, mean_encoder))
    >>> get_modality("sensor").row_ndim
    2
    >>> _ = unregister_modality("sensor")
    """
    if not isinstance(modality, Modality):
        raise TypeError(f"register_modality expects a Modality; got {modality!r}.")
    if modality.kind in _REGISTRY and not replace:
        raise ValueError(
            f"A modality of kind {modality.kind!r} is already registered; pass replace=True "
            "to replace it."
        )
    _REGISTRY[modality.kind] = modality
    return modality


def unregister_modality(kind):
    """Remove the declaration of ``kind`` and return it."""
    get_modality(kind)
    return _REGISTRY.pop(kind)


def get_modality(kind):
    """The declaration of ``kind``; a ``ValueError`` naming the known kinds otherwise."""
    try:
        return _REGISTRY[kind]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown block kind {kind!r}; the registered kinds are {modality_kinds()} "
            "(skmm.modalities.register_modality declares another)."
        ) from None


def modality_kinds():
    """The registered kinds, in registration order."""
    return tuple(_REGISTRY)


def modalities():
    """The registered declarations, in registration order."""
    return tuple(_REGISTRY.values())
