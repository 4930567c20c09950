"""Fit time on small in-memory data: skmm's lean feeding vs Keras' feeding of arrays.

Up to ``SMALL_DATA_BYTES`` (32 MiB) of training data, a fit feeds Keras one
small ``tf.data`` pipeline (``skmm.estimators._feeding.in_memory_batches``:
rows sliced once, a seeded reshuffle per epoch). Above it, the arrays go to
``keras.Model.fit`` as they are, and Keras starts a parallel map and a
prefetch thread at every epoch and every validation pass. The baseline is that
second path on the same data, forced by setting the threshold to 0 for the run.

Each case fits ``MultimodalClassifier`` at its defaults (text + 16x16 images +
two numbers, ``balance="blend"``, early stopping off so both run every epoch)
on ``make_multimodal_classification`` rows, alternating the two paths for
``--repeats`` rounds after one warm-up fit; ``ratio`` is the lean path's best
time over the baseline's. Budget: ratio <= 0.8 on 240 rows.

Run:  python benchmarks/small_data_feeding.py [--repeats 3]
      python benchmarks/small_data_feeding.py --smoke
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from sklearn.preprocessing import StandardScaler  # noqa: E402

import skmm.estimators._training as training  # noqa: E402
from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer  # noqa: E402
from skmm.datasets import make_multimodal_classification  # noqa: E402

CASES = [(240, 60), (2000, 10)]  # (rows, epochs)


def blocks(n_samples):
    X, y = make_multimodal_classification(n_samples=n_samples, image_size=16, random_state=0)
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(sequence_length=16), "caption"),
            ("image", ImageNormalizer(size=(16, 16)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    return pre.fit_transform(X), y


def fit_seconds(data, epochs, lean):
    saved = training.SMALL_DATA_BYTES
    training.SMALL_DATA_BYTES = saved if lean else 0
    try:
        start = time.perf_counter()
        MultimodalClassifier(epochs=epochs, early_stopping=False, random_state=0).fit(*data)
        return time.perf_counter() - start
    finally:
        training.SMALL_DATA_BYTES = saved


def main(smoke=False, repeats=3):
    cases = [(60, 2)] if smoke else CASES
    repeats = 1 if smoke else repeats
    print(f"small_data_feeding{' (SMOKE: figures mean nothing)' if smoke else ''}")
    header = f"{'rows':>6} {'epochs':>6} {'method':<22} {'best s':>7} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for rows, epochs in cases:
        data = blocks(rows)
        fit_seconds(data, 1, lean=True)  # warm-up: TensorFlow's first-use costs
        times = {True: [], False: []}
        for _ in range(repeats):
            for lean in (False, True):
                times[lean].append(fit_seconds(data, epochs, lean))
        keras_best, lean_best = min(times[False]), min(times[True])
        print(f"{rows:>6} {epochs:>6} {'Keras array feeding':<22} {keras_best:7.2f} {1.0:6.2f}")
        print(
            f"{rows:>6} {epochs:>6} {'in_memory_batches':<22} {lean_best:7.2f} "
            f"{lean_best / keras_best:6.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(smoke=args.smoke, repeats=args.repeats)
