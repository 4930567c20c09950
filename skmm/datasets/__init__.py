"""Generators of small, seeded multimodal datasets."""

from ._generators import make_multimodal_classification

__all__ = ["make_multimodal_classification"]
