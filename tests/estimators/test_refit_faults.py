"""A fit that fails or is interrupted leaves the estimator as it was."""

import keras
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skmm import MultimodalClassifier, MultimodalRegressor
from tests.conftest import TINY


class InterruptAt(keras.callbacks.Callback):
    """Once ``armed``, raises ``error`` at the end of the ``epochs``-th epoch of a training."""

    def __init__(self, epochs, error=KeyboardInterrupt, armed=False):
        super().__init__()
        self.epochs, self.error, self.armed = epochs, error, armed

    def on_train_begin(self, logs=None):
        self.seen = 0

    def on_epoch_end(self, epoch, logs=None):
        self.seen += 1
        if self.armed and self.seen == self.epochs:
            raise self.error("stopped")


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4)).astype("float32")
    return X, (X[:, 0] > 0).astype(int)


def snapshot(est, X):
    return {
        "proba": est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X),
        "weights": [np.array(w) for w in est.model_.get_weights()],
        "model": est.model_,
        "history": {k: list(v) for k, v in est.history_.items()},
        "attributes": sorted(vars(est)),
    }


def assert_unchanged(est, X, before):
    after = snapshot(est, X)
    np.testing.assert_array_equal(after["proba"], before["proba"])
    for got, expected in zip(after["weights"], before["weights"], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert after["model"] is before["model"]
    assert after["history"] == before["history"]
    assert after["attributes"] == before["attributes"]


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_refit_leaves_the_fitted_estimator_unchanged(numeric, warm_start, error):
    X, y = numeric
    interrupt = InterruptAt(2, error)
    clf = MultimodalClassifier(**TINY, warm_start=warm_start, callbacks=[interrupt]).fit(X, y)
    before = snapshot(clf, X)
    interrupt.armed = True
    with pytest.raises(error, match="stopped"):
        clf.fit(X, y)
    assert_unchanged(clf, X, before)
    # and it still trains afterwards
    interrupt.armed = False
    clf.fit(X, y)
    assert clf.n_iter_ == TINY["epochs"]


def test_an_interrupted_partial_fit_leaves_the_network_unchanged(numeric):
    X, y = numeric
    interrupt = InterruptAt(1)
    reg = MultimodalRegressor(**TINY, callbacks=[interrupt])
    reg.partial_fit(X, y.astype(float))
    before = snapshot(reg, X)
    interrupt.armed = True
    with pytest.raises(KeyboardInterrupt):
        reg.partial_fit(X, y.astype(float))
    assert_unchanged(reg, X, before)
    assert reg.current_epoch == 1


def test_a_refit_on_bad_data_leaves_the_fitted_estimator_unchanged(numeric):
    X, y = numeric
    clf = MultimodalClassifier(**TINY).fit(X, y)
    before = snapshot(clf, X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y)
    with pytest.raises(ValueError, match="single class"):
        clf.fit(X, np.zeros_like(y))
    assert_unchanged(clf, X, before)


def test_a_failed_first_fit_leaves_an_unfitted_estimator(numeric):
    X, y = numeric
    clf = MultimodalClassifier(**TINY, callbacks=[InterruptAt(1, armed=True)])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert [k for k in vars(clf) if k.endswith("_") and not k.startswith("_")] == []
    with pytest.raises(NotFittedError):
        clf.predict(X)
