"""TrainingHistoryDisplay: the curves are the recorded history, the best epoch is marked."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skmm.plotting import TrainingHistoryDisplay
from tests.plotting.conftest import TINY_NET, signal_input

HISTORY = {
    "loss": [0.9, 0.6, 0.5, 0.45],
    "accuracy": [0.6, 0.7, 0.8, 0.85],
    "val_loss": [0.8, 0.6, 0.55, 0.58],
    "val_accuracy": [0.6, 0.7, 0.75, 0.7],
}


def test_from_estimator_draws_history_of_the_pipeline(signal_pipeline):
    classifier = signal_pipeline[-1]
    history = classifier.history_
    display = TrainingHistoryDisplay.from_estimator(signal_pipeline)

    assert display.metrics_ == ["loss", "accuracy"]  # the loss first
    assert set(display.lines_) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    epochs = np.arange(1, classifier.n_iter_ + 1)
    for key, line in display.lines_.items():
        np.testing.assert_array_equal(line.get_xdata(), epochs)
        np.testing.assert_allclose(line.get_ydata(), history[key])
    # one panel per metric, each with its train and validation curve
    assert display.ax_.shape == (2,)
    for ax, metric in zip(display.ax_, display.metrics_, strict=True):
        assert ax.get_ylabel() == metric.capitalize()
        assert ax.get_xlabel() == "Epoch"
        assert {line.get_label() for line in ax.get_lines()} >= {"train", "validation"}
        assert display.lines_[metric] in ax.get_lines()
        assert display.lines_["val_" + metric] in ax.get_lines()
    assert display.figure_ is display.ax_[0].figure
    # early stopping kept the weights of best_iteration_: marked on every panel
    best = classifier.best_iteration_
    assert len(display.best_epoch_lines_) == 2
    for marker in display.best_epoch_lines_:
        assert list(marker.get_xdata()) == [best, best]
        assert marker.get_label() == f"best epoch ({best})"


def test_choosing_metrics(signal_pipeline):
    history = signal_pipeline[-1].history_
    display = TrainingHistoryDisplay.from_estimator(signal_pipeline, metrics="accuracy")
    assert display.metrics_ == ["accuracy"]
    assert set(display.lines_) == {"accuracy", "val_accuracy"}
    np.testing.assert_allclose(display.lines_["val_accuracy"].get_ydata(), history["val_accuracy"])

    train_only = TrainingHistoryDisplay.from_estimator(
        signal_pipeline, metrics=["loss"], include_validation=False
    )
    assert set(train_only.lines_) == {"loss"}


def test_from_history_on_given_axes():
    _, ax = plt.subplots()
    display = TrainingHistoryDisplay.from_history(HISTORY, ax=ax, name="run 1")
    # one Axes for every metric: everything on it, labels say which curve is which
    assert display.ax_.shape == (1,) and display.ax_[0] is ax
    labels = {line.get_label() for line in ax.get_lines()}
    assert labels == {
        "run 1: loss (train)",
        "run 1: loss (validation)",
        "run 1: accuracy (train)",
        "run 1: accuracy (validation)",
    }
    assert display.best_epoch_lines_ is None

    _, axes = plt.subplots(1, 2)
    display = TrainingHistoryDisplay.from_history(HISTORY, ax=axes, best_epoch=3)
    assert list(display.ax_) == list(axes)
    np.testing.assert_allclose(display.lines_["accuracy"].get_ydata(), HISTORY["accuracy"])
    assert display.lines_["accuracy"] in axes[1].get_lines()


def test_from_history_takes_a_keras_history_object():
    class History:  # what keras.callbacks.History exposes
        history = {"loss": [1.0, 0.5, 0.25]}

    display = TrainingHistoryDisplay.from_history(History())
    np.testing.assert_allclose(display.lines_["loss"].get_ydata(), [1.0, 0.5, 0.25])


def test_plot_again_on_new_axes():
    display = TrainingHistoryDisplay(HISTORY, best_epoch=2)
    first = display.plot().figure_
    second = display.plot(metrics="loss").figure_
    assert first is not second
    assert display.ax_.shape == (1,)


def test_unknown_metric_lists_the_recorded_ones():
    with pytest.raises(ValueError, match=r"Unknown metric 'f1'.*\['loss', 'accuracy'\]"):
        TrainingHistoryDisplay.from_history(HISTORY, metrics=["loss", "f1"])
    with pytest.raises(ValueError, match=r"Name the training metric \('loss'\)"):
        TrainingHistoryDisplay.from_history(HISTORY, metrics="val_loss")


def test_unfitted_estimators_are_refused():
    from skmm import MultimodalClassifier

    with pytest.raises(NotFittedError, match="MultimodalClassifier is not fitted yet"):
        TrainingHistoryDisplay.from_estimator(MultimodalClassifier())
    pipeline = make_pipeline(signal_input(), MultimodalClassifier(**TINY_NET))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TrainingHistoryDisplay.from_estimator(pipeline)


def test_estimator_without_history_is_refused(train_data):
    X, y, _ = train_data
    model = LogisticRegression().fit(X[["a", "b"]], y)
    with pytest.raises(TypeError, match="LogisticRegression records no training history"):
        TrainingHistoryDisplay.from_estimator(model)


def test_cv_estimator_without_refit_points_to_its_path(train_data):
    from skmm import MultimodalClassifierCV

    X, y, _ = train_data
    clf = MultimodalClassifierCV(l2s=[1e-4], cv=2, epochs=1, refit=False, **TINY_NET)
    clf.fit(X[["a", "b"]].to_numpy(np.float32), y)
    with pytest.raises(ValueError, match="refit=False.*from_cv_results"):
        TrainingHistoryDisplay.from_estimator(clf)


@pytest.mark.parametrize(
    "history, kwargs, error, match",
    [
        ({"loss": [1.0, 0.5], "val_loss": [1.0]}, {}, ValueError, "one value per epoch"),
        ({}, {}, ValueError, "history is empty"),
        ([0.5, 0.4], {}, TypeError, "history must be a dict"),
        ({"loss": [1.0, 0.5]}, {"best_epoch": 3}, ValueError, r"between 1 .* \(2\); got 3"),
        ({"loss": [1.0, 0.5]}, {"best_epoch": 1.0}, TypeError, "best_epoch must be an int"),
        ({"loss": ["high", "low"]}, {}, ValueError, r"history\['loss'\] must be a list"),
    ],
)
def test_bad_histories(history, kwargs, error, match):
    with pytest.raises(error, match=match):
        TrainingHistoryDisplay.from_history(history, **kwargs)


def test_wrong_number_of_axes():
    _, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match=r"one Axes per metric \(2\); got 3"):
        TrainingHistoryDisplay.from_history(HISTORY, ax=axes)
