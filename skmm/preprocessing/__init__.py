"""Transformers that turn raw columns (text, images) into model-ready arrays.

Nothing in this subpackage imports TensorFlow or Keras.
"""

from ._image import ImageNormalizer
from ._text import TextTokenizer

__all__ = ["ImageNormalizer", "TextTokenizer"]
