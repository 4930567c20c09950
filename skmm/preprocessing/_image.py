"""Turn a column of images (paths, bytes, PIL images, arrays) into a float32 tensor."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._image_decoding import RESAMPLE, DecodeSpec, check_cell, decode_into
from ._messages import format_label, is_int

__all__ = ["ImageNormalizer"]

_POLICIES = ("stretch", "pad", "crop")
_STD_FLOOR = 1e-6


@dataclass(frozen=True)
class _Column:
    """One column of image cells plus what is needed to name a cell in messages."""

    cells: Any
    name: Any
    index: pd.Index | None
    feature_names: np.ndarray | None

    def __len__(self):
        return len(self.cells)

    def where(self, position):
        column = f"column {format_label(self.name)}" if self.name is not None else "input"
        row = f"row {position}"
        if self.index is not None:
            row += f" (index label {format_label(self.index[position])})"
        return f"ImageNormalizer: {column}, {row}"


def _as_column(X):
    """Return a :class:`_Column` for any accepted input container."""
    name = "ImageNormalizer"
    if isinstance(X, (str, bytes, os.PathLike, Image.Image)):
        raise TypeError(
            f"{name} expects a column of images; got a single {type(X).__name__} object. "
            "Wrap it in a list to transform one image."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                f"{name} reads exactly one image column, but got a DataFrame with "
                f"{X.shape[1]} columns {list(X.columns)!r}. Select one column, e.g. "
                "X['image'] or X[['image']]."
            )
        column = X.columns[0]
        feature_names = np.asarray([column], dtype=object) if isinstance(column, str) else None
        return _Column(X.iloc[:, 0].tolist(), column, X.index, feature_names)
    if isinstance(X, pd.Series):
        return _Column(X.tolist(), X.name, X.index, None)
    if isinstance(X, (list, tuple)):
        return _Column(X, None, None, None)
    if isinstance(X, np.ndarray):
        return _Column(_array_cells(X), None, None, None)
    raise TypeError(
        f"{name} expects a column of images: a pandas Series, a one-column DataFrame, a "
        "list or tuple, a 1-D object array, or a numeric array stacking images as "
        f"(n, H, W) or (n, H, W, C); got {type(X).__module__}.{type(X).__qualname__}."
    )


def _array_cells(X):
    numeric = X.dtype.kind in "biuf"
    if X.ndim == 0:
        raise TypeError("ImageNormalizer expects a column of images; got a 0-d array.")
    if X.ndim == 1:
        if numeric:
            raise TypeError(
                f"ImageNormalizer got a 1-D numeric array of dtype {X.dtype}, which is not a "
                "column of images. Pass a 1-D object array of images, or stack images as "
                "(n, H, W) or (n, H, W, C)."
            )
        return X
    if not numeric:
        if X.ndim == 2 and X.shape[1] == 1:
            return X[:, 0]
        raise ValueError(
            f"ImageNormalizer expects a single column of images, but got a {X.dtype} array "
            f"of shape {X.shape}. Pass one column, e.g. X[:, 0]."
        )
    if X.ndim == 2:
        raise ValueError(
            f"ImageNormalizer got a 2-D numeric array of shape {X.shape}, which is ambiguous: "
            "it could be one grayscale image or a table of numbers. Pass a list of images, "
            "e.g. [image], or a stack of shape (n, H, W) or (n, H, W, C)."
        )
    if X.ndim == 3 and X.shape[2] in (1, 3, 4):
        raise ValueError(
            f"ImageNormalizer got a 3-D numeric array of shape {X.shape}, whose last axis "
            "looks like the channels of one (H, W, C) image rather than the width of a "
            "(n, H, W) grayscale stack. Pass a list of images, e.g. [image], or a 4-D stack "
            "(n, H, W, C)."
        )
    if X.ndim == 4 and X.shape[3] not in (1, 3, 4):
        raise ValueError(
            f"ImageNormalizer got a 4-D array of shape {X.shape}. Expected a stack of "
            "images (n, H, W, C) with C in 1, 3, 4."
        )
    if X.ndim > 4:
        raise ValueError(
            f"ImageNormalizer got a {X.ndim}-D array of shape {X.shape}. Expected a stack "
            "of images (n, H, W) or (n, H, W, C)."
        )
    return X


class _RunningMoments:
    """Per-channel mean and variance merged image by image (Chan et al.)."""

    def __init__(self, channels):
        self.count = 0
        self.mean = np.zeros(channels, dtype=np.float64)
        self.m2 = np.zeros(channels, dtype=np.float64)

    def update(self, image):
        n_new = image.shape[0] * image.shape[1]
        mean_new = image.mean(axis=(0, 1), dtype=np.float64)
        m2_new = np.square(image - mean_new).sum(axis=(0, 1))
        total = self.count + n_new
        delta = mean_new - self.mean
        self.mean = self.mean + delta * (n_new / total)
        self.m2 = self.m2 + m2_new + np.square(delta) * (self.count * n_new / total)
        self.count = total

    def finish(self):
        std = np.sqrt(self.m2 / self.count)
        return self.mean.copy(), np.maximum(std, _STD_FLOOR)


class ImageNormalizer(TransformerMixin, BaseEstimator):
    """Decode a column of images into a float32 tensor of shape (n, H, W, channels).

    Every image is decoded with Pillow, turned upright from its EXIF orientation,
    composited over ``background`` where it has transparency, converted to
    ``channels`` (1: luminance, 3: RGB), resized to ``size`` under the ``resize``
    aspect policy and scaled to ``[0, 1]``. With ``standardize=True`` each
    channel is then centred and scaled with the mean and standard deviation
    learned in ``fit``.

    Parameters
    ----------
    size : tuple of (int, int), default=(64, 64)
        Output ``(height, width)`` in pixels.

    channels : {1, 3}, default=3
        Output channels: 1 for luminance (ITU-R 601-2 weights, as Pillow's
        ``"L"`` mode), 3 for RGB (grayscale images are replicated).

    resize : {"stretch", "pad", "crop"}, default="stretch"
        Aspect-ratio policy.

        - ``"stretch"``: resize to ``size``, ignoring the aspect ratio.
        - ``"pad"``: keep the aspect ratio, fit the whole image inside ``size``
          and fill the two bands left over with ``background``.
        - ``"crop"``: keep the aspect ratio, scale the image to cover ``size``
          and keep the centred region (the excess is cut off).

    background : tuple of 3 int, default=(255, 255, 255)
        RGB colour (0-255) that transparent pixels are composited over and that
        ``resize="pad"`` fills with. White by default. With ``channels=1`` its
        luminance is used.

    standardize : bool, default=False
        If True, ``fit`` learns the per-channel mean and standard deviation of
        the training images (after scaling to ``[0, 1]``, over all pixels of all
        images) and ``transform`` subtracts the mean and divides by the standard
        deviation (floored at 1e-6).

    max_pixels : int or None, default=40_000_000
        Largest accepted ``width * height``. A larger image is refused with an
        error before its pixels are decoded (the size is read from the header).
        None removes this limit; Pillow's own decompression-bomb guard
        (``PIL.Image.MAX_IMAGE_PIXELS``) still applies to files and bytes.

    resample : {"nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"}, \
default="bilinear"
        Pillow resampling filter used for resizing.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: the input is one column of images.

    feature_names_in_ : ndarray of shape (1,)
        Name of the image column. Defined only when ``X`` in ``fit`` is a
        one-column DataFrame whose column name is a string.

    mean_ : ndarray of shape (channels,)
        Per-channel mean of the training images in ``[0, 1]`` units. Only with
        ``standardize=True``.

    std_ : ndarray of shape (channels,)
        Per-channel standard deviation (floored at 1e-6). Only with
        ``standardize=True``.

    See Also
    --------
    skmm.preprocessing.TextTokenizer : The matching transformer for text columns.

    Notes
    -----
    **Input.** ``X`` is one column of images: a pandas Series, a one-column
    DataFrame, a list or tuple, a 1-D object array, or a numeric array stacking
    images as ``(n, H, W)`` or ``(n, H, W, C)``. A 2-D numeric array is refused
    as ambiguous, and so is a 3-D numeric array whose last axis has length 1, 3
    or 4 (it looks like one ``(H, W, C)`` image). Each cell may be:

    - a file path (``str`` or ``pathlib.Path``);
    - ``bytes`` holding an encoded image file (PNG, JPEG, ...), never a path;
    - a ``PIL.Image.Image`` (for an animated image, its first frame);
    - a NumPy array ``(H, W)`` or ``(H, W, C)`` with C in 1, 3, 4 (RGBA is
      composited over ``background``). ``uint8`` is divided by 255, ``uint16``
      by 65535, ``bool`` gives 0 and 1, and floats must already lie in
      ``[0, 1]`` (other values raise an error).

    **Missing images are an error**: a None, NaN or ``pd.NA`` cell raises a
    ``ValueError`` naming the row. Nothing is dropped silently.

    **Modes.** Every Pillow mode is handled: ``"1"``, ``"L"``, ``"P"`` (with or
    without transparency), ``"LA"``, ``"RGB"``, ``"RGBA"``, ``"CMYK"``,
    ``"YCbCr"``, ``"LAB"``, ``"HSV"``, 16-bit ``"I;16*"`` (divided by 65535),
    32-bit ``"I"`` (divided by 65535 when all values fit in 16 bits, else by
    2**31 - 1; negative values raise) and ``"F"`` (must lie in ``[0, 1]``).
    Pillow reads 16-bit-per-channel colour files (e.g. 48-bit PNG) at 8-bit
    precision. Colours are not colour-managed (embedded ICC profiles are
    ignored).

    **Safety.** Files and bytes are decoded by Pillow only. A path is checked
    with ``os.stat`` before it is opened: directories, FIFOs, devices and empty
    files are refused. Images larger than ``max_pixels``, images refused by
    Pillow's decompression-bomb guard, unreadable, corrupt or truncated files
    (including a PNG cut before its ``IEND`` chunk) raise a ``ValueError`` that
    names the column, the row (position and index label) and the path. PostScript
    / EPS files are refused, since Pillow decodes them with Ghostscript.
    ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` is left as it is; if the calling
    program sets it to True, Pillow pads truncated non-PNG images instead of
    failing.

    ``fit`` checks the parameters and that every cell is of a supported kind;
    it decodes the images only when ``standardize=True``, one at a time.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import ImageNormalizer
    >>> rng = np.random.default_rng(0)
    >>> images = [
    ...     rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8),  # RGB
    ...     rng.integers(0, 256, size=(50, 20), dtype=np.uint8),  # grayscale
    ... ]
    >>> normalizer = ImageNormalizer(size=(16, 16), resize="pad")
    >>> X = normalizer.fit_transform(images)
    >>> X.shape, X.dtype
    ((2, 16, 16, 3), dtype('float32'))
    >>> bool(X.min() >= 0.0 and X.max() <= 1.0)
    True
    >>> normalizer.get_block_info()
    {'kind': 'image', 'size': (16, 16), 'channels': 3}

    With ``standardize=True`` each channel of the training images ends up with
    mean about 0 and standard deviation about 1:

    >>> scaler = ImageNormalizer(size=(16, 16), channels=1, standardize=True)
    >>> Z = scaler.fit_transform(images)
    >>> scaler.mean_.shape
    (1,)
    >>> bool(np.isclose(Z.mean(), 0.0, atol=1e-4)), bool(np.isclose(Z.std(), 1.0, atol=1e-4))
    (True, True)
    """

    def __init__(
        self,
        *,
        size=(64, 64),
        channels=3,
        resize="stretch",
        background=(255, 255, 255),
        standardize=False,
        max_pixels=40_000_000,
        resample="bilinear",
    ):
        self.size = size
        self.channels = channels
        self.resize = resize
        self.background = background
        self.standardize = standardize
        self.max_pixels = max_pixels
        self.resample = resample

    # ------------------------------------------------------------------ #
    # Validation
    # ------------------------------------------------------------------ #

    def _decode_spec(self):
        """Validate the parameters and return them as a :class:`DecodeSpec`."""
        size = self.size
        if (
            isinstance(size, (str, bytes))
            or not hasattr(size, "__len__")
            or len(size) != 2
            or not all(is_int(v) and v >= 1 for v in size)
        ):
            raise ValueError(
                f"ImageNormalizer: size must be a (height, width) pair of positive integers; "
                f"got {size!r}."
            )
        if not is_int(self.channels) or self.channels not in (1, 3):
            raise ValueError(
                f"ImageNormalizer: channels must be 1 (grayscale) or 3 (RGB); got "
                f"{self.channels!r}."
            )
        if not isinstance(self.resize, str) or self.resize not in _POLICIES:
            raise ValueError(
                f"ImageNormalizer: resize must be one of {_POLICIES}; got {self.resize!r}."
            )
        background = self.background
        if (
            isinstance(background, (str, bytes))
            or not hasattr(background, "__len__")
            or len(background) != 3
            or not all(is_int(v) and 0 <= v <= 255 for v in background)
        ):
            raise ValueError(
                "ImageNormalizer: background must be an RGB triple of integers in 0-255, "
                f"e.g. (255, 255, 255); got {background!r}."
            )
        if not isinstance(self.standardize, (bool, np.bool_)):
            raise ValueError(
                f"ImageNormalizer: standardize must be True or False; got {self.standardize!r}."
            )
        max_pixels = self.max_pixels
        if max_pixels is not None and not (is_int(max_pixels) and max_pixels >= 1):
            raise ValueError(
                "ImageNormalizer: max_pixels must be a positive integer or None; got "
                f"{max_pixels!r}."
            )
        if not isinstance(self.resample, str) or self.resample not in RESAMPLE:
            raise ValueError(
                f"ImageNormalizer: resample must be one of {tuple(RESAMPLE)}; got "
                f"{self.resample!r}."
            )
        return DecodeSpec(
            height=int(size[0]),
            width=int(size[1]),
            channels=int(self.channels),
            policy=self.resize,
            background=tuple(int(v) for v in background),
            max_pixels=None if max_pixels is None else int(max_pixels),
            resample=RESAMPLE[self.resample],
        )

    def _column(self, X, *, reset):
        """Read ``X`` as a column, (re)setting or checking the input attributes."""
        column = _as_column(X)
        if len(column) == 0:
            raise ValueError("ImageNormalizer: got 0 images. Expected at least one row.")
        if reset:
            self.n_features_in_ = 1
            if column.feature_names is not None:
                self.feature_names_in_ = column.feature_names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            fitted = getattr(self, "feature_names_in_", None)
            if (
                fitted is not None
                and isinstance(X, pd.DataFrame)
                and (column.feature_names is None or column.feature_names[0] != fitted[0])
            ):
                raise ValueError(
                    f"ImageNormalizer was fitted on column {fitted[0]!r}, but transform got a "
                    f"DataFrame with column {format_label(column.name)}. Pass the same column "
                    "as in fit."
                )
        return column

    def _check_standardization(self, spec):
        if not self.standardize:
            return None
        if not hasattr(self, "mean_") or self.mean_.shape != (spec.channels,):
            raise ValueError(
                "ImageNormalizer: standardize or channels changed since fit; call fit again."
            )
        return self.mean_.astype(np.float32), self.std_.astype(np.float32)

    # ------------------------------------------------------------------ #
    # Fitting and transforming
    # ------------------------------------------------------------------ #

    def _reset(self):
        for attribute in ("mean_", "std_"):
            if hasattr(self, attribute):
                delattr(self, attribute)

    def fit(self, X, y=None):
        """Check the parameters and the input; learn per-channel statistics if asked.

        Parameters
        ----------
        X : column of images
            A pandas Series, a one-column DataFrame, a list or tuple, a 1-D object
            array, or a numeric stack ``(n, H, W)`` / ``(n, H, W, C)``. See the
            class Notes for the accepted cells.

        y : None
            Ignored.

        Returns
        -------
        self : ImageNormalizer
            The fitted transformer.
        """
        spec = self._decode_spec()
        column = self._column(X, reset=True)
        self._reset()
        if not self.standardize:
            for position, cell in enumerate(column.cells):
                check_cell(cell, column.where(position))
            return self
        moments = _RunningMoments(spec.channels)
        buffer = np.empty((spec.height, spec.width, spec.channels), dtype=np.float32)
        for position, cell in enumerate(column.cells):
            decode_into(cell, spec, buffer, column.where(position))
            moments.update(buffer)
        self.mean_, self.std_ = moments.finish()
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return it transformed, decoding each image once.

        Parameters
        ----------
        X : column of images
            See :meth:`fit`.

        y : None
            Ignored.

        Returns
        -------
        X_out : ndarray of shape (n_samples, height, width, channels), dtype float32
            The decoded images.
        """
        spec = self._decode_spec()
        column = self._column(X, reset=True)
        self._reset()
        out = self._allocate(len(column), spec)
        moments = _RunningMoments(spec.channels) if self.standardize else None
        for position, cell in enumerate(column.cells):
            decode_into(cell, spec, out[position], column.where(position))
            if moments is not None:
                moments.update(out[position])
        if moments is not None:
            self.mean_, self.std_ = moments.finish()
            self._standardize(out, self._check_standardization(spec))
        return out

    def transform(self, X):
        """Decode, resize and scale every image.

        Parameters
        ----------
        X : column of images
            See :meth:`fit`.

        Returns
        -------
        X_out : ndarray of shape (n_samples, height, width, channels), dtype float32
            Images in ``[0, 1]``, or standardized per channel when
            ``standardize=True``.
        """
        check_is_fitted(self)
        spec = self._decode_spec()
        stats = self._check_standardization(spec)
        column = self._column(X, reset=False)
        out = self._allocate(len(column), spec)
        for position, cell in enumerate(column.cells):
            decode_into(cell, spec, out[position], column.where(position))
        if stats is not None:
            self._standardize(out, stats)
        return out

    @staticmethod
    def _allocate(n_images, spec):
        return np.empty((n_images, spec.height, spec.width, spec.channels), dtype=np.float32)

    @staticmethod
    def _standardize(out, stats):
        mean, std = stats
        out -= mean
        out /= std

    def get_block_info(self):
        """Describe the encoded block for building the network input.

        Returns
        -------
        info : dict
            ``{"kind": "image", "size": (height, width), "channels": channels}``.
        """
        check_is_fitted(self)
        return {
            "kind": "image",
            "size": tuple(int(v) for v in self.size),
            "channels": int(self.channels),
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # One column of images: paths (strings), bytes, PIL images or arrays; a numeric
        # (n, H, W) stack is accepted too.
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        # The output is always float32.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
