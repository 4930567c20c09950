import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import make_column_selector
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmm import ImageNormalizer, MultimodalInput, TextTokenizer
from skmm.compose import BlockSpec, MultimodalBlocks
from tests.conftest import make_input


@pytest.fixture
def table():
    rng = np.random.RandomState(0)
    return pd.DataFrame(
        {
            "review": ["good shoes", "bad fit", "good fit", "lovely colour"],
            "photo": [rng.randint(0, 255, size=(10, 12, 3), dtype=np.uint8) for _ in range(4)],
            "price": [10.0, 12.0, 9.0, 11.0],
            "age": [20.0, 30.0, 40.0, 50.0],
            "size": ["S", "M", "L", "M"],
        }
    )


def simple_input():
    return MultimodalInput(
        [
            ("text", TextTokenizer(sequence_length=5), "review"),
            ("image", ImageNormalizer(size=(8, 8)), "photo"),
            ("numbers", StandardScaler(), ["price", "age"]),
            ("category", OneHotEncoder(), ["size"]),
        ]
    )


def test_blocks_keep_honest_dtypes_and_shapes(table):
    blocks = simple_input().fit_transform(table)
    assert isinstance(blocks, MultimodalBlocks)
    assert list(blocks) == ["text", "image", "numbers", "category"]
    assert blocks["text"].dtype == np.int32 and blocks["text"].shape == (4, 5)
    assert blocks["image"].dtype == np.float32 and blocks["image"].shape == (4, 8, 8, 3)
    assert blocks["numbers"].dtype == np.float32 and blocks["numbers"].shape == (4, 2)
    # OneHotEncoder's sparse output is densified into float32 features
    assert blocks["category"].dtype == np.float32 and blocks["category"].shape == (4, 3)
    np.testing.assert_allclose(blocks["category"].sum(axis=1), 1.0)


def test_specs_describe_each_block(table):
    pre = simple_input().fit(table)
    specs = pre.block_specs_
    assert specs["text"] == BlockSpec(
        "text",
        "text",
        (5,),
        "int32",
        vocabulary_size=pre.named_transformers_["text"].vocabulary_size_,
        presence=True,
    )
    assert specs["image"].kind == "image" and specs["image"].shape == (8, 8, 3)
    assert specs["numbers"].kind == "tabular" and specs["numbers"].shape == (2,)
    assert specs["category"].kind == "tabular" and specs["category"].shape == (3,)


def test_fit_then_transform_equals_fit_transform(table):
    a = simple_input().fit_transform(table)
    b = simple_input().fit(table).transform(table)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_nested_params_round_trip():
    pre = make_input()
    params = pre.get_params()
    assert params["text__max_tokens"] == 500
    pre.set_params(text__max_tokens=50, image__size=(8, 8))
    assert pre.transformers[0][1].max_tokens == 50
    assert pre.get_params()["image__size"] == (8, 8)
    assert clone(pre).get_params()["text__max_tokens"] == 50


def test_transform_ignores_extra_and_reordered_columns(table):
    pre = simple_input().fit(table)
    shuffled = table[["size", "age", "price", "photo", "review"]].assign(extra=1)
    np.testing.assert_array_equal(
        pre.transform(shuffled)["numbers"], pre.transform(table)["numbers"]
    )


def test_missing_column_at_transform_is_named(table):
    pre = simple_input().fit(table)
    with pytest.raises(ValueError, match=r"\['price'\].*missing"):
        pre.transform(table.drop(columns="price"))


def test_unknown_column_in_fit_is_named(table):
    pre = MultimodalInput([("numbers", StandardScaler(), ["price", "weight"])])
    with pytest.raises(ValueError, match=r"Block 'numbers'.*weight"):
        pre.fit(table)


def test_nan_in_tabular_block_names_block_and_row(table):
    table.loc[2, "age"] = np.nan
    pre = MultimodalInput([("numbers", StandardScaler(), ["price", "age"])])
    with pytest.raises(ValueError, match=r"Block 'numbers': row 2 .*NaN"):
        pre.fit(table)
    imputed = MultimodalInput(
        [("numbers", make_pipeline(SimpleImputer(), StandardScaler()), ["price", "age"])]
    )
    assert np.isfinite(imputed.fit_transform(table)["numbers"]).all()


def test_passthrough_drop_and_selector(table):
    pre = MultimodalInput(
        [
            ("raw", "passthrough", make_column_selector(dtype_include="number")),
            ("gone", "drop", ["review"]),
        ]
    )
    blocks = pre.fit_transform(table)
    assert list(blocks) == ["raw"]
    np.testing.assert_array_equal(blocks["raw"], table[["price", "age"]].to_numpy("float32"))


@pytest.mark.parametrize(
    "transformers, error",
    [
        ([], ValueError),
        ([("a", "scale", ["price"])], ValueError),
        ([("a", object(), ["price"])], TypeError),
        ([("a", StandardScaler(), ["price"]), ("a", StandardScaler(), ["age"])], ValueError),
        ([("a__b", StandardScaler(), ["price"])], ValueError),
        ([("a", "drop", ["price"])], ValueError),
    ],
)
def test_bad_transformer_lists_are_refused(table, transformers, error):
    with pytest.raises(error):
        MultimodalInput(transformers).fit(table)


def test_not_fitted_and_empty_input(table):
    with pytest.raises(NotFittedError):
        simple_input().transform(table)
    with pytest.raises(ValueError, match="empty"):
        simple_input().fit(table.iloc[:0])


def test_feature_names_and_html_repr(table):
    pre = simple_input().fit(table)
    names = pre.get_feature_names_out()
    assert list(names[:2]) == ["text__token_0", "text__token_1"]
    assert "numbers__price" in names and "category__size_M" in names
    assert not any(n.startswith("image__") for n in names)
    html = pre._repr_html_()
    for block in ("text", "image", "numbers", "category"):
        assert block in html
    assert list(pre.feature_names_in_) == list(table.columns)
    assert pre.n_features_in_ == 5


def test_pickle_round_trip(table):
    pre = simple_input().fit(table)
    again = pickle.loads(pickle.dumps(pre))
    for name, array in pre.transform(table).items():
        np.testing.assert_array_equal(again.transform(table)[name], array)


def test_blocks_container():
    blocks = MultimodalBlocks(
        {"a": np.arange(6, dtype="int32").reshape(3, 2), "b": np.ones((3, 1), "float32")},
        {
            "a": BlockSpec("a", "text", (2,), "int32", vocabulary_size=10),
            "b": BlockSpec("b", "tabular", (1,), "float32"),
        },
    )
    assert blocks.n_samples == 3 and len(blocks) == 2
    sub = blocks.take(np.array([True, False, True]))
    np.testing.assert_array_equal(sub["a"], [[0, 1], [4, 5]])
    assert set(blocks.to_dict()) == {"a", "b"}
    with pytest.raises(ValueError, match="same number of rows"):
        MultimodalBlocks({"a": np.ones((2, 1)), "b": np.ones((3, 1))}, blocks.specs)
    with pytest.raises(ValueError, match="vocabulary_size"):
        BlockSpec("t", "text", (2,), "int32")
    with pytest.raises(ValueError, match="kind"):
        BlockSpec("t", "hologram", (2,), "float32")


@pytest.mark.parametrize(
    "estimator",
    ["LogisticRegression", "RandomForestClassifier", "HistGradientBoostingClassifier"],
)
def test_blocks_fed_to_a_plain_estimator_say_what_to_use_instead(estimator):
    import sklearn.ensemble
    import sklearn.linear_model

    make = getattr(sklearn.linear_model, estimator, None) or getattr(sklearn.ensemble, estimator)
    X = pd.DataFrame({"x0": [0.0, 1.0, 2.0, 3.0], "x1": [1.0, 0.0, 1.0, 0.0]})
    y = [0, 1, 0, 1]
    pipeline = make_pipeline(MultimodalInput([("tab", StandardScaler(), ["x0", "x1"])]), make())
    with pytest.raises(TypeError, match="output of MultimodalInput") as info:
        pipeline.fit(X, y)
    message = str(info.value)
    assert "'tab'" in message and "ColumnTransformer" in message
    assert "MultimodalClassifier" in message
    blocks = MultimodalInput([("tab", StandardScaler(), ["x0", "x1"])]).fit_transform(X)
    with pytest.raises(TypeError, match="not one 2-D array"):
        np.asarray(blocks)
    # one block is an array as it is
    assert np.asarray(blocks["tab"]).shape == (4, 2)
