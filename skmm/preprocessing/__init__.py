"""Transformers that turn raw columns (text, images, audio, video) into model-ready arrays.

Nothing in this subpackage imports TensorFlow or Keras.
"""

from ._audio import AudioFeaturizer
from ._datetime import DatetimeFeatures
from ._image import ImageNormalizer
from ._text import TextTokenizer
from ._video import LazyVideos, VideoFrames, frame_mask

__all__ = [
    "AudioFeaturizer",
    "DatetimeFeatures",
    "ImageNormalizer",
    "LazyVideos",
    "TextTokenizer",
    "VideoFrames",
    "frame_mask",
]
