"""Moving digits: real MNIST digits moving across a 64x64 frame, written as MP4 clips,
classified by digit, alone and fused with the spoken recording of the same digit.

Data, in the shared data folder: the spoken + handwritten digit pairs of
``audio_visual_digits.py`` (Free Spoken Digit Dataset recordings, official split:
2,700 train, 300 test; each paired with an MNIST image of the same digit drawn
from a per-digit half of ``mnist_5k`` that the other split never sees, so train
and test share no recording and no digit image).

Each pair's digit image becomes a clip (seeded by its row): 10 to 16 frames of
64x64 in which the 28x28 digit moves from a random start with a random velocity,
bouncing off the edges, written with PyAV as an H.264 MP4 into a cache folder
(``--cache-dir``, default ``~/.cache/skmm-benchmarks/moving_digits``), and
decoded back by ``VideoFrames``. The recording stays a WAV file.

Rows, every estimator parameter at skmm's defaults (``random_state`` set):

- audio only: ``AudioFeaturizer`` on the recording;
- per-frame image: ``ImageNormalizer`` on the clip's middle frame (an image model
  on one frame of the video);
- video only: ``VideoFrames`` (8 frames of 32x32, grey) and the default video
  encoder (the ``"grid"`` frame CNN and a GRU over the frames);
- fused: the recording and the clip in one ``MultimodalInput``;
- a scikit-learn baseline in the same run: a logistic regression on the
  standardized log-mel features and the pixels of the 8 sampled frames.

Target: fused above both single modalities: fewer test errors, or as few and a
lower log loss (the audio model alone makes about 1 error in 300, so accuracy
alone can only tie or beat it by that one clip).

Run:  python benchmarks/real/moving_digits.py [--data-dir DIR] [--cache-dir DIR]
          [--seed S] [--smoke]
(about 20 minutes on 2 CPU cores; --smoke takes seconds and its figures mean
nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_visual_digits import DEFAULT_DATA, SEED, environment, load  # noqa: E402

CANVAS = 64
AUDIO_SETTINGS = dict(sample_rate=8000, duration=0.8, n_mels=40)
VIDEO_SETTINGS = dict(n_frames=8, size=(32, 32), channels=1)


def digit_clip(image, rng):
    """Frames (T, 64, 64) of the 28x28 ``image`` moving and bouncing; and its middle frame."""
    n_frames = int(rng.integers(10, 17))
    side = image.shape[0]
    room = CANVAS - side
    position = rng.uniform(0, room, size=2)
    velocity = rng.uniform(2.0, 4.0, size=2) * rng.choice([-1, 1], size=2)
    frames = np.zeros((n_frames, CANVAS, CANVAS), dtype=np.uint8)
    for t in range(n_frames):
        top, left = np.round(position).astype(int)
        frames[t, top : top + side, left : left + side] = image
        position += velocity
        for axis in range(2):
            if not 0 <= position[axis] <= room:
                velocity[axis] = -velocity[axis]
                position[axis] = np.clip(position[axis], 0, room)
    return frames


def write_clips(frame, folder, split, seed):
    """Write (or reuse) one MP4 per row; return the paths and the middle frames."""
    from skmm.datasets import write_video

    folder.mkdir(parents=True, exist_ok=True)
    paths, middles = [], []
    for row, image in enumerate(frame["image"]):
        rng = np.random.default_rng([seed, row, split == "test"])
        frames = digit_clip(image, rng)
        path = folder / f"{split}_{row}.mp4"
        if not path.exists():
            write_video(path.with_suffix(".tmp.mp4"), frames, fps=10)
            path.with_suffix(".tmp.mp4").replace(path)
        paths.append(str(path))
        middles.append(frames[len(frames) // 2])
    return paths, middles


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "skmm-benchmarks"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import (
        AudioFeaturizer,
        ImageNormalizer,
        MultimodalClassifier,
        MultimodalInput,
        VideoFrames,
    )

    start = time.perf_counter()
    print(f"moving_digits{' (SMOKE: figures mean nothing)' if args.smoke else ''}")
    print(environment())
    train, test = load(args.data_dir)
    extra = {}
    if args.smoke:
        train, test = (
            train.iloc[::30].reset_index(drop=True),
            test.iloc[::10].reset_index(drop=True),
        )
        extra = dict(epochs=1)
    folder = Path(args.cache_dir) / "moving_digits" / f"seed{args.seed}"
    if args.smoke:
        folder = folder / "smoke"
    t0 = time.perf_counter()
    for name, frame in (("train", train), ("test", test)):
        frame["video"], frame["frame"] = write_clips(frame, folder, name, args.seed)
    print(
        f"{len(train)} training pairs, {len(test)} test pairs, clips of 10-16 frames of "
        f"{CANVAS}x{CANVAS} in {folder} ({time.perf_counter() - t0:.0f} s to write or find)"
    )
    speech = ("speech", AudioFeaturizer(**AUDIO_SETTINGS), "clip")
    picture = ("picture", ImageNormalizer(size=(32, 32), channels=1), "frame")
    motion = ("motion", VideoFrames(**VIDEO_SETTINGS), "video")
    configurations = [
        ("audio only", [speech]),
        ("per-frame image (middle)", [picture]),
        ("video only", [motion]),
        ("fused (audio + video)", [speech, motion]),
    ]
    rows = []
    for label, blocks in configurations:
        t0 = time.perf_counter()
        model = make_pipeline(
            MultimodalInput(blocks), MultimodalClassifier(random_state=args.seed, **extra)
        ).fit(train, train["digit"])
        accuracy = model.score(test, test["digit"])
        loss = log_loss(test["digit"], model.predict_proba(test), labels=model.classes_)
        rows.append((label, accuracy, loss, model[-1].n_iter_, time.perf_counter() - t0))
        print(f"  {label:<26} {accuracy:.3f} (log loss {loss:.4f})", flush=True)

    t0 = time.perf_counter()
    features = MultimodalInput([speech, motion]).fit(train)

    def flat(frame):
        blocks = features.transform(frame)
        return np.hstack([blocks[name].reshape(len(frame), -1) for name in ("speech", "motion")])

    baseline = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    baseline.fit(flat(train), train["digit"])
    accuracy = baseline.score(flat(test), test["digit"])
    loss = log_loss(test["digit"], baseline.predict_proba(flat(test)), labels=baseline.classes_)
    rows.append(("LR on log-mels + frames", accuracy, loss, 0, time.perf_counter() - t0))

    print()
    print(f"TEST split ({len(test)} pairs), every skmm parameter at its default")
    header = (
        f"{'model':<26} {'accuracy':>8} {'errors':>6} {'log loss':>8} {'epochs':>6} {'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    errors = {}
    losses = {}
    for label, accuracy, loss, epochs, seconds in rows:
        errors[label], losses[label] = int(round((1 - accuracy) * len(test))), loss
        print(
            f"{label:<26} {accuracy:8.3f} {errors[label]:6d} {loss:8.4f} {epochs:6d} {seconds:7.0f}"
        )
    fused = (errors["fused (audio + video)"], losses["fused (audio + video)"])
    singles = min((errors[label], losses[label]) for label in ("audio only", "video only"))
    print(
        f"target (fused above both single modalities: fewer errors, or as few and a lower "
        f"log loss): fused {fused[0]} errors / {fused[1]:.4f}, better single {singles[0]} / "
        f"{singles[1]:.4f} -> {'MET' if fused < singles else 'NOT MET'}"
    )
    print(f"total run time: {time.perf_counter() - start:.0f} s")
    return rows


if __name__ == "__main__":
    main()
