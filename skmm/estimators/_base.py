"""What the multimodal classifier and regressor share: input checks, network
building, feeding (arrays or lazy batches), early stopping, seeding, pickling.

``MultimodalEstimatorMixin`` sits left of a scikeras wrapper class and
implements the hooks of :class:`~._scikeras_adapter.ScikerasAdapter` (the only
module that names scikeras' private members).
"""

from __future__ import annotations

import inspect
import math
from collections import defaultdict
from contextlib import contextmanager

import keras
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .._compat import (
    InvalidParameterError,
    build_training_state,
    fuse_adam_update_step,
    load_keras_model_bytes,
    save_keras_model_bytes,
)
from .._dataframes import as_pandas
from .._memory import collect_dropped_networks
from .._persistence import INLINE_NETWORK_KEY, archived_state, restored_network, saving_archive
from .._threads import size_tensorflow_threads
from ..compose import BlockSpec, MultimodalBlocks
from ..network import (
    BranchEarlyStopping,
    GradientModulation,
    PredictFunction,
    blend_layer,
    build_fused_network,
    ensemble_groups,
    fit_blend_weights,
    head_loss_weights,
    modulated_blocks,
    per_output,
)
from ._distribution import distribution_scope, refuse_strategy_instance
from ._feeding import (
    SMALL_DATA_BYTES,
    BlockBatches,
    data_bytes,
    has_lazy_block,
    in_memory_batches,
    repeat_targets,
    subset_inputs,
)
from ._inputs import TABULAR_BLOCK, KerasInputs, blocks_from_mapping, check_blocks, is_mapping
from ._layer_seeds import private_layer_seeds
from ._scikeras_adapter import ScikerasAdapter
from ._seeding import MAX_SEED, seed_from_random_state, seeded

# Before anything starts TensorFlow's runtime: joblib workers get their share of the cores.
size_tensorflow_threads()

#: With ``early_stopping="auto"``, the fewest validation rows worth monitoring; with
#: fewer (under 100 training rows at the default validation_fraction=0.1), training
#: stops on the training loss instead.
MIN_VALIDATION_ROWS = 10
#: The rate of ``modality_dropout="auto"`` for a network of two blocks or more.
AUTO_MODALITY_DROPOUT = 0.2

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
        During training, probability of treating a text, image or audio
        block as missing for a row (its features zeroed, its presence input
        0), so the network learns to predict when a modality is absent and
        each modality learns to carry the target by itself. ``"auto"`` is
        0.2 for a network of two blocks or more (one of them text, image or
        audio) and 0 for a single block, which has nothing to fall back on.
    fusion : {"concat", "gated", "attention", "late"}, default="concat"
        How block features are fused: concatenation; learned per-modality
        sigmoid gates on projected features, summed; multi-head attention over
        modality tokens (absent blocks masked out), averaged; or one head per
        block with the outputs averaged over the present blocks. A fusion
        registered with :func:`skmm.network.register_fusion` is selected by
        its name too (``docs/extending.md``).
    fusion_units : int, default=64
        Width blocks are projected to for ``"gated"`` and ``"attention"``.
    fusion_heads : int, default=2
        Attention heads for ``"attention"``.
    text_encoder : {"bag", "lstm", "gru", "cnn", "transformer"}, default="bag"
        Encoder of text blocks (padding is masked): ``"bag"`` is fastText's
        bag of n-grams (the mean of the embeddings of the tokens and of their
        hashed bigrams; fast, and strong on short texts and small data); the
        others are an LSTM or GRU of ``text_units``, two Conv1D stages, or a
        self-attention block.
    image_encoder : str, default="cnn"
        ``"cnn"`` (the Conv2D stages above) or the name of a
        ``keras.applications`` model (``"MobileNetV2"``, ``"ResNet50"``,
        ``"EfficientNetB0"``, ...) used as a trainable backbone; pixels in
        [0, 1] are rescaled to what it expects.
    image_weights : None or str, default=None
        Weights of an applications backbone: None (random), a local weights
        file, or ``"imagenet"`` (downloaded by Keras; needs network access).
    block_encoders : dict of str to keras layer, default=None
        A Keras layer (registered, so that fitted models pickle) to use
        instead of the built-in encoder of the named block.
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
    **kwargs : float
        Per-block λ: keyword arguments ``l2__<block>``, such as
        ``l2__image=1e-3``, override ``l2`` for that
        block's encoder (the fusion and head keep ``l2``); tunable in a grid
        search as ``multimodalclassifier__l2__image``.
    optimizer : str or keras optimizer class or instance, default="adam"
    learning_rate : float, default=1e-3
        Learning rate of the optimizer when ``optimizer`` is a name or a
        class (an optimizer instance keeps its own)."""

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


def store_init_params(estimator, init_locals, kwargs):
    """Store every ``__init__`` argument as an attribute of the same name, unchanged.

    The estimators' ``__init__`` lists each parameter explicitly (so scikit-learn
    can introspect the signature) and calls this with ``locals()``: the named
    parameters and the routed keyword arguments (``optimizer__momentum``,
    ``l2__image``) become attributes; nothing is validated or derived here.
    """
    for name, value in init_locals.items():
        if name not in ("self", "kwargs", "__class__"):
            setattr(estimator, name, value)
    vars(estimator).update(kwargs)


def fill_docstring(doc):
    """Put the shared parameter and attribute text into a class docstring."""
    return (
        doc.replace("    <<network parameters>>", NETWORK_PARAMETER_DOC)
        .replace("    <<training parameters>>", TRAINING_PARAMETER_DOC)
        .replace("    <<common parameters>>", COMMON_PARAMETER_DOC)
        .replace("    <<common attributes>>", COMMON_ATTRIBUTE_DOC)
    )


class MultimodalEstimatorMixin(ScikerasAdapter):
    """Behaviour shared by skmm's scikeras-based estimators (placed left of them)."""

    #: Routed prefixes beyond scikeras' own: ``l2`` for per-block overrides (``l2__image``).
    _extra_routing_prefixes = frozenset({"l2"})

    # -- parameters ---------------------------------------------------------------------

    def _parameter_names(self):
        # Every public attribute set by __init__ is a parameter: the named ones
        # and routed ones given as keyword arguments (``optimizer__momentum``).
        return sorted(k for k in vars(self) if not k.startswith("_") and not k.endswith("_"))

    def _check_params(self):
        named = inspect.signature(type(self).__init__).parameters
        prefixes = self._all_routing_prefixes() | {"callbacks"}
        unknown = [
            k
            for k in self._parameter_names()
            if k not in named and not ("__" in k and k.split("__")[0] in prefixes)
        ]
        if unknown:
            raise TypeError(
                f"Unknown parameter(s) {unknown} for {type(self).__name__}; routed "
                f"parameters must start with one of {sorted(self._all_routing_prefixes())} "
                "followed by '__'."
            )
        # Each parameter's type and range, from the table of skmm.estimators._settings
        # (raises InvalidParameterError, a ValueError and a TypeError).
        self._validate_params()
        if self.early_stopping is True and self.validation_split:
            raise InvalidParameterError(
                "early_stopping holds out its own validation rows; set validation_split=0."
            )

    # -- input validation (called by scikeras) ------------------------------------------

    def _validate_input(self, X=None, y=None, reset=False, y_numeric=False):
        if y is not None:
            _, y = super()._validate_input(X=None, y=y, reset=reset, y_numeric=y_numeric)
        if X is not None:
            X = self._validate_blocks(X, reset=reset)
            if y is not None:
                check_consistent_length(np.empty(X.n_samples), y)
        return X, y

    def _validate_blocks(self, X, reset):
        fitted_specs = None if reset else self.block_specs_
        X = as_pandas(X, type(self).__name__)  # a polars table is read as pandas
        if isinstance(X, MultimodalBlocks):
            blocks = X
        elif is_mapping(X) and not sp.issparse(X):  # a dok_matrix is a dict
            blocks = blocks_from_mapping(X, fitted_specs)
        else:
            if not reset and TABULAR_BLOCK not in self.block_specs_:
                raise ValueError(
                    f"This {type(self).__name__} was fitted on blocks "
                    f"{list(self.block_specs_)}; got a plain table."
                )
            array = validate_data(self, X, reset=reset, dtype=np.float32)
            spec = BlockSpec(TABULAR_BLOCK, "tabular", array.shape[1:], "float32")
            blocks = MultimodalBlocks({TABULAR_BLOCK: array}, {TABULAR_BLOCK: spec})
        if blocks.n_samples == 0:
            raise ValueError("Found an input with 0 samples; at least 1 is required.")
        if reset and blocks.n_samples < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to fit; got n_samples=1."
            )
        check_blocks(blocks, fitted_specs)
        if reset:
            if not isinstance(X, np.ndarray) and not hasattr(X, "iloc"):
                for attribute in ("n_features_in_", "feature_names_in_"):
                    vars(self).pop(attribute, None)
            self.block_specs_ = dict(blocks.specs)
        return blocks

    def _validate_weights(self, X, y, sample_weight):
        sample_weight = _check_sample_weight(
            sample_weight, y, dtype=np.float32, ensure_non_negative=True
        )
        if not sample_weight.any():
            raise ValueError("Every sample_weight is zero; there is nothing to train on.")
        kept = sample_weight != 0
        if kept.all():
            return X, y, sample_weight
        return X.take(kept), y[kept], sample_weight[kept]

    @property
    def feature_encoder(self):
        return KerasInputs()

    # -- building -------------------------------------------------------------------------

    def _build_network(self, *, n_outputs, output_activation, default_loss, task_units=None):
        """Build and compile the network; a parameter it refuses raises ``InvalidParameterError``.

        The data were checked before this runs, so a ``ValueError`` or ``TypeError``
        from building or compiling (an unknown ``fusion`` or encoder, optimizer or
        loss name, ``l2__<block>`` for a block that does not exist) is about the
        parameters. scikit-learn's ``InvalidParameterError`` subclasses both, so
        callers that catch either keep working, and a caller such as the command
        line can tell a bad parameter from bad data.
        """
        try:
            return self._build_and_compile(
                n_outputs=n_outputs,
                output_activation=output_activation,
                default_loss=default_loss,
                task_units=task_units,
            )
        except InvalidParameterError:
            raise
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(str(exc)) from exc

    def _modality_dropout_rate(self):
        """The rate of ``modality_dropout``, ``"auto"`` resolved for these blocks."""
        if self.modality_dropout != "auto":
            return self.modality_dropout
        specs = list(self.block_specs_.values())
        fused = len(specs) >= 2 and any(spec.presence for spec in specs)
        return AUTO_MODALITY_DROPOUT if fused else 0.0

    def _build_and_compile(self, *, n_outputs, output_activation, default_loss, task_units):
        collect_dropped_networks()
        model = build_fused_network(
            list(self.block_specs_.values()),
            n_outputs=n_outputs,
            output_activation=output_activation,
            l2=self._network_l2(),
            embedding_dim=self.embedding_dim,
            text_units=self.text_units,
            image_filters=tuple(self.image_filters),
            image_width_multiplier=self.image_width_multiplier,
            audio_filters=tuple(self.audio_filters),
            tabular_units=tuple(self.tabular_units),
            hidden_units=tuple(self.hidden_units),
            dropout=self.dropout,
            modality_dropout=self._modality_dropout_rate(),
            fusion=self.fusion,
            fusion_units=self.fusion_units,
            fusion_heads=self.fusion_heads,
            text_encoder=self.text_encoder,
            image_encoder=self.image_encoder,
            image_weights=self.image_weights,
            block_encoders=self.block_encoders,
            block_l2=self._block_l2(),
            task_units=task_units,
            balance=self.balance,
            image_augmentation=self.image_augmentation,
        )
        compile_kwargs = self._compile_arguments()
        # An optimizer instance, or a routed optimizer__learning_rate, keeps its own rate.
        if isinstance(self.optimizer, str | type) and "optimizer__learning_rate" not in vars(self):
            compile_kwargs["optimizer"].learning_rate = self.learning_rate
        if isinstance(self.optimizer, str | type):  # an optimizer made here, not the user's
            compile_kwargs["optimizer"] = fuse_adam_update_step(compile_kwargs["optimizer"])
        if self.loss is None:
            compile_kwargs["loss"] = default_loss
        if len(model.outputs) > 1:  # balanced heads: each trained output gets the loss
            compile_kwargs["loss"] = per_output(model, compile_kwargs["loss"])
            compile_kwargs["loss_weights"] = head_loss_weights(model)
            if compile_kwargs.get("metrics"):  # user metrics describe the prediction
                compile_kwargs["metrics"] = [
                    compile_kwargs["metrics"],
                    *[[] for _ in model.outputs[1:]],
                ]
        model.compile(**compile_kwargs)
        return model

    def _network_l2(self):
        """The shared L2 penalty handed to the network builder: ``l2`` (a float), or a
        regularizer object that subclasses can adjust after building."""
        return self.l2

    def _block_l2(self):
        """Per-block L2 overrides from the flat ``l2__<block>`` parameters."""
        overrides = {
            name.split("__", 1)[1]: value
            for name, value in vars(self).items()
            if name.startswith("l2__")
        }
        unknown = sorted(set(overrides) - set(self.block_specs_))
        if unknown:
            raise ValueError(
                f"l2 overrides name unknown blocks {unknown}; the blocks are "
                f"{list(self.block_specs_)}."
            )
        for name, value in overrides.items():
            if not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"l2__{name} must be a float >= 0; got {value!r}.")
        return overrides or None

    def _finish_initialize(self, X):
        """The end of ``_initialize_fit``, once the target is encoded: the inputs'
        encoder, the network and the callbacks."""
        self.feature_encoder_ = self.feature_encoder.fit(X)
        # A network built in a strategy's scope keeps it: Keras' fit then distributes.
        # Its layers' seeds come from the fit's seed even while other threads of the
        # process (a Dask worker's event loop) draw from Python's global random module.
        with distribution_scope(self.distribution), private_layer_seeds():
            self.model_ = self._build_model()
            # Creating the optimizer's slots now, eagerly, instead of inside the first
            # traced train step halves the fixed cost of a fit (variable creation in a
            # tf.function is slow).
            self.model_.optimizer.build(self.model_.trainable_variables)
        self._predict_function = PredictFunction(self.model_)
        self._reset_callbacks()

    # -- fitting --------------------------------------------------------------------------

    def _seeded_fit(self, X, y, sample_weight, **kwargs):
        with seeded(seed_from_random_state(self.random_state)):
            self._run_wrapper_fit(X, y, sample_weight=sample_weight, **kwargs)
        return self

    @contextmanager
    def _unchanged_on_failure(self, in_place=False):
        """An exception or KeyboardInterrupt during a fit leaves the estimator as it was
        (``fit`` and ``partial_fit`` run their whole body in this context).

        A fresh fit builds a new network, so the previous one is untouched and only the
        attributes are put back; ``warm_start`` and ``partial_fit`` train the current
        network in place, so its weights and optimizer state are copied first.
        """
        state = dict(vars(self))
        history = getattr(self, "history_", None)
        if history is not None:
            state["history_"] = defaultdict(list, {k: list(v) for k, v in history.items()})
        model = state.get("model_")
        trained_in_place = model is not None and (self.warm_start or in_place)
        network = NetworkSnapshot(model) if trained_in_place else None
        try:
            yield
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            if network is not None:
                network.restore()
            raise

    def _seeded_partial_fit(self, X, y, sample_weight, **kwargs):
        seed = seed_from_random_state(self.random_state)
        if seed is not None and isinstance(self.random_state, int | np.integer):
            seed += self.current_epoch  # a new shuffle and dropout draw per epoch
        self._incremental = True  # partial_fit trains on all it is given: no early stopping
        try:
            with seeded(seed):
                self._run_wrapper_partial_fit(X, y, sample_weight=sample_weight, **kwargs)
        finally:
            self._incremental = False
        return self

    def _train_network(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        stopper, held_out = None, None
        if self.early_stopping and not getattr(self, "_incremental", False):
            split = self._validation_rows(y)
            if split is not None:
                train, val = split
                held_out = (subset_inputs(X, val), y[val], _rows_or_none(sample_weight, val))
                kwargs["validation_data"] = self._keras_data(*held_out)
                X, y, sample_weight = (
                    subset_inputs(X, train),
                    y[train],
                    _rows_or_none(sample_weight, train),
                )
            monitor = "loss" if split is None else "val_loss"
            if self.balance == "ensemble" and blend_layer(self.model_) is not None:
                stopper = BranchEarlyStopping(
                    ensemble_groups(self.model_),
                    monitor=monitor,
                    patience=self.n_iter_no_change,
                    min_delta=self.tol,
                )
            else:
                stopper = keras.callbacks.EarlyStopping(
                    monitor=monitor,
                    patience=self.n_iter_no_change,
                    min_delta=self.tol,
                    restore_best_weights=True,
                )
        added = [stopper] if stopper else []
        modulated = modulated_blocks(self.model_)
        if modulated:
            added.append(
                GradientModulation(
                    modulated,
                    {name: _auxiliary_loss_key(self.model_, name) for name in modulated},
                    regression=not hasattr(self, "classes_"),
                )
            )
        user_callbacks = self._training_callbacks
        self._training_callbacks = [*user_callbacks, *added]
        targets = repeat_targets(y, len(self.model_.outputs))
        build_training_state(self.model_, targets)
        try:
            if has_lazy_block(X):
                if self.validation_split:
                    raise ValueError(
                        "validation_split cannot split lazy blocks; use early_stopping, which "
                        "holds out validation_fraction of the rows."
                    )
                batches = BlockBatches(
                    X,
                    y,
                    sample_weight,
                    batch_size=self.batch_size,
                    shuffle=self.shuffle,
                    seed=np.random.randint(MAX_SEED),
                    n_targets=len(self.model_.outputs),
                )
                self._fit_batches(batches, warm_start, epochs, initial_epoch, **kwargs)
            elif self._feeds_small_data(X, y, sample_weight):
                batches = in_memory_batches(
                    X,
                    y,
                    sample_weight,
                    batch_size=self.batch_size,
                    shuffle=self.shuffle,
                    seed=np.random.randint(MAX_SEED),
                    n_targets=len(self.model_.outputs),
                )
                if self.distribution is None:
                    # Under a strategy Keras draws a batch before training to build the
                    # network, which starts a pass and so a new row order. Starting one
                    # here too keeps a fit's row orders the same with and without one.
                    iter(batches)
                self._fit_batches(batches, warm_start, epochs, initial_epoch, **kwargs)
            else:
                super()._train_network(
                    X, targets, sample_weight, warm_start, epochs, initial_epoch, **kwargs
                )
        finally:
            self._training_callbacks = user_callbacks
        self._name_prediction_metrics()
        if isinstance(stopper, BranchEarlyStopping):
            self.head_iterations_ = {
                label: epoch + 1 for label, epoch in stopper.best_epochs.items()
            }
            self.best_iteration_ = max(self.head_iterations_.values(), default=0)
        else:
            vars(self).pop("head_iterations_", None)
            if stopper is not None:
                self.best_iteration_ = stopper.best_epoch + 1
        self.n_iter_ = len(self.history_["loss"])
        if not getattr(self, "_incremental", False):
            self._fit_blend(held_out)
        elif "head_weights_" not in vars(self):  # first partial_fit: uniform until a fit
            self._fit_blend(None)

    def _validation_rows(self, y):
        """Train / validation rows of an early-stopping fit; None when training stops on
        the training loss (``early_stopping="auto"`` with too few rows)."""
        if self.early_stopping == "auto":
            n_val = math.ceil(self.validation_fraction * len(y))
            if self.validation_split or n_val < MIN_VALIDATION_ROWS:
                return None
            try:
                return self._early_stopping_split(y)
            except ValueError:  # too few rows of some class to stratify
                return None
        return self._early_stopping_split(y)

    def _name_prediction_metrics(self):
        """``output_accuracy`` -> ``accuracy``: a balanced network's user metrics are
        those of its prediction, named as for a single-output network."""
        if len(self.model_.outputs) == 1:
            return
        for key in [k for k in self.history_ if k.startswith(("output_", "val_output_"))]:
            if key.endswith("output_loss"):
                continue
            self.history_[key.replace("output_", "", 1)] += self.history_.pop(key)

    def _fit_blend(self, held_out):
        """Fit the blend weights of a ``balance="blend"`` network on the held-out rows
        (uniform weights when the fit held out none)."""
        layer = blend_layer(self.model_)
        if layer is None:
            vars(self).pop("head_weights_", None)
            return
        n_heads = len(layer.has_presence)
        if held_out is None:
            weights = np.full(n_heads, 1.0 / n_heads)
            layer.set_blend_weights(weights)
        else:
            X_val, y_val, weight_val = held_out
            values = self._network_outputs(
                keras.Model(self.model_.inputs, list(layer.input)), X_val
            )
            masks = iter(values[n_heads:])
            weights = fit_blend_weights(
                self.model_,
                values[:n_heads],
                [next(masks) if flag else None for flag in layer.has_presence],
                y_val,
                weight_val,
                next(loss for loss in self.model_.loss if loss is not None),
            )
        heads = [tensor._keras_history.operation.name for tensor in layer.input[:n_heads]]
        self.head_weights_ = {
            _head_label(name): float(weight) for name, weight in zip(heads, weights, strict=True)
        }

    def _network_outputs(self, model, inputs):
        """Every output of ``model`` on ``inputs``, in batches (lazy blocks decoded)."""
        batch_size = getattr(self, "predict__batch_size", 1024)
        if has_lazy_block(inputs):
            batches = BlockBatches(inputs, batch_size=batch_size)
            chunks = [model(batches[i][0], training=False) for i in range(len(batches))]
        else:
            n = len(next(iter(inputs.values())))
            chunks = [
                model({k: v[start : start + batch_size] for k, v in inputs.items()}, training=False)
                for start in range(0, n, batch_size)
            ]
        return [
            np.concatenate([keras.ops.convert_to_numpy(chunk[j]) for chunk in chunks])
            for j in range(len(model.outputs))
        ]

    def _check_network_outputs(self, y):
        if len(self.model_.outputs) > 1:  # balanced heads: every output learns the target
            return
        super()._check_network_outputs(y)

    def _early_stopping_split(self, y):
        """Seeded train / validation rows inside the data given to fit (stratified for
        classifiers)."""
        stratify = self._validation_strata(y)
        try:
            return train_test_split(
                np.arange(len(y)),
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=np.random.randint(MAX_SEED),
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping could not hold out a stratified validation_fraction="
                f"{self.validation_fraction} of {len(y)} rows ({exc}). Use more rows, a "
                "larger validation_fraction, or early_stopping=False."
            ) from exc

    def _validation_strata(self, y):
        """Labels to stratify the early-stopping split by (None: no stratification)."""
        return None

    def _feeds_small_data(self, X, y, sample_weight):
        """Whether in-memory data goes to Keras through :func:`in_memory_batches`: small
        enough, with no rows for Keras' own ``validation_split``."""
        return not self.validation_split and data_bytes(X, y, sample_weight) <= SMALL_DATA_BYTES

    def _keras_data(self, X, y, sample_weight):
        """Validation data as Keras takes it: batches (lazy or small blocks) or a tuple."""
        n_targets = len(self.model_.outputs)
        if has_lazy_block(X):
            return BlockBatches(
                X, y, sample_weight, batch_size=self.batch_size, n_targets=n_targets
            )
        if self._feeds_small_data(X, y, sample_weight):
            return in_memory_batches(
                X, y, sample_weight, batch_size=self.batch_size, n_targets=n_targets
            )
        return (X, repeat_targets(y, n_targets), sample_weight)

    def _fit_batches(self, batches, warm_start, epochs, initial_epoch, **kwargs):
        """Train on ``batches`` (:class:`BlockBatches` or a ``tf.data.Dataset``), which
        hold the targets and weights and shuffle the rows themselves."""
        routed = {
            key[len("fit__") :]: value
            for key, value in self.get_params().items()
            if key.startswith("fit__") and key[len("fit__") :] not in _HELD_BY_BATCHES
        }
        routed.update(kwargs)
        history = self.model_.fit(
            batches,
            epochs=initial_epoch + epochs,
            initial_epoch=initial_epoch,
            callbacks=self._training_callbacks,
            # The rows are shuffled by the batches, seeded. Keras would also shuffle the
            # order of a PyDataset's batches, from Python's global random state, in its
            # enqueuer thread, and draw again for the extra pass it makes under a
            # tf.distribute strategy; shuffle=False keeps the order the batches give.
            shuffle=False,
            **{"verbose": self.verbose, **routed},
        )
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = defaultdict(list)
        for key, values in history.history.items():
            self.history_[key] += values

    def _predict_network(self, X, **kwargs):
        """Network outputs for ``X``; one traced graph per fitted model."""
        if not self.initialized_:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit before predicting."
            )
        if kwargs:
            raise TypeError(
                f"predict takes no keyword arguments; got {sorted(kwargs)}. Set "
                "predict__batch_size on the estimator instead."
            )
        X, _ = self._validate_input(X=X)
        batch_size = getattr(self, "predict__batch_size", 1024)
        inputs = self.feature_encoder_.transform(X)
        if has_lazy_block(inputs):
            batches = BlockBatches(inputs, batch_size=batch_size)
            return np.concatenate(
                [self._predict_function(batches[i][0]) for i in range(len(batches))]
            )
        return self._predict_function(inputs, batch_size)

    # -- scikit-learn protocol ----------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def __getstate__(self):
        refuse_strategy_instance(self)
        state = super().__getstate__()
        state = dict(state)
        state.pop("_predict_function", None)
        if saving_archive():  # inside skmm.save: the network becomes its own file member
            return archived_state(self, state)
        if "model_" in state:
            state[INLINE_NETWORK_KEY] = save_keras_model_bytes(state.pop("model_"))
        return state

    def __setstate__(self, state):
        state = dict(state)
        model = restored_network(state)  # the network skmm.load read from its own member
        model_bytes = state.pop(INLINE_NETWORK_KEY, None)
        super().__setstate__(state)
        if model_bytes is not None:
            model = load_keras_model_bytes(model_bytes)
        if model is not None:
            self.model_ = model
            self._predict_function = PredictFunction(self.model_)

    def __repr__(self, N_CHAR_MAX=700):
        # scikit-learn's repr (changed parameters only), not scikeras' one-per-line dump
        return BaseEstimator.__repr__(self, N_CHAR_MAX=N_CHAR_MAX)


class NetworkSnapshot:
    """A copy of a network's weights and optimizer state, to put back later."""

    def __init__(self, model):
        self._variables = list(model.variables)
        if model.optimizer is not None:
            self._variables += list(model.optimizer.variables)
        self._values = [keras.ops.convert_to_numpy(v) for v in self._variables]

    def restore(self):
        for variable, value in zip(self._variables, self._values, strict=True):
            variable.assign(value)


def check_target(estimator, y):
    """Refuse a missing y; turn a column vector into 1-D with a warning, as sklearn does."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )
    y = as_pandas(y, type(estimator).__name__)  # a polars Series or DataFrame as pandas
    if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    missing = pd.isna(np.asarray(y, dtype=object))
    if missing.ndim in (1, 2) and missing.any():
        rows = missing if missing.ndim == 1 else missing.any(axis=1)
        row = int(np.flatnonzero(rows)[0])
        label = f" (index label {y.index[row]!r})" if hasattr(y, "index") else ""
        column = ""
        if missing.ndim == 2:
            first = int(np.flatnonzero(missing[row])[0])
            name = y.columns[first] if hasattr(y, "columns") else first
            column = f", target column {name!r}"
        raise ValueError(
            f"y has missing labels (NaN or None): row {row}{label}{column}, and "
            f"{int(rows.sum()) - 1} more row(s). Drop those rows or fill their labels; a "
            "missing target cannot be learned from."
        )
    return y


def _auxiliary_loss_key(model, block):
    """Key of a block's auxiliary-head loss in Keras' logs."""
    names = {layer.name for layer in model.layers}
    head = f"{block}_aux_output" if f"{block}_aux_output" in names else f"{block}_output"
    return f"{head}_loss"


def _head_label(output_name):
    """``fused_output`` -> ``fused``; ``text_aux_output`` / ``text_output`` -> ``text``."""
    for suffix in ("_aux_output", "_output"):
        if output_name.endswith(suffix):
            return output_name[: -len(suffix)]
    return output_name


#: ``Model.fit`` arguments that batches carry themselves (rows per batch, row order,
#: targets and weights), so routed ``fit__`` values of them are taken from the batches.
_HELD_BY_BATCHES = frozenset(
    {
        "batch_size",
        "shuffle",
        "sample_weight",
        "class_weight",
        "validation_split",
        "validation_batch_size",
        "epochs",
        "initial_epoch",
        "callbacks",
        "x",
        "y",
    }
)


def _rows_or_none(sample_weight, rows):
    return None if sample_weight is None else sample_weight[rows]
