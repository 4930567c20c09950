"""Batched inference with one traced graph per model."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ._balancing import serving_network


class _Forward:
    """``model(inputs, training=False)`` as a callable object.

    TensorFlow keys its retracing statistics on a Python function's code; a
    callable object is keyed on itself instead, so the graphs of different
    models (one per fit in a grid search) are not counted as retraces of one
    function.
    """

    def __init__(self, model):
        self.model = model

    def __call__(self, inputs):
        return self.model(inputs, training=False)


class PredictFunction:
    """Run a functional model over named numpy arrays in fixed-size batches.

    The graph is traced once, with the batch axis left open, so calls with
    any number of rows reuse it (``keras.Model.predict`` builds a new data
    pipeline on every call).

    Parameters
    ----------
    model : keras.Model
        A functional model with named inputs; of a network with several
        outputs (balanced heads), the prediction ``outputs[0]`` is run.
    """

    def __init__(self, model):
        model = serving_network(model)
        signature = {
            t.name: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=t.name) for t in model.inputs
        }
        self._function = tf.function(_Forward(model), input_signature=[signature], autograph=False)

    @property
    def trace_count(self) -> int:
        """How many times the graph has been traced (1 after the first call)."""
        return self._function.experimental_get_tracing_count()

    def __call__(self, inputs, batch_size=1024):
        n = len(next(iter(inputs.values())))
        outputs = [
            self._function({k: v[start : start + batch_size] for k, v in inputs.items()}).numpy()
            for start in range(0, n, batch_size)
        ]
        return np.concatenate(outputs) if outputs else np.empty((0,))
