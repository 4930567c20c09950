"""Compose raw columns into the named blocks a fused network reads.

Nothing in this subpackage imports TensorFlow or Keras.
"""

from ._blocks import PRESENCE_SUFFIX, BlockSpec, MultimodalBlocks, is_lazy, take_rows
from ._multimodal_input import MultimodalInput

__all__ = [
    "PRESENCE_SUFFIX",
    "BlockSpec",
    "MultimodalBlocks",
    "MultimodalInput",
    "is_lazy",
    "take_rows",
]
