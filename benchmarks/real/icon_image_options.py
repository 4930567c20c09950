"""Image options on small data: augmentation, patience and batch normalization.

On the first of the three folds of ``icons_and_names.py`` (363 training
icons, 182 held out), image only, every other skmm parameter at its default:
the default CNN with and without training-time augmentation, with patience 5
and 10, and a CNN with batch normalization (momentum 0.9 and 0.99, given as a
``block_encoders`` entry). It is the measurement behind the defaults
``image_augmentation=None`` and ``n_iter_no_change=10``.

Run:  python benchmarks/real/icon_image_options.py [--cache-dir DIR]
(about 4 minutes on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from keras import layers
from sklearn.model_selection import StratifiedKFold

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput

sys.path.insert(0, str(Path(__file__).resolve().parent))
import icons_and_names as icons  # noqa: E402


def batch_norm_cnn(momentum, filters=(32, 64, 128)):
    def encoder(x):
        for width in filters:
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=momentum)(x)
            x = layers.Activation("relu")(x)
            x = layers.MaxPooling2D(2)(x)
        return layers.GlobalAveragePooling2D()(x)

    return encoder


OPTIONS = [
    ("default CNN, patience 10 (defaults)", {}),
    ("default CNN, patience 5", dict(n_iter_no_change=5)),
    (
        "+ flip, shift, zoom, patience 5",
        dict(image_augmentation=("flip", "shift", "zoom"), n_iter_no_change=5),
    ),
    ("+ flip, patience 10", dict(image_augmentation=("flip",))),
    ("+ flip, shift, zoom, patience 10", dict(image_augmentation=("flip", "shift", "zoom"))),
    ("batch norm (momentum 0.9)", dict(block_encoders={"picture": batch_norm_cnn(0.9)})),
    ("batch norm (momentum 0.99)", dict(block_encoders={"picture": batch_norm_cnn(0.99)})),
]


def main(cache_dir):
    print(icons.environment())
    frame = icons.load(icons.fetch(cache_dir))
    y = frame["category"].to_numpy()
    train, test = next(StratifiedKFold(3, shuffle=True, random_state=icons.SEED).split(frame, y))
    pre = MultimodalInput([("picture", ImageNormalizer(size=(32, 32)), "path")])
    X_train = pre.fit_transform(frame.iloc[train])
    X_test = pre.transform(frame.iloc[test])
    print(f"fold 1 of 3: {len(train)} training icons, {len(test)} held out; image only")
    print(f"{'option':<40} {'accuracy':>8} {'epochs':>6} {'best':>5} {'wall s':>7}")
    for label, params in OPTIONS:
        t0 = time.perf_counter()
        clf = MultimodalClassifier(random_state=icons.SEED, **params).fit(X_train, y[train])
        print(
            f"{label:<40} {clf.score(X_test, y[test]):8.3f} {clf.n_iter_:6d} "
            f"{clf.best_iteration_:5d} {time.perf_counter() - t0:7.0f}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    icons.add_cache_dir_argument(parser)
    main(parser.parse_args().cache_dir)
