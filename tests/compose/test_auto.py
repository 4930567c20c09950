"""Raw tables: each column's role read by fixed rules, the MultimodalInput they make,
and the estimators fitting a raw DataFrame with no MultimodalInput in front."""

import pickle
import wave

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

from skmm import MultimodalClassifier, MultimodalRegressor, load, make_multimodal_input, save
from skmm.compose import infer_column_roles
from skmm.datasets import make_multimodal_classification
from skmm.preprocessing import DatetimeFeatures


def roles_of(X, **kwargs):
    return {role.column: role.role for role in infer_column_roles(X, **kwargs)}


def write_png(path, seed=0):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(path)


def write_wav(path, seed=0):
    rng = np.random.default_rng(seed)
    samples = (rng.normal(0, 0.1, 800) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(samples.tobytes())


def test_each_kind_of_column_gets_its_role_by_rule(tmp_path):
    for i in range(4):
        write_png(tmp_path / f"p{i}.png", i)
        write_wav(tmp_path / f"s{i}.wav", i)
    png = (tmp_path / "p0.png").read_bytes()
    X = pd.DataFrame(
        {
            "price": [1.5, None, 3.0, 4.0],
            "count": [1, 2, 3, 4],
            "in_stock": [True, False, True, True],
            "colour": pd.Categorical(["red", "blue", "red", None]),
            "sold": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
            "size": ["S", "M", "S", "M"],
            "review": ["soft and warm", "too small", "lovely colour", None],
            "weight": ["1.5", "2", "3.25", None],
            "photo": ["p0.png", "p1.png", None, "p3.png"],
            "voice": ["s0.wav", "s1.wav", "s2.wav", "s3.wav"],
            "scan": [png, png, None, png],
            "pixels": [np.zeros((4, 4, 3))] * 4,
            "flag": [True, None, False, True],
        }
    )
    assert roles_of(X, root=tmp_path) == {
        "price": "numeric",
        "count": "numeric",
        "in_stock": "categorical",
        "colour": "categorical",
        "sold": "datetime",
        "size": "categorical",
        "review": "text",
        "weight": "numeric",
        "photo": "image",
        "voice": "audio",
        "scan": "image",
        "pixels": "image",
        "flag": "categorical",
    }
    # the same table gives the same roles; a role given by name wins
    assert roles_of(X, root=tmp_path) == roles_of(X.copy(), root=tmp_path)
    assert roles_of(X, root=tmp_path, roles={"size": "text"})["size"] == "text"


def test_strings_are_categories_when_few_values_repeat_else_text():
    repeated = ["yes", "no"] * 30
    unique = [f"name {i}" for i in range(60)]
    many = [f"v{i % 55}" for i in range(200)]  # 55 distinct values: over MAX_CATEGORIES
    X = pd.DataFrame({"repeated": repeated, "unique": unique, "many": many[:60]})
    assert roles_of(X) == {"repeated": "categorical", "unique": "text", "many": "text"}


@pytest.mark.parametrize(
    "column, message",
    [
        ([None, np.nan, None], r"'c' holds no value"),
        (["", "  ", None], r"'c' holds only empty strings"),
        (["a", 3, "b"], r"'c' mixes values of types int, str \(row 1 holds int 3\)"),
        (["clip.mp4", "b.mp4", "c.mp4"], r"'c' holds video file names.*none of the first 3"),
        (["http://x.org/a.png", "http://x.org/b.png", None], r"'c' holds URLs.*never downloads"),
        (["gone.png", "lost.png", "none.png"], r"'c' holds image file names.*none of the first 3"),
        (pd.to_timedelta([1, 2, 3], unit="s"), r"'c' holds durations"),
        ([[1, 2], [3], None], r"'c' holds list values \(\[1, 2\]\), which no role reads"),
        ([b"not an image", b"nor this", None], r"'c' holds bytes that are not"),
    ],
)
def test_a_column_no_rule_places_is_an_error_naming_it(column, message):
    with pytest.raises(ValueError, match=message):
        infer_column_roles(pd.DataFrame({"ok": [1.0, 2.0, 3.0], "c": column}))


def test_bad_role_overrides_are_refused():
    X = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"columns the table does not have: \['b'\]"):
        infer_column_roles(X, roles={"b": "text"})
    with pytest.raises(ValueError, match="Unknown roles"):
        infer_column_roles(X, roles={"a": "hologram"})
    with pytest.raises(TypeError, match="DataFrame"):
        infer_column_roles(np.ones((2, 2)))


def test_file_paths_are_read_from_root_and_their_headers_checked(tmp_path):
    write_png(tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")  # a WAV named .png
    X = pd.DataFrame({"photo": ["a.png", "b.png"]})
    with pytest.raises(ValueError, match=r"'photo': its names end like image files"):
        infer_column_roles(X, root=tmp_path)
    with pytest.raises(ValueError, match=r"none of the first 2 exists from the working"):
        infer_column_roles(X)


def test_a_column_of_video_files_is_a_video_block(tmp_path):
    pytest.importorskip("av", reason="the video extra (PyAV) is not installed")
    from skmm.datasets import write_video

    frames = np.zeros((4, 16, 16), dtype=np.uint8)
    frames[:, 4:8, 4:8] = 255
    for name in ("a.mp4", "b.webm"):
        write_video(tmp_path / name, frames)
    (tmp_path / "c.mp4").write_bytes(b"\x89PNG\r\n\x1a\n")  # a PNG named .mp4
    X = pd.DataFrame({"clip": ["a.mp4", "b.webm", None], "x": [1.0, 2.0, 3.0]})
    roles = infer_column_roles(X, root=tmp_path)
    assert [(r.column, r.role) for r in roles] == [("clip", "video"), ("x", "numeric")]
    blocks = make_multimodal_input(X, root=tmp_path).fit_transform(X)
    assert blocks.specs["clip"].kind == "video" and blocks["clip"].shape[:2] == (3, 8)
    assert blocks.masks["clip"].tolist() == [True, True, False]
    wrong = pd.DataFrame({"clip": ["a.mp4", "c.mp4"]})
    with pytest.raises(ValueError, match=r"'clip': its names end like video files"):
        infer_column_roles(wrong, root=tmp_path)


def test_the_input_made_for_a_raw_table_transforms_it(tmp_path):
    X, _ = make_multimodal_classification(n_samples=12, image_size=8, image_dir=tmp_path)
    X["size"] = ["S", "M", "L"] * 4
    X["sold"] = pd.date_range("2024-01-01", periods=12, freq="7D")
    X.loc[3, "x0"] = np.nan
    X.loc[4, "size"] = None
    blocks = make_multimodal_input(X).fit_transform(X)
    kinds = {name: spec.kind for name, spec in blocks.specs.items()}
    assert kinds == {
        "numeric": "tabular",
        "datetime": "tabular",
        "categorical": "tabular",
        "caption": "text",
        "image": "image",
    }
    # x0, x1 and x0's missing indicator; six date features; S, M, L and missing
    assert blocks.specs["numeric"].shape == (3,)
    assert blocks.specs["datetime"].shape == (6,)
    assert blocks.specs["categorical"].shape == (4,)
    assert np.isfinite(blocks["numeric"]).all()


def test_dates_become_six_numbers_and_bad_cells_name_the_row():
    X = pd.DataFrame({"when": ["2024-03-01 12:30", None, "2024-03-04"]})
    features = DatetimeFeatures().fit_transform(X)
    np.testing.assert_allclose(features[0, 1:], [2024, 3, 1, 4, 12.5])
    assert np.isnan(features[1]).all() and features[2, 4] == 0  # a Monday
    aware = pd.DataFrame({"t": pd.to_datetime(["2024-03-01 12:30+02:00"])})
    assert DatetimeFeatures().fit_transform(aware)[0, 5] == 10.5  # read in UTC
    with pytest.raises(ValueError, match=r"'when', row 1 holds 'soon'"):
        DatetimeFeatures().fit(pd.DataFrame({"when": ["2024-03-01", "soon"]}))
    with pytest.raises(ValueError, match=r"'when', row 0 holds the number 5"):
        DatetimeFeatures().fit(pd.DataFrame({"when": [5, None]}, dtype=object))


@pytest.fixture(scope="module")
def raw_table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    X, y = make_multimodal_classification(
        n_samples=60, image_size=8, image_dir=folder, random_state=0
    )
    rng = np.random.default_rng(0)
    X["shop"] = rng.choice(["north", "south", None], size=len(X))
    X["opened"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, len(X)), "D")
    return X, y


TINY = dict(epochs=1, embedding_dim=4, image_filters=(4,), tabular_units=(4,), random_state=0)


def test_an_estimator_fits_a_raw_dataframe_and_says_how_it_read_it(raw_table, capsys):
    X, y = raw_table
    clf = MultimodalClassifier(**TINY, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "columns read as:" in out and "'caption'" in out and "text" in out
    assert clf.column_roles_ == {
        "caption": "text",
        "image": "image",
        "x0": "numeric",
        "x1": "numeric",
        "shop": "categorical",
        "opened": "datetime",
    }
    assert set(clf.block_specs_) == {"numeric", "datetime", "categorical", "caption", "image"}
    assert list(clf.feature_names_in_) == list(X.columns)
    proba = clf.predict_proba(X.iloc[:7])
    assert proba.shape == (7, 2)
    # the same fit again: the same roles, the same predictions
    again = clone(clf).set_params(verbose=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X.iloc[:7]), proba)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X.iloc[:7]), proba)
    with pytest.raises(ValueError, match="inferred.*give it a DataFrame with those columns"):
        clf.predict(X.to_numpy())


def test_a_raw_dataframe_goes_through_searches_and_cross_validation(raw_table):
    X, y = raw_table
    plain = MultimodalClassifier(**TINY, balance=None)  # one head: the cheapest network
    scores = cross_val_score(plain, X, y, cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()
    search = GridSearchCV(plain, {"l2": [1e-4, 1e-2]}, cv=2).fit(X, y)
    assert search.best_estimator_.column_roles_["shop"] == "categorical"


def test_a_saved_estimator_of_a_raw_table_loads_and_predicts_the_same(raw_table, tmp_path):
    X, y = raw_table
    reg = MultimodalRegressor(**TINY).fit(X, y.astype("float32"))
    path = tmp_path / "model.skmm"
    save(reg, path)
    np.testing.assert_allclose(load(path).predict(X.iloc[:5]), reg.predict(X.iloc[:5]), rtol=1e-6)


def test_a_table_of_plain_numbers_keeps_the_single_tabular_block():
    X = pd.DataFrame({"a": np.arange(20.0), "b": np.ones(20)})
    y = np.arange(20) % 2
    clf = MultimodalClassifier(epochs=1, random_state=0).fit(X, y)
    assert "multimodal_input_" not in vars(clf) and "column_roles_" not in vars(clf)
    assert list(clf.block_specs_) == ["tabular"]


def test_a_polars_table_gets_the_roles_of_the_same_pandas_table():
    pl = pytest.importorskip("polars")
    X = pd.DataFrame(
        {
            "review": [f"review number {i} is fine" for i in range(8)],
            "size": ["S", "M"] * 4,
            "price": np.arange(8.0),
            "sold": pd.date_range("2024-01-01", periods=8),
        }
    )
    assert (
        roles_of(pl.from_pandas(X))
        == roles_of(X)
        == {
            "review": "text",
            "size": "categorical",
            "price": "numeric",
            "sold": "datetime",
        }
    )


def test_columns_named_by_numbers_are_read_as_strings():
    X = pd.DataFrame({0: [f"review {i} text" for i in range(30)], 1: np.arange(30.0)})
    y = np.arange(30) % 2
    clf = MultimodalClassifier(epochs=1, random_state=0, balance=None).fit(X, y)
    assert clf.column_roles_ == {"0": "text", "1": "numeric"}
    assert clf.predict(X.iloc[:3]).shape == (3,)
