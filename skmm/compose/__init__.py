"""Compose raw columns into the named blocks a fused network reads.

Nothing in this subpackage imports TensorFlow or Keras.
"""

from ._blocks import BlockSpec, MultimodalBlocks
from ._multimodal_input import MultimodalInput

__all__ = ["BlockSpec", "MultimodalBlocks", "MultimodalInput"]
