import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from skmm import MultimodalClassifier
from tests.conftest import TINY, make_input


@pytest.fixture(scope="module")
def numeric():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 4)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def tiny(**overrides):
    return MultimodalClassifier(**{**TINY, **overrides})


def test_is_a_classifier_with_correct_tags():
    clf = MultimodalClassifier()
    assert is_classifier(clf)
    tags = get_tags(clf)
    assert tags.estimator_type == "classifier"
    assert tags.classifier_tags is not None and tags.target_tags.required
    # cross-validation stratifies because the estimator is a classifier
    y = np.array([0, 1] * 10)
    assert isinstance(check_cv(3, y, classifier=is_classifier(clf)), StratifiedKFold)


def test_init_stores_params_and_repr_shows_changes():
    clf = MultimodalClassifier(l2=0.1, optimizer__momentum=0.9)
    assert clf.get_params()["l2"] == 0.1
    assert clf.get_params()["optimizer__momentum"] == 0.9
    assert clone(clf).get_params()["optimizer__momentum"] == 0.9
    assert repr(clf) == "MultimodalClassifier(l2=0.1, optimizer__momentum=0.9)"


def test_unknown_and_invalid_params_are_refused(numeric):
    X, y = numeric
    with pytest.raises(TypeError, match="l3"):
        MultimodalClassifier(l3=0.1).fit(X, y)
    with pytest.raises(ValueError, match="l2"):
        MultimodalClassifier(l2=-1).fit(X, y)
    with pytest.raises(ValueError, match="dropout"):
        MultimodalClassifier(dropout=1.5).fit(X, y)


def test_numeric_table_fit_predict(numeric):
    X, y = numeric
    clf = tiny(epochs=30, early_stopping=False).fit(X, y)
    assert clf.score(X, y) > 0.85
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.n_features_in_ == 4 and list(clf.block_specs_) == ["tabular"]
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


def test_string_labels_and_multiclass(numeric):
    X, _ = numeric
    labels = np.array(["cat", "dog", "eel"])[(X[:, 0] > 0.3).astype(int) + (X[:, 1] > 0.3)]
    clf = tiny(epochs=30, learning_rate=0.01).fit(X, labels)
    assert list(clf.classes_) == ["cat", "dog", "eel"]
    assert set(clf.predict(X)) <= {"cat", "dog", "eel"}
    assert clf.predict_proba(X).shape == (120, 3)
    assert clf.model_.output_shape == (None, 3)
    assert clf.score(X, labels) > 0.8


def test_dict_of_arrays_input(numeric):
    X, y = numeric
    rng = np.random.RandomState(1)
    blocks = {
        "words": rng.randint(0, 30, size=(120, 5)),
        "pictures": rng.rand(120, 8, 8, 1).astype("float32"),
        "numbers": X,
    }
    # 40 epochs: under balance="ensemble" each encoder learns from its own head alone,
    # so the one informative block (numbers) needs more than 20 to fit 108 rows
    clf = tiny(epochs=40).fit(blocks, y)
    assert {s.kind for s in clf.block_specs_.values()} == {"text", "image", "tabular"}
    assert clf.block_specs_["words"].vocabulary_size == 30
    assert clf.score(blocks, y) > 0.8
    with pytest.raises(ValueError, match=r"missing \['pictures'\]"):
        clf.predict({"words": blocks["words"], "numbers": X})
    bad = dict(blocks, words=np.full((120, 5), 99))
    with pytest.raises(ValueError, match=r"Block 'words': row 0 holds token ids outside"):
        clf.predict(bad)
    with pytest.raises(ValueError, match="plain table"):
        clf.predict(X)


def test_bad_targets_are_refused(numeric):
    X, y = numeric
    with pytest.raises(ValueError, match="single class"):
        tiny().fit(X, np.zeros(120, dtype=int))
    with pytest.raises(ValueError, match="'continuous'.*use MultimodalRegressor"):
        tiny().fit(X, X[:, 0] + 0.5)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        tiny().fit(X, y[:-1])
    with pytest.raises(NotFittedError):
        MultimodalClassifier().predict(X)


def test_nan_input_is_refused(numeric):
    X, y = numeric
    X = X.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tiny().fit(X, y)


def test_same_int_seed_gives_identical_models(numeric):
    X, y = numeric
    a = tiny().fit(X, y).predict_proba(X)
    b = tiny().fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_unseeded_fit_after_seeded_fit_works_and_leaves_globals_alone(numeric):
    X, y = numeric
    np.random.seed(123)
    expected_next = np.random.rand()
    np.random.seed(123)
    seeded = tiny().fit(X, y).predict_proba(X)
    assert np.random.rand() == expected_next  # NumPy's global stream is restored
    unseeded = [tiny(random_state=None).fit(X, y).predict_proba(X) for _ in range(2)]
    assert not np.allclose(unseeded[0], unseeded[1])
    assert not np.allclose(seeded, unseeded[0])


def test_random_states_give_different_models(numeric):
    X, y = numeric
    p1 = tiny(random_state=np.random.RandomState(1)).fit(X, y).predict_proba(X)
    p2 = tiny(random_state=np.random.RandomState(2)).fit(X, y).predict_proba(X)
    p1_again = tiny(random_state=np.random.RandomState(1)).fit(X, y).predict_proba(X)
    assert not np.allclose(p1, p2)
    np.testing.assert_array_equal(p1, p1_again)


SCRIPT = """
import numpy as np
from skmm import MultimodalClassifier
rng = np.random.RandomState(0)
X = rng.normal(size=(80, 3)).astype("float32")
y = (X[:, 0] > 0).astype(int)
clf = MultimodalClassifier(epochs=2, hidden_units=(8,), tabular_units=(8,), random_state=7)
print(repr(clf.fit(X, y).predict_proba(X).tobytes().hex()))
"""


def test_same_seed_identical_across_processes():
    runs = [
        subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout.strip() and runs[0].stdout == runs[1].stdout


def test_class_weight_and_sample_weight(numeric):
    X, y = numeric
    fast = dict(epochs=10, learning_rate=0.01)
    plain = tiny(**fast).fit(X, y).predict_proba(X)[:, 1].mean()
    weighted = tiny(class_weight={0: 1.0, 1: 20.0}, **fast).fit(X, y).predict_proba(X)[:, 1].mean()
    assert weighted > plain + 0.05
    sw = np.ones(len(y))
    sw_before = sw.copy()
    tiny(class_weight="balanced").fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, sw_before)  # the caller's array is not modified
    # zero-weight rows are left out: same model as fitting without them
    sw = np.r_[np.ones(100), np.zeros(20)]
    a = tiny(shuffle=False).fit(X, y, sample_weight=sw).predict_proba(X)
    b = tiny(shuffle=False).fit(X[:100], y[:100]).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="zero"):
        tiny().fit(X, y, sample_weight=np.zeros(120))


def test_multimodal_pipeline_learns_and_pickles(fitted_pipeline, small_data):
    X, y = small_data
    clf = fitted_pipeline[-1]
    assert {s.kind for s in clf.block_specs_.values()} == {"text", "image", "tabular"}
    proba = fitted_pipeline.predict_proba(X)
    again = pickle.loads(pickle.dumps(fitted_pipeline))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    np.testing.assert_array_equal(again.predict(X), fitted_pipeline.predict(X))


def test_predict_checks_blocks_against_fit(fitted_pipeline, small_data):
    X, _ = small_data
    pre, clf = fitted_pipeline[0], fitted_pipeline[-1]
    blocks = pre.transform(X.iloc[:5])
    other = make_input(sequence_length=7).fit(X)
    with pytest.raises(ValueError, match=r"Block 'text'.*\(7,\).*\(12,\)"):
        clf.predict(other.transform(X.iloc[:5]))
    assert clf.predict(blocks).shape == (5,)


def test_sklearn_meta_estimators_on_multimodal_pipeline(small_data):
    X, y = small_data
    model = make_pipeline(make_input(), tiny(epochs=2))
    calibrated = CalibratedClassifierCV(model, cv=2).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(X), 2)
    numeric_only = make_pipeline(
        ColumnTransformer([("numbers", "passthrough", ["x0", "x1"])]), LogisticRegression()
    )
    voting = VotingClassifier([("nn", model), ("lr", numeric_only)], voting="soft").fit(X, y)
    assert voting.predict_proba(X).shape == (len(X), 2)


def test_grid_search_rejects_absurd_l2(small_data):
    X, y = small_data
    model = make_pipeline(make_input(), tiny(epochs=8))
    grid = {"multimodalclassifier__l2": [1e-5, 10.0]}
    search = GridSearchCV(model, grid, cv=2, refit=False).fit(X, y)  # the scores are the point
    assert search.best_params_["multimodalclassifier__l2"] == 1e-5
    scores = pd.Series(search.cv_results_["mean_test_score"])
    assert scores[0] > scores[1]


def test_predict_traces_once_for_any_batch_size(fitted_pipeline, small_data):
    X, _ = small_data
    pre, clf = fitted_pipeline[0], fitted_pipeline[-1]
    blocks = pre.transform(X)
    reference = clf.predict_proba(blocks)
    rng = np.random.RandomState(0)
    for size in rng.randint(1, len(X), size=100):
        rows = np.arange(size)
        np.testing.assert_allclose(
            clf.predict_proba(blocks.take(rows)), reference[rows], rtol=1e-5, atol=1e-6
        )
    assert clf._predict_function.trace_count == 1


def test_verbose_shows_keras_progress(numeric, capsys):
    X, y = numeric
    tiny(epochs=1).fit(X, y)
    assert "loss" not in capsys.readouterr().out
    tiny(epochs=1, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "step" in out and "loss" in out


def test_missing_labels_name_the_row(numeric):
    X, y = numeric
    labels = pd.Series(y.astype(float), index=[f"r{i}" for i in range(len(y))])
    labels.iloc[7] = np.nan
    with pytest.raises(ValueError, match=r"missing labels .*row 7 \(index label 'r7'\)"):
        tiny().fit(X, labels)
    strings = np.array(["a", "b"] * 60, dtype=object)
    strings[3] = None
    with pytest.raises(ValueError, match="row 3"):
        tiny().fit(X, strings)
