"""Turn a column of video clips (paths, bytes, arrays of frames) into a float32 tensor
of sampled frames, ``(n, n_frames, height, width, channels)``."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions
from ._columns import as_column
from ._files import check_root, resolve_under_root
from ._image import IMAGE_PARAMETER_CONSTRAINTS, image_decode_spec
from ._image_decoding import DecodeSpec
from ._image_reading import LazyDecoding, LazyImages, decode_rows, n_threads
from ._moments import RunningMoments
from ._single_column import SingleColumnTransformer
from ._video_decoding import CONTAINERS, FrameSampling, cell_kind, decode_video_into

__all__ = ["LazyVideos", "VideoFrames", "frame_mask"]

_NAME = "VideoFrames"
_FIT_CHUNK_PER_THREAD = 4


def frame_mask(frames):
    """Which frames of a `VideoFrames` output are real (True) rather than padding.

    Padding frames (``pad="zeros"``) and the frames of a missing clip are zero
    everywhere, in the output space; a real frame never is in practice (it
    would have to equal the training mean at every pixel). The video encoders
    of the network read the mask the same way.

    Parameters
    ----------
    frames : ndarray of shape (n, n_frames, height, width, channels)

    Returns
    -------
    mask : ndarray of shape (n, n_frames), bool
    """
    frames = np.asarray(frames)
    return (frames != 0).reshape(frames.shape[0], frames.shape[1], -1).any(axis=2)


def _as_column(X):
    """Return a `Column` for any accepted input container."""
    return as_column(
        X,
        estimator=_NAME,
        kind="video",
        items="videos",
        single=(str, bytes, bytearray, os.PathLike),
        wrap_hint="Wrap it in a list to transform one clip, e.g. [path].",
        accepted=(
            "a pandas Series, a one-column DataFrame, a list or tuple, a 1-D object array, "
            "or a numeric array stacking clips as (n, T, H, W) or (n, T, H, W, C)"
        ),
        array_cells=_array_cells,
    )


def _array_cells(X):
    numeric = X.dtype.kind in "biuf"
    if X.ndim == 1 and not numeric:
        return X
    if not numeric:
        if X.ndim == 2 and X.shape[1] == 1:
            return X[:, 0]
        raise ValueError(
            f"VideoFrames expects a single column of videos, but got a {X.dtype} array of "
            f"shape {X.shape}. Pass one column, e.g. X[:, 0]."
        )
    if X.ndim == 4 or (X.ndim == 5 and X.shape[4] in (1, 3, 4)):
        return list(X)
    raise ValueError(
        f"VideoFrames got a numeric array of shape {X.shape}. Expected a stack of clips "
        "(n, T, H, W) or (n, T, H, W, C) with C in 1, 3, 4, or a column of cells."
    )


@dataclass(frozen=True, eq=False)
class VideoDecoder:
    """The fitted decoding settings of `VideoFrames`: everything needed to decode a
    cell, and picklable."""

    spec: DecodeSpec
    sampling: FrameSampling
    missing: str
    root: str | None
    shown_root: str | None
    n_jobs: int | None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    name = _NAME

    @property
    def row_shape(self):
        """``(n_frames, height, width, channels)``."""
        spec = self.spec
        return (self.sampling.n_frames, spec.height, spec.width, spec.channels)

    def with_stats(self, mean, std):
        return replace(
            self, mean=np.asarray(mean, dtype=np.float32), std=np.asarray(std, dtype=np.float32)
        )

    def _kind(self, cell, where):
        return cell_kind(cell, where, self.missing == "zeros")

    def _resolve(self, cell, where):
        if self.root is not None:
            return resolve_under_root(cell, self.root, self.shown_root, where, noun="video")
        return cell

    def check(self, cell, where):
        """Check a cell without decoding it; return False for a missing cell."""
        kind = self._kind(cell, where)
        if kind == "path":
            self._resolve(cell, where)
        return kind != "missing"

    def decode(self, cell, out, where):
        """Decode one cell into ``out``; return its number of real frames (0: missing)."""
        kind = self._kind(cell, where)
        if kind == "missing":
            out[...] = 0.0
            return 0
        if kind == "path":
            cell = self._resolve(cell, where)
        n_real = decode_video_into(cell, kind, self.spec, self.sampling, out, where)
        if self.mean is not None:
            real = out if self.sampling.pad == "repeat" else out[:n_real]
            real -= self.mean
            real /= self.std
        return n_real


class LazyVideos(LazyImages):
    """Clips of one column, decoded only when rows are indexed.

    Returned by `VideoFrames.transform` (and ``fit_transform``) when decoding is
    lazy; not meant to be built directly. It behaves as a read-only float32
    array of shape ``(n, n_frames, height, width, channels)``: indexing rows
    decodes exactly those rows (in ``n_jobs`` threads), with the same result as
    the eager ``transform``; ``take(rows)`` selects rows without decoding.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import VideoFrames
    >>> clips = [np.zeros((5, 8, 8), dtype=np.uint8)] * 3
    >>> lazy = VideoFrames(n_frames=4, size=(4, 4), standardize=False, lazy=True)
    >>> frames = lazy.fit_transform(clips)
    >>> frames
    LazyVideos(shape=(3, 4, 4, 4, 3), dtype=float32)
    >>> frames[np.array([0, 2])].shape
    (2, 4, 4, 4, 3)
    """


class VideoFrames(LazyDecoding, SingleColumnTransformer):
    """Decode a column of video clips into sampled frames, ``(n, n_frames, H, W, channels)``.

    Each clip is decoded with PyAV (FFmpeg), ``n_frames`` frames are sampled
    from it (spread uniformly, or at a target ``fps``, over the whole clip or a
    ``clip_seconds`` window), and every frame is resized, converted to
    ``channels`` and scaled to ``[0, 1]`` exactly as
    [`ImageNormalizer`][skmm.preprocessing.ImageNormalizer] treats an image
    (same ``resize`` policies, same ``background``), then standardized per
    channel with statistics learned in ``fit``. Clips are decoded by ``n_jobs``
    threads, all at once (an array) or lazily, batch by batch (a
    `LazyVideos`).

    Parameters
    ----------
    n_frames : int, default=8
        Frames kept per clip: the length of the output's second axis.

    fps : float or None, default=None
        None: the ``n_frames`` frames are spread uniformly over the clip (or
        the window), each the middle frame of its share. A number: one frame
        every ``1 / fps`` seconds from the window's start (at most
        ``n_frames``; every frame when the clip's own rate is lower). Times
        are counted with the clip's average frame rate.

    clip_seconds : float or None, default=None
        Length of the window frames are taken from. None: the whole clip.

    clip_position : {"start", "center"}, default="start"
        Where the ``clip_seconds`` window lies in a longer clip.

    pad : {"zeros", "repeat"}, default="zeros"
        What fills the frames a short clip lacks (fewer frames in the window
        than ``n_frames``). ``"zeros"``: all-zero frames, in the output space,
        which the network's video encoders mask out (see `frame_mask`).
        ``"repeat"``: the last real frame, repeated.

    size : tuple of (int, int), default=(64, 64)
        Output ``(height, width)`` of each frame, in pixels.

    channels : {1, 3}, default=3
        Output channels: 1 for luminance, 3 for RGB.

    resize : {"stretch", "pad", "crop"}, default="stretch"
        Aspect-ratio policy of each frame, as in ``ImageNormalizer``.

    background : tuple of 3 int, default=(255, 255, 255)
        RGB colour that ``resize="pad"`` fills with (and transparent pixels
        of array frames are composited over).

    standardize : bool, default=True
        If True, ``fit`` learns the per-channel mean and standard deviation of
        the real frames of the training clips (padding and missing clips left
        out) and ``transform`` subtracts the mean and divides by the standard
        deviation.

    max_pixels : int or None, default=8_294_400
        Largest accepted ``width * height`` of a frame (4K UHD by default),
        read from the container's header before any frame is decoded.

    max_frames : int or None, default=20_000
        Largest number of frames a clip may hold (from the header, or counted
        from its packets when the header has no count), checked before
        decoding.

    max_duration : float or None, default=600.0
        Longest accepted clip, in seconds, checked from the header before
        decoding.

    resample : {"nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"}, \
default="bilinear"
        Pillow resampling filter used to resize frames.

    root : str, os.PathLike or None, default=None
        Directory that every file path must stay inside, as in
        ``ImageNormalizer``: relative paths are taken relative to it and a
        path resolving outside it raises a ``ValueError`` naming the row.

    missing : {"zeros", "error"}, default="zeros"
        What a missing cell (None, NaN, ``pd.NA``, an empty string) becomes:
        an all-zeros clip that [`MultimodalInput`][skmm.compose.MultimodalInput]
        marks absent, or an error naming the row.

    lazy : bool or "auto", default="auto"
        Whether ``transform`` and ``fit_transform`` return a `LazyVideos`.
        ``"auto"``: lazy when every non-missing cell is a file path and the
        decoded array would take more than 512 MiB.

    n_jobs : int or None, default=None
        Threads that decode clips (one clip per thread at a time; FFmpeg's
        own threading is off). None: ``os.cpu_count()``, at most 8; -1:
        ``os.cpu_count()``. The output does not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Always 1.

    feature_names_in_ : ndarray of shape (1,)
        Name of the video column, when ``X`` is a one-column DataFrame.

    mean_ : ndarray of shape (channels,)
        Per-channel mean of the real training frames in ``[0, 1]`` units.
        Only with ``standardize=True``.

    std_ : ndarray of shape (channels,)
        Per-channel standard deviation (floored at 1e-6). Only with
        ``standardize=True``.

    See Also
    --------
    skmm.preprocessing.ImageNormalizer : The transformer for a column of images.
    skmm.preprocessing.AudioFeaturizer : Reads the audio track of the same clips.

    Notes
    -----
    **Cells.** A file path (str or ``pathlib.Path``), the bytes of a video
    file, a NumPy array of frames ``(T, H, W)`` or ``(T, H, W, C)`` (dtypes as
    for an image array; with ``fps`` set it is read as recorded at ``fps``), or
    a ``(frames, fps)`` tuple. A numeric stack ``(n, T, H, W[, C])`` is a
    column of array cells.

    **Safety.** A path is opened here, never handed to FFmpeg: directories,
    FIFOs, devices and empty files are refused before they are opened; the
    first bytes must name a container of the whitelist (MP4 / QuickTime,
    Matroska / WebM, AVI, GIF) and PyAV gets the open file with that demuxer
    alone, so URLs (``http:``, ``concat:``, ``subfile,``), playlists (HLS
    ``.m3u8``) and any file they point to are never read. Frame size, frame
    count and duration are checked from the header before decoding; decoding
    is sequential from the start and stops at the last needed frame, reading
    at most 64 packets past it. Corrupt and truncated files raise a
    ``ValueError`` naming the column, the row and the file.

    **Frame mask.** Padding frames and missing clips are zero in the output
    space; `frame_mask` gives the mask, and the network's temporal encoders
    ignore those frames.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import VideoFrames
    >>> rng = np.random.default_rng(0)
    >>> clips = [
    ...     rng.integers(0, 256, size=(12, 24, 32, 3), dtype=np.uint8),
    ...     rng.integers(0, 256, size=(3, 24, 32), dtype=np.uint8),  # 3 grey frames
    ...     None,  # a missing clip
    ... ]
    >>> frames = VideoFrames(n_frames=4, size=(16, 16)).fit_transform(clips)
    >>> frames.shape, frames.dtype
    ((3, 4, 16, 16, 3), dtype('float32'))
    >>> from skmm.preprocessing import frame_mask
    >>> frame_mask(frames).astype(int)
    array([[1, 1, 1, 1],
           [1, 1, 1, 0],
           [0, 0, 0, 0]])
    """

    def __init__(
        self,
        *,
        n_frames=8,
        fps=None,
        clip_seconds=None,
        clip_position="start",
        pad="zeros",
        size=(64, 64),
        channels=3,
        resize="stretch",
        background=(255, 255, 255),
        standardize=True,
        max_pixels=8_294_400,
        max_frames=20_000,
        max_duration=600.0,
        resample="bilinear",
        root=None,
        missing="zeros",
        lazy="auto",
        n_jobs=None,
    ):
        self.n_frames = n_frames
        self.fps = fps
        self.clip_seconds = clip_seconds
        self.clip_position = clip_position
        self.pad = pad
        self.size = size
        self.channels = channels
        self.resize = resize
        self.background = background
        self.standardize = standardize
        self.max_pixels = max_pixels
        self.max_frames = max_frames
        self.max_duration = max_duration
        self.resample = resample
        self.root = root
        self.missing = missing
        self.lazy = lazy
        self.n_jobs = n_jobs

    _parameter_constraints = {
        "n_frames": [Interval(Integral, 1, None, closed="left")],
        "fps": [None, Interval(Real, 0, None, closed="neither")],
        "clip_seconds": [None, Interval(Real, 0, None, closed="neither")],
        "clip_position": [StrOptions({"start", "center"})],
        "pad": [StrOptions({"zeros", "repeat"})],
        **IMAGE_PARAMETER_CONSTRAINTS,
        "max_frames": [None, Interval(Integral, 1, None, closed="left")],
        "max_duration": [None, Interval(Real, 0, None, closed="neither")],
    }

    _name = _NAME
    _cell_noun = "a video"
    _cells_noun = "videos"
    _as_column = staticmethod(_as_column)
    _lazy_type = LazyVideos

    #: The containers decoded from files and bytes (FFmpeg demuxer -> formats).
    containers = dict(CONTAINERS)

    def _decoder(self):
        """Validate every parameter and return the decoding settings (without statistics)."""
        self._validate_params()
        spec = image_decode_spec(self)
        sampling = FrameSampling(
            n_frames=int(self.n_frames),
            fps=None if self.fps is None else float(self.fps),
            clip_seconds=None if self.clip_seconds is None else float(self.clip_seconds),
            clip_position=self.clip_position,
            pad=self.pad,
            max_frames=None if self.max_frames is None else int(self.max_frames),
            max_duration=None if self.max_duration is None else float(self.max_duration),
        )
        root = None if self.root is None else check_root(self.root, _NAME)
        return VideoDecoder(
            spec=spec,
            sampling=sampling,
            missing=self.missing,
            root=root,
            shown_root=None if root is None else os.fspath(self.root),
            n_jobs=None if self.n_jobs is None else int(self.n_jobs),
        )

    def _check_cells(self, decoder, column):
        for k, cell in enumerate(column.cells):
            decoder.check(cell, column.where(k, _NAME))

    def _fit_column(self, decoder, column):
        if not self.standardize:
            self._check_cells(decoder, column)
            return
        moments = RunningMoments(decoder.spec.channels)
        chunk = _FIT_CHUNK_PER_THREAD * n_threads(decoder.n_jobs)
        buffer = np.empty((min(chunk, len(column)), *decoder.row_shape), dtype=np.float32)
        for start in range(0, len(column), chunk):
            rows = np.arange(start, min(start + chunk, len(column)))
            counts = decode_rows(decoder, column, rows, buffer[: len(rows)])
            for j in np.flatnonzero(counts):
                moments.update(buffer[j, : counts[j]])
        self._learn_moments(moments, column)

    def fit(self, X, y=None):
        """Check the parameters and the cells; learn per-channel statistics if asked.

        Parameters
        ----------
        X : column of videos
            A pandas or polars Series, a one-column DataFrame, a list or tuple,
            a 1-D object array, or a numeric stack ``(n, T, H, W[, C])``.

        y : None
            Ignored.

        Returns
        -------
        self : VideoFrames
            The fitted transformer.
        """
        decoder = self._decoder()
        column = self._column(X, reset=True)
        self._reset()
        self._fit_column(decoder, column)
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and return it transformed.

        With ``standardize=True`` and eager output, each clip is decoded
        once.

        Parameters
        ----------
        X : column of videos
            See `fit`.

        y : None
            Ignored.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_frames, height, width, channels) or LazyVideos
            The sampled frames.
        """
        decoder = self._decoder()
        column = self._column(X, reset=True)
        self._reset()
        if self._is_lazy(column, decoder):
            self._fit_column(decoder, column)
            return self._lazy_output(column, self._fitted_decoder(decoder))
        out = np.empty((len(column), *decoder.row_shape), dtype=np.float32)
        counts = decode_rows(decoder, column, np.arange(len(column)), out)
        if self.standardize:
            moments = RunningMoments(decoder.spec.channels)
            for k in np.flatnonzero(counts):
                moments.update(out[k, : counts[k]])
            self._learn_moments(moments, column)
            mean, std = self._check_standardization(decoder.spec.channels, "channels")
            repeat = self.pad == "repeat"
            for k in np.flatnonzero(counts):
                real = out[k] if repeat else out[k, : counts[k]]
                real -= mean
                real /= std
        return out

    def transform(self, X):
        """Decode and sample every clip (or return them lazily).

        Parameters
        ----------
        X : column of videos
            See `fit`.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_frames, height, width, channels) or LazyVideos
            The sampled frames, standardized per channel when
            ``standardize=True``; a `LazyVideos` when decoding is lazy.
        """
        check_is_fitted(self)
        decoder = self._fitted_decoder(self._decoder())
        column = self._column(X, reset=False)
        if self._is_lazy(column, decoder):
            self._check_cells(decoder, column)
            return self._lazy_output(column, decoder)
        out = np.empty((len(column), *decoder.row_shape), dtype=np.float32)
        decode_rows(decoder, column, np.arange(len(column)), out)
        return out

    def get_block_info(self):
        """Describe the encoded block for building the network input.

        Returns
        -------
        info : dict
            ``{"kind": "video", "n_frames": ..., "size": (height, width),
            "channels": ...}``, and with ``standardize=True``
            ``"pixel_scaling": (mean_, std_)`` (what a pretrained per-frame
            backbone must undo).
        """
        check_is_fitted(self)
        info = {
            "kind": "video",
            "n_frames": int(self.n_frames),
            "size": tuple(int(v) for v in self.size),
            "channels": int(self.channels),
        }
        if self.standardize:
            info["pixel_scaling"] = (
                tuple(float(v) for v in self.mean_),
                tuple(float(v) for v in self.std_),
            )
        return info

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "zeros"
        return tags
