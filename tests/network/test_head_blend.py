"""HeadBlend: how several heads' predictions of one target combine into the prediction."""

import keras
import numpy as np
import pytest

from skmm.network import HeadBlend, build_fused_network
from skmm.network._balancing import blend, fit_blend_weights


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def call(layer, heads, masks=(), weights=None):
    inputs = [np.asarray(h, dtype="float32") for h in heads]
    inputs += [np.asarray(m, dtype="float32").reshape(-1, 1) for m in masks]
    layer(inputs)  # builds the layer
    if weights is not None:
        layer.set_blend_weights(weights)
    return keras.ops.convert_to_numpy(layer(inputs))


def test_categorical_heads_blend_as_a_renormalized_weighted_geometric_mean():
    rng = np.random.RandomState(0)
    a, b = softmax(rng.normal(size=(6, 4))), softmax(rng.normal(size=(6, 4)))
    present = np.array([1, 1, 0, 1, 0, 1])
    out = call(HeadBlend([False, True], probability_groups=[4]), [a, b], [present], [0.25, 0.75])
    w_b = 0.75 * present[:, None]
    expected = a ** (0.25 / (0.25 + w_b)) * b ** (w_b / (0.25 + w_b))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out[present == 0], a[present == 0], rtol=1e-5)  # b left out


def test_a_confident_head_is_not_diluted_as_by_an_arithmetic_mean():
    # an unsure head (uniform) and a confident one: the geometric blend keeps the
    # confident head's ranking and its odds (square-rooted), the arithmetic one halves it
    sure, unsure = np.array([[0.9, 0.05, 0.05]]), np.full((1, 3), 1 / 3)
    geometric = call(HeadBlend([False, False], probability_groups=[3]), [sure, unsure])
    arithmetic = call(HeadBlend([False, False]), [sure, unsure])
    np.testing.assert_allclose(geometric[0, 0] / geometric[0, 1], np.sqrt(0.9 / 0.05), rtol=1e-5)
    np.testing.assert_allclose(arithmetic, (sure + unsure) / 2, rtol=1e-6)


def test_sigmoid_units_and_tasks_blend_group_by_group():
    rng = np.random.RandomState(1)
    # a binary task (one sigmoid unit) then a three-class task (a softmax)
    a = np.hstack([rng.uniform(0.05, 0.95, (5, 1)), softmax(rng.normal(size=(5, 3)))])
    b = np.hstack([rng.uniform(0.05, 0.95, (5, 1)), softmax(rng.normal(size=(5, 3)))])
    out = call(HeadBlend([False, False], probability_groups=[1, 3]), [a, b], weights=[0.4, 0.6])

    def logit(p):
        return np.log(p) - np.log1p(-p)

    np.testing.assert_allclose(
        out[:, 0], 1 / (1 + np.exp(-(0.4 * logit(a[:, 0]) + 0.6 * logit(b[:, 0])))), rtol=1e-5
    )
    expected = a[:, 1:] ** 0.4 * b[:, 1:] ** 0.6
    np.testing.assert_allclose(out[:, 1:], expected / expected.sum(1, keepdims=True), rtol=1e-5)


def test_values_blend_arithmetically_and_absent_heads_fall_back():
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[5.0], [6.0], [7.0]])
    layer = HeadBlend([True, True])
    out = call(layer, [a, b], [[1, 0, 0], [1, 1, 0]], [0.5, 0.5])
    # both present: the mean; only b: b; neither: every head alike
    np.testing.assert_allclose(out[:, 0], [3.0, 6.0, 5.0], rtol=1e-6)
    out = call(layer, [a, b], [[1, 1, 1], [1, 1, 1]], [1.0, 0.0])
    np.testing.assert_allclose(out, a, rtol=1e-6)


@pytest.mark.parametrize("groups", [None, [3], [1, 1, 1], [1, 2]])
def test_the_numpy_blend_that_fits_the_weights_matches_the_layer(groups):
    rng = np.random.RandomState(2)
    heads = [rng.uniform(0.05, 0.95, (8, 3)) for _ in range(3)]
    if groups == [3]:
        heads = [softmax(rng.normal(size=(8, 3))) for _ in range(3)]
    masks = [rng.randint(0, 2, 8), rng.randint(0, 2, 8)]
    masks[0][:2] = masks[1][:2] = 0  # two rows with only the first head present
    weights = np.array([0.0, 0.3, 0.7])  # the first head, alone present there, has weight 0
    layer = HeadBlend([False, True, True], probability_groups=groups)
    out = call(layer, heads, masks, weights)
    factors = [np.ones((8, 1))] + [m.reshape(-1, 1).astype(float) for m in masks]
    np.testing.assert_allclose(out, blend(heads, factors, weights, groups), rtol=1e-4, atol=1e-6)


def test_probability_groups_are_checked_and_survive_serialization():
    with pytest.raises(ValueError, match="positive widths"):
        HeadBlend([False, False], probability_groups=[0, 3])
    with pytest.raises(ValueError, match="must sum to the heads' 4 units"):
        call(HeadBlend([False, False], probability_groups=[3]), [np.ones((2, 4))] * 2)
    layer = HeadBlend([False, True], probability_groups=[1, 2], name="output")
    restored = HeadBlend.from_config(layer.get_config())
    assert restored.probability_groups == [1, 2] and restored.has_presence == [False, True]
    # a network saved before probability_groups existed blends values, as it did then
    assert HeadBlend.from_config({"has_presence": [False], "name": "o"}).probability_groups is None


def test_the_network_gives_its_blend_the_groups_of_its_head():
    from skmm.compose._blocks import BlockSpec

    specs = [BlockSpec("a", "tabular", (3,), "float32"), BlockSpec("b", "tabular", (2,), "float32")]

    def groups(**kwargs):
        model = build_fused_network(specs, balance="ensemble", hidden_units=(4,), **kwargs)
        return model.get_layer("output").probability_groups

    assert groups(n_outputs=5, output_activation="softmax") == [5]
    assert groups(n_outputs=2, output_activation="sigmoid") == [1, 1]
    assert groups(n_outputs=4, output_activation="sigmoid", task_units=[1, 3]) == [1, 3]
    assert groups(n_outputs=1, output_activation="linear") is None
    assert groups(n_outputs=3, output_activation="softmax", fusion="late") == [3]


def test_blend_weights_fitted_on_few_rows_stay_near_uniform():
    # two equally good heads seen on 10 rows: noise decides which fits those rows a bit
    # better, and the penalty (scaled by 1 / rows) keeps the weights from following it
    rng = np.random.RandomState(3)
    y = rng.randint(0, 3, 10)
    heads = [softmax(np.eye(3)[y] * 2 + rng.normal(size=(10, 3))) for _ in range(2)]
    inputs = [keras.Input((3,)), keras.Input((3,))]
    blended = HeadBlend([False, False], probability_groups=[3], name="output")(inputs)
    network = keras.Model(inputs, [blended, *inputs])
    weights = fit_blend_weights(
        network, heads, [None, None], y, None, "sparse_categorical_crossentropy"
    )
    assert weights.sum() == pytest.approx(1.0)
    assert 0.3 < weights[0] < 0.7, weights
    # many rows where one head is clearly better: its weight grows
    y = rng.randint(0, 3, 400)
    good = softmax(np.eye(3)[y] * 3 + rng.normal(size=(400, 3)))
    poor = softmax(np.eye(3)[y] * 0.5 + rng.normal(size=(400, 3)))
    weights = fit_blend_weights(
        network, [good, poor], [None, None], y, None, "sparse_categorical_crossentropy"
    )
    assert weights[0] > 0.8, weights
