"""The ``distribution`` parameter: training under a tf.distribute strategy.

Logical devices must be configured before TensorFlow's runtime starts, so the
fits over two CPU replicas run in a fresh process that sets them up first and
reports what it measured; the parameter's contract (validation, clone,
get_params, pickling and saving) is checked here, in process.
"""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

import skmm
from skmm import MultimodalClassifier, MultimodalClassifierCV, MultimodalRegressor
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[2]

TWO_REPLICAS = r"""
import json, sys
import keras
import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler
import pickle

from skmm import (ImageNormalizer, MultimodalClassifier, MultimodalClassifierCV, MultimodalInput,
                  TextTokenizer)
from skmm.compose import is_lazy
from skmm.datasets import make_multimodal_classification


@keras.saving.register_keras_serializable(package="probe")
def replicas_in_sync(y_true, y_pred):
    # computed inside each replica's training step
    return tf.cast(tf.distribute.get_strategy().num_replicas_in_sync, tf.float32)


@keras.saving.register_keras_serializable(package="probe")
def rows_per_replica(y_true, y_pred):
    return tf.cast(tf.shape(y_pred)[0], tf.float32)


X, y = make_multimodal_classification(
    n_samples=64, image_size=16, image_dir=sys.argv[1], random_state=0
)


def blocks(lazy):
    pre = MultimodalInput([
        ("text", TextTokenizer(max_tokens=200, sequence_length=8), "caption"),
        ("image", ImageNormalizer(size=(16, 16), lazy=lazy), "image"),
        ("tabular", StandardScaler(), ["x0", "x1"]),
    ])
    return pre.fit(X).transform(X)


arrays, lazy = blocks(False), blocks(True)
assert not is_lazy(arrays["image"]) and is_lazy(lazy["image"])
# no dropout, modality dropout or image augmentation: each replica draws its own masks
# and transformations, which a single device does not
params = dict(embedding_dim=8, text_units=8, text_encoder="cnn", image_filters=(8, 16),
              tabular_units=(8,), hidden_units=(16,), dropout=0.0, modality_dropout=0.0,
              image_augmentation=None,
              epochs=1, batch_size=16,
              random_state=0, metrics=[replicas_in_sync, rows_per_replica])


class InitialWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = self.model.get_weights()


def fit(data, **extra):
    return MultimodalClassifier(**{**params, **extra}).fit(data, y)


def largest_difference(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(
        a.model_.get_weights(), b.model_.get_weights(), strict=True))


report = {}
for feed, data in (("arrays", arrays), ("lazy", lazy)):
    initial = InitialWeights()
    one, two = fit(data, callbacks=[initial]), fit(data, distribution="mirrored")
    report[feed] = {
        "replicas": [one.history_["replicas_in_sync"], two.history_["replicas_in_sync"]],
        "rows": [one.history_["rows_per_replica"], two.history_["rows_per_replica"]],
        "strategy_replicas": two.model_.distribute_strategy.num_replicas_in_sync,
        "weights": largest_difference(one, two),
        "proba": float(np.abs(one.predict_proba(arrays) - two.predict_proba(arrays)).max()),
        "loss": [one.history_["loss"], two.history_["loss"]],
        "weights_moved": max(float(np.abs(u - v).max()) for u, v in zip(
            initial.weights, one.model_.get_weights(), strict=True)),
    }
    if feed == "arrays":
        restored = pickle.loads(pickle.dumps(two))
        report["pickled_proba"] = float(
            np.abs(restored.predict_proba(arrays) - two.predict_proba(arrays)).max())

# dropout: the same int random_state gives the same distributed fit
with_dropout = dict(dropout=0.3, modality_dropout=0.2, distribution="mirrored", metrics=None)
first, second = fit(arrays, **with_dropout), fit(arrays, **with_dropout)
report["dropout_repeat"] = float(np.abs(
    first.predict_proba(arrays) - second.predict_proba(arrays)).max())

# a strategy instance, through clone, as a search clones it
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
cloned = clone(MultimodalClassifier(**params, distribution=strategy))
report["clone_is_copy"] = cloned.distribution is not strategy
cloned.fit(arrays, y)
report["instance_replicas"] = cloned.history_["replicas_in_sync"]

# the λ path: one network built in the scope, trained in every fold
path = dict(l2s=[1e-4, 1e-2], cv=2, epochs=2, path_epochs=1, tabular_units=(8,),
            hidden_units=(16,), dropout=0.0, batch_size=16, learning_rate=0.01, random_state=0)
table = arrays["tabular"]  # a plain table: one tabular block
one = MultimodalClassifierCV(**path).fit(table, y)
two = MultimodalClassifierCV(**path, distribution="mirrored").fit(table, y)
report["cv"] = {
    "scores": [one.scores_.tolist(), two.scores_.tolist()],
    "l2": [one.l2_, two.l2_],
    "replicas": two.model_.distribute_strategy.num_replicas_in_sync,
    "weights": largest_difference(one, two),
}
json.dump(report, sys.stdout)
"""


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory):
    """What fits over two logical CPU devices measured, from a fresh process."""
    images = tmp_path_factory.mktemp("images")
    out = subprocess.run(
        [sys.executable, "-c", TWO_REPLICAS, str(images)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("feed", ["arrays", "lazy"])
def test_training_ran_on_two_replicas_with_half_the_batch_each(two_replicas, feed):
    report = two_replicas[feed]
    assert report["strategy_replicas"] == 2
    # measured inside the training steps: one device, then two replicas in sync
    assert report["replicas"] == [[1.0], [2.0]]
    # batch_size=16 is the global batch: each replica trains on 8 of its rows
    assert report["rows"] == [[16.0], [8.0]]


@pytest.mark.parametrize("feed", ["arrays", "lazy"])
def test_one_epoch_on_two_replicas_equals_one_epoch_on_one_device(two_replicas, feed):
    # The mean of the two replicas' gradients (8 rows each) is the gradient of the
    # global batch of 16 rows, so the networks agree up to float32 rounding of the
    # all-reduce, far below what one epoch of training moved the weights.
    report = two_replicas[feed]
    assert report["weights_moved"] > 1e-3
    assert report["weights"] < 1e-6
    assert report["proba"] < 1e-6
    np.testing.assert_allclose(*report["loss"], rtol=1e-6)


def test_a_distributed_fit_pickles_and_repeats_with_dropout(two_replicas):
    assert two_replicas["pickled_proba"] == 0.0
    assert two_replicas["dropout_repeat"] == 0.0


def test_a_cloned_strategy_instance_trains_on_its_devices(two_replicas):
    assert two_replicas["clone_is_copy"]
    assert two_replicas["instance_replicas"] == [2.0]


def test_the_lambda_path_under_a_strategy_scores_as_on_one_device(two_replicas):
    report = two_replicas["cv"]
    assert report["replicas"] == 2
    np.testing.assert_allclose(*report["scores"])
    assert report["l2"][0] == report["l2"][1]
    assert report["weights"] < 1e-5


# -- in process: the parameter's contract ------------------------------------------------

ESTIMATORS = [MultimodalClassifier, MultimodalRegressor, MultimodalClassifierCV]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_the_parameter_is_stored_cloned_and_listed(cls):
    assert cls().distribution is None
    estimator = cls(distribution="mirrored")
    assert estimator.get_params()["distribution"] == "mirrored"
    assert clone(estimator).get_params()["distribution"] == "mirrored"
    assert estimator.set_params(distribution=None).distribution is None


@pytest.mark.parametrize(
    "value",
    ["Mirrored", "mirror", "", 2, object(), ["mirrored"], "tpu"],
    ids=["Mirrored", "mirror", "empty", "int", "object", "list", "tpu"],
)
def test_bad_values_name_the_parameter_and_the_accepted_ones(value):
    X = np.random.RandomState(0).normal(size=(20, 3)).astype("float32")
    y = np.arange(20) % 2
    with pytest.raises(
        ValueError,
        match=r"'distribution' parameter of MultimodalClassifier must be None, 'mirrored' or a tf",
    ):
        MultimodalClassifier(**TINY, distribution=value).fit(X, y)


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype("float32")
    return X, (X[:, 0] > 0).astype(int)


def test_mirrored_on_the_only_device_trains_like_no_strategy(tabular):
    # without logical devices configured, "mirrored" has one replica: the CPU
    X, y = tabular
    params = {**TINY, "dropout": 0.0, "epochs": 2}
    plain = MultimodalClassifier(**params).fit(X, y)
    mirrored = MultimodalClassifier(**params, distribution="mirrored").fit(X, y)
    assert mirrored.model_.distribute_strategy.num_replicas_in_sync == 1
    np.testing.assert_allclose(mirrored.predict_proba(X), plain.predict_proba(X), atol=1e-6)


def test_a_string_pickles_and_saves(tabular, tmp_path):
    X, y = tabular
    fitted = MultimodalRegressor(**TINY, distribution="mirrored").fit(X, y.astype(float))
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.distribution == "mirrored"
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    skmm.save(fitted, tmp_path / "model.skmm")
    loaded = skmm.load(tmp_path / "model.skmm")
    assert loaded.distribution == "mirrored"
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_a_strategy_instance_is_refused_by_pickle_and_save_with_a_clear_error(tabular, tmp_path):
    import tensorflow as tf

    X, y = tabular
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    fitted = MultimodalClassifier(**TINY, distribution=strategy).fit(X, y)
    assert clone(fitted).distribution is not strategy  # clone deep-copies it
    for store in (pickle.dumps, lambda e: skmm.save(e, tmp_path / "model.skmm")):
        with pytest.raises(TypeError, match="distribution=MirroredStrategy instance"):
            store(fitted)
    assert not (tmp_path / "model.skmm").exists()
    # the documented way out keeps the fitted network
    fitted.set_params(distribution=None)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
