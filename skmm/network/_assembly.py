"""Assemble the fused network from block specs."""

from __future__ import annotations

import numbers

import keras
from keras import layers

from ..modalities import PRESENCE_SUFFIX, get_modality
from ._balancing import BALANCES
from ._embeddings import FUSED_FEATURES, block_features_name
from ._encoders import get_text_encoder, l2_regularizer
from ._fusions import concatenate, get_fusion, masked
from ._image_encoders import get_image_encoder
from ._layers import (
    DetachedFeatures,
    HeadBlend,
    ImageAugmentation,
    ModalityDropout,
    ModulatedGradient,
)


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
    text_encoder="bag",
    image_encoder="cnn",
    image_weights=None,
    video_encoder="gru",
    video_frame_encoder="grid",
    video_filters=(32, 64),
    video_units=64,
    video_weights=None,
    graph_encoder="mean",
    graph_units=64,
    text_pooling="cls",
    block_encoders=None,
    block_l2=None,
    block_settings=None,
    task_units=None,
    balance=None,
    image_augmentation=None,
):
    """Build the uncompiled fused network: one encoder per block, fusion, head.

    Parameters
    ----------
    specs : sequence of BlockSpec-like
        Objects with ``name``, ``kind`` (a kind registered in
        [`skmm.modalities`][skmm.modalities], whose declaration gives the block's encoder),
        ``shape``, ``dtype``, ``presence`` and, for text,
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
    text_encoder : {"bag", "lstm", "gru", "cnn", "transformer"} or str, default="bag"
        Encoder of text blocks (token ids, 0 is padding), or the name of one
        registered with [`register_text_encoder`][skmm.network.register_text_encoder]: fastText's
        bag of
        n-grams (the mean of the embeddings of the tokens and of their hashed
        bigrams, see ``BigramIds``); Embedding + LSTM
        or GRU (padding masked); Embedding + two Conv1D stages (kernel 3,
        padded positions zeroed) + global max pooling; or Embedding +
        learned position embedding + one self-attention block (padded keys
        masked, residual + LayerNormalization) + feed-forward block + mean
        over the real tokens.
    image_encoder : str, default="cnn"
        The name of an image encoder registered with
        [`register_image_encoder`][skmm.network.register_image_encoder]: ``"cnn"`` (Conv2D +
        MaxPooling
        stages, global average and max pooling) or the
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
        of a local weights file (``keras.applications``), or of a local
        Keras-Hub preset directory (``image_encoder="preset"``). Nothing is
        downloaded: ``"imagenet"`` is refused.
    video_encoder : {"gru", "lstm", "conv", "attention", "mean"} or str, default="gru"
        Temporal encoder of video blocks, over the features of their frames
        (padding frames masked out), or the name of one registered with
        [`register_video_encoder`][skmm.network.register_video_encoder]: a GRU
        or an LSTM of ``video_units``; two Conv1D stages over time, averaged;
        self-attention over the frames with learned positions, averaged; or
        the plain mean of the frame features, which is blind to frame order.
    video_frame_encoder : str, default="grid"
        Encoder of each frame (shared weights across frames): ``"grid"``
        (Conv2D stages of ``video_filters``; their global average and max
        pooling, what the frame shows, beside an average pooling to a 4x4
        grid, flattened and projected to ``video_units``, where things are),
        or any image encoder name (``"cnn"``, a ``keras.applications``
        backbone with ``video_weights``).
    video_filters : sequence of int, default=(32, 64)
        Filters of each Conv2D stage of the frame encoder.
    video_units : int, default=64
        Width of the frame features (``"grid"``) and of the temporal encoder.
    video_weights : None or str, default=None
        Weights file of a ``keras.applications`` frame encoder.
    graph_encoder : str, default="mean"
        Aggregation of graph blocks: ``"mean"`` or ``"max"`` (GraphSAGE),
        ``"attention"`` (GAT-style), or a registered one.
    graph_units : int, default=64
        Width of the node embeddings and GraphSAGE layers of graph blocks.
    block_encoders : dict, optional
        Block name -> Keras layer, or callable taking the block's input
        tensor and returning a flat ``(batch, features)`` tensor, used
        instead of the built-in encoder of that block. The model is saved
        with the layers it builds, so custom layer classes must be
        registered with ``keras.saving.register_keras_serializable``; and
        estimators holding this dict must pickle it, so use layers or
        module-level functions (no lambdas or closures). A callable that
        makes fresh layers on every call is safer than a layer instance,
        which keeps its weights across refits. An object with
        ``encode_block(inputs, spec)`` (a
        [`TransferredEncoder`][skmm.compose.TransferredEncoder]) is called
        with the block's spec too.
    block_l2 : dict, optional
        Block name -> L2 strength of that block's built-in encoder, instead
        of ``l2`` (the fusion layers and head keep ``l2``).
    block_settings : dict of str to dict, optional
        Block name -> encoder settings of that block's built-in encoder, by
        the names [`encoder_setting_names`][skmm.network.encoder_setting_names] gives for its kind
        (``{"review": {"encoder": "lstm", "units": 64}}``), instead of the
        network-wide ones (``text_encoder``, ``text_units``, ...).
    task_units : sequence of int, optional
        Several targets (multi-task): the trunk (encoders, fusion and the
        ``hidden_units`` layers) is shared and each task ``t`` gets its own
        output layer ``task<t>_output`` of ``task_units[t]`` units, sigmoid
        when 1 (a binary task) and softmax otherwise. The model output is
        their concatenation, of width ``n_outputs`` (which must equal
        ``sum(task_units)``); ``output_activation`` is then not used.
    balance : {None, "auxiliary", "modulate", "blend", "ensemble"}, default=None
        Balanced multimodal learning, for networks of two blocks or more
        (one block gives the plain network whatever the value).

        - None: the fused head alone (one output, ``output``).
        - ``"auxiliary"``: every block also gets an auxiliary head
          (``<name>_aux_head_dense<i>``, ``<name>_aux_output``; the same
          sizes as the fused head) that predicts the target from that
          block's (masked) features alone. The model's outputs are
          ``[output, *auxiliary heads]``, all trained. With
          ``fusion="late"`` the blocks' own heads (``<name>_output``) are the
          auxiliary heads, trained each on its own loss beside their average.
        - ``"modulate"``: as ``"auxiliary"``, and the features of each block
          enter the fusion through a `ModulatedGradient` layer
          (``<name>_modulation``) whose coefficient
          `GradientModulation` lowers for the block that fits best.
        - ``"blend"``: as ``"auxiliary"``, but the prediction ``output`` is a
          `HeadBlend` of the fused head (``fused_output``) and the
          auxiliary heads (with ``fusion="late"``: of the blocks' heads),
          over the heads whose block is present, with weights fitted after
          training (`fit_blend_weights`); it is not trained itself.
          The outputs are ``[output, fused_output, *auxiliary heads]``.
        - ``"ensemble"``: as ``"blend"``, but each block's features enter the
          fusion through a `DetachedFeatures` layer
          (``<name>_detached``), so an encoder learns from its own auxiliary
          head only (a uni-modal ensemble with a fused head on top, Du et al.,
          ICML 2023) and `BranchEarlyStopping` can stop each branch at
          its own best epoch. The auxiliary heads see the blocks' presence
          masks without ``modality_dropout`` (which still applies to the
          fused head).
    image_augmentation : sequence of {"flip", "shift", "zoom"}, optional
        Random transformations of image blocks during training only
        (horizontal flips; shifts of up to 10% of the height and width;
        zooms of up to 10%), applied before the encoder. Prediction sees the
        images unchanged.

    Returns
    -------
    model : keras.Model
        A functional model whose inputs are named after the blocks.
    """
    fusion_declaration = get_fusion(fusion)
    # an unknown name is refused before anything is built
    get_text_encoder(text_encoder)
    get_image_encoder(image_encoder)
    fusion_settings = {"fusion_units": fusion_units, "fusion_heads": fusion_heads}
    for arg in fusion_declaration.settings:
        value = fusion_settings[arg]
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{arg} must be a positive integer; got {value!r}.")
    if balance is not None and balance not in BALANCES:
        raise ValueError(
            f"Unknown balance {balance!r}; choose None or one of {', '.join(BALANCES)}."
        )
    image_augmentation = _check_augmentation(image_augmentation)
    block_encoders = _check_block_dict(block_encoders, "block_encoders", specs)
    block_l2 = _check_block_dict(block_l2, "block_l2", specs)
    block_settings = _check_block_dict(block_settings, "block_settings", specs)
    both = sorted(block_settings.keys() & block_encoders.keys())
    if both:
        raise ValueError(
            f"Block {both[0]!r} is in both block_settings and block_encoders: block_settings "
            "sets the sizes of a built-in encoder; a block_encoders entry replaces it."
        )
    both = sorted(block_l2.keys() & block_encoders.keys())
    if both:
        raise ValueError(
            f"Block {both[0]!r} is in both block_l2 and block_encoders: block_l2 sets the penalty "
            "of a built-in encoder; a block_encoders entry carries its own regularizers."
        )

    encoder_settings = dict(
        embedding_dim=embedding_dim,
        text_units=text_units,
        text_encoder=text_encoder,
        image_filters=image_filters,
        image_width_multiplier=image_width_multiplier,
        image_encoder=image_encoder,
        image_weights=image_weights,
        video_encoder=video_encoder,
        video_frame_encoder=video_frame_encoder,
        video_filters=tuple(video_filters),
        video_units=video_units,
        video_weights=video_weights,
        graph_encoder=graph_encoder,
        graph_units=graph_units,
        text_pooling=text_pooling,
        audio_filters=audio_filters,
        tabular_units=tabular_units,
    )
    for spec in specs:
        unknown = sorted(set(_modality(spec).encoder_settings) - set(encoder_settings))
        if unknown:
            raise ValueError(
                f"Block {spec.name!r}: the encoder of kind {spec.kind!r} asks for the settings "
                f"{unknown}, which the network does not have; it has {sorted(encoder_settings)}."
            )
    inputs, blocks, own_presence = [], [], {}
    for spec in specs:
        x_in = keras.Input(shape=spec.shape, dtype=spec.dtype, name=spec.name)
        encoded = x_in
        modality = _modality(spec)
        if modality.augmentable and image_augmentation:
            encoded = _augment(x_in, spec.name, image_augmentation)
        if spec.name in block_encoders:
            feat = _custom_encoder(block_encoders[spec.name], encoded, spec)
        else:
            feat = _builtin_encoder(
                encoded,
                spec,
                modality,
                l2=block_l2.get(spec.name, l2),
                settings=_block_encoder_settings(
                    spec, modality, encoder_settings, block_settings.get(spec.name, {})
                ),
            )
        feat = layers.Identity(name=block_features_name(spec.name))(feat)
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
        own_presence[spec.name] = present_in if present is not None else None

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
    if balance is None or len(blocks) < 2:
        balance = None
    # The heads of single blocks: with "ensemble" they see whether their block is
    # there, not modality dropout, which is the fused head's training device.
    single_blocks = blocks
    if balance == "ensemble":
        single_blocks = [(name, feat, own_presence[name]) for name, feat, _ in blocks]
    if fusion_declaration.combines == "predictions":
        outputs = _late_fusion(
            single_blocks, balance=balance, fuse=fusion_declaration.function, **head
        )
    else:
        fused_blocks = blocks
        if balance == "modulate":
            fused_blocks = [
                (name, ModulatedGradient(name=f"{name}_modulation")(feat), present)
                for name, feat, present in blocks
            ]
        elif balance == "ensemble":
            fused_blocks = [
                (name, DetachedFeatures(name=f"{name}_detached")(feat), present)
                for name, feat, present in blocks
            ]
        x = _fused_features(fusion_declaration, fused_blocks, reg, fusion_settings)
        x = layers.Identity(name=FUSED_FEATURES)(x)
        blended = balance in ("blend", "ensemble")
        fused_name = "fused_output" if blended else "output"
        outputs = _head(x, prefix="", output_name=fused_name, **head)
        if balance is not None:
            auxiliary = [
                _head(
                    masked(name, feat, present, suffix="aux_masked"),
                    prefix=f"{name}_aux_",
                    output_name=f"{name}_aux_output",
                    **head,
                )
                for name, feat, present in single_blocks
            ]
            outputs = [outputs, *auxiliary]
            if blended:
                presences = [None] + [present for _, _, present in single_blocks]
                outputs = [_blend(outputs, presences, **head), *outputs]
    return keras.Model(inputs=inputs, outputs=outputs, name="fused_network")


#: The accepted entries of ``image_augmentation``.
IMAGE_AUGMENTATIONS = ("flip", "shift", "zoom")

#: Largest shift (share of the height and width) and zoom of image augmentation.
AUGMENTATION_RANGE = 0.1


def _check_augmentation(augmentation):
    if augmentation is None:
        return ()
    if isinstance(augmentation, str):
        augmentation = (augmentation,)
    augmentation = tuple(augmentation)
    unknown = [name for name in augmentation if name not in IMAGE_AUGMENTATIONS]
    if unknown:
        raise ValueError(
            f"Unknown image_augmentation {unknown}; use a sequence of "
            f"{', '.join(map(repr, IMAGE_AUGMENTATIONS))} (or None)."
        )
    return augmentation


def _augment(x, name, augmentation):
    """Random flips, shifts and zooms of an image block (training only)."""
    return ImageAugmentation(augmentation, factor=AUGMENTATION_RANGE, name=f"{name}_augmentation")(
        x
    )


def _blend(heads, presences, *, n_outputs, output_activation, task_units, **_):
    """The prediction: a ``HeadBlend`` of ``heads`` over those present."""
    masks = [present for present in presences if present is not None]
    return HeadBlend(
        [present is not None for present in presences],
        probability_groups=probability_groups(n_outputs, output_activation, task_units),
        name="output",
    )([*heads, *masks])


def probability_groups(n_outputs, output_activation, task_units=None):
    """How the head's units group into probability distributions (for
    `HeadBlend`): the tasks' widths, one softmax group, one Bernoulli
    unit per sigmoid; None for other activations (values)."""
    if task_units is not None:
        return list(task_units)
    if output_activation == "softmax":
        return [n_outputs]
    if output_activation == "sigmoid":
        return [1] * n_outputs
    return None


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
    """Apply a user-supplied layer, callable or block encoder object (one with
    ``encode_block(inputs, spec)``, such as a ``TransferredEncoder``) and check it
    gives flat features."""
    encode_block = getattr(encoder, "encode_block", None)
    if not callable(encoder) and not callable(encode_block):
        raise ValueError(
            f"block_encoders[{spec.name!r}] must be a Keras layer, a callable or an object "
            f"with encode_block(inputs, spec); got {encoder!r}."
        )
    feat = encode_block(x_in, spec) if callable(encode_block) else encoder(x_in)
    if not keras.backend.is_keras_tensor(feat) or len(feat.shape) != 2:
        shape = getattr(feat, "shape", None)
        raise ValueError(
            f"block_encoders[{spec.name!r}] must return a (batch, features) Keras tensor; "
            f"got {type(feat).__name__} of shape {shape}."
        )
    return feat


def _modality(spec):
    """The declaration of the block's kind; an error naming the block otherwise."""
    try:
        return get_modality(spec.kind)
    except ValueError as error:
        raise ValueError(f"Block {spec.name!r}: {error}") from None


def encoder_setting_names(kind):
    """The encoder settings of a block kind, by the names a single block's settings use.

    A block's own settings (``block_settings`` of `build_fused_network`,
    the estimators' routed ``encoders__<block>__<name>`` parameters) name the
    network-wide settings of its kind without the kind's prefix.

    Parameters
    ----------
    kind : str
        A registered block kind.

    Returns
    -------
    names : dict of str to str
        Short name -> network-wide setting, in the declaration's order.

    Examples
    --------
    >>> from skmm.network import encoder_setting_names
    >>> encoder_setting_names("image")["filters"]
    'image_filters'
    """
    modality = get_modality(kind)
    return {name.removeprefix(f"{kind}_"): name for name in modality.encoder_settings}


def _block_encoder_settings(spec, modality, settings, own):
    """The network-wide encoder settings with the block's own ones in their place."""
    if not isinstance(own, dict):
        raise ValueError(
            f"block_settings[{spec.name!r}] must be a dict of encoder settings; got {own!r}."
        )
    names = encoder_setting_names(modality.kind)
    unknown = sorted(set(own) - set(names))
    if unknown:
        raise ValueError(
            f"Block {spec.name!r} (kind {modality.kind!r}) has no encoder setting "
            f"{unknown[0]!r}; its settings are {', '.join(names) or 'none'}."
        )
    return {**settings, **{names[short]: value for short, value in own.items()}}


def _builtin_encoder(x_in, spec, modality, *, l2, settings):
    """The encoder the block's modality declares, given the settings it lists."""
    feat = modality.encoder(
        x_in, spec, l2=l2, **{name: settings[name] for name in modality.encoder_settings}
    )
    if not keras.backend.is_keras_tensor(feat) or len(feat.shape) != 2:
        raise ValueError(
            f"Block {spec.name!r}: the encoder of kind {spec.kind!r} must return a "
            f"(batch, features) Keras tensor; got {type(feat).__name__} of shape "
            f"{getattr(feat, 'shape', None)}."
        )
    return feat


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
    return concatenate(tasks, output_name) if len(tasks) > 1 else tasks[0]


def _fused_features(fusion, blocks, reg, settings):
    """The features the fused head reads: the fusion's function on the blocks."""
    x = fusion.function(blocks, reg=reg, **{name: settings[name] for name in fusion.settings})
    if not keras.backend.is_keras_tensor(x) or len(x.shape) != 2:
        raise ValueError(
            f"The fusion {fusion.name!r} must return a (batch, features) Keras tensor; got "
            f"{type(x).__name__} of shape {getattr(x, 'shape', None)}."
        )
    return x


def _late_fusion(blocks, *, n_outputs, fuse, balance=None, **head):
    """One head per block; their predictions fused by ``fuse`` (blended instead with
    ``balance="blend"`` or ``"ensemble"``)."""
    outputs = [
        _head(
            masked(name, feat, present),
            prefix=f"{name}_",
            output_name=f"{name}_output",
            n_outputs=n_outputs,
            **head,
        )
        for name, feat, present in blocks
    ]
    if balance in ("blend", "ensemble"):
        presences = [present for _, _, present in blocks]
        return [_blend(outputs, presences, n_outputs=n_outputs, **head), *outputs]
    fused = outputs
    if balance == "modulate":
        fused = [
            ModulatedGradient(name=f"{name}_modulation")(output)
            for (name, _, _), output in zip(blocks, outputs, strict=True)
        ]
    average = fuse(blocks, fused, n_outputs=n_outputs)
    return average if balance is None else [average, *outputs]
