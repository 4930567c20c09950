"""Every version shim skmm needs, in one place.

Each shim says which release lets it go. Nothing here imports TensorFlow or
Keras at module import time: the Keras-side shims import lazily. scikeras has a
module of its own, ``skmm.estimators._scikeras_adapter`` (its private hooks and
the tags it gets wrong on scikit-learn >= 1.6).
"""

from __future__ import annotations

import io
import json
import random
import threading
import zipfile

# scikit-learn moved its HTML-repr helpers from ``sklearn.utils._estimator_html_repr``
# (1.6) to ``sklearn.utils._repr_html.estimator`` (1.7). Drop the fallback when
# the minimum supported scikit-learn is 1.7.
try:
    from sklearn.utils._repr_html.estimator import _VisualBlock as VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock as VisualBlock

# scikit-learn's parameter validation: the error for a bad parameter (a ValueError
# and a TypeError) and the constraints of ``_parameter_constraints``, public in
# spirit but kept in a private module since 1.2 (imbalanced-learn imports them the
# same way); import them from here only. Goes away if scikit-learn makes the module
# public.
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

# scikit-learn's set_output machinery for a class that is not a TransformerMixin (the
# estimators' ``transform`` returns their embeddings; TransformerMixin's tags would
# describe them as transformers first). Private since 1.2, unchanged through 1.9; goes
# when scikit-learn makes it public.
from sklearn.utils._set_output import _SetOutputMixin as SetOutputMixin  # noqa: F401

# scikit-learn's set_output machinery for a class that is not a TransformerMixin (the
# estimators' ``transform`` returns their embeddings; TransformerMixin's tags would
# describe them as transformers first). Private since 1.2, unchanged through 1.9; goes
# when scikit-learn makes it public.


class Constraint(Options):
    """A parameter constraint given by a predicate, for ``_parameter_constraints``.

    Subclasses define ``is_satisfied_by(value)`` and ``__str__`` (what is
    expected, for the error message). It derives from ``Options`` only
    because scikit-learn's ``make_constraint`` accepts no other class of
    constraint than its own (checked with scikit-learn 1.6 to 1.9); it goes
    away if scikit-learn accepts any ``_Constraint``.
    """

    def __init__(self):
        super().__init__(object, set())


__all__ = [
    "Constraint",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "VisualBlock",
    "build_training_state",
    "fuse_adam_update_step",
    "keras_default_seed_stream",
    "load_keras_model_bytes",
    "save_keras_model_bytes",
    "validate_parameter_constraints",
]


# Keras 3 saves to and loads from file-like objects only through its private
# ``saving_lib`` (the public ``keras.saving`` functions want a path ending in
# ``.keras``). Keep using it until the public API accepts a file object.
def save_keras_model_bytes(model) -> bytes:
    """Serialize a Keras model (architecture, weights, optimizer) to bytes."""
    from keras.src.saving import saving_lib

    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    return buffer.getvalue()


def load_keras_model_bytes(data: bytes, safe_mode: bool = True):
    """Load a model written by `save_keras_model_bytes` (in safe mode unless told).

    Its optimizer, a fresh object, gets `fuse_adam_update_step`.
    """
    from keras.src.saving import saving_lib

    from ._quiet import initialize_devices_quietly

    initialize_devices_quietly()  # the first network a process loads starts the devices
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        config = json.loads(archive.read("config.json"))
    compile_config = config.get("compile_config")
    if not (compile_config and _has_frozen_layer(config)):
        model = saving_lib.load_model(io.BytesIO(data), compile=True, safe_mode=safe_mode)
    else:  # see _freeze_as_saved
        model = saving_lib.load_model(io.BytesIO(data), compile=False, safe_mode=safe_mode)
        _freeze_as_saved(model)
        model.compile_from_config(compile_config)  # builds the optimizer's slots
        _load_optimizer_state(model, data)
    if getattr(model, "optimizer", None) is not None:
        fuse_adam_update_step(model.optimizer)
    return model


def _has_frozen_layer(config):
    """Whether a saved model's configuration holds a layer saved with trainable=False."""
    if isinstance(config, dict):
        if config.get("trainable") is False:
            return True
        return any(_has_frozen_layer(value) for value in config.values())
    if isinstance(config, list):
        return any(_has_frozen_layer(value) for value in config)
    return False


def _freeze_as_saved(model):
    """Set again ``trainable=False`` on each layer loaded frozen.

    Keras 3 (to at least 3.15) restores a layer's own ``trainable`` flag but
    not that of the sublayers it makes in ``build`` (Keras-Hub's transformer
    blocks): a frozen backbone comes back with trainable weights, and an
    optimizer built on them no longer matches the saved one. Setting the flag
    again passes it down. Goes when Keras restores nested flags.
    """
    for layer in model._flatten_layers(include_self=False):
        if not layer.trainable:
            for sublayer in layer._flatten_layers():
                sublayer._trainable = False
                for variable in sublayer._trainable_variables:
                    variable.trainable = False


def _load_optimizer_state(model, data):
    """Read the optimizer's saved variables into ``model.optimizer`` (built).

    ``load_keras_model_bytes`` loads the network without compiling it, puts
    the frozen flags right (`_freeze_as_saved`), then compiles; the
    optimizer's state is then read here from the archive's weights file,
    where Keras' own loading would have read it. Uses Keras' private saving
    functions (``saving_lib._load_state``, ``H5IOStore``) of 3.15.
    """
    from keras.src.saving import saving_lib

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        store = saving_lib.H5IOStore(saving_lib._VARS_FNAME_H5, archive, mode="r")
        try:
            saving_lib._load_state(
                model.optimizer,
                weights_store=store,
                assets_store=None,
                inner_path="optimizer",
                visited_saveables=set(),
            )
        finally:
            store.close()


# Reading TensorFlow's global seed and Keras' global seed generator needs private
# attributes (``context.global_seed``, ``keras.src.backend.common.global_state``);
# there is no public getter in TensorFlow 2.21 / Keras 3.15. skmm's seeding uses
# them only to put the process state back as it found it.
_KERAS_SEED_ATTRIBUTES = ("global_random_seed", "global_seed_generator")


def get_backend_seed_state():
    """TensorFlow's global seed and Keras' global seed attributes, for restoring."""
    from keras.src.backend.common import global_state
    from tensorflow.python.eager import context

    keras_state = {a: global_state.get_global_attribute(a) for a in _KERAS_SEED_ATTRIBUTES}
    return context.global_seed(), keras_state


def set_backend_seed_state(state):
    """Put back what `get_backend_seed_state` returned."""
    import tensorflow as tf
    from keras.src.backend.common import global_state

    tf_seed, keras_state = state
    tf.random.set_seed(tf_seed)
    for attribute, value in keras_state.items():
        global_state.set_global_attribute(attribute, value)


_INSTALL_LOCK = threading.Lock()


class _ThreadStream:
    """Python's ``random`` module, or this thread's private stream while one is set."""

    def __init__(self):
        self.local = threading.local()

    def __getattr__(self, name):
        return getattr(getattr(self.local, "stream", None) or random, name)


def keras_default_seed_stream():
    """Install (once) and return the per-thread stream Keras draws default layer seeds from.

    Keras 3.15 draws the seed of every initializer and dropout layer created
    without one from Python's global ``random`` module, and has no public hook
    to choose another source. Goes when Keras offers one.
    """
    from keras.src.random import seed_generator

    with _INSTALL_LOCK:
        if not isinstance(seed_generator.python_random, _ThreadStream):
            seed_generator.python_random = _ThreadStream()
        return seed_generator.python_random


def build_training_state(model, targets):
    """Create a compiled model's loss trackers and metric variables before ``fit``.

    Without a ``tf.distribute`` strategy, Keras 3 (3.0 to at least 3.15) creates
    them inside the first traced train step; TensorFlow then traces that step a
    second time (a function that creates variables is traced twice), which
    makes a short fit of a network with several outputs almost twice as slow.
    This builds Keras' ``CompileLoss`` and ``CompileMetrics`` (private) on the
    model's symbolic outputs and targets shaped like ``targets`` (an array, or a
    tuple of one array per output), as ``Trainer._symbolic_build`` does under a
    strategy, without tracing the network. Does nothing for what is built or
    absent. Goes away when Keras builds them before tracing in every case.
    """
    import keras

    def spec(array):
        return keras.KerasTensor((None, *array.shape[1:]), dtype=str(array.dtype))

    outputs = list(model.outputs) if len(model.outputs) > 1 else model.outputs[0]
    y = tuple(spec(t) for t in targets) if isinstance(targets, tuple) else spec(targets)
    for compiled in (
        getattr(model, "_compile_loss", None),
        getattr(model, "_compile_metrics", None),
    ):
        if compiled is not None and not getattr(compiled, "built", True):
            compiled.build(y, outputs)


def fuse_adam_update_step(optimizer):
    """Give a Keras ``Adam`` or ``AdamW`` a cheaper update graph; return it.

    On the TensorFlow backend, Keras 3 (to at least 3.15) builds Adam's update
    one variable at a time through ``tf.distribute``'s update wrapper, and
    recomputes the step's scalars (the learning rate, the bias corrections
    ``1 - beta**t``) for each variable: for a small multimodal network about
    half of the traced training step is optimizer bookkeeping, and tracing is
    most of a small fit's time. Outside a ``tf.distribute`` strategy this
    replaces the instance's ``_backend_update_step`` (private; the hook Keras'
    own torch backend overrides for speed) with one that computes those
    scalars once per dtype and then applies exactly ``Adam.update_step``'s
    operations to each variable: the same numbers, bit for bit, from a graph
    with about half the operations. Under a strategy, with ``amsgrad``, for
    any other optimizer (a subclass included) or backend, or where Keras no
    longer has the hook, the optimizer is returned untouched. Goes when Keras
    builds its TensorFlow updates without the per-variable overhead.
    """
    import keras

    fusable = (
        type(optimizer) in (keras.optimizers.Adam, keras.optimizers.AdamW)
        and keras.backend.backend() == "tensorflow"
        and not optimizer.amsgrad
        and callable(getattr(type(optimizer), "_backend_update_step", None))
    )
    if fusable:
        optimizer._backend_update_step = _FusedAdamUpdate(optimizer)
    return optimizer


class _FusedAdamUpdate:
    """``Adam._backend_update_step`` with the step's scalars computed once.

    A plain object rather than a bound method, so the optimizer stays picklable
    and Keras' attribute tracking leaves it alone.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def __call__(self, grads, trainable_variables, learning_rate):
        import tensorflow as tf
        from keras import ops

        opt = self.optimizer
        if tf.distribute.has_strategy():
            return type(opt)._backend_update_step(opt, grads, trainable_variables, learning_rate)
        alphas = {}
        for gradient, variable in zip(grads, trainable_variables, strict=True):
            dtype = variable.dtype
            if dtype not in alphas:  # Adam.update_step's scalars, once per dtype
                local_step = ops.cast(opt.iterations + 1, dtype)
                beta_1_power = ops.power(ops.cast(opt.beta_1, dtype), local_step)
                beta_2_power = ops.power(ops.cast(opt.beta_2, dtype), local_step)
                lr = ops.cast(learning_rate, dtype)
                alphas[dtype] = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)
            alpha = alphas[dtype]
            factor = learning_rate_factor(opt, variable)
            if factor != 1.0:
                alpha = alpha * factor
            gradient = ops.cast(gradient, dtype)
            index = opt._get_variable_index(variable)
            m, v = opt._momentums[index], opt._velocities[index]
            opt.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - opt.beta_1))
            opt.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - opt.beta_2))
            opt.assign_sub(
                variable,
                ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), opt.epsilon)),
            )


def set_learning_rate_factors(optimizer, variables, factor):
    """Train ``variables`` at ``factor`` times ``optimizer``'s learning rate; return it.

    Keras 3 has no per-variable learning rate. On the TensorFlow backend its
    optimizers apply ``update_step(gradient, variable, learning_rate)`` to one
    variable at a time (`fuse_adam_update_step`'s update does too), so the
    instance's ``update_step`` is wrapped to scale ``learning_rate`` for the
    variables given (looked up by the optimizer's own variable key, which
    names a variable the same whether Keras or TensorFlow holds it). Any
    optimizer that scales its step by its learning rate (SGD, Adam, RMSprop,
    ...) then moves those variables ``factor`` times as far; weight decay
    keeps the base rate. A factor of 1 removes the wrapping. Goes if Keras
    grows per-variable learning rates (``MultiOptimizer`` needs a second
    optimizer and has no ``learning_rate`` of its own).
    """
    factors = {optimizer._var_key(variable): float(factor) for variable in variables}
    if float(factor) == 1.0 or not factors:
        vars(optimizer).pop("update_step", None)
        vars(optimizer).pop("_learning_rate_factors", None)
        return optimizer
    optimizer._learning_rate_factors = _Factors(factors)
    optimizer.update_step = _ScaledUpdateStep(optimizer)
    return optimizer


def learning_rate_factor(optimizer, variable):
    """The factor `set_learning_rate_factors` gave ``variable`` (1.0 when none)."""
    factors = vars(optimizer).get("_learning_rate_factors")
    if factors is None:
        return 1.0
    return factors.values.get(optimizer._var_key(variable), 1.0)


class _Factors:
    """Variable key -> learning rate factor, in a plain object (Keras tracks dicts)."""

    def __init__(self, values):
        self.values = values


class _ScaledUpdateStep:
    """``type(optimizer).update_step`` with the variable's learning rate factor applied."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def __call__(self, gradient, variable, learning_rate):
        opt = self.optimizer
        factor = learning_rate_factor(opt, variable)
        if factor != 1.0:
            learning_rate = learning_rate * factor
        return type(opt).update_step(opt, gradient, variable, learning_rate)
