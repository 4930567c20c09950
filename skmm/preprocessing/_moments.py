"""Running per-channel mean and standard deviation, for ``standardize=True``."""

from __future__ import annotations

import numpy as np

__all__ = ["STD_FLOOR", "RunningMoments"]

#: Smallest standard deviation returned by `RunningMoments.finish`.
STD_FLOOR = 1e-6


class RunningMoments:
    """Per-channel mean and variance merged batch by batch (Chan et al.).

    The channels (image channels, mel bands) are the last axis of every batch.
    """

    def __init__(self, channels):
        self.count = 0
        self.mean = np.zeros(channels, dtype=np.float64)
        self.m2 = np.zeros(channels, dtype=np.float64)

    def update(self, values):
        """Merge ``values``, reduced over every axis but the last one."""
        axes = tuple(range(values.ndim - 1))
        n_new = values.size // values.shape[-1]
        mean_new = values.mean(axis=axes, dtype=np.float64)
        m2_new = np.square(values - mean_new).sum(axis=axes)
        total = self.count + n_new
        delta = mean_new - self.mean
        self.mean = self.mean + delta * (n_new / total)
        self.m2 = self.m2 + m2_new + np.square(delta) * (self.count * n_new / total)
        self.count = total

    def finish(self):
        """Return ``(mean, std)``, the standard deviation floored at `STD_FLOOR`."""
        std = np.sqrt(self.m2 / self.count)
        return self.mean.copy(), np.maximum(std, STD_FLOOR)
