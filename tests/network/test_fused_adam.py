"""Adam's cheaper update graph (skmm._compat.fuse_adam_update_step): same numbers,
fewer operations to trace."""

import pickle

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.pipeline import make_pipeline

from skmm import MultimodalClassifier
from skmm._compat import fuse_adam_update_step
from tests.conftest import TINY, make_input


class PlainAdam(keras.optimizers.Adam):
    """Keras' own Adam update: a subclass is never fused."""


class PlainAdamW(keras.optimizers.AdamW):
    """Keras' own AdamW update."""


def fused(optimizer):
    return "_backend_update_step" in vars(optimizer)


def fitted(small_data, **params):
    X, y = small_data
    clf = MultimodalClassifier(**{**TINY, "epochs": 2, **params})
    return make_pipeline(make_input(), clf).fit(X, y)[-1]


@pytest.mark.parametrize(
    ("name", "plain", "extra"),
    [("adam", PlainAdam, {}), ("adamw", PlainAdamW, {"optimizer__weight_decay": 0.01})],
)
def test_a_fused_update_trains_the_same_network_bit_for_bit(small_data, name, plain, extra):
    # text (an embedding: sparse gradients), image, numbers and the balanced heads
    by_name = fitted(small_data, optimizer=name, **extra)
    by_keras = fitted(small_data, optimizer=plain, **extra)
    assert fused(by_name.model_.optimizer) and not fused(by_keras.model_.optimizer)
    weights, reference = by_name.model_.get_weights(), by_keras.model_.get_weights()
    assert len(weights) == len(reference)
    for got, expected in zip(weights, reference, strict=True):
        np.testing.assert_array_equal(got, expected)
    for got, expected in zip(
        by_name.model_.optimizer.variables, by_keras.model_.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_only_adam_made_by_skmm_is_fused(small_data):
    X, y = small_data
    users = keras.optimizers.Adam(learning_rate=1e-3)
    clf = MultimodalClassifier(**{**TINY, "epochs": 1}, optimizer=users)
    assert not fused(make_pipeline(make_input(), clf).fit(X, y)[-1].model_.optimizer)
    assert not fused(users)
    assert not fused(fuse_adam_update_step(keras.optimizers.Adam(amsgrad=True)))
    assert not fused(fuse_adam_update_step(keras.optimizers.SGD()))
    assert fused(fuse_adam_update_step(keras.optimizers.AdamW()))


def test_a_loaded_network_keeps_the_fused_update(small_data):
    X, y = small_data
    pipeline = make_pipeline(make_input(), MultimodalClassifier(**{**TINY, "epochs": 2}))
    pipeline.fit(X, y)
    loaded = pickle.loads(pickle.dumps(pipeline))
    assert fused(loaded[-1].model_.optimizer)
    before = loaded[-1].model_.get_weights()
    loaded[-1].partial_fit(pipeline[0].transform(X), y)
    after = loaded[-1].model_.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert any(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))


def traced_update_operations(optimizer, n_variables=20):
    """How many operations one traced ``optimizer.apply`` puts in its graph."""
    variables = [keras.Variable(np.ones((3, 3), "float32")) for _ in range(n_variables)]
    optimizer.build(variables)

    @tf.function
    def step():
        optimizer.apply([tf.ones((3, 3))] * n_variables, variables)

    return len(step.get_concrete_function().graph.get_operations())


def test_the_fused_update_graph_is_much_smaller():
    plain = traced_update_operations(keras.optimizers.Adam())
    fused_ops = traced_update_operations(fuse_adam_update_step(keras.optimizers.Adam()))
    assert fused_ops < 0.6 * plain, (fused_ops, plain)


@pytest.mark.parametrize("under_strategy", [True, False])
def test_keras_own_update_runs_under_a_distribution_strategy_only(monkeypatch, under_strategy):
    keras_update = keras.optimizers.Adam._backend_update_step
    calls = []

    def counted(self, *args):
        calls.append(self)
        return keras_update(self, *args)

    monkeypatch.setattr(keras.optimizers.Adam, "_backend_update_step", counted)
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0") if under_strategy else None
    with strategy.scope() if strategy else tf.init_scope():
        optimizer = fuse_adam_update_step(keras.optimizers.Adam(learning_rate=0.1))
        variable = keras.Variable(np.ones(3, "float32"))
        optimizer.build([variable])

    def apply():
        optimizer.apply([tf.ones(3)], [variable])

    tf.function(lambda: strategy.run(apply) if strategy else apply())()
    assert len(calls) == (1 if under_strategy else 0)
    # either way, Adam's first step moves every weight by the learning rate
    np.testing.assert_allclose(variable.numpy(), 0.9, rtol=1e-5)
