"""Tests for skmm.datasets.make_multimodal_classification."""

import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict, cross_val_score

from skmm.datasets import make_multimodal_classification
from skmm.datasets._generators import FILLER_WORDS, KEYWORDS, SHAPE_NAMES, _latent_joint


def _bunch(**kwargs):
    return make_multimodal_classification(return_X_y=False, **kwargs)


def _majority_accuracy(groups, y):
    """Accuracy of predicting the majority class of y within each group (Bayes plug-in)."""
    table = pd.crosstab(pd.Series(groups), pd.Series(np.asarray(y)))
    return table.max(axis=1).sum() / len(y)


def test_default_output_structure():
    X, y = make_multimodal_classification(random_state=0)
    assert isinstance(X, pd.DataFrame)
    assert isinstance(y, pd.Series)
    assert X.shape == (600, 4)
    assert list(X.columns) == ["caption", "image", "x0", "x1"]
    assert X["image"].dtype == object
    assert X["x0"].dtype == np.float64 and X["x1"].dtype == np.float64
    assert all(isinstance(c, str) for c in X["caption"])
    for img in X["image"]:
        assert isinstance(img, np.ndarray)
        assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    assert y.name == "label"
    assert y.dtype == np.int64
    assert set(y) == {0, 1}
    assert X.index.equals(y.index)


def test_captions_hold_exactly_one_keyword_among_fillers():
    data = _bunch(n_samples=300, n_classes=4, random_state=1)
    assert not set(KEYWORDS) & set(FILLER_WORDS)
    assert not set(SHAPE_NAMES) & set(FILLER_WORDS)
    for caption, w in zip(data.data["caption"], data.keyword, strict=True):
        words = re.findall(r"[a-z]+", caption.lower())
        assert 6 <= len(words) <= 20
        found = [word for word in words if word in KEYWORDS]
        assert found == [KEYWORDS[w]]
        assert all(word in FILLER_WORDS for word in words if word not in KEYWORDS)
    lengths = data.data["caption"].str.split().str.len()
    assert lengths.min() == 6 and lengths.max() == 20


@pytest.mark.parametrize("n_numeric", [0, 1, 5])
def test_numeric_columns_and_image_size(n_numeric):
    X, _ = make_multimodal_classification(
        n_samples=20, n_numeric=n_numeric, image_size=48, random_state=0
    )
    assert list(X.columns) == ["caption", "image"] + [f"x{j}" for j in range(n_numeric)]
    assert X["image"].iloc[0].shape == (48, 48, 3)


def test_bunch_fields():
    data = _bunch(n_samples=50, n_classes=3, random_state=0)
    assert list(data.frame.columns) == ["caption", "image", "x0", "x1", "label"]
    assert data.feature_names == ["caption", "image", "x0", "x1"]
    assert list(data.target_names) == ["class_0", "class_1", "class_2"]
    assert data.frame["label"].equals(data.target)
    assert data.data.equals(data.frame.drop(columns="label"))
    assert isinstance(data.DESCR, str) and "caption" in data.DESCR
    assert list(data.shape_names) == list(SHAPE_NAMES[:3])
    assert list(data.keyword_names) == list(KEYWORDS[:3])
    np.testing.assert_array_equal((data.shape + data.keyword) % 3, data.target)


def _assert_same(a, b):
    Xa, ya = a
    Xb, yb = b
    pd.testing.assert_series_equal(ya, yb)
    pd.testing.assert_frame_equal(Xa.drop(columns="image"), Xb.drop(columns="image"))
    for ia, ib in zip(Xa["image"], Xb["image"], strict=True):
        assert ia.tobytes() == ib.tobytes()


def test_determinism():
    kwargs = dict(n_samples=40, n_classes=3, label_noise=0.1)
    first = make_multimodal_classification(random_state=7, **kwargs)
    _assert_same(first, make_multimodal_classification(random_state=7, **kwargs))
    _assert_same(
        make_multimodal_classification(random_state=np.random.RandomState(7), **kwargs),
        make_multimodal_classification(random_state=np.random.RandomState(7), **kwargs),
    )
    _assert_same(
        make_multimodal_classification(random_state=np.random.default_rng(7), **kwargs),
        make_multimodal_classification(random_state=np.random.default_rng(7), **kwargs),
    )
    # A RandomState seeded like the int gives the same data.
    _assert_same(
        first, make_multimodal_classification(random_state=np.random.RandomState(7), **kwargs)
    )

    other = make_multimodal_classification(random_state=8, **kwargs)
    assert not first[0]["caption"].equals(other[0]["caption"])
    assert not np.allclose(first[0]["x0"], other[0]["x0"])
    assert any(
        a.tobytes() != b.tobytes()
        for a, b in zip(first[0]["image"], other[0]["image"], strict=True)
    )


def test_random_state_none_runs():
    X, y = make_multimodal_classification(n_samples=10, random_state=None)
    assert len(X) == len(y) == 10


def test_image_dir_writes_pngs_matching_arrays(tmp_path):
    image_dir = tmp_path / "nested" / "images"
    X_files, y_files = make_multimodal_classification(
        n_samples=12, image_dir=image_dir, random_state=3
    )
    X_arrays, y_arrays = make_multimodal_classification(n_samples=12, random_state=3)
    assert sorted(p.name for p in image_dir.iterdir()) == [f"img_{i:05d}.png" for i in range(12)]
    pd.testing.assert_series_equal(y_files, y_arrays)
    pd.testing.assert_frame_equal(X_files.drop(columns="image"), X_arrays.drop(columns="image"))
    for i, (path, pixels) in enumerate(zip(X_files["image"], X_arrays["image"], strict=True)):
        assert isinstance(path, str)
        assert path == str(image_dir / f"img_{i:05d}.png")
        with Image.open(path) as img:
            assert img.format == "PNG" and img.mode == "RGB"
            np.testing.assert_array_equal(np.asarray(img), pixels)


def test_image_dir_accepts_str(tmp_path):
    X, _ = make_multimodal_classification(n_samples=3, image_dir=str(tmp_path), random_state=0)
    for path in X["image"]:
        with Image.open(path) as img:
            assert img.size == (32, 32)


@pytest.mark.parametrize("n_classes", [3, 4, 8])
def test_multiclass_all_classes_occur(n_classes):
    data = _bunch(n_samples=400, n_classes=n_classes, image_size=16, random_state=0)
    counts = data.target.value_counts()
    assert set(counts.index) == set(range(n_classes))
    # Classes are balanced in distribution.
    assert counts.min() > 0.5 * 400 / n_classes
    assert set(data.shape) == set(range(n_classes))
    assert set(data.keyword) == set(range(n_classes))


@pytest.mark.parametrize("label_noise", [0.0, 0.1, 0.25])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_noise_fraction(label_noise, n_classes):
    n = 400
    data = _bunch(n_samples=n, n_classes=n_classes, label_noise=label_noise, random_state=0)
    clean = (data.shape + data.keyword) % n_classes
    n_changed = int((clean != data.target.to_numpy()).sum())
    assert n_changed == round(label_noise * n)


def test_label_noise_does_not_change_features():
    a = _bunch(n_samples=30, random_state=0)
    b = _bunch(n_samples=30, label_noise=0.2, random_state=0)
    np.testing.assert_array_equal(a.shape, b.shape)
    np.testing.assert_array_equal(a.keyword, b.keyword)


@pytest.mark.parametrize("n_classes", range(2, 9))
def test_latent_table_ceilings(n_classes):
    table = _latent_joint(n_classes)
    k = n_classes
    classes = (np.arange(k)[:, None] + np.arange(k)[None, :]) % k
    assert table.min() > 0 and np.isclose(table.sum(), 1.0)
    # Balanced classes.
    np.testing.assert_allclose([table[classes == c].sum() for c in range(k)], 1.0 / k)
    # Bayes accuracy from the shape alone / the keyword alone: 40% of the way from chance.
    expected = 1.0 / k + 0.4 * (1.0 - 1.0 / k)
    assert np.isclose(table.max(axis=1).sum(), expected)
    assert np.isclose(table.max(axis=0).sum(), expected)
    # Each class is the best guess for one shape and one keyword.
    assert sorted(classes[np.arange(k), table.argmax(axis=1)]) == list(range(k))
    assert sorted(classes[table.argmax(axis=0), np.arange(k)]) == list(range(k))


def test_bayes_ceilings_default():
    data = _bunch(random_state=0)
    y = data.target
    image_only = _majority_accuracy(data.shape, y)
    text_only = _majority_accuracy(data.keyword, y)
    fused = _majority_accuracy(data.shape * 10 + data.keyword, y)
    assert 0.6 <= image_only < 0.85
    assert 0.6 <= text_only < 0.85
    assert fused >= 0.95
    # The label is not given away by the class prior.
    assert y.value_counts(normalize=True).max() < 0.6


def test_bayes_ceilings_with_label_noise():
    data = _bunch(n_samples=2000, label_noise=0.1, image_size=8, random_state=0)
    fused = _majority_accuracy(data.shape * 10 + data.keyword, data.target)
    assert 0.88 <= fused <= 0.92


def test_caption_bag_of_words_recovers_keyword():
    data = _bunch(random_state=0)
    bow = CountVectorizer().fit_transform(data.data["caption"])
    model = LogisticRegression(max_iter=1000)
    keyword_acc = cross_val_score(model, bow, data.keyword, cv=5).mean()
    assert keyword_acc >= 0.97
    # Text alone predicts the label only partially (ceiling 0.70).
    label_acc = cross_val_score(model, bow, data.target, cv=5).mean()
    assert 0.55 <= label_acc <= 0.8


def test_numeric_signal_is_weak():
    X, y = make_multimodal_classification(n_samples=4000, image_size=8, random_state=0)
    corr_x0 = np.corrcoef(X["x0"], y)[0, 1]
    corr_x1 = np.corrcoef(X["x1"], y)[0, 1]
    assert 0.1 < corr_x0 < 0.4
    assert abs(corr_x1) < 0.06


def _shape_masks(images, size=16):
    """Foreground mask of each image, cropped to the shape and resized."""
    features = []
    for img in images:
        lum = img.astype(np.float64).mean(axis=2)
        border = np.concatenate([lum[0], lum[-1], lum[:, 0], lum[:, -1]])
        dark_background = np.median(border) < 128
        mask = lum > 115 if dark_background else lum < 140
        rows, cols = np.nonzero(mask)
        crop = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        small = Image.fromarray(crop.astype(np.uint8) * 255).resize((size, size), Image.BILINEAR)
        features.append(np.asarray(small, dtype=np.float64).ravel() / 255.0)
    return np.array(features)


def test_shapes_are_distinguishable():
    # Proxy for "a small CNN can tell the shapes apart": a linear model on the
    # cropped foreground mask recognises all eight shapes.
    data = _bunch(n_samples=400, n_classes=8, random_state=0)
    features = _shape_masks(data.data["image"])
    acc = cross_val_score(LogisticRegression(max_iter=2000), features, data.shape, cv=4).mean()
    assert acc >= 0.9


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_samples": 0}, ValueError, "n_samples must be an integer >= 1"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be an integer"),
        ({"n_samples": True}, TypeError, "n_samples must be an integer"),
        ({"n_classes": 1}, ValueError, "n_classes must be an integer >= 2"),
        ({"n_classes": 9}, ValueError, "n_classes must be an integer <= 8"),
        ({"n_classes": "2"}, TypeError, "n_classes must be an integer"),
        ({"image_size": 4}, ValueError, "image_size must be an integer >= 8"),
        ({"n_numeric": -1}, ValueError, "n_numeric must be an integer >= 0"),
        ({"label_noise": -0.1}, ValueError, r"label_noise must be a float in \[0, 1\]"),
        ({"label_noise": 1.5}, ValueError, r"label_noise must be a float in \[0, 1\]"),
        ({"label_noise": float("nan")}, ValueError, r"label_noise must be a float in \[0, 1\]"),
        ({"label_noise": "0.1"}, TypeError, r"label_noise must be a float in \[0, 1\]"),
        ({"return_X_y": "yes"}, TypeError, "return_X_y must be a bool"),
        ({"image_dir": 3}, TypeError, "image_dir must be None, a str or a path-like"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
        ({"random_state": -1}, ValueError, r"random_state must be an int in \[0, 2\*\*32 - 1\]"),
    ],
)
def test_invalid_params(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_multimodal_classification(**{"n_samples": 5, **kwargs})


def test_observed_modalities_fused_reach_ceiling():
    # From the observed data only (no latent variables): recognise the shape from
    # the image and the keyword from the caption, then combine them.
    data = _bunch(random_state=0)
    shape_hat = cross_val_predict(
        LogisticRegression(max_iter=2000), _shape_masks(data.data["image"]), data.shape, cv=4
    )
    bow = CountVectorizer().fit_transform(data.data["caption"])
    keyword_hat = cross_val_predict(LogisticRegression(max_iter=1000), bow, data.keyword, cv=4)
    y = data.target.to_numpy()
    assert np.mean((shape_hat + keyword_hat) % 2 == y) >= 0.95
    assert _majority_accuracy(shape_hat, y) < 0.85
    assert _majority_accuracy(keyword_hat, y) < 0.85
