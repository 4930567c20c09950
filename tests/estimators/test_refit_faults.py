"""A fit that fails or is interrupted leaves the estimator as it was."""

import os
import tempfile
import threading
import time

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, MultimodalRegressor
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


# -- faults inside decoding, during long work ----------------------------------------


def _live_threads():
    return {thread.ident for thread in threading.enumerate()}


def _settled(before, timeout=5.0):
    """The threads started since ``before`` that are still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        extra = _live_threads() - before
        if not extra:
            return set()
        time.sleep(0.05)
    return {t.name for t in threading.enumerate() if t.ident in _live_threads() - before}


class FailOnCall:
    """Wraps ``function``; once ``armed``, the ``at``-th call raises ``error``."""

    def __init__(self, function, at, error):
        self.function, self.at, self.error = function, at, error
        self.calls, self.armed = 0, False

    def __call__(self, *args, **kwargs):
        if self.armed:
            self.calls += 1
            if self.calls == self.at:
                raise self.error("decoding stopped")
        return self.function(*args, **kwargs)


@pytest.fixture(scope="module")
def picture_table(tmp_path_factory):
    from PIL import Image

    folder = tmp_path_factory.mktemp("faults")
    rng = np.random.default_rng(0)
    y = np.arange(48) % 2
    paths = []
    for i, label in enumerate(y):
        pixels = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
        pixels[..., 0] = 250 * label
        Image.fromarray(pixels).save(folder / f"p{i}.png")
        paths.append(str(folder / f"p{i}.png"))
    return pd.DataFrame({"path": paths, "x0": rng.normal(size=48) + y}), y


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_a_fault_inside_a_lazy_image_batch_leaves_no_thread_and_the_estimator_as_it_was(
    picture_table, monkeypatch, error, tmp_path
):
    import skmm.preprocessing._image_reading as reading_module

    # a temporary directory of this test's own: the other test worker's files come and go
    # in the shared one
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    X, y = picture_table
    pre = MultimodalInput(
        [
            ("photo", ImageNormalizer(size=(8, 8), lazy=True, n_jobs=2), "path"),
            ("tabular", StandardScaler(), ["x0"]),
        ]
    )
    blocks = pre.fit_transform(X)
    clf = MultimodalClassifier(**TINY).fit(blocks, y)
    before = snapshot(clf, blocks)
    threads, temporary = _live_threads(), sorted(os.listdir(tempfile.gettempdir()))
    failing = FailOnCall(reading_module.decode_into, at=30, error=error)
    monkeypatch.setattr(reading_module, "decode_into", failing)
    failing.armed = True
    with pytest.raises(error, match="decoding stopped"):
        clf.fit(blocks, y)
    assert failing.calls >= 30
    failing.armed = False
    assert not _settled(threads)
    assert sorted(os.listdir(tempfile.gettempdir())) == temporary
    assert_unchanged(clf, blocks, before)


def test_a_fault_inside_an_audio_decode_leaves_the_transformer_as_it_was(monkeypatch):
    import skmm.preprocessing._audio as audio_module
    from skmm import AudioFeaturizer

    rng = np.random.default_rng(0)
    clips = [rng.normal(size=800).astype("float32") * 0.1 for _ in range(6)]
    featurizer = AudioFeaturizer(sample_rate=8000, duration=0.1, n_mels=8).fit(clips)
    mean, expected = featurizer.mean_.copy(), featurizer.transform(clips)
    threads = _live_threads()
    failing = FailOnCall(audio_module.decode_cell, at=3, error=KeyboardInterrupt)
    monkeypatch.setattr(audio_module, "decode_cell", failing)
    failing.armed = True
    with pytest.raises(KeyboardInterrupt):
        featurizer.fit([clip[::-1] for clip in clips])
    failing.armed = False
    assert not _settled(threads)
    # a failed refit leaves no half-learned statistics: it is refitted or refused
    assert not hasattr(featurizer, "mean_") or np.array_equal(featurizer.mean_, mean)
    refit = featurizer.fit(clips)
    np.testing.assert_array_equal(refit.mean_, mean)
    np.testing.assert_array_equal(refit.transform(clips), expected)


def test_a_failing_grid_search_candidate_leaves_the_estimator_given_unchanged(numeric):
    from sklearn.model_selection import GridSearchCV

    X, y = numeric
    interrupt = InterruptAt(1, RuntimeError, armed=True)
    clf = MultimodalClassifier(**TINY, callbacks=[interrupt])
    params = clf.get_params(deep=False)
    threads = _live_threads()
    with pytest.raises(RuntimeError, match="stopped"):
        GridSearchCV(clf, {"l2": [1e-4, 1e-3]}, cv=2, error_score="raise").fit(X, y)
    assert not hasattr(clf, "model_")
    assert clf.get_params(deep=False).keys() == params.keys()
    assert not _settled(threads)
