"""Scaling out: a grid search over λ on a local Dask cluster, and on Ray.

Runs the same `GridSearchCV` over the L2 strength λ three times: sequentially
(`n_jobs=1`), on a local Dask cluster of two single-threaded worker
processes, and on a local Ray cluster of two CPUs (skipped, with a note, when
Ray is not installed). Nothing in skmm changes between the runs: joblib's
`parallel_backend` sends the fits to the cluster. It prints the best λ, the
time each search took next to the sequential one, and the largest difference
of a mean cross-validated score from the sequential search's. Each worker
gives TensorFlow one thread per pool, the sequential search all cores; the
order of float sums changes with the number of threads and training amplifies
the rounding, so the scores agree closely, not bit for bit (start Python with
`OMP_NUM_THREADS=1` and they are identical). On a machine with few cores the
clusters gain little over the sequential search; they pay off with more
workers, or with machines of their own.

Run:  python examples/scaling_out.py            (a few minutes on 2 CPU cores)
      python examples/scaling_out.py --smoke    (tiny, Dask only; a check that it runs)
"""

import argparse
import time

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# Importing the estimators (and so TensorFlow) before any cluster starts keeps this
# process's thread pools at full size: a Dask LocalCluster sets OMP_NUM_THREADS=1 in
# the process that starts it, and skmm sizes TensorFlow's pools from that variable
# when it first imports TensorFlow.
from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
from skmm.datasets import make_multimodal_classification


def search(epochs, l2s, folds):
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=2000, sequence_length=16), "caption"),
            ("image", ImageNormalizer(size=(16, 16)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    clf = MultimodalClassifier(
        text_encoder="cnn",
        image_width_multiplier=0.25,
        epochs=epochs,
        learning_rate=3e-3,
        random_state=0,
    )
    grid = {"multimodalclassifier__l2": l2s}
    # refit=False: the refit runs in this process whatever the backend
    return GridSearchCV(make_pipeline(pre, clf), grid, cv=folds, n_jobs=-1, refit=False)


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return estimator, time.perf_counter() - start


def report(name, fitted, seconds, baseline=None):
    best = fitted.best_params_["multimodalclassifier__l2"]
    line = f"{name:<22} best l2 {best:<8g} {seconds:6.1f} s"
    if baseline is not None:
        scores, expected = (s.cv_results_["mean_test_score"] for s in (fitted, baseline))
        line += f"  largest score difference from n_jobs=1: {np.abs(scores - expected).max():.3g}"
    print(line)


def on_ray(X, y, setting, baseline):
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError:
        print("ray: skipped, Ray is not installed (pip install 'skmm[distributed]')")
        return
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        register_ray()
        print(f"ray started in {time.perf_counter() - start:.1f} s")
        with joblib.parallel_backend("ray"):
            fitted, seconds = timed_fit(search(*setting), X, y)
        report("ray, 2 CPUs", fitted, seconds, baseline)
    finally:
        ray.shutdown()


def on_dask(X, y, setting, baseline):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask: skipped, Dask is not installed (pip install 'skmm[distributed]')")
        return
    start = time.perf_counter()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        print(f"dask cluster started in {time.perf_counter() - start:.1f} s")
        with joblib.parallel_backend("dask"):
            fitted, seconds = timed_fit(search(*setting), X, y)
        report("dask, 2 workers", fitted, seconds, baseline)


def main(smoke=False):
    if smoke:
        n_samples, setting = 64, (1, [1e-5, 1e-1], 2)
    else:
        n_samples, setting = 600, (10, [1e-5, 1e-3, 1e-1], 3)
    X, y = make_multimodal_classification(n_samples=n_samples, image_size=16, random_state=0)
    _, l2s, folds = setting
    print(f"{n_samples} rows, {len(l2s)} values of l2, {folds} folds: {len(l2s) * folds} fits")

    sequential, seconds = timed_fit(search(*setting).set_params(n_jobs=1), X, y)
    report("sequential, n_jobs=1", sequential, seconds)
    # Ray first: the Dask cluster exports OMP_NUM_THREADS=1 into this process, which
    # processes started afterwards (Ray's workers included) would inherit. The smoke
    # run starts the Dask cluster only (the tests run both engines elsewhere).
    if not smoke:
        on_ray(X, y, setting, sequential)
    on_dask(X, y, setting, sequential)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    main(smoke=parser.parse_args().smoke)
