"""Resident memory over many fits in one process: skmm vs a hand-written Keras loop.

A long hyperparameter search, or a notebook that refits all afternoon, fits
hundreds of networks in one process. Each fitted model is dropped before the
next fit, so memory should stay flat. Three loops, each in a fresh process
(so none inherits another's memory), in the same run:

- **keras** (baseline): a functional model with the same layers as skmm's
  (``benchmarks/wrapper_overhead.py``'s ``build_hand_model``) built,
  compiled, fitted for one epoch and dropped, on blocks made once;
- **skmm**: ``make_pipeline(MultimodalInput(text, image, tabular),
  MultimodalClassifier(epochs=1))`` fitted on the 200-row DataFrame and
  dropped;
- **search**: a 3 λ × 5-fold ``GridSearchCV`` of that pipeline (5 epochs)
  repeated, the search object dropped after each.

Reported: the resident set size (``/proc/self/statm``) after 1, 10, 50, 100
and 200 fits (after 1, 2, 5 and 10 searches), and the growth per fit over
fits 10 → 200. Budgets: skmm grows at most 1 MiB per fit over fits 10 → 200
(and less than the Keras loop); the 10th search ends within 150 MiB of where
the first one ended.

Run:  python benchmarks/memory_over_fits.py [--fits 200] [--searches 10]
      python benchmarks/memory_over_fits.py --smoke   (seconds; figures mean nothing)
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BUDGET_MIB_PER_FIT = 1.0
BUDGET_SEARCH_MIB = 150.0
N_ROWS = 200
IMAGE_SIZE = 16
SEQUENCE_LENGTH = 16


def rss_mib():
    """Resident memory of this process, MiB (Linux ``/proc``)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def checkpoints(n_fits):
    return sorted({n for n in (1, 10, 50, 100, 200, n_fits) if n <= n_fits})


def make_data():
    from skmm.datasets import make_multimodal_classification

    return make_multimodal_classification(N_ROWS, image_size=IMAGE_SIZE, random_state=0)


def make_pipeline_(epochs):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer

    return make_pipeline(
        MultimodalInput(
            [
                ("text", TextTokenizer(sequence_length=SEQUENCE_LENGTH), "caption"),
                ("image", ImageNormalizer(size=(IMAGE_SIZE, IMAGE_SIZE)), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        ),
        MultimodalClassifier(epochs=epochs, image_width_multiplier=0.25, random_state=0),
    )


def skmm_loop(n_fits):
    X, y = make_data()
    marks = {}
    for fit in range(1, n_fits + 1):
        make_pipeline_(epochs=1).fit(X, y)
        if fit in checkpoints(n_fits):
            marks[fit] = rss_mib()
    return marks


def keras_loop(n_fits):
    import keras

    sys.path.insert(0, str(Path(__file__).parent))
    from search_cost import network_params
    from wrapper_overhead import build_hand_model

    X, y = make_data()
    blocks = make_pipeline_(epochs=1)[0].fit_transform(X)
    inputs = {name: blocks[name] for name in ("text", "image", "tabular")}
    params = network_params(epochs=1)  # the layers of search_cost.py's hand-written model
    target = np.asarray(y).reshape(-1, 1).astype("float32")
    marks = {}
    for fit in range(1, n_fits + 1):
        keras.utils.set_random_seed(0)
        model = build_hand_model(blocks, params)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(inputs, target, epochs=1, batch_size=32, verbose=0)
        del model
        if fit in checkpoints(n_fits):
            marks[fit] = rss_mib()
    return marks


def search_loop(n_searches, folds=5):
    from sklearn.model_selection import GridSearchCV

    X, y = make_data()
    marks = {}
    for search in range(1, n_searches + 1):
        GridSearchCV(
            make_pipeline_(epochs=5), {"multimodalclassifier__l2": [1e-5, 1e-4, 1e-3]}, cv=folds
        ).fit(X, y)
        if search in sorted({1, 2, 5, 10, n_searches}) and search <= n_searches:
            marks[search] = rss_mib()
    return marks


LOOPS = {"keras": keras_loop, "skmm": skmm_loop, "search": search_loop}


def run_loop(loop, count, folds):
    """Run one loop in a fresh process; its RSS marks."""
    command = [sys.executable, __file__, "--loop", loop, "--count", str(count)]
    command += ["--folds", str(folds)]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the {loop} loop failed:\n{out.stderr[-3000:]}")
    return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def growth_per_fit(marks):
    """MiB per fit from the 10th fit (or the first mark) to the last."""
    first = 10 if 10 in marks and max(marks) > 10 else min(marks)
    last = max(marks)
    return (marks[last] - marks[first]) / max(last - first, 1)


def main(fits=200, searches=10, smoke=False):
    folds = 2 if smoke else 5
    if smoke:
        fits, searches = 3, 2
    print(f"memory_over_fits{' (SMOKE: figures mean nothing)' if smoke else ''}")
    print(f"{N_ROWS} rows (text, image, tabular), 1 epoch a fit; {fits} fits per loop")
    marks = {loop: run_loop(loop, fits, folds) for loop in ("keras", "skmm")}
    search = run_loop("search", searches, folds)
    header = f"{'loop':<8}" + "".join(f"{f'RSS@{n}':>10}" for n in checkpoints(fits))
    header += f"{'MiB/fit':>10}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    keras_growth = growth_per_fit(marks["keras"])
    for loop in ("keras", "skmm"):
        growth = growth_per_fit(marks[loop])
        ratio = growth / keras_growth if keras_growth > 0 else float("nan")
        row = f"{loop:<8}" + "".join(f"{marks[loop][n]:10.0f}" for n in checkpoints(fits))
        print(row + f"{growth:10.2f}{ratio:8.2f}")
    print()
    print(f"3 λ × {folds}-fold GridSearchCV of the pipeline (5 epochs), repeated:")
    print("  " + ", ".join(f"after {n}: {mib:.0f} MiB" for n, mib in search.items()))
    skmm_growth = growth_per_fit(marks["skmm"])
    search_growth = search[max(search)] - search[min(search)]
    print(
        f"budget: skmm <= {BUDGET_MIB_PER_FIT} MiB per fit over fits 10 -> {fits} "
        f"({skmm_growth:.2f}) -> {'MET' if skmm_growth <= BUDGET_MIB_PER_FIT else 'NOT MET'}; "
        f"last search within {BUDGET_SEARCH_MIB:.0f} MiB of the first ({search_growth:+.0f}) -> "
        f"{'MET' if search_growth <= BUDGET_SEARCH_MIB else 'NOT MET'}"
    )
    return marks, search


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fits", type=int, default=200)
    parser.add_argument("--searches", type=int, default=10)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--loop", choices=sorted(LOOPS), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folds", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop:
        loop = LOOPS[args.loop]
        kwargs = {"folds": args.folds} if args.loop == "search" else {}
        print(json.dumps(loop(args.count, **kwargs)))
    else:
        main(args.fits, args.searches, args.smoke)
