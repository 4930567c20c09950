"""Turn a column of audio clips (paths, bytes, arrays) into log-mel spectrogram frames."""

from __future__ import annotations

import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, InvalidParameterError, StrOptions
from ._audio_decoding import cell_kind, decode_cell
from ._audio_features import AudioConfig, LogMel, MelBands, hann, mel_filterbank
from ._columns import MISSING_POLICIES, as_column
from ._messages import is_int, is_real
from ._moments import RunningMoments
from ._single_column import SingleColumnTransformer

__all__ = ["AudioFeaturizer"]

_NAME = "AudioFeaturizer"
_CROPS = ("start", "center")


# --------------------------------------------------------------------------- #
# Input column
# --------------------------------------------------------------------------- #


def _as_column(X):
    """Return a `Column` for any accepted input container."""
    return as_column(
        X,
        estimator=_NAME,
        kind="audio",
        items="audio clips",
        single=(str, bytes, bytearray, os.PathLike),
        wrap_hint="Wrap it in a list to transform one clip, e.g. [path].",
        accepted=(
            "a pandas Series, a one-column DataFrame, a list or tuple, or a 1-D object array"
        ),
        array_cells=_array_cells,
    )


def _array_cells(X):
    if X.ndim == 0:
        raise TypeError(f"{_NAME} expects a column of audio clips; got a 0-d array.")
    if X.dtype.kind in "biufc":
        if X.ndim == 1:
            raise TypeError(
                f"{_NAME} got a 1-D numeric array of dtype {X.dtype} and shape {X.shape}, "
                "which looks like the samples of one clip, not a column of clips. Wrap it "
                "in a list, e.g. [samples] or [(samples, sample_rate)]."
            )
        raise ValueError(
            f"{_NAME} got a {X.ndim}-D numeric array of shape {X.shape}, which is ambiguous: "
            "it could be one multi-channel clip or a table of numbers. Pass a list of clips, "
            "e.g. list(X) for one clip per row, or a 1-D object array."
        )
    if X.ndim == 1:
        return X.tolist()
    if X.ndim == 2 and X.shape[1] == 1:
        return X[:, 0].tolist()
    raise ValueError(
        f"{_NAME} expects a single column of audio clips, but got a {X.dtype} array of "
        f"shape {X.shape}. Pass one column, e.g. X[:, 0]."
    )


# --------------------------------------------------------------------------- #
# Estimator
# --------------------------------------------------------------------------- #


class AudioFeaturizer(SingleColumnTransformer):
    """Turn a column of audio clips into log-mel spectrogram frames.

    Every clip is decoded, mixed down to mono, resampled to ``sample_rate``,
    padded with zeros or cropped to exactly ``round(duration * sample_rate)``
    samples, and cut into overlapping frames. Each frame is windowed (periodic
    Hann), its power spectrum is pooled by ``n_mels`` triangular mel filters and
    the log is taken. With ``standardize=True`` each mel band is then centred
    and scaled with the mean and standard deviation learned in ``fit``. The
    output is float32 of shape ``(n_clips, n_frames, n_mels)``.

    Parameters
    ----------
    sample_rate : int, default=16000
        Target sample rate in Hz. Clips at another rate are resampled with
        `scipy.signal.resample_poly` (polyphase filtering with the reduced
        ratio ``sample_rate / rate``).

    duration : float, default=1.0
        Length of every clip in seconds after padding or cropping:
        ``round(duration * sample_rate)`` samples.

    crop : {"center", "start"}, default="center"
        Which part of a clip is kept when it is too long, and where the zeros go
        when it is too short. ``"center"`` keeps the middle (and pads both sides
        equally, the extra sample at the end); ``"start"`` keeps the beginning
        (and pads at the end).

    n_mels : int, default=40
        Number of mel bands.

    frame_length : float, default=0.025
        Length of one analysis frame in seconds (``round(frame_length *
        sample_rate)`` samples, at least 2).

    hop_length : float, default=0.010
        Step between the starts of consecutive frames in seconds
        (``round(hop_length * sample_rate)`` samples, at least 1).

    n_fft : int or None, default=None
        FFT size; each windowed frame is zero-padded to it. None uses the
        smallest power of two at least as large as the frame length in samples.

    fmin : float, default=0.0
        Lower edge of the lowest mel filter, in Hz.

    fmax : float or None, default=None
        Upper edge of the highest mel filter, in Hz, at most
        ``sample_rate / 2``. None means ``sample_rate / 2``.

    standardize : bool, default=True
        If True, ``fit`` learns the mean and standard deviation of every mel
        band over all frames of all (non-missing) training clips, and
        ``transform`` subtracts the mean and divides by the standard deviation
        (floored at 1e-6).

    missing : {"zeros", "error"}, default="zeros"
        What to do with a missing cell (None, NaN, ``pd.NA`` or an empty or
        whitespace-only string), as for every kind of block: ``"zeros"`` gives
        an all-zero output for that row and leaves it out of the learned
        statistics (inside [`MultimodalInput`][skmm.compose.MultimodalInput] the row's audio
        block is absent, presence mask 0); ``"error"`` raises a ``ValueError``
        naming the row. A path to a file that does not exist is always an
        error, and so is a column missing in every training row.

    max_duration : float or None, default=600.0
        Longest accepted file or bytes clip, in seconds. Its length is read from
        the header and a longer clip is refused before its samples are decoded.
        A ``(samples, sample_rate)`` tuple is held to the same limit before it
        is resampled (at a low declared rate, resampling would multiply its
        length). None removes the limit. Sample arrays are already in memory at
        ``sample_rate`` and are not limited.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: the input is one column of clips.

    feature_names_in_ : ndarray of shape (1,)
        Name of the audio column. Defined only when ``X`` in ``fit`` is a
        one-column DataFrame whose column name is a string.

    mean_ : ndarray of shape (n_mels,)
        Per-band mean of the training log-mel energies. Only with
        ``standardize=True``.

    std_ : ndarray of shape (n_mels,)
        Per-band standard deviation (floored at 1e-6). Only with
        ``standardize=True``.

    See Also
    --------
    skmm.preprocessing.ImageNormalizer : The matching transformer for image columns.

    Notes
    -----
    **Input.** ``X`` is one column of clips: a pandas or polars Series, a
    one-column pandas or polars DataFrame (a polars Binary column holds bytes,
    a List or Array column samples), a list or tuple, or a 1-D object array (or
    one of strings). A bare string or a numeric array (which could be one clip
    or a table) is refused. Each cell may be:

    - a file path (``str`` or ``pathlib.Path``) to WAV, FLAC, OGG or anything
      else libsndfile reads;
    - ``bytes`` holding the encoded contents of such a file, never a path;
    - a ``(samples, sample_rate)`` tuple, resampled from ``sample_rate``;
    - a NumPy array of samples, taken to be at ``sample_rate`` already.

    Samples are an array of shape ``(n_samples,)`` or ``(n_samples,
    n_channels)`` (channels are averaged; an array with more channels than
    samples is refused as probably transposed). Floating-point samples are
    used as they are (nominally in ``[-1, 1]``, not clipped); signed integers
    are divided by ``2 ** (bits - 1)`` (int16 by 32768) and unsigned integers
    are centred first (uint8: ``(x - 128) / 128``), matching how libsndfile
    scales PCM files. Empty clips and clips with NaN or infinite samples raise
    a ``ValueError``.

    **Log-mel features.** With ``L = round(frame_length * sample_rate)`` and
    ``H = round(hop_length * sample_rate)``, frame ``t`` covers samples
    ``t * H`` to ``t * H + L`` of the padded or cropped clip; there is no extra
    padding at the edges, so ``n_frames = 1 + (n_samples - L) // H``. Each
    frame is multiplied by a periodic Hann window, zero-padded to ``n_fft`` and
    its power spectrum ``|rfft|**2`` (no scaling) is pooled by the
    filterbank: each band adds its weighted FFT bins in frequency order. The
    ``n_mels`` filters are triangles whose edges are equally spaced on the HTK
    mel scale ``2595 * log10(1 + f / 700)`` between ``fmin`` and ``fmax``; each
    rises from 0 at its lower edge to 1 at its centre and falls to 0 at its
    upper edge (peak-normalized, no Slaney area normalization, so a tone gives
    the same response whatever the band's width). The output is
    ``log(mel + 1e-6)``, about -13.8 for silence. A parameter set leaving some
    filter without any FFT bin (too many bands for ``n_fft``) raises a ``ValueError`` in ``fit``.

    **Reproducibility.** Identical samples give identical bits. Each clip is
    featurized on its own, through the same code, shapes and 64-byte-aligned
    buffers, and the mel pooling and the channel average are element-wise
    sums in a fixed order rather than BLAS products (whose rounding depends on
    a row's position in the product, the memory alignment and the number of
    threads). So, within one installation, a clip gives the same features
    whatever its origin (a file, its bytes, a ``(samples, rate)`` tuple, an
    array of any dtype, byte order, memory order or alignment), its position in
    the column and the number of BLAS threads. Other NumPy or SciPy releases
    gave the same bits on one x86-64 CPU (NumPy 1.26 with SciPy 1.10, the lowest
    supported, against NumPy 2.4 with SciPy 1.17); another CPU may round the FFT
    and the logarithm differently in the last bits, so compare features across
    machines with a tolerance (``rtol=1e-6``).

    **Safety.** Files and bytes are decoded by libsndfile (through
    ``soundfile``, the ``audio`` extra, imported only when such a cell is
    decoded). A path is checked with ``os.stat`` before it is opened:
    directories, FIFOs, devices and empty files are refused. Clips longer than
    ``max_duration`` are refused from their header. Unreadable or corrupt
    files raise a ``ValueError`` naming the column, the row (position and
    index label) and the path.

    ``fit`` checks the parameters and that every cell is of a supported kind;
    it decodes the clips only when ``standardize=True``, in batches, keeping
    only the running statistics.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import AudioFeaturizer
    >>> t = np.arange(8000) / 8000
    >>> clips = [
    ...     np.sin(2 * np.pi * 440 * t),  # 1 s at sample_rate
    ...     (np.sin(2 * np.pi * 1000 * t[:2000]), 4000),  # 0.5 s at 4 kHz, resampled
    ... ]
    >>> featurizer = AudioFeaturizer(sample_rate=8000, n_mels=20, standardize=False)
    >>> X = featurizer.fit_transform(clips)
    >>> X.shape, X.dtype
    ((2, 98, 20), dtype('float32'))
    >>> featurizer.get_block_info()
    {'kind': 'audio', 'n_frames': 98, 'n_mels': 20, 'sample_rate': 8000}

    With ``standardize=True`` every mel band of the training clips ends up with
    mean about 0 and standard deviation about 1:

    >>> scaler = AudioFeaturizer(sample_rate=8000, n_mels=20).fit(clips)
    >>> scaler.mean_.shape
    (20,)
    >>> Z = scaler.transform(clips)
    >>> bool(np.allclose(Z.mean(axis=(0, 1)), 0.0, atol=1e-4))
    True
    """

    def __init__(
        self,
        *,
        sample_rate=16000,
        duration=1.0,
        crop="center",
        n_mels=40,
        frame_length=0.025,
        hop_length=0.010,
        n_fft=None,
        fmin=0.0,
        fmax=None,
        standardize=True,
        missing="zeros",
        max_duration=600.0,
    ):
        self.sample_rate = sample_rate
        self.duration = duration
        self.crop = crop
        self.n_mels = n_mels
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.n_fft = n_fft
        self.fmin = fmin
        self.fmax = fmax
        self.standardize = standardize
        self.missing = missing
        self.max_duration = max_duration

    # ------------------------------------------------------------------ #
    # Validation
    # ------------------------------------------------------------------ #

    _parameter_constraints = {
        "sample_rate": [Interval(Integral, 1, None, closed="left")],
        "duration": [Interval(Real, 0, None, closed="neither")],
        "crop": [StrOptions(set(_CROPS))],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "frame_length": [Interval(Real, 0, None, closed="neither")],
        "hop_length": [Interval(Real, 0, None, closed="neither")],
        "n_fft": [None, Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [None, Interval(Real, 0, None, closed="neither")],
        "standardize": ["boolean"],
        "missing": [StrOptions(set(MISSING_POLICIES))],
        "max_duration": [None, Interval(Real, 0, None, closed="neither")],
    }

    def _config(self):
        """Validate the parameters and return them with the derived sizes.

        Each parameter's type and range is checked by ``_validate_params``; the
        rules between parameters (a frame of at least 2 samples, ``n_fft`` at
        least the frame, ``fmin < fmax <= sample_rate / 2``, no empty mel band)
        here, raising ``InvalidParameterError`` too.
        """
        self._validate_params()
        sr = int(self.sample_rate)
        frame_len = round(self.frame_length * sr)
        if frame_len < 2:
            raise InvalidParameterError(
                f"{_NAME}: frame_length={self.frame_length!r} s is {frame_len} sample(s) at "
                f"sample_rate={sr}; a frame needs at least 2 samples."
            )
        hop_len = round(self.hop_length * sr)
        if hop_len < 1:
            raise InvalidParameterError(
                f"{_NAME}: hop_length={self.hop_length!r} s is 0 samples at sample_rate={sr}; "
                "the hop needs at least 1 sample."
            )
        n_samples = round(self.duration * sr)
        if n_samples < frame_len:
            raise InvalidParameterError(
                f"{_NAME}: duration={self.duration!r} s is {n_samples} samples at "
                f"sample_rate={sr}, shorter than one frame ({frame_len} samples, "
                f"frame_length={self.frame_length!r} s)."
            )
        n_fft = self.n_fft
        if n_fft is None:
            n_fft = 1 << (frame_len - 1).bit_length()
        elif not (is_int(n_fft) and n_fft >= frame_len):
            raise InvalidParameterError(
                f"{_NAME}: n_fft must be None or an integer at least the frame length "
                f"({frame_len} samples); got {n_fft!r}."
            )
        n_fft = int(n_fft)
        nyquist = sr / 2
        if not (is_real(self.fmin) and 0 <= self.fmin < nyquist):
            raise InvalidParameterError(
                f"{_NAME}: fmin must be a number of Hz in [0, sample_rate / 2 = {nyquist:g}); "
                f"got {self.fmin!r}."
            )
        fmax = nyquist if self.fmax is None else self.fmax
        if not (is_real(fmax) and self.fmin < fmax <= nyquist):
            raise InvalidParameterError(
                f"{_NAME}: fmax must be None or a number of Hz above fmin={self.fmin!r} and at "
                f"most sample_rate / 2 = {nyquist:g}; got {self.fmax!r}."
            )
        max_duration = self.max_duration
        filterbank = mel_filterbank(sr, n_fft, int(self.n_mels), float(self.fmin), float(fmax))
        empty = np.flatnonzero(filterbank.max(axis=0) <= 0)
        if empty.size:
            raise InvalidParameterError(
                f"{_NAME}: with n_mels={self.n_mels!r} and n_fft={n_fft} (FFT bins every "
                f"{sr / n_fft:g} Hz) between fmin={self.fmin!r} and fmax={fmax!r} Hz, mel "
                f"band(s) {empty.tolist()} contain no FFT bin. Lower n_mels, raise n_fft or "
                "widen fmin-fmax."
            )
        return AudioConfig(
            sample_rate=sr,
            n_samples=int(n_samples),
            crop=self.crop,
            frame_len=int(frame_len),
            hop_len=int(hop_len),
            n_fft=n_fft,
            n_frames=1 + (n_samples - frame_len) // hop_len,
            n_mels=int(self.n_mels),
            window=hann(frame_len).astype(np.float32),
            bands=MelBands.from_filterbank(filterbank),
            missing_zeros=self.missing == "zeros",
            max_duration=None if max_duration is None else float(max_duration),
        )

    _name = _NAME
    _cell_noun = "an audio clip"
    _cells_noun = "clips"
    _as_column = staticmethod(_as_column)

    # ------------------------------------------------------------------ #
    # Featurizing
    # ------------------------------------------------------------------ #

    @staticmethod
    def _featurize(column, cfg, *, out, moments):
        """Decode and featurize every clip in batches.

        Writes into ``out`` (when given) and feeds ``moments`` (when given) with the
        frames of the non-missing clips. Returns the boolean mask of missing rows.
        """
        n = len(column)
        batch = min(cfg.batch_size, n)
        log_mel = LogMel(cfg)
        shape = (batch, cfg.n_frames, cfg.n_mels)
        buffer = None if out is not None else np.empty(shape, dtype=np.float32)
        missing = np.zeros(n, dtype=bool)
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            features = out[start:stop] if out is not None else buffer[: stop - start]
            for position in range(start, stop):
                cell = column.cells[position]
                where = column.where(position, _NAME)
                kind = cell_kind(cell, where, cfg.missing_zeros)
                if kind == "missing":
                    missing[position] = True
                    features[position - start] = 0.0
                else:
                    log_mel(decode_cell(cell, kind, cfg, where), features[position - start])
            if moments is not None:
                present = ~missing[start:stop]
                if present.any():
                    # Every frame of every clip is one sample of the mel bands.
                    frames = features[present].reshape(-1, cfg.n_mels)
                    moments.update(frames.astype(np.float64))
        return missing

    def fit(self, X, y=None):
        """Check the parameters and the input; learn per-band statistics if asked.

        Parameters
        ----------
        X : column of audio clips
            A pandas Series, a one-column DataFrame, a list or tuple, or a 1-D
            object array. See the class Notes for the accepted cells.

        y : None
            Ignored.

        Returns
        -------
        self : AudioFeaturizer
            The fitted transformer.
        """
        cfg = self._config()
        column = self._column(X, reset=True)
        self._reset()
        if not self.standardize:
            for position, cell in enumerate(column.cells):
                cell_kind(cell, column.where(position, _NAME), cfg.missing_zeros)
            return self
        moments = RunningMoments(cfg.n_mels)
        self._featurize(column, cfg, out=None, moments=moments)
        self._learn_moments(moments, column)
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return it featurized, decoding each clip once.

        Parameters
        ----------
        X : column of audio clips
            See `fit`.

        y : None
            Ignored.

        Returns
        -------
        X_out : ndarray of shape (n_clips, n_frames, n_mels), dtype float32
            Log-mel frames, standardized per band when ``standardize=True``.
        """
        cfg = self._config()
        column = self._column(X, reset=True)
        self._reset()
        out = np.empty((len(column), cfg.n_frames, cfg.n_mels), dtype=np.float32)
        moments = RunningMoments(cfg.n_mels) if self.standardize else None
        missing = self._featurize(column, cfg, out=out, moments=moments)
        if moments is not None:
            self._learn_moments(moments, column)
        return self._standardized(out, missing, self._check_standardization(cfg.n_mels, "n_mels"))

    def transform(self, X):
        """Decode every clip and compute its log-mel frames.

        Parameters
        ----------
        X : column of audio clips
            See `fit`.

        Returns
        -------
        X_out : ndarray of shape (n_clips, n_frames, n_mels), dtype float32
            Log-mel frames, standardized per band when ``standardize=True``.
            Missing rows (with ``missing="zeros"``) are all zeros.
        """
        check_is_fitted(self)
        cfg = self._config()
        stats = self._check_standardization(cfg.n_mels, "n_mels")
        column = self._column(X, reset=False)
        out = np.empty((len(column), cfg.n_frames, cfg.n_mels), dtype=np.float32)
        missing = self._featurize(column, cfg, out=out, moments=None)
        return self._standardized(out, missing, stats)

    def get_block_info(self):
        """Describe the encoded block for building the network input.

        Returns
        -------
        info : dict
            ``{"kind": "audio", "n_frames": n_frames, "n_mels": n_mels,
            "sample_rate": sample_rate}``.
        """
        check_is_fitted(self)
        cfg = self._config()
        return {
            "kind": "audio",
            "n_frames": cfg.n_frames,
            "n_mels": cfg.n_mels,
            "sample_rate": cfg.sample_rate,
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # One column of clips: paths (strings), bytes, tuples or arrays.
        tags.input_tags.allow_nan = False
        return tags
