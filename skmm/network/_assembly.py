"""Assemble the fused network from block specs."""

from __future__ import annotations

import numbers

import keras
from keras import layers

from ._encoders import (
    TEXT_ENCODERS,
    application_encoder,
    application_names,
    audio_encoder,
    l2_regularizer,
    tabular_encoder,
)
from ._encoders import image_encoder as cnn_image_encoder
from ._encoders import text_encoder as build_text_encoder
from ._layers import MaskedAveragePooling1D, ModalityDropout, ModalityMask

#: Suffix of the presence input of a block (kept equal to skmm.compose.PRESENCE_SUFFIX).
PRESENCE_SUFFIX = "_present"

#: The accepted values of ``fusion``.
FUSIONS = ("concat", "gated", "attention", "late")


def build_fused_network(
    specs,
    *,
    n_outputs,
    output_activation,
    l2=1e-4,
    embedding_dim=32,
    text_units=32,
    image_filters=(64, 128, 128),
    image_width_multiplier=1.0,
    audio_filters=(64, 128),
    tabular_units=(64,),
    hidden_units=(64,),
    dropout=0.2,
    modality_dropout=0.0,
    fusion="concat",
    fusion_units=64,
    fusion_heads=2,
    text_encoder="lstm",
    image_encoder="cnn",
    image_weights=None,
    block_encoders=None,
    block_l2=None,
    task_units=None,
):
    """Build the uncompiled fused network: one encoder per block, fusion, head.

    Parameters
    ----------
    specs : sequence of BlockSpec-like
        Objects with ``name``, ``kind`` (``"text"``, ``"image"``, ``"audio"``
        or ``"tabular"``), ``shape``, ``dtype``, ``presence`` and, for text,
        ``vocabulary_size``. One named input is made per spec, plus a
        ``<name>_present`` input of shape ``(1,)`` for specs with
        ``presence``: the block's features are multiplied by it and (except
        with ``fusion="late"``) it is also fed to the head, so a missing row
        contributes nothing but its absence.
    n_outputs : int
        Units of the output layer.
    output_activation : str or None
        ``"sigmoid"``, ``"softmax"``, or ``None`` / ``"linear"`` for
        regression.
    l2 : float
        L2 penalty on every kernel and embedding table (of the encoders
        unless ``block_l2`` overrides a block, and of the fusion layers and
        head always). ``keras.applications`` backbones carry none.
    embedding_dim, text_units : int
        Text encoder sizes: embedding width, and the width of the recurrent
        layer, of the Conv1D stages, or of the attention and feed-forward
        layers (see ``text_encoder``).
    image_filters : sequence of int
        Filters of each Conv2D stage (``image_encoder="cnn"``), scaled by
        ``image_width_multiplier``.
    audio_filters : sequence of int
        Filters of each Conv1D stage of audio blocks.
    tabular_units, hidden_units : sequence of int
        Widths of the tabular MLP and of the head.
    dropout : float
        Dropout rate after each hidden layer of the head.
    modality_dropout : float
        During training, probability of marking a block with a presence
        input missing for a row (whole-modality dropout).
    fusion : {"concat", "gated", "attention", "late"}, default="concat"
        How the blocks' features meet.

        - ``"concat"``: the (masked) feature vectors and the presence masks
          are concatenated and go through one head.
        - ``"gated"``: each block's features are projected (linear Dense,
          ``<name>_projection``) to ``fusion_units`` and masked; a sigmoid
          gate per block (``<name>_gate``, ``fusion_units`` values) is
          computed from the concatenation of all projections and presence
          masks; the gated projections are **summed** (``fusion_sum``, width
          ``fusion_units``), concatenated with the presence masks, and go
          through one head.
        - ``"attention"``: each block's features are projected to
          ``fusion_units`` and masked, stacked as a sequence of modality
          tokens ``(batch, n_blocks, fusion_units)``, passed through
          ``MultiHeadAttention`` (``fusion_heads`` heads; keys of blocks
          whose presence is 0 are masked out, all blocks attend when there
          is no presence input) with a residual connection and
          LayerNormalization, averaged over the present blocks,
          concatenated with the presence masks, and go through one head.
        - ``"late"``: every block (tabular ones included) has its own copy
          of the head (``<name>_head_dense<i>``, ``<name>_head_dropout<i>``)
          and output layer (``<name>_output``); the model output (``output``)
          is the average of the blocks' outputs (probabilities for
          sigmoid/softmax, values for a linear output), over the present
          blocks only when some blocks have a presence mask. A row with
          every block absent gets the plain average.

        With every fusion, the content of a block whose presence is 0 has no
        effect on the output.
    fusion_units : int, default=64
        Common width the blocks are projected to (``"gated"``,
        ``"attention"``).
    fusion_heads : int, default=2
        Attention heads of ``fusion="attention"`` (key width
        ``fusion_units // fusion_heads``).
    text_encoder : {"lstm", "gru", "cnn", "transformer"}, default="lstm"
        Encoder of text blocks (token ids, 0 is padding): Embedding + LSTM
        or GRU (padding masked); Embedding + two Conv1D stages (kernel 3,
        padded positions zeroed) + global max pooling; or Embedding +
        learned position embedding + one self-attention block (padded keys
        masked, residual + LayerNormalization) + feed-forward block + mean
        over the real tokens.
    image_encoder : str, default="cnn"
        ``"cnn"`` (Conv2D + MaxPooling stages, global average pooling) or the
        name of a ``keras.applications`` backbone (``"MobileNetV2"``,
        ``"ResNet50"``, ``"EfficientNetB0"``, ...), built with
        ``include_top=False, pooling="avg"`` as a nested model named
        ``<name>_backbone``. Backbones take RGB images (3 channels) of at
        least 32x32 (75x75 for the Inception models, 71x71 for Xception;
        a ValueError says so otherwise). Images arrive in [0, 1]; a
        ``Rescaling`` layer maps them to what the backbone expects: [-1, 1]
        (MobileNet, MobileNetV2, ResNet*V2, Inception*, Xception, NASNet*),
        [0, 255] (EfficientNet*, EfficientNetV2*, ConvNeXt*, MobileNetV3*,
        which normalize inside), ImageNet mean/std (DenseNet*), or [0, 255]
        BGR minus the ImageNet mean (ResNet50/101/152, VGG16/19, with a
        ``ReverseChannels`` layer).
    image_weights : None or str, default=None
        Weights of a backbone: None for random initialization, or the path
        of a local weights file. ``"imagenet"`` also works for users online
        (Keras downloads the weights).
    block_encoders : dict, optional
        Block name -> Keras layer, or callable taking the block's input
        tensor and returning a flat ``(batch, features)`` tensor, used
        instead of the built-in encoder of that block. The model is saved
        with the layers it builds, so custom layer classes must be
        registered with ``keras.saving.register_keras_serializable``; and
        estimators holding this dict must pickle it, so use layers or
        module-level functions (no lambdas or closures). A callable that
        makes fresh layers on every call is safer than a layer instance,
        which keeps its weights across refits.
    block_l2 : dict, optional
        Block name -> L2 strength of that block's built-in encoder, instead
        of ``l2`` (the fusion layers and head keep ``l2``).
    task_units : sequence of int, optional
        Several targets (multi-task): the trunk (encoders, fusion and the
        ``hidden_units`` layers) is shared and each task ``t`` gets its own
        output layer ``task<t>_output`` of ``task_units[t]`` units, sigmoid
        when 1 (a binary task) and softmax otherwise. The model output is
        their concatenation, of width ``n_outputs`` (which must equal
        ``sum(task_units)``); ``output_activation`` is then not used.

    Returns
    -------
    model : keras.Model
        A functional model whose inputs are named after the blocks.
    """
    if fusion not in FUSIONS:
        raise ValueError(f"Unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}.")
    if text_encoder not in TEXT_ENCODERS:
        raise ValueError(
            f"Unknown text_encoder {text_encoder!r}; choose one of {', '.join(TEXT_ENCODERS)}."
        )
    if image_encoder != "cnn" and image_encoder not in application_names():
        raise ValueError(
            f"Unknown image_encoder {image_encoder!r}; choose 'cnn' or one of the "
            f"keras.applications backbones: {', '.join(application_names())}."
        )
    if fusion in ("gated", "attention"):
        for arg, value in (("fusion_units", fusion_units), ("fusion_heads", fusion_heads)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{arg} must be a positive integer; got {value!r}.")
    block_encoders = _check_block_dict(block_encoders, "block_encoders", specs)
    block_l2 = _check_block_dict(block_l2, "block_l2", specs)
    both = sorted(block_l2.keys() & block_encoders.keys())
    if both:
        raise ValueError(
            f"Block {both[0]!r} is in both block_l2 and block_encoders: block_l2 sets the penalty "
            "of a built-in encoder; a block_encoders entry carries its own regularizers."
        )

    inputs, blocks = [], []
    for spec in specs:
        x_in = keras.Input(shape=spec.shape, dtype=spec.dtype, name=spec.name)
        if spec.name in block_encoders:
            feat = _custom_encoder(block_encoders[spec.name], x_in, spec)
        else:
            feat = _builtin_encoder(
                x_in,
                spec,
                l2=block_l2.get(spec.name, l2),
                embedding_dim=embedding_dim,
                text_units=text_units,
                text_encoder=text_encoder,
                image_filters=image_filters,
                image_width_multiplier=image_width_multiplier,
                image_encoder=image_encoder,
                image_weights=image_weights,
                audio_filters=audio_filters,
                tabular_units=tabular_units,
            )
        inputs.append(x_in)
        present = None
        if getattr(spec, "presence", False):
            present_in = keras.Input(shape=(1,), name=spec.name + PRESENCE_SUFFIX)
            inputs.append(present_in)
            present = present_in
            if modality_dropout:
                present = ModalityDropout(modality_dropout, name=f"{spec.name}_modality_dropout")(
                    present_in
                )
        blocks.append((spec.name, feat, present))

    if task_units is not None:
        task_units = [int(units) for units in task_units]
        if not task_units or min(task_units) < 1 or sum(task_units) != n_outputs:
            raise ValueError(
                f"task_units must be positive ints summing to n_outputs={n_outputs}; "
                f"got {task_units!r}."
            )
    reg = l2_regularizer(l2)
    head = dict(
        hidden_units=hidden_units,
        dropout=dropout,
        reg=reg,
        n_outputs=n_outputs,
        output_activation=output_activation,
        task_units=task_units,
    )
    if fusion == "late":
        outputs = _late_fusion(blocks, **head)
    else:
        if fusion == "concat":
            x = _concat_fusion(blocks)
        elif fusion == "gated":
            x = _gated_fusion(blocks, units=fusion_units, reg=reg)
        else:
            x = _attention_fusion(blocks, units=fusion_units, heads=fusion_heads, reg=reg)
        outputs = _head(x, prefix="", output_name="output", **head)
    return keras.Model(inputs=inputs, outputs=outputs, name="fused_network")


def _check_block_dict(mapping, arg, specs):
    """``mapping`` as a dict, checked to name only blocks of ``specs``."""
    mapping = dict(mapping or {})
    names = [spec.name for spec in specs]
    unknown = [key for key in mapping if key not in names]
    if unknown:
        raise ValueError(
            f"{arg} names unknown blocks {unknown}; the blocks are {', '.join(map(repr, names))}."
        )
    return mapping


def _custom_encoder(encoder, x_in, spec):
    """Apply a user-supplied layer or callable and check it gives flat features."""
    if not callable(encoder):
        raise ValueError(
            f"block_encoders[{spec.name!r}] must be a Keras layer or a callable; got {encoder!r}."
        )
    feat = encoder(x_in)
    if not keras.backend.is_keras_tensor(feat) or len(feat.shape) != 2:
        shape = getattr(feat, "shape", None)
        raise ValueError(
            f"block_encoders[{spec.name!r}] must return a (batch, features) Keras tensor; "
            f"got {type(feat).__name__} of shape {shape}."
        )
    return feat


def _builtin_encoder(
    x_in,
    spec,
    *,
    l2,
    embedding_dim,
    text_units,
    text_encoder,
    image_filters,
    image_width_multiplier,
    image_encoder,
    image_weights,
    audio_filters,
    tabular_units,
):
    if spec.kind == "text":
        return build_text_encoder(
            x_in,
            spec,
            embedding_dim=embedding_dim,
            text_units=text_units,
            l2=l2,
            encoder=text_encoder,
        )
    if spec.kind == "image":
        if image_encoder == "cnn":
            return cnn_image_encoder(
                x_in,
                spec,
                image_filters=image_filters,
                image_width_multiplier=image_width_multiplier,
                l2=l2,
            )
        return application_encoder(x_in, spec, application=image_encoder, weights=image_weights)
    if spec.kind == "audio":
        return audio_encoder(x_in, spec, audio_filters=audio_filters, l2=l2)
    if spec.kind == "tabular":
        return tabular_encoder(x_in, spec, tabular_units=tabular_units, l2=l2)
    raise ValueError(f"Block {spec.name!r}: no encoder for kind {spec.kind!r}.")


def _concatenate(tensors, name, axis=-1):
    if len(tensors) == 1:
        return tensors[0]
    return layers.Concatenate(axis=axis, name=name)(tensors)


def _mask(name, x, present):
    """``x`` multiplied by the block's presence mask (``x`` itself without one)."""
    if present is None:
        return x
    return layers.Multiply(name=f"{name}_masked")([x, present])


def _masks(blocks):
    return [present for _, _, present in blocks if present is not None]


def _head(
    x,
    *,
    prefix,
    output_name,
    hidden_units,
    dropout,
    reg,
    n_outputs,
    output_activation,
    task_units,
):
    for depth, units in enumerate(hidden_units):
        x = layers.Dense(
            units, activation="relu", kernel_regularizer=reg, name=f"{prefix}head_dense{depth}"
        )(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"{prefix}head_dropout{depth}")(x)
    if task_units is None:
        return layers.Dense(
            n_outputs, activation=output_activation, kernel_regularizer=reg, name=output_name
        )(x)
    tasks = [
        layers.Dense(
            units,
            activation="sigmoid" if units == 1 else "softmax",
            kernel_regularizer=reg,
            name=f"{prefix}task{task}_output",
        )(x)
        for task, units in enumerate(task_units)
    ]
    return _concatenate(tasks, output_name) if len(tasks) > 1 else tasks[0]


def _concat_fusion(blocks):
    """Masked features and presence masks side by side (the original network)."""
    features = []
    for name, feat, present in blocks:
        if present is not None:
            features.append(present)
        features.append(_mask(name, feat, present))
    return _concatenate(features, "fusion")


def _projections(blocks, units, reg):
    """Each block's features projected to ``units`` values, then masked."""
    return [
        _mask(
            name,
            layers.Dense(units, kernel_regularizer=reg, name=f"{name}_projection")(feat),
            present,
        )
        for name, feat, present in blocks
    ]


def _gated_fusion(blocks, *, units, reg):
    projected = _projections(blocks, units, reg)
    masks = _masks(blocks)
    gate_input = _concatenate([*projected, *masks], "gate_input")
    gated = []
    for (name, _, _), proj in zip(blocks, projected, strict=True):
        gate = layers.Dense(
            units, activation="sigmoid", kernel_regularizer=reg, name=f"{name}_gate"
        )(gate_input)
        gated.append(layers.Multiply(name=f"{name}_gated")([proj, gate]))
    fused = gated[0] if len(gated) == 1 else layers.Add(name="fusion_sum")(gated)
    return _concatenate([fused, *masks], "fusion")


def _stack(blocks, tensors, width, suffix, name):
    """``(batch, width)`` tensors stacked into ``(batch, n_blocks, width)``."""
    tokens = [
        layers.Reshape((1, width), name=f"{block}_{suffix}")(tensor)
        for (block, _, _), tensor in zip(blocks, tensors, strict=True)
    ]
    return _concatenate(tokens, name, axis=1)


def _modality_mask(blocks, tokens):
    """``(batch, n_blocks)`` presence of each block; None when no block has a mask."""
    masks = _masks(blocks)
    if not masks:
        return None
    has_presence = [present is not None for _, _, present in blocks]
    return ModalityMask(has_presence, name="modality_mask")([tokens, *masks])


def _attention_fusion(blocks, *, units, heads, reg):
    tokens = _stack(blocks, _projections(blocks, units, reg), units, "token", "modality_tokens")
    mask = _modality_mask(blocks, tokens)
    attention = layers.MultiHeadAttention(
        num_heads=heads,
        key_dim=max(1, units // heads),
        kernel_regularizer=reg,
        name="fusion_attention",
    )(tokens, tokens, value_mask=mask)
    x = layers.Add(name="fusion_residual")([tokens, attention])
    x = layers.LayerNormalization(name="fusion_norm")(x)
    if mask is None:
        pooled = layers.GlobalAveragePooling1D(name="fusion_pool")(x)
    else:
        pooled = MaskedAveragePooling1D(name="fusion_pool")([x, mask])
    return _concatenate([pooled, *_masks(blocks)], "fusion")


def _late_fusion(blocks, *, n_outputs, **head):
    outputs = [
        _head(
            _mask(name, feat, present),
            prefix=f"{name}_",
            output_name=f"{name}_output",
            n_outputs=n_outputs,
            **head,
        )
        for name, feat, present in blocks
    ]
    stacked = _stack(blocks, outputs, n_outputs, "output_token", "block_outputs")
    mask = _modality_mask(blocks, stacked)
    if mask is None:
        return layers.GlobalAveragePooling1D(name="output")(stacked)
    return MaskedAveragePooling1D(name="output")([stacked, mask])
