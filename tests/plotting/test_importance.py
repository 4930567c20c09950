"""modality_importance and ModalityImportanceDisplay."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import Bunch

from skmm.plotting import ModalityImportanceDisplay, modality_importance
from tests.plotting.conftest import TINY_NET, signal_input


class Recorder(ClassifierMixin, BaseEstimator):
    """Predicts 0 and keeps every X it is scored on."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        self.seen_ = []
        return self

    def predict(self, X):
        self.seen_.append(X)
        n_rows = len(next(iter(X.values()))) if isinstance(X, dict) else len(X)
        return np.zeros(n_rows, dtype=int)


def test_signal_modality_beats_noise_modality(signal_pipeline, test_data):
    X, y, _ = test_data
    result = modality_importance(signal_pipeline, X, y, n_repeats=4, random_state=0)

    # the modalities and their columns come from the fitted MultimodalInput
    assert list(result.modalities) == ["numbers", "text"]
    assert result.columns == [["a", "b"], ["note"]]
    assert result.importances.shape == (2, 4)
    np.testing.assert_allclose(result.importances_mean, result.importances.mean(axis=1))
    np.testing.assert_allclose(result.importances_std, result.importances.std(axis=1))
    assert result.baseline_score == pytest.approx(signal_pipeline.score(X, y))
    # a and b decide the label; the text is noise
    numbers, text = result.importances_mean
    assert numbers > 0.2
    assert numbers > text + 0.15
    assert abs(text) < 0.1


def test_same_seed_same_result(signal_pipeline, test_data):
    X, y, _ = test_data
    first = modality_importance(signal_pipeline, X, y, n_repeats=2, random_state=3)
    second = modality_importance(signal_pipeline, X, y, n_repeats=2, random_state=3)
    np.testing.assert_array_equal(first.importances, second.importances)


def test_one_shared_row_permutation_per_modality(train_data):
    X, y, _ = train_data
    X = X.assign(c=np.arange(len(X), dtype=float))
    recorder = Recorder().fit(X, y)
    modality_importance(
        recorder, X, y, groups={"ab": ["a", "b"], "rest": ["note", "c"]}, n_repeats=3
    )
    baseline, *permuted = recorder.seen_
    pd.testing.assert_frame_equal(baseline, X)
    assert len(permuted) == 6  # 2 modalities x 3 repeats
    for i, frame in enumerate(permuted):
        moved, kept = (["a", "b"], ["note", "c"]) if i < 3 else (["note", "c"], ["a", "b"])
        pd.testing.assert_frame_equal(frame[kept], X[kept])  # the other modality untouched
        assert list(frame.columns) == list(X.columns)
        assert frame.index.equals(X.index)
        rows = [X.index[X[moved[0]] == value][0] for value in frame[moved[0]]]
        # every column of the modality follows the same row permutation
        np.testing.assert_array_equal(frame[moved[1]].to_numpy(), X[moved[1]].to_numpy()[rows])
        assert rows != list(range(len(X)))
        assert frame[moved[0]].dtype == X[moved[0]].dtype


def test_any_estimator_with_explicit_groups(train_data, test_data):
    X, y, _ = train_data
    X_test, y_test, _ = test_data
    model = LogisticRegression().fit(X[["a", "b"]], y)
    result = modality_importance(
        model,
        X_test[["a", "b"]],
        y_test,
        groups={"first": "a", "second": ["b"]},
        scoring="accuracy",
        random_state=0,
    )
    assert result.columns == [["a"], ["b"]]
    assert result.importances_mean[0] > result.importances_mean[1] > 0


def test_arrays_and_dicts(train_data):
    X, y, _ = train_data
    numbers = X[["a", "b"]].to_numpy()
    model = LogisticRegression().fit(numbers, y)
    result = modality_importance(model, numbers, y, groups={"a": [0], "b": [1]}, random_state=0)
    assert result.columns == [[0], [1]]
    assert result.importances_mean[0] > 0.2

    # a dict of arrays: each key is a modality by default
    blocks = {"numbers": numbers, "more": numbers[:, :1]}
    recorder = Recorder().fit(blocks, y)
    result = modality_importance(recorder, blocks, y, n_repeats=1)
    assert list(result.modalities) == ["numbers", "more"]
    np.testing.assert_array_equal(result.importances, 0.0)  # it always predicts 0
    _, first, second = recorder.seen_
    np.testing.assert_array_equal(first["more"], blocks["more"])
    np.testing.assert_array_equal(np.sort(first["numbers"], axis=0), np.sort(numbers, axis=0))
    np.testing.assert_array_equal(second["numbers"], blocks["numbers"])


def test_groups_naming_a_missing_column(train_data):
    X, y, _ = train_data
    model = LogisticRegression().fit(X[["a", "b"]], y)
    with pytest.raises(ValueError, match=r"Modality 'image' names column 'pixels', which X"):
        modality_importance(model, X, y, groups={"numbers": ["a", "b"], "image": ["pixels"]})
    with pytest.raises(ValueError, match=r"columns \(positions\): 0 to 1"):
        modality_importance(model, X[["a", "b"]].to_numpy(), y, groups={"x": [5]})


def test_groups_are_needed_without_multimodal_input(train_data):
    X, y, _ = train_data
    model = LogisticRegression().fit(X[["a", "b"]], y)
    with pytest.raises(ValueError, match=r"groups=None needs a Pipeline whose first step"):
        modality_importance(model, X[["a", "b"]], y)


def test_unfitted_and_bad_arguments(train_data, signal_pipeline):
    from skmm import MultimodalClassifier

    X, y, _ = train_data
    unfitted = make_pipeline(signal_input(), MultimodalClassifier(**TINY_NET))
    with pytest.raises(NotFittedError, match="Pipeline is not fitted yet"):
        modality_importance(unfitted, X, y)
    with pytest.raises(ValueError, match="scoring must name one metric"):
        modality_importance(signal_pipeline, X, y, scoring=["accuracy", "f1"])
    with pytest.raises(ValueError, match="n_repeats must be an int >= 1"):
        modality_importance(signal_pipeline, X, y, n_repeats=0)


def test_display_bars_are_the_sorted_importances():
    result = Bunch(
        modalities=np.array(["text", "image", "tabular", "audio"], dtype=object),
        importances_mean=np.array([0.05, 0.21, -0.01, 0.12]),
        importances_std=np.array([0.01, 0.04, 0.02, 0.03]),
    )
    display = ModalityImportanceDisplay.from_importances(result, score_name="accuracy")
    order = [1, 3, 0, 2]  # by decreasing importance
    np.testing.assert_array_equal(display.order_, order)
    bars = list(display.bars_)
    np.testing.assert_allclose([bar.get_width() for bar in bars], result.importances_mean[order])
    # top to bottom, and labelled
    assert [bar.get_y() for bar in bars] == sorted((bar.get_y() for bar in bars), reverse=True)
    labels = {
        tick.get_text(): y
        for tick, y in zip(display.ax_.get_yticklabels(), display.ax_.get_yticks(), strict=True)
    }
    for bar, index in zip(bars, order, strict=True):
        centre = bar.get_y() + bar.get_height() / 2
        assert labels[result.modalities[index]] == pytest.approx(centre)
    # error bars: mean ± std
    (segments,) = display.bars_.errorbar.lines[2]
    for segment, index in zip(segments.get_segments(), order, strict=True):
        mean, std = result.importances_mean[index], result.importances_std[index]
        np.testing.assert_allclose(sorted(segment[:, 0]), [mean - std, mean + std])
    assert display.ax_.get_xlabel() == "Decrease in accuracy when the modality is permuted"

    unsorted = ModalityImportanceDisplay.from_importances(result, sort=False)
    np.testing.assert_array_equal(unsorted.order_, [0, 1, 2, 3])


def test_display_from_estimator(signal_pipeline, test_data):
    X, y, _ = test_data
    _, ax = plt.subplots()
    display = ModalityImportanceDisplay.from_estimator(
        signal_pipeline, X, y, n_repeats=2, random_state=0, ax=ax
    )
    assert display.ax_ is ax and display.figure_ is ax.figure
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["numbers", "text"]
    assert display.importances.shape == (2, 2)
    assert display.bars_[0].get_width() > display.bars_[1].get_width()
    assert ax.get_xlabel() == "Decrease in score when the modality is permuted"


def test_from_importances_needs_the_bunch():
    with pytest.raises(ValueError, match=r"importances lacks \['importances_std'\]"):
        ModalityImportanceDisplay.from_importances({"modalities": ["a"], "importances_mean": [0.1]})
    with pytest.raises(ValueError, match="same non-zero length"):
        ModalityImportanceDisplay(
            modalities=["a", "b"], importances_mean=[0.1], importances_std=[0.0]
        ).plot()
