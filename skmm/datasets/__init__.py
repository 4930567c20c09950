"""Generators of small, seeded multimodal datasets, and a writer of video files."""

from ._generators import make_multimodal_classification
from ._video import write_video

__all__ = ["make_multimodal_classification", "write_video"]
