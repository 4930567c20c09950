"""The block contract between preprocessing and the network.

A *block* is one named input of the fused network: a per-row array (token ids,
images, tabular features) plus a :class:`BlockSpec` that says what the network
must know to build an encoder for it. :class:`MultimodalBlocks` carries the
blocks of one dataset from :class:`~skmm.MultimodalInput` to the estimator.

This module depends on NumPy only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

BLOCK_KINDS = ("text", "image", "tabular")


@dataclass(frozen=True)
class BlockSpec:
    """Description of one block, enough to build its encoder.

    Parameters
    ----------
    name : str
        Block name; it is also the name of the network input.
    kind : {"text", "image", "tabular"}
        Which encoder the block needs.
    shape : tuple of int
        Shape of one row (without the leading sample axis).
    dtype : str
        NumPy dtype name of the block's array (``"int32"`` for token ids,
        ``"float32"`` otherwise).
    vocabulary_size : int or None, default=None
        For text blocks, the number of token ids (padding and
        out-of-vocabulary ids included), i.e. the size of the embedding table.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    dtype: str
    vocabulary_size: int | None = None

    def __post_init__(self):
        if self.kind not in BLOCK_KINDS:
            raise ValueError(
                f"Block {self.name!r}: kind must be one of {BLOCK_KINDS}, got {self.kind!r}."
            )
        if self.kind == "text" and (self.vocabulary_size is None or self.vocabulary_size < 2):
            raise ValueError(
                f"Block {self.name!r}: a text block needs vocabulary_size >= 2, "
                f"got {self.vocabulary_size!r}."
            )


class MultimodalBlocks(Mapping):
    """Named arrays of one dataset, with their :class:`BlockSpec`.

    It behaves as a read-only mapping ``block name -> array`` whose arrays all
    have ``n_samples`` rows. Iteration follows the order of the blocks.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        The data of each block, first axis the samples.
    specs : mapping of str to BlockSpec
        The description of each block; same keys as ``arrays``.

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

    def __init__(self, arrays, specs):
        arrays = dict(arrays)
        specs = dict(specs)
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
        self._arrays = arrays
        self.specs = specs

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
        return MultimodalBlocks({name: a[indices] for name, a in self._arrays.items()}, self.specs)

    def to_dict(self) -> dict[str, np.ndarray]:
        """The arrays as a plain ``dict``, as Keras expects for named inputs."""
        return dict(self._arrays)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{s.name}: {s.kind} {(self.n_samples, *s.shape)} {s.dtype}"
            for s in self.specs.values()
        )
        return f"MultimodalBlocks({parts})"
