"""Confusion matrices: scikit-learn's display on skmm classifiers, and one panel per task."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
from sklearn.pipeline import make_pipeline

from skmm.plotting import MultiTaskConfusionMatrixDisplay
from tests.plotting.conftest import TINY_NET, numbers_input


def test_sklearn_display_works_with_a_multimodal_pipeline(signal_pipeline, test_data):
    X, y, _ = test_data
    display = ConfusionMatrixDisplay.from_estimator(signal_pipeline, X, y)
    expected = confusion_matrix(y, signal_pipeline.predict(X))
    np.testing.assert_array_equal(display.confusion_matrix, expected)
    cells = [[int(text.get_text()) for text in row] for row in display.text_]
    np.testing.assert_array_equal(cells, expected)
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["0", "1"]

    classifier = signal_pipeline[-1]
    blocks = signal_pipeline[0].transform(X)
    display = ConfusionMatrixDisplay.from_estimator(classifier, blocks, y, normalize="true")
    np.testing.assert_allclose(display.confusion_matrix.sum(axis=1), 1.0)


def test_one_panel_per_task(multi_task_pipeline, test_data):
    X, _, tasks = test_data
    classifier = multi_task_pipeline[-1]
    display = MultiTaskConfusionMatrixDisplay.from_estimator(multi_task_pipeline, X, tasks)

    assert classifier.task_names_ == ["sign", "band"]
    assert [ax.get_title() for ax in display.ax_] == ["sign", "band"]
    assert display.ax_.shape == (2,)
    assert display.figure_ is display.ax_[0].figure
    predicted = multi_task_pipeline.predict(X)
    for t, name in enumerate(classifier.task_names_):
        sub = display.displays_[t]
        assert isinstance(sub, ConfusionMatrixDisplay) and sub.ax_ is display.ax_[t]
        expected = confusion_matrix(
            tasks[name].tolist(), predicted[:, t].tolist(), labels=classifier.classes_[t]
        )
        np.testing.assert_array_equal(sub.confusion_matrix, expected)
        cells = [[int(text.get_text()) for text in row] for row in sub.text_]
        np.testing.assert_array_equal(cells, expected)
        ticks = [tick.get_text() for tick in display.ax_[t].get_xticklabels()]
        assert ticks == [str(c) for c in classifier.classes_[t]]
    assert display.displays_[1].confusion_matrix.shape == (3, 3)  # band: 0, 1, 2


def test_from_predictions_arrays_and_given_axes():
    y_true = np.array([[0, 1], [1, 1], [1, 0], [0, 0], [1, 1]])
    y_pred = np.array([[0, 1], [0, 1], [1, 0], [0, 1], [1, 1]])
    _, axes = plt.subplots(2, 1)
    display = MultiTaskConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, ax=axes, colorbar=False, values_format="d"
    )
    assert list(display.ax_) == list(axes)
    assert [ax.get_title() for ax in axes] == ["task0", "task1"]
    for t in range(2):
        np.testing.assert_array_equal(
            display.displays_[t].confusion_matrix, confusion_matrix(y_true[:, t], y_pred[:, t])
        )


def test_many_tasks_wrap_into_rows():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, size=(20, 4))
    display = MultiTaskConfusionMatrixDisplay.from_predictions(
        y, y[::-1], task_names=["a", "b", "c", "d"], n_cols=3, colorbar=False
    )
    assert [ax.get_title() for ax in display.ax_] == ["a", "b", "c", "d"]
    visible = [ax for ax in display.figure_.axes if ax.get_visible()]
    assert len(visible) == 4 and len(display.figure_.axes) == 6  # a 2 x 3 grid


def test_errors(multi_task_pipeline, test_data):
    from skmm import MultimodalClassifier

    X, y, tasks = test_data
    with pytest.raises(ValueError, match="use sklearn.metrics.ConfusionMatrixDisplay"):
        MultiTaskConfusionMatrixDisplay.from_predictions(y, y)
    with pytest.raises(ValueError, match=r"task_names must name the 2 tasks"):
        MultiTaskConfusionMatrixDisplay.from_estimator(
            multi_task_pipeline, X, tasks, task_names=["sign"]
        )
    with pytest.raises(ValueError, match=r"y_true has 2 task columns but y_pred has 3"):
        MultiTaskConfusionMatrixDisplay.from_predictions(np.zeros((3, 2)), np.zeros((3, 3)))
    _, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match=r"one Axes per task \(2\); got 3"):
        MultiTaskConfusionMatrixDisplay.from_estimator(multi_task_pipeline, X, tasks, ax=axes)
    unfitted = make_pipeline(numbers_input(), MultimodalClassifier(**TINY_NET))
    with pytest.raises(NotFittedError, match="Pipeline is not fitted yet"):
        MultiTaskConfusionMatrixDisplay.from_estimator(unfitted, X, tasks)


def test_multi_label_panels_are_two_by_two(train_data):
    from skmm import MultimodalClassifier

    X, _, _ = train_data
    numbers = X[["a", "b"]].to_numpy(np.float32)
    labels = np.column_stack([numbers[:, 0] > 0, numbers[:, 1] > 2.5]).astype(int)
    labels[0, 1] = 1  # a rare label
    classifier = MultimodalClassifier(epochs=2, **TINY_NET).fit(numbers, labels)
    display = MultiTaskConfusionMatrixDisplay.from_estimator(classifier, numbers, labels)
    assert [ax.get_title() for ax in display.ax_] == ["task0", "task1"]
    predicted = classifier.predict(numbers)
    for t in range(2):
        np.testing.assert_array_equal(
            display.displays_[t].confusion_matrix,
            confusion_matrix(labels[:, t], predicted[:, t], labels=[0, 1]),
        )
