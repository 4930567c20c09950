"""The block contract between preprocessing and the network.

A *block* is one named input of the fused network: a per-row array (token ids,
images, tabular features) plus a [`BlockSpec`][skmm.compose.BlockSpec] that says what the network
must know to build an encoder for it. [`MultimodalBlocks`][skmm.compose.MultimodalBlocks] carries
the
blocks of one dataset from [`MultimodalInput`][skmm.compose.MultimodalInput] to the estimator.

This module depends on NumPy only; what a kind of block is comes from
[`skmm.modalities`][skmm.modalities].
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ..modalities import PRESENCE_SUFFIX, get_modality


@dataclass(frozen=True)
class BlockSpec:
    """Description of one block, enough to build its encoder.

    Parameters
    ----------
    name : str
        Block name; it is also the name of the network input.
    kind : str
        A registered block kind (``"text"``, ``"image"``, ``"audio"``,
        ``"tabular"``, or one declared with
        [`register_modality`][skmm.modalities.register_modality]): which encoder the block
        needs.
    shape : tuple of int
        Shape of one row (without the leading sample axis).
    dtype : str
        NumPy dtype name of the block's array (``"int32"`` for token ids,
        ``"float32"`` otherwise).
    vocabulary_size : int or None, default=None
        For text blocks, the number of token ids (padding and
        out-of-vocabulary ids included), i.e. the size of the embedding table.
    presence : bool, default=False
        Whether the block carries a per-row presence mask (rows whose value
        was missing). The network then has a second input
        ``<name>_present`` and zeroes the block's features where it is 0.
    pixel_scaling : tuple of (tuple of float, tuple of float), or None, default=None
        For image blocks standardized by their transformer, the per-channel
        ``(mean, std)`` that was removed from pixels in [0, 1]; an encoder
        that wants the pixels themselves (a ``keras.applications`` backbone)
        undoes it. None: the pixels are in [0, 1].
    details : tuple of (str, object) pairs, default=()
        The other entries of the transformer's ``get_block_info()`` that the
        kind's [`Modality`][skmm.modalities.Modality] lists in ``info_keys``;
        `detail` reads one.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    dtype: str
    vocabulary_size: int | None = None
    presence: bool = False
    pixel_scaling: tuple | None = None
    details: tuple = ()

    def __post_init__(self):
        try:
            modality = get_modality(self.kind)
        except ValueError as error:
            raise ValueError(f"Block {self.name!r}: {error}") from None
        if modality.check_spec is not None:
            modality.check_spec(self)

    @property
    def modality(self):
        """The [`Modality`][skmm.modalities.Modality] declaration of the block's kind."""
        return get_modality(self.kind)

    def detail(self, key, default=None):
        """The entry ``key`` of `details` (``default`` when absent)."""
        return dict(self.details).get(key, default)


def is_lazy(array) -> bool:
    """Whether ``array`` is a lazy block (decoded batch by batch on indexing)."""
    return getattr(array, "is_lazy_block", False)


def take_rows(array, rows):
    """Rows of an in-memory array or of a lazy block (without decoding it)."""
    return array.take(rows) if is_lazy(array) else array[rows]


class MultimodalBlocks(Mapping):
    """Named arrays of one dataset, with their [`BlockSpec`][skmm.compose.BlockSpec].

    It behaves as a read-only mapping ``block name -> array`` whose arrays all
    have ``n_samples`` rows. Iteration follows the order of the blocks. An
    array may be a lazy block (an object with ``is_lazy_block = True``,
    ``shape``, ``dtype``, ``__len__``, ``take(rows)`` and ``__getitem__(rows)``
    that decodes those rows), such as the output of
    ``ImageNormalizer(lazy=True)``.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        The data of each block, first axis the samples.
    specs : mapping of str to BlockSpec
        The description of each block; same keys as ``arrays``.
    masks : mapping of str to ndarray of bool, default=None
        Presence per row, for the blocks whose spec has ``presence=True``
        (missing entries mean every row is present).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.compose import BlockSpec, MultimodalBlocks
    >>> blocks = MultimodalBlocks(
    ...     {"num": np.zeros((4, 2), dtype="float32")},
    ...     {"num": BlockSpec("num", "tabular", (2,), "float32")},
    ... )
    >>> blocks.n_samples, list(blocks)
    (4, ['num'])
    """

    def __init__(self, arrays, specs, masks=None):
        arrays = dict(arrays)
        specs = dict(specs)
        masks = dict(masks or {})
        if list(arrays) != list(specs):
            raise ValueError(
                f"Blocks and specs must have the same names in the same order; "
                f"got {list(arrays)} and {list(specs)}."
            )
        if not arrays:
            raise ValueError("MultimodalBlocks needs at least one block.")
        lengths = {name: len(a) for name, a in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"All blocks must have the same number of rows; got {lengths}.")
        unexpected = sorted(set(masks) - {n for n, s in specs.items() if s.presence})
        if unexpected:
            raise ValueError(f"Masks given for blocks without presence: {unexpected}.")
        n_samples = next(iter(lengths.values()))
        for name, spec in specs.items():
            if spec.presence:
                mask = np.asarray(masks.get(name, np.ones(n_samples, dtype=bool)), dtype=bool)
                if mask.shape != (n_samples,):
                    raise ValueError(
                        f"Block {name!r}: presence mask of shape {mask.shape}, expected "
                        f"({n_samples},)."
                    )
                masks[name] = mask
        self._arrays = arrays
        self.specs = specs
        self.masks = masks

    @property
    def n_samples(self) -> int:
        """Number of rows shared by every block."""
        return len(next(iter(self._arrays.values())))

    def __getitem__(self, name):
        return self._arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def take(self, indices) -> MultimodalBlocks:
        """Return the blocks restricted to ``indices`` (integer or boolean)."""
        return MultimodalBlocks(
            {name: take_rows(a, indices) for name, a in self._arrays.items()},
            self.specs,
            {name: m[indices] for name, m in self.masks.items()},
        )

    def to_dict(self) -> dict:
        """The network inputs as a plain ``dict``: each block, and each presence
        mask as a float32 ``(n, 1)`` array named ``<block>_present``."""
        inputs = dict(self._arrays)
        for name, mask in self.masks.items():
            inputs[name + PRESENCE_SUFFIX] = mask.astype(np.float32).reshape(-1, 1)
        return inputs

    def __array__(self, dtype=None, copy=None):
        """Refuse to become one array: blocks of several kinds have no common shape.

        Without this, NumPy would turn the mapping into an array of its block
        names, and a scikit-learn estimator placed after ``MultimodalInput``
        would fail far away, on ``could not convert string to float``.
        """
        raise TypeError(
            f"{self!r} is the output of MultimodalInput: named blocks of several "
            f"kinds ({', '.join(repr(name) for name in self._arrays)}) that feed skmm's "
            "MultimodalClassifier, MultimodalRegressor or MultimodalClassifierCV, not "
            "one 2-D array. For another scikit-learn estimator, prepare the columns "
            "with sklearn.compose.ColumnTransformer instead (or take one block: "
            "blocks[name])."
        )

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{s.name}: {s.kind} {(self.n_samples, *s.shape)} {s.dtype}"
            + (" lazy" if is_lazy(self._arrays[s.name]) else "")
            for s in self.specs.values()
        )
        return f"MultimodalBlocks({parts})"
