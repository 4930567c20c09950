"""Tests for skmm.preprocessing.AudioFeaturizer."""

import io
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import resample_poly
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

import skmm.preprocessing._audio_features as audio_features
from skmm.preprocessing._audio import AudioFeaturizer

sf = pytest.importorskip("soundfile")

SR = 16000
SILENCE = np.log(np.float32(1e-6))


def _tone(freq, sr=SR, seconds=1.0, amp=0.5, phase=0.3):
    t = np.arange(round(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def _mel_edges(sr=SR, n_mels=40, fmin=0.0, fmax=None):
    """Filter edges in Hz, computed independently of the module (HTK mel scale)."""
    fmax = sr / 2 if fmax is None else fmax
    mel = np.linspace(2595 * np.log10(1 + fmin / 700), 2595 * np.log10(1 + fmax / 700), n_mels + 2)
    return 700 * (10 ** (mel / 2595) - 1)


def _peak_band(features):
    """Mel band with the most energy, averaged over the frames of one clip."""
    return int(np.argmax(features.mean(axis=0)))


def _raw(X, **params):
    return AudioFeaturizer(standardize=False, **params).fit_transform(X)


def _wav_bytes(data, sr, fmt="WAV", subtype=None):
    buffer = io.BytesIO()
    sf.write(buffer, data, sr, format=fmt, subtype=subtype)
    return buffer.getvalue()


def _raises_at(cell, match_parts, exc=ValueError, **params):
    """Put ``cell`` at row 1 of a named Series and check the message names it."""
    X = pd.Series([_tone(440), cell, _tone(440)], index=["a", "b", "c"], name="clip")
    with pytest.raises(exc) as info:
        AudioFeaturizer(**params).fit_transform(X)
    message = str(info.value)
    for part in ("AudioFeaturizer", "column 'clip'", "row 1", "index label 'b'", *match_parts):
        assert part in message, f"{part!r} not in {message!r}"
    return message


@pytest.fixture
def tone_wav_8k(tmp_path):
    """A 1 kHz tone stored as 16-bit PCM at 8 kHz, with its int16 samples."""
    pcm = np.round(_tone(1000, sr=8000) * 32767).astype(np.int16)
    path = tmp_path / "tone8k.wav"
    sf.write(path, pcm, 8000, subtype="PCM_16")
    return path, pcm


# --------------------------------------------------------------------------- #
# Log-mel features
# --------------------------------------------------------------------------- #


def test_output_shape_and_dtype():
    out = AudioFeaturizer().fit_transform([_tone(440), _tone(880)])
    assert out.shape == (2, 98, 40) and out.dtype == np.float32  # 1 + (16000 - 400) // 160
    est = AudioFeaturizer(
        sample_rate=8000, duration=0.5, n_mels=20, frame_length=0.032, hop_length=0.016
    )
    out = est.fit_transform([_tone(440, sr=8000)])
    assert out.shape == (1, 1 + (4000 - 256) // 128, 20) and out.dtype == np.float32
    assert est.get_block_info()["n_frames"] == out.shape[1]


@pytest.mark.parametrize("band", [5, 17, 30])
def test_tone_peaks_in_its_mel_band(band):
    edges = _mel_edges()
    out = _raw([_tone(edges[band + 1])])  # the centre of the band
    assert _peak_band(out[0]) == band


@pytest.mark.parametrize("freq", [300.0, 1234.0, 5000.0])
def test_tone_energy_peak_band_contains_the_frequency(freq):
    edges = _mel_edges(n_mels=32, fmin=100.0, fmax=7000.0)
    out = _raw([_tone(freq)], n_mels=32, fmin=100.0, fmax=7000.0)
    band = _peak_band(out[0])
    assert edges[band] < freq < edges[band + 2]
    # and it is the band whose centre is closest on the mel scale
    centres = 2595 * np.log10(1 + edges[1:-1] / 700)
    assert band == int(np.argmin(np.abs(centres - 2595 * np.log10(1 + freq / 700))))


def test_silence_is_log_offset_and_no_centring_padding():
    out = _raw([np.zeros(SR, dtype=np.float32)])
    np.testing.assert_allclose(out, SILENCE, rtol=1e-6)
    # A click at the very first sample sits where the periodic Hann window is 0: frames
    # start at sample 0 with no padding before it.
    click = np.zeros(SR, dtype=np.float32)
    click[0] = 1.0
    np.testing.assert_allclose(_raw([click]), SILENCE, rtol=1e-6)
    click[1] = 1.0  # where the window is small but not 0
    assert (_raw([click])[0, 0] > SILENCE + 1e-3).all()


def test_resampled_file_keeps_the_tone_band(tone_wav_8k):
    path, _ = tone_wav_8k
    from_file = _raw([path])[0]
    native = _raw([_tone(1000)])[0]
    edges = _mel_edges()
    band = _peak_band(from_file)
    assert band == _peak_band(native)
    assert edges[band] < 1000 < edges[band + 2]
    # Nothing above the 8 kHz file's Nyquist frequency (4 kHz) but resampling leakage.
    high = edges[1:-1] > 4500
    assert from_file.mean(axis=0)[high].max() < from_file.mean(axis=0)[band] - 10


def test_resampling_matches_scipy_resample_poly():
    x = _tone(700, sr=44100, seconds=0.5)
    expected = resample_poly(x, 160, 441)  # 16000 / 44100 reduced
    out = _raw([(x, 44100), expected.astype(np.float32)])
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-5)


def test_pad_lengths_and_sides():
    half = np.cos(2 * np.pi * 440 * np.arange(8000) / SR).astype(np.float32)  # 0.5 s
    start = _raw([half], crop="start")[0]
    center = _raw([half], crop="center")[0]
    silent = lambda feats: np.all(np.isclose(feats, SILENCE, rtol=1e-6), axis=1)  # noqa: E731
    # "start": samples 0..7999 kept, zeros after; frame t covers 160 t .. 160 t + 399.
    assert not silent(start)[:50].any() and silent(start)[50:].all()
    # "center": 4000 zeros on each side, so 23 silent frames at each end.
    assert silent(center)[:23].all() and not silent(center)[23:75].any()
    assert silent(center)[75:].all()


def test_crop_lengths_and_sides():
    low, high = 500.0, 3000.0
    two_tones = np.concatenate([_tone(low), _tone(high)])  # 2 s: low, then high
    low_band, high_band = _peak_band(_raw([_tone(low)])[0]), _peak_band(_raw([_tone(high)])[0])
    assert low_band != high_band
    start = _raw([two_tones], crop="start")[0]
    assert start.shape == (98, 40)
    assert all(int(np.argmax(frame)) == low_band for frame in start)
    center = _raw([two_tones], crop="center")[0]  # keeps samples 8000..23999
    assert int(np.argmax(center[0])) == low_band and int(np.argmax(center[-1])) == high_band
    # the switch happens in the middle of the window
    switch = [i for i, frame in enumerate(center) if int(np.argmax(frame)) == high_band][0]
    assert 45 <= switch <= 50
    # an exact-length clip is unchanged by either side
    exact = _tone(440)
    np.testing.assert_array_equal(_raw([exact], crop="start"), _raw([exact], crop="center"))


def test_duration_and_odd_padding():
    clip = _tone(440, seconds=0.2)
    est = AudioFeaturizer(duration=0.5, standardize=False)
    assert est.fit_transform([clip]).shape == (1, 1 + (8000 - 400) // 160, 40)
    # padding an odd number of samples puts the extra zero at the end
    odd = np.ones(7999, dtype=np.float32)
    ref = np.zeros(8000, dtype=np.float32)
    ref[:7999] = 1.0
    np.testing.assert_array_equal(_raw([odd], duration=0.5), _raw([ref], duration=0.5))


# --------------------------------------------------------------------------- #
# Cell kinds
# --------------------------------------------------------------------------- #


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = _tone(500), _tone(2500, amp=0.25)
    stereo = np.stack([left, right], axis=1)
    mono = ((left + right) / 2).astype(np.float32)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo, SR, subtype="FLOAT")
    assert sf.info(path).channels == 2
    out = _raw([path, stereo, (stereo, SR), mono])
    for row in range(3):
        np.testing.assert_allclose(out[row], out[3], rtol=1e-5, atol=1e-5)


def test_integer_arrays_are_scaled_by_their_dtype():
    x = _tone(440)
    int16 = np.round(x * 32767).astype(np.int16)
    out = _raw([int16, int16.astype(np.float32) / 32768, x])
    np.testing.assert_array_equal(out[0], out[1])
    assert _peak_band(out[0]) == _peak_band(out[2])
    int32 = int16.astype(np.int32) << 16
    uint8 = (np.round(x * 127) + 128).astype(np.uint8)
    out = _raw([int32, uint8, (uint8.astype(np.float32) - 128) / 128])
    np.testing.assert_allclose(out[0], _raw([int16])[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out[1], out[2], rtol=1e-6, atol=1e-6)


def test_tuple_at_another_rate_equals_the_file(tone_wav_8k):
    path, pcm = tone_wav_8k
    out = _raw([path, (pcm, 8000), (pcm.astype(np.float32) / 32768, 8000.0)])
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_path_bytes_and_tuple_give_identical_results(tmp_path, fmt):
    pcm = np.round(_tone(1500, sr=22050, seconds=0.8) * 32767).astype(np.int16)
    path = tmp_path / f"clip.{fmt.lower()}"
    sf.write(path, pcm, 22050, format=fmt, subtype="PCM_16")
    data = path.read_bytes()
    cells = [str(path), path, data, bytearray(data), (pcm, 22050)]
    out = _raw(cells)
    for row in range(1, len(cells)):
        np.testing.assert_array_equal(out[row], out[0])
    # each kind alone gives the same result as in the batch
    for cell in cells:
        np.testing.assert_array_equal(_raw([cell])[0], out[0])


def test_bytes_cells_flac_and_ogg():
    x = _tone(1000)
    for fmt, subtype in [("FLAC", "PCM_16"), ("OGG", "VORBIS"), ("WAV", "FLOAT")]:
        out = _raw([_wav_bytes(x, SR, fmt, subtype), x])
        assert _peak_band(out[0]) == _peak_band(out[1]), fmt


def test_containers(tmp_path):
    x = _tone(440)
    path = tmp_path / "a.wav"
    sf.write(path, x, SR, subtype="FLOAT")
    cells = [str(path), x]
    object_array = np.empty(2, dtype=object)
    object_array[:] = cells
    expected = _raw([x])[0]
    for X in [
        cells,
        tuple(cells),
        object_array,
        object_array[:, None],
        pd.Series(cells, name="clip"),
        pd.DataFrame({"clip": cells}),
    ]:
        out = _raw(X)
        assert out.shape == (2, 98, 40)
        np.testing.assert_allclose(out[0], expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(out[1], expected, rtol=1e-6, atol=1e-6)
    out = _raw(np.array([str(path), str(path)]))  # a string array of paths
    np.testing.assert_allclose(out[1], expected, rtol=1e-6, atol=1e-6)


def test_dataframe_feature_names():
    X = pd.DataFrame({"clip": [_tone(440)]})
    est = AudioFeaturizer().fit(X)
    assert est.n_features_in_ == 1
    assert list(est.feature_names_in_) == ["clip"]
    est.transform(X)
    est.transform(X["clip"])  # a Series of the same column is fine
    with pytest.raises(ValueError, match="fitted on column 'clip'.*column 'other'"):
        est.transform(pd.DataFrame({"other": [_tone(440)]}))
    est.fit([_tone(440)])
    assert not hasattr(est, "feature_names_in_")


def test_bad_containers():
    est = AudioFeaturizer()
    with pytest.raises(TypeError, match="single str"):
        est.fit_transform("clip.wav")
    with pytest.raises(TypeError, match="single bytes"):
        est.fit_transform(b"RIFF")
    with pytest.raises(TypeError, match="1-D numeric array.*one clip"):
        est.fit_transform(_tone(440))
    with pytest.raises(ValueError, match="2-D numeric array.*ambiguous"):
        est.fit_transform(np.zeros((3, SR), dtype=np.float32))
    with pytest.raises(ValueError, match="2 columns"):
        est.fit_transform(pd.DataFrame({"a": [_tone(440)], "b": [_tone(440)]}))
    with pytest.raises(ValueError, match="single column"):
        est.fit_transform(np.empty((2, 2), dtype=object))
    with pytest.raises(TypeError, match="column of audio clips"):
        est.fit_transform({"a": 1})
    with pytest.raises(ValueError, match="0 clips"):
        est.fit_transform([])


def test_unsupported_cells():
    _raises_at(42, ["type int", "wrap the clip in a list"], exc=TypeError)
    _raises_at([0.1, 0.2], ["type list", "(samples, sample_rate)"], exc=TypeError)
    _raises_at((_tone(440),), ["tuple of length 1"], exc=TypeError)
    _raises_at(np.ones(100, dtype=bool), ["dtype bool"], exc=TypeError)
    _raises_at(np.ones(100, dtype=complex), ["dtype complex128"], exc=TypeError)
    _raises_at(("abc", SR), ["samples of type str"], exc=TypeError)
    _raises_at(np.zeros((2, 100), dtype=np.float32), ["(2, 100)", "samples.T"])
    _raises_at(np.zeros((10, 2, 2), dtype=np.float32), ["(10, 2, 2)"])


# --------------------------------------------------------------------------- #
# Standardization and missing clips
# --------------------------------------------------------------------------- #


def _training_clips(n=12):
    """Tones of random pitch, length and loudness over a little noise."""
    rng = np.random.default_rng(1)
    clips = []
    for _ in range(n):
        freq, seconds, amp = rng.uniform(100, 6000), rng.uniform(0.3, 1.5), rng.uniform(0.05, 0.9)
        tone = _tone(freq, seconds=seconds, amp=amp)
        clips.append(tone + 0.01 * rng.standard_normal(tone.size).astype(np.float32))
    return clips


def test_standardize_learns_per_band_stats():
    clips = _training_clips()
    raw = _raw(clips)
    est = AudioFeaturizer()
    Z = est.fit_transform(clips)
    assert est.mean_.shape == (40,) and est.std_.shape == (40,)
    np.testing.assert_allclose(est.mean_, raw.mean(axis=(0, 1)), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(est.std_, raw.std(axis=(0, 1)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(Z.mean(axis=(0, 1)), 0.0, atol=1e-4)
    np.testing.assert_allclose(Z.std(axis=(0, 1)), 1.0, atol=1e-3)
    np.testing.assert_allclose(Z, (raw - est.mean_) / est.std_, rtol=1e-4, atol=1e-4)


def test_streaming_statistics_do_not_depend_on_the_batch_size(monkeypatch):
    clips = _training_clips(7)
    whole = AudioFeaturizer().fit(clips)
    monkeypatch.setattr(audio_features, "_BATCH_VALUES", 1)  # one clip per batch
    assert AudioFeaturizer()._config().batch_size == 1
    streamed = AudioFeaturizer().fit(clips)
    np.testing.assert_allclose(streamed.mean_, whole.mean_, rtol=1e-6)
    np.testing.assert_allclose(streamed.std_, whole.std_, rtol=1e-6)
    monkeypatch.setattr(audio_features, "_BATCH_VALUES", 3 * 98 * 40)  # batches of 3
    np.testing.assert_allclose(AudioFeaturizer().fit(clips).std_, whole.std_, rtol=1e-6)
    out = AudioFeaturizer().fit_transform(clips)
    np.testing.assert_allclose(out, whole.transform(clips), rtol=1e-5, atol=1e-5)


def test_standardize_constant_clips_has_floor():
    est = AudioFeaturizer().fit([np.zeros(SR, dtype=np.float32)] * 2)
    np.testing.assert_array_equal(est.std_, np.full(40, 1e-6))
    np.testing.assert_allclose(est.transform([np.zeros(100, dtype=np.float32)]), 0.0)


@pytest.mark.parametrize("standardize", [False, True])
def test_fit_then_transform_equals_fit_transform(tmp_path, standardize):
    path = tmp_path / "t.flac"
    sf.write(path, _tone(880, sr=22050), 22050)
    X = pd.Series([path, *_training_clips(4), (_tone(300, sr=8000), 8000)], name="clip")
    a = AudioFeaturizer(standardize=standardize).fit(X).transform(X)
    b = AudioFeaturizer(standardize=standardize).fit_transform(X)
    np.testing.assert_array_equal(a, b)


def test_missing_error_policy():
    for cell in (None, np.nan, pd.NA, "", "   "):
        message = _raises_at(cell, ["is missing", "missing='zeros'"], missing="error")
        assert "row 1" in message
    with pytest.raises(ValueError, match="is missing"):
        AudioFeaturizer(standardize=False, missing="error").fit([_tone(440), None])


def test_missing_zeros_policy(tmp_path):
    clips = _training_clips(4)
    with_missing = [clips[0], None, clips[1], np.nan, clips[2], "", clips[3]]
    assert AudioFeaturizer().missing == "zeros"  # the default, as for text and images
    est = AudioFeaturizer()
    out = est.fit_transform(pd.Series(with_missing))
    assert out.shape == (7, 98, 40)
    for row in (1, 3, 5):
        assert not out[row].any()
    reference = AudioFeaturizer().fit(clips)
    np.testing.assert_allclose(est.mean_, reference.mean_, rtol=1e-6)  # skipped in stats
    np.testing.assert_allclose(est.std_, reference.std_, rtol=1e-6)
    np.testing.assert_allclose(out[[0, 2, 4, 6]], reference.transform(clips), rtol=1e-6)
    raw = _raw([None, clips[0]], missing="zeros")
    assert not raw[0].any() and raw[1].any()
    # a path to a file that does not exist is never "missing"
    _raises_at(str(tmp_path / "nope.wav"), ["not found", "nope.wav"], missing="zeros")
    # a column missing in every training row is an error under both policies
    for policy in ("zeros", "error"):
        for standardize in (True, False):
            with pytest.raises(ValueError, match="column 'clip'.*every one of the 2 training"):
                AudioFeaturizer(missing=policy, standardize=standardize).fit(
                    pd.Series([None, np.nan], name="clip")
                )
    fitted = AudioFeaturizer(standardize=False).fit(clips)
    assert not fitted.transform([None]).any()  # a missing row at transform is fine


# --------------------------------------------------------------------------- #
# Safety and error messages
# --------------------------------------------------------------------------- #


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "missing.wav"
    _raises_at(missing, ["audio file not found", str(missing)])
    _raises_at(str(tmp_path), ["is a directory", str(tmp_path), "regular audio file"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    result = {}

    def run():
        try:
            AudioFeaturizer().fit_transform(pd.Series([fifo], name="clip"))
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
    assert "column 'clip', row 0" in result["error"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_device_is_refused():
    _raises_at("/dev/zero", ["character device", "/dev/zero"])


def test_corrupt_and_empty_files(tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 10)
    _raises_at(corrupt, ["could not be read as audio", str(corrupt)])
    text = tmp_path / "notes.flac"
    text.write_text("not audio at all")
    _raises_at(text, ["could not be read as audio", str(text), "libsndfile"])
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    _raises_at(empty, ["is empty (0 bytes)", str(empty)])
    no_frames = tmp_path / "no_frames.wav"
    sf.write(no_frames, np.zeros(0, dtype=np.float32), SR)
    assert no_frames.stat().st_size > 0
    _raises_at(no_frames, ["no audio samples", str(no_frames)])


def test_corrupt_and_empty_bytes():
    message = _raises_at(b"definitely not an audio file", ["encoded audio bytes"])
    assert "not as a file path" in message
    _raises_at(b"", ["empty bytes"])
    _raises_at(_wav_bytes(np.zeros(0, dtype=np.float32), SR), ["no audio samples"])


def test_truncated_file_is_read_or_refused_cleanly(tmp_path):
    data = _wav_bytes(_tone(440), SR, "FLAC")
    path = tmp_path / "cut.flac"
    path.write_bytes(data[: len(data) // 3])
    X = pd.Series([path], name="clip")
    try:
        out = _raw(X)
    except ValueError as exc:  # either way: no crash, no other exception type
        assert "column 'clip', row 0" in str(exc) and str(path) in str(exc)
    else:
        assert np.isfinite(out).all()


def test_empty_and_non_finite_samples(tmp_path):
    _raises_at(np.zeros(0, dtype=np.float32), ["no audio samples"])
    _raises_at((np.zeros((0, 2), dtype=np.int16), SR), ["no audio samples"])
    bad = _tone(440)
    bad[[10, 20]] = [np.nan, np.inf]
    _raises_at(bad, ["2 NaN or infinite", "sample 10"])
    _raises_at((bad, 8000), ["NaN or infinite"])
    path = tmp_path / "nan.wav"
    sf.write(path, bad, SR, subtype="FLOAT")
    _raises_at(path, ["NaN or infinite", str(path)])


@pytest.mark.parametrize("rate", [0, -8000, 22050.5, "16000", None, np.nan, True])
def test_bad_tuple_sample_rate(rate):
    _raises_at((_tone(440), rate), ["sample rate", "positive whole number"])


def test_max_duration_is_checked_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    sf.write(path, _tone(440, seconds=2.0), SR)

    def no_read(*args, **kwargs):
        raise AssertionError("samples were decoded")

    monkeypatch.setattr(sf.SoundFile, "read", no_read)
    _raises_at(path, ["longer than max_duration=1.5 s", "lasts 2 s", str(path)], max_duration=1.5)
    _raises_at(path.read_bytes(), ["max_duration=1.5"], max_duration=1.5)
    monkeypatch.undo()
    assert _raw([path], max_duration=2.0).shape == (1, 98, 40)
    assert _raw([path], max_duration=None).shape == (1, 98, 40)


def test_soundfile_is_imported_lazily(tmp_path, monkeypatch):
    code = (
        "import sys, numpy as np\n"
        "from skmm.preprocessing._audio import AudioFeaturizer\n"
        "AudioFeaturizer().fit_transform([np.zeros(100), (np.zeros(100), 8000)])\n"
        "assert 'soundfile' not in sys.modules, 'soundfile imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    monkeypatch.setitem(sys.modules, "soundfile", None)  # as if it were not installed
    assert _raw([np.zeros(100, dtype=np.float32)]).shape == (1, 98, 40)
    path = tmp_path / "a.wav"
    path.write_bytes(b"RIFF")
    for cell in (path, b"RIFF"):
        with pytest.raises(ImportError, match=r'pip install "skmm\[audio\]"'):
            _raw([cell])
    with pytest.raises(ValueError, match="not found"):  # path checks come first
        _raw([tmp_path / "missing.wav"])


# --------------------------------------------------------------------------- #
# Parameters and scikit-learn API
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "params",
    [
        {"sample_rate": 0},
        {"sample_rate": 16000.0},
        {"duration": 0},
        {"duration": 0.01},
        {"crop": "end"},
        {"n_mels": 0},
        {"n_mels": 200},
        {"frame_length": -1},
        {"frame_length": 1e-5},
        {"hop_length": 1e-6},
        {"hop_length": "10ms"},
        {"n_fft": 256},
        {"n_fft": 512.0},
        {"fmin": -1},
        {"fmin": 8000},
        {"fmax": 9000},
        {"fmax": 0.0},
        {"standardize": "yes"},
        {"missing": "drop"},
        {"max_duration": 0},
        {"max_duration": float("inf")},
    ],
)
def test_invalid_params_raise_in_fit(params):
    est = AudioFeaturizer(**params)  # no validation in __init__
    name, value = next(iter(params.items()))
    assert est.get_params()[name] is value
    with pytest.raises(ValueError, match=name):
        est.fit([_tone(440)])


def test_n_fft_and_frequency_range_are_used():
    out = _raw([_tone(440)], n_fft=1024, fmin=300.0, fmax=4000.0, n_mels=10)
    assert out.shape == (1, 98, 10)
    assert _peak_band(out[0]) == 0  # 440 Hz is in the lowest band of 300-4000 Hz
    # a tone above fmax leaves the bands nearly silent
    assert _raw([_tone(6000)], fmax=4000.0).max() < _raw([_tone(3000)], fmax=4000.0).max() - 10


def test_not_fitted_and_block_info():
    est = AudioFeaturizer(sample_rate=8000, n_mels=24, duration=2.0)
    with pytest.raises(NotFittedError):
        est.transform([_tone(440, sr=8000)])
    with pytest.raises(NotFittedError):
        est.get_block_info()
    assert est.fit([_tone(440, sr=8000)]) is est
    assert est.get_block_info() == {
        "kind": "audio",
        "n_frames": 1 + (16000 - 200) // 80,
        "n_mels": 24,
        "sample_rate": 8000,
    }
    assert not hasattr(est, "get_feature_names_out")


def test_params_clone_and_pickle():
    est = AudioFeaturizer(sample_rate=8000, crop="start", n_mels=20)
    params = est.get_params()
    assert params["crop"] == "start" and params["n_mels"] == 20
    assert set(params) == {
        "sample_rate",
        "duration",
        "crop",
        "n_mels",
        "frame_length",
        "hop_length",
        "n_fft",
        "fmin",
        "fmax",
        "standardize",
        "missing",
        "max_duration",
    }
    est.set_params(fmax=3000.0)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(TypeError):
        AudioFeaturizer(16000)  # keyword-only
    clips = [_tone(440, sr=8000), _tone(1000, sr=8000)]
    est.fit(clips)
    assert est.get_params() == {**params, "fmax": 3000.0}  # fit leaves params alone
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.mean_, est.mean_)
    np.testing.assert_array_equal(restored.transform(clips), est.transform(clips))


def test_refit_and_changed_params():
    est = AudioFeaturizer().fit([_tone(440)])
    est.set_params(standardize=False).fit([_tone(440)])
    assert not hasattr(est, "mean_")
    est.set_params(standardize=True)
    with pytest.raises(ValueError, match="call fit again"):
        est.transform([_tone(440)])
    est.fit([_tone(440)]).set_params(n_mels=20)
    with pytest.raises(ValueError, match="call fit again"):
        est.transform([_tone(440)])


def test_tags():
    tags = AudioFeaturizer().__sklearn_tags__()
    assert tags.input_tags.one_d_array and tags.input_tags.string
    assert not tags.input_tags.two_d_array and not tags.input_tags.allow_nan
    assert tags.transformer_tags.preserves_dtype == ["float32"]


def test_data_free_sklearn_checks():
    name, est = "AudioFeaturizer", AudioFeaturizer()
    check_no_attributes_set_in_init(name, est)
    check_parameters_default_constructible(name, est)
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    check_estimator_repr(name, est)
    check_do_not_raise_errors_in_init_or_set_params(name, est)
    check_estimators_unfitted(name, est)


def test_path_types(tmp_path):
    path = tmp_path / "p.wav"
    sf.write(path, _tone(440), SR)
    out = _raw([str(path), Path(path), np.str_(str(path))])
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])


def test_inputs_the_fuzzer_found():
    # tests/test_fuzzing.py found these: an array without channels raised IndexError;
    # a tuple declaring a huge sample rate designed a resampling filter of billions of
    # taps (gigabytes); a long clip at a low declared rate was resampled in full.
    _raises_at(np.zeros((1, 0), dtype=np.int8), ["shape (1, 0)", "no channels"])
    _raises_at((np.zeros(4, dtype=np.float16), 218_517_865), ["218517865 Hz", "768000"])
    _raises_at((np.zeros(7776), 1), ["7776 s", "max_duration=600"])
    assert AudioFeaturizer(max_duration=None, duration=0.1).fit_transform(
        [(np.zeros(700), 1)]
    ).shape == (1, 8, 40)
