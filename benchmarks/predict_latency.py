"""Single-row predict latency of a fitted skmm pipeline vs scikeras and a direct model call.

A text + image + tabular pipeline (the quickstart's ``MultimodalInput`` and a
``MultimodalClassifier``) is fitted on the quickstart data. Then, after
``--warmup`` untimed calls of each, ``--calls`` single-row predictions of
each method are timed, the methods alternating call by call:

- ``scikeras.wrappers.KerasClassifier(model=<returns the fitted, compiled
  network>).predict`` on one row of the same preprocessed data (the
  baseline). scikeras takes 2-D arrays, so the blocks are laid side by side
  in one float array and split back into the named inputs by a
  ``feature_encoder`` (``FunctionTransformer``), the multi-input recipe of
  the scikeras documentation;
- ``model(inputs, training=False)``: the Keras network called eagerly on the
  row's named inputs (NumPy arrays);
- ``MultimodalClassifier.predict`` on one row of the preprocessed blocks;
- the skmm pipeline's ``predict`` on one raw DataFrame row (tokenizes,
  normalizes and scales that row first).

Prints the median and 90th percentile latency of each, its ratio to
scikeras' median, and how many times each method traced a graph during the
timed calls (TensorFlow's own retracing warnings are counted too). Budget:
skmm <= 1/5 of scikeras' time (ratio <= 0.20) and zero retraces.

Run:  python benchmarks/predict_latency.py [--calls 200] [--n-samples 600]
      python benchmarks/predict_latency.py --smoke
"""

import argparse
import logging
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from scikeras.wrappers import KerasClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

from skmm import (  # noqa: E402
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalInput,
    TextTokenizer,
)
from skmm.datasets import make_multimodal_classification  # noqa: E402
from skmm.network import serving_network  # noqa: E402

BUDGET = 1 / 5


class RetraceWarnings(logging.Handler):
    """Counts TensorFlow's "triggered tf.function retracing" warnings."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        if "retracing" in record.getMessage():
            self.count += 1


def split_columns(flat, layout):
    """A 2-D float array back into the network's named inputs."""
    out, start = {}, 0
    for name, shape, dtype in layout:
        width = int(np.prod(shape))
        out[name] = flat[:, start : start + width].reshape(-1, *shape).astype(dtype)
        start += width
    return out


def scikeras_classifier(model, inputs, y):
    """scikeras' KerasClassifier around ``model`` (already fitted and compiled)."""
    layout = [(name, value.shape[1:], value.dtype) for name, value in inputs.items()]

    class MultiInputKerasClassifier(KerasClassifier):
        @property
        def feature_encoder(self):
            return FunctionTransformer(split_columns, kw_args={"layout": layout})

    def build_model():
        return model

    flat = np.concatenate(
        [value.reshape(len(value), -1).astype(np.float32) for value in inputs.values()], axis=1
    )
    return MultiInputKerasClassifier(model=build_model, verbose=0).initialize(flat, y), flat


def trace_count(function):
    get = getattr(function, "experimental_get_tracing_count", None)
    return get() if get is not None else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    image_size = 32
    if args.smoke:
        args.n_samples, args.calls, args.warmup, args.epochs, image_size = 64, 20, 3, 1, 16

    retraces_logged = RetraceWarnings()
    tf.get_logger().addHandler(retraces_logged)

    X, y = make_multimodal_classification(n_samples=args.n_samples, random_state=0)
    pipeline = make_pipeline(
        MultimodalInput(
            [
                ("text", TextTokenizer(max_tokens=5000, sequence_length=24), "caption"),
                ("image", ImageNormalizer(size=(image_size, image_size)), "image"),
                ("tabular", StandardScaler(), ["x0", "x1"]),
            ]
        ),
        MultimodalClassifier(
            epochs=args.epochs, learning_rate=3e-3, image_width_multiplier=0.25, random_state=0
        ),
    ).fit(X, y)
    pre, clf = pipeline[0], pipeline[-1]
    blocks = pre.transform(X)
    inputs = blocks.to_dict()  # the network's named inputs, presence masks included
    model = serving_network(clf.model_)  # the prediction alone
    wrapped, flat = scikeras_classifier(model, inputs, y)

    raw_row = X.iloc[[0]]
    block_row = blocks.take([0])
    input_row = {name: value[:1] for name, value in inputs.items()}
    flat_row = flat[:1]

    methods = [
        ("scikeras KerasClassifier (baseline)", lambda: wrapped.predict(flat_row)),
        ("model(inputs, training=False)", lambda: model(input_row, training=False).numpy()),
        ("skmm MultimodalClassifier", lambda: clf.predict(block_row)),
        ("skmm pipeline (raw DataFrame row)", lambda: pipeline.predict(raw_row)),
    ]
    # The methods agree on the row's label / probability.
    labels = [np.ravel(methods[k][1]())[0] for k in (0, 2, 3)]
    assert len(set(map(int, labels))) == 1, labels
    np.testing.assert_allclose(methods[1][1](), clf.predict_proba(block_row)[:, 1:], rtol=1e-5)

    for _ in range(args.warmup):
        for _, method in methods:
            method()

    skmm_function = clf._predict_function
    keras_function = getattr(model, "predict_function", None)
    traces_before = (trace_count(keras_function), skmm_function.trace_count)
    logged_before = retraces_logged.count
    times = {name: [] for name, _ in methods}
    for _ in range(args.calls):
        for name, method in methods:
            start = time.perf_counter()
            method()
            times[name].append(time.perf_counter() - start)
    keras_traces = trace_count(getattr(model, "predict_function", None))
    retraces = {
        methods[0][0]: (
            "?"
            if keras_traces is None or traces_before[0] is None
            else keras_traces - traces_before[0]
        ),
        methods[1][0]: "-",
        methods[2][0]: skmm_function.trace_count - traces_before[1],
        methods[3][0]: skmm_function.trace_count - traces_before[1],
    }
    logged = retraces_logged.count - logged_before

    shapes = ", ".join(f"{name} {value.shape[1:]}" for name, value in inputs.items())
    print(
        f"1 row ({shapes}); median of {args.calls} calls after {args.warmup} warm-up calls; "
        f"TensorFlow retracing warnings during the timed calls: {logged}"
    )
    print(f"{'method':<38}{'median ms':>11}{'p90 ms':>9}{'ratio':>8}{'retraces':>10}{'budget':>9}")
    base = statistics.median(times[methods[0][0]])
    skmm_ok = True
    for name, _ in methods:
        median = statistics.median(times[name])
        p90 = float(np.percentile(times[name], 90))
        ratio = median / base
        budget = ""
        if name.startswith("skmm"):
            ok = ratio <= BUDGET and retraces[name] == 0
            skmm_ok &= ok
            budget = "met" if ok else "MISSED"
        print(
            f"{name:<38}{median * 1e3:>11.2f}{p90 * 1e3:>9.2f}{ratio:>8.3f}"
            f"{retraces[name]!s:>10}{budget:>9}"
        )
    print(
        f"budget: skmm <= {BUDGET:.2f}x scikeras and 0 retraces: "
        f"{'met' if skmm_ok and logged == 0 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
