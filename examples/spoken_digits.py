"""Spoken digits: real recordings through AudioFeaturizer and the audio encoder.

Uses the Free Spoken Digit Dataset in ``../shared/data/spoken_digits``
(3,000 recordings, 8 kHz) with its official split: recordings with index 0-4
are the test set. Prints test accuracy and run time.

Run:  python examples/spoken_digits.py [--data-dir ../shared/data] [--smoke]
"""

import argparse
import re
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.pipeline import make_pipeline

from skmm import AudioFeaturizer, MultimodalClassifier, MultimodalInput

NAME = re.compile(r"(?P<digit>\d)_(?P<speaker>[a-z]+)_(?P<index>\d+)\.wav$")


def load(data_dir):
    folder = Path(data_dir) / "spoken_digits" / "recordings"
    if not folder.is_dir():
        sys.exit(f"No recordings in {folder}; pass --data-dir pointing at the shared data.")
    rows = [
        {"clip": str(path), **NAME.search(path.name).groupdict()}
        for path in sorted(folder.glob("*.wav"))
    ]
    frame = pd.DataFrame(rows).astype({"digit": int, "index": int})
    test = frame["index"] <= 4
    return frame[~test], frame[test]


def main(data_dir, smoke=False):
    start = time.perf_counter()
    train, test = load(data_dir)
    if smoke:
        train, test = train.iloc[::20], test.iloc[::10]
    model = make_pipeline(
        MultimodalInput(
            [("speech", AudioFeaturizer(sample_rate=8000, duration=0.8, n_mels=40), "clip")]
        ),
        MultimodalClassifier(
            epochs=2 if smoke else 30,
            learning_rate=2e-3,
            early_stopping=not smoke,
            n_iter_no_change=5,
            random_state=0,
        ),
    )
    model.fit(train[["clip"]], train["digit"])
    accuracy = model.score(test[["clip"]], test["digit"])
    print(f"{len(train)} training and {len(test)} test recordings")
    print(f"audio-only test accuracy: {accuracy:.3f}")
    print(f"run time: {time.perf_counter() - start:.0f} s")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=str(Path(__file__).parents[1] / ".." / "shared" / "data")
    )
    parser.add_argument("--smoke", action="store_true", help="tiny run, to check it works")
    args = parser.parse_args()
    main(args.data_dir, smoke=args.smoke)
