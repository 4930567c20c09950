"""Write ``saved_pipeline_0_1_0_dev0.skmm`` and its predictions, the file that
``tests/test_persistence.py`` loads to prove that files saved by an earlier skmm
(here: before the public classes were saved under their public module names) still
load and predict the same. The predictions also pin what a seeded fit of the same
pipeline gives (``tests/estimators/test_scikeras_adapter.py``).

Run once, with the skmm release whose files are to be kept loadable:
    python tests/data/make_saved_pipeline.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmm
from skmm import MultimodalClassifier, MultimodalInput, TextTokenizer

HERE = Path(__file__).resolve().parent
FILE = HERE / "saved_pipeline_0_1_0_dev0.skmm"
PREDICTIONS = HERE / "saved_pipeline_0_1_0_dev0.proba.npy"


def frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    words = np.where(y == 1, "good", "bad")
    return (
        pd.DataFrame(
            {
                "note": [f"{w} item {i}" for i, w in enumerate(words)],
                "x": y + rng.normal(0, 0.5, n),
            }
        ),
        y,
    )


def pipeline():
    """The seeded pipeline saved in the file."""
    return make_pipeline(
        MultimodalInput(
            [
                ("note", TextTokenizer(sequence_length=4, char_ngrams=None), "note"),
                ("x", StandardScaler(), ["x"]),
            ]
        ),
        MultimodalClassifier(
            epochs=3,
            embedding_dim=4,
            text_encoder="lstm",
            text_units=4,
            tabular_units=(4,),
            hidden_units=(4,),
            random_state=0,
        ),
    )


def main():
    X, y = frame()
    model = pipeline().fit(X, y)
    skmm.save(model, FILE)
    np.save(PREDICTIONS, model.predict_proba(X))
    print(f"wrote {FILE} ({FILE.stat().st_size} bytes) with skmm {skmm.__version__}")


if __name__ == "__main__":
    main()
