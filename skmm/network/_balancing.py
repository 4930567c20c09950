"""Balanced multimodal learning: auxiliary heads, gradient modulation, blended heads.

A jointly trained fused network tends to learn from whichever modality is
fastest to fit and then stops looking at the others (Wang et al., CVPR 2020;
Wu et al., ICML 2022). ``build_fused_network(balance=...)`` therefore gives
every block an auxiliary head that predicts the target from that block alone,
trained beside the fused head; ``"modulate"`` also damps the gradient that the
fused head sends to the modality that currently fits best; ``"blend"`` makes
the prediction a weighted blend of the fused head and the auxiliary heads
(a normalized weighted geometric mean of their probabilities for a
classifier, a weighted mean of their values for a regressor; see
`HeadBlend`), with weights fitted on held-out rows
(`fit_blend_weights`).

A balanced network has several outputs: ``outputs[0]`` (the layer named
``"output"``) is the prediction, the others are the heads that are trained.
`serving_network` gives the single-output view used for prediction and
export.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from scipy.optimize import minimize

from ._layers import BLEND_EPSILON, HeadBlend, ModulatedGradient

#: The accepted values of ``balance`` (None: one fused head, trained alone).
BALANCES = ("blend", "ensemble", "auxiliary", "modulate")

#: Strength α of the gradient modulation: coefficient 1 - tanh(α (ρ - 1)) for ρ > 1.
MODULATION_ALPHA = 0.5

#: Penalty on the blend logits, divided by the number of held-out rows: it pulls the
#: fitted blend weights toward uniform, the more so the fewer rows they are fitted on
#: (a prior worth about one row; a few dozen held-out rows otherwise pick weights
#: that fit their own noise).
BLEND_PENALTY = 1.0


def serving_network(model):
    """The model with its prediction as its only output (``model`` itself when it has one)."""
    if len(model.outputs) == 1:
        return model
    return keras.Model(model.inputs, model.outputs[0], name=model.name)


def output_layers(model):
    """The layers that produce ``model``'s outputs, in output order."""
    return [tensor._keras_history.operation for tensor in model.outputs]


def blend_layer(model):
    """The `HeadBlend` layer that makes the prediction, or None."""
    first = output_layers(model)[0]
    return first if isinstance(first, HeadBlend) else None


def trained_outputs(model):
    """One flag per output of ``model``: whether a loss trains it (a blend is fitted after)."""
    return [not isinstance(layer, HeadBlend) for layer in output_layers(model)]


def per_output(model, value):
    """``value`` for each trained output and None for a blend: Keras' per-output losses."""
    return [value if trained else None for trained in trained_outputs(model)]


def head_loss_weights(model):
    """Loss weight of each output: the trained heads share a total weight of 1."""
    trained = trained_outputs(model)
    return [1.0 / sum(trained) if flag else 0.0 for flag in trained]


def fit_blend_weights(model, head_predictions, masks, y, sample_weight, loss):
    """Fit the blend weights of ``model`` on held-out rows and set them.

    Parameters
    ----------
    model : keras.Model
        A network whose prediction is a `HeadBlend`.
    head_predictions : list of ndarray
        Each blended head's predictions on the held-out rows, in head order.
    masks : list of ndarray or None
        Each head's presence mask on those rows (None for a head without one).
    y : ndarray
        Encoded targets of those rows, as the loss takes them.
    sample_weight : ndarray or None
        Weights of those rows.
    loss : keras loss
        The loss the heads were trained with.

    Returns
    -------
    weights : ndarray of shape (n_heads,)
        The fitted weights (non-negative, summing to 1): those minimizing the
        loss of the blended prediction plus ``BLEND_PENALTY / n_rows`` times
        the squared norm of their logits.
    """
    layer = blend_layer(model)
    heads = [np.asarray(h, dtype=np.float64) for h in head_predictions]
    ones = np.ones((len(heads[0]), 1))
    factors = [ones if m is None else np.asarray(m, dtype=np.float64).reshape(-1, 1) for m in masks]
    y = np.asarray(y)
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
    penalty = BLEND_PENALTY / len(heads[0])

    def objective(logits):
        weights = np.exp(logits - logits.max())
        weights /= weights.sum()
        blended = blend(heads, factors, weights, layer.probability_groups)
        return _mean_loss(loss, y, blended, weight) + penalty * float(logits @ logits)

    result = minimize(
        objective,
        np.zeros(len(heads)),
        method="Nelder-Mead",
        options={"xatol": 1e-3, "fatol": 1e-6, "maxiter": 400 * len(heads)},
    )
    logits = result.x if np.isfinite(result.fun) else np.zeros(len(heads))
    weights = np.exp(logits - logits.max())
    weights /= weights.sum()
    layer.set_blend_weights(weights)
    return weights


def _binary_crossentropy(y, p):
    p = np.clip(p, _EPSILON, 1 - _EPSILON)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)


def _sparse_categorical_crossentropy(y, p):
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.clip(p, _EPSILON, 1 - _EPSILON)
    codes = np.asarray(y).reshape(len(p)).astype(np.int64)
    return -np.log(p[np.arange(len(p)), codes])


def _mean_squared_error(y, p):
    return ((y - p) ** 2).mean(axis=-1)


#: Keras' clipping of probabilities in its cross-entropies.
_EPSILON = 1e-7

#: The losses skmm's estimators compile by default, in NumPy: the blend weights are
#: fitted by a few hundred evaluations of the loss, each a fraction of the cost of
#: calling the Keras loss eagerly. Any other loss is called through Keras.
_NUMPY_LOSSES = {
    "binary_crossentropy": _binary_crossentropy,
    "sparse_categorical_crossentropy": _sparse_categorical_crossentropy,
    "mse": _mean_squared_error,
    "mean_squared_error": _mean_squared_error,
}


def _mean_loss(loss, y, prediction, sample_weight):
    """The (weighted) mean of ``loss`` over the rows: a Keras loss name, object or
    function."""
    if isinstance(loss, str) and loss in _NUMPY_LOSSES:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1 and prediction.ndim == 2 and prediction.shape[1] == 1:
            # a regressor's (n,) targets against its (n, 1) predictions: row by row, not
            # broadcast into an (n, n) table of every target against every prediction
            y = y.reshape(-1, 1)
        per_row = _NUMPY_LOSSES[loss](y, prediction)
        return float(np.average(per_row, weights=sample_weight))
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    prediction = prediction.astype(np.float32)
    if isinstance(loss, keras.losses.Loss):
        value = loss(y, prediction, sample_weight=sample_weight)
        return float(keras.ops.convert_to_numpy(value))
    per_row = np.asarray(keras.ops.convert_to_numpy(loss(y, prediction)), dtype=np.float64)
    per_row = per_row.reshape(len(prediction), -1).mean(axis=1)
    return float(np.average(per_row, weights=sample_weight))


def blend(heads, factors, weights, probability_groups=None):
    """What `HeadBlend` computes, in NumPy (for fitting its weights)."""
    weighted = [w * m for w, m in zip(weights, factors, strict=True)]
    weighted_norm, present_norm = sum(weighted), sum(factors)
    shares = [
        np.where(weighted_norm > 0, w, np.where(present_norm > 0, m, 1.0))
        for w, m in zip(weighted, factors, strict=True)
    ]
    norm = sum(shares)
    shares = [share / norm for share in shares]
    if probability_groups is None:
        return sum(share * head for share, head in zip(shares, heads, strict=True))
    parts, start = [], 0
    for width in probability_groups:
        chunks = [
            np.clip(head[:, start : start + width], BLEND_EPSILON, 1.0 - BLEND_EPSILON)
            for head in heads
        ]
        if width == 1:
            log_odds = sum(
                share * (np.log(p) - np.log1p(-p)) for share, p in zip(shares, chunks, strict=True)
            )
            parts.append(1.0 / (1.0 + np.exp(-log_odds)))
        else:
            log_p = sum(share * np.log(p) for share, p in zip(shares, chunks, strict=True))
            log_p -= log_p.max(axis=-1, keepdims=True)
            p = np.exp(log_p)
            parts.append(p / p.sum(axis=-1, keepdims=True))
        start += width
    return np.concatenate(parts, axis=-1)


class GradientModulation(keras.callbacks.Callback):
    """Damp the fused head's gradient into the modality that currently fits best.

    After every training batch, each block's score is read from its auxiliary
    head's running loss `L_b` (``exp(-L_b)``, the geometric mean of the
    probability of the true class, for a classifier; ``1 / L_b`` for a
    regressor). With `ρ_b` a block's score over the mean score of
    the others, its `ModulatedGradient` coefficient becomes
    `1 - tanh(α (ρ_b - 1))` when `ρ_b > 1`, else 1
    (OGM, Peng et al., CVPR 2022; the auxiliary heads stand in for its
    per-modality logits). The coefficients go back to 1 when training ends.

    Parameters
    ----------
    coefficients : dict of str to ModulatedGradient
        Block name -> the layer on that block's features.
    loss_keys : dict of str to str
        Block name -> key of its auxiliary head's loss in the batch logs.
    regression : bool, default=False
        Score blocks by their inverse loss instead of ``exp(-loss)``.
    alpha : float, default=MODULATION_ALPHA
    """

    def __init__(self, coefficients, loss_keys, regression=False, alpha=MODULATION_ALPHA):
        super().__init__()
        self.coefficients = coefficients
        self.loss_keys = loss_keys
        self.regression = regression
        self.alpha = alpha

    def _score(self, loss):
        if self.regression:
            return 1.0 / max(loss, 1e-12)
        return math.exp(-loss)

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        if not all(key in logs for key in self.loss_keys.values()):
            return
        scores = {name: self._score(float(logs[key])) for name, key in self.loss_keys.items()}
        for name, layer in self.coefficients.items():
            others = [score for other, score in scores.items() if other != name]
            ratio = scores[name] / max(np.mean(others), 1e-12)
            layer.coefficient.assign(1.0 - math.tanh(self.alpha * max(ratio - 1.0, 0.0)))

    def on_train_end(self, logs=None):
        for layer in self.coefficients.values():
            layer.coefficient.assign(1.0)


def modulated_blocks(model):
    """Block name -> `ModulatedGradient` layer of a ``balance="modulate"`` network."""
    suffix = "_modulation"
    return {
        layer.name[: -len(suffix)]: layer
        for layer in model.layers
        if isinstance(layer, ModulatedGradient) and layer.name.endswith(suffix)
    }


def ensemble_groups(model):
    """The separately stopped parts of a ``balance="ensemble"`` network, in training order.

    Returns a list of ``(label, output name, layers)``: first one per block (its
    encoder and auxiliary head: every layer with weights on the way to that
    head), then ``("fused", "fused_output", layers)``, the fused head's own
    layers (those on the way to it that no block's group holds).
    """
    names = [layer.name for layer in output_layers(model)]
    groups, taken = [], set()
    for name in names:
        if name in ("output", "fused_output"):
            continue
        label = name.removesuffix("_output").removesuffix("_aux")
        owned = _weighted_layers(model, name)
        groups.append((label, name, owned))
        taken.update(id(layer) for layer in owned)
    if "fused_output" in names:
        fused = [
            layer for layer in _weighted_layers(model, "fused_output") if id(layer) not in taken
        ]
        groups.append(("fused", "fused_output", fused))
    return groups


def _weighted_layers(model, output_name):
    path = keras.Model(model.inputs, model.get_layer(output_name).output)
    return [layer for layer in path.layers if layer.weights]


class BranchEarlyStopping(keras.callbacks.Callback):
    """Stop each branch of a ``balance="ensemble"`` network at its own best epoch.

    The blocks' branches (encoder + auxiliary head) learn independently (their
    features reach the fused head through `DetachedFeatures`), so each
    is watched on its own head's loss: once it has not improved by
    ``min_delta`` for ``patience`` epochs, its weights go back to those of its
    best epoch and it is frozen. When every branch is frozen, the fused head
    trains on their final features and is stopped the same way; training
    ends when it is. A branch still training when the epochs run out gets its
    best weights back too. Every layer is trainable again when training ends.

    Parameters
    ----------
    groups : list of (label, output name, layers)
        `ensemble_groups` of the network.
    monitor : {"val_loss", "loss"}
        Watch the validation losses of the heads or their training losses.
    patience : int
    min_delta : float

    Attributes
    ----------
    best_epochs : dict of str to int
        Label -> the 0-based epoch whose weights the group kept (absent for
        a fused head the epochs ran out on before it was watched).
    """

    def __init__(self, groups, monitor="val_loss", patience=10, min_delta=1e-4):
        super().__init__()
        self.groups = groups
        self.prefix = "val_" if monitor == "val_loss" else ""
        self.patience = patience
        self.min_delta = min_delta

    def on_train_begin(self, logs=None):
        self.best_epochs = {}
        self._state = {
            label: {"best": math.inf, "wait": 0, "weights": None, "done": False}
            for label, _, _ in self.groups
        }
        self._watching = {label for label, _, _ in self.groups if label != "fused"}
        self._froze_any = False

    def _layers(self, label):
        return next(layers for name, _, layers in self.groups if name == label)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        froze = False
        for label, output_name, layers in self.groups:
            if label not in self._watching:
                continue
            state = self._state[label]
            value = logs.get(f"{self.prefix}{output_name}_loss")
            if value is None or not math.isfinite(value):
                continue
            if value < state["best"] - self.min_delta:
                state.update(best=value, wait=0, weights=[layer.get_weights() for layer in layers])
                self.best_epochs[label] = epoch
                continue
            state["wait"] += 1
            if state["wait"] >= self.patience:
                self._finish(label)
                froze = True
        if froze:
            if not self._watching and "fused" in self._state and not self._state["fused"]["done"]:
                self._watching = {"fused"}
            if self._watching:
                self.model.make_train_function(force=True)
                self._froze_any = True
            else:
                self.model.stop_training = True

    def _finish(self, label):
        state = self._state[label]
        layers = self._layers(label)
        if state["weights"] is not None:
            for layer, weights in zip(layers, state["weights"], strict=True):
                layer.set_weights(weights)
        for layer in layers:
            layer.trainable = False
        state["done"] = True
        self._watching.discard(label)

    def on_train_end(self, logs=None):
        for label, _, layers in self.groups:
            if not self._state[label]["done"] and label in self._watching:
                self._finish(label)
            for layer in layers:
                layer.trainable = True
        # A training step traced after a branch froze leaves its layers out: trace it
        # again next fit. One traced before any froze (every layer trainable, as now)
        # still holds, so a warm-started fit (the next λ of a path) reuses it.
        if self._froze_any:
            self.model.train_function = None
