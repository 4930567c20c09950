"""Several targets at once: multi-task (one head per task) and multi-label."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV, KFold, check_cv
from sklearn.pipeline import make_pipeline

from skmm import MultimodalClassifier
from skmm.datasets import make_multimodal_classification
from tests.conftest import TINY, make_input


def tiny(**overrides):
    return MultimodalClassifier(
        **{**TINY, "epochs": 20, "learning_rate": 0.01, "tabular_units": (16,), **overrides}
    )


@pytest.fixture(scope="module")
def tasks():
    """Numbers and three tasks: a string binary one, a 3-class int one, a 0/1 one."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(240, 4)).astype("float32")
    y = pd.DataFrame(
        {
            "sign": np.where(X[:, 0] > 0, "pos", "neg"),
            "bucket": np.digitize(X[:, 1], [-0.5, 0.5]),
            "flag": (X[:, 2] > 0).astype(int),
        }
    )
    return X, y


@pytest.fixture(scope="module")
def fitted(tasks):
    X, y = tasks
    return tiny().fit(X[:160], y[:160])


def test_multimodal_auxiliary_tasks_teach_the_encoders_what_the_label_needs():
    # The label is (shape + keyword) % 3: the shape (image) and keyword (caption)
    # tasks are each learnable from one modality and together determine the label.
    data = make_multimodal_classification(
        n_samples=450, n_classes=3, image_size=16, return_X_y=False, random_state=0
    )
    y = pd.DataFrame(
        {"label": data.target, "shape": data.shape_names[data.shape], "keyword": data.keyword}
    )
    train, test = slice(0, 300), slice(300, None)
    # 16x16 synthetic shapes: random flips and shifts blur what tells them apart
    # On 300 rows one seed's figures swing by 0.2: the assertions are on three seeds' mean.
    accuracies, label_only = [], []
    for seed in (0, 1, 2):
        params = {
            **TINY,
            "epochs": 25,
            "learning_rate": 0.01,
            "image_augmentation": None,
            # what the auxiliary tasks teach the shared encoders is measured here, not
            # the balancing of the modalities: the fused head alone trains twice as fast
            "balance": None,
            "random_state": seed,
        }
        multi = make_pipeline(make_input(), MultimodalClassifier(**params))
        multi.fit(data.data[train], y[train])
        accuracies.append((multi.predict(data.data[test]) == y[test].to_numpy()).mean(axis=0))
        single = make_pipeline(make_input(), MultimodalClassifier(**params))
        single.fit(data.data[train], y["label"][train])
        label_only.append(single.score(data.data[test], y["label"][test]))
    accuracy, label_only = np.mean(accuracies, axis=0), np.mean(label_only)
    # chance is about 1/3 for every task; one modality alone gives at most 0.6 on the label
    assert accuracy[1] > 0.6 and accuracy[2] > 0.75, accuracy
    assert accuracy[0] > label_only + 0.08, (accuracy, label_only)


def test_predict_and_predict_proba_follow_scikit_learn_multi_output_conventions(tasks, fitted):
    X, y = tasks
    clf = fitted
    assert clf.target_type_ == "multiclass-multioutput"
    assert clf.task_names_ == ["sign", "bucket", "flag"] and clf.n_outputs_ == 3
    assert [c.tolist() for c in clf.classes_] == [["neg", "pos"], [0, 1, 2], [0, 1]]
    assert clf.n_classes_ == [2, 3, 2]
    pred = clf.predict(X[160:])
    assert pred.shape == (80, 3) and pred.dtype == object  # strings next to ints
    assert set(pred[:, 0]) <= {"neg", "pos"} and set(pred[:, 1]) <= {0, 1, 2}
    proba = clf.predict_proba(X[160:])
    assert [p.shape for p in proba] == [(80, 2), (80, 3), (80, 2)]
    for task, p in enumerate(proba):
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(clf.classes_[task][p.argmax(axis=1)], pred[:, task])
    # each task is learned, from its own column of X
    accuracy = (pred == y[160:].to_numpy()).mean(axis=0)
    assert (accuracy > 0.85).all(), accuracy
    assert clf.predict(X[:1]).shape == (1, 3)


def test_score_is_the_subset_accuracy(tasks, fitted):
    X, y = tasks
    exact = np.all(fitted.predict(X[160:]) == y[160:].to_numpy(), axis=1)
    assert fitted.score(X[160:], y[160:]) == pytest.approx(exact.mean())
    weights = np.linspace(0.1, 1.0, 80)
    assert fitted.score(X[160:], y[160:], sample_weight=weights) == pytest.approx(
        np.average(exact, weights=weights)
    )
    assert 0.5 < exact.mean() < 1.0  # neither trivial nor a constant


def test_one_trunk_and_one_output_layer_per_task(fitted):
    names = [layer.name for layer in fitted.model_.layers]
    assert names.count("head_dense0") == 1
    units = [fitted.model_.get_layer(f"task{t}_output").units for t in range(3)]
    assert units == [1, 3, 1]
    assert fitted.model_.loss.task_units == [1, 3, 1]


def test_a_task_of_weight_zero_is_not_learned(tasks):
    X, y = tasks
    by_name = tiny(task_weights={"flag": 0.0}).fit(X[:160], y[:160])
    by_position = tiny(task_weights=[1.0, 1.0, 0.0]).fit(X[:160], y[:160])
    for clf in (by_name, by_position):
        accuracy = (clf.predict(X[160:]) == y[160:].to_numpy()).mean(axis=0)
        assert accuracy[0] > 0.85 and accuracy[1] > 0.85, accuracy
        assert accuracy[2] < 0.75, accuracy  # near chance: its loss had no weight
    np.testing.assert_array_equal(by_name.predict(X), by_position.predict(X))


def test_multi_label_target_uses_one_sigmoid_layer():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(240, 4)).astype("float32")
    Y = (X[:, :3] > 0).astype(int)
    clf = tiny().fit(X[:160], Y[:160])
    assert clf.target_type_ == "multilabel-indicator"
    output = clf.model_.get_layer("output")
    assert (output.units, output.activation.__name__) == (3, "sigmoid")
    assert not [layer for layer in clf.model_.layers if layer.name.startswith("task")]
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])  # as MLPClassifier
    proba = clf.predict_proba(X[160:])
    assert proba.shape == (80, 3) and ((proba >= 0) & (proba <= 1)).all()
    pred = clf.predict(X[160:])
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert pred.dtype == Y.dtype
    assert ((pred == Y[160:]).mean(axis=0) > 0.85).all()
    assert clf.score(X[160:], Y[160:]) == pytest.approx(np.all(pred == Y[160:], axis=1).mean())
    # scikit-learn's scorers take the (n_samples, n_labels) probabilities
    assert get_scorer("roc_auc")(clf, X[160:], Y[160:]) > 0.95
    # a label that never occurs in the training rows is still a 0/1 label
    Y_rare = Y.copy()
    Y_rare[:, 2] = 0
    assert tiny(epochs=1).fit(X, Y_rare).predict_proba(X[:2]).shape == (2, 3)


def test_multi_task_works_in_grid_search_and_cross_validation(tasks):
    X, y = tasks
    numeric = y.assign(sign=(y["sign"] == "pos").astype(int))
    search = GridSearchCV(tiny(epochs=8), {"l2": [1e-5, 1.0]}, cv=2).fit(X[:120], numeric[:120])
    assert search.best_params_ == {"l2": 1e-5}
    assert search.best_estimator_.predict(X[:4]).shape == (4, 3)
    # scikit-learn stratifies 1-D targets only: a multi-output target gets KFold
    assert type(check_cv(2, numeric, classifier=True)) is KFold


def test_multi_task_clones_pickles_and_early_stops(tasks, fitted):
    X, y = tasks
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    for got, expected in zip(again.predict_proba(X), fitted.predict_proba(X), strict=True):
        np.testing.assert_array_equal(got, expected)
    assert again.task_names_ == fitted.task_names_
    stopped = clone(fitted).set_params(early_stopping=True, n_iter_no_change=2, epochs=50)
    stopped.fit(X, y)
    assert stopped.n_iter_ < 50 and "val_loss" in stopped.history_


def test_partial_fit_takes_the_classes_of_each_task(tasks):
    X, y = tasks
    classes = [np.array(["neg", "pos"]), np.array([0, 1, 2, 3]), np.array([0, 1])]
    clf = tiny()
    clf.partial_fit(X[:40], y[:40], classes=classes)
    clf.partial_fit(X[40:80], y[40:80])
    assert clf.n_classes_ == [2, 4, 2] and clf.n_iter_ == 2
    assert [p.shape[1] for p in clf.predict_proba(X[:3])] == [2, 4, 2]
    bad = y[:5].copy()
    bad.loc[2, "bucket"] = 7
    with pytest.raises(ValueError, match=r"Target column 'bucket': row 2 has label 7"):
        clf.partial_fit(X[:5], bad)


def test_class_weight_balanced_multiplies_the_weights_of_each_task(tasks):
    X, y = tasks
    clf = tiny(epochs=2, class_weight="balanced").fit(X, y)
    assert clf.predict(X[:2]).shape == (2, 3)
    with pytest.raises(ValueError, match="'balanced' or a list of 3 dicts"):
        tiny(epochs=1, class_weight={0: 1.0}).fit(X, y)


@pytest.mark.parametrize(
    "params, target, message",
    [
        (dict(task_weights=[1.0, 2.0]), "tasks", r"task_weights has 2 values, but y has 3"),
        (dict(task_weights={"nope": 1.0}), "tasks", r"unknown tasks \['nope'\]"),
        (dict(task_weights=[1.0, -1.0, 1.0]), "tasks", "finite and >= 0"),
        (dict(task_weights=[1.0, 1.0]), "one column", "y has one"),
        (dict(loss="mse"), "tasks", "loss and metrics must be None"),
        (dict(metrics=["accuracy"]), "tasks", "loss and metrics must be None"),
    ],
)
def test_bad_multi_task_settings_are_refused_clearly(tasks, params, target, message):
    X, y = tasks
    y = y if target == "tasks" else y["flag"]
    with pytest.raises(ValueError, match=message):
        tiny(epochs=1, **params).fit(X, y)


def test_bad_multi_task_targets_name_the_column_and_row(tasks):
    X, y = tasks
    missing = y.copy()
    missing.loc[5, "bucket"] = None
    with pytest.raises(ValueError, match=r"row 5 \(index label 5\), target column 'bucket'"):
        tiny(epochs=1).fit(X, missing)
    constant = y.assign(bucket=1)
    with pytest.raises(ValueError, match=r"Target column 'bucket' has a single class \(1\)"):
        tiny(epochs=1).fit(X, constant)


def test_a_one_column_target_is_a_plain_target(tasks):
    X, y = tasks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = tiny(epochs=1).fit(X, y[["flag"]])
    assert clf.target_type_ == "binary" and clf.predict(X[:3]).shape == (3,)
    assert not hasattr(clf, "task_names_")
