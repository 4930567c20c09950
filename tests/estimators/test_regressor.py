import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_regressor
from sklearn.model_selection import GridSearchCV, KFold, check_cv
from sklearn.pipeline import make_pipeline

from skmm import MultimodalRegressor
from skmm.datasets import make_multimodal_classification
from tests.conftest import TINY, make_input


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(160, 4)).astype("float32")
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.normal(size=160)
    return X, y


def tiny(**overrides):
    return MultimodalRegressor(**{**TINY, "epochs": 40, "learning_rate": 0.01, **overrides})


def test_is_a_regressor():
    reg = MultimodalRegressor()
    assert is_regressor(reg)
    assert isinstance(check_cv(3, np.arange(10.0), classifier=False), KFold)


def test_learns_a_linear_target_and_scores_r2(numeric):
    X, y = numeric
    reg = tiny().fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (160,) and pred.dtype == np.float64
    assert reg.score(X, y) > 0.9
    assert reg.predict(X[:1]).shape == (1,)
    assert reg.model_.get_layer("output").activation.__name__ == "linear"


def test_multi_output_regression(numeric):
    X, y = numeric
    Y = np.c_[y, -y + X[:, 2]]
    reg = tiny().fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == (160, 2) and reg.predict(X[:1]).shape == (1, 2)
    assert reg.score(X, Y) > 0.8


def test_early_stopping_without_stratification(numeric):
    X, y = numeric
    reg = tiny(epochs=200, early_stopping=True, n_iter_no_change=3).fit(X, y)
    assert reg.n_iter_ < 200 and "val_loss" in reg.history_
    assert reg.best_iteration_ == int(np.argmin(reg.history_["val_loss"])) + 1


def test_multimodal_pipeline_search_and_pickle():
    X, labels = make_multimodal_classification(n_samples=120, image_size=16, random_state=0)
    y = labels + X["x0"]  # a numeric target that needs the modalities
    model = make_pipeline(make_input(), MultimodalRegressor(**{**TINY, "epochs": 2}))
    search = GridSearchCV(model, {"multimodalregressor__l2": [1e-5, 1e-2]}, cv=2).fit(X, y)
    fitted = search.best_estimator_
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    assert clone(fitted[-1]).get_params()["l2"] == fitted[-1].l2


def test_missing_targets_and_bad_input(numeric):
    X, y = numeric
    y = y.copy()
    y[4] = np.nan
    with pytest.raises(ValueError, match="row 4"):
        tiny().fit(X, y)
    with pytest.raises(ValueError, match="could not convert|numeric"):
        tiny().fit(X, np.array(["a", "b"] * 80, dtype=object))
