"""Networks with several targets: per-task output layers and their loss."""

import keras
import numpy as np
import pytest

from skmm.compose import BlockSpec
from skmm.network import FUSIONS, MultiTaskCrossEntropy, build_fused_network

SPECS = [
    BlockSpec("text", "text", (6,), "int32", vocabulary_size=20, presence=True),
    BlockSpec("tabular", "tabular", (2,), "float32"),
]
TINY = dict(embedding_dim=4, text_units=4, tabular_units=(4,), hidden_units=(4,), fusion_units=4)


def inputs(n=5, seed=0):
    rng = np.random.RandomState(seed)
    return {
        "text": rng.randint(0, 20, (n, 6)).astype("int32"),
        "text_present": np.ones((n, 1), "float32"),
        "tabular": rng.randn(n, 2).astype("float32"),
    }


@pytest.mark.parametrize("fusion", FUSIONS)
def test_each_task_gets_its_own_output_layer_on_the_shared_trunk(fusion):
    model = build_fused_network(
        SPECS, n_outputs=1 + 3, output_activation=None, task_units=[1, 3], fusion=fusion, **TINY
    )
    out = np.asarray(model(inputs(), training=False))
    assert out.shape == (5, 4)
    assert np.all((out[:, 0] > 0) & (out[:, 0] < 1))  # the binary task: a sigmoid
    np.testing.assert_allclose(out[:, 1:].sum(axis=1), 1.0, rtol=1e-5)  # a softmax
    prefix = "tabular_" if fusion == "late" else ""
    binary, multiclass = (model.get_layer(f"{prefix}task{t}_output") for t in (0, 1))
    assert (binary.units, binary.activation.__name__) == (1, "sigmoid")
    assert (multiclass.units, multiclass.activation.__name__) == (3, "softmax")
    if fusion != "late":
        # one trunk: both task layers read the same last hidden layer
        trunk = model.get_layer("head_dropout0").output
        assert binary.input is trunk and multiclass.input is trunk


@pytest.mark.parametrize("task_units", [[], [0, 2], [1, 2]])
def test_task_units_must_be_positive_and_add_up_to_n_outputs(task_units):
    with pytest.raises(ValueError, match="task_units must be positive ints summing to"):
        build_fused_network(
            SPECS, n_outputs=4, output_activation=None, task_units=task_units, **TINY
        )


def test_multi_task_loss_is_the_weighted_mean_of_the_task_cross_entropies():
    rng = np.random.RandomState(0)
    binary = rng.uniform(0.05, 0.95, (8, 1)).astype("float32")
    logits = rng.randn(8, 3)
    softmax = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype("float32")
    y_true = np.c_[rng.randint(0, 2, 8), rng.randint(0, 3, 8)].astype("float32")
    y_pred = np.c_[binary, softmax]
    bce = -(y_true[:, 0] * np.log(binary[:, 0]) + (1 - y_true[:, 0]) * np.log(1 - binary[:, 0]))
    cce = -np.log(softmax[np.arange(8), y_true[:, 1].astype(int)])
    loss = MultiTaskCrossEntropy([1, 3], [1.0, 3.0])
    expected = np.mean((1.0 * bce + 3.0 * cce) / 4.0)
    np.testing.assert_allclose(float(loss(y_true, y_pred)), expected, rtol=1e-4)
    weights = np.array([1, 0, 2, 1, 1, 0, 1, 1], "float32")
    expected_weighted = np.sum(weights * (bce + 3.0 * cce) / 4.0) / 8
    np.testing.assert_allclose(
        float(loss(y_true, y_pred, sample_weight=weights)), expected_weighted, rtol=1e-4
    )
    # a task of weight 0 has no effect
    only_first = MultiTaskCrossEntropy([1, 3], [1.0, 0.0])
    np.testing.assert_allclose(float(only_first(y_true, y_pred)), bce.mean(), rtol=1e-4)


def test_multi_task_loss_round_trips_through_keras_serialization():
    loss = MultiTaskCrossEntropy([1, 4, 1], [0.5, 1.0, 2.0])
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(again) is MultiTaskCrossEntropy
    assert (again.task_units, again.task_weights) == ([1, 4, 1], [0.5, 1.0, 2.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(task_units=[1, 0]), "task_units must be positive ints"),
        (dict(task_units=[1, 2], task_weights=[1.0]), "task_weights has 1 values for 2 tasks"),
        (dict(task_units=[1, 2], task_weights=[0.0, 0.0]), "with a positive sum"),
        (dict(task_units=[1, 2], task_weights=[-1.0, 2.0]), "must be >= 0"),
    ],
)
def test_multi_task_loss_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiTaskCrossEntropy(**kwargs)
