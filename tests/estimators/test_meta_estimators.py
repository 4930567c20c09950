"""scikit-learn meta-estimators and tools on multimodal DataFrame input."""

import logging

import numpy as np
import pytest
import sklearn
from scipy.stats import loguniform
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import StackingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    cross_validate,
    learning_curve,
    validation_curve,
)
from sklearn.pipeline import make_pipeline

from skmm import MultimodalClassifier
from skmm.datasets import make_multimodal_classification
from tests._scripts import RetraceWarnings
from tests.conftest import TINY, make_input


@pytest.fixture(scope="module")
def data():
    return make_multimodal_classification(n_samples=120, image_size=16, random_state=1)


def model(**overrides):
    return make_pipeline(make_input(), MultimodalClassifier(**{**TINY, "epochs": 2, **overrides}))


def plain_model():
    """The fused head alone, where only scikit-learn's side of a search is tested: a
    balanced network's extra heads would only make every fit slower."""
    return model(balance=None)


def test_randomized_and_halving_search(data):
    X, y = data
    random_search = RandomizedSearchCV(
        plain_model(),
        {"multimodalclassifier__l2": loguniform(1e-6, 1e-1)},
        n_iter=2,
        cv=2,
        random_state=0,
        refit=False,
    ).fit(X, y)
    assert len(random_search.cv_results_["params"]) == 2
    halving = HalvingGridSearchCV(
        plain_model(),
        {"multimodalclassifier__l2": [1e-5, 1e-1]},
        cv=2,
        factor=2,
        min_resources=60,
        random_state=0,
        refit=False,
    ).fit(X, y)
    assert halving.best_params_["multimodalclassifier__l2"] in (1e-5, 1e-1)
    assert halving.n_iterations_ >= 2


def test_cross_validate_with_several_scorers(data):
    X, y = data
    scoring = ["accuracy", "roc_auc", "neg_log_loss", "f1_macro"]
    result = cross_validate(model(), X, y, cv=2, scoring=scoring)
    for name in scoring:
        assert np.all(np.isfinite(result[f"test_{name}"]))
    assert np.all(result["test_neg_log_loss"] < 0)


def test_stacking(data):
    X, y = data
    numbers = make_pipeline(
        ColumnTransformer([("numbers", "passthrough", ["x0", "x1"])]), LogisticRegression()
    )
    stack = StackingClassifier(
        [("nn", model()), ("lr", numbers)], final_estimator=LogisticRegression(), cv=2
    ).fit(X, y)
    assert stack.predict_proba(X).shape == (len(X), 2)


def test_permutation_importance_of_whole_modalities():
    X, y = make_multimodal_classification(n_samples=300, image_size=16, random_state=0)
    # the network this test was written for (LSTM text, fused head alone, 20 epochs):
    # the bag-of-n-grams default memorizes the captions' filler words of these 300
    # rows and leaves the image unused, which is not what is measured here
    fitted = model(
        epochs=20, learning_rate=3e-3, text_encoder="lstm", balance=None, early_stopping=False
    ).fit(X, y)
    assert fitted.score(X, y) > 0.8
    result = permutation_importance(fitted, X, y, n_repeats=3, random_state=0, scoring="accuracy")
    importance = dict(zip(X.columns, result.importances_mean, strict=True))
    # the label is a function of the caption's keyword and the image's shape
    assert importance["caption"] > 0.05 and importance["image"] > 0.05
    assert importance["x1"] < min(importance["caption"], importance["image"])


def test_learning_and_validation_curves(data):
    X, y = data
    sizes, train_scores, test_scores = learning_curve(
        plain_model(), X, y, train_sizes=[0.5, 1.0], cv=2
    )
    assert train_scores.shape == test_scores.shape == (2, 2)
    train_scores, test_scores = validation_curve(
        plain_model(), X, y, param_name="multimodalclassifier__l2", param_range=[1e-5, 1e-1], cv=2
    )
    assert test_scores.shape == (2, 2)


def test_parallel_cross_validation_matches_serial(data):
    X, y = data
    serial = cross_val_score(plain_model(), X, y, cv=2, n_jobs=1)
    parallel = cross_val_score(plain_model(), X, y, cv=2, n_jobs=2)
    np.testing.assert_allclose(parallel, serial)


def test_sample_weight_routed_through_pipeline_and_search(data):
    X, y = data
    weights = np.where(y == 1, 20.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):

        def routed():
            clf = MultimodalClassifier(**{**TINY, "epochs": 6, "learning_rate": 0.01})
            clf.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
            # scikit-learn 1.7 asks the pipeline's own score for the request too
            return make_pipeline(make_input(), clf).set_score_request(sample_weight=True)

        grid = {"multimodalclassifier__l2": [1e-4]}
        weighted = GridSearchCV(routed(), grid, cv=2).fit(X, y, sample_weight=weights)
        plain = routed().fit(X, y)  # the refit above saw all rows too, without weights here
    p_weighted = weighted.predict_proba(X)[:, 1].mean()
    p_plain = plain.predict_proba(X)[:, 1].mean()
    assert p_weighted > p_plain + 0.05


def test_no_retracing_in_a_grid_search(data):
    X, y = data
    handler = RetraceWarnings()
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        search = GridSearchCV(model(), {"multimodalclassifier__l2": [1e-5, 1e-1]}, cv=2).fit(X, y)
        for size in range(1, 40, 3):
            search.predict_proba(X.iloc[:size])
    finally:
        logger.removeHandler(handler)
    assert handler.count == 0
    assert search.best_estimator_[-1]._predict_function.trace_count == 1
