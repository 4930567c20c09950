"""L2ValidationCurveDisplay: computed with validation_curve, or read from cv_results_."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm.plotting import L2ValidationCurveDisplay
from tests.plotting.conftest import TINY_NET, numbers_input


class RidgeL2(RegressorMixin, BaseEstimator):
    """Ridge regression whose penalty is called ``l2``: an instant stand-in network."""

    def __init__(self, l2=1.0):
        self.l2 = l2

    def fit(self, X, y):
        self.ridge_ = Ridge(alpha=self.l2).fit(X, y)
        return self

    def predict(self, X):
        return self.ridge_.predict(X)


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 8))
    y = X[:, 0] + 0.5 * rng.normal(size=40)
    return X, y


def _means(display):
    return [line.get_ydata() for line in display.lines_]


def test_from_estimator_equals_validation_curve(regression_data):
    X, y = regression_data
    model = make_pipeline(StandardScaler(), RidgeL2())
    l2s = [100.0, 1e-2, 1.0, 1e4]  # given unsorted: plotted in increasing order
    cv = KFold(4, shuffle=True, random_state=0)
    display = L2ValidationCurveDisplay.from_estimator(model, X, y, l2s=l2s, cv=cv)

    assert display.param_name == "ridgel2__l2"
    np.testing.assert_array_equal(display.l2s, sorted(l2s))
    train, test = validation_curve(
        model, X, y, param_name="ridgel2__l2", param_range=sorted(l2s), cv=cv
    )
    np.testing.assert_allclose(display.test_scores, test)
    np.testing.assert_allclose(display.train_scores, train)
    train_line, test_line = display.lines_
    assert (train_line.get_label(), test_line.get_label()) == ("Train", "Test")
    for line in display.lines_:
        np.testing.assert_array_equal(line.get_xdata(), sorted(l2s))
    np.testing.assert_allclose(train_line.get_ydata(), train.mean(axis=1))
    np.testing.assert_allclose(test_line.get_ydata(), test.mean(axis=1))
    # ± one standard deviation around the test mean
    band = display.fill_between_[1].get_paths()[0].vertices[:, 1]
    np.testing.assert_allclose(band.min(), (test.mean(axis=1) - test.std(axis=1)).min())
    np.testing.assert_allclose(band.max(), (test.mean(axis=1) + test.std(axis=1)).max())
    # the chosen λ: best mean test score
    best = sorted(l2s)[int(np.argmax(test.mean(axis=1)))]
    assert display.best_l2 == best
    assert list(display.best_l2_line_.get_xdata()) == [best, best]
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_xlabel() == "λ (ridgel2__l2)"
    assert display.ax_.get_ylabel() == "Score"


def test_from_estimator_options(regression_data):
    X, y = regression_data
    display = L2ValidationCurveDisplay.from_estimator(
        RidgeL2(),
        X,
        y,
        l2s=3,
        cv=2,
        scoring="neg_mean_squared_error",
        negate_score=True,
        std_display_style="errorbar",
        score_type="test",
    )
    # an int: log-spaced from 1e-5 to 1e-1, as MultimodalClassifierCV
    np.testing.assert_allclose(display.l2s, [1e-5, 1e-3, 1e-1])
    assert display.param_name == "l2"
    assert display.lines_ is None and display.fill_between_ is None
    (errorbar,) = display.errorbar_
    np.testing.assert_allclose(errorbar.lines[0].get_ydata(), -display.test_scores.mean(axis=1))
    assert display.ax_.get_ylabel() == "Mean squared error"


def test_from_estimator_finds_l2_in_a_multimodal_pipeline(train_data):
    from skmm import MultimodalClassifier

    X, y, _ = train_data
    model = make_pipeline(numbers_input(), MultimodalClassifier(epochs=2, **TINY_NET))
    display = L2ValidationCurveDisplay.from_estimator(
        model, X, y, l2s=[1e-4, 1.0], cv=2, scoring="accuracy"
    )
    assert display.param_name == "multimodalclassifier__l2"
    assert display.test_scores.shape == display.train_scores.shape == (2, 2)
    assert np.all((display.test_scores >= 0) & (display.test_scores <= 1))
    np.testing.assert_array_equal(display.lines_[1].get_xdata(), [1e-4, 1.0])
    np.testing.assert_allclose(display.lines_[1].get_ydata(), display.test_scores.mean(axis=1))
    assert display.ax_.get_ylabel() == "Accuracy"


def test_from_cv_results_plots_the_path_without_refitting(l2_path_pipeline):
    classifier = l2_path_pipeline[-1]
    results = classifier.cv_results_
    history_before = dict(classifier.history_)
    display = L2ValidationCurveDisplay.from_cv_results(l2_path_pipeline)

    assert dict(classifier.history_) == history_before  # nothing was trained
    (line,) = display.lines_  # held-out scores only: no training curve
    assert line.get_label() == "Test"
    np.testing.assert_array_equal(line.get_xdata(), classifier.l2s_)
    np.testing.assert_allclose(line.get_ydata(), results["mean_test_score"])
    np.testing.assert_allclose(display.test_scores, classifier.scores_.T)
    band = display.fill_between_[0].get_paths()[0].vertices[:, 1]
    mean, std = results["mean_test_score"], results["std_test_score"]
    np.testing.assert_allclose([band.min(), band.max()], [(mean - std).min(), (mean + std).max()])
    assert display.best_l2 == classifier.l2_
    assert list(display.best_l2_line_.get_xdata()) == [classifier.l2_] * 2
    assert display.best_l2_line_.get_label() == f"chosen λ = {classifier.l2_:g}"
    assert display.param_name == "l2"
    assert display.ax_.get_xscale() == "log"


def test_from_cv_results_of_a_grid_search(regression_data):
    X, y = regression_data
    grid = [1e-2, 1.0, 100.0]
    search = GridSearchCV(
        make_pipeline(StandardScaler(), RidgeL2()),
        {"ridgel2__l2": grid},
        cv=3,
        return_train_score=True,
    ).fit(X, y)
    _, ax = plt.subplots()
    display = L2ValidationCurveDisplay.from_cv_results(search, ax=ax)
    assert display.ax_ is ax
    train_line, test_line = display.lines_
    np.testing.assert_allclose(test_line.get_ydata(), search.cv_results_["mean_test_score"])
    np.testing.assert_allclose(train_line.get_ydata(), search.cv_results_["mean_train_score"])
    assert display.best_l2 == search.best_params_["ridgel2__l2"]


def test_lambda_zero_uses_a_symlog_axis():
    display = L2ValidationCurveDisplay(
        l2s=[0.0, 1e-3, 1e-1], test_scores=[[0.7], [0.8], [0.6]]
    ).plot()
    assert display.ax_.get_xscale() == "symlog"
    assert display.best_l2_line_ is None


def test_estimator_without_l2_is_refused(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="LogisticRegression has no l2 parameter"):
        L2ValidationCurveDisplay.from_estimator(LogisticRegression(), X, y > 0, l2s=[1.0])
    with pytest.raises(ValueError, match="has no parameter 'alpha'"):
        L2ValidationCurveDisplay.from_estimator(RidgeL2(), X, y, l2s=[1.0], param_name="alpha")


def test_cv_estimator_is_pointed_to_from_cv_results(regression_data):
    from skmm import MultimodalClassifierCV

    X, y = regression_data
    with pytest.raises(ValueError, match="chooses λ itself.*from_cv_results"):
        L2ValidationCurveDisplay.from_estimator(MultimodalClassifierCV(), X, y > 0, l2s=[1.0])


def test_from_cv_results_errors(regression_data, signal_pipeline):
    from skmm import MultimodalClassifierCV

    X, y = regression_data
    with pytest.raises(NotFittedError, match="MultimodalClassifierCV is not fitted yet"):
        L2ValidationCurveDisplay.from_cv_results(MultimodalClassifierCV())
    with pytest.raises(TypeError, match="MultimodalClassifier has no cv_results_"):
        L2ValidationCurveDisplay.from_cv_results(signal_pipeline)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), RidgeL2()),
        {"ridgel2__l2": [0.1, 1.0], "standardscaler__with_mean": [True, False]},
        cv=2,
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"varied \['standardscaler__with_mean'\]"):
        L2ValidationCurveDisplay.from_cv_results(search)


def test_bad_values():
    for l2s in ([-1], [1e-3, np.inf], 0):
        # the candidates MultimodalClassifierCV(l2s=...) would try, refused as it does
        with pytest.raises(ValueError, match="l2s must be an int >= 1 or a non-empty sequence"):
            L2ValidationCurveDisplay.from_estimator(
                RidgeL2(), np.ones((4, 1)), [1, 2, 3, 4], l2s=l2s
            )
    with pytest.raises(ValueError, match=r"shape \(n_l2s, n_folds\) = \(2, n_folds\)"):
        L2ValidationCurveDisplay(l2s=[1e-3, 1e-2], test_scores=[[0.5], [0.6], [0.7]]).plot()
    with pytest.raises(ValueError, match="score_type='train' needs training scores"):
        L2ValidationCurveDisplay(l2s=[1e-3], test_scores=[[0.5]]).plot(score_type="train")
    with pytest.raises(ValueError, match="std_display_style must be"):
        L2ValidationCurveDisplay(l2s=[1e-3], test_scores=[[0.5]]).plot(std_display_style="band")
