"""The block kinds (modalities) skmm knows: one declaration each, looked up by kind.

A [`Modality`][skmm.modalities.Modality] declares what the blocks of a kind are (dtype, rank of a
row, whether a row may be missing, how rows are checked) and how the network
encodes them. ``MultimodalInput``, [`BlockSpec`][skmm.compose.BlockSpec], the
estimators' input checks, the network builder and export read the
declaration of a block's kind; [`register_modality`][skmm.modalities.register_modality] adds a kind
from
outside the package (see ``docs/extending.md``).

Nothing in this subpackage imports TensorFlow or Keras: the built-in
encoders import the network layer when a network is built.
"""

from ._builtin import AUDIO, IMAGE, TABULAR, TEXT, VIDEO
from ._registry import (
    PRESENCE_SUFFIX,
    Modality,
    get_modality,
    modalities,
    modality_kinds,
    non_finite_rows,
    normal_rows,
    register_modality,
    unregister_modality,
)

__all__ = [
    "AUDIO",
    "IMAGE",
    "Modality",
    "PRESENCE_SUFFIX",
    "TABULAR",
    "TEXT",
    "VIDEO",
    "get_modality",
    "modalities",
    "modality_kinds",
    "non_finite_rows",
    "normal_rows",
    "register_modality",
    "unregister_modality",
]
