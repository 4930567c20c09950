"""Moving shapes for the video tests, and the writer of their clips."""

from __future__ import annotations

import numpy as np

from skmm.datasets import write_video as write_clip  # noqa: F401  (the tests' name)


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
