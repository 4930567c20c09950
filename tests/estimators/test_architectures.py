"""Every fusion and every text encoder as an estimator: fits, clones, pickles; per-block λ."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skmm import MultimodalClassifier
from skmm.network import FUSIONS, TEXT_ENCODERS
from tests.conftest import make_input


@pytest.fixture(scope="module")
def blocks():
    rng = np.random.RandomState(0)
    X = {
        "words": rng.randint(0, 30, size=(64, 6)),
        "pictures": rng.rand(64, 8, 8, 1).astype("float32"),
        "numbers": rng.normal(size=(64, 3)).astype("float32"),
    }
    y = (X["numbers"][:, 0] > 0).astype(int)
    return X, y


SIZES = dict(
    embedding_dim=8,
    text_units=8,
    image_filters=(4,),
    tabular_units=(4,),
    hidden_units=(8,),
    fusion_units=8,
    epochs=1,
    batch_size=32,
    random_state=0,
)


#: Every fusion with the default text encoder, and every text encoder under the fusion
#: that treats the blocks' features as a sequence (attention): the encoders hand the
#: fusion one feature vector per block, whichever the pair.
ARCHITECTURES = sorted(
    {(fusion, "bag") for fusion in FUSIONS} | {("attention", enc) for enc in TEXT_ENCODERS}
)


@pytest.mark.parametrize("fusion, text_encoder", ARCHITECTURES)
def test_every_architecture_fits_clones_and_pickles(blocks, fusion, text_encoder):
    X, y = blocks
    clf = MultimodalClassifier(fusion=fusion, text_encoder=text_encoder, **SIZES).fit(X, y)
    assert "Lambda" not in {type(layer).__name__ for layer in clf.model_.layers}
    proba = clf.predict_proba(X)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    twin = clone(clf)
    assert twin.get_params()["fusion"] == fusion and not hasattr(twin, "model_")


def test_per_block_l2_is_a_flat_tunable_parameter(blocks):
    X, y = blocks
    clf = MultimodalClassifier(l2=1e-4, l2__pictures=0.5, **SIZES)
    assert clf.get_params()["l2__pictures"] == 0.5
    clf.fit(X, y)
    conv = clf.model_.get_layer("pictures_conv0")
    head = clf.model_.get_layer("head_dense0")
    assert conv.kernel_regularizer.l2 == pytest.approx(0.5)
    assert head.kernel_regularizer.l2 == pytest.approx(1e-4)
    with pytest.raises(ValueError, match=r"unknown blocks \['sounds'\]"):
        MultimodalClassifier(l2__sounds=0.1, **SIZES).fit(X, y)


def test_grid_search_tunes_one_blocks_l2(small_data):
    X, y = small_data
    model = make_pipeline(make_input(), MultimodalClassifier(**SIZES))
    grid = {"multimodalclassifier__l2__image": [1e-5, 1e-1]}
    search = GridSearchCV(model, grid, cv=2).fit(X, y)
    assert search.best_params_["multimodalclassifier__l2__image"] in (1e-5, 1e-1)
    assert search.best_estimator_[-1].model_.get_layer("image_conv0").kernel_regularizer.l2 == (
        pytest.approx(search.best_params_["multimodalclassifier__l2__image"])
    )


def test_unknown_architecture_names_are_refused(blocks):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = blocks
    # scikit-learn's error for a bad parameter: a ValueError and a TypeError both
    with pytest.raises(InvalidParameterError, match="fusion"):
        MultimodalClassifier(fusion="sum", **SIZES).fit(X, y)
    with pytest.raises(ValueError, match="text_encoder|text encoder"):
        MultimodalClassifier(text_encoder="bert", **SIZES).fit(X, y)
    with pytest.raises(InvalidParameterError, match="unknown blocks"):
        MultimodalClassifier(l2__sound=1e-3, **SIZES).fit(X, y)
