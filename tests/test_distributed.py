"""Cross-validated grid searches on Dask and Ray clusters, through joblib.

Each backend gets a real local cluster (two single-CPU worker processes on
127.0.0.1, started once for the module) and must give exactly the scores and
the best λ of the sequential search; a task run on the workers reports how
TensorFlow's thread pools were sized there.

The size of TensorFlow's pools changes the order of float sums, and training
amplifies the rounding, so the sequential search runs in a fresh process whose
pools have the workers' size (one thread): then every fit is bit for bit the
same, whichever engine runs it.
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
from skmm.datasets import make_multimodal_classification

ROOT = Path(__file__).resolve().parents[1]
GRID = {"multimodalclassifier__l2": [1e-4, 1e-1]}
#: log loss, not accuracy: a continuous score shows that every fit is the same
SCORING = "neg_log_loss"


def model():
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=200, sequence_length=8), "caption"),
            ("image", ImageNormalizer(size=(16, 16)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    clf = MultimodalClassifier(
        embedding_dim=8,
        text_units=8,
        text_encoder="cnn",
        image_width_multiplier=0.125,
        tabular_units=(8,),
        hidden_units=(8,),
        epochs=2,
        batch_size=16,
        learning_rate=3e-3,
        # the fused head alone: what runs where is measured here, and a balanced
        # network's extra heads would only make every fit slower
        balance=None,
        random_state=0,
    )
    return make_pipeline(pre, clf)


def tensorflow_threads():
    """Run on a worker: its OMP_NUM_THREADS and TensorFlow's pool sizes there."""
    import tensorflow as tf

    import skmm.estimators  # noqa: F401  (sizes the pools on first import)

    threading = tf.config.threading
    return {
        "pid": os.getpid(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "intra_op": threading.get_intra_op_parallelism_threads(),
        "inter_op": threading.get_inter_op_parallelism_threads(),
    }


def searched(n_jobs):
    """The search's fold scores and where TensorFlow ran, as plain data."""
    X, y = make_multimodal_classification(n_samples=64, image_size=16, random_state=0)
    search = GridSearchCV(model(), GRID, cv=2, scoring=SCORING, refit=False, n_jobs=n_jobs)
    search.fit(X, y)
    threads = joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(tensorflow_threads)() for _ in range(2))
    keys = ("mean_test_score", "split0_test_score", "split1_test_score")
    return {
        "cv_results": {key: search.cv_results_[key].tolist() for key in keys},
        "best_params": search.best_params_,
        "threads": threads,
    }


def run_on(backend):
    with joblib.parallel_backend(backend):
        return searched(n_jobs=2)


SEQUENTIAL = """
import json
from tests.test_distributed import searched
print(json.dumps(searched(n_jobs=1)))
"""


@pytest.fixture(scope="module")
def sequential():
    """The same search with n_jobs=1, in a process with one thread
    per TensorFlow pool, as every worker has (floats survive JSON exactly)."""
    out = subprocess.run(
        [sys.executable, "-c", SEQUENTIAL],
        cwd=ROOT,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert [(t["intra_op"], t["inter_op"]) for t in result["threads"]] == [(1, 1), (1, 1)]
    return result


@pytest.fixture(scope="module")
def on_dask():
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed is not installed (pip install 'skmm[distributed]')"
    )
    import dask

    # The nanny exports these (OMP_NUM_THREADS=1, ...) to its workers by writing them
    # into the environment of the process that starts it: put this one's back after.
    exported = dask.config.get("distributed.nanny.pre-spawn-environ")
    saved = {name: os.environ.get(name) for name in exported}
    try:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster),
        ):
            yield run_on("dask")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def on_ray():
    ray = pytest.importorskip(
        "ray", reason="ray is not installed (pip install 'skmm[distributed]')"
    )
    from ray.util.joblib import register_ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        object_store_memory=80 * 2**20,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        register_ray()
        yield run_on("ray")
    finally:
        ray.shutdown()


def test_a_seeded_network_ignores_other_threads_drawing_from_random():
    # What a Dask worker's event loop does while a task builds its network: Keras
    # draws the layers' seeds from Python's global random module.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3)).astype("float32")
    y = (X[:, 0] > 0).astype(int)
    params = dict(tabular_units=(8,), hidden_units=(8,), epochs=1, random_state=0)
    quiet = MultimodalClassifier(**params).fit(X, y).model_.get_weights()
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()
            time.sleep(0)

    drawing = threading.Thread(target=draw)
    drawing.start()
    try:
        busy = MultimodalClassifier(**params).fit(X, y).model_.get_weights()
    finally:
        stop.set()
        drawing.join()
    for a, b in zip(busy, quiet, strict=True):
        np.testing.assert_array_equal(a, b)


def test_searches_on_dask_and_ray_clusters_match_the_sequential_one(sequential, on_dask, on_ray):
    # One test for both clusters: one pytest-xdist worker starts them, one after the
    # other, and the sequential reference runs once.
    for backend, result in (("dask", on_dask), ("ray", on_ray)):
        # the same fits: every fold's score, their means and the best λ, bit for bit
        assert result["cv_results"] == sequential["cv_results"], backend
        assert result["best_params"] == sequential["best_params"], backend

        # dask's nanny sets OMP_NUM_THREADS=1 in every worker; ray sets it to the task's
        # num_cpus (1). skmm gives TensorFlow's intra- and inter-op pools as many threads.
        for report in result["threads"]:
            assert report["pid"] != os.getpid(), f"{backend}: the report did not run on a worker"
            assert report["OMP_NUM_THREADS"] == "1", backend
            assert (report["intra_op"], report["inter_op"]) == (1, 1), backend
