"""Log-mel spectrogram frames of decoded audio: the mel filterbank, the window, and
the per-clip computation in aligned buffers that gives the same bits on any input."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Added to the mel energies before the logarithm.
_LOG_OFFSET = 1e-6
#: Feature values per update of the running statistics (bounds fit's working memory).
_BATCH_VALUES = 2**22
#: Byte boundary on which every scratch buffer starts.
_ALIGNMENT = 64


@dataclass(frozen=True, eq=False)
class MelBands:
    """The triangular filterbank as a sparse, fixed-order accumulation.

    Band ``m`` sums ``weights[j, m] * power[bins[j, m]]`` for ``j = 0, 1, ...``
    in that order; past the end of a band's support the weight is 0 (and the
    bin repeats the last one), so every band has ``width`` terms. Written as
    element-wise products and sums, the projection gives the same bits for the
    same power spectrum on any machine, whatever the batch, the memory layout
    or the number of BLAS threads; a matrix product would not (BLAS kernels
    round differently by row position, alignment and thread split).
    """

    bins: np.ndarray  # (width, n_mels) intp
    weights: np.ndarray  # (width, n_mels, 1) float32

    @classmethod
    def from_filterbank(cls, filterbank):
        """Build from a dense ``(n_bins, n_mels)`` filterbank with no empty band."""
        support = filterbank > 0
        first = support.argmax(axis=0)
        last = filterbank.shape[0] - 1 - support[::-1].argmax(axis=0)
        width = int((last - first).max()) + 1
        steps = np.arange(width)[:, None]
        bins = np.minimum(first[None, :] + steps, last[None, :])
        inside = first[None, :] + steps <= last[None, :]
        weights = np.where(inside, filterbank[bins, np.arange(filterbank.shape[1])], 0.0)
        return cls(bins=bins.astype(np.intp), weights=weights.astype(np.float32)[..., None])

    def project(self, power_t, out, term):
        """Write the mel energies ``(n_mels, n_frames)`` of ``power_t`` ``(n_bins, n_frames)``.

        ``out`` and ``term`` are ``(n_mels, n_frames)`` float32 scratch arrays.
        """
        np.take(power_t, self.bins[0], axis=0, out=out)
        out *= self.weights[0]
        for j in range(1, self.bins.shape[0]):
            np.take(power_t, self.bins[j], axis=0, out=term)
            term *= self.weights[j]
            out += term
        return out


@dataclass(frozen=True)
class AudioConfig:
    """Validated parameters and the quantities derived from them."""

    sample_rate: int
    n_samples: int
    crop: str
    frame_len: int
    hop_len: int
    n_fft: int
    n_frames: int
    n_mels: int
    window: np.ndarray
    bands: MelBands
    missing_zeros: bool
    max_duration: float | None

    @property
    def batch_size(self):
        return max(1, _BATCH_VALUES // (self.n_frames * self.n_mels))


def _hz_to_mel(hz):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax):
    """Triangular filters on the HTK mel scale, shape (n_fft // 2 + 1, n_mels), peak 1."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1, dtype=np.float64) * (sample_rate / n_fft)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (freqs[:, None] - lower) / (center - lower)
    falling = (upper - freqs[:, None]) / (upper - center)
    return np.maximum(0.0, np.minimum(rising, falling))


def hann(length):
    """Periodic Hann window (the usual choice for spectral analysis)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / length)


def _place(samples, row, crop):
    """Crop or zero-pad ``samples`` into ``row`` (fully overwritten)."""
    n, length = row.shape[0], samples.shape[0]
    if length >= n:
        start = (length - n) // 2 if crop == "center" else 0
        row[:] = samples[start : start + n]
        return
    left = (n - length) // 2 if crop == "center" else 0
    row[:left] = 0.0
    row[left : left + length] = samples
    row[left + length :] = 0.0


def _scratch(shape):
    """A zeroed C-contiguous float32 array whose data starts on a 64-byte boundary."""
    count = math.prod(shape)
    raw = np.zeros(count * 4 + _ALIGNMENT, dtype=np.uint8)
    offset = -raw.ctypes.data % _ALIGNMENT
    return raw[offset : offset + count * 4].view(np.float32).reshape(shape)


class LogMel:
    """Log-mel frames of one clip at a time, in buffers allocated once per call.

    Every clip goes through the same code, the same shapes and the same
    aligned buffers, so identical samples give identical bits wherever they
    came from (file, bytes, array of any layout) and wherever they sit in the
    column.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        n_bins = cfg.n_fft // 2 + 1
        self.signal = _scratch((cfg.n_samples,))
        self.padded = _scratch((cfg.n_frames, cfg.n_fft))  # columns past frame_len stay 0
        self.power = _scratch((n_bins, cfg.n_frames))
        self.imag = _scratch((n_bins, cfg.n_frames))
        self.mel = _scratch((cfg.n_mels, cfg.n_frames))
        self.term = _scratch((cfg.n_mels, cfg.n_frames))
        frames = sliding_window_view(self.signal, cfg.frame_len)[:: cfg.hop_len]
        self.frames = frames[: cfg.n_frames]

    def __call__(self, samples, out):
        """Write the ``(n_frames, n_mels)`` log-mel energies of ``samples`` into ``out``."""
        cfg = self.cfg
        _place(samples, self.signal, cfg.crop)
        np.multiply(self.frames, cfg.window, out=self.padded[:, : cfg.frame_len])
        # scipy.fft computes the same real DFT as numpy.fft.rfft, several times faster in
        # single precision; it copies each transform into aligned storage of its own.
        from scipy.fft import rfft

        spectrum = rfft(self.padded, axis=-1)
        np.square(spectrum.real.T, out=self.power)
        np.square(spectrum.imag.T, out=self.imag)
        self.power += self.imag
        mel = cfg.bands.project(self.power, self.mel, self.term)
        mel += np.float32(_LOG_OFFSET)
        np.log(mel, out=mel)
        out[...] = mel.T
