"""Writing frames (and a sound track) to a video file with PyAV, for examples,
tests and benchmarks that need real clips."""

from __future__ import annotations

import os

import numpy as np

#: Codec and container of each file ending `write_video` knows.
VIDEO_FORMATS = {
    ".mp4": ("libx264", "mp4"),
    ".webm": ("libvpx", "webm"),
    ".avi": ("mpeg4", "avi"),
    ".mkv": ("mpeg4", "matroska"),
    ".gif": ("gif", "gif"),
}


def write_video(path, frames, *, fps=10, audio=None, audio_rate=16000):
    """Write frames (and, for MP4, a mono sound track) to a video file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its ending picks the container and codec: ``.mp4``
        (H.264), ``.webm`` (VP8), ``.avi`` and ``.mkv`` (MPEG-4 part 2),
        ``.gif``.
    frames : array-like of shape (T, H, W) or (T, H, W, 3), uint8
        The frames, grey or RGB. H.264 and VP8 store colour at half
        resolution, so even heights and widths keep every pixel's place.
    fps : int, default=10
        Frames per second.
    audio : array-like of shape (n_samples,) or None, default=None
        Mono float samples in [-1, 1], written as an AAC track (``.mp4``
        only).
    audio_rate : int, default=16000
        Sample rate of ``audio``.

    Returns
    -------
    path : str
        The path written.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skmm.datasets import write_video
    >>> frames = np.zeros((6, 16, 16), dtype=np.uint8)
    >>> frames[:, 4:8, 4:8] = 255
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_video(os.path.join(folder, "clip.mp4"), frames)
    ...     os.path.getsize(path) > 0
    True
    """
    try:
        import av
    except ImportError as exc:
        raise ImportError(
            f'write_video needs PyAV: pip install "skmm[video]" ({type(exc).__name__}: {exc}).'
        ) from exc
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in VIDEO_FORMATS:
        raise ValueError(
            f"write_video: cannot tell the format of {path!r}; end it with one of "
            f"{', '.join(VIDEO_FORMATS)}."
        )
    codec, container_format = VIDEO_FORMATS[suffix]
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim not in (3, 4) or len(frames) == 0:
        raise ValueError(
            f"write_video: frames must be a non-empty uint8 array (T, H, W) or (T, H, W, 3); "
            f"got {frames.dtype} of shape {frames.shape}."
        )
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=3)
    if audio is not None and suffix != ".mp4":
        raise ValueError("write_video: a sound track is written to .mp4 files only.")
    with av.open(path, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "12"}
        elif codec != "gif":
            stream.bit_rate = 2_000_000
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=audio_rate)
            sound.layout = "mono"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            samples = np.asarray(audio, dtype=np.float32)[None, :]
            track = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            track.sample_rate = audio_rate
            for packet in sound.encode(track):
                container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return path
