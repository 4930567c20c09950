"""MultimodalClassifierCV: λ chosen along a warm-started path with internal CV."""

import inspect
import pickle

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

import skmm.estimators._base as base_module
from skmm import MultimodalClassifier, MultimodalClassifierCV
from skmm.network import AdjustableL2
from tests.conftest import TINY, make_input

FAST = dict(hidden_units=(8,), tabular_units=(8,), dropout=0.0, learning_rate=0.02)


def path(**overrides):
    return MultimodalClassifierCV(**{**FAST, "epochs": 8, "random_state": 0, **overrides})


@pytest.fixture(scope="module")
def learnable():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 4)).astype("float32")
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def fitted(learnable):
    """One fit along an absurd and a sensible λ, counting network builds and traces."""
    X, y = learnable
    trainer = next(c for c in keras.Model.__mro__ if "train_step" in vars(c))
    train_step, build = trainer.train_step, base_module.build_fused_network
    counts = {"traces": 0, "builds": 0}

    def counting_train_step(self, data):
        counts["traces"] += 1  # Python runs here only while TensorFlow traces the step
        return train_step(self, data)

    def counting_build(*args, **kwargs):
        counts["builds"] += 1
        return build(*args, **kwargs)

    trainer.train_step, base_module.build_fused_network = counting_train_step, counting_build
    try:
        clf = path(l2s=(1e-5, 10.0), cv=3, path_epochs=8).fit(X, y)
    finally:
        trainer.train_step, base_module.build_fused_network = train_step, build
    return clf, counts


def test_the_path_prefers_a_sensible_l2_to_an_absurd_one(fitted, learnable):
    clf, _ = fitted
    X, y = learnable
    np.testing.assert_array_equal(clf.l2s_, [1e-5, 10.0])  # path order: weakest first
    assert clf.scores_.shape == (3, 2)
    assert clf.l2_ == 1e-5 and clf.l2 == 1e-5
    assert clf.scores_[:, 0].mean() > clf.scores_[:, 1].mean() + 0.15
    assert clf.score(X, y) > 0.9
    results = clf.cv_results_
    np.testing.assert_array_equal(results["param_l2"], clf.l2s_)
    np.testing.assert_array_equal(results["split1_test_score"], clf.scores_[1])
    np.testing.assert_allclose(results["mean_test_score"], clf.scores_.mean(axis=0))
    np.testing.assert_array_equal(results["rank_test_score"], [1, 2])


def test_the_whole_path_builds_one_network_and_traces_one_training_step(fitted):
    _, counts = fitted
    # 3 folds x 2 λ and the refit: 7 trainings, one network, one traced step
    assert counts == {"builds": 1, "traces": 1}


def test_the_refit_trains_epochs_at_the_chosen_l2(fitted):
    clf, _ = fitted
    assert clf.n_iter_ == len(clf.history_["loss"]) == clf.epochs  # l2_ is the first λ
    regularizers = {
        id(layer.kernel_regularizer): layer.kernel_regularizer
        for layer in clf.model_.layers
        if getattr(layer, "kernel_regularizer", None) is not None
    }
    assert len(regularizers) == 1  # one penalty shared by every kernel
    (regularizer,) = regularizers.values()
    assert isinstance(regularizer, AdjustableL2) and regularizer.l2 == pytest.approx(clf.l2_)
    kernels = [layer.kernel for layer in clf.model_.layers if hasattr(layer, "kernel")]
    expected = clf.l2_ * sum(float(np.sum(np.square(k.numpy()))) for k in kernels)
    assert float(sum(clf.model_.losses)) == pytest.approx(expected, rel=1e-5)


def network_l2(estimator):
    """The strength of the (shared) penalty of the estimator's network."""
    layer = next(la for la in estimator.model_.layers if hasattr(la, "kernel_regularizer"))
    return layer.kernel_regularizer.l2


def test_the_refit_walks_the_path_up_to_l2_(learnable):
    X, y = learnable
    seen = []

    def prefers_strong(estimator, X_test, y_test):
        seen.append(network_l2(estimator))
        return network_l2(estimator)

    clf = path(l2s=[1e-3, 1e-4, 1e-2], cv=2, epochs=3, path_epochs=2, scoring=prefers_strong)
    clf.fit(X, y)
    assert seen == pytest.approx([1e-4, 1e-3, 1e-2] * 2)  # each fold walks weak to strong
    np.testing.assert_allclose(clf.scores_, [[1e-4, 1e-3, 1e-2]] * 2)
    assert clf.l2_ == 1e-2 and network_l2(clf) == pytest.approx(1e-2)
    assert clf.n_iter_ == len(clf.history_["loss"]) == 3 + 2 + 2


def test_equal_scores_choose_the_strongest_l2(learnable):
    X, y = learnable
    clf = path(l2s=[1e-4, 1e-2], cv=2, epochs=2, scoring=lambda est, X, y: 0.5).fit(X, y)
    assert clf.l2_ == 1e-2


def test_folds_are_the_stratified_split_and_scores_what_it_holds_out(learnable):
    X, y = learnable
    held_out = []

    def recording_accuracy(estimator, X_test, y_test):
        held_out.append(np.asarray(y_test))
        return float(np.mean(estimator.predict(X_test) == y_test))

    clf = path(l2s=[1e-3], cv=3, epochs=2, scoring=recording_accuracy).fit(X, y)
    expected = [y[test] for _, test in StratifiedKFold(3).split(X, y)]
    assert len(held_out) == 3
    for got, want in zip(held_out, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    same_folds = path(l2s=[1e-3], cv=StratifiedKFold(3), epochs=2).fit(X, y)
    np.testing.assert_array_equal(clf.scores_, same_folds.scores_)


def test_an_int_random_state_gives_identical_fits(learnable):
    X, y = learnable
    a = path(l2s=2, cv=2, epochs=3).fit(X, y)
    b = path(l2s=2, cv=2, epochs=3).fit(X, y)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_custom_scoring_is_used_on_the_held_out_rows(learnable):
    X, y = learnable

    def neg_log_loss(estimator, X_test, y_test):
        return -log_loss(y_test, estimator.predict_proba(X_test), labels=estimator.classes_)

    params = dict(l2s=[1e-2, 1e-4], cv=2, epochs=3)
    by_name = path(**params, scoring="neg_log_loss").fit(X, y)
    by_callable = path(**params, scoring=neg_log_loss).fit(X, y)
    by_accuracy = path(**params).fit(X, y)
    assert np.all(by_name.scores_ < 0)
    np.testing.assert_allclose(by_name.scores_, by_callable.scores_, rtol=1e-6)
    assert np.all((by_accuracy.scores_ > 0.5) & (by_accuracy.scores_ <= 1))


def test_refit_false_chooses_l2_and_keeps_no_network(learnable):
    X, y = learnable
    clf = path(l2s=[1e-2, 1e-4], cv=2, epochs=2, refit=False).fit(X, y)
    assert clf.l2_ in clf.l2s_ and clf.scores_.shape == (2, 2)
    assert not hasattr(clf, "model_") and not hasattr(clf, "history_")
    with pytest.raises(NotFittedError, match="refit=False"):
        clf.predict(X)
    with pytest.raises(NotFittedError, match="refit=False"):
        clf.predict_proba(X)


def test_in_a_pipeline_on_a_dataframe(small_data):
    X, y = small_data
    params = {**TINY, "epochs": 2}
    model = make_pipeline(make_input(), MultimodalClassifierCV(l2s=2, cv=2, **params))
    model.fit(X, y)
    clf = model[-1]
    assert clf.scores_.shape == (2, 2) and clf.l2_ in clf.l2s_
    np.testing.assert_allclose(clf.l2s_, [1e-5, 1e-1])
    assert set(model.predict(X.iloc[:5])) <= set(y)
    assert model.predict_proba(X.iloc[:5]).shape == (5, 2)


def test_clone_and_pickle_round_trip(fitted, learnable):
    clf, _ = fitted
    X, _ = learnable
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "l2_")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.scores_, clf.scores_)
    assert restored.l2_ == clf.l2_


def test_signature_is_the_classifiers_with_l2s_for_l2():
    cv_params = inspect.signature(MultimodalClassifierCV).parameters
    params = inspect.signature(MultimodalClassifier).parameters
    assert list(cv_params)[:5] == ["l2s", "cv", "scoring", "path_epochs", "refit"]
    assert [p for p in params if p != "l2"] == list(cv_params)[5:]
    for name in list(cv_params)[5:]:
        assert cv_params[name].default == params[name].default, name
    doc = MultimodalClassifierCV.__doc__
    assert "    l2s : " in doc and "    l2 : " not in doc and "    epochs : " in doc


def test_l2_is_not_a_parameter(learnable):
    X, y = learnable
    assert "l2" not in MultimodalClassifierCV().get_params()
    with pytest.raises(ValueError, match="Invalid parameter l2 "):
        MultimodalClassifierCV().set_params(l2=0.1)
    with pytest.raises(TypeError, match="no l2 parameter: it chooses λ from l2s"):
        MultimodalClassifierCV(l2=0.1).fit(X, y)
    assert not hasattr(MultimodalClassifierCV(), "partial_fit")


def test_default_l2s_and_path_epochs():
    from skmm.estimators._classifier_cv import _check_l2s

    np.testing.assert_allclose(_check_l2s(5), [1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    np.testing.assert_array_equal(_check_l2s([1.0, 1e-3, 0.0, 1e-3]), [0.0, 1e-3, 1.0])
    assert MultimodalClassifierCV(epochs=10)._path_epochs() == 3
    assert MultimodalClassifierCV(epochs=2)._path_epochs() == 1
    assert MultimodalClassifierCV(epochs=2, path_epochs=5)._path_epochs() == 5


@pytest.mark.parametrize(
    "params, match",
    [
        ({"l2s": 0}, r"'l2s' parameter of MultimodalClassifierCV must be an int in the range"),
        ({"l2s": []}, "l2s must be an int >= 1 or a non-empty sequence of finite floats >= 0"),
        ({"l2s": [1e-3, -1.0]}, "l2s must be .* floats >= 0; got \\[0.001, -1.0\\]"),
        ({"l2s": ["strong"]}, "l2s must be"),
        ({"l2s": [[1e-3]]}, "l2s must be"),
        ({"l2s": [float("nan")]}, "l2s must be"),
        ({"l2s": [1e-3, float("inf")]}, "l2s must be .* finite floats"),
        ({"path_epochs": 0}, r"'path_epochs' parameter .* None or an int .* Got 0 instead"),
        ({"path_epochs": 1.5}, r"'path_epochs' parameter .* None or an int .* Got 1.5 instead"),
        ({"refit": "yes"}, r"'refit' parameter of MultimodalClassifierCV must be"),
        ({"warm_start": True}, "warm_start must be False"),
        ({"cv": "three"}, "three"),
    ],
)
def test_bad_parameters_raise_naming_the_parameter(learnable, params, match):
    X, y = learnable
    with pytest.raises(ValueError, match=match):
        path(**params).fit(X, y)


def test_fit_keyword_epochs_is_refused(learnable):
    X, y = learnable
    with pytest.raises(TypeError, match="set the epochs and path_epochs parameters"):
        path(l2s=1).fit(X, y, epochs=3)


def test_sample_weight_and_early_stopping_work_inside_the_folds(learnable):
    X, y = learnable
    weights = np.ones(len(y))
    weights[:10] = 0  # left out of training
    clf = path(l2s=[1e-2, 1e-4], cv=2, epochs=6, early_stopping=True, n_iter_no_change=2)
    clf.fit(X, y, sample_weight=weights)
    assert "val_loss" in clf.history_ and 1 <= clf.best_iteration_ <= clf.n_iter_
    with pytest.raises(ValueError, match="sample_weight"):
        path(l2s=1).fit(X, y, sample_weight=np.ones(3))


def test_a_failed_fit_leaves_the_fitted_estimator_as_it_was(learnable):
    X, y = learnable
    clf = path(l2s=[1e-4, 1e-2], cv=2, epochs=2).fit(X, y)
    model, l2, scores, proba = clf.model_, clf.l2_, clf.scores_, clf.predict_proba(X)
    clf.set_params(scoring="no_such_scorer")  # fails after the network is built
    with pytest.raises(ValueError, match="no_such_scorer"):
        clf.fit(X, y)
    assert clf.model_ is model and clf.l2_ == l2 and clf.scores_ is scores
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
