"""Tests for lazy decoding (LazyImages) and decoding threads in ImageNormalizer."""

import io
import multiprocessing
import os
import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.base import clone

import skmm.preprocessing._image as image_module
import skmm.preprocessing._image_decoding as decoding_module
import skmm.preprocessing._image_reading as reading_module
from skmm.preprocessing._image import ImageNormalizer, LazyImages

RNG = np.random.default_rng(1)
N_FILES = 12


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Twelve small PNG and JPEG files of different sizes and modes."""
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for k in range(N_FILES):
        shape = (10 + 3 * k, 24 - k, 3) if k % 3 else (12 + k, 15)
        pixels = RNG.integers(0, 256, size=shape, dtype=np.uint8)
        path = folder / f"img{k}.{'png' if k % 2 else 'jpg'}"
        Image.fromarray(pixels).save(path)
        paths.append(str(path))
    return paths


@pytest.fixture
def series(files):
    index = [f"id{k}" for k in range(N_FILES)]
    return pd.Series(files, index=index, name="photo")


def _lazy(**params):
    return ImageNormalizer(size=(8, 8), lazy=True, **{"standardize": False, **params})


def _eager(**params):
    return ImageNormalizer(size=(8, 8), lazy=False, **{"standardize": False, **params})


# --------------------------------------------------------------------------- #
# Same output as eager decoding
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"standardize": True},
        {"missing": "zeros"},
        {"standardize": True, "missing": "zeros", "channels": 1, "resize": "pad"},
    ],
)
def test_full_decode_equals_eager(series, params):
    X = series.copy()
    if params.get("missing") == "zeros":
        X.iloc[[2, 7]] = [None, " "]
    eager = _eager(**params).fit_transform(X)
    for lazy in (_lazy(**params).fit_transform(X), _lazy(**params).fit(X).transform(X)):
        assert isinstance(lazy, LazyImages)
        np.testing.assert_array_equal(np.asarray(lazy), eager)
        np.testing.assert_array_equal(lazy[:], eager)
    if params.get("missing") == "zeros":
        assert not eager[2].any() and not eager[7].any()


def test_array_protocol_and_attributes(series):
    lazy = _lazy().fit_transform(series)
    assert LazyImages.is_lazy_block is True and lazy.is_lazy_block is True
    assert lazy.shape == (N_FILES, 8, 8, 3) and isinstance(lazy.shape, tuple)
    assert lazy.dtype == np.dtype("float32") and lazy.ndim == 4 and len(lazy) == N_FILES
    assert lazy.nbytes == N_FILES * 8 * 8 * 3 * 4
    assert repr(lazy) == "LazyImages(shape=(12, 8, 8, 3), dtype=float32, column='photo')"
    as64 = np.asarray(lazy, dtype=np.float64)
    assert as64.dtype == np.float64
    np.testing.assert_array_equal(as64, np.asarray(lazy).astype(np.float64))


def test_lazy_mixed_cells_equal_eager(files):
    cells = [files[0], _png_bytes(), Image.new("RGB", (5, 5), (0, 128, 255)), RNG.random((6, 6))]
    eager = _eager(standardize=True).fit_transform(cells)
    np.testing.assert_array_equal(np.asarray(_lazy(standardize=True).fit_transform(cells)), eager)


def _png_bytes():
    buffer = io.BytesIO()
    Image.fromarray(RNG.integers(0, 256, size=(9, 7, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- #
# Indexing
# --------------------------------------------------------------------------- #


def test_indexing_kinds(series):
    eager = _eager().fit_transform(series)
    lazy = _lazy().fit_transform(series)
    rows = np.array([5, 0, 5, 11])
    np.testing.assert_array_equal(lazy[rows], eager[rows])
    np.testing.assert_array_equal(lazy[rows.astype(np.uint8)], eager[rows])
    np.testing.assert_array_equal(lazy[[-1, 3]], eager[[-1, 3]])
    mask = np.arange(N_FILES) % 3 == 0
    np.testing.assert_array_equal(lazy[mask], eager[mask])
    np.testing.assert_array_equal(lazy[2:9:3], eager[2:9:3])
    np.testing.assert_array_equal(lazy[::-1], eager[::-1])
    one = lazy[4]
    assert one.shape == (8, 8, 3) and one.dtype == np.float32
    np.testing.assert_array_equal(one, eager[4])
    np.testing.assert_array_equal(lazy[np.int64(-2)], eager[-2])
    assert lazy[[]].shape == (0, 8, 8, 3) and lazy[5:5].shape == (0, 8, 8, 3)
    assert lazy[rows].dtype == np.float32
    np.testing.assert_array_equal(np.stack(list(lazy)), eager)  # iteration stops at the end


def test_take_then_getitem(series):
    eager = _eager().fit_transform(series)
    lazy = _lazy().fit_transform(series)
    sub = lazy.take(np.array([9, 1, 4, 7]))
    assert isinstance(sub, LazyImages) and sub.shape == (4, 8, 8, 3)
    np.testing.assert_array_equal(np.asarray(sub), eager[[9, 1, 4, 7]])
    np.testing.assert_array_equal(sub[[1, 3]], eager[[1, 7]])
    np.testing.assert_array_equal(sub[2], eager[4])
    np.testing.assert_array_equal(sub.take([3, 0])[:], eager[[7, 9]])
    np.testing.assert_array_equal(lazy.take(slice(0, 3))[:], eager[:3])
    mask = np.zeros(N_FILES, dtype=bool)
    mask[[2, 3]] = True
    np.testing.assert_array_equal(lazy.take(mask)[:], eager[[2, 3]])
    np.testing.assert_array_equal(lazy.take(range(2))[:], eager[:2])


def test_take_decodes_nothing(series, monkeypatch):
    lazy = _lazy().fit_transform(series)

    def refuse(*args):
        raise AssertionError("decoded")

    monkeypatch.setattr(reading_module, "decode_into", refuse)
    assert len(lazy.take([0, 1, 2]).take([1])) == 1


def test_bad_keys(series):
    lazy = _lazy().fit_transform(series)
    with pytest.raises(IndexError, match="out of range for 12 rows"):
        lazy[12]
    with pytest.raises(IndexError, match="row position -13 is out of range"):
        lazy[[0, -13]]
    with pytest.raises(IndexError, match="mask of length 3.*length 12"):
        lazy[np.array([True, False, True])]
    with pytest.raises(IndexError, match="dtype float64"):
        lazy[np.array([0.0, 1.0])]
    with pytest.raises(IndexError, match="1-D"):
        lazy[np.zeros((2, 2), dtype=int)]
    with pytest.raises(TypeError, match="selects rows only"):
        lazy[0, 1]
    with pytest.raises(TypeError, match="take"):
        lazy.take(3)


# --------------------------------------------------------------------------- #
# Errors
# --------------------------------------------------------------------------- #


def test_error_in_lazy_batch_names_original_row(series, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    X = series.copy()
    X.iloc[7] = str(bad)
    lazy = _lazy().fit_transform(X)  # files are not decoded yet
    np.testing.assert_array_equal(lazy[[0, 1]], _eager().fit_transform(X.iloc[:2]))
    for get in (
        lambda: lazy[[5, 7]],
        lambda: lazy[7],
        lambda: lazy.take([5, 7])[[1]],
        lambda: lazy.take([9, 8, 7]).take([2])[0],
        lambda: np.asarray(lazy),
    ):
        with pytest.raises(ValueError) as info:
            get()
        message = str(info.value)
        for part in ("column 'photo'", "row 7 (index label 'id7')", str(bad)):
            assert part in message, f"{part!r} not in {message!r}"


def test_lazy_transform_checks_cells_before_returning(series, tmp_path):
    est = _lazy(missing="error").fit(series)
    X = series.astype(object)
    X.iloc[3] = 42
    with pytest.raises(TypeError, match="column 'photo', row 3 .*int"):
        est.transform(X)
    X.iloc[3] = None
    with pytest.raises(ValueError, match="row 3 .*missing"):
        est.transform(X)
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(ValueError, match="row 0 .*outside root"):
        _lazy(root=root).fit(series.iloc[:1])


def test_lazy_with_root(series, files):
    root = str(pd.Series(files).str.rsplit("/", n=1).str[0].iloc[0])
    relative = series.str.rsplit("/", n=1).str[1]
    lazy = _lazy(root=root).fit_transform(relative)
    np.testing.assert_array_equal(np.asarray(lazy), _eager().fit_transform(series))


def test_first_failing_row_is_reported_with_threads(series, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg" * 4)
    X = series.copy()
    X.iloc[[3, 9, 10]] = [str(tmp_path / "missing.png"), str(bad), str(bad)]
    for n_jobs in (1, 2, 4):
        with pytest.raises(ValueError, match=r"row 3 \(index label 'id3'\).*not found"):
            _eager(n_jobs=n_jobs).fit_transform(X)
        lazy = _lazy(n_jobs=n_jobs).fit_transform(X)
        with pytest.raises(ValueError, match=r"row 3 \(index label 'id3'\).*not found"):
            np.asarray(lazy)


# --------------------------------------------------------------------------- #
# Pickling
# --------------------------------------------------------------------------- #


def test_pickle_round_trip(series):
    X = series.copy()
    X.iloc[4] = None
    est = _lazy(standardize=True, missing="zeros", n_jobs=2)
    lazy = est.fit_transform(X)
    restored = pickle.loads(pickle.dumps(lazy))
    assert isinstance(restored, LazyImages) and restored.shape == lazy.shape
    np.testing.assert_array_equal(np.asarray(restored), np.asarray(lazy))
    sub = pickle.loads(pickle.dumps(lazy.take([6, 4, 1])))
    np.testing.assert_array_equal(sub[:], np.asarray(lazy)[[6, 4, 1]])
    eager = clone(est).set_params(lazy=False).fit_transform(X)
    np.testing.assert_array_equal(np.asarray(lazy), eager)


def test_lazy_output_does_not_follow_later_changes_to_the_input(files):
    cells = list(files[:3])
    lazy = _lazy().fit_transform(cells)
    expected = np.asarray(lazy)
    cells[0] = None
    np.testing.assert_array_equal(np.asarray(lazy), expected)


# --------------------------------------------------------------------------- #
# lazy="auto"
# --------------------------------------------------------------------------- #


def test_auto_is_eager_below_the_threshold(series):
    assert image_module.LAZY_THRESHOLD_BYTES == 512 * 2**20
    out = ImageNormalizer(standardize=False, size=(8, 8)).fit_transform(series)
    assert isinstance(out, np.ndarray)


def test_auto_is_lazy_above_the_threshold_for_paths_only(series, files, monkeypatch):
    monkeypatch.setattr(reading_module, "LAZY_THRESHOLD_BYTES", 100)
    est = ImageNormalizer(standardize=False, size=(8, 8))
    assert isinstance(est.fit_transform(series), LazyImages)
    assert isinstance(est.fit(series).transform(series), LazyImages)
    with_missing = pd.Series([files[0], None, ""], name="photo")
    assert isinstance(
        ImageNormalizer(standardize=False, missing="zeros").fit_transform(with_missing), LazyImages
    )
    stack = RNG.integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)
    png = _png_bytes()
    for X in (stack, list(stack), [png] * 4, [files[0], png], [files[0], stack[0]]):
        assert isinstance(est.fit_transform(X), np.ndarray)
    assert isinstance(
        ImageNormalizer(standardize=False, size=(8, 8), lazy=False).fit_transform(series),
        np.ndarray,
    )
    monkeypatch.setattr(reading_module, "LAZY_THRESHOLD_BYTES", N_FILES * 8 * 8 * 3 * 4)
    assert isinstance(est.fit_transform(series), np.ndarray)  # not above: eager


def test_lazy_true_with_arrays(files):
    stack = RNG.integers(0, 256, size=(3, 8, 8, 3), dtype=np.uint8)
    lazy = _lazy().fit_transform(stack)
    assert isinstance(lazy, LazyImages)
    np.testing.assert_array_equal(lazy[[2, 0]], stack[[2, 0]].astype(np.float32) / 255)


# --------------------------------------------------------------------------- #
# Threads
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("params", [{}, {"standardize": True, "missing": "zeros"}])
def test_n_jobs_do_not_change_the_output(series, params):
    X = series.copy()
    X.iloc[5] = None
    params = {**params, "missing": "zeros"}
    outputs = []
    for n_jobs in (1, 2, 3, None, -1):
        est = _eager(n_jobs=n_jobs, **params)
        outputs.append(est.fit_transform(X))
        outputs.append(clone(est).fit(X).transform(X))
        outputs.append(np.asarray(_lazy(n_jobs=n_jobs, **params).fit_transform(X)))
        if params.get("standardize"):
            np.testing.assert_array_equal(est.mean_, clone(est).set_params(n_jobs=1).fit(X).mean_)
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])


def test_threads_are_used(series, monkeypatch):
    decode_into = reading_module.decode_into
    seen = {}
    lock = threading.Lock()

    def slow_decode(cell, spec, out, where):
        threading.Event().wait(0.01)
        with lock:
            seen.setdefault(type(cell).__name__, set()).add(threading.get_ident())
        decode_into(cell, spec, out, where)

    monkeypatch.setattr(reading_module, "decode_into", slow_decode)
    pil = Image.new("RGB", (4, 4))
    X = [*series, pil, pil]
    ImageNormalizer(standardize=False, size=(8, 8), n_jobs=2).fit_transform(X)
    assert len(seen["str"]) == 2
    assert seen["Image"] == {threading.get_ident()}  # PIL images stay in the calling thread
    seen.clear()
    _lazy(n_jobs=1).fit_transform(series)[:]
    assert seen["str"] == {threading.get_ident()}


def _decode_in_child(lazy, connection):
    connection.send(lazy[[0, 3, 5]])
    connection.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_decoding_after_fork(series):
    lazy = _lazy(n_jobs=2).fit_transform(series)
    expected = lazy[[0, 3, 5]]  # threads have run in the parent
    # A parent thread holds the decoding lock while the process forks.
    held, release = threading.Event(), threading.Event()

    def hold_lock():
        with decoding_module._BOMB_GUARD_LOCK:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    held.wait(30)
    try:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_decode_in_child, args=(lazy, sender))
        child.start()
        got = receiver.recv() if receiver.poll(30) else None
        child.join(30)
        if child.is_alive():
            child.kill()
    finally:
        release.set()
        holder.join()
    assert got is not None, "the forked child did not decode"
    np.testing.assert_array_equal(got, expected)
