"""Training and predicting on lazily decoded image files."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import ImageNormalizer, MultimodalClassifier, MultimodalInput, TextTokenizer
from skmm.compose import is_lazy
from skmm.datasets import make_multimodal_classification
from tests.conftest import TINY


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    return make_multimodal_classification(
        n_samples=100, image_size=16, image_dir=folder, random_state=0
    )


def pipeline(lazy, **params):
    pre = MultimodalInput(
        [
            ("text", TextTokenizer(sequence_length=12), "caption"),
            ("image", ImageNormalizer(size=(16, 16), lazy=lazy), "image"),
            ("tabular", StandardScaler(), ["x0", "x1"]),
        ]
    )
    return make_pipeline(pre, MultimodalClassifier(**{**TINY, **params}))


def test_lazy_and_eager_blocks_give_identical_predictions(files):
    X, y = files
    eager = pipeline(False).fit(X, y)
    lazy_blocks = pipeline(True)[0].fit(X).transform(X)
    assert is_lazy(lazy_blocks["image"])
    np.testing.assert_array_equal(eager[-1].predict_proba(lazy_blocks), eager.predict_proba(X))


def test_training_on_lazy_blocks_matches_training_in_memory(files):
    X, y = files
    eager = pipeline(False, shuffle=False).fit(X, y)
    lazy = pipeline(True, shuffle=False).fit(X, y)
    # without shuffling, the two feeding paths (arrays through tf.data, decoded
    # batches through a PyDataset) give the same batches in the same order
    np.testing.assert_array_equal(lazy.predict_proba(X), eager.predict_proba(X))
    again = pipeline(True, shuffle=True).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(again, pipeline(True, shuffle=True).fit(X, y).predict_proba(X))


def test_lazy_blocks_with_early_stopping_and_sample_weight(files):
    X, y = files
    model = pipeline(True, epochs=6, early_stopping=True, n_iter_no_change=2)
    model.fit(X, y, multimodalclassifier__sample_weight=np.r_[np.zeros(10), np.ones(90)])
    clf = model[-1]
    assert "val_loss" in clf.history_ and clf.n_iter_ >= 1
    assert model.predict(X).shape == (100,)
    with pytest.raises(ValueError, match="validation_split cannot split lazy"):
        pipeline(True, validation_split=0.2).fit(X, y)
