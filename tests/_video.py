"""Small real video files for the tests, written with PyAV."""

from __future__ import annotations

import numpy as np

#: codec, container format per file suffix
CODECS = {
    ".mp4": ("mpeg4", "mp4"),
    ".webm": ("libvpx", "webm"),
    ".avi": ("mpeg4", "avi"),
    ".mkv": ("mpeg4", "matroska"),
    ".gif": ("gif", "gif"),
}


def write_clip(path, frames, *, fps=10, audio=None, audio_rate=16000):
    """Write the uint8 frames ``(T, H, W, 3)`` (H and W even) to ``path``; the suffix
    picks the container. ``audio``: mono float32 samples for an AAC track (mp4)."""
    import av

    path = str(path)
    suffix = path[path.rfind(".") :]
    codec, fmt = CODECS[suffix]
    frames = np.asarray(frames, dtype=np.uint8)
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=3)
    with av.open(path, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
        if codec != "gif":
            stream.bit_rate = 2_000_000
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=audio_rate)
            sound.layout = "mono"
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            samples = np.asarray(audio, dtype=np.float32)[None, :]
            audio_frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            audio_frame.sample_rate = audio_rate
            for packet in sound.encode(audio_frame):
                container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return path


def moving_square(direction, *, n_frames=10, size=32, side=6, start=None, rng=None):
    """Grey frames ``(n_frames, size, size)`` of a white square moving one pixel per frame
    to the right (direction 1) or to the left (0), from a random start: a single frame
    says nothing of the direction."""
    rng = np.random.default_rng(rng)
    frames = np.zeros((n_frames, size, size), dtype=np.uint8)
    top = int(rng.integers(0, size - side))
    if start is None:
        start = int(rng.integers(0, size - side - n_frames + 1))
    for t in range(n_frames):
        left = start + t if direction == 1 else start + n_frames - 1 - t
        frames[t, top : top + side, left : left + side] = 255
    return frames


def square_positions(frames, row=None):
    """Left edge of the bright square in each ``(T, H, W[, C])`` frame of [0, 1] pixels."""
    frames = np.asarray(frames)
    if frames.ndim == 4:
        frames = frames[..., 0]
    columns = frames.max(axis=1) > 0.5
    return [int(np.argmax(c)) if c.any() else -1 for c in columns]
