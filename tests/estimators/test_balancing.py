"""Balanced multimodal learning: auxiliary heads, gradient modulation, blended heads,
and training that stops by itself."""

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import MultimodalClassifier, MultimodalInput, MultimodalRegressor, TextTokenizer
from skmm.network import (
    DetachedFeatures,
    HeadBlend,
    ModulatedGradient,
    blend_layer,
    ensemble_groups,
    serving_network,
)


def keyword_and_weak_number(n=240, seed=0):
    """The keyword in the text is the label; the number is only weakly informative."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    text = [f"this is {'good' if label else 'bad'} stuff {rng.randint(100)}" for label in y]
    return pd.DataFrame({"text": text, "number": rng.normal(size=n) + y}), y


def text_input():
    return MultimodalInput([("text", TextTokenizer(), "text")])


def fused_input():
    return MultimodalInput(
        [("text", TextTokenizer(), "text"), ("number", StandardScaler(), ["number"])]
    )


def test_a_weak_modality_does_not_drown_a_perfect_one_with_defaults():
    X, y = keyword_and_weak_number()
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    fused = cross_val_score(
        make_pipeline(fused_input(), MultimodalClassifier(random_state=0)), X, y, cv=cv
    )
    # the text alone carries the label (checked on the first fold: the bar fused must keep)
    train, test = next(cv.split(X, y))
    text = make_pipeline(text_input(), MultimodalClassifier(random_state=0))
    text_score = text.fit(X.iloc[train], y[train]).score(X.iloc[test], y[test])
    assert text_score >= 0.97, text_score
    assert fused.mean() >= 0.97, fused


def test_blend_weights_are_fitted_on_held_out_rows_and_make_the_prediction():
    X, y = keyword_and_weak_number()
    X.loc[[3, 7], "text"] = None  # a missing text cell: that head is left out for the row
    pipeline = make_pipeline(fused_input(), MultimodalClassifier(random_state=0, epochs=30))
    pipeline.fit(X, y)
    clf = pipeline[-1]
    weights = clf.head_weights_
    assert list(weights) == ["fused", "text", "number"]
    assert min(weights.values()) >= 0 and sum(weights.values()) == pytest.approx(1.0)
    assert weights["text"] > weights["number"]  # the keyword is what tells the label
    assert "val_loss" in clf.history_  # 240 rows: a validation slice was held out

    layer = blend_layer(clf.model_)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.blend_weights), list(weights.values()), rtol=1e-6
    )
    blocks = pipeline[0].transform(X)
    inputs = clf.feature_encoder_.transform(blocks)
    prediction, fused, text, number = (
        keras.ops.convert_to_numpy(out) for out in clf.model_(inputs, training=False)
    )
    w = np.array(list(weights.values()))
    present = inputs["text_present"].reshape(-1, 1)

    def log_odds(p):
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return np.log(p) - np.log1p(-p)

    # a binary head's probabilities blend as the weighted mean of their log-odds (the
    # normalized weighted geometric mean of the Bernoulli distributions)
    mean_log_odds = (
        w[0] * log_odds(fused) + w[1] * present * log_odds(text) + w[2] * log_odds(number)
    ) / (w[0] + w[1] * present + w[2])
    expected = 1 / (1 + np.exp(-mean_log_odds))
    np.testing.assert_allclose(prediction, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clf.predict_proba(blocks)[:, 1], prediction[:, 0], rtol=1e-5)
    # the serving view has one output, the prediction
    served = serving_network(clf.model_)
    assert len(served.outputs) == 1 and isinstance(blend_layer(served), HeadBlend)


def test_every_balance_option_trains_with_missing_cells_tasks_and_regression():
    X, y = keyword_and_weak_number(n=160)
    X.loc[[1, 2], "text"] = None
    tasks = pd.DataFrame({"label": y, "sign": (X["number"] > 0.5).astype(int)})
    # each option under both fusions that lay their heads out differently: concat's
    # [prediction, (fused head,) text head, number head], late's prediction and the
    # blocks' own heads; the blend, which alone adds the fused head, under both
    for balance, fusion in [
        ("ensemble", "concat"),
        ("ensemble", "late"),
        ("blend", "concat"),
        ("blend", "late"),
        ("auxiliary", "concat"),
        ("modulate", "late"),
        (None, "concat"),
    ]:
        clf = make_pipeline(
            fused_input(),
            MultimodalClassifier(balance=balance, fusion=fusion, epochs=3, random_state=0),
        ).fit(X, tasks)
        assert clf.predict(X).shape == (160, 2)
        outputs = clf[-1].model_.outputs
        expected = 3 + (balance in ("blend", "ensemble") and fusion == "concat")
        assert len(outputs) == (1 if balance is None else expected)
    for balance in ("ensemble", "blend", "auxiliary", "modulate", None):
        reg = make_pipeline(
            fused_input(), MultimodalRegressor(balance=balance, epochs=3, random_state=0)
        ).fit(X, y.astype(float))
        assert np.isfinite(reg.predict(X)).all()


def test_a_single_block_gets_the_plain_network():
    X, y = keyword_and_weak_number(n=60)
    clf = make_pipeline(text_input(), MultimodalClassifier(epochs=2, random_state=0)).fit(X, y)
    assert len(clf[-1].model_.outputs) == 1
    assert not hasattr(clf[-1], "head_weights_")


def test_modulation_damps_the_dominant_block_during_training_only():
    X, y = keyword_and_weak_number()
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            layers = [layer for layer in self.model.layers if isinstance(layer, ModulatedGradient)]
            seen.append({layer.name: float(layer.coefficient.numpy()) for layer in layers})

    clf = make_pipeline(
        fused_input(),
        MultimodalClassifier(
            balance="modulate",
            epochs=15,
            learning_rate=1e-2,
            early_stopping=False,
            random_state=0,
            callbacks=[Record()],
        ),
    ).fit(X, y)
    assert set(seen[-1]) == {"text_modulation", "number_modulation"}
    # the keyword fits far better than the number: its gradient into the fused head is damped
    assert seen[-1]["text_modulation"] < 0.9 and seen[-1]["number_modulation"] == 1.0
    # after training every coefficient is back to 1; prediction never used them
    for layer in clf[-1].model_.layers:
        if isinstance(layer, ModulatedGradient):
            assert float(layer.coefficient.numpy()) == 1.0


def test_training_stops_on_the_validation_loss_or_on_the_training_loss():
    X, y = keyword_and_weak_number()
    clf = MultimodalClassifier(
        random_state=0, tabular_units=(4,), hidden_units=(4,), learning_rate=0.05
    )
    numbers = np.c_[X["number"].to_numpy(), np.random.RandomState(0).normal(size=len(y))]
    clf.fit(numbers, y)  # 240 rows: a seeded, stratified 10 % slice is monitored
    assert "val_loss" in clf.history_ and clf.n_iter_ < 100
    assert clf.best_iteration_ <= clf.n_iter_
    small = MultimodalClassifier(random_state=0, epochs=40, n_iter_no_change=3)
    small.fit(numbers[:60], y[:60])  # a 6-row slice is too small: the training loss is monitored
    assert "val_loss" not in small.history_
    assert 1 <= small.best_iteration_ <= small.n_iter_ <= 40
    with pytest.raises(
        ValueError, match="'early_stopping' parameter of MultimodalClassifier must be"
    ):
        MultimodalClassifier(early_stopping="sometimes").fit(numbers, y)
    with pytest.raises(ValueError, match="'balance' parameter of MultimodalClassifier must be"):
        MultimodalClassifier(balance="greedy").fit(numbers, y)


def test_partial_fit_keeps_the_blend_weights():
    X, y = keyword_and_weak_number(n=120)
    pre = fused_input().fit(X)
    blocks = pre.transform(X)
    clf = MultimodalClassifier(random_state=0, epochs=5).fit(blocks, y)
    before = dict(clf.head_weights_)
    clf.partial_fit(blocks, y)
    assert clf.head_weights_ == before
    assert clf.score(blocks, y) > 0.5


def test_ensemble_branches_learn_from_their_own_heads_and_stop_on_their_own():
    X, y = keyword_and_weak_number()
    pre = fused_input().fit(X)
    blocks = pre.transform(X)
    number_weights = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            layer = self.model.get_layer("number_dense0")
            number_weights.append(layer.get_weights()[0].copy())

    clf = MultimodalClassifier(
        balance="ensemble", epochs=60, n_iter_no_change=3, random_state=0, callbacks=[Record()]
    ).fit(blocks, y)
    assert [type(layer) for layer in clf.model_.layers].count(DetachedFeatures) == 2
    labels = [label for label, _, _ in ensemble_groups(clf.model_)]
    assert labels == ["text", "number", "fused"]
    # the weak number fits (and overfits) first: its branch stopped and was frozen at
    # its best epoch while the text branch went on
    iterations = clf.head_iterations_
    assert set(iterations) >= {"text", "number"}
    assert iterations["number"] < iterations["text"]
    best = iterations["number"] - 1
    # (this recorder runs before the stopping rule, which restores at the end of
    # epoch best + patience: from the next epoch on the branch holds its best weights)
    assert len(number_weights) > best + 4
    for later in number_weights[best + 4 :]:
        np.testing.assert_array_equal(later, number_weights[best])  # frozen
    assert not np.array_equal(number_weights[0], number_weights[best])
    assert clf.best_iteration_ == max(iterations.values()) <= clf.n_iter_
    # the network comes back fully trainable, so a later fit trains every branch
    assert all(layer.trainable for layer in clf.model_.layers)
    assert clf.score(blocks, y) >= 0.97
    frozen = clf.model_.get_layer("number_dense0").get_weights()[0].copy()
    clf.set_params(warm_start=True, epochs=2, early_stopping=False).fit(blocks, y)
    assert not np.array_equal(clf.model_.get_layer("number_dense0").get_weights()[0], frozen)
    assert "head_iterations_" not in vars(clf)


def test_the_fused_head_sends_no_gradient_into_an_ensemble_branch():
    X, y = keyword_and_weak_number(n=80)
    blocks = fused_input().fit(X).transform(X)
    clf = MultimodalClassifier(balance="ensemble", epochs=1, random_state=0).fit(blocks, y)
    inputs = clf.feature_encoder_.transform(blocks)
    fused = keras.Model(clf.model_.inputs, clf.model_.get_layer("fused_output").output)
    import tensorflow as tf

    encoder = clf.model_.get_layer("number_dense0").trainable_weights
    head = clf.model_.get_layer("head_dense0").trainable_weights
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(fused(inputs, training=True))
    to_encoder, to_head = tape.gradient(loss, [encoder[0], head[0]])
    assert to_encoder is None or not np.any(to_encoder.numpy())
    assert np.any(to_head.numpy())


def test_a_warm_fit_reuses_the_traced_step_unless_a_branch_froze():
    X, y = keyword_and_weak_number(n=120)
    blocks = fused_input().fit(X).transform(X)
    clf = MultimodalClassifier(epochs=2, random_state=0, warm_start=True).fit(blocks, y)
    assert "head_iterations_" in vars(clf)  # the branches were watched; none froze in 2 epochs
    traced = clf.model_.train_function
    assert traced is not None
    clf.fit(blocks, y)
    assert clf.model_.train_function is traced  # no new trace: the next λ of a path is cheap
    # a branch that froze was left out of the traced step: the next fit traces a new one
    clf.set_params(epochs=40, n_iter_no_change=1).fit(blocks, y)
    assert clf.model_.train_function is None
    assert all(layer.trainable for layer in clf.model_.layers)


def test_a_regressors_blend_weights_compare_each_row_with_its_own_target():
    """The blend weights of a regressor are fitted on the per-row squared error (its
    (n,) targets against its (n, 1) predictions, not every target against every
    prediction): the informative block's head outweighs the noise's."""
    from skmm import MultimodalRegressor

    rng = np.random.default_rng(0)
    X = {
        "signal": rng.normal(size=(400, 3)).astype("float32"),
        "noise": rng.normal(size=(400, 2)).astype("float32"),
    }
    y = X["signal"][:, 0] * 2 + 0.1 * rng.normal(size=400)
    regressor = MultimodalRegressor(epochs=8, balance="blend", random_state=0).fit(X, y)
    assert regressor.head_weights_["signal"] > 4 * regressor.head_weights_["noise"]
