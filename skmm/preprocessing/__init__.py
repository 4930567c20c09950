"""Transformers that turn raw columns (text, images, audio, video, graphs) into model-ready arrays.

Nothing in this subpackage imports TensorFlow or Keras.
"""

from ._audio import AudioFeaturizer
from ._datetime import DatetimeFeatures
from ._graph import GraphNeighborhood, LazyNeighborhoods
from ._graph_data import Graph, NodeFeatures
from ._graph_features import GraphFeatures
from ._image import ImageNormalizer
from ._preset_text import PresetTokenizer
from ._text import TextTokenizer
from ._video import LazyVideos, VideoFrames, frame_mask

__all__ = [
    "AudioFeaturizer",
    "DatetimeFeatures",
    "Graph",
    "GraphFeatures",
    "GraphNeighborhood",
    "ImageNormalizer",
    "LazyNeighborhoods",
    "LazyVideos",
    "NodeFeatures",
    "PresetTokenizer",
    "TextTokenizer",
    "VideoFrames",
    "frame_mask",
]
