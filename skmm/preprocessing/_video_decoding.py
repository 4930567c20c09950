"""Decoding one video cell (a path, encoded bytes, an array of frames or a
``(frames, fps)`` tuple) into ``n_frames`` sampled frames, each resized and scaled
like an image.

Files and bytes are decoded with PyAV (FFmpeg). No user string ever reaches FFmpeg:
a path is opened here (a regular, non-empty file, see `open_regular_file`), its
first bytes name the container, and PyAV gets the open file object together with
the one demuxer of the `CONTAINERS` whitelist that the bytes name. FFmpeg's
protocols (``http:``, ``concat:``, ``subfile,``, ``file:``) and its playlist and
pattern demuxers (HLS ``.m3u8``, ``concat``, ``image2``) are therefore never
reached, and a container that refers to other files cannot make FFmpeg open them.

Limits read from the container's header before any frame is decoded: pixels per
frame (``max_pixels``), frames per clip (``max_frames``) and duration
(``max_duration``). Decoding is sequential from the start and reads at most
`PACKET_SLACK` packets past the last frame it needs, so that no file makes it
loop.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._columns import media_cell_kind
from ._files import open_regular_file
from ._image_decoding import check_pixels, decode_into
from ._messages import describe_value, is_real

__all__ = [
    "CONTAINERS",
    "FrameSampling",
    "cell_kind",
    "decode_video_into",
    "frame_indices",
    "read_audio_track",
    "sniff_container",
]

#: The containers decoded, by FFmpeg demuxer name: anything else is refused.
CONTAINERS = {
    "mov": "MP4 / QuickTime (.mp4, .m4v, .mov)",
    "matroska": "Matroska / WebM (.mkv, .webm)",
    "avi": "AVI (.avi)",
    "gif": "animated GIF (.gif)",
}
#: Packets read past the last needed frame before a clip is declared broken
#: (decoders hold back a few frames for reordering).
PACKET_SLACK = 64
# First-box types of an ISO base media (MP4 / QuickTime) file.
_MOV_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
_HEAD_BYTES = 16

_EXPECTED_CELL = (
    "Expected a file path (str or pathlib.Path), the encoded bytes of a video file, a "
    "NumPy array of frames of shape (T, H, W) or (T, H, W, C), or a (frames, fps) tuple"
)
_INSTALL_HINT = (
    "VideoFrames needs the optional dependency 'av' (PyAV, which ships FFmpeg) to decode "
    'video files and bytes. Install it with: pip install "skmm[video]"'
)


def _av():
    """Import PyAV on first use; a clear ImportError when it is not installed."""
    try:
        import av
    except ImportError as exc:
        raise ImportError(f"{_INSTALL_HINT} ({type(exc).__name__}: {exc}).") from exc
    return av


def sniff_container(head):
    """The demuxer of `CONTAINERS` that the first bytes ``head`` name, or None."""
    head = bytes(head[:_HEAD_BYTES])
    if len(head) >= 8 and head[4:8] in _MOV_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


@dataclass(frozen=True)
class FrameSampling:
    """Which frames of a clip are kept, and the limits checked from its header."""

    n_frames: int
    fps: float | None
    clip_seconds: float | None
    clip_position: str  # "start" or "centre"
    pad: str  # "zeros" or "repeat"
    max_frames: int | None
    max_duration: float | None


def frame_indices(n_available, rate, sampling):
    """The positions of the frames kept from a clip of ``n_available`` frames.

    Parameters
    ----------
    n_available : int
        Frames in the clip (at least 1).
    rate : float or None
        Its frame rate (frames per second); None when unknown (arrays without a
        rate), in which case ``clip_seconds`` and ``fps`` count frames as if the
        clip were recorded at ``fps`` (or keep every frame).
    sampling : FrameSampling

    Returns
    -------
    indices : ndarray of int
        Increasing positions, at most ``sampling.n_frames`` of them: spread
        uniformly over the window (each the middle of its share) when ``fps`` is
        None, else one every ``rate / fps`` frames from the window's start.
    """
    n = sampling.n_frames
    window_rate = rate if rate is not None else sampling.fps
    length = n_available
    if sampling.clip_seconds is not None and window_rate is not None:
        length = min(n_available, max(1, round(sampling.clip_seconds * window_rate)))
    start = 0 if sampling.clip_position == "start" else (n_available - length) // 2
    if sampling.fps is None:
        if length >= n:
            return start + np.floor((np.arange(n) + 0.5) * length / n).astype(np.intp)
        return start + np.arange(length, dtype=np.intp)
    step = 1.0 if rate is None else rate / sampling.fps
    positions = np.floor(np.arange(n) * step + 1e-9).astype(np.intp)
    return start + positions[positions < length]


def cell_kind(cell, where, missing_zeros):
    """Return ``"missing"``, ``"path"``, ``"bytes"``, ``"tuple"`` or ``"array"``."""
    return media_cell_kind(
        cell,
        where,
        missing_zeros,
        items="videos",
        filled="all-zero clips",
        tuple_form="(frames, fps)",
        expected=_EXPECTED_CELL,
    )


def _check_frames_array(frames, where):
    if not isinstance(frames, np.ndarray):
        raise TypeError(
            f"{where} holds a (frames, fps) tuple whose frames are a "
            f"{type(frames).__name__}. Expected a NumPy array of shape (T, H, W) or "
            "(T, H, W, C)."
        )
    shape_ok = frames.ndim == 3 or (frames.ndim == 4 and frames.shape[3] in (1, 3, 4))
    if not shape_ok:
        raise ValueError(
            f"{where} holds an array of shape {frames.shape}. Expected the frames of one clip "
            "as (T, H, W) or (T, H, W, C) with C in 1, 3, 4."
        )
    if frames.shape[0] == 0:
        raise ValueError(f"{where} holds an array of 0 frames. Expected at least one frame.")


def _tuple_fps(fps, where):
    if not is_real(fps) or fps <= 0:
        raise ValueError(
            f"{where} holds a (frames, fps) tuple with fps {describe_value(fps)}. Expected a "
            "positive, finite number of frames per second."
        )
    return float(fps)


def decode_video_into(cell, kind, image_spec, sampling, out, where):
    """Decode one non-missing cell into ``out``; return the number of real frames.

    Parameters
    ----------
    cell : object
        The cell (see `cell_kind`).
    kind : str
        Its kind, from `cell_kind`.
    image_spec : DecodeSpec
        Geometry and policies of each frame (as an image).
    sampling : FrameSampling
    out : ndarray of shape (n_frames, height, width, channels), float32
        Fully overwritten: the sampled frames in [0, 1], then the padding.
    where : str
        Location of the cell, the start of every error message.
    """
    if kind in ("array", "tuple"):
        frames, rate = (cell, None) if kind == "array" else (cell[0], _tuple_fps(cell[1], where))
        _check_frames_array(frames, where)
        indices = frame_indices(len(frames), rate, sampling)
        for t, k in enumerate(indices):
            decode_into(frames[k], image_spec, out[t], where)
        return _pad(out, len(indices), sampling)
    if kind == "bytes":
        data = bytes(cell)
        if not data:
            raise ValueError(
                f"{where} holds empty bytes (0 bytes). Expected the encoded contents of a "
                "video file (MP4, WebM, ...)."
            )
        source = f"the encoded video bytes ({len(data)} bytes)"
        hint = " Bytes cells are read as encoded video contents, not as a file path."
        n_real = _decode_stream(io.BytesIO(data), image_spec, sampling, out, where, source, hint)
    else:
        path = os.fspath(cell)
        source = f"video file {path!r}"
        with open_regular_file(path, where, "video", expected="an encoded video") as fh:
            n_real = _decode_stream(fh, image_spec, sampling, out, where, source, "")
    return _pad(out, n_real, sampling)


def _pad(out, n_real, sampling):
    """Fill the frames after the first ``n_real`` by the padding policy."""
    if n_real < len(out):
        out[n_real:] = out[n_real - 1] if sampling.pad == "repeat" else 0.0
    return n_real


def _container(fh, where, source, hint):
    """The PyAV input container of ``fh`` with the demuxer its first bytes name."""
    av = _av()
    head = fh.read(_HEAD_BYTES)
    fh.seek(0)
    demuxer = sniff_container(head)
    if demuxer is None:
        raise ValueError(
            f"{where}: {source} is not a video container skmm decodes (its first bytes are "
            f"{head[:8]!r}). Expected one of: {', '.join(CONTAINERS.values())}. Playlists "
            f"(.m3u8), concat lists and streams are refused.{hint}"
        )
    _check_trailer(fh, demuxer, where, source)
    try:
        return av.open(fh, mode="r", format=demuxer)
    except Exception as exc:
        raise ValueError(
            f"{where}: {source} could not be opened as {CONTAINERS[demuxer]} "
            f"({type(exc).__name__}: {str(exc).rstrip('.')}); it is corrupt or truncated."
            f"{hint}"
        ) from exc


def _stream_seconds(stream, container):
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def _frame_rate(stream):
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(Fraction(rate))
    return None


def _count_frames(container, stream, sampling, where, source):
    """Frames of ``stream`` counted from its packets (when the header has no count)."""
    count = 0
    for packet in container.demux(stream):
        if packet.size:
            count += 1
            if sampling.max_frames is not None and count > sampling.max_frames:
                raise ValueError(
                    f"{where}: {source} holds more than max_frames={sampling.max_frames} "
                    "frames; it is refused before its frames are decoded. Expected a shorter "
                    "clip, or raise max_frames."
                )
    return count


def _check_counted_frames(count, seconds, rate, where, source):
    """A container whose packets fall well short of the duration its header declares
    was cut short."""
    if seconds and rate and 0 < count < 0.9 * seconds * rate - 1:
        raise ValueError(
            f"{where}: {source} declares {seconds:.6g} s at {rate:.6g} frames/s but holds "
            f"only {count} frames; it is truncated."
        )


def _check_trailer(fh, demuxer, where, source):
    """A GIF ends with its trailer byte (';'): without it the file was cut short, and
    FFmpeg would silently read the frames before the cut."""
    if demuxer != "gif":
        return
    fh.seek(-1, os.SEEK_END)
    last = fh.read(1)
    fh.seek(0)
    if last != b";":
        raise ValueError(f"{where}: {source} is a GIF without its trailer byte; it is truncated.")


def _check_header(stream, container, image_spec, sampling, where, source):
    """Refuse a clip by its header: pixels per frame, and duration."""
    size = (stream.codec_context.width, stream.codec_context.height)
    check_pixels(size, image_spec, where, f"each frame of {source}")
    seconds = _stream_seconds(stream, container)
    if sampling.max_duration is not None and seconds is not None:
        if seconds > sampling.max_duration:
            raise ValueError(
                f"{where}: {source} lasts {seconds:.6g} s, longer than max_duration="
                f"{sampling.max_duration:g} s; it is refused before decoding. Expected a "
                "shorter clip, or raise max_duration."
            )
    return seconds


def _decode_stream(fh, image_spec, sampling, out, where, source, hint):
    """Decode the sampled frames of the file object ``fh`` into ``out``; return how many."""
    av = _av()
    container = _container(fh, where, source, hint)
    try:
        if not container.streams.video:
            raise ValueError(
                f"{where}: {source} holds no video stream: it is an audio-only file, or corrupt "
                f"or truncated. Expected a clip with frames.{hint}"
            )
        stream = container.streams.video[0]
        seconds = _check_header(stream, container, image_spec, sampling, where, source)
        n_available = stream.frames
        if n_available <= 0:  # no count in the header (WebM, Matroska): count the packets
            n_available = _count_frames(container, stream, sampling, where, source)
            _check_counted_frames(n_available, seconds, _frame_rate(stream), where, source)
            container.close()
            fh.seek(0)
            container = _container(fh, where, source, hint)
            stream = container.streams.video[0]
        elif sampling.max_frames is not None and n_available > sampling.max_frames:
            raise ValueError(
                f"{where}: {source} declares {n_available} frames, more than max_frames="
                f"{sampling.max_frames}; it is refused before decoding. Expected a shorter "
                "clip, or raise max_frames."
            )
        if n_available == 0:
            raise ValueError(
                f"{where}: {source} holds no frames: it is empty, corrupt or truncated. "
                "Expected at least one frame."
            )
        rate = _frame_rate(stream)
        if rate is None and seconds:
            rate = n_available / seconds
        if (
            sampling.max_duration is not None
            and rate
            and n_available / rate > (sampling.max_duration)
        ):
            raise ValueError(
                f"{where}: {source} lasts {n_available / rate:.6g} s ({n_available} frames), "
                f"longer than max_duration={sampling.max_duration:g} s; it is refused before "
                "decoding. Expected a shorter clip, or raise max_duration."
            )
        indices = frame_indices(n_available, rate, sampling)
        stream.codec_context.thread_count = 1  # threads go to clips, not to one clip
        try:
            _decode_frames(container, stream, indices, image_spec, out, where, source)
        except av.error.FFmpegError as exc:
            raise ValueError(
                f"{where}: {source} is corrupt: decoding its frames failed "
                f"({type(exc).__name__}: {str(exc).rstrip('.')}).{hint}"
            ) from exc
        return len(indices)
    finally:
        container.close()


def _decode_frames(container, stream, indices, image_spec, out, where, source):
    """Decode sequentially, writing frame ``indices[t]`` into ``out[t]``."""
    wanted = {}
    for t, k in enumerate(indices):
        wanted.setdefault(int(k), []).append(t)
    last = int(indices[-1])
    budget = last + 1 + PACKET_SLACK
    position = -1
    packets = 0
    for packet in container.demux(stream):
        if packet.size:
            packets += 1
            if packets > budget:
                raise ValueError(
                    f"{where}: {source} gave {position + 1} frames from {packets - 1} packets, "
                    f"short of frame {last}; it is corrupt (decoding stopped)."
                )
        for frame in packet.decode():
            position += 1
            for t in wanted.get(position, ()):
                decode_into(frame.to_ndarray(format="rgb24"), image_spec, out[t], where)
            if position >= last:
                return
    raise ValueError(
        f"{where}: {source} ended after {position + 1} decoded frames, but its header "
        f"announced at least {last + 1}; it is truncated or corrupt."
    )


def read_audio_track(fh, where, source, max_duration, hint=""):
    """The first audio stream of a video container: float32 samples ``(n, channels)`` and
    their rate. Returns None when ``fh`` is not a container of `CONTAINERS`."""
    head = fh.read(_HEAD_BYTES)
    fh.seek(0)
    if sniff_container(head) is None:
        return None
    av = _av()
    container = _container(fh, where, source, hint)
    try:
        if not container.streams.audio:
            raise ValueError(
                f"{where}: {source} is a video file without an audio track. Expected a clip "
                "with sound, or a missing cell where there is none."
            )
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate
        if not rate or rate <= 0:
            raise ValueError(f"{where}: {source} declares no audio sample rate.")
        seconds = _stream_seconds(stream, container)
        if max_duration is not None and seconds is not None and seconds > max_duration:
            raise ValueError(
                f"{where}: {source} lasts {seconds:.6g} s, longer than max_duration="
                f"{max_duration:g} s; it is refused before its samples are decoded. Expected "
                "a shorter clip, or raise max_duration."
            )
        limit = None if max_duration is None else int(max_duration * rate) + rate
        resampler = av.AudioResampler(format="fltp")
        chunks, total = [], 0
        try:
            for frame in container.decode(stream):
                for converted in resampler.resample(frame):
                    chunk = converted.to_ndarray()
                    chunks.append(chunk)
                    total += chunk.shape[1]
                if limit is not None and total > limit:
                    raise ValueError(
                        f"{where}: {source} holds more than max_duration={max_duration:g} s "
                        "of audio; decoding stopped. Expected a shorter clip, or raise "
                        "max_duration."
                    )
        except av.error.FFmpegError as exc:
            raise ValueError(
                f"{where}: {source} is corrupt: decoding its audio failed "
                f"({type(exc).__name__}: {str(exc).rstrip('.')}).{hint}"
            ) from exc
    finally:
        container.close()
    if not chunks:
        raise ValueError(f"{where}: {source} has an audio track with no samples.")
    return np.concatenate(chunks, axis=1).T.astype(np.float32, copy=False), int(rate)
