"""Tests for skmm.preprocessing.ImageNormalizer."""

import io
import os
import pickle
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_repr,
    check_estimators_unfitted,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from skmm.preprocessing._image import ImageNormalizer

RNG = np.random.default_rng(0)
RGB8 = RNG.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
GRAY8 = RNG.integers(0, 256, size=(8, 8), dtype=np.uint8)


def _save(img, path, fmt=None, **kwargs):
    img.save(path, fmt, **kwargs)
    return path


def _encode(img, fmt="PNG", **kwargs):
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _one(cell, **params):
    """Transform a single cell and return the (H, W, C) result."""
    return ImageNormalizer(**{"standardize": False, **params}).fit_transform([cell])[0]


def _raises_at(cell, match_parts, exc=ValueError, **params):
    """Put ``cell`` at row 1 of a named Series and check the message names it."""
    X = pd.Series([RGB8, cell, RGB8], index=["a", "b", "c"], name="photo")
    with pytest.raises(exc) as info:
        ImageNormalizer(size=(8, 8), **params).fit_transform(X)
    message = str(info.value)
    for part in ("column 'photo'", "row 1", "index label 'b'", *match_parts):
        assert part in message, f"{part!r} not in {message!r}"
    return message


@pytest.fixture
def rgb_png(tmp_path):
    return _save(Image.fromarray(RGB8), tmp_path / "rgb.png")


# --------------------------------------------------------------------------- #
# Input kinds
# --------------------------------------------------------------------------- #


def test_path_str_and_pathlib(rgb_png):
    expected = RGB8.astype(np.float32) / 255
    out = ImageNormalizer(standardize=False, size=(8, 8)).fit_transform(
        [str(rgb_png), Path(rgb_png)]
    )
    assert out.shape == (2, 8, 8, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], expected)
    np.testing.assert_array_equal(out[1], expected)


def test_bytes_pil_and_uint8_arrays():
    expected = RGB8.astype(np.float32) / 255
    png = _encode(Image.fromarray(RGB8))
    for cell in (png, bytearray(png), Image.fromarray(RGB8), RGB8):
        np.testing.assert_array_equal(_one(cell, size=(8, 8)), expected)


def test_gray_arrays_are_replicated_or_kept():
    expected = GRAY8.astype(np.float32) / 255
    for cell in (GRAY8, GRAY8[..., None]):
        out = _one(cell, size=(8, 8))
        assert out.shape == (8, 8, 3)
        for k in range(3):
            np.testing.assert_array_equal(out[..., k], expected)
        np.testing.assert_array_equal(_one(cell, size=(8, 8), channels=1)[..., 0], expected)


def test_numeric_array_dtypes():
    u16 = np.array([[0, 65535], [32768, 13107]], dtype=np.uint16)
    np.testing.assert_allclose(_one(u16, size=(2, 2), channels=1)[..., 0], u16 / 65535, atol=1e-7)
    boolean = np.array([[True, False], [False, True]])
    np.testing.assert_array_equal(_one(boolean, size=(2, 2), channels=1)[..., 0], boolean)
    floats = np.array([[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_allclose(_one(floats, size=(2, 2))[..., 2], floats, atol=1e-7)


def test_stacks_of_images():
    stack4 = RNG.integers(0, 256, size=(3, 8, 8, 3), dtype=np.uint8)
    out = ImageNormalizer(standardize=False, size=(8, 8)).fit_transform(stack4)
    np.testing.assert_array_equal(out, stack4.astype(np.float32) / 255)
    stack3 = RNG.random((2, 6, 7))
    out = ImageNormalizer(standardize=False, size=(6, 7), channels=1).fit_transform(stack3)
    np.testing.assert_allclose(out[..., 0], stack3, atol=1e-7)


def test_containers(rgb_png):
    expected = RGB8.astype(np.float32) / 255
    cells = [str(rgb_png), RGB8]
    object_array = np.empty(2, dtype=object)
    object_array[:] = cells
    containers = [
        cells,
        tuple(cells),
        object_array,
        object_array[:, None],
        pd.Series(cells, name="img"),
        pd.DataFrame({"img": cells}),
        np.array([str(rgb_png), str(rgb_png)]),
    ]
    for X in containers:
        out = ImageNormalizer(standardize=False, size=(8, 8)).fit_transform(X)
        assert out.shape == (2, 8, 8, 3)
        np.testing.assert_array_equal(out[1], expected)


def test_dataframe_feature_names():
    X = pd.DataFrame({"img": [RGB8]})
    est = ImageNormalizer(standardize=False, size=(8, 8)).fit(X)
    assert est.n_features_in_ == 1
    assert list(est.feature_names_in_) == ["img"]
    est.transform(X)
    est.transform(X["img"])  # a Series of the same column is fine
    with pytest.raises(ValueError, match="fitted on column 'img'.*column 'other'"):
        est.transform(pd.DataFrame({"other": [RGB8]}))
    est.fit([RGB8])
    assert not hasattr(est, "feature_names_in_")


# --------------------------------------------------------------------------- #
# Modes and formats
# --------------------------------------------------------------------------- #


def test_grayscale_and_bilevel_files(tmp_path):
    gray = _save(Image.fromarray(GRAY8), tmp_path / "g.png")
    expected = GRAY8.astype(np.float32) / 255
    np.testing.assert_array_equal(_one(gray, size=(8, 8), channels=1)[..., 0], expected)
    bits = np.array([[True, False], [False, True]])
    bilevel = _save(Image.fromarray(bits), tmp_path / "b.png")
    assert Image.open(bilevel).mode == "1"
    np.testing.assert_array_equal(_one(bilevel, size=(2, 2))[..., 0], bits)


def test_palette_with_and_without_transparency(tmp_path):
    palette = [255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6)
    img = Image.new("P", (2, 1))
    img.putpalette(palette)
    img.putpixel((1, 0), 1)  # pixel 0 red (index 0), pixel 1 blue (index 1)
    plain = _save(img, tmp_path / "p.png")
    out = _one(plain, size=(1, 2))
    np.testing.assert_array_equal(out[0], [[1, 0, 0], [0, 0, 1]])
    transparent = _save(img, tmp_path / "t.gif", transparency=0)
    assert Image.open(transparent).mode == "P"
    out = _one(transparent, size=(1, 2))
    np.testing.assert_array_equal(out[0], [[1, 1, 1], [0, 0, 1]])  # index 0 -> white


def test_rgba_and_la_are_composited(tmp_path):
    rgba = np.zeros((1, 3, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)  # opaque red
    rgba[0, 1] = (0, 0, 0, 0)  # fully transparent
    rgba[0, 2] = (0, 0, 0, 128)  # half-transparent black
    path = _save(Image.fromarray(rgba), tmp_path / "rgba.png")
    for cell in (path, rgba):
        out = _one(cell, size=(1, 3))
        np.testing.assert_allclose(out[0, 0], [1, 0, 0])
        np.testing.assert_allclose(out[0, 1], [1, 1, 1])
        np.testing.assert_allclose(out[0, 2], [127 / 255] * 3, atol=1 / 255)
    out = _one(path, size=(1, 3), background=(0, 255, 0))
    np.testing.assert_allclose(out[0, 1], [0, 1, 0])
    la = Image.fromarray(np.array([[[10, 255], [10, 0]]], dtype=np.uint8), mode="LA")
    out = _one(_save(la, tmp_path / "la.png"), size=(1, 2), channels=1)
    np.testing.assert_allclose(out[0, :, 0], [10 / 255, 1.0])


def test_float_rgba_array_is_composited():
    rgba = np.array([[[1.0, 0.0, 0.0, 0.5]]])
    np.testing.assert_allclose(_one(rgba, size=(1, 1))[0, 0], [1.0, 0.5, 0.5], atol=1e-6)


def test_16_bit_png_uses_full_range(tmp_path):
    values = np.array([[0, 1000], [32768, 65535]], dtype=np.uint16)
    path = _save(Image.fromarray(values), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")  # "I;16" since Pillow 10.x, "I" before
    out = _one(path, size=(2, 2), channels=1)[..., 0]
    np.testing.assert_allclose(out, values / 65535, atol=1e-7)
    assert 0.0 < out[0, 1] < 0.02  # not clipped to 255 -> 1.0


def test_32_bit_int_and_float_modes():
    i32 = Image.fromarray(np.array([[0, 65535]], dtype=np.int32))
    assert i32.mode == "I"
    np.testing.assert_allclose(_one(i32, size=(1, 2), channels=1)[0, :, 0], [0, 1])
    f32 = Image.fromarray(np.array([[0.25, 0.75]], dtype=np.float32))
    assert f32.mode == "F"
    np.testing.assert_allclose(_one(f32, size=(1, 2))[0, :, 1], [0.25, 0.75])


def test_cmyk_tiff_and_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (4, 4), (0, 255, 0, 0))  # magenta
    tiff = _save(cmyk, tmp_path / "c.tif")
    np.testing.assert_array_equal(_one(tiff, size=(4, 4))[0, 0], [1, 0, 1])
    jpeg = _save(cmyk, tmp_path / "c.jpg", quality=95)
    assert Image.open(jpeg).mode == "CMYK"
    np.testing.assert_allclose(_one(jpeg, size=(4, 4))[0, 0], [1, 0, 1], atol=0.05)


def test_animated_gif_uses_first_frame(tmp_path):
    red = Image.new("RGB", (4, 4), (255, 0, 0))
    blue = Image.new("RGB", (4, 4), (0, 0, 255))
    path = tmp_path / "anim.gif"
    red.save(path, save_all=True, append_images=[blue], duration=100, loop=0)
    assert Image.open(path).n_frames == 2
    np.testing.assert_allclose(_one(path, size=(4, 4))[0, 0], [1, 0, 0])
    opened = Image.open(path)
    opened.seek(1)
    np.testing.assert_allclose(_one(opened, size=(4, 4))[0, 0], [1, 0, 0])
    assert opened.tell() == 1  # the caller's frame is left as it was


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((16, 32, 3), dtype=np.uint8)  # 16 tall, 32 wide
    stored[:, 16:] = 255  # right half white
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = 6  # display = stored rotated 90 degrees clockwise
    path = _save(img, tmp_path / "rot.jpg", exif=exif, quality=95)
    out = _one(path, size=(32, 16), channels=1)[..., 0]  # upright: 32 tall, 16 wide
    assert out.shape == (32, 16)
    assert out[:14].mean() < 0.1  # the stored left (black) half is now on top
    assert out[18:].mean() > 0.9


def test_large_jpeg_is_drafted_correctly(tmp_path):
    big = np.zeros((400, 400, 3), dtype=np.uint8)
    big[:, 200:] = 255
    path = _save(Image.fromarray(big), tmp_path / "big.jpg", quality=95)
    out = _one(path, size=(20, 20), channels=1)[..., 0]
    assert out[:, :9].max() < 0.05 and out[:, 11:].min() > 0.95


def test_channels_one_is_luminance():
    expected = np.asarray(Image.fromarray(RGB8).convert("L"), dtype=np.float32) / 255
    np.testing.assert_array_equal(_one(RGB8, size=(8, 8), channels=1)[..., 0], expected)


# --------------------------------------------------------------------------- #
# Geometry
# --------------------------------------------------------------------------- #


def test_stretch_pad_crop_geometry():
    black = np.zeros((20, 40), dtype=np.uint8)  # 20 tall, 40 wide
    stretched = _one(black, size=(32, 32))
    assert stretched.shape == (32, 32, 3) and stretched.max() == 0
    padded = _one(black, size=(32, 32), resize="pad")
    assert padded[:8].min() == 1 and padded[24:].min() == 1  # white bands
    assert padded[8:24].max() == 0
    red_pad = _one(black, size=(32, 32), resize="pad", background=(255, 0, 0))
    np.testing.assert_array_equal(red_pad[0, 0], [1, 0, 0])
    tall = _one(black.T, size=(32, 32), resize="pad")
    assert tall[:, :8].min() == 1 and tall[:, 24:].min() == 1 and tall[:, 8:24].max() == 0
    framed = np.full((20, 40), 255, dtype=np.uint8)
    framed[:, 10:30] = 0  # only the central 20x20 square is black
    cropped = _one(framed, size=(32, 32), resize="crop")
    assert cropped.max() == 0
    assert _one(framed, size=(32, 32), resize="pad").max() == 1


def test_geometry_for_float_input_and_resamplers():
    gray = RNG.random((10, 30))
    for policy in ("stretch", "pad", "crop"):
        for resample in ("nearest", "bicubic", "lanczos"):
            out = _one(gray, size=(12, 12), resize=policy, resample=resample)
            assert out.shape == (12, 12, 3)
            assert 0.0 <= out.min() and out.max() <= 1.0
    padded = _one(np.zeros((10, 30)), size=(12, 12), resize="pad", background=(0, 0, 255))
    np.testing.assert_allclose(padded[0, 0], [0, 0, 1])


# --------------------------------------------------------------------------- #
# Standardization
# --------------------------------------------------------------------------- #


def test_standardize_learns_mean_and_std():
    images = [RNG.integers(0, 256, size=(9, 11, 3), dtype=np.uint8) for _ in range(4)]
    images = [im // np.array([1, 2, 4], dtype=np.uint8) for im in images]  # different stats
    est = ImageNormalizer(size=(8, 8), standardize=True)
    out = est.fit_transform(images)
    assert est.mean_.shape == (3,) and est.std_.shape == (3,)
    raw = ImageNormalizer(standardize=False, size=(8, 8)).fit_transform(images)
    np.testing.assert_allclose(est.mean_, raw.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(est.std_, raw.std(axis=(0, 1, 2)), rtol=1e-4)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    assert out.dtype == np.float32


def test_standardize_constant_images_has_floor():
    est = ImageNormalizer(size=(4, 4), channels=1, standardize=True)
    out = est.fit_transform([np.zeros((4, 4), dtype=np.uint8)])
    assert est.std_[0] == pytest.approx(1e-6)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("standardize", [False, True])
def test_fit_then_transform_equals_fit_transform(rgb_png, standardize):
    X = pd.Series([str(rgb_png), GRAY8, RNG.random((5, 9, 3))], name="img")
    est = ImageNormalizer(size=(6, 7), standardize=standardize)
    np.testing.assert_array_equal(clone(est).fit(X).transform(X), clone(est).fit_transform(X))


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #


def test_missing_cells():
    for cell in (None, np.nan, pd.NA):
        _raises_at(cell, ["missing"], missing="error")
    # fit alone also checks cells.
    with pytest.raises(ValueError, match="row 0.*missing"):
        ImageNormalizer(standardize=False, missing="error").fit([None, RGB8])


def test_unsupported_cells():
    _raises_at(42, ["int", "Expected a file path"], exc=TypeError)
    _raises_at(np.zeros((2, 2), dtype=np.int64), ["int64"], exc=TypeError)
    _raises_at(np.zeros((2, 2, 2), dtype=np.uint8), ["shape (2, 2, 2)"])
    _raises_at(np.array([[0.5, 2.0]]), ["outside [0, 1]"])
    _raises_at(np.array([[0.5, np.nan]]), ["outside [0, 1]"])
    _raises_at(Image.fromarray(np.array([[-1.0, 0.5]], dtype=np.float32)), ["outside [0, 1]"])


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.png"
    _raises_at(str(missing), ["not found", str(missing)])
    _raises_at(tmp_path, ["directory", str(tmp_path)])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    result = {}

    def run():
        try:
            ImageNormalizer(standardize=False, size=(8, 8)).fit_transform(
                pd.Series([fifo], name="photo")
            )
        except ValueError as exc:
            result["error"] = str(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        pytest.fail("transform blocked on a FIFO")
    assert "FIFO" in result["error"] and str(fifo) in result["error"]
    assert "column 'photo', row 0" in result["error"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_is_refused():
    _raises_at("/dev/zero", ["character device", "/dev/zero"])


def test_empty_file_and_empty_bytes(tmp_path):
    zero = tmp_path / "zero.png"
    zero.write_bytes(b"")
    _raises_at(zero, ["is empty (0 bytes)", str(zero)])
    _raises_at(b"", ["empty bytes (0 bytes)"])


def test_corrupt_content(tmp_path):
    _raises_at(b"this is not an image", ["not a recognised image", "not as a file path"])
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg" * 10)
    _raises_at(junk, [str(junk)])
    eps = tmp_path / "x.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    _raises_at(eps, ["EPS", str(eps)])


def test_truncated_png(tmp_path):
    data = _encode(Image.fromarray(RNG.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)))
    # Cut inside the pixel data, just before IEND, and inside IEND's CRC.
    for cut in (len(data) // 2, len(data) - 12, len(data) - 1):
        path = tmp_path / f"cut{cut}.png"
        path.write_bytes(data[:cut])
        message = _raises_at(path, [str(path)])
        assert "truncated" in message
        _raises_at(data[:cut], ["truncated"])
    # Bytes after IEND are tolerated.
    padded = tmp_path / "trailing.png"
    padded.write_bytes(data + b"\x00" * 16)
    assert _one(padded, size=(8, 8)).shape == (8, 8, 3)


def test_truncated_jpeg(tmp_path):
    data = _encode(Image.fromarray(RGB8).resize((64, 64)), "JPEG")
    for cut in (len(data) // 2, len(data) - 2):
        path = tmp_path / f"cut{cut}.jpg"
        path.write_bytes(data[:cut])
        _raises_at(path, ["truncated", str(path)])


def _png_header_only(width, height):
    """A PNG whose header claims ``width x height`` RGB pixels but holds no pixel data."""

    def chunk(kind, data):
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def test_header_sizes_are_refused_before_decoding(tmp_path):
    # 50 million pixels: under Pillow's guard, over the default max_pixels.
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header_only(10_000, 5_000))
    _raises_at(path, ["too large", "10000 x 5000", "max_pixels=40000000", str(path)])
    # 10 billion pixels: Pillow's own guard fires, even with max_pixels=None.
    _raises_at(_png_header_only(100_000, 100_000), ["decompression-bomb"], max_pixels=None)


def test_max_pixels_is_checked_before_decoding(tmp_path, monkeypatch):
    path = _save(Image.new("RGB", (100, 50)), tmp_path / "big.png")

    def no_load(self):  # the pixels must not be decoded
        raise AssertionError("pixels decoded")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_load)
    message = _raises_at(path, ["max_pixels=1000", "100 x 50", str(path)], max_pixels=1000)
    assert "too large" in message
    monkeypatch.undo()
    _raises_at(np.zeros((100, 50), dtype=np.uint8), ["too large"], max_pixels=1000)


def test_pillow_decompression_bomb_guard(tmp_path, monkeypatch):
    path = _save(Image.new("L", (100, 100)), tmp_path / "bomb.png")
    # Between MAX_IMAGE_PIXELS and twice it Pillow only warns; skmm turns that into an error.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the local "error" filter must win anyway
        _raises_at(path, ["decompression-bomb", str(path)], max_pixels=None)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    _raises_at(path, ["decompression-bomb", str(path)], max_pixels=None)
    _raises_at(path.read_bytes(), ["decompression-bomb"], max_pixels=None)
    # The warning filter is not left behind.
    assert not any(
        f[2] is Image.DecompressionBombWarning and f[0] == "error" for f in warnings.filters
    )


def test_bad_containers():
    est = ImageNormalizer(standardize=False, size=(4, 4))
    with pytest.raises(ValueError, match="ambiguous"):
        est.fit_transform(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        est.fit_transform(np.zeros((4, 4, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="2 columns"):
        est.fit_transform(pd.DataFrame({"a": [GRAY8], "b": [GRAY8]}))
    with pytest.raises(TypeError, match="single str"):
        est.fit_transform("image.png")
    with pytest.raises(TypeError, match="1-D numeric"):
        est.fit_transform(np.zeros(3))
    with pytest.raises(TypeError, match="column of images"):
        est.fit_transform({"a": 1})
    with pytest.raises(ValueError, match="0 images"):
        est.fit_transform([])
    with pytest.raises(ValueError, match="C\\) with C in 1, 3, 4"):
        est.fit_transform(np.zeros((2, 4, 4, 2)))


@pytest.mark.parametrize(
    "params",
    [
        {"size": (0, 4)},
        {"size": 64},
        {"size": (4, 4, 4)},
        {"channels": 2},
        {"resize": "fill"},
        {"background": (256, 0, 0)},
        {"background": "white"},
        {"standardize": "yes"},
        {"max_pixels": 0},
        {"resample": "cubic"},
        {"missing": "drop"},
        {"missing": None},
        {"lazy": "yes"},
        {"lazy": None},
        {"n_jobs": 0},
        {"n_jobs": -2},
        {"n_jobs": 1.5},
        {"root": 42},
        {"root": "/definitely/not/a/dir/for/skmm"},
    ],
)
def test_invalid_params_raise_in_fit(params):
    est = ImageNormalizer(**params)  # no validation in __init__
    assert est.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(ValueError, match=next(iter(params))):
        est.fit([GRAY8])


def test_bomb_guard_with_threads_leaves_no_filter(tmp_path, monkeypatch):
    good = _save(Image.new("L", (10, 10)), tmp_path / "good.png")
    bomb = _save(Image.new("L", (100, 100)), tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6_000)  # bomb.png only warns in Pillow
    X = pd.Series([good] * 5 + [bomb] + [good] * 5 + [bomb], name="photo")
    before = list(warnings.filters)
    with pytest.raises(ValueError, match=r"column 'photo', row 5\b.*decompression-bomb"):
        ImageNormalizer(standardize=False, size=(8, 8), max_pixels=None, n_jobs=4).fit_transform(X)
    assert warnings.filters == before
    out = ImageNormalizer(standardize=False, size=(8, 8), n_jobs=4).fit_transform([good] * 8)
    assert out.shape == (8, 8, 8, 3)
    assert warnings.filters == before


# --------------------------------------------------------------------------- #
# Root directory
# --------------------------------------------------------------------------- #


@pytest.fixture
def rooted(tmp_path):
    """A root directory holding one image, and an image outside it."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    inside = _save(Image.fromarray(RGB8), root / "sub" / "in.png")
    outside = _save(Image.fromarray(RGB8), tmp_path / "out.png")
    return root, inside, outside


def _outside_root(cell, root, **params):
    X = pd.Series([RGB8, cell, RGB8], index=["a", "b", "c"], name="photo")
    with pytest.raises(ValueError) as info:
        ImageNormalizer(size=(8, 8), root=root, **params).fit_transform(X)
    message = str(info.value)
    for part in ("column 'photo'", "row 1", "index label 'b'", repr(str(cell)), "outside root"):
        assert part in message, f"{part!r} not in {message!r}"
    assert repr(str(root)) in message
    return message


def test_root_accepts_relative_and_absolute_paths_inside(rooted):
    root, inside, _ = rooted
    expected = RGB8.astype(np.float32) / 255
    cells = ["sub/in.png", inside, str(inside), "sub/../sub/in.png", RGB8]
    out = ImageNormalizer(standardize=False, size=(8, 8), root=root).fit_transform(cells)
    for image in out:
        np.testing.assert_array_equal(image, expected)
    # A root given through a symbolic link is resolved too.
    link = root.parent / "root_link"
    link.symlink_to(root, target_is_directory=True)
    out = ImageNormalizer(standardize=False, size=(8, 8), root=str(link)).fit_transform(
        [str(link / "sub/in.png")]
    )
    np.testing.assert_array_equal(out[0], expected)


def test_root_refuses_parent_escape(rooted):
    root, _, _ = rooted
    message = _outside_root("../out.png", root)
    assert str(root.parent / "out.png") in message  # the resolved path is named
    _outside_root("sub/../../out.png", root)


def test_root_refuses_absolute_path_elsewhere(rooted):
    root, _, outside = rooted
    _outside_root(str(outside), root)
    _outside_root("/etc/passwd", root)
    # A sibling whose name starts with the root's name is outside too.
    sibling = root.parent / "root2"
    sibling.mkdir()
    _outside_root(str(_save(Image.fromarray(RGB8), sibling / "x.png")), root)


def test_root_refuses_symlink_pointing_outside(rooted):
    root, inside, outside = rooted
    (root / "escape.png").symlink_to(outside)
    _outside_root("escape.png", root)
    (root / "escape_dir").symlink_to(outside.parent, target_is_directory=True)
    _outside_root("escape_dir/out.png", root)
    # A symbolic link that stays inside root is fine.
    (root / "alias.png").symlink_to(inside)
    out = ImageNormalizer(standardize=False, size=(8, 8), root=root).fit_transform(["alias.png"])
    np.testing.assert_array_equal(out[0], RGB8.astype(np.float32) / 255)


def test_root_is_checked_in_fit_without_decoding(rooted):
    root, _, outside = rooted
    with pytest.raises(ValueError, match="row 0.*outside root"):
        ImageNormalizer(standardize=False, size=(8, 8), root=root).fit([str(outside)])


def test_root_missing_file_inside_root(rooted):
    root, _, _ = rooted
    _raises_at("sub/nope.png", ["not found", str(root / "sub" / "nope.png")], root=root)


def test_root_must_be_an_existing_directory(rooted):
    root, inside, _ = rooted
    with pytest.raises(ValueError, match="root must be an existing directory.*does not exist"):
        ImageNormalizer(standardize=False, root=root / "nope").fit([RGB8])
    with pytest.raises(ValueError, match="root must be an existing directory.*not a directory"):
        ImageNormalizer(standardize=False, root=inside).fit([RGB8])
    with pytest.raises(ValueError, match="root must be"):
        ImageNormalizer(standardize=False, root="").fit([RGB8])


# --------------------------------------------------------------------------- #
# Missing values
# --------------------------------------------------------------------------- #


def test_blank_paths_are_missing_under_error_policy():
    for cell in ("", "   ", "\t\n"):
        _raises_at(cell, ["empty path", "missing", "missing='zeros'"], missing="error")


def test_missing_error_message_is_kept():
    message = _raises_at(None, ["is missing (None)"], missing="error")
    assert "Missing images are an error with missing='error': drop or fill" in message


def test_missing_zeros_fills_zero_images(rgb_png):
    expected = RGB8.astype(np.float32) / 255
    cells = [str(rgb_png), None, np.nan, pd.NA, "", "  ", RGB8, pd.NaT]
    X = pd.Series(cells, name="photo", dtype=object)
    assert (
        ImageNormalizer(standardize=False).missing == "zeros"
    )  # the default, as for text and audio
    est = ImageNormalizer(standardize=False, size=(8, 8))
    out = est.fit_transform(X)
    assert out.shape == (8, 8, 8, 3)
    np.testing.assert_array_equal(out[0], expected)
    np.testing.assert_array_equal(out[6], expected)
    for k in (1, 2, 3, 4, 5, 7):
        assert not out[k].any()
    np.testing.assert_array_equal(est.transform(X), out)
    # at transform, a batch of missing rows is fine; at fit, a column missing in every
    # row is an error under both policies (nothing to learn from; often a failed join)
    assert not est.transform(pd.Series([None, ""], name="photo")).any()
    for policy in ("zeros", "error"):
        for fit in ("fit", "fit_transform"):
            with pytest.raises(ValueError, match="column 'photo'.*every one of the 2 training"):
                getattr(ImageNormalizer(standardize=False, size=(4, 4), missing=policy), fit)(
                    pd.Series([None, ""], name="photo")
                )


def test_missing_zeros_with_standardize(rgb_png):
    images = [np.full((8, 8, 3), v, dtype=np.uint8) for v in (10, 200)] + [str(rgb_png)]
    X = pd.Series([images[0], None, images[1], "", images[2]], name="photo", dtype=object)
    est = ImageNormalizer(size=(8, 8), standardize=True, missing="zeros")
    out = est.fit_transform(X)
    reference = ImageNormalizer(size=(8, 8), standardize=True).fit(images)
    np.testing.assert_array_equal(est.mean_, reference.mean_)
    np.testing.assert_array_equal(est.std_, reference.std_)
    # Missing rows are zeros in the output space, i.e. after standardization.
    assert not out[1].any() and not out[3].any()
    np.testing.assert_array_equal(out[[0, 2, 4]], reference.transform(images))
    np.testing.assert_array_equal(clone(est).fit(X).transform(X), out)
    with pytest.raises(ValueError, match="column 'photo'.*every one of the 2 training rows"):
        clone(est).fit(pd.Series([None, ""], name="photo"))


def test_missing_file_is_an_error_under_both_policies(tmp_path):
    missing = tmp_path / "nope.png"
    for policy in ("error", "zeros"):
        _raises_at(str(missing), ["not found", str(missing)], missing=policy)


# --------------------------------------------------------------------------- #
# scikit-learn API
# --------------------------------------------------------------------------- #


def test_not_fitted_and_block_info():
    est = ImageNormalizer(standardize=False, size=(5, 6), channels=1)
    with pytest.raises(NotFittedError):
        est.transform([GRAY8])
    with pytest.raises(NotFittedError):
        est.get_block_info()
    assert est.fit([GRAY8]) is est
    assert est.get_block_info() == {"kind": "image", "size": (5, 6), "channels": 1}
    assert not hasattr(est, "get_feature_names_out")


def test_params_clone_and_pickle():
    est = ImageNormalizer(size=(6, 6), resize="crop", standardize=True)
    params = est.get_params()
    assert params["size"] == (6, 6) and params["resize"] == "crop"
    est.set_params(channels=1)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(TypeError):
        ImageNormalizer((6, 6))  # keyword-only
    est.fit([RGB8, GRAY8])
    assert est.get_params() == {**params, "channels": 1}  # fit leaves params alone
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.mean_, est.mean_)
    np.testing.assert_array_equal(restored.transform([RGB8]), est.transform([RGB8]))


def test_refit_and_changed_params():
    est = ImageNormalizer(size=(4, 4), standardize=True).fit([RGB8])
    est.set_params(standardize=False).fit([RGB8])
    assert not hasattr(est, "mean_")
    est.set_params(standardize=True)
    with pytest.raises(ValueError, match="call fit again"):
        est.transform([RGB8])


def test_tags():
    tags = ImageNormalizer(standardize=False).__sklearn_tags__()
    assert tags.input_tags.one_d_array and tags.input_tags.string
    assert not tags.input_tags.two_d_array and tags.input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == ["float32"]
    assert (
        not ImageNormalizer(standardize=False, missing="error")
        .__sklearn_tags__()
        .input_tags.allow_nan
    )


def test_data_free_sklearn_checks():
    name, est = "ImageNormalizer", ImageNormalizer(standardize=False, size=(8, 8))
    check_no_attributes_set_in_init(name, est)
    check_parameters_default_constructible(name, est)
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    check_estimator_repr(name, est)
    check_do_not_raise_errors_in_init_or_set_params(name, est)
    check_estimators_unfitted(name, est)


# scikit-learn's own checks run from the registry in tests/test_common.py.
