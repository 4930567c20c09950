"""Cost of a λ grid search: skmm vs plain scikeras with a hand-written build function.

The search is the quickstart's: 3 values of λ × 3 folds (+ the refit) on the
600 generated rows, 15 epochs, the quickstart network (text LSTM, a CNN at a
quarter of the default widths, a tabular MLP). Contenders, in the same run:

- **scikeras by hand** (baseline): what a user writes without skmm. The blocks
  are made once, flattened into one numeric table (scikeras takes a 2-D
  array), and a ``KerasClassifier`` subclass splits the table back into the
  named inputs of a functional model built by hand with the same layers
  (``benchmarks/wrapper_overhead.py``'s ``build_hand_model``); λ is routed to
  the build function as ``model__l2``.
- **skmm**: ``make_pipeline(MultimodalInput(...), MultimodalClassifier(...))``
  on the DataFrame, tuned as ``multimodalclassifier__l2`` (it also re-runs
  the preprocessing in every fold, which the baseline does not).
- **skmm, n_jobs=2**: the same search with two joblib workers.

Each search runs in a fresh process (so none inherits another's memory or
warm caches); the peak resident memory of its whole process tree, workers
included, is sampled every 50 ms.

Budgets: skmm ≤ 0.7× the baseline's time; ``n_jobs=2`` no slower than
``n_jobs=1``; peak memory of the ``n_jobs=2`` search ≤ 2.5 GB.

Run:  python benchmarks/search_cost.py [--epochs 15] [--repeats 1]
      python benchmarks/search_cost.py --smoke
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from scikeras.wrappers import KerasClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer  # noqa: E402
from skmm.datasets import make_multimodal_classification  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from predict_latency import split_columns  # noqa: E402
from wrapper_overhead import build_hand_model  # noqa: E402

SEQUENCE_LENGTH = 32
IMAGE_SIZE = 32
BUDGET_TIME, BUDGET_MEMORY_GB = 0.7, 2.5


def make_input():
    return MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=5000, sequence_length=SEQUENCE_LENGTH), "caption"),
            ("image", ImageNormalizer(size=(IMAGE_SIZE, IMAGE_SIZE)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )


def network_params(epochs):
    return dict(
        l2=1e-4,
        embedding_dim=32,
        text_units=32,
        image_filters=(64, 128, 128),
        image_width_multiplier=0.25,
        tabular_units=(64,),
        hidden_units=(64,),
        dropout=0.2,
        learning_rate=3e-3,
        batch_size=32,
        epochs=epochs,
        random_state=0,
    )


# -- the baseline: scikeras and a hand-written network ---------------------------------


class HandWrittenClassifier(KerasClassifier):
    """scikeras' documented way to feed a multi-input model: a feature encoder."""

    layout = None  # [(name, shape, dtype)], set once the blocks are known

    @property
    def feature_encoder(self):
        return FunctionTransformer(split_columns, kw_args={"layout": self.layout})


def hand_build_fn(blocks, params):
    def build(l2):
        model = build_hand_model(blocks, {**params, "l2": l2})
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=params["learning_rate"]),
            loss="binary_crossentropy",
        )
        return model

    return build


def scikeras_search(X, y, grid, cv, params):
    blocks = make_input().fit_transform(X)
    names = ("text", "image", "tabular")
    table = np.hstack([blocks[name].reshape(len(y), -1).astype("float32") for name in names])
    HandWrittenClassifier.layout = [
        (name, blocks[name].shape[1:], blocks[name].dtype) for name in names
    ]
    clf = HandWrittenClassifier(
        model=hand_build_fn(blocks, params),
        model__l2=params["l2"],
        epochs=params["epochs"],
        batch_size=params["batch_size"],
        random_state=params["random_state"],
        verbose=0,
    )
    return GridSearchCV(clf, {"model__l2": grid}, cv=cv).fit(table, y)


def skmm_search(X, y, grid, cv, params, n_jobs=1):
    model = make_pipeline(make_input(), MultimodalClassifier(**params))
    search = GridSearchCV(model, {"multimodalclassifier__l2": grid}, cv=cv, n_jobs=n_jobs)
    return search.fit(X, y)


# -- measuring ---------------------------------------------------------------------------


def tree_rss_bytes(root_pid):
    """Resident memory of ``root_pid`` and all its descendants (Linux /proc)."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(child for child, parent in parents.items() if parent == pid)
    return total


class PeakMemory:
    """Samples the process tree's resident memory in a thread; ``peak`` in bytes."""

    def __init__(self, interval=0.05):
        self.interval, self.peak = interval, 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(os.getpid()))
            self._stop.wait(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed(fn):
    with PeakMemory() as memory:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return seconds, memory.peak, result


CONTENDERS = ("scikeras by hand (baseline)", "skmm pipeline", "skmm pipeline, n_jobs=2")


def run_one(name, args):
    """One search, in this process; prints one JSON line with its figures."""
    grid, folds = search_grid(args)
    X, y = make_multimodal_classification(n_samples=args.n_samples, random_state=0)
    y = np.asarray(y)
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    params = network_params(args.epochs)
    if name == CONTENDERS[0]:
        run = lambda: scikeras_search(X, y, grid, cv, params)  # noqa: E731
    else:
        run = lambda: skmm_search(X, y, grid, cv, params, n_jobs=2 if "n_jobs" in name else 1)  # noqa: E731
    seconds, peak, search = timed(run)
    best = next(v for k, v in search.best_params_.items() if k.endswith("l2"))
    print(json.dumps({"seconds": seconds, "peak": peak, "l2": best, "score": search.best_score_}))


def search_grid(args):
    return ([1e-5, 1e-1], 2) if args.smoke else ([1e-5, 1e-3, 1e-1], 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=1, help="rounds; the best is kept")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--run", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smoke:
        args.n_samples, args.epochs, args.repeats = 80, 1, 1
    if args.run:
        return run_one(args.run, args)
    grid, folds = search_grid(args)

    # Each search in a fresh process: its time and memory owe nothing to the others.
    command = [sys.executable, __file__, "--n-samples", str(args.n_samples)]
    command += ["--epochs", str(args.epochs)] + (["--smoke"] if args.smoke else [])
    results = {}
    for _ in range(args.repeats):
        for name in CONTENDERS:  # interleaved, so a drift of the machine hits all
            out = subprocess.run(
                [*command, "--run", name], capture_output=True, text=True, check=True
            )
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            if name not in results or figures["seconds"] < results[name]["seconds"]:
                results[name] = figures

    print(
        f"GridSearchCV, {len(grid)} λ × {folds} folds + refit, {args.n_samples} rows, "
        f"{args.epochs} epochs, best of {args.repeats}, one fresh process per search, "
        f"os.cpu_count()={os.cpu_count()}"
    )
    print(f"{'method':<30}{'seconds':>9}{'ratio':>7}{'peak GB':>9}{'best λ':>9}{'cv score':>10}")
    base = results[CONTENDERS[0]]["seconds"]
    for name, r in results.items():
        print(
            f"{name:<30}{r['seconds']:>9.1f}{r['seconds'] / base:>7.2f}"
            f"{r['peak'] / 2**30:>9.2f}{r['l2']:>9.0e}{r['score']:>10.3f}"
        )
    one, two = results[CONTENDERS[1]]["seconds"], results[CONTENDERS[2]]["seconds"]
    peak_two = results[CONTENDERS[2]]["peak"] / 2**30
    print(
        f"\nskmm / baseline: {one / base:.2f} (budget <= {BUDGET_TIME}); n_jobs=2 / n_jobs=1: "
        f"{two / one:.2f} (budget <= 1.00); n_jobs=2 peak memory {peak_two:.2f} GB "
        f"(budget <= {BUDGET_MEMORY_GB})"
    )


if __name__ == "__main__":
    main()
