"""Per-block encoder parameters routed as ``encoders__<block>__<name>``: named encoders
chosen block by block, built-in sizes tuned block by block, and encoder objects of
the user's whose parameters a search tunes."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from skmm import MultimodalClassifier, MultimodalRegressor
from skmm._compat import InvalidParameterError
from skmm.network import encoder_setting_names
from tests.conftest import make_input


@pytest.fixture(scope="module")
def blocks():
    rng = np.random.RandomState(0)
    X = {
        "title": rng.randint(0, 30, size=(64, 6)),
        "review": rng.randint(0, 30, size=(64, 10)),
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
    epochs=1,
    random_state=0,
)


def layer_names(clf):
    return {layer.name for layer in clf.model_.layers}


def test_each_kind_names_its_routed_settings_without_its_prefix():
    assert encoder_setting_names("text") == {
        "embedding_dim": "embedding_dim",
        "units": "text_units",
        "encoder": "text_encoder",
    }
    assert encoder_setting_names("image")["filters"] == "image_filters"
    assert encoder_setting_names("tabular") == {"units": "tabular_units"}


def test_one_text_block_gets_its_own_encoder_and_sizes(blocks):
    X, y = blocks
    clf = MultimodalClassifier(
        encoders__review__encoder="lstm", encoders__review__units=5, **SIZES
    ).fit(X, y)
    lstm = [layer for layer in clf.model_.layers if isinstance(layer, keras.layers.LSTM)]
    assert [layer.name for layer in lstm] == ["review_lstm"]
    assert lstm[0].units == 5
    # the other text block keeps the estimator-wide text_encoder ("bag")
    assert "title_bigram_embedding" in layer_names(clf)
    assert "review_bigram_embedding" not in layer_names(clf)


def test_routed_sizes_override_the_flat_ones_for_that_block_only(blocks):
    X, y = blocks
    clf = MultimodalClassifier(
        encoders__pictures__filters=(3, 5), encoders__numbers__units=(7,), **SIZES
    ).fit(X, y)
    convs = [layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.filters for layer in convs] == [3, 5]
    assert clf.model_.get_layer("numbers_dense0").units == 7


def test_routed_encoder_parameters_are_parameters(blocks):
    X, y = blocks
    clf = MultimodalClassifier(encoders__title__units=4, **SIZES)
    assert clf.get_params()["encoders__title__units"] == 4
    twin = clone(clf)
    assert twin.get_params()["encoders__title__units"] == 4
    twin.set_params(encoders__title__units=6)
    assert twin.encoders__title__units == 6 and clf.encoders__title__units == 4
    fitted = pickle.loads(pickle.dumps(twin.fit(X, y)))
    np.testing.assert_allclose(fitted.predict_proba(X), twin.predict_proba(X), rtol=1e-6)


def test_a_grid_search_tunes_one_blocks_encoder_in_a_pipeline(small_data):
    X, y = small_data
    search = GridSearchCV(
        make_pipeline(make_input(), MultimodalClassifier(**SIZES)),
        {
            "multimodalclassifier__encoders__text__encoder": ["bag", "gru"],
            "multimodalclassifier__encoders__text__units": [3],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    chosen = search.best_params_["multimodalclassifier__encoders__text__encoder"]
    best = search.best_estimator_[-1]
    assert best.encoders__text__units == 3
    gru = [layer for layer in best.model_.layers if isinstance(layer, keras.layers.GRU)]
    assert [layer.units for layer in gru] == ([3] if chosen == "gru" else [])


def test_routed_encoder_parameters_reach_the_regressor(small_data):
    X, y = small_data
    pipe = make_pipeline(make_input(), MultimodalRegressor(**SIZES))
    pipe.set_params(multimodalregressor__encoders__image__filters=(2,))
    pipe.fit(X, y.astype("float32"))
    convs = [layer for layer in pipe[-1].model_.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.filters for layer in convs] == [2]


@pytest.mark.parametrize(
    "routed, message",
    [
        ({"encoders__sounds__units": 4}, r"encoders__sounds__units.*'sounds'.*'title'"),
        ({"encoders__title__filters": 4}, r"encoders__title__filters.*text.*embedding_dim"),
        ({"encoders__pictures__filters": (0,)}, r"encoders__pictures__filters"),
        ({"encoders__title__encoder": "nonesuch"}, r"encoders__title__encoder.*'bag'"),
        ({"encoders__title": 4}, r"encoders__title.*encoders__<block>__<name>"),
    ],
)
def test_a_bad_routed_encoder_parameter_is_a_parameter_error(blocks, routed, message):
    X, y = blocks
    clf = MultimodalClassifier(**routed, **SIZES)
    with pytest.raises(InvalidParameterError, match=message):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


class WideDense(BaseEstimator):
    """A user's encoder whose width a search can tune: flatten, then one Dense layer."""

    def __init__(self, units=2, activation="relu"):
        self.units = units
        self.activation = activation

    def __call__(self, inputs):
        x = keras.layers.Flatten(name="wide_flat")(inputs)
        return keras.layers.Dense(self.units, self.activation, name="wide_dense")(x)


def test_an_encoder_object_of_the_users_is_tuned_through_the_routing(small_data):
    X, y = small_data
    mine = WideDense(units=2)
    pipe = make_pipeline(
        make_input(), MultimodalClassifier(block_encoders={"tabular": mine}, **SIZES)
    )
    grid = {"multimodalclassifier__encoders__tabular__units": [3, 6]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    best = search.best_estimator_[-1]
    assert best.model_.get_layer("wide_dense").units == best.encoders__tabular__units
    assert mine.units == 2  # the object given is never changed: a clone is set
    assert sorted(search.cv_results_["param_multimodalclassifier__encoders__tabular__units"]) == [
        3,
        6,
    ]


def test_routing_to_an_encoder_without_parameters_says_so(blocks):
    X, y = blocks
    dense = keras.layers.Dense(3, name="numbers_plain")
    clf = MultimodalClassifier(
        block_encoders={"numbers": dense}, encoders__numbers__units=4, **SIZES
    )
    with pytest.raises(InvalidParameterError, match=r"encoders__numbers__units.*get_params"):
        clf.fit(X, y)
    bad = MultimodalClassifier(
        block_encoders={"numbers": WideDense()}, encoders__numbers__width=4, **SIZES
    )
    with pytest.raises(InvalidParameterError, match=r"encoders__numbers__width.*units"):
        bad.fit(X, y)


def test_the_lambda_path_builds_with_the_routed_settings(blocks):
    from skmm import MultimodalClassifierCV

    X, y = blocks
    X = {"numbers": X["numbers"]}
    clf = MultimodalClassifierCV(
        l2s=[1e-4, 1e-2], cv=2, epochs=1, path_epochs=1, encoders__numbers__units=(5,)
    ).fit(X, y)
    assert clf.model_.get_layer("numbers_dense0").units == 5
    assert clone(clf).get_params()["encoders__numbers__units"] == (5,)
