"""What the multimodal classifier and regressor share: input checks, network
building, seeding, prediction, pickling; training is in ``_training``, the shared
parameter documentation in ``_docstrings``.

``MultimodalEstimatorMixin`` sits left of a scikeras wrapper class and
implements the hooks of `ScikerasAdapter` (the only
module that names scikeras' private members).
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from contextlib import contextmanager

import keras
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import TransformerTags
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from .._compat import (
    InvalidParameterError,
    SetOutputMixin,
    fuse_adam_update_step,
    load_keras_model_bytes,
    save_keras_model_bytes,
)
from .._dataframes import as_pandas
from .._memory import collect_dropped_networks
from .._persistence import INLINE_NETWORK_KEY, archived_state, restored_network, saving_archive
from .._quiet import initialize_devices_quietly
from .._threads import size_tensorflow_threads
from ..compose import BlockSpec, MultimodalBlocks
from ..compose._auto import describe_roles, infer_column_roles, input_for_roles, is_raw_table
from ..network import (
    PredictFunction,
    build_fused_network,
    embedding_feature_names,
    embedding_network,
    head_loss_weights,
    per_output,
    set_backbone_trainable,
)
from ._distribution import distribution_scope, refuse_strategy_instance
from ._feeding import (
    BlockBatches,
    has_lazy_block,
)
from ._inputs import TABULAR_BLOCK, KerasInputs, blocks_from_mapping, check_blocks, is_mapping
from ._layer_seeds import private_layer_seeds
from ._routed_encoders import routed_encoders
from ._seeding import seed_from_random_state, seeded
from ._training import NetworkTraining

# Before anything starts TensorFlow's runtime: joblib workers get their share of the cores.
size_tensorflow_threads()

#: The rate of ``modality_dropout="auto"`` for a network of two blocks or more.
AUTO_MODALITY_DROPOUT = 0.2


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


class MultimodalEstimatorMixin(SetOutputMixin, NetworkTraining):
    """Behaviour shared by skmm's scikeras-based estimators (placed left of them)."""

    #: Routed prefixes beyond scikeras' own: ``l2`` for per-block overrides (``l2__image``)
    #: and ``encoders`` for a block's encoder (``encoders__image__filters``).
    _extra_routing_prefixes = frozenset({"l2", "encoders"})

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
        if reset:
            for attribute in ("multimodal_input_", "column_roles_"):
                vars(self).pop(attribute, None)
        if isinstance(X, MultimodalBlocks):
            blocks = X
        elif is_raw_table(X) or (not reset and hasattr(self, "multimodal_input_")):
            blocks = self._raw_table_blocks(X, reset)
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

    def _raw_table_blocks(self, X, reset):
        """The blocks of a raw table (text, categories, dates, file paths): on a fresh fit
        its columns' roles are inferred (``column_roles_``) and ``multimodal_input_``
        is fitted on it; later calls transform with that fitted input. Column names
        are read as strings (a column named 0 is the column "0")."""
        if isinstance(X, pd.DataFrame) and not all(isinstance(c, str) for c in X.columns):
            X = X.rename(columns=str)
        if not reset:
            if not isinstance(X, pd.DataFrame):
                raise ValueError(
                    f"This {type(self).__name__} was fitted on a table whose columns' roles it "
                    f"inferred ({', '.join(self.column_roles_)}); give it a DataFrame with "
                    f"those columns, not a {type(X).__name__}."
                )
            return self.multimodal_input_.transform(X)
        roles = infer_column_roles(X)
        self.column_roles_ = {role.column: role.role for role in roles}
        if self.verbose:
            print(describe_roles(roles))
        multimodal_input = input_for_roles(roles)
        blocks = multimodal_input.fit_transform(X)
        self.multimodal_input_ = multimodal_input
        self.feature_names_in_ = np.asarray([str(column) for column in X.columns], dtype=object)
        self.n_features_in_ = X.shape[1]
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
        block_encoders, block_settings = routed_encoders(self)
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
            video_encoder=self.video_encoder,
            video_frame_encoder=self.video_frame_encoder,
            video_filters=tuple(self.video_filters),
            video_units=self.video_units,
            video_weights=self.video_weights,
            graph_encoder=self.graph_encoder,
            graph_units=self.graph_units,
            text_pooling=self.text_pooling,
            block_encoders=block_encoders,
            block_l2=self._block_l2(),
            block_settings=block_settings,
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
        initialize_devices_quietly()
        with distribution_scope(self.distribution), private_layer_seeds():
            self.model_ = self._build_model()
            # The optimizer knows the backbone weights that may train (a frozen
            # backbone gets no slots, two per weight); a saved network keeps these
            # trainable flags, so its optimizer loads back with the same variables.
            set_backbone_trainable(self.model_, self.backbone_trainable)
            # Creating the optimizer's slots now, eagerly, instead of inside the first
            # traced train step halves the fixed cost of a fit (variable creation in a
            # tf.function is slow).
            self.model_.optimizer.build(self.model_.trainable_variables)
        self._predict_function = PredictFunction(self.model_)
        self._embedding_functions = {}  # filled by transform
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

    def _predict_network(self, X, **kwargs):
        """Network outputs for ``X``; one traced graph per fitted model."""
        self._require_network("predicting")
        if kwargs:
            raise TypeError(
                f"predict takes no keyword arguments; got {sorted(kwargs)}. Set "
                "predict__batch_size on the estimator instead."
            )
        return self._run_network(self._predict_function, X)

    def _require_network(self, action):
        """A ``NotFittedError`` before ``action`` when there is no fitted network."""
        if not getattr(self, "initialized_", False):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit before {action}."
            )

    def _run_network(self, function, X):
        """``function`` (a `PredictFunction`) over the validated blocks of ``X``."""
        X, _ = self._validate_input(X=X)
        batch_size = getattr(self, "predict__batch_size", 1024)
        inputs = self.feature_encoder_.transform(X)
        if has_lazy_block(inputs):
            batches = BlockBatches(inputs, batch_size=batch_size)
            return np.concatenate([function(batches[i][0]) for i in range(len(batches))])
        return function(inputs, batch_size)

    # -- embeddings ---------------------------------------------------------------------

    def _embedding(self):
        """The (cached) embedding network of ``embedding``: its function and parts."""
        # a dict made with the network and filled in place: transform leaves the
        # estimator's attributes as they were (scikit-learn's check_dict_unchanged)
        cache = self._embedding_functions
        key = (id(self.model_), self.embedding)
        if key not in cache:
            cache.clear()
            network, parts = embedding_network(self.model_, list(self.block_specs_), self.embedding)
            cache[key] = (PredictFunction(network), parts)
        return cache[key]

    def transform(self, X):
        """The network's features of ``X``: what its head reads, for other estimators.

        A fitted skmm estimator is then the embedding step of a pipeline (a
        ``LogisticRegression``, gradient boosting or a stacking ensemble on
        its features). ``embedding`` chooses the features: the fused ones
        (``"fused"``), or each block's encoder output (``"blocks"``).

        Parameters
        ----------
        X : DataFrame, MultimodalBlocks, dict of arrays or array-like
            Rows as for ``predict``.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features), float32
            Named by ``get_feature_names_out``; a DataFrame after
            ``set_output(transform="pandas")``.
        """
        self._require_network("transform")
        function, _ = self._embedding()
        return self._run_network(function, X).astype(np.float32, copy=False)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return ``transform(X)`` (the embedding step of a pipeline)."""
        return self.fit(X, y, **fit_params).transform(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the columns ``transform`` returns: ``fused_<i>``, or ``<block>_<i>``
        with ``embedding="blocks"``.

        Parameters
        ----------
        input_features : ignored
            Present for the scikit-learn API.

        Returns
        -------
        names : ndarray of str
        """
        self._require_network("get_feature_names_out")
        _, parts = self._embedding()
        return np.asarray(embedding_feature_names(parts), dtype=object)

    # -- scikit-learn protocol ----------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = self.random_state is None
        # transform gives the network's features, float32 whatever the input
        tags.transformer_tags = TransformerTags(preserves_dtype=["float32"])
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def __getstate__(self):
        refuse_strategy_instance(self)
        state = super().__getstate__()
        state = dict(state)
        state.pop("_predict_function", None)
        state.pop("_embedding_functions", None)
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
            self._embedding_functions = {}

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
