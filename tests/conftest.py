import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Tiny, fast network sizes shared by the tests (a real network, just small).
TINY = dict(
    embedding_dim=8,
    text_units=8,
    image_filters=(8, 16),
    tabular_units=(8,),
    hidden_units=(16,),
    dropout=0.1,
    epochs=3,
    batch_size=32,
    random_state=0,
)


@pytest.fixture(autouse=True)
def _seed_numpy():
    np.random.seed(0)


@pytest.fixture(scope="session")
def small_data():
    """A small seeded multimodal table (text, 16×16 images, numbers) and labels."""
    from skmm.datasets import make_multimodal_classification

    return make_multimodal_classification(n_samples=160, image_size=16, random_state=0)


def make_input(sequence_length=12, image_size=16):
    from sklearn.preprocessing import StandardScaler

    from skmm import ImageNormalizer, MultimodalInput, TextTokenizer

    return MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=500, sequence_length=sequence_length), "caption"),
            ("image", ImageNormalizer(size=(image_size, image_size)), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )


@pytest.fixture(scope="session")
def fitted_pipeline(small_data):
    """A fitted text + image + tabular pipeline, shared (do not refit it)."""
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifier

    X, y = small_data
    return make_pipeline(make_input(), MultimodalClassifier(**TINY)).fit(X, y)
