"""Early stopping, warm_start and partial_fit semantics."""

import numpy as np
import pytest

from skmm import MultimodalClassifier
from tests.conftest import TINY


@pytest.fixture(scope="module")
def noisy():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 20)).astype("float32")
    y = (X[:, 0] + rng.normal(scale=1.5, size=200) > 0).astype(int)  # easy to overfit
    return X, y


def tiny(**overrides):
    return MultimodalClassifier(**{**TINY, "learning_rate": 0.01, **overrides})


def test_early_stopping_stops_and_keeps_the_best_epoch(noisy):
    X, y = noisy
    clf = tiny(epochs=200, early_stopping=True, n_iter_no_change=3, validation_fraction=0.25)
    clf.fit(X, y)
    val_loss = clf.history_["val_loss"]
    assert clf.n_iter_ == len(val_loss) == len(clf.history_["loss"]) < 200
    assert clf.best_iteration_ == int(np.argmin(val_loss)) + 1
    assert clf.n_iter_ == clf.best_iteration_ + 3  # stopped after patience ran out


def test_early_stopping_is_seeded(noisy):
    X, y = noisy
    params = dict(epochs=30, early_stopping=True, n_iter_no_change=3)
    a = tiny(**params).fit(X, y)
    b = tiny(**params).fit(X, y)
    assert a.history_["val_loss"] == b.history_["val_loss"]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_early_stopping_needs_enough_rows_per_class(noisy):
    X, y = noisy
    y = y.copy()
    y[:] = 0
    y[0] = 1  # a class with one row cannot be split in a stratified way
    with pytest.raises(ValueError, match="early_stopping could not hold out"):
        tiny(early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="validation_split=0"):
        tiny(early_stopping=True, validation_split=0.2).fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction"):
        tiny(early_stopping=True, validation_fraction=1.5).fit(X, y)


def test_without_early_stopping_every_epoch_runs(noisy):
    X, y = noisy
    clf = tiny(epochs=4, early_stopping=False).fit(X, y)
    assert clf.n_iter_ == 4 and "val_loss" not in clf.history_


def test_warm_start_keeps_training_the_same_network(noisy):
    X, y = noisy
    clf = tiny(epochs=3, warm_start=True).fit(X, y)
    model, first_losses = clf.model_, list(clf.history_["loss"])
    clf.fit(X, y)
    assert clf.model_ is model
    assert clf.history_["loss"][0] < first_losses[0]
    cold = tiny(epochs=3).fit(X, y)
    cold_model = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not cold_model  # without warm_start, fit starts over


def test_partial_fit_trains_one_epoch_per_call(noisy):
    X, y = noisy
    clf = tiny(early_stopping=True)  # ignored by partial_fit
    first = y == 0
    clf.partial_fit(X[first], y[first], classes=[0, 1])
    assert list(clf.classes_) == [0, 1] and clf.n_iter_ == 1
    model = clf.model_
    for _ in range(3):
        clf.partial_fit(X, y)
    assert clf.model_ is model and clf.n_iter_ == 4
    assert len(clf.history_["loss"]) == 4 and "val_loss" not in clf.history_
    assert clf.predict_proba(X).shape == (200, 2)


def test_partial_fit_is_reproducible(noisy):
    X, y = noisy

    def run():
        clf = tiny()
        for _ in range(3):
            clf.partial_fit(X, y, classes=[0, 1])
        return clf.predict_proba(X)

    np.testing.assert_array_equal(run(), run())


@pytest.mark.parametrize("metrics", [None, ["accuracy"]])
def test_a_fit_traces_its_training_step_once(small_data, monkeypatch, metrics):
    # Keras would create the loss trackers of a several-output network inside the
    # first traced step, and TensorFlow would then trace the step a second time
    from keras.src.backend.tensorflow import trainer
    from sklearn.pipeline import make_pipeline

    from tests.conftest import make_input

    traced = []
    train_step = trainer.TensorFlowTrainer.train_step

    def counted(self, data):
        traced.append(1)  # runs while tracing only
        return train_step(self, data)

    monkeypatch.setattr(trainer.TensorFlowTrainer, "train_step", counted)
    X, y = small_data
    clf = MultimodalClassifier(**{**TINY, "epochs": 2, "metrics": metrics})
    make_pipeline(make_input(), clf).fit(X, y)
    # the default blend: the prediction, the fused head and one head per block
    assert len(clf.model_.outputs) == 5
    assert len(traced) == 1


def test_small_data_batches_hold_every_row_once_per_epoch_in_a_seeded_order():
    from skmm.estimators._feeding import in_memory_batches

    inputs = {"x": np.arange(10, dtype=np.float64).reshape(10, 1)}
    y = np.arange(10) * 10
    weight = np.linspace(0.5, 1.0, 10)

    def epochs(seed, passes=2):
        batches = in_memory_batches(
            inputs, y, weight, batch_size=4, shuffle=True, seed=seed, n_targets=2
        )
        orders = []
        for _ in range(passes):
            rows = []
            for x, (y_a, y_b), w in batches:
                assert x["x"].dtype == np.float32  # float64 arrives as Keras' floatx
                np.testing.assert_array_equal(y_a, y_b)  # the target, once per output
                np.testing.assert_array_equal(y_a.numpy(), x["x"].numpy()[:, 0] * 10)
                np.testing.assert_allclose(w.numpy(), weight[x["x"].numpy()[:, 0].astype(int)])
                rows += x["x"].numpy()[:, 0].astype(int).tolist()
            orders.append(rows)
        return orders

    first, second = epochs(seed=3)
    assert sorted(first) == sorted(second) == list(range(10))  # every row, once
    assert first != second  # a new order every epoch
    assert epochs(seed=3) == [first, second]  # the same orders from the same seed
    assert epochs(seed=4)[0] != first
    unshuffled = in_memory_batches(inputs, batch_size=-1)
    (only,) = list(unshuffled)
    np.testing.assert_array_equal(only[0]["x"].numpy()[:, 0], np.arange(10))


def test_small_and_large_data_paths_train_alike(noisy, monkeypatch):
    # Above SMALL_DATA_BYTES the arrays go to Keras' own feeding: other row orders, the
    # same model quality, the same history keys, and both repeatable.
    import skmm.estimators._training as training

    X, y = noisy
    params = dict(epochs=15, early_stopping=True, n_iter_no_change=3)
    small = tiny(**params).fit(X, y)
    assert tiny(**params).fit(X, y).history_ == small.history_
    monkeypatch.setattr(training, "SMALL_DATA_BYTES", 0)
    large = tiny(**params).fit(X, y)
    assert tiny(**params).fit(X, y).history_ == large.history_
    assert large.history_ != small.history_
    assert sorted(large.history_) == sorted(small.history_)
    assert abs(large.score(X, y) - small.score(X, y)) < 0.1
