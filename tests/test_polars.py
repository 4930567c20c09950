"""polars input gives what the same pandas input gives: blocks, fits, predictions, errors.

Each table is built twice from the same Python values, once as a pandas
DataFrame (text and bytes as object columns) and once as a polars DataFrame
(String, Binary, List / Array, Categorical / Enum columns, nulls), and the
tests compare what skmm makes of the two.
"""

import io
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skmm
from skmm import AudioFeaturizer, ImageNormalizer, MultimodalInput, TextTokenizer
from skmm.datasets import make_multimodal_classification
from tests.conftest import TINY

pl = pytest.importorskip("polars")

#: the fused head alone (no balancing heads): what is tested is the input, not the network
FIT = {**TINY, "epochs": 1, "batch_size": 16, "text_encoder": "cnn", "balance": None}
N_ROWS = 48
NO_FEATURE_NAMES = "X does not have valid feature names"


# -- the same table in both libraries ------------------------------------------------------


def leaf_dtype(dtype):
    """NumPy dtype of the numbers inside a polars List / Array dtype."""
    while isinstance(dtype, pl.List | pl.Array):
        dtype = dtype.inner
    return {pl.UInt8: np.uint8, pl.Float32: np.float32, pl.Float64: np.float64}[dtype]


def pandas_frame(columns):
    """pandas DataFrame from ``{name: (values, polars dtype)}``: numbers and booleans as
    NumPy columns, categories as ``Categorical``, anything else as an object column
    (nested lists as arrays of the polars element type)."""
    data = {}
    for name, (values, dtype) in columns.items():
        if dtype == pl.Categorical or isinstance(dtype, pl.Enum):
            categories = dtype.categories.to_list() if isinstance(dtype, pl.Enum) else None
            data[name] = pd.Categorical(values, categories=categories)
        elif dtype.is_numeric() or dtype == pl.Boolean:
            data[name] = pd.Series(values, dtype="float64" if None in values else None)
        else:
            cells = np.empty(len(values), dtype=object)
            for k, value in enumerate(values):
                if isinstance(value, list):
                    try:
                        value = np.asarray(value, dtype=leaf_dtype(dtype))
                    except ValueError:  # ragged: stays a list
                        pass
                cells[k] = value
            data[name] = pd.Series(cells, dtype=object)
    return pd.DataFrame(data)


def polars_frame(columns):
    return pl.DataFrame(
        [pl.Series(name, values, dtype=dtype) for name, (values, dtype) in columns.items()]
    )


def frame(library, columns):
    return pandas_frame(columns) if library == "pandas" else polars_frame(columns)


def both(columns):
    return pandas_frame(columns), polars_frame(columns)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """Real PNG files (a paths column), their bytes (a Binary column), text, numbers, an
    Enum, a few nulls: ``{name: (values, polars dtype)}``; and the labels."""
    directory = tmp_path_factory.mktemp("images")
    X, y = make_multimodal_classification(
        n_samples=N_ROWS, image_size=16, image_dir=directory, random_state=0
    )
    captions = X["caption"].tolist()
    captions[3] = None  # missing text: all padding, presence 0
    captions[7] = ""
    paths = X["image"].tolist()
    paths[5] = None  # missing image: zeros, presence 0 (missing="zeros")
    columns = {
        "caption": (captions, pl.String),
        "image": (paths, pl.String),
        "photo": ([Path(p).read_bytes() for p in X["image"]], pl.Binary),
        "x0": (X["x0"].tolist(), pl.Float64),
        "x1": (X["x1"].tolist(), pl.Float64),
        "size": ([("S", "M", "L")[k % 3] for k in range(N_ROWS)], pl.Enum(["S", "M", "L"])),
    }
    return columns, y.to_numpy()


def make_pre():
    return MultimodalInput(
        [
            ("text", TextTokenizer(max_tokens=200, sequence_length=8), "caption"),
            ("image", ImageNormalizer(size=(16, 16), missing="zeros"), "image"),
            ("photo", ImageNormalizer(size=(8, 8)), "photo"),
            ("numbers", StandardScaler(), ["x0", "x1"]),
            ("size", OneHotEncoder(), ["size"]),
        ]
    )


def make_model(**params):
    from skmm import MultimodalClassifier

    return make_pipeline(make_pre(), MultimodalClassifier(**{**FIT, **params}))


def assert_same_blocks(a, b):
    assert list(a) == list(b) and a.specs == b.specs
    for name in a:
        assert a[name].dtype == b[name].dtype
        np.testing.assert_array_equal(a[name], b[name])
    assert a.masks.keys() == b.masks.keys()
    for name in a.masks:
        np.testing.assert_array_equal(a.masks[name], b.masks[name])


def same_error(call, pandas_input, polars_input, error=(TypeError, ValueError)):
    """Both inputs raise the same exception type with the same message; returns it."""
    with pytest.raises(error) as on_pandas:
        call(pandas_input)
    with pytest.raises(error) as on_polars:
        call(polars_input)
    assert type(on_polars.value) is type(on_pandas.value)
    assert str(on_polars.value) == str(on_pandas.value)
    return str(on_polars.value)


# -- importing and converting --------------------------------------------------------------


def test_import_skmm_does_not_import_polars():
    code = (
        "import sys, pandas as pd, skmm\n"
        "pre = skmm.MultimodalInput([('t', skmm.TextTokenizer(), 'a')])\n"
        "pre.fit_transform(pd.DataFrame({'a': ['x y', 'y']}))\n"
        "assert 'polars' not in sys.modules, 'polars was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_polars_input_needs_no_pyarrow():
    code = (
        "import sys\n"
        "sys.modules['pyarrow'] = None  # every import of pyarrow fails\n"
        "import numpy as np, polars as pl, skmm\n"
        "from skmm._dataframes import as_pandas\n"
        "X = pl.DataFrame({'a': ['x y', None], 'b': [1.0, 2.0], 'c': [b'1', None],\n"
        "                  'd': pl.Series([[1, 2], None], dtype=pl.List(pl.Int16)),\n"
        "                  'e': pl.Series(['u', None], dtype=pl.Categorical)})\n"
        "assert as_pandas(X, 'test').shape == (2, 5)\n"
        "blocks = skmm.MultimodalInput([('t', skmm.TextTokenizer(sequence_length=64), 'a'),\n"
        "                               ('n', 'passthrough', ['b'])]).fit_transform(X)\n"
        "assert blocks['t'].shape == (2, 64) and blocks['n'].shape == (2, 1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dtype_mapping():
    from skmm._dataframes import as_pandas

    pixels = np.arange(6, dtype=np.uint8).reshape(2, 3)
    X = pl.DataFrame(
        [
            pl.Series("text", ["a", None], dtype=pl.String),
            pl.Series("bytes", [b"\x89PNG", None], dtype=pl.Binary),
            pl.Series("int", [1, 2], dtype=pl.Int32),
            pl.Series("int_null", [1, None], dtype=pl.Int64),
            pl.Series("float", [0.5, None], dtype=pl.Float32),
            pl.Series("flag", [True, False], dtype=pl.Boolean),
            pl.Series("category", ["b", None], dtype=pl.Categorical),
            pl.Series("enum", ["lo", "hi"], dtype=pl.Enum(["lo", "hi", "mid"])),
            pl.Series("samples", [[1, 2, 3], None], dtype=pl.List(pl.Int16)),
            pl.Series("pixels", [pixels, None], dtype=pl.Array(pl.UInt8, (2, 3))),
            pl.Series(
                "nested", [[[1, 2], [3, 4]], [[1], [2, 3]]], dtype=pl.List(pl.List(pl.UInt8))
            ),
        ]
    )
    P = as_pandas(X, "test")
    assert isinstance(P, pd.DataFrame) and isinstance(P.index, pd.RangeIndex)
    assert list(P.columns) == X.columns
    assert P["text"].dtype == object and P["text"].tolist() == ["a", None]
    assert P["bytes"].dtype == object and P["bytes"].tolist() == [b"\x89PNG", None]
    assert P["int"].dtype == np.int32 and P["flag"].dtype == bool
    assert P["int_null"].dtype == np.float64 and np.isnan(P["int_null"][1])
    assert P["float"].dtype == np.float32 and np.isnan(P["float"][1])
    assert isinstance(P["category"].dtype, pd.CategoricalDtype) and pd.isna(P["category"][1])
    assert list(P["enum"].cat.categories) == ["lo", "hi", "mid"]
    assert P["samples"][0].dtype == np.int16 and P["samples"][1] is None
    np.testing.assert_array_equal(P["pixels"][0], pixels)
    assert P["pixels"][0].dtype == np.uint8 and P["pixels"][1] is None
    assert P["nested"][0].shape == (2, 2) and P["nested"][0].dtype == np.uint8
    assert P["nested"][1] == [[1], [2, 3]]  # ragged: left as it is, for the transformer to name
    y = as_pandas(pl.Series([1, 2]), "test")
    assert isinstance(y, pd.Series) and y.name is None
    assert as_pandas(P, "test") is P


@pytest.mark.parametrize(
    "transformer",
    [
        TextTokenizer(),
        ImageNormalizer(),
        AudioFeaturizer(),
        MultimodalInput([("t", TextTokenizer(), "a")]),
    ],
    ids=lambda transformer: type(transformer).__name__,
)
def test_a_lazy_frame_is_refused_with_a_collect_hint(transformer):
    with pytest.raises(TypeError, match=r"polars LazyFrame.*\.collect\(\)"):
        transformer.fit(pl.DataFrame({"a": ["x y"]}).lazy())


# -- the transformers ----------------------------------------------------------------------


def test_text_tokenizer(table):
    captions = {"caption": table[0]["caption"]}
    pandas_X, polars_X = both(captions)
    expected = TextTokenizer(sequence_length=8).fit_transform(pandas_X["caption"])
    assert not expected[[3, 7]].any()  # None and "" are all padding
    for X in (polars_X["caption"], polars_X):
        tokenizer = TextTokenizer(sequence_length=8).fit(X)
        np.testing.assert_array_equal(tokenizer.transform(X), expected)
    assert list(tokenizer.feature_names_in_) == ["caption"]
    renamed = {"review": captions["caption"]}
    same_error(
        TextTokenizer().fit(pandas_X).transform, pandas_frame(renamed), polars_frame(renamed)
    )


def test_image_normalizer_on_paths_bytes_and_arrays(table):
    columns = table[0]
    pixels = ImageNormalizer(size=(4, 4)).fit_transform(columns["photo"][0][:6])
    arrays = [np.round(image * 255).astype(np.uint8) for image in pixels]
    cells = {
        "paths": (columns["image"][0][:6], pl.String),  # row 5 is null
        "bytes": (columns["photo"][0][:6], pl.Binary),
        "stack": ([*arrays[:2], None, *arrays[3:]], pl.Array(pl.UInt8, (4, 4, 3))),
        "lists": ([image.tolist() for image in arrays], pl.List(pl.List(pl.List(pl.UInt8)))),
    }
    pandas_X, polars_X = both(cells)
    for name in cells:
        normalizer = ImageNormalizer(size=(8, 8), missing="zeros")
        expected = normalizer.fit_transform(pandas_X[name])
        np.testing.assert_array_equal(normalizer.fit_transform(polars_X[name]), expected)
        np.testing.assert_array_equal(normalizer.fit_transform(polars_X[[name]]), expected)
        assert list(normalizer.feature_names_in_) == [name]
    stack = ImageNormalizer(size=(8, 8), missing="zeros").fit_transform(polars_X["stack"])
    assert not stack[2].any() and stack[3].any()  # a null row: all zeros


def test_audio_featurizer_on_samples_and_bytes():
    sf = pytest.importorskip("soundfile")
    rng = np.random.default_rng(0)
    clips = [rng.normal(size=2000).astype(np.float32) * 0.1 for _ in range(4)]
    encoded = []
    for clip in clips:
        buffer = io.BytesIO()
        sf.write(buffer, clip, 8000, format="WAV", subtype="FLOAT")
        encoded.append(buffer.getvalue())
    samples = [clip.tolist() for clip in clips]
    cells = {
        "samples": ([samples[0], None, *samples[2:]], pl.List(pl.Float32)),
        "fixed": (samples, pl.Array(pl.Float32, 2000)),
        "wav": ([*encoded[:3], None], pl.Binary),
    }
    pandas_X, polars_X = both(cells)
    for name in cells:
        featurizer = AudioFeaturizer(sample_rate=8000, duration=0.25, n_mels=8, missing="zeros")
        expected = featurizer.fit_transform(pandas_X[name])
        np.testing.assert_array_equal(featurizer.fit_transform(polars_X[name]), expected)
        np.testing.assert_array_equal(featurizer.transform(polars_X[[name]]), expected)
    with pytest.raises(ValueError, match=r"column 'wav', row 3 \(index label 3\) is missing"):
        AudioFeaturizer(sample_rate=8000, duration=0.25, n_mels=8, missing="error").fit(
            polars_X["wav"]
        )


@pytest.mark.parametrize(
    "transformer, cells, row",
    [
        (ImageNormalizer(), (["missing.png"], pl.String), 0),
        (ImageNormalizer(missing="zeros"), ([None, "missing.png"], pl.String), 1),
        (ImageNormalizer(missing="error"), ([None, b"not an image"], pl.Binary), 0),
        (
            ImageNormalizer(),
            ([[[0, 0], [0, 0]], [[1], [2, 3]]], pl.List(pl.List(pl.UInt8))),
            1,
        ),
        (ImageNormalizer(missing="zeros"), ([None, b""], pl.Binary), 1),
        (TextTokenizer(), ([None, None, b"caf\xe9 \xff"], pl.Binary), 2),
        (AudioFeaturizer(missing="zeros"), ([None, [0.1, float("nan")]], pl.List(pl.Float64)), 1),
    ],
    ids=["missing file", "missing file, zeros", "null", "ragged", "bytes", "bytes as text", "nan"],
)
def test_errors_name_the_column_and_the_row_as_on_pandas(transformer, cells, row, tmp_path):
    values, dtype = cells
    if dtype == pl.String:
        values = [None if v is None else str(tmp_path / v) for v in values]
    pandas_X, polars_X = both({"cell": (values, dtype)})
    text = same_error(transformer.fit_transform, pandas_X, polars_X)
    assert f"column 'cell', row {row} (index label {row})" in text


# -- MultimodalInput -----------------------------------------------------------------------


def test_multimodal_input_gives_the_same_blocks(table):
    pandas_X, polars_X = both(table[0])
    expected = make_pre().fit_transform(pandas_X)
    pre = make_pre()
    assert_same_blocks(pre.fit_transform(polars_X), expected)
    assert list(pre.feature_names_in_) == list(pandas_X.columns) and pre.n_features_in_ == 6
    assert_same_blocks(pre.transform(polars_X), expected)
    assert_same_blocks(make_pre().fit(polars_X).transform(pandas_X), expected)
    # extra and reordered columns are ignored / matched by name
    shuffled = polars_X.select(reversed(polars_X.columns)).with_columns(pl.lit(1).alias("extra"))
    assert_same_blocks(pre.transform(shuffled), expected)
    assert not expected["text"][3].any() and expected.masks["text"][[3, 7]].tolist() == [0, 0]
    assert expected.masks["image"][5] == 0 and not expected["image"][5].any()


def test_column_selection_by_position_and_by_callable(table):
    pandas_X, polars_X = both(table[0])

    def pre():
        return MultimodalInput(
            [
                ("text", TextTokenizer(sequence_length=8), 0),
                ("numbers", StandardScaler(), make_column_selector(dtype_include=np.number)),
                ("size", OneHotEncoder(), [5]),
            ]
        )

    expected = pre().fit_transform(pandas_X)
    assert expected["numbers"].shape == (N_ROWS, 2)
    fitted = pre().fit(polars_X)
    assert_same_blocks(fitted.transform(polars_X), expected)


def test_transform_converts_only_the_columns_it_reads(table, monkeypatch):
    import skmm._dataframes as dataframes

    pre = make_pre().fit(polars_frame(table[0]))
    polars_X = polars_frame(table[0]).with_columns(pl.lit(0).alias("unused"))
    converted = []
    original = dataframes._pandas_series

    def spy(series, index, name):
        converted.append(name)
        return original(series, index, name)

    monkeypatch.setattr(dataframes, "_pandas_series", spy)
    pre.transform(polars_X)
    assert converted == ["caption", "image", "photo", "x0", "x1", "size"]


def test_missing_columns_and_null_numbers_fail_as_on_pandas(table):
    columns = table[0]
    pandas_X, polars_X = both(columns)
    pre = make_pre().fit(pandas_X)
    text = same_error(pre.transform, pandas_X.drop(columns="photo"), polars_X.drop("photo"))
    assert "['photo']" in text and "missing" in text
    x1 = list(columns["x1"][0])
    x1[4] = None
    nulls = {**columns, "x1": (x1, pl.Float64)}
    text = same_error(pre.transform, *both(nulls))
    assert text.startswith("Block 'numbers': row 4 (index 4) holds NaN or infinite values")
    imputed = MultimodalInput(
        [("numbers", make_pipeline(SimpleImputer(), StandardScaler()), ["x0", "x1"])]
    )
    assert_same_blocks(
        imputed.fit_transform(polars_frame(nulls)), imputed.fit_transform(pandas_frame(nulls))
    )


def test_categorical_enum_boolean_and_integer_columns():
    values = ["b", "a", None, "b", "c", "a"]
    tabular = {
        "category": (values, pl.Categorical),
        "enum": (values, pl.Enum(["c", "b", "a"])),
        "count": ([1, None, 3, 4, 5, 6], pl.Int64),
        "flag": ([True, False, True, True, False, False], pl.Boolean),
    }
    pandas_X, polars_X = both(tabular)

    def pre():
        return MultimodalInput(
            [
                ("category", OneHotEncoder(handle_unknown="ignore"), ["category"]),
                ("enum", OneHotEncoder(), ["enum"]),
                ("count", SimpleImputer(), ["count"]),
                ("flag", "passthrough", ["flag"]),
            ]
        )

    assert_same_blocks(pre().fit_transform(polars_X), pre().fit_transform(pandas_X))


# -- estimators and scikit-learn tools -----------------------------------------------------


@pytest.fixture(scope="module")
def fitted(table):
    """The same seeded network fitted on pandas and on polars input (polars y and weights)."""
    columns, y = table
    pandas_X, polars_X = both(columns)
    weights = np.linspace(0.5, 1.5, N_ROWS)
    on_pandas = make_model().fit(pandas_X, y, multimodalclassifier__sample_weight=weights)
    on_polars = make_model().fit(
        polars_X,
        pl.Series("label", y),
        multimodalclassifier__sample_weight=pl.Series("w", weights),
    )
    return on_pandas, on_polars, pandas_X, polars_X, y


def test_fit_on_polars_gives_bit_identical_predictions(fitted):
    on_pandas, on_polars, pandas_X, polars_X, y = fitted
    expected = on_pandas.predict_proba(pandas_X)
    np.testing.assert_array_equal(on_polars.predict_proba(polars_X), expected)
    np.testing.assert_array_equal(on_polars.predict_proba(pandas_X), expected)
    assert isinstance(on_polars.predict(polars_X), np.ndarray)
    np.testing.assert_array_equal(on_polars.predict(polars_X), on_pandas.predict(pandas_X))
    weights = pl.Series("w", np.arange(N_ROWS) % 3)
    assert on_polars.score(polars_X, pl.Series(y), sample_weight=weights) == on_pandas.score(
        pandas_X, y, sample_weight=weights.to_numpy()
    )


def test_partial_fit(table):
    columns, y = table
    from skmm import MultimodalClassifier

    results = []
    for library in ("pandas", "polars"):
        X = frame(library, columns)
        labels = y if library == "pandas" else pl.Series("label", y)
        blocks = make_pre().fit_transform(X)
        clf = MultimodalClassifier(**FIT)
        clf.partial_fit(blocks, labels, classes=[0, 1]).partial_fit(blocks, labels)
        results.append(clf.predict_proba(blocks))
    np.testing.assert_array_equal(*results)


def test_multi_task_target_from_a_polars_frame(fitted):
    _, on_polars, pandas_X, polars_X, y = fitted
    blocks = on_polars[0].transform(polars_X)
    tasks = {"label": y, "size": np.asarray(polars_X["size"].to_list())}
    from skmm import MultimodalClassifier

    on_pandas = MultimodalClassifier(**FIT).fit(blocks, pd.DataFrame(tasks))
    clf = MultimodalClassifier(**FIT).fit(blocks, pl.DataFrame(tasks))
    assert clf.task_names_ == ["label", "size"]
    np.testing.assert_array_equal(clf.predict(blocks), on_pandas.predict(blocks))
    for mine, theirs in zip(
        clf.predict_proba(blocks), on_pandas.predict_proba(blocks), strict=True
    ):
        np.testing.assert_array_equal(mine, theirs)
    assert clf.score(blocks, pl.DataFrame(tasks)) == on_pandas.score(blocks, pd.DataFrame(tasks))


def test_regressor_on_a_plain_polars_table_and_targets():
    from skmm import MultimodalRegressor

    rng = np.random.default_rng(0)
    numbers = {f"x{j}": rng.normal(size=40) for j in range(3)}
    targets = {"a": numbers["x0"] * 2, "b": numbers["x1"] - numbers["x2"]}
    on_pandas = MultimodalRegressor(**FIT).fit(pd.DataFrame(numbers), pd.DataFrame(targets))
    reg = MultimodalRegressor(**FIT).fit(pl.DataFrame(numbers), pl.DataFrame(targets))
    assert list(reg.feature_names_in_) == ["x0", "x1", "x2"] and reg.n_features_in_ == 3
    expected = on_pandas.predict(pd.DataFrame(numbers))
    np.testing.assert_array_equal(reg.predict(pl.DataFrame(numbers)), expected)
    assert reg.score(pl.DataFrame(numbers), pl.DataFrame(targets)) == on_pandas.score(
        pd.DataFrame(numbers), pd.DataFrame(targets)
    )
    with pytest.raises(TypeError, match=r"MultimodalRegressor got a polars LazyFrame"):
        reg.predict(pl.DataFrame(numbers).lazy())


def test_missing_labels_and_single_class_fail_as_on_pandas(fitted):
    _, on_polars, pandas_X, polars_X, y = fitted
    blocks = on_polars[0].transform(polars_X)
    from skmm import MultimodalClassifier

    labels = y.astype(float)
    labels[5] = np.nan
    text = same_error(
        lambda target: MultimodalClassifier(**FIT).fit(blocks, target),
        pd.Series(labels),
        pl.Series(labels.tolist()).fill_nan(None),
    )
    assert "row 5 (index label 5)" in text
    text = same_error(
        lambda target: MultimodalClassifier(**FIT).fit(blocks, target),
        pd.DataFrame({"label": y, "other": np.where(np.arange(N_ROWS) == 9, None, y)}),
        pl.DataFrame({"label": y, "other": np.where(np.arange(N_ROWS) == 9, None, y)}),
    )
    assert "row 9 (index label 9), target column 'other'" in text


def test_grid_search_and_cross_val_score_with_polars_input(table):
    columns, y = table
    pandas_X, polars_X = both(columns)
    cv = KFold(2, shuffle=True, random_state=0)
    grid = {"multimodalclassifier__l2": [1e-3]}
    splits = [f"split{k}_test_score" for k in range(2)]
    scores = []
    for X, labels in ((pandas_X, y), (polars_X, pl.Series("label", y))):
        search = GridSearchCV(make_model(), grid, cv=cv, refit=False).fit(X, labels)
        scores.append([search.cv_results_[split][0] for split in splits])
    assert scores[0] == scores[1]
    on_polars = cross_val_score(make_model(l2=1e-3), polars_X, pl.Series(y), cv=cv)
    assert on_polars.tolist() == scores[0]


def test_permutation_importance_with_polars_input(fitted):
    # scikit-learn turns a polars DataFrame into a 2-D object array here; MultimodalInput
    # takes its columns in the order seen in fit, with scikit-learn's usual warning.
    on_pandas, on_polars, pandas_X, polars_X, y = fitted
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=NO_FEATURE_NAMES, category=UserWarning)
        mine = permutation_importance(
            on_polars, polars_X, pl.Series(y), n_repeats=2, random_state=0
        )
    theirs = permutation_importance(on_pandas, pandas_X, y, n_repeats=2, random_state=0)
    np.testing.assert_array_equal(mine.importances, theirs.importances)


def test_an_unnamed_table_must_match_the_fitted_width(fitted):
    on_polars, polars_X = fitted[1], fitted[3]
    array = polars_X.to_numpy()
    with pytest.warns(UserWarning, match=NO_FEATURE_NAMES):
        blocks = on_polars[0].transform(array)
    assert_same_blocks(blocks, on_polars[0].transform(polars_X))
    with pytest.raises(ValueError, match="X has 5 features, but MultimodalInput is expecting 6"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=NO_FEATURE_NAMES, category=UserWarning)
            on_polars[0].transform(array[:, :5])


def test_save_load_and_serving_inputs_on_polars_rows(fitted, tmp_path):
    _, on_polars, pandas_X, polars_X, _ = fitted
    path = tmp_path / "model.skmm"
    skmm.save(on_polars, path)
    loaded = skmm.load(path)
    np.testing.assert_array_equal(
        loaded.predict_proba(polars_X[:10]), on_polars.predict_proba(polars_X[:10])
    )
    served = skmm.serving_inputs(on_polars, polars_X[:10])
    expected = skmm.serving_inputs(on_polars, pandas_X[:10])
    assert list(served) == list(expected)
    for name in served:
        np.testing.assert_array_equal(served[name], expected[name])


# -- the dataset generator -----------------------------------------------------------------


def test_generator_polars_output_holds_the_pandas_values(tmp_path):
    from skmm._dataframes import as_pandas

    X, y = make_multimodal_classification(n_samples=6, image_size=8, random_state=0)
    Xl, yl = make_multimodal_classification(
        n_samples=6, image_size=8, random_state=0, output="polars"
    )
    assert isinstance(Xl, pl.DataFrame) and isinstance(yl, pl.Series)
    assert Xl.schema["image"] == pl.Array(pl.UInt8, (8, 8, 3))
    converted = as_pandas(Xl, "test")
    assert converted["caption"].tolist() == X["caption"].tolist()
    np.testing.assert_array_equal(np.stack(converted["image"]), np.stack(X["image"]))
    np.testing.assert_array_equal(converted[["x0", "x1"]], X[["x0", "x1"]])
    assert yl.name == "label" and yl.to_list() == y.tolist()
    data = make_multimodal_classification(
        n_samples=6, image_size=8, image_dir=tmp_path, return_X_y=False, output="polars"
    )
    assert data.frame.columns == ["caption", "image", "x0", "x1", "label"]
    assert data.frame.schema["image"] == pl.String and Path(data.data["image"][0]).is_file()
    with pytest.raises(ValueError, match="output must be one of"):
        make_multimodal_classification(n_samples=6, output="arrow")
