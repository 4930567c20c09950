"""Decoding a column of images into rows of a float32 array: the fitted decoding
settings (`Decoder`), decoding rows in threads, and `LazyImages`, the
array-like that decodes its rows only when they are read."""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from ._columns import Column
from ._files import resolve_under_root
from ._image_decoding import DecodeSpec, check_cell, decode_into
from ._messages import format_label, is_int, is_missing

__all__ = [
    "LAZY_THRESHOLD_BYTES",
    "Decoder",
    "LazyDecoding",
    "LazyImages",
    "decode_rows",
    "n_threads",
]

#: With ``lazy="auto"``, a column of file paths whose decoded float32 array would
#: take more than this many bytes is decoded lazily (images and videos alike).
LAZY_THRESHOLD_BYTES = 512 * 2**20
#: Default number of decoding threads: os.cpu_count(), at most this.
MAX_DEFAULT_THREADS = 8
#: The transformer whose column errors name (``ImageNormalizer: column 'x', row 3``).
_NAME = "ImageNormalizer"


def n_threads(n_jobs):
    """Number of decoding threads for ``n_jobs`` (None: os.cpu_count(), at most 8)."""
    if n_jobs is None:
        return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_THREADS))
    if n_jobs == -1:
        return max(1, os.cpu_count() or 1)
    return int(n_jobs)


@dataclass(frozen=True, eq=False)
class Decoder:
    """The fitted decoding settings: everything needed to decode a cell, and picklable."""

    spec: DecodeSpec
    missing: str
    root: str | None  # resolved root, or None
    shown_root: str | None  # root as given, for messages
    n_jobs: int | None
    mean: np.ndarray | None = None  # float32 (channels,), when standardizing
    std: np.ndarray | None = None

    #: The transformer whose cells it decodes, the start of every message.
    name = _NAME

    @property
    def row_shape(self):
        """The shape of one decoded row, ``(height, width, channels)``."""
        return (self.spec.height, self.spec.width, self.spec.channels)

    def with_stats(self, mean, std):
        return replace(
            self, mean=np.asarray(mean, dtype=np.float32), std=np.asarray(std, dtype=np.float32)
        )

    def _resolve(self, cell, where):
        if self.root is not None and isinstance(cell, (str, os.PathLike)):
            return resolve_under_root(cell, self.root, self.shown_root, where)
        return cell

    def check(self, cell, where):
        """Check a cell without decoding it; return False for a missing cell filled with zeros."""
        if self.missing == "zeros" and is_missing(cell):
            return False
        if check_cell(cell, where) == "path":
            self._resolve(cell, where)
        return True

    def decode(self, cell, out, where):
        """Decode one cell into ``out``; return False for a missing cell filled with zeros."""
        if self.missing == "zeros" and is_missing(cell):
            out[...] = 0.0
            return False
        if not is_missing(cell):  # a missing cell is reported by decode_into
            cell = self._resolve(cell, where)
        decode_into(cell, self.spec, out, where)
        if self.mean is not None:
            out -= self.mean
            out /= self.std
        return True


class _FirstFailure:
    """The failing row with the smallest position seen by the decoding threads.

    A thread stops at its first failure and skips rows after the smallest
    failing row found so far; rows before it are still decoded, so the error
    raised is the one a serial loop would meet first.
    """

    def __init__(self, n_rows):
        self.row = n_rows
        self.error = None
        self._lock = threading.Lock()

    def record(self, row, error):
        with self._lock:
            if row < self.row:
                self.row, self.error = row, error


def decode_rows(decoder, column, rows, out):
    """Decode ``column`` rows ``rows`` into ``out[0 .. len(rows))``; return what
    ``decoder.decode`` returned for each row: its presence (1 or 0), or for a video
    its number of real frames (0 when missing).

    Uses ``decoder.n_jobs`` threads. PIL image cells are decoded in the calling
    thread (the caller's objects are not touched from two threads at once).
    """
    rows = np.asarray(rows, dtype=np.intp)
    present = np.ones(len(rows), dtype=np.intp)
    cells = column.cells

    def decode(j):
        k = int(rows[j])
        present[j] = decoder.decode(cells[k], out[j], column.where(k, decoder.name))

    threads = min(n_threads(decoder.n_jobs), len(rows))
    if threads <= 1:
        for j in range(len(rows)):
            decode(j)
        return present

    failure = _FirstFailure(len(rows))

    def work(js):
        for j in js:
            if j > failure.row:
                return
            try:
                decode(j)
            except Exception as exc:
                failure.record(j, exc)
                return

    in_caller, pooled = [], []
    for j in range(len(rows)):
        (in_caller if isinstance(cells[int(rows[j])], Image.Image) else pooled).append(j)
    size = max(1, math.ceil(len(pooled) / (4 * threads)))
    chunks = [pooled[i : i + size] for i in range(0, len(pooled), size)]
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(chunks)))) as pool:
        futures = [pool.submit(work, chunk) for chunk in chunks]
        try:
            work(in_caller)
            for future in futures:
                future.result()
        except BaseException:
            failure.row = -1  # stop the threads after their current image
            raise
    if failure.error is not None:
        raise failure.error
    return present


def _row_positions(key, n_rows):
    """Row positions (an int array) selected by a slice, a bool mask or integer indices."""
    if isinstance(key, slice):
        return np.arange(n_rows, dtype=np.intp)[key]
    if isinstance(key, tuple):
        raise TypeError(
            "LazyImages selects rows only; got a tuple index. Select rows first (e.g. "
            "images[rows]), then index the returned array."
        )
    rows = np.asarray(key)
    if rows.ndim != 1:
        raise IndexError(
            f"LazyImages expects a 1-D array of row positions or a boolean mask of length "
            f"{n_rows}; got an array of shape {rows.shape}."
        )
    if rows.dtype == np.bool_:
        if len(rows) != n_rows:
            raise IndexError(
                f"LazyImages got a boolean mask of length {len(rows)}. Expected a mask of "
                f"length {n_rows}, one entry per row."
            )
        return np.flatnonzero(rows)
    if rows.size == 0:
        return np.zeros(0, dtype=np.intp)
    if rows.dtype.kind not in "iu":
        raise IndexError(
            f"LazyImages expects integer row positions, a boolean mask or a slice; got an "
            f"array of dtype {rows.dtype}."
        )
    bad = (rows < -n_rows) | (rows >= n_rows)
    if bad.any():
        raise IndexError(
            f"LazyImages: row position {int(rows[bad][0])} is out of range for {n_rows} rows. "
            f"Expected positions in [-{n_rows}, {n_rows})."
        )
    return np.where(rows < 0, rows + n_rows, rows).astype(np.intp)


class LazyImages:
    """Images of one column, decoded only when rows are indexed.

    Returned by `ImageNormalizer.transform` (and ``fit_transform``) when
    decoding is lazy; not meant to be built directly. It holds the cells, the
    fitted decoding settings, the column name and the index labels, and behaves
    as a read-only float32 array of shape ``(n, height, width, channels)``:
    indexing rows decodes exactly those rows, with the same result (decoding,
    standardization, missing-value policy and error messages naming the
    original row) as the eager ``transform``.

    Attributes
    ----------
    is_lazy_block : bool
        Always True: marks a block decoded batch by batch on indexing.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import ImageNormalizer
    >>> images = [np.zeros((4, 4), dtype=np.uint8)] * 3
    >>> lazy = ImageNormalizer(size=(2, 2), lazy=True).fit_transform(images)
    >>> lazy.shape, len(lazy)
    ((3, 2, 2, 3), 3)
    >>> lazy[np.array([0, 2])].shape, lazy[1].shape
    ((2, 2, 2, 3), (2, 2, 3))
    >>> np.asarray(lazy.take([1, 2])).shape
    (2, 2, 2, 3)
    """

    is_lazy_block = True

    def __init__(self, column, decoder):
        self._column = column
        self._decoder = decoder

    @property
    def shape(self):
        """``(n, height, width, channels)``."""
        return (len(self._column), *self._decoder.row_shape)

    @property
    def dtype(self):
        """Always ``float32``."""
        return np.dtype("float32")

    @property
    def ndim(self):
        """4 for images, 5 for videos."""
        return 1 + len(self._decoder.row_shape)

    @property
    def nbytes(self):
        """Size in bytes of the whole array once decoded."""
        return math.prod(self.shape) * self.dtype.itemsize

    def __len__(self):
        return len(self._column)

    def __repr__(self):
        name = self._column.name
        column = "" if name is None else f", column={format_label(name)}"
        return f"{type(self).__name__}(shape={self.shape}, dtype=float32{column})"

    def _decode(self, rows):
        out = np.empty((len(rows), *self._decoder.row_shape), dtype=np.float32)
        decode_rows(self._decoder, self._column, rows, out)
        return out

    def __getitem__(self, key):
        """Decode the selected rows.

        Parameters
        ----------
        key : int, slice, list of int, ndarray of int or bool mask of length n
            The rows to decode.

        Returns
        -------
        images : ndarray of shape (k, height, width, channels), dtype float32
            The decoded rows; for an integer ``key``, one image of shape
            ``(height, width, channels)``.
        """
        n_rows = len(self)
        if is_int(key):
            if not -n_rows <= key < n_rows:
                raise IndexError(
                    f"LazyImages: row position {key} is out of range for {n_rows} rows. "
                    f"Expected a position in [-{n_rows}, {n_rows})."
                )
            return self._decode(np.array([key % n_rows], dtype=np.intp))[0]
        return self._decode(_row_positions(key, n_rows))

    def take(self, indices):
        """Select rows without decoding anything.

        Parameters
        ----------
        indices : slice, list of int, ndarray of int or bool mask of length n
            The rows to keep, in order.

        Returns
        -------
        images : LazyImages
            A lazy block over those rows; its errors still name the original rows.
        """
        if is_int(indices):
            raise TypeError(
                "LazyImages.take expects a sequence of row positions, a boolean mask or a "
                f"slice; got the integer {indices!r}. Use take([i]) for one row."
            )
        rows = _row_positions(indices, len(self))
        return type(self)(self._column.take(rows), self._decoder)

    def __array__(self, dtype=None, copy=None):
        """Decode every row (so ``np.asarray(images)`` works)."""
        out = self._decode(np.arange(len(self), dtype=np.intp))
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = out.astype(dtype)
        return out


class LazyDecoding:
    """What the transformers that decode files in threads share (``ImageNormalizer``,
    ``VideoFrames``): whether an output is lazy, the lazy output itself, and the decoder
    with the fitted standardization. A subclass sets `_lazy_type`."""

    #: The class of the lazy output (`LazyImages` or a subclass).
    _lazy_type = LazyImages

    def _is_lazy(self, column, decoder):
        """Whether to return a lazy block for ``column``."""
        if not isinstance(self.lazy, str):
            return bool(self.lazy)
        if len(column) * math.prod(decoder.row_shape) * 4 <= LAZY_THRESHOLD_BYTES:
            return False
        return all(
            isinstance(cell, (str, os.PathLike)) or is_missing(cell) for cell in column.cells
        )

    def _lazy_output(self, column, decoder):
        # Hold a copy of the list of cells (not of the decoded rows), so that later changes
        # to the caller's container do not change the output. A numeric stack is referenced.
        cells = column.cells
        if isinstance(cells, (list, tuple)):
            cells = list(cells)
        elif cells.dtype == object:
            cells = cells.copy()
        column = Column(cells, column.name, column.index, None, column.positions)
        return self._lazy_type(column, decoder)

    def _fitted_decoder(self, decoder):
        stats = self._check_standardization(decoder.spec.channels, "channels")
        return decoder if stats is None else decoder.with_stats(*stats)
