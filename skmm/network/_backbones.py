"""Backbones: a block's pretrained or transferred encoder, one nested model named
``<block>_backbone``.

``keras.applications`` networks, Keras-Hub presets and encoders transferred
from a fitted skmm model are all built as such a layer, so one rule decides
which of their weights train (`set_backbone_trainable`) and at which
learning rate (the estimators' ``backbone_lr_factor``).
"""

from __future__ import annotations

import numbers

#: Suffix of the name of a block's backbone layer.
BACKBONE_SUFFIX = "_backbone"


def backbone_name(block):
    """The name of the backbone layer of ``block``."""
    return f"{block}{BACKBONE_SUFFIX}"


def backbone_layers(model):
    """The network's backbones: its top-level layers named ``<block>_backbone``."""
    return [layer for layer in model.layers if layer.name.endswith(BACKBONE_SUFFIX)]


def backbone_variables(model):
    """Every variable of the network's backbones (trainable or not now)."""
    return [variable for layer in backbone_layers(model) for variable in layer.weights]


def _top_layers(backbone, k):
    """The top ``k`` layers of ``backbone`` that hold weights, among its own layers (a
    Keras-Hub transformer block is one such layer; so is a convolution or a
    normalization of a ``keras.applications`` network)."""
    weighted = [layer for layer in getattr(backbone, "layers", []) if layer.weights]
    return weighted[-k:]


def check_backbone_trainable(trainable):
    """``trainable`` as True, False or a positive int; a ``ValueError`` otherwise."""
    if isinstance(trainable, bool):
        return trainable
    if isinstance(trainable, numbers.Integral) and trainable >= 0:
        return int(trainable) or False
    raise ValueError(
        f"backbone_trainable must be True, False or an int >= 0 (the top layers that "
        f"train); got {trainable!r}."
    )


def _set_trainable(layer, value):
    """``layer.trainable = value``, set on every sublayer and its trainable variables
    (Keras' own setter misses those of sublayers a loaded layer made in ``build``)."""
    for sublayer in layer._flatten_layers():
        sublayer._trainable = value
        for variable in sublayer._trainable_variables:  # not those made untrainable
            variable.trainable = value


def set_backbone_trainable(model, trainable):
    """Make every backbone of ``model`` trainable (True), frozen (False), or trainable in
    its top ``trainable`` layers only (an int). Returns the backbones."""
    trainable = check_backbone_trainable(trainable)
    backbones = backbone_layers(model)
    for backbone in backbones:
        _set_trainable(backbone, trainable is not False)
        if isinstance(trainable, bool):
            continue
        for layer in getattr(backbone, "layers", []):
            _set_trainable(layer, False)
        for layer in _top_layers(backbone, trainable):
            _set_trainable(layer, True)
    return backbones


def _branch_done(model, backbone):
    """Whether the branch of ``backbone``'s block was stopped by `BranchEarlyStopping`
    (its auxiliary output frozen): its backbone then stays frozen."""
    block = backbone.name[: -len(BACKBONE_SUFFIX)]
    try:
        return not model.get_layer(f"{block}_aux_output").trainable
    except ValueError:
        return False


def head_first_callback(head_epochs, trainable):
    """A Keras callback: backbones frozen for the first ``head_epochs`` epochs of the
    training, then set by ``trainable`` (see `set_backbone_trainable`); the training
    step is traced again at each change. A branch stopped early keeps its backbone
    frozen."""
    import keras

    class HeadFirst(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self._epochs = 0
            self._changed = False
            if head_epochs > 0 and backbone_layers(self.model):
                set_backbone_trainable(self.model, False)
                self.model.make_train_function(force=True)
                self._changed = True

        def on_epoch_end(self, epoch, logs=None):
            self._epochs += 1
            if not self._changed or self._epochs != head_epochs:
                return
            frozen = [b for b in backbone_layers(self.model) if _branch_done(self.model, b)]
            set_backbone_trainable(self.model, trainable)
            for backbone in frozen:
                backbone.trainable = False
            self.model.make_train_function(force=True)

        def on_train_end(self, logs=None):
            if self._changed:  # the next fit traces its own step
                self.model.train_function = None

    return HeadFirst()
