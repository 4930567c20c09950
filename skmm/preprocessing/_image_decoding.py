"""Safe decoding of one image cell into a fixed-size float32 array.

This module is the decoding half of
[`skmm.preprocessing.ImageNormalizer`][skmm.preprocessing.ImageNormalizer].
Pillow is the only decoder. Every failure is raised as a ``ValueError`` (bad
content) or ``TypeError`` (wrong kind of cell) whose message starts with the
location of the cell (``where``) and, for files, names the path.

Safety rules applied to file paths and encoded bytes:

* a path is ``os.stat``-ed first; anything that is not a regular file
  (directory, FIFO, character or block device, socket) is refused without
  being opened, and so is an empty file;
* the file is opened with ``O_NONBLOCK`` where the platform has it and checked
  again with ``os.fstat``, so a path swapped for a FIFO after the first check
  cannot block the process (both checks are done by
  `open_regular_file`, shared with the audio
  transformer);
* the header is read first (``Image.open`` decodes no pixels) and an image whose
  ``width * height`` exceeds ``max_pixels`` is refused before any pixel is
  decoded;
* Pillow's decompression-bomb guard stays on, and its warning is turned into an
  error locally (never globally): the warning filter is changed only inside a
  module lock held around the Pillow calls that can emit it (``Image.open``,
  which reads only the header, and the loading of formats whose size is known
  only once loaded), so several threads may decode at once;
* pixels are decoded inside ``try`` (``ImageFile.LOAD_TRUNCATED_IMAGES`` is not
  changed), and a PNG must end with a complete ``IEND`` chunk, because Pillow
  decodes a PNG cut after its last pixel data without complaint;
* Encapsulated PostScript is refused, because Pillow decodes it by running
  Ghostscript.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._files import open_regular_file
from ._messages import describe_value, is_blank, is_na

__all__ = ["RESAMPLE", "DecodeSpec", "check_cell", "check_pixels", "decode_into"]

#: Names accepted by ``ImageNormalizer(resample=...)``.
RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}

# Formats that are never opened from a path or from bytes.
_REFUSED_FORMATS = frozenset({"EPS"})
_EPS_MAGIC = (b"%!PS", b"\xc5\xd0\xd3\xc6")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION = 0x0112
# ITU-R 601-2 luma weights, the ones Pillow uses for RGB -> "L".
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_UINT16_MAX = np.float32(65535.0)
_INT32_MAX = 2**31 - 1
# Formats whose pixel size is fixed by the header: loading them never meets Pillow's
# decompression-bomb check again, so they are loaded outside the guard lock.
_HEADER_SIZED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "TIFF", "BMP", "PPM"})
_EXPECTED_CELL = (
    "Expected a file path (str or pathlib.Path), encoded image bytes, a PIL.Image.Image, "
    "or a NumPy array of shape (H, W) or (H, W, C) with C in 1, 3, 4"
)

# Serialises the code that changes the warning filters (see _pillow).
_BOMB_GUARD_LOCK = threading.RLock()


def _renew_lock_after_fork():
    # A thread of the parent may have held the lock when the process forked; that
    # thread does not exist in the child, so the child starts with a free lock.
    global _BOMB_GUARD_LOCK
    _BOMB_GUARD_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_lock_after_fork)


@dataclass(frozen=True)
class DecodeSpec:
    """Validated decoding parameters shared by every cell of one call."""

    height: int
    width: int
    channels: int
    policy: str
    background: tuple[int, int, int]
    max_pixels: int | None
    resample: Image.Resampling


# --------------------------------------------------------------------------- #
# Cell classification
# --------------------------------------------------------------------------- #


def check_cell(cell, where):
    """Return the kind of ``cell``: ``"path"``, ``"bytes"``, ``"pil"`` or ``"array"``.

    Raises
    ------
    ValueError
        If the cell is missing (None / NaN / ``pd.NA`` / an empty or
        whitespace-only string).
    TypeError
        If the cell is of no supported kind.
    """
    if is_blank(cell):
        raise ValueError(
            f"{where} holds an empty path ({describe_value(cell)}), which stands for a missing "
            "image. Missing images are an error with missing='error': drop or fill these "
            "rows, or use missing='zeros' (the default) to make them all-zeros images that "
            "MultimodalInput marks absent."
        )
    if isinstance(cell, (str, os.PathLike)):
        return "path"
    if isinstance(cell, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(cell, Image.Image):
        return "pil"
    if isinstance(cell, np.ndarray) and cell.ndim >= 2:
        return "array"
    if is_na(cell):
        raise ValueError(
            f"{where} is missing ({describe_value(cell)}). Missing images are an error with "
            "missing='error': drop or fill these rows, or use missing='zeros' (the default) "
            "to make them all-zeros images that MultimodalInput marks absent."
        )
    raise TypeError(
        f"{where} holds a value of type {type(cell).__name__} ({describe_value(cell)}). "
        f"{_EXPECTED_CELL}."
    )


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def decode_into(cell, spec, out, where):
    """Decode one cell and write it, scaled to [0, 1], into ``out``.

    Parameters
    ----------
    cell : object
        One image cell (see `check_cell`).
    spec : DecodeSpec
        Target geometry and policies.
    out : ndarray of shape (spec.height, spec.width, spec.channels), dtype float32
        Destination, fully overwritten.
    where : str
        Location of the cell, used as the start of every error message.
    """
    kind = check_cell(cell, where)
    if kind == "path":
        _decode_path(cell, spec, out, where)
    elif kind == "bytes":
        data = bytes(cell)
        if not data:
            raise ValueError(
                f"{where} holds empty bytes (0 bytes). Expected the encoded contents of an "
                "image file (PNG, JPEG, ...)."
            )
        source = f"the encoded image bytes ({len(data)} bytes)"
        _decode_stream(io.BytesIO(data), spec, out, where, source, from_bytes=True)
    elif kind == "pil":
        _decode_pil_object(cell, spec, out, where)
    else:
        _decode_array(cell, spec, out, where)


# --------------------------------------------------------------------------- #
# Files and encoded bytes
# --------------------------------------------------------------------------- #


def _decode_path(cell, spec, out, where):
    path = os.fspath(cell)
    with open_regular_file(
        path,
        where,
        "image",
        expected="an encoded image",
        directory_hint="Expected an image file.",
    ) as fh:
        _decode_stream(fh, spec, out, where, f"image file {path!r}", from_bytes=False)


def _allowed_formats():
    Image.init()
    return [name for name in Image.OPEN if name not in _REFUSED_FORMATS]


def _pillow(action, where, source, failure, *, bomb_guard=False):
    """Run a Pillow call, turning its exceptions into a ValueError that names the cell.

    ``failure`` describes what went wrong for ordinary decoding errors. With
    ``bomb_guard=True`` Pillow's ``DecompressionBombWarning`` is raised as an
    error. The warning filters are process-wide, so that is done under a lock:
    only the calls that can emit the warning pass ``bomb_guard=True``.
    """
    if not bomb_guard:
        return _pillow_call(action, where, source, failure)
    with _BOMB_GUARD_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return _pillow_call(action, where, source, failure)


def _pillow_call(action, where, source, failure):
    try:
        return action()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(
            f"{where}: {source} was refused by Pillow's decompression-bomb guard "
            f"({str(exc).rstrip('.')}). "
            f"Expected an image of at most PIL.Image.MAX_IMAGE_PIXELS="
            f"{Image.MAX_IMAGE_PIXELS} pixels."
        ) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise ValueError(
            f"{where}: {source} {failure} ({type(exc).__name__}: {str(exc).rstrip('.')})."
        ) from exc


def _png_is_complete(fh):
    """Whether the PNG in ``fh`` has a complete chunk sequence up to ``IEND``.

    Walks the chunk headers only (each chunk is length, type, data, CRC); any
    bytes after ``IEND`` are ignored.
    """
    end = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    if fh.read(8) != _PNG_SIGNATURE:
        return False
    pos = 8
    while pos + 12 <= end:
        fh.seek(pos)
        header = fh.read(8)
        length = int.from_bytes(header[:4], "big")
        pos += 12 + length
        if pos > end:
            return False
        if header[4:8] == b"IEND":
            return True
    return False


def _draft_jpeg(img, spec):
    """Let libjpeg decode a large JPEG at 1/2, 1/4 or 1/8 scale, never below the target.

    Pillow's ``draft`` picks the largest reduction that keeps both sides at
    least as large as requested, so every resize policy still only downscales.
    """
    if img.format != "JPEG":
        return
    width, height = spec.width, spec.height
    if img.getexif().get(_EXIF_ORIENTATION, 1) in (5, 6, 7, 8):
        width, height = height, width  # the stored image is rotated by a quarter turn
    if img.width >= 2 * width and img.height >= 2 * height:
        img.draft(img.mode, (width, height))


def _decode_stream(fh, spec, out, where, source, *, from_bytes):
    head = fh.read(4)
    fh.seek(0)
    if head.startswith(_EPS_MAGIC):
        raise ValueError(
            f"{where}: {source} is PostScript/EPS, which is refused: Pillow decodes it by "
            "running Ghostscript. Expected a raster image (PNG, JPEG, ...)."
        )
    hint = (
        " Bytes cells are read as encoded image contents, not as a file path." if from_bytes else ""
    )
    try:
        img = _pillow(
            lambda: Image.open(fh, formats=_allowed_formats()),
            where,
            source,
            "could not be opened as an image",
            bomb_guard=True,
        )
    except ValueError as exc:
        if isinstance(exc.__cause__, UnidentifiedImageError):
            raise ValueError(
                f"{where}: {source} is not a recognised image: Pillow could not identify "
                f"its format. Expected PNG, JPEG, GIF, BMP, TIFF, WebP or another format "
                f"Pillow reads.{hint}"
            ) from exc.__cause__
        raise
    check_pixels(img.size, spec, where, source)
    _pillow(lambda: _draft_jpeg(img, spec), where, source, "could not be decoded")
    guard = img.format not in _HEADER_SIZED_FORMATS
    _pillow(img.load, where, source, "is corrupt or truncated", bomb_guard=guard)
    if img.format == "PNG" and not _png_is_complete(fh):
        raise ValueError(
            f"{where}: {source} is truncated: the PNG data ends before its final IEND "
            "chunk. Expected a complete PNG file."
        )
    _render_pil(img, spec, out, where, source)


def _decode_pil_object(img, spec, out, where):
    source = f"the PIL image (mode {img.mode!r})"
    check_pixels(img.size, spec, where, source)

    def first_frame():
        frame = img.tell()
        if frame == 0:
            img.load()
            return img
        img.seek(0)  # animated image: use the first frame, leave the caller's frame as is
        try:
            return img.copy()
        finally:
            img.seek(frame)

    img = _pillow(first_frame, where, source, "could not be loaded", bomb_guard=True)
    _render_pil(img, spec, out, where, source)


def check_pixels(size, spec, where, source):
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(
            f"{where}: {source} is empty ({width} x {height} pixels). Expected an image with "
            "at least one pixel."
        )
    if spec.max_pixels is not None and width * height > spec.max_pixels:
        raise ValueError(
            f"{where}: {source} is too large: {width} x {height} = {width * height} pixels "
            f"exceeds max_pixels={spec.max_pixels}. Expected at most max_pixels pixels; "
            "raise max_pixels if the image is trusted."
        )


# --------------------------------------------------------------------------- #
# Mode handling
# --------------------------------------------------------------------------- #


def _is_high_depth(mode):
    return mode.startswith("I;16") or mode in ("I", "F")


def _render_pil(img, spec, out, where, source):
    img = _pillow(lambda: ImageOps.exif_transpose(img), where, source, "has unreadable EXIF data")
    if _is_high_depth(img.mode):
        unit = _high_depth_to_unit(img, where, source)
        _render_float(unit[..., None], spec, out)
        return
    img8 = _pillow(
        lambda: _to_8bit(img, spec), where, source, f"could not be converted from mode {img.mode!r}"
    )
    _render_8bit(img8, spec, out)


def _to_8bit(img, spec):
    """Composite any transparency over the background and convert to "L" or "RGB"."""
    mode = img.mode
    if mode == "La":  # premultiplied alpha
        img, mode = img.convert("LA"), "LA"
    has_alpha = mode in ("RGBA", "RGBa", "LA", "PA") or (
        img.info.get("transparency") is not None and mode in ("1", "L", "P", "RGB")
    )
    if has_alpha:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*spec.background, 255))
        img = Image.alpha_composite(background, rgba).convert("RGB")
    elif mode == "1":
        img = img.convert("L")
    elif mode not in ("L", "RGB"):
        img = img.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, RGBX
    target = "L" if spec.channels == 1 else "RGB"
    return img if img.mode == target else img.convert(target)


def _high_depth_to_unit(img, where, source):
    """Scale a 16-bit, 32-bit integer or float grayscale image to [0, 1] float32."""
    arr = np.asarray(img)
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 2:
        return arr.astype(np.float32) / _UINT16_MAX
    if arr.dtype.kind == "i":
        low, high = int(arr.min()), int(arr.max())
        if low < 0:
            raise ValueError(
                f"{where}: {source} holds negative integer pixel values (min {low}). Expected "
                "non-negative intensities."
            )
        # 16-bit data stored in a 32-bit container is the common case.
        scale = 65535 if high <= 65535 else _INT32_MAX
        return (arr.astype(np.float64) / scale).astype(np.float32)
    if arr.dtype.kind == "f":
        _check_unit_range(arr, where, source)
        return arr.astype(np.float32)
    raise ValueError(
        f"{where}: {source} has unsupported pixel type {arr.dtype} (mode {img.mode!r})."
    )


def _check_unit_range(arr, where, source):
    low, high = float(np.min(arr)), float(np.max(arr))
    if not (np.isfinite(low) and np.isfinite(high) and low >= 0.0 and high <= 1.0):
        raise ValueError(
            f"{where}: {source} has float pixel values outside [0, 1] (min {low:g}, max "
            f"{high:g}). Expected floats in [0, 1] without NaN or infinity; divide 0-255 "
            "data by 255 first."
        )


# --------------------------------------------------------------------------- #
# Arrays
# --------------------------------------------------------------------------- #


def _decode_array(arr, spec, out, where):
    shape_ok = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3, 4))
    if not shape_ok:
        raise ValueError(
            f"{where} holds an array of shape {arr.shape}. Expected an image array of shape "
            "(H, W) or (H, W, C) with C in 1, 3, 4."
        )
    source = f"the image array of shape {arr.shape}"
    height, width = arr.shape[:2]
    check_pixels((width, height), spec, where, source)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    dtype = arr.dtype
    if dtype == np.uint8:
        img = Image.fromarray(np.ascontiguousarray(arr))  # "L", "RGB" or "RGBA"
        _render_8bit(_to_8bit(img, spec), spec, out)
        return
    if dtype == np.uint16:
        unit = arr.astype(np.float32) / _UINT16_MAX
    elif dtype == np.bool_:
        unit = arr.astype(np.float32)
    elif dtype.kind == "f":
        _check_unit_range(arr, where, source)
        unit = arr.astype(np.float32)
    else:
        raise TypeError(
            f"{where} holds an image array of dtype {dtype}. Expected uint8 (0-255), "
            "uint16 (0-65535), bool, or float with values in [0, 1]."
        )
    _render_float(unit if unit.ndim == 3 else unit[..., None], spec, out)


# --------------------------------------------------------------------------- #
# Geometry and output
# --------------------------------------------------------------------------- #


def _fit_geometry(img, spec, fill):
    """Resize ``img`` to the target size under the aspect policy."""
    out_w, out_h = spec.width, spec.height
    w, h = img.size
    if spec.policy == "stretch":
        if (w, h) == (out_w, out_h):
            return img
        return img.resize((out_w, out_h), spec.resample)
    wider_target = out_w * h >= out_h * w  # target aspect ratio >= source aspect ratio
    if spec.policy == "crop":
        # Cut the largest centred region with the target aspect ratio (rounded to whole
        # pixels), then resize it: nothing outside the region leaks in through the filter.
        if wider_target:
            box_w, box_h = w, min(h, max(1, round(out_h * w / out_w)))
        else:
            box_w, box_h = min(w, max(1, round(out_w * h / out_h))), h
        left, top = (w - box_w) // 2, (h - box_h) // 2
        region = img.crop((left, top, left + box_w, top + box_h))
        if (box_w, box_h) == (out_w, out_h):
            return region
        return region.resize((out_w, out_h), spec.resample)
    # "pad": fit the whole image inside the target, then centre it on the background.
    if wider_target:
        new_h, new_w = out_h, min(out_w, max(1, round(w * out_h / h)))
    else:
        new_w, new_h = out_w, min(out_h, max(1, round(h * out_w / w)))
    inner = img if (new_w, new_h) == (w, h) else img.resize((new_w, new_h), spec.resample)
    if (new_w, new_h) == (out_w, out_h):
        return inner
    canvas = Image.new(img.mode, (out_w, out_h), fill)
    canvas.paste(inner, ((out_w - new_w) // 2, (out_h - new_h) // 2))
    return canvas


def _luma8(rgb):
    return Image.new("RGB", (1, 1), tuple(rgb)).convert("L").getpixel((0, 0))


def _render_8bit(img, spec, out):
    """Write an 8-bit "L" or "RGB" image into ``out`` after the geometry step."""
    fill = spec.background if img.mode == "RGB" else _luma8(spec.background)
    arr = np.asarray(_fit_geometry(img, spec, fill))
    if arr.ndim == 2:
        arr = arr[..., None]
    np.divide(arr, np.float32(255.0), out=out)


def _luma(rgb):
    """The ITU-R 601-2 luma of ``(..., 3)`` float32 values, added in channel order.

    Element-wise products and sums give the same bits for the same pixels
    whatever the array's layout and alignment; a matrix-vector product would
    go through BLAS or NumPy's own loop depending on them, and round differently.
    """
    luma = rgb[..., 0] * _LUMA[0]
    luma += rgb[..., 1] * _LUMA[1]
    luma += rgb[..., 2] * _LUMA[2]
    return luma


def _render_float(unit, spec, out):
    """Write an (h, w, c) float32 image in [0, 1] (c in 1, 3, 4) into ``out``."""
    background = np.asarray(spec.background, dtype=np.float32) / np.float32(255.0)
    if unit.shape[2] == 4:
        alpha = unit[..., 3:]
        unit = unit[..., :3] * alpha + background * (np.float32(1.0) - alpha)
    if spec.channels == 1:
        if unit.shape[2] == 3:
            unit = _luma(unit)[..., None]
        fills = [float(_luma(background))]
    else:
        fills = [float(v) for v in background]
    for k, fill in enumerate(fills):
        band = np.ascontiguousarray(unit[..., k if unit.shape[2] > 1 else 0], dtype=np.float32)
        resized = _fit_geometry(Image.fromarray(band), spec, fill)
        out[..., k] = np.asarray(resized)
    # Bicubic and Lanczos can overshoot slightly.
    np.clip(out, 0.0, 1.0, out=out)
