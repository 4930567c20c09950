"""AdjustableL2: one L2 penalty whose strength changes without retracing."""

import keras
import numpy as np
import pytest

from skmm._compat import load_keras_model_bytes, save_keras_model_bytes
from skmm.network import AdjustableL2


class CountingModel(keras.Model):
    """A functional model that counts how often its training step is traced."""

    traces = 0

    def train_step(self, data):
        type(self).traces += 1  # Python runs here only while TensorFlow traces the step
        return super().train_step(data)


def penalized_model(regularizer, model_class=keras.Model):
    inputs = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(8, activation="relu", kernel_regularizer=regularizer)(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=regularizer)(hidden)
    model = model_class(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy")
    return model


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4)).astype("float32")
    return X, (X[:, 0] > 0).astype("float32")


def squared_kernels(model):
    return sum(float(np.sum(np.square(layer.kernel.numpy()))) for layer in model.layers[1:])


def test_strength_is_a_non_trainable_float32_variable_and_l2_is_its_value():
    regularizer = AdjustableL2(0.5)
    assert regularizer.strength.dtype == "float32" and not regularizer.strength.trainable
    x = np.arange(3, dtype="float32")
    assert float(regularizer(x)) == pytest.approx(0.5 * 5.0)
    assert float(regularizer(x)) == pytest.approx(float(keras.regularizers.L2(0.5)(x)))
    regularizer.assign(2.0)
    assert regularizer.l2 == 2.0 and float(regularizer(x)) == pytest.approx(10.0)
    assert regularizer.get_config() == {"l2": 2.0}
    assert AdjustableL2.from_config(regularizer.get_config()).l2 == 2.0


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "strong", None])
def test_a_strength_must_be_a_float_at_least_0(bad):
    with pytest.raises(ValueError, match="L2 strength must be a float >= 0"):
        AdjustableL2(bad)
    with pytest.raises(ValueError, match="L2 strength must be a float >= 0"):
        AdjustableL2(0.1).assign(bad)


def test_assign_changes_the_training_loss_without_retracing(data):
    X, y = data
    regularizer = AdjustableL2(0.1)
    CountingModel.traces = 0
    model = penalized_model(regularizer, CountingModel)
    penalty = squared_kernels(model)  # SGD with learning rate 0: the weights never move
    assert float(sum(model.losses)) == pytest.approx(0.1 * penalty, rel=1e-5)

    strong = model.fit(X, y, epochs=1, batch_size=8, verbose=0).history["loss"][0]
    train_function = model.train_function
    regularizer.assign(0.0)
    assert float(sum(model.losses)) == 0.0
    weak = model.fit(X, y, epochs=1, batch_size=8, verbose=0).history["loss"][0]

    assert strong - weak == pytest.approx(0.1 * penalty, rel=1e-3)
    assert model.train_function is train_function
    assert CountingModel.traces == 1


def test_saved_model_keeps_the_current_strength_and_reloads_in_safe_mode(data, tmp_path):
    X, _ = data
    regularizer = AdjustableL2(0.1)
    model = penalized_model(regularizer)
    regularizer.assign(0.03)

    for loaded in (
        load_keras_model_bytes(save_keras_model_bytes(model)),
        _saved_and_loaded(model, tmp_path / "model.keras"),
    ):
        strengths = [layer.kernel_regularizer for layer in loaded.layers[1:]]
        assert all(isinstance(r, AdjustableL2) and r.l2 == pytest.approx(0.03) for r in strengths)
        np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
        assert float(sum(loaded.losses)) == pytest.approx(float(sum(model.losses)), rel=1e-6)


def _saved_and_loaded(model, path):
    model.save(path)
    return keras.saving.load_model(path, safe_mode=True)
