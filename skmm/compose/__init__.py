"""Compose raw columns into the named blocks a fused network reads.

Nothing in this subpackage imports TensorFlow or Keras.
"""

from ._auto import ColumnRole, infer_column_roles, make_multimodal_input
from ._blocks import PRESENCE_SUFFIX, BlockSpec, MultimodalBlocks, is_lazy, take_rows
from ._multimodal_input import MultimodalInput
from ._transfer import FrozenTransformer, TransferredEncoder

__all__ = [
    "PRESENCE_SUFFIX",
    "BlockSpec",
    "ColumnRole",
    "FrozenTransformer",
    "MultimodalBlocks",
    "MultimodalInput",
    "TransferredEncoder",
    "infer_column_roles",
    "is_lazy",
    "make_multimodal_input",
    "take_rows",
]
