"""The encoder of pretrained text blocks: a Keras-Hub text backbone from a local preset.

A ``"pretrained_text"`` block (made by ``skmm.PresetTokenizer``) holds rows
of ``(2, sequence_length)`` int32: the preset tokenizer's token ids and the
padding mask. Its encoder is the preset's backbone (BERT, RoBERTa, DeBERTa,
DistilBERT, ...: any Keras-Hub backbone that reads ``token_ids`` and
``padding_mask``, and ``segment_ids`` if it has them) up to its token states,
as one nested model ``<block>_backbone``, then a pooling of those states:
the first token's (``"cls"``) or the mean over the real tokens
(``"mean"``).
"""

from __future__ import annotations

import keras

from .._presets import load_backbone
from ._backbones import backbone_name
from ._layers import FirstToken, MaskedAveragePooling1D, TokenRows

#: The values of ``text_pooling``: the first token's state ([CLS]), or the mean of the
#: real tokens' states.
TEXT_POOLINGS = ("cls", "mean")


def _sequence_output(outputs, name):
    if isinstance(outputs, dict):
        if "sequence_output" in outputs:
            return outputs["sequence_output"]
        raise ValueError(
            f"Block {name!r}: the preset's backbone returns {sorted(outputs)}, not the token "
            "states (sequence_output) a text block's encoder pools."
        )
    if len(outputs.shape) != 3:
        raise ValueError(
            f"Block {name!r}: the preset's backbone returns a tensor of shape {outputs.shape}; "
            "a text backbone returns token states (batch, sequence_length, hidden)."
        )
    return outputs


def pretrained_text_block_encoder(inputs, spec, *, l2, text_pooling):
    """The preset's backbone on the block's token ids and mask, then ``text_pooling``.

    The backbone carries no L2 penalty (``l2`` is not applied: a penalty
    toward zero would pull the pretrained weights away from what they learnt).
    """
    if text_pooling not in TEXT_POOLINGS:
        raise ValueError(f"Unknown text_pooling {text_pooling!r}; choose one of {TEXT_POOLINGS}.")
    name = spec.name
    backbone = load_backbone(spec.detail("preset"), f"block {name!r}'s preset")
    expected = getattr(backbone, "input", None)
    if not isinstance(expected, dict) or not {"token_ids", "padding_mask"} <= set(expected):
        keys = sorted(expected) if isinstance(expected, dict) else type(expected).__name__
        raise ValueError(
            f"Block {name!r}: the preset's backbone ({type(backbone).__name__}) reads {keys}, "
            "not the token_ids and padding_mask of a text backbone."
        )
    # The token states only: a pooler the encoder does not read (BERT's) is left out,
    # so it neither trains without gradients nor counts among backbone_trainable's layers.
    states = _sequence_output(backbone.output, name)
    backbone = keras.Model(backbone.input, states, name=backbone_name(name))
    ids, mask, segments = TokenRows(name=f"{name}_token_rows")(inputs)
    feed = {"token_ids": ids, "padding_mask": mask}
    if "segment_ids" in expected:
        feed["segment_ids"] = segments
    states = backbone(feed)
    if text_pooling == "cls":
        return FirstToken(name=f"{name}_cls")(states)
    return MaskedAveragePooling1D(name=f"{name}_pool")([states, mask])
