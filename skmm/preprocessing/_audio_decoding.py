"""Decoding one audio cell (a path, encoded bytes, a (samples, rate) tuple or an
array of samples) into mono float32 samples at the transformer's sample rate."""

from __future__ import annotations

import functools
import io
import math
import os

import numpy as np

from ._columns import media_cell_kind
from ._files import open_regular_file
from ._messages import describe_value, is_real
from ._video_decoding import read_audio_track

_EXPECTED_CELL = (
    "Expected a file path (str or pathlib.Path), the encoded bytes of an audio file, a "
    "(samples, sample_rate) tuple, or a NumPy array of samples of shape (n_samples,) or "
    "(n_samples, n_channels)"
)
_INSTALL_HINT = (
    "AudioFeaturizer needs the optional dependency 'soundfile' (with libsndfile) to decode audio "
    'files and bytes. Install it with: pip install "skmm[audio]"'
)


def cell_kind(cell, where, missing_zeros):
    """Return ``"missing"``, ``"path"``, ``"bytes"``, ``"tuple"`` or ``"array"``."""
    return media_cell_kind(
        cell,
        where,
        missing_zeros,
        items="clips",
        filled="all-zero features",
        tuple_form="(samples, sample_rate)",
        expected=_EXPECTED_CELL,
        hint=(
            "A column of numbers looks like the samples of one clip: wrap the clip in a "
            "list, e.g. [np.asarray(samples)] or [(samples, sample_rate)]."
        ),
    )


def _soundfile():
    """Import soundfile on first use; a clear ImportError when it is not installed."""
    try:
        import soundfile
    except (ImportError, OSError) as exc:  # OSError: libsndfile itself is missing
        raise ImportError(f"{_INSTALL_HINT} ({type(exc).__name__}: {exc}).") from exc
    return soundfile


def decode_cell(cell, kind, cfg, where):
    """Decode one non-missing cell into mono float32 samples at ``cfg.sample_rate``."""
    if kind == "path":
        samples, rate, source = _decode_path(cell, cfg, where)
    elif kind == "bytes":
        data = bytes(cell)
        if not data:
            raise ValueError(
                f"{where} holds empty bytes (0 bytes). Expected the encoded contents of an "
                "audio file (WAV, FLAC, OGG, ...)."
            )
        source = f"the encoded audio bytes ({len(data)} bytes)"
        hint = " Bytes cells are read as encoded audio contents, not as a file path."
        samples, rate = _decode_stream(io.BytesIO(data), cfg, where, source, hint)
    elif kind == "tuple":
        array, rate = cell
        source = "the (samples, sample_rate) tuple"
        rate = _tuple_rate(rate, where)
        samples = _to_mono_float(array, where, source)
        if cfg.max_duration is not None and len(samples) > cfg.max_duration * rate:
            # resampling it would take len(samples) * sample_rate / rate values
            raise ValueError(
                f"{where}: {source} lasts {len(samples) / rate:.6g} s ({len(samples)} samples "
                f"at {rate} Hz), longer than max_duration={cfg.max_duration:g} s. Expected a "
                "shorter clip, the right sample rate, or a larger max_duration."
            )
    else:
        source = "the sample array"
        rate = cfg.sample_rate
        samples = _to_mono_float(cell, where, source)
    if rate != cfg.sample_rate:
        g = math.gcd(rate, cfg.sample_rate)
        up, down = cfg.sample_rate // g, rate // g
        from scipy.signal import resample_poly  # imported on use: it is slow to import

        samples = np.ascontiguousarray(samples)
        samples = resample_poly(samples, up, down, window=_resampling_filter(up, down))
        samples = samples.astype(np.float32, copy=False)
    return samples


@functools.lru_cache(maxsize=16)
def _resampling_filter(up, down):
    """The low-pass filter `scipy.signal.resample_poly` designs by default.

    Designed once per ratio instead of once per clip (``resample_poly`` copies it).
    """
    from scipy.signal import firwin

    max_rate = max(up, down)
    taps = firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))
    taps = taps.astype(np.float32)
    taps.setflags(write=False)
    return taps


#: Highest sample rate accepted from a file header or a tuple (the highest PCM rate in
#: use). Resampling from a rate r designs a filter of about 20 * r / gcd(r, sample_rate)
#: taps, so a huge declared rate would need gigabytes.
MAX_SOURCE_RATE = 768_000


def _tuple_rate(rate, where):
    if not is_real(rate) or rate <= 0 or rate != int(rate):
        raise ValueError(
            f"{where}: the (samples, sample_rate) tuple has sample rate {describe_value(rate)}. "
            "Expected a positive whole number of Hz, e.g. 16000."
        )
    return _check_source_rate(int(rate), where, "the (samples, sample_rate) tuple")


def _check_source_rate(rate, where, source):
    if rate > MAX_SOURCE_RATE:
        raise ValueError(
            f"{where}: {source} declares sample rate {rate} Hz, above the {MAX_SOURCE_RATE} Hz "
            "that audio is recorded at. Expected a real audio sample rate, e.g. 16000."
        )
    return rate


def _to_mono_float(array, where, source):
    """Scale samples to float32 and average channels; refuse empty or non-finite audio."""
    if isinstance(array, (list, tuple)):
        array = np.asarray(array)
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{where}: {source} holds samples of type {type(array).__name__}. Expected a "
            "NumPy array of shape (n_samples,) or (n_samples, n_channels)."
        )
    kind = array.dtype.kind
    if kind == "f":
        samples = array.astype(np.float32, copy=False)
    elif kind == "i":
        scale = float(2 ** (8 * array.dtype.itemsize - 1))
        samples = (array.astype(np.float64) / scale).astype(np.float32)
    elif kind == "u":
        half = float(2 ** (8 * array.dtype.itemsize - 1))
        samples = ((array.astype(np.float64) - half) / half).astype(np.float32)
    else:
        raise TypeError(
            f"{where}: {source} has samples of dtype {array.dtype}. Expected floating-point "
            "samples (about -1 to 1) or integer PCM samples (int16, int32, uint8, ...)."
        )
    if samples.ndim not in (1, 2):
        raise ValueError(
            f"{where}: {source} has shape {samples.shape}. Expected samples of shape "
            "(n_samples,) or (n_samples, n_channels)."
        )
    if samples.ndim == 2 and samples.shape[1] == 0:
        raise ValueError(
            f"{where}: {source} has shape {samples.shape}: no channels. Expected samples "
            "of shape (n_samples,) or (n_samples, n_channels) with at least one channel."
        )
    if samples.ndim == 2 and samples.shape[0] > 0:
        if samples.shape[1] > samples.shape[0]:
            raise ValueError(
                f"{where}: {source} has shape {samples.shape}, more channels than samples; "
                "it looks like (n_channels, n_samples). Expected (n_samples, n_channels): "
                "transpose it, e.g. samples.T."
            )
        samples = _mix_down(samples)
    return _check_samples(samples, where, source)


def _mix_down(samples):
    """Average the channels of ``(n_samples, n_channels)`` float32 samples, in channel order.

    The channels are added one by one in float64, so the result does not depend
    on the array's memory order (a reduction over an axis would choose its
    summation order by the strides).
    """
    if samples.shape[1] == 1:
        return samples[:, 0]
    total = samples[:, 0].astype(np.float64)
    for channel in range(1, samples.shape[1]):
        total += samples[:, channel]
    total /= samples.shape[1]
    return total.astype(np.float32)


def _check_samples(samples, where, source):
    if samples.shape[0] == 0:
        raise ValueError(
            f"{where}: {source} contains no audio samples (zero length). Expected at least "
            "one sample."
        )
    finite = np.isfinite(samples)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"{where}: {source} contains {bad.size} NaN or infinite sample(s), the first at "
            f"sample {bad[0]}. Expected finite samples."
        )
    return samples


def _decode_path(cell, cfg, where):
    path = os.fspath(cell)
    source = f"audio file {path!r}"
    with open_regular_file(path, where, "audio", expected="an encoded audio file") as fh:
        samples, rate = _decode_stream(fh, cfg, where, source, "")
    return samples, rate, source


def _decode_stream(fh, cfg, where, source, hint):
    """Read a file object: the audio track of a video container (MP4, WebM, AVI, ...)
    with PyAV, anything else with libsndfile; header checks first, then the samples."""
    track = read_audio_track(fh, where, source, cfg.max_duration, hint)
    if track is not None:
        data, rate = track
        _check_source_rate(rate, where, source)
        return _check_samples(_mix_down(data), where, source), rate
    sf = _soundfile()
    try:
        sound = sf.SoundFile(fh)
    except MemoryError:
        raise
    except Exception as exc:
        raise ValueError(
            f"{where}: {source} could not be read as audio ({type(exc).__name__}: "
            f"{str(exc).rstrip('.')}). Expected a WAV, FLAC, OGG or other file that "
            f"libsndfile reads.{hint}"
        ) from exc
    with sound:
        frames, rate = sound.frames, sound.samplerate
        if rate <= 0:
            raise ValueError(
                f"{where}: {source} declares sample rate {rate}. Expected a positive rate."
            )
        _check_source_rate(rate, where, source)
        if frames <= 0:
            raise ValueError(
                f"{where}: {source} contains no audio samples (0 frames). Expected at least "
                "one sample."
            )
        if cfg.max_duration is not None and frames > cfg.max_duration * rate:
            raise ValueError(
                f"{where}: {source} lasts {frames / rate:.6g} s ({frames} frames at {rate} "
                f"Hz), longer than max_duration={cfg.max_duration:g} s; it is refused before "
                "its samples are decoded. Expected a shorter clip, or raise max_duration."
            )
        try:
            data = sound.read(frames, dtype="float32", always_2d=True)
        except MemoryError:
            raise
        except Exception as exc:
            raise ValueError(
                f"{where}: {source} is corrupt: decoding its samples failed "
                f"({type(exc).__name__}: {str(exc).rstrip('.')})."
            ) from exc
    return _check_samples(_mix_down(data), where, source), int(rate)
