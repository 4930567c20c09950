"""Property-based fuzzing of the transformers and of the estimators' input checks.

The property, for every generated input: it is either transformed correctly
(the documented dtype and shape, finite values, one output row per input
row) or refused with skmm's ``ValueError`` / ``TypeError`` naming the
transformer and the column (and the row, where one row is at fault) — never
another exception type, a crash, or a silently wrong shape.

Each test runs ``SKMM_FUZZ_EXAMPLES`` examples (default 40, so the suite
stays fast); set it higher for a long fuzzing run, e.g.
``SKMM_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzzing.py``.
"""

import io
import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from skmm import AudioFeaturizer, ImageNormalizer, MultimodalInput, TextTokenizer

EXAMPLES = int(os.environ.get("SKMM_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("SKMM_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# -- strategies ---------------------------------------------------------------------

#: Any code point, surrogates, combining marks, RTL, zero-width and NUL included.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40)
NASTY_TEXT = st.sampled_from(
    [
        "",
        "   ",
        "\x00",
        "a\x00b",
        "\u200b\u200d\ufeff",
        "e\u0301\u0301\u0301",
        "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
        "\ud800 lone surrogate",
        "\U0001f600\U0001f3fb",
        "\u202eevil\u202c",
        "word " * 300,
    ]
)
MISSING = st.sampled_from([None, np.nan, pd.NA, pd.NaT, float("nan")])
SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.complex_numbers(),
    st.binary(max_size=64),
    st.just(np.datetime64("2020-01-01")),
    st.just(Ellipsis),
)
ANY_DTYPE = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(),
    hnp.unsigned_integer_dtypes(),
    hnp.floating_dtypes(),
    hnp.complex_number_dtypes(),
    hnp.datetime64_dtypes(),
)
ANY_ARRAY = hnp.arrays(
    dtype=ANY_DTYPE,
    shape=hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=6),
)


def _png_bytes(draw):
    side = draw(st.integers(1, 12))
    mode = draw(st.sampled_from(["L", "RGB", "RGBA", "P", "I;16", "1", "CMYK"]))
    image = Image.new(mode, (side, draw(st.integers(1, 12))))
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF" if mode == "CMYK" else "PNG")
    data = buffer.getvalue()
    if draw(st.booleans()):  # truncated or flipped bytes
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + bytes(draw(st.binary(max_size=8)))
    return data


@st.composite
def image_cells(draw):
    kind = draw(st.sampled_from(["array", "bytes", "png", "missing", "text", "scalar", "pil"]))
    if kind == "array":
        return draw(ANY_ARRAY)
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "png":
        return _png_bytes(draw)
    if kind == "missing":
        return draw(MISSING)
    if kind == "text":
        return draw(st.one_of(ANY_TEXT, NASTY_TEXT))
    if kind == "pil":
        return Image.new("RGB", (draw(st.integers(1, 9)), draw(st.integers(1, 9))))
    return draw(SCALARS)


@st.composite
def audio_cells(draw):
    kind = draw(st.sampled_from(["array", "bytes", "tuple", "missing", "text", "scalar"]))
    if kind == "array":
        return draw(ANY_ARRAY)
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "tuple":
        return (draw(ANY_ARRAY), draw(st.one_of(st.integers(-5, 50000), st.floats())))
    if kind == "missing":
        return draw(MISSING)
    if kind == "text":
        return draw(st.one_of(ANY_TEXT, NASTY_TEXT))
    return draw(SCALARS)


TEXT_CELLS = st.one_of(ANY_TEXT, NASTY_TEXT, MISSING, SCALARS)


def _container(cells, draw, name="cell"):
    """The cells as a list, an object array, a Series or a one-column DataFrame."""
    kind = draw(st.sampled_from(["list", "array", "series", "frame"]))
    if kind == "list":
        return list(cells), None
    array = np.empty(len(cells), dtype=object)
    array[:] = cells if cells else []
    if kind == "array":
        return array, None
    series = pd.Series(array, name=name, dtype=object)
    return (series if kind == "series" else series.to_frame()), name


# -- the property ------------------------------------------------------------------


def _check_refusal(exc, estimator, column):
    """A refusal must be skmm's own: a ValueError or TypeError naming the estimator
    and, for a named column, the column."""
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
    assert not isinstance(exc, UnicodeError), f"a raw {type(exc).__name__}: {exc}"
    message = str(exc)
    assert estimator in message, f"{estimator!r} not named in {message!r}"
    if column is not None and re.search(r"\brow \d+", message):
        assert repr(column) in message, f"column {column!r} not named in {message!r}"


def _call_or_refuse(function, X):
    """``function(X)``, or None when it refused ``X`` with a ValueError or TypeError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return function(X)
        except Exception as exc:  # the property: only skmm's documented refusals
            assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__name__}: {exc}"
            assert not isinstance(exc, UnicodeError), f"a raw {type(exc).__name__}: {exc}"
            return None


def _transform_or_refuse(transformer, X, estimator, column):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return transformer.fit_transform(X)
        except Exception as exc:  # the property: only skmm's documented refusals
            _check_refusal(exc, estimator, column)
            return None


@FUZZ
@given(data=st.data())
def test_text_tokenizer_transforms_or_refuses(data):
    cells = data.draw(st.lists(TEXT_CELLS, min_size=0, max_size=8))
    X, column = _container(cells, data.draw)
    tokenizer = TextTokenizer(
        sequence_length=data.draw(st.sampled_from(["auto", 1, 5])),
        missing=data.draw(st.sampled_from(["zeros", "error"])),
        char_ngrams=data.draw(st.sampled_from(["auto", None, (1, 3)])),
    )
    out = _transform_or_refuse(tokenizer, X, "TextTokenizer", column)
    if out is not None:
        assert out.dtype == np.int32 and out.shape == (len(cells), tokenizer.sequence_length_)
        assert out.min() >= 0 and out.max() < tokenizer.vocabulary_size_


@FUZZ
@given(data=st.data())
def test_image_normalizer_transforms_or_refuses(data):
    cells = data.draw(st.lists(image_cells(), min_size=0, max_size=5))
    X, column = _container(cells, data.draw)
    normalizer = ImageNormalizer(
        size=(6, 5),
        channels=data.draw(st.sampled_from([1, 3])),
        standardize=data.draw(st.booleans()),
        missing=data.draw(st.sampled_from(["zeros", "error"])),
        lazy=False,
    )
    out = _transform_or_refuse(normalizer, X, "ImageNormalizer", column)
    if out is not None:
        assert out.dtype == np.float32 and out.shape == (len(cells), 6, 5, normalizer.channels)
        assert np.isfinite(out).all()


@FUZZ
@given(data=st.data())
def test_audio_featurizer_transforms_or_refuses(data):
    pytest.importorskip("soundfile", reason="the audio extra is not installed")
    cells = data.draw(st.lists(audio_cells(), min_size=0, max_size=5))
    X, column = _container(cells, data.draw)
    featurizer = AudioFeaturizer(
        sample_rate=8000,
        duration=0.05,
        n_mels=4,
        standardize=data.draw(st.booleans()),
        missing=data.draw(st.sampled_from(["zeros", "error"])),
    )
    out = _transform_or_refuse(featurizer, X, "AudioFeaturizer", column)
    if out is not None:
        assert out.dtype == np.float32 and out.shape[0] == len(cells) and out.ndim == 3
        assert np.isfinite(out).all()


# -- frames: dtypes, labels and shapes -------------------------------------------------

TEXT_DTYPES = ["object", "string", "category", "string[pyarrow]"]


@st.composite
def frames(draw):
    """A frame meant for a text + numeric MultimodalInput, with hostile details."""
    n = draw(st.integers(0, 6))
    text = draw(st.lists(st.one_of(ANY_TEXT, NASTY_TEXT, MISSING), min_size=n, max_size=n))
    numbers = draw(
        st.lists(
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**66), 2**66)),
            min_size=n,
            max_size=n,
        )
    )
    frame = pd.DataFrame({"note": pd.Series(text, dtype=object), "x": pd.Series(numbers)})
    dtype = draw(st.sampled_from(TEXT_DTYPES))
    x_dtype = draw(st.sampled_from(["float64", "Float64", "float16", "object", "Int64"]))
    with warnings.catch_warnings():  # casts that overflow are part of the fuzzing
        warnings.simplefilter("ignore")
        try:
            frame["note"] = frame["note"].astype(dtype)
        except (TypeError, ValueError, UnicodeError, ImportError):
            pass  # that dtype cannot hold these cells: keep object
        try:
            frame["x"] = frame["x"].astype(x_dtype)
        except (TypeError, ValueError, OverflowError):
            pass
    shape = draw(st.sampled_from(["plain", "duplicated", "int labels", "multiindex", "extra"]))
    if shape == "duplicated":
        frame = pd.concat([frame, frame[["note"]]], axis=1)
    elif shape == "int labels":
        frame.columns = [0, 1]
    elif shape == "multiindex":
        frame.columns = pd.MultiIndex.from_tuples([("a", "note"), ("a", "x")])
    elif shape == "extra":
        frame["note2"] = frame["note"]
    return frame


def _make_input():
    from sklearn.preprocessing import StandardScaler

    return MultimodalInput(
        [("text", TextTokenizer(sequence_length=4), "note"), ("num", StandardScaler(), ["x"])]
    )


@FUZZ
@given(frame=frames())
def test_multimodal_input_transforms_or_refuses(frame):
    blocks = _call_or_refuse(_make_input().fit_transform, frame)
    if blocks is None:
        return
    assert blocks.n_samples == len(frame)
    assert blocks["text"].shape == (len(frame), 4) and blocks["num"].shape == (len(frame), 1)
    assert np.isfinite(blocks["num"]).all()


@pytest.fixture(scope="module")
def fitted():
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifier
    from tests.conftest import TINY

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"note": [f"word{k % 3} other" for k in range(30)], "x": rng.normal(size=30)})
    y = np.arange(30) % 2
    return make_pipeline(_make_input(), MultimodalClassifier(**TINY)).fit(X, y)


@FUZZ
@given(frame=frames())
def test_a_fitted_pipeline_predicts_or_refuses(fitted, frame):
    proba = _call_or_refuse(fitted.predict_proba, frame)
    if proba is None:
        return
    assert proba.shape == (len(frame), 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def fitted_on_arrays():
    from skmm import MultimodalClassifier
    from tests.conftest import TINY

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype("float32")
    return MultimodalClassifier(**TINY).fit(X, (X[:, 0] > 0).astype(int))


@FUZZ
@given(X=ANY_ARRAY)
def test_the_estimators_input_check_accepts_or_refuses_any_array(fitted_on_arrays, X):
    proba = _call_or_refuse(fitted_on_arrays.predict_proba, X)
    if proba is None:
        return
    assert X.ndim == 2 and X.shape[1] == 3 and len(X) > 0
    assert proba.shape == (len(X), 2) and np.isfinite(proba).all()
