"""The parameter and attribute documentation the multimodal estimators share.

Each estimator's docstring holds placeholders (``<<network parameters>>``, ...)
that `fill_docstring` replaces with the text here, so that the settings
are documented once.
"""

from __future__ import annotations

#: Parameters shared by every multimodal estimator (documented on each class).
NETWORK_PARAMETER_DOC = """    l2 : float, default=1e-4
        L2 strength λ on every kernel and embedding table.
    embedding_dim : int, default=32
        Width of the token embedding of text blocks.
    text_units : int, default=32
        Units of the LSTM of text blocks.
    image_filters : tuple of int, default=(64, 128, 128)
        Filters of each Conv2D stage of image blocks (each stage: 3×3
        convolution, ReLU, 2×2 max pooling).
    image_width_multiplier : float, default=1.0
        Scales every entry of ``image_filters`` (0.5 halves the widths).
    audio_filters : tuple of int, default=(64, 128)
        Filters of each Conv1D stage of audio blocks (3-frame convolution,
        ReLU, 2× max pooling, then global average pooling).
    tabular_units : tuple of int, default=(64,)
        Hidden layer widths of the MLP of tabular blocks.
    hidden_units : tuple of int, default=(64,)
        Hidden layer widths of the head on the fused features.
    dropout : float, default=0.2
        Dropout rate after each hidden layer of the head.
    modality_dropout : float or "auto", default="auto"
        During training, probability of treating a text, image, audio or
        video block as missing for a row (its features zeroed, its presence
        input 0), so the network learns to predict when a modality is absent
        and each modality learns to carry the target by itself. ``"auto"`` is
        0.2 for a network of two blocks or more (one of them text, image,
        audio or video) and 0 for a single block, which has nothing to fall
        back on.
    fusion : {"concat", "gated", "attention", "late"}, default="concat"
        How block features are fused: concatenation; learned per-modality
        sigmoid gates on projected features, summed; multi-head attention over
        modality tokens (absent blocks masked out), averaged; or one head per
        block with the outputs averaged over the present blocks. A fusion
        registered with [`skmm.network.register_fusion`][skmm.network.register_fusion] is selected
        by
        its name too (``docs/extending.md``).
    fusion_units : int, default=64
        Width blocks are projected to for ``"gated"`` and ``"attention"``.
    fusion_heads : int, default=2
        Attention heads for ``"attention"``.
    text_encoder : {"bag", "lstm", "gru", "cnn", "transformer"} or str, default="bag"
        Encoder of text blocks (padding is masked), or the name of one
        registered with [`skmm.network.register_text_encoder`][skmm.network.register_text_encoder]
        (``docs/extending.md``): ``"bag"`` is fastText's
        bag of n-grams (the mean of the embeddings of the tokens and of their
        hashed bigrams; fast, and strong on short texts and small data); the
        others are an LSTM or GRU of ``text_units``, two Conv1D stages, or a
        self-attention block.
    image_encoder : str, default="cnn"
        ``"cnn"`` (the Conv2D stages above), the name of a
        ``keras.applications`` model (``"MobileNetV2"``, ``"ResNet50"``,
        ``"EfficientNetB0"``, ...) used as a backbone, or ``"preset"``: the
        Keras-Hub image backbone of the preset directory ``image_weights``
        (ResNet, ViT, ...); pixels in [0, 1] are rescaled to what it expects.
    image_weights : None or str, default=None
        Weights of the backbone: None (random), a local weights file of the
        applications model, or a local Keras-Hub preset directory with
        ``image_encoder="preset"``. Nothing is downloaded (``"imagenet"`` is
        an error: download the file once and give its path).
    video_encoder : {"gru", "lstm", "conv", "attention", "mean"} or str, default="gru"
        Temporal encoder of video blocks, over the features of their frames
        (padding frames masked out): a GRU or LSTM of ``video_units``, two
        Conv1D stages over time, self-attention over the frames, or the mean
        of the frame features (blind to frame order, so blind to motion); or
        the name of one registered with
        [`skmm.network.register_video_encoder`][skmm.network.register_video_encoder].
    video_frame_encoder : str, default="grid"
        Encoder applied to every frame of a video block with shared weights:
        ``"grid"`` (Conv2D stages of ``video_filters``; global average and
        max pooling, what the frame shows, beside a 4x4 grid projected to
        ``video_units``, where things are), or any ``image_encoder`` name
        (``"cnn"``, a ``keras.applications`` backbone loading
        ``video_weights``).
    video_filters : tuple of int, default=(32, 64)
        Filters of each Conv2D stage of the frame encoder.
    video_units : int, default=64
        Width of the frame features and of the temporal encoder.
    video_weights : None or str, default=None
        Local weights file of a ``keras.applications`` frame encoder.
    graph_encoder : {"mean", "max", "attention"} or str, default="mean"
        Aggregation of graph blocks (`skmm.preprocessing.GraphNeighborhood`):
        node-id embeddings (plus projected node features) combined hop by
        hop with the mean (GraphSAGE) or element-wise max of the sampled
        neighbours, or with GAT-style attention over them; or the name of one
        registered with
        [`skmm.network.register_graph_encoder`][skmm.network.register_graph_encoder].
    graph_units : int, default=64
        Width of the node embeddings and of each GraphSAGE layer.
    block_encoders : dict of str to keras layer or callable, default=None
        A Keras layer (registered, so that fitted models pickle), or a
        callable taking the block's Keras input and returning a
        ``(batch, features)`` tensor, to use instead of the built-in encoder
        of the named block. A callable with scikit-learn's ``get_params`` and
        ``set_params`` (a ``BaseEstimator`` subclass with ``__call__``) is an
        encoder object whose parameters ``encoders__<block>__<name>`` tunes.
    balance : {"ensemble", "blend", "auxiliary", "modulate", None}, default="ensemble"
        Balanced multimodal learning, against the greedy learning of a
        jointly trained network (it fits the easiest modality and stops
        looking at the others). With two blocks or more, every block gets an
        auxiliary head predicting the target from that block alone, trained
        beside the fused head (the heads' losses are averaged).

        - ``"blend"``: the prediction is a weighted average of the fused head
          and the auxiliary heads (over the blocks present in the row), with
          weights fitted after training on the held-out validation rows of
          early stopping (``head_weights_``; uniform when the fit held out
          none), so that on those rows it is never worse than its best head.
        - ``"ensemble"``: as ``"blend"``, but each block's encoder learns
          from its own auxiliary head only (the fused head reads the blocks'
          features without sending gradients back: a uni-modal ensemble with a
          fused head on top, Du et al., ICML 2023). With early stopping each
          branch stops at its own best epoch on its own head's loss and is
          then frozen; once all are, the fused head trains on their final
          features until it stops improving too (``head_iterations_``). The
          modality that learns fast (often images) can no longer end the
          training of the slow one (often text) early.
        - ``"auxiliary"``: the prediction is the fused head.
        - ``"modulate"``: as ``"auxiliary"``, and the gradient the fused head
          sends to the block that currently fits best is scaled down
          (on-the-fly gradient modulation, Peng et al., CVPR 2022).
        - None: one fused head, trained alone.

        With ``fusion="late"`` the blocks' own heads are the auxiliary heads.
        See ``docs/balanced_fusion.md``.
    image_augmentation : sequence of {"flip", "shift", "zoom"} or None, default=None
        Random horizontal flips, shifts (up to 10 %) and zooms (up to 10 %)
        of image blocks during training only; prediction sees the images as
        they are. Off by default: with early stopping it lowered the accuracy
        on the real and synthetic images measured (``docs/balanced_fusion.md``).
    text_pooling : {"cls", "mean"}, default="cls"
        How the encoder of a pretrained text block (``PresetTokenizer``)
        turns the backbone's token states into one vector: the state of the
        first token (``[CLS]``), or the mean over the real tokens.
    **kwargs
        Routed parameters of one block, tunable in a search like any other
        (``multimodalclassifier__l2__image``):

        - ``l2__<block>`` (float): λ of that block's encoder instead of
          ``l2`` (the fusion and head keep ``l2``), such as
          ``l2__image=1e-3``;
        - ``encoders__<block>__<name>``: a setting of that block's built-in
          encoder instead of the network-wide one, by its name without the
          kind's prefix
          ([`skmm.network.encoder_setting_names`][skmm.network.encoder_setting_names]), such as
          ``encoders__review__encoder="lstm"``,
          ``encoders__review__units=64`` or ``encoders__image__filters=(32,
          64)``, checked like the network-wide setting; or a parameter of the
          encoder object in ``block_encoders[<block>]``, set on a clone.
    optimizer : str or keras optimizer class or instance, default="adam"
    learning_rate : float, default=1e-3
        Learning rate of the optimizer when ``optimizer`` is a name or a
        class (an optimizer instance keeps its own).
    backbone_trainable : bool or int, default=True
        Which weights of every backbone (a block's pretrained or transferred
        encoder: a Keras-Hub preset, a ``keras.applications`` network, a
        `TransferredEncoder`) train: True all of them, False none
        (a frozen feature extractor), an int ``k`` the top ``k`` layers (a
        transformer block counts as one layer; 0 is False).
    backbone_lr_factor : float, default=0.1
        The learning rate of every backbone's weights is ``learning_rate``
        times this factor (pretrained weights move slowly while the new
        layers learn); 1.0 trains them at the same rate, 0.0 freezes them
        in effect (prefer ``backbone_trainable=False``, which also skips
        their gradients).
    head_epochs : int, default=0
        Epochs at the start of a fit during which every backbone is frozen
        and only the new layers train (the first phase of two-phase
        fine-tuning: the head learns before the pretrained features are
        moved); then ``backbone_trainable`` applies. Counted in ``epochs``."""

TRAINING_PARAMETER_DOC = """    metrics : list, default=None
        Extra Keras metrics to record in ``history_``.
    batch_size : int, default=32
    epochs : int, default=100
        Most epochs of a fit; training usually stops before (``n_iter_``).
    validation_split : float, default=0.0
        Keras' validation split (the last rows of the training data).
        Prefer ``early_stopping``.
    early_stopping : {"auto", True, False}, default="auto"
        True: hold out a seeded ``validation_fraction`` of the rows given to
        ``fit`` (stratified for classifiers; inside each cross-validation
        training fold, so nothing leaks), stop when the validation loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs, and restore
        the weights of the best epoch. ``"auto"`` does so when the held-out
        slice has at least 10 rows (100 rows at the default fraction) and
        can be stratified; otherwise it stops on the training loss (same
        rule, best epoch restored). False trains ``epochs`` epochs. Ignored
        by ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping (and for
        fitting the blend weights of ``balance="blend"`` / ``"ensemble"``).
    n_iter_no_change : int, default=10
        Epochs without improvement before training stops.
    tol : float, default=1e-4
        Least decrease of the validation loss that counts as improvement.
    shuffle : bool, default=True"""

COMMON_PARAMETER_DOC = """    callbacks : list of keras callbacks, default=None
    warm_start : bool, default=False
        If True, a new ``fit`` keeps training the current network.
    verbose : int, default=0
        0 is silent; 1 shows Keras' progress bar; 2 one line per epoch.
    random_state : int, RandomState, Generator or None, default=None
        Seeds weight initialization, shuffling and dropout of each fit. An
        int gives identical fits (on CPU); a RandomState gives a new seed
        for every fit; None leaves the global random state alone.
    distribution : None, "mirrored" or tf.distribute.Strategy, default=None
        Trains the network with ``tf.distribute``: None trains on one device;
        ``"mirrored"`` is a ``MirroredStrategy`` over every GPU (over every
        logical CPU device when there is no GPU); a strategy instance is used
        as it is. The network is built in the strategy's scope when a fit
        builds it; ``batch_size`` is then the global batch, split evenly
        across the replicas. Prediction runs on one device. A strategy
        instance cannot be pickled or saved (use ``"mirrored"``); see
        ``docs/scaling_out.md``.
    embedding : {"fused", "blocks"}, default="fused"
        What ``transform`` returns: the fused features the head reads, or
        each block's encoder output side by side (zero where the block is
        missing).
    **kwargs
        Routed parameters, e.g. ``optimizer__momentum=0.9``."""

COMMON_ATTRIBUTE_DOC = """    model_ : keras.Model
        The fitted network. With balanced heads (``balance`` not None, two
        blocks or more) it has several outputs: ``outputs[0]`` is the
        prediction, the others the heads it was trained through;
        ``skmm.network.serving_network(model_)`` is the prediction alone.
    block_specs_ : dict of str to BlockSpec
        The blocks the network was built for.
    history_ : dict of list
        Loss (and metrics; ``val_loss`` with early stopping) per epoch of the
        last ``fit``, or accumulated over ``partial_fit`` calls.
    n_iter_ : int
        Number of epochs in ``history_``.
    best_iteration_ : int
        With early stopping, the epoch (1-based) whose weights were kept
        (with ``balance="ensemble"``: the latest of ``head_iterations_``).
    head_iterations_ : dict of str to int
        With ``balance="ensemble"``, early stopping and two blocks or more:
        the epoch (1-based) whose weights each branch (one entry per block)
        and the fused head (``"fused"``, absent when the epochs ran out
        before the branches stopped) kept.
    head_weights_ : dict of str to float
        With ``balance="blend"`` or ``"ensemble"`` and two blocks or more, the weight of each
        head in the prediction: ``"fused"`` and one entry per block (summing
        to 1).
    n_features_in_ : int
        Number of features, only when fitted on a plain numeric table.
    feature_names_in_ : ndarray of str
        Column names, only when fitted on a numeric DataFrame."""


def fill_docstring(doc):
    """Put the shared parameter and attribute text into a class docstring."""
    return (
        doc.replace("    <<network parameters>>", NETWORK_PARAMETER_DOC)
        .replace("    <<training parameters>>", TRAINING_PARAMETER_DOC)
        .replace("    <<common parameters>>", COMMON_PARAMETER_DOC)
        .replace("    <<common attributes>>", COMMON_ATTRIBUTE_DOC)
    )
