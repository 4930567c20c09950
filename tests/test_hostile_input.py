"""Hostile input through a whole pipeline: each case errors clearly or follows a policy.

The image-file cases (missing, directory, FIFO, /dev/zero, corrupt, truncated,
zero-byte, decompression bomb, huge, exotic modes, paths outside ``root``) are
tested in tests/preprocessing/test_image.py; docs/hostile_input.md lists all.
"""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TINY, make_input


def test_invalid_utf8_bytes_in_a_text_cell(fitted_pipeline, small_data):
    X, _ = small_data
    X = X.iloc[:5].copy()
    X["caption"] = X["caption"].astype(object)
    X.loc[X.index[2], "caption"] = b"caf\xe9 \xff"
    with pytest.raises(TypeError, match=r"column 'caption'.*row 2"):
        fitted_pipeline.predict(X)


def test_a_10_mb_text_cell_is_tokenized_and_truncated(fitted_pipeline, small_data):
    X, _ = small_data
    X = X.iloc[:3].copy()
    X.loc[X.index[1], "caption"] = "word " * 2_000_000
    blocks = fitted_pipeline[0].transform(X)
    assert blocks["text"].shape == (3, 12)
    assert fitted_pipeline.predict(X).shape == (3,)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_a_numeric_column(fitted_pipeline, small_data, value):
    X, _ = small_data
    X = X.iloc[:6].copy()
    X.loc[X.index[4], "x1"] = value
    with pytest.raises(ValueError, match=r"Block 'tabular': row 4 .*NaN or infinite"):
        fitted_pipeline.predict(X)


def test_column_missing_extra_or_reordered_at_predict(fitted_pipeline, small_data):
    X, _ = small_data
    X = X.iloc[:6]
    with pytest.raises(ValueError, match=r"\['image'\].*missing"):
        fitted_pipeline.predict(X.drop(columns="image"))
    reordered = X[list(reversed(X.columns))].assign(unrelated=1.0)
    np.testing.assert_array_equal(
        fitted_pipeline.predict_proba(reordered), fitted_pipeline.predict_proba(X)
    )


def test_empty_frame_single_class_and_missing_labels(small_data):
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifier

    X, y = small_data
    model = make_pipeline(make_input(), MultimodalClassifier(**TINY))
    with pytest.raises(ValueError, match="empty"):
        model.fit(X.iloc[:0], y.iloc[:0])
    with pytest.raises(ValueError, match="single class"):
        model.fit(X, pd.Series(np.ones(len(y), dtype=int)))
    labels = y.astype(float).copy()
    labels.iloc[5] = np.nan
    with pytest.raises(ValueError, match="missing labels .*row 5"):
        model.fit(X, labels)


def test_wrong_image_column_content_names_column_and_row(fitted_pipeline, small_data):
    X, _ = small_data
    X = X.iloc[:4].copy()
    X["image"] = X["image"].astype(object)
    X.at[X.index[3], "image"] = 42
    with pytest.raises((TypeError, ValueError), match=r"'image'.*row 3"):
        fitted_pipeline.predict(X)
