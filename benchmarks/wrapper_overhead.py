"""MultimodalClassifier fit and predict vs the same Keras functional model written by hand.

The quickstart data (``make_multimodal_classification``, text + 32x32 images +
two numbers) is preprocessed once with ``MultimodalInput``; both contenders get
the same arrays. The hand-written network has the layers skmm builds for the
same parameters (Embedding + LSTM on the text, three Conv2D + MaxPooling stages
and global average pooling on the images, a Dense layer on the numbers,
concatenation, a Dense + Dropout head, a sigmoid output; L2 on every kernel and
embedding table), without the two presence-mask inputs (skmm is fed masks of
ones, so its head sees two more constant inputs). Same epochs, batch size,
optimizer (Adam), learning rate, loss and seed.

Timed, after ``--warmup`` untimed rounds (default 1), ``--repeats`` rounds that alternate
the two (a drift of the machine affects both alike):

- fit: build + compile + train (``MultimodalClassifier.fit`` vs build,
  ``compile`` and ``keras.Model.fit``);
- predict, first call after the fit (includes tracing the inference graph);
- predict, warm (a second call on the same model).

Predict runs on every row, with batches of 1024 for both (skmm's default
``predict__batch_size``), and returns labels. ``ratio`` is skmm's time over
the hand model's (best of the rounds); budget: <= 1.05 for each step.

Run:  python benchmarks/wrapper_overhead.py [--n-samples 600] [--epochs 5] [--repeats 3]
      python benchmarks/wrapper_overhead.py --smoke
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmm import (  # noqa: E402
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalInput,
    TextTokenizer,
)
from skmm.datasets import make_multimodal_classification  # noqa: E402

PREDICT_BATCH = 1024
BUDGET = 1.05


def network_params(args):
    """MultimodalClassifier parameters; the hand model reads the same values."""
    return dict(
        l2=1e-4,
        embedding_dim=32,
        text_units=32,
        image_filters=(64, 128, 128),
        image_width_multiplier=args.image_width_multiplier,
        tabular_units=(64,),
        hidden_units=(64,),
        dropout=0.2,
        learning_rate=3e-3,
        batch_size=args.batch_size,
        epochs=args.epochs,
        random_state=0,
    )


def preprocess(n_samples, image_size):
    X, y = make_multimodal_classification(n_samples=n_samples, random_state=0)
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=5000, sequence_length=24), "caption"),
            ("image", ImageNormalizer(size=(image_size, image_size)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    return pre.fit_transform(X), np.asarray(y)


def build_hand_model(blocks, p):
    """The network skmm builds for ``p``, written with plain Keras layers."""
    reg = keras.regularizers.L2(p["l2"])
    text_spec = blocks.specs["text"]
    text_in = keras.Input(shape=blocks["text"].shape[1:], dtype="int32", name="text")
    image_in = keras.Input(shape=blocks["image"].shape[1:], name="image")
    tabular_in = keras.Input(shape=blocks["tabular"].shape[1:], name="tabular")

    t = layers.Embedding(
        text_spec.vocabulary_size, p["embedding_dim"], mask_zero=True, embeddings_regularizer=reg
    )(text_in)
    t = layers.LSTM(p["text_units"], kernel_regularizer=reg, recurrent_regularizer=reg)(t)

    m = image_in
    for filters in p["image_filters"]:
        m = layers.Conv2D(
            max(1, round(filters * p["image_width_multiplier"])),
            3,
            padding="same",
            activation="relu",
            kernel_regularizer=reg,
        )(m)
        m = layers.MaxPooling2D(2)(m)
    m = layers.GlobalAveragePooling2D()(m)

    x = tabular_in
    for units in p["tabular_units"]:
        x = layers.Dense(units, activation="relu", kernel_regularizer=reg)(x)

    h = layers.Concatenate()([t, m, x])
    for units in p["hidden_units"]:
        h = layers.Dense(units, activation="relu", kernel_regularizer=reg)(h)
        h = layers.Dropout(p["dropout"])(h)
    out = layers.Dense(1, activation="sigmoid", kernel_regularizer=reg)(h)
    return keras.Model([text_in, image_in, tabular_in], out)


def fit_hand(blocks, inputs, y, p):
    keras.utils.set_random_seed(p["random_state"])
    model = build_hand_model(blocks, p)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=p["learning_rate"]),
        loss="binary_crossentropy",
    )
    model.fit(
        inputs,
        y.reshape(-1, 1).astype("float32"),
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        shuffle=True,
        verbose=0,
    )
    return model


def predict_hand(model, inputs):
    proba = model.predict(inputs, batch_size=PREDICT_BATCH, verbose=0)
    return (proba[:, 0] > 0.5).astype(int)


def fit_skmm(blocks, y, p):
    return MultimodalClassifier(**p).fit(blocks, y)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--image-width-multiplier", type=float, default=0.25)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    if args.smoke:
        args.n_samples, args.epochs, args.repeats, args.warmup = 64, 1, 1, 0
        args.image_size = 16

    p = network_params(args)
    blocks, y = preprocess(args.n_samples, args.image_size)
    hand_inputs = {name: blocks[name] for name in ("text", "image", "tabular")}

    fits = (lambda: fit_hand(blocks, hand_inputs, y, p), lambda: fit_skmm(blocks, y, p))
    predicts = (lambda m: predict_hand(m, hand_inputs), lambda m: m.predict(blocks))
    times = {(step, who): [] for step in ("fit", "predict", "predict warm") for who in (0, 1)}
    n_params = [0, 0]
    for round_ in range(args.warmup + args.repeats):
        for who in (0, 1):  # alternate, so a drift of the machine hits both alike
            seconds, fitted = timed(fits[who])
            n_params[who] = (fitted if who == 0 else fitted.model_).count_params()
            first, labels = timed(lambda f=fitted, w=who: predicts[w](f))
            warm, labels_again = timed(lambda f=fitted, w=who: predicts[w](f))
            assert labels.shape == (len(y),) and np.array_equal(labels, labels_again)
            if round_ >= args.warmup:
                times["fit", who].append(seconds)
                times["predict", who].append(first)
                times["predict warm", who].append(warm)

    print(
        f"{args.n_samples} rows (text {blocks['text'].shape[1:]}, image "
        f"{blocks['image'].shape[1:]}, tabular {blocks['tabular'].shape[1:]}), "
        f"{args.epochs} epochs, batch {args.batch_size}, best and median of "
        f"{args.repeats} after {args.warmup} warm-up round(s); parameters: hand "
        f"{n_params[0]}, skmm {n_params[1]} (+2 presence inputs in the head)"
    )
    print(f"{'step':<14}{'method':<30}{'best s':>9}{'median s':>10}{'ratio':>8}{'budget':>9}")
    for step in ("fit", "predict", "predict warm"):
        base = min(times[step, 0])
        for who, name in ((0, "Keras by hand (baseline)"), (1, "skmm MultimodalClassifier")):
            best = min(times[step, who])
            median = statistics.median(times[step, who])
            ratio = best / base
            budget = ""
            if who == 1:
                budget = f"{'met' if ratio <= BUDGET else 'MISSED'}"
            print(f"{step:<14}{name:<30}{best:>9.3f}{median:>10.3f}{ratio:>8.2f}{budget:>9}")


if __name__ == "__main__":
    main()
