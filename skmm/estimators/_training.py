"""How a multimodal network is trained: early stopping on a held-out slice (one
rule, or one per branch of an ensemble), gradient modulation, feeding in batches,
and fitting the blend of the heads on the held-out rows."""

from __future__ import annotations

import math
from collections import defaultdict

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from .._compat import build_training_state, set_learning_rate_factors
from ..network import (
    BranchEarlyStopping,
    GradientModulation,
    backbone_layers,
    backbone_variables,
    blend_layer,
    ensemble_groups,
    fit_blend_weights,
    head_first_callback,
    modulated_blocks,
    set_backbone_trainable,
)
from ._feeding import (
    SMALL_DATA_BYTES,
    BlockBatches,
    data_bytes,
    has_lazy_block,
    in_memory_batches,
    repeat_targets,
    subset_inputs,
)
from ._scikeras_adapter import ScikerasAdapter
from ._seeding import MAX_SEED

#: With ``early_stopping="auto"``, the fewest validation rows worth monitoring; with
#: fewer (under 100 training rows at the default validation_fraction=0.1), training
#: stops on the training loss instead.
MIN_VALIDATION_ROWS = 10


class NetworkTraining(ScikerasAdapter):
    """Training of ``model_`` for skmm's estimators (the adapter's ``_train_network``)."""

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
        if self._prepare_backbones() and self.head_epochs and initial_epoch == 0:
            if self.backbone_trainable is not False and not getattr(self, "_incremental", False):
                added.append(head_first_callback(self.head_epochs, self.backbone_trainable))
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
            # trainable flags as the optimizer was built (callbacks change them)
            set_backbone_trainable(self.model_, self.backbone_trainable)
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

    def _prepare_backbones(self):
        """Set which backbone weights train (``backbone_trainable``) and their learning
        rate (``backbone_lr_factor``) before a training; return the backbones.

        Done before every training, not once: `BranchEarlyStopping` makes every
        layer trainable when it ends, and a loaded network's optimizer has no
        factors. A change of what trains drops the traced training step.
        """
        backbones = backbone_layers(self.model_)
        if not backbones:
            return backbones
        before = [layer.trainable for layer in self.model_._flatten_layers()]
        set_backbone_trainable(self.model_, self.backbone_trainable)
        if before != [layer.trainable for layer in self.model_._flatten_layers()]:
            self.model_.train_function = None
        if self._owns_optimizer():
            set_learning_rate_factors(
                self.model_.optimizer, backbone_variables(self.model_), self.backbone_lr_factor
            )
        return backbones

    def _owns_optimizer(self):
        """Whether the optimizer was made by skmm (from a name or a class), which
        ``backbone_lr_factor`` may adjust; an instance of the user's is left alone."""
        return isinstance(self.optimizer, str | type)

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
        """Whether in-memory data goes to Keras through `in_memory_batches`: small
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
        """Train on ``batches`` (`BlockBatches` or a ``tf.data.Dataset``), which
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
