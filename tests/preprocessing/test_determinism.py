"""Identical input gives identical bits, whatever its origin, memory layout and batch position.

The feature transformers promise bit-identity within one installation; these
tests feed the same samples and pixels through every origin the transformers
accept (files, bytes, arrays of any dtype, byte order, memory order and
alignment) and at every position of a column that spans several batches.
"""

import io

import numpy as np
import pytest
from PIL import Image
from threadpoolctl import threadpool_limits

import skmm.preprocessing._audio_features as audio_features
from skmm.preprocessing import AudioFeaturizer, ImageNormalizer

SR = 16000


def _tone(seconds=1.0, sr=SR):
    t = np.arange(round(seconds * sr)) / sr
    x = 0.4 * np.sin(2 * np.pi * 440 * t + 0.3) + 0.2 * np.sin(2 * np.pi * 2500 * t)
    return x.astype(np.float32)


def _unaligned(array, offset):
    """A read-only copy of ``array`` whose data starts ``offset`` bytes past an aligned address."""
    raw = np.zeros(array.nbytes + 64 + offset, dtype=np.uint8)
    start = (-raw.ctypes.data % 64) + offset
    raw[start : start + array.nbytes] = np.frombuffer(array.tobytes(), dtype=np.uint8)
    view = np.frombuffer(raw.data, dtype=array.dtype, count=array.size, offset=start)
    return view.reshape(array.shape)


def _strided(array):
    """A non-contiguous view holding the same values (every second element of a buffer)."""
    doubled = np.zeros((array.shape[0] * 2, *array.shape[1:]), dtype=array.dtype)
    doubled[::2] = array
    return doubled[::2]


def _same_rows(out, reference):
    for row in range(out.shape[0]):
        np.testing.assert_array_equal(out[row], reference, err_msg=f"row {row}")


# --------------------------------------------------------------------------- #
# Audio
# --------------------------------------------------------------------------- #


def _audio_origins(x):
    """The samples ``x`` in every in-memory form that holds exactly the same float32 values."""
    pcm = np.round(x * 32767).astype(np.int16)
    unit = pcm.astype(np.float32) / 32768
    stereo = np.stack([unit, unit], axis=1)
    return unit, [
        unit,
        pcm,
        pcm.astype(">i2"),
        unit.astype(np.float64),
        unit.astype(">f4"),
        _unaligned(unit, 4),
        _unaligned(unit, 1),  # not even aligned to the item size
        _strided(unit),
        np.asfortranarray(stereo),
        stereo,
        (pcm, SR),
        [float(v) for v in unit],
    ]


def test_audio_bits_do_not_depend_on_origin_layout_or_batch_position(monkeypatch, tmp_path):
    sf = pytest.importorskip("soundfile")
    unit, origins = _audio_origins(_tone())
    path = tmp_path / "clip.wav"
    sf.write(path, (unit * 32768).astype(np.int16), SR, subtype="PCM_16")
    origins += [str(path), path, path.read_bytes()]
    origins = [cell if not isinstance(cell, list) else np.asarray(cell) for cell in origins]
    reference = AudioFeaturizer(standardize=False).fit_transform([unit])[0]
    # batches of 4 clips, so the copies sit at every position of several batches
    monkeypatch.setattr(audio_features, "_BATCH_VALUES", 4 * 98 * 40)
    column = np.empty(len(origins) * 2, dtype=object)
    column[:] = origins + origins[::-1]
    _same_rows(AudioFeaturizer(standardize=False).fit_transform(column), reference)


def test_audio_channel_average_does_not_depend_on_memory_order():
    rng = np.random.default_rng(0)
    channels = (rng.standard_normal((SR, 9)) * 0.1).astype(np.float32)
    cells = [channels, np.asfortranarray(channels), _unaligned(channels, 2), channels.copy()]
    out = AudioFeaturizer(standardize=False).fit_transform(cells)
    _same_rows(out, out[0])


def test_audio_resampled_bits_do_not_depend_on_layout():
    x = _tone(seconds=0.9, sr=22050)
    cells = [(x, 22050), (_unaligned(x, 4), 22050), (_strided(x), 22050), (x.astype(">f4"), 22050)]
    out = AudioFeaturizer(standardize=False).fit_transform(cells * 2)
    _same_rows(out, out[0])


def test_audio_bits_do_not_depend_on_blas_threads():
    x = _tone()
    est = AudioFeaturizer().fit([x, 0.5 * x, _tone(seconds=0.7)])
    default = est.transform([x] * 3)
    with threadpool_limits(limits=1):
        single = est.transform([x] * 3)
    np.testing.assert_array_equal(single, default)
    _same_rows(default, default[0])


def test_audio_standardized_rows_are_identical_across_batches(monkeypatch):
    x = _tone()
    monkeypatch.setattr(audio_features, "_BATCH_VALUES", 3 * 98 * 40)
    cells = [x, None, x, x, None, x, x, x]
    est = AudioFeaturizer(missing="zeros")
    out = est.fit_transform(cells)
    present = [k for k, cell in enumerate(cells) if cell is not None]
    _same_rows(out[present], out[0])
    np.testing.assert_array_equal(est.transform([x])[0], out[0])


def test_audio_mel_projection_matches_the_dense_filterbank():
    """The element-wise projection is the filterbank product, up to float32 rounding."""
    cfg = AudioFeaturizer(n_mels=64, sample_rate=22050)._config()
    filterbank = audio_features.mel_filterbank(22050, cfg.n_fft, 64, 0.0, 11025.0)
    rng = np.random.default_rng(1)
    power = rng.random((cfg.n_fft // 2 + 1, 7)).astype(np.float32)
    out = np.empty((64, 7), np.float32)
    projected = cfg.bands.project(power, out, np.empty_like(out))
    np.testing.assert_allclose(projected, filterbank.T @ power.astype(np.float64), rtol=1e-5)


# --------------------------------------------------------------------------- #
# Images
# --------------------------------------------------------------------------- #


def _image_origins(rgb8):
    unit = rgb8.astype(np.float32) / np.float32(255.0)
    buffer = io.BytesIO()
    Image.fromarray(rgb8).save(buffer, format="PNG")
    return (
        unit,
        [
            rgb8,
            np.asfortranarray(rgb8),
            _strided(rgb8),
            buffer.getvalue(),
            Image.fromarray(rgb8),
        ],
        [
            unit,
            np.asfortranarray(unit),
            _unaligned(unit, 4),
            _unaligned(unit, 2),
            _strided(unit),
            unit.astype(np.float64),
            unit.astype(">f4"),
        ],
    )


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("lazy", [False, True])
def test_image_bits_do_not_depend_on_origin_layout_or_batch_position(channels, lazy):
    rng = np.random.default_rng(0)
    rgb8 = rng.integers(0, 256, size=(37, 29, 3), dtype=np.uint8)
    unit, eight_bit, floats = _image_origins(rgb8)
    params = dict(size=(16, 16), channels=channels, n_jobs=2)
    for cells in (eight_bit, floats):
        column = np.empty(len(cells) * 3, dtype=object)
        column[:] = cells * 3
        est = ImageNormalizer(**params, lazy=lazy)
        out = np.asarray(est.fit_transform(column))
        reference = ImageNormalizer(**params).fit_transform([cells[0]])[0]
        _same_rows(out, reference)


def test_image_standardized_bits_do_not_depend_on_threads_or_laziness():
    rng = np.random.default_rng(1)
    images = [rng.random((20 + k, 24, 3), dtype=np.float32) for k in range(6)]
    fitted = ImageNormalizer(size=(12, 12), channels=1, standardize=True).fit(images)
    eager = fitted.transform(images + images)
    for n_jobs in (1, 2):
        for lazy in (False, True):
            est = ImageNormalizer(
                size=(12, 12), channels=1, standardize=True, n_jobs=n_jobs, lazy=lazy
            ).fit(images)
            np.testing.assert_array_equal(est.mean_, fitted.mean_)
            np.testing.assert_array_equal(np.asarray(est.transform(images + images)), eager)
    np.testing.assert_array_equal(eager[:6], eager[6:])
