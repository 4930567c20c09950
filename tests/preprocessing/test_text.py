"""Tests for skmm.preprocessing.TextTokenizer."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks

from skmm._compat import InvalidParameterError
from skmm.preprocessing._text import TextTokenizer

DOCS = [
    "the cat sat on the mat",
    "the dog sat",
    "a cat and a dog",
    "zebra",
]


# --------------------------------------------------------------------------- #
# Vocabulary
# --------------------------------------------------------------------------- #


def test_vocabulary_order_frequency_then_alphabetical():
    tok = TextTokenizer(char_ngrams=None).fit(DOCS)
    # counts: the 3; a 2, cat 2, dog 2, sat 2; and 1, mat 1, on 1, zebra 1
    expected = ["the", "a", "cat", "dog", "sat", "and", "mat", "on", "zebra"]
    assert list(tok.vocabulary_) == expected
    assert tok.vocabulary_ == {token: i + 2 for i, token in enumerate(expected)}
    assert tok.vocabulary_size_ == len(expected) + 2
    assert tok.n_features_in_ == 1


def test_vocabulary_is_independent_of_document_order():
    a = TextTokenizer(char_ngrams=None).fit(DOCS)
    b = TextTokenizer(char_ngrams=None).fit(DOCS[::-1])
    assert list(a.vocabulary_.items()) == list(b.vocabulary_.items())


def test_max_tokens_counts_reserved_ids():
    tok = TextTokenizer(char_ngrams=None, max_tokens=5).fit(DOCS)
    assert tok.vocabulary_ == {"the": 2, "a": 3, "cat": 4}
    assert tok.vocabulary_size_ == 5
    assert tok.transform(["dog the"]).max() < tok.vocabulary_size_


def test_max_tokens_none_keeps_everything():
    docs = [f"w{i}" for i in range(30000)]
    tok = TextTokenizer(char_ngrams=None, max_tokens=None).fit(docs)
    assert tok.vocabulary_size_ == 30002
    assert TextTokenizer(char_ngrams=None).fit(docs).vocabulary_size_ == 20000


def test_min_frequency():
    tok = TextTokenizer(char_ngrams=None, min_frequency=2).fit(DOCS)
    assert list(tok.vocabulary_) == ["the", "a", "cat", "dog", "sat"]
    np.testing.assert_array_equal(
        tok.transform(["zebra cat"])[0, :3], [1, tok.vocabulary_["cat"], 0]
    )


def test_empty_vocabulary_raises():
    with pytest.raises(ValueError, match="empty vocabulary"):
        TextTokenizer(char_ngrams=None).fit(["!!", None, "   "])
    with pytest.raises(ValueError, match="min_frequency=5"):
        TextTokenizer(char_ngrams=None, min_frequency=5).fit(DOCS)


# --------------------------------------------------------------------------- #
# Normalisation and splitting
# --------------------------------------------------------------------------- #


def test_lowercase_on_and_off():
    docs = ["Cat cat CAT"]
    assert TextTokenizer(char_ngrams=None).fit(docs).vocabulary_ == {"cat": 2}
    assert TextTokenizer(char_ngrams=None, lowercase=False).fit(docs).vocabulary_ == {
        "CAT": 2,
        "Cat": 3,
        "cat": 4,
    }


def test_strip_punctuation_on_and_off():
    docs = ["Hello, world! don't «stop» — ok… $5"]
    on = TextTokenizer(char_ngrams=None).fit(docs)
    assert set(on.vocabulary_) == {"hello", "world", "dont", "stop", "ok", "$5"}
    off = TextTokenizer(char_ngrams=None, strip_punctuation=False).fit(docs)
    assert set(off.vocabulary_) == {"hello,", "world!", "don't", "«stop»", "—", "ok…", "$5"}


def test_split_regex():
    tok = TextTokenizer(char_ngrams=None, split=r"[a-z]+", strip_punctuation=False).fit(
        ["ab-cd ef,gh 12"]
    )
    assert set(tok.vocabulary_) == {"ab", "cd", "ef", "gh"}
    # one capturing group: the group's text is the token
    # punctuation (the '#') is stripped before splitting, so nothing matches
    with pytest.raises(ValueError, match="empty vocabulary"):
        TextTokenizer(char_ngrams=None, split=r"#(\w+)").fit(["#a b #c"])
    tok = TextTokenizer(char_ngrams=None, split=r"#(\w+)", strip_punctuation=False).fit(["#a b #c"])
    assert set(tok.vocabulary_) == {"a", "c"}


# --------------------------------------------------------------------------- #
# Transform
# --------------------------------------------------------------------------- #


def test_oov_maps_to_one_and_dtype_shape():
    tok = TextTokenizer(char_ngrams=None, sequence_length=5).fit(DOCS)
    out = tok.transform(["the unicorn sat", "unknown words only"])
    assert out.dtype == np.int32
    assert out.shape == (2, 5)
    the, sat = tok.vocabulary_["the"], tok.vocabulary_["sat"]
    np.testing.assert_array_equal(out, [[the, 1, sat, 0, 0], [1, 1, 1, 0, 0]])


@pytest.mark.parametrize(
    "padding, truncating, expected",
    [
        ("post", "post", [[2, 3, 4], [5, 0, 0]]),
        ("pre", "post", [[2, 3, 4], [0, 0, 5]]),
        ("post", "pre", [[4, 5, 6], [5, 0, 0]]),
        ("pre", "pre", [[4, 5, 6], [0, 0, 5]]),
    ],
)
def test_padding_and_truncating(padding, truncating, expected):
    # vocabulary: a b c d e in that order (all count 1, alphabetical)
    tok = TextTokenizer(char_ngrams=None, sequence_length=3, padding=padding, truncating=truncating)
    tok.fit(["a b c d e"])
    assert tok.vocabulary_ == {"a": 2, "b": 3, "c": 4, "d": 5, "e": 6}
    out = tok.transform(["a b c d e", "d"])
    np.testing.assert_array_equal(out, expected)


def test_exact_length_document_is_not_padded():
    tok = TextTokenizer(char_ngrams=None, sequence_length=3, padding="pre").fit(["a b c"])
    np.testing.assert_array_equal(tok.transform(["c b a"]), [[4, 3, 2]])


def test_missing_documents_are_all_padding():
    docs = pd.Series(["cat", None, np.nan, pd.NA, "", "   \t\n", "...!", float("nan"), "cat"])
    tok = TextTokenizer(char_ngrams=None, sequence_length=3)
    out = tok.fit_transform(docs)
    assert out.shape == (9, 3)  # no row dropped
    np.testing.assert_array_equal(out[1:8], 0)
    np.testing.assert_array_equal(out[[0, 8]], [[2, 0, 0], [2, 0, 0]])
    # numpy float32 NaN and pandas' string dtype missing values too
    out = tok.transform(np.array(["cat", None, np.float32("nan")], dtype=object))
    np.testing.assert_array_equal(out, [[2, 0, 0], [0, 0, 0], [0, 0, 0]])
    out = tok.transform(pd.Series(["cat", None], dtype="string"))
    np.testing.assert_array_equal(out, [[2, 0, 0], [0, 0, 0]])
    # pd.NaT is missing too, as it is for image and audio cells
    out = tok.transform(np.array(["cat", pd.NaT], dtype=object))
    np.testing.assert_array_equal(out, [[2, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="row 1 .*is missing"):
        TextTokenizer(missing="error").fit(["cat"]).transform(
            np.array(["cat", pd.NaT], dtype=object)
        )


def test_every_input_type_gives_the_same_output():
    docs = ["The cat sat", "a dog", None, "cat cat dog zebra"]
    arrays = [d if d is not None else "" for d in docs]
    inputs = {
        "list": docs,
        "tuple": tuple(docs),
        "series": pd.Series(docs, name="text"),
        "series_index": pd.Series(docs, index=[10, 20, 30, 40]),
        "string_series": pd.Series(docs, dtype="string"),
        "object_array": np.array(docs, dtype=object),
        "str_array": np.array(arrays),
        "dataframe": pd.DataFrame({"text": docs}),
    }
    outputs = {}
    for name, X in inputs.items():
        tok = TextTokenizer(char_ngrams=None, sequence_length=6)
        fitted_output = tok.fit_transform(X)
        np.testing.assert_array_equal(fitted_output, tok.transform(X), err_msg=name)
        outputs[name] = fitted_output
        assert tok.vocabulary_ == {"cat": 2, "dog": 3, "a": 4, "sat": 5, "the": 6, "zebra": 7}
    reference = outputs["list"]
    for name, out in outputs.items():
        np.testing.assert_array_equal(out, reference, err_msg=name)
        assert out.dtype == np.int32


def test_transform_with_no_documents():
    tok = TextTokenizer(char_ngrams=None, sequence_length=4).fit(DOCS)
    out = tok.transform([])
    assert out.shape == (0, 4)
    assert out.dtype == np.int32


# --------------------------------------------------------------------------- #
# Input errors
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("bad", [3, 2.5, b"bytes", ["a", "list"], {"a": 1}])
def test_non_string_cell_error_names_column_and_row(bad):
    X = pd.Series(["fine", "ok", bad], index=["r1", "r2", "r3"], name="review", dtype=object)
    with pytest.raises(TypeError) as excinfo:
        TextTokenizer(char_ngrams=None).fit(X)
    message = str(excinfo.value)
    assert "'review'" in message
    assert "row 2" in message
    assert "'r3'" in message
    assert type(bad).__name__ in message
    # also at transform time, and for a DataFrame column
    tok = TextTokenizer(char_ngrams=None).fit(["fine"])
    with pytest.raises(TypeError, match=r"column 'review', row 2 \(index label 'r3'\)"):
        tok.transform(X.to_frame())


def test_non_string_cell_error_without_name():
    with pytest.raises(TypeError, match=r"input, row 1 holds a value of type int \(7\)"):
        TextTokenizer(char_ngrams=None).fit(["a", 7])
    with pytest.raises(TypeError, match=r"input, row 0 holds a value of type int \(1\)"):
        TextTokenizer(char_ngrams=None).fit(np.array([1, 2, 3]))


def test_error_shows_numpy_labels_as_plain_values():
    X = pd.DataFrame({0: ["a", 5]}, index=pd.Index([10, 11], dtype="int64"))
    with pytest.raises(TypeError, match=r"column 0, row 1 \(index label 11\)"):
        TextTokenizer(char_ngrams=None).fit(X)


def test_two_dimensional_input_is_refused():
    with pytest.raises(ValueError, match=r"1-D array.*shape \(2, 2\).*X\[:, 0\]"):
        TextTokenizer(char_ngrams=None).fit(np.array([["a", "b"], ["c", "d"]], dtype=object))
    df = pd.DataFrame({"title": ["a"], "body": ["b"]})
    with pytest.raises(ValueError, match=r"2 columns \['title', 'body'\].*Select one column"):
        TextTokenizer(char_ngrams=None).fit(df)
    tok = TextTokenizer(char_ngrams=None).fit(["a"])
    with pytest.raises(ValueError, match="Select one column"):
        tok.transform(df)


def test_bare_string_is_refused():
    with pytest.raises(ValueError, match="single str"):
        TextTokenizer(char_ngrams=None).fit("the cat sat")
    tok = TextTokenizer(char_ngrams=None).fit(DOCS)
    with pytest.raises(ValueError, match="Wrap it in a list"):
        tok.transform("the cat")


def test_unsupported_container_is_refused():
    with pytest.raises(TypeError, match="column of text documents"):
        TextTokenizer(char_ngrams=None).fit({"a", "b"})


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_tokens": 2}, r"'max_tokens' parameter of TextTokenizer must be"),
        ({"max_tokens": 10.0}, r"'max_tokens' parameter of TextTokenizer must be"),
        ({"max_tokens": True}, r"'max_tokens' parameter of TextTokenizer must be"),
        ({"min_frequency": 0}, r"'min_frequency' parameter of TextTokenizer must be"),
        ({"min_frequency": 0.5}, r"'min_frequency' parameter of TextTokenizer must be"),
        ({"sequence_length": 0}, r"'sequence_length' parameter of TextTokenizer must be"),
        ({"sequence_length": None}, r"'sequence_length' parameter of TextTokenizer must be"),
        ({"sequence_length": "longest"}, r"'sequence_length' parameter of TextTokenizer must be"),
        ({"lowercase": "yes"}, r"'lowercase' parameter of TextTokenizer must be"),
        ({"strip_punctuation": 1}, r"'strip_punctuation' parameter of TextTokenizer must be"),
        ({"padding": "left"}, r"'padding' parameter of TextTokenizer must be"),
        ({"truncating": None}, r"'truncating' parameter of TextTokenizer must be"),
        ({"split": 3}, r"'split' parameter of TextTokenizer must be"),
        ({"split": "(unclosed"}, "not a valid regular expression"),
        ({"split": r"(a)(b)"}, "at most one"),
    ],
)
def test_invalid_parameters_raise_in_fit(params, match):
    tok = TextTokenizer(**params)  # __init__ does not validate
    with pytest.raises(InvalidParameterError, match=match):
        tok.fit(DOCS)


def test_numpy_integer_parameters_are_accepted():
    tok = TextTokenizer(char_ngrams=None, max_tokens=np.int64(4), sequence_length=np.int32(2)).fit(
        DOCS
    )
    assert tok.vocabulary_size_ == 4
    assert tok.transform(DOCS).shape == (4, 2)


# --------------------------------------------------------------------------- #
# sklearn API
# --------------------------------------------------------------------------- #


def test_fit_returns_self_and_fit_transform_matches():
    tok = TextTokenizer(char_ngrams=None, sequence_length=4, padding="pre", truncating="pre")
    assert tok.fit(DOCS) is tok
    expected = tok.transform(DOCS)
    np.testing.assert_array_equal(clone(tok).fit_transform(DOCS), expected)
    X = pd.Series(DOCS + [None, "unseen words"])
    np.testing.assert_array_equal(clone(tok).fit_transform(X), clone(tok).fit(X).transform(X))


def test_refit_is_idempotent_and_forgets_previous_fit():
    tok = TextTokenizer(char_ngrams=None)
    tok.fit(pd.DataFrame({"text": ["x y z"]}))
    assert hasattr(tok, "feature_names_in_")
    tok.fit(DOCS)
    assert not hasattr(tok, "feature_names_in_")
    assert tok.vocabulary_ == TextTokenizer(char_ngrams=None).fit(DOCS).vocabulary_


def test_clone_get_params_set_params_round_trip():
    params = {
        "max_tokens": 50,
        "min_frequency": 2,
        "sequence_length": 7,
        "lowercase": False,
        "strip_punctuation": False,
        "split": r"\w+",
        "padding": "pre",
        "truncating": "pre",
        "char_ngrams": (2, 3),
        "missing": "error",
    }
    tok = TextTokenizer(**params)
    assert tok.get_params() == params
    cloned = clone(tok)
    assert cloned is not tok
    assert cloned.get_params() == params
    default = TextTokenizer()
    assert default.set_params(**params) is default
    assert default.get_params() == params
    assert default.set_params(sequence_length=9).sequence_length == 9
    assert TextTokenizer().get_params() == {
        "max_tokens": 20000,
        "min_frequency": 1,
        "sequence_length": "auto",
        "lowercase": True,
        "strip_punctuation": True,
        "split": None,
        "padding": "post",
        "truncating": "post",
        "char_ngrams": "auto",
        "missing": "zeros",
    }
    with pytest.raises(TypeError):
        TextTokenizer(50)  # keyword-only


def test_clone_of_fitted_is_unfitted():
    tok = TextTokenizer(char_ngrams=None).fit(DOCS)
    with pytest.raises(NotFittedError):
        clone(tok).transform(DOCS)


def test_pickle_round_trip():
    tok = TextTokenizer(char_ngrams=None, sequence_length=5, padding="pre").fit(DOCS)
    restored = pickle.loads(pickle.dumps(tok))
    assert restored.vocabulary_ == tok.vocabulary_
    assert list(restored.vocabulary_) == list(tok.vocabulary_)
    X = DOCS + ["unseen and known", None]
    np.testing.assert_array_equal(restored.transform(X), tok.transform(X))


def test_not_fitted_error():
    tok = TextTokenizer(char_ngrams=None)
    with pytest.raises(NotFittedError):
        tok.transform(DOCS)
    with pytest.raises(NotFittedError):
        tok.get_block_info()
    with pytest.raises(NotFittedError):
        tok.get_feature_names_out()


def test_feature_names_in_from_dataframe():
    train = pd.DataFrame({"review": DOCS})
    tok = TextTokenizer(char_ngrams=None).fit(train)
    np.testing.assert_array_equal(tok.feature_names_in_, ["review"])
    assert tok.feature_names_in_.dtype == object
    assert tok.n_features_in_ == 1
    # same column name is fine, a different one is refused
    tok.transform(pd.DataFrame({"review": ["a cat"]}))
    with pytest.raises(ValueError, match=r"fitted on column 'review'.*column 'title'"):
        tok.transform(pd.DataFrame({"title": ["a cat"]}))
    # Series / lists carry no feature names
    assert not hasattr(
        TextTokenizer(char_ngrams=None).fit(pd.Series(DOCS, name="review")), "feature_names_in_"
    )
    assert not hasattr(TextTokenizer(char_ngrams=None).fit(DOCS), "feature_names_in_")
    # non-string column names are not feature names
    assert not hasattr(
        TextTokenizer(char_ngrams=None).fit(pd.DataFrame({0: DOCS})), "feature_names_in_"
    )


def test_get_feature_names_out():
    tok = TextTokenizer(char_ngrams=None, sequence_length=3).fit(pd.DataFrame({"review": DOCS}))
    names = tok.get_feature_names_out()
    assert isinstance(names, np.ndarray)
    assert names.dtype == object
    assert names.tolist() == ["token_0", "token_1", "token_2"]
    assert tok.get_feature_names_out(["review"]).tolist() == names.tolist()
    with pytest.raises(ValueError, match="feature_names_in_"):
        tok.get_feature_names_out(["title"])
    with pytest.raises(ValueError, match="1 name"):
        tok.get_feature_names_out(["a", "b"])


def test_set_output_pandas():
    tok = TextTokenizer(char_ngrams=None, sequence_length=2).set_output(transform="pandas")
    X = pd.DataFrame({"review": ["cat dog", "dog"]}, index=["a", "b"])
    out = tok.fit(X).transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == ["token_0", "token_1"]
    assert out.index.tolist() == ["a", "b"]
    np.testing.assert_array_equal(out.to_numpy(), [[3, 2], [2, 0]])


def test_get_block_info():
    tok = TextTokenizer(char_ngrams=None, max_tokens=6, sequence_length=12).fit(DOCS)
    assert tok.get_block_info() == {"kind": "text", "vocabulary_size": 6, "sequence_length": 12}
    tok = TextTokenizer(char_ngrams=None, sequence_length=3).fit(["a b"])
    assert tok.get_block_info() == {"kind": "text", "vocabulary_size": 4, "sequence_length": 3}


def test_sklearn_tags():
    tags = TextTokenizer(char_ngrams=None).__sklearn_tags__()
    assert tags.input_tags.string is True
    assert tags.input_tags.one_d_array is True
    assert tags.input_tags.two_d_array is False
    assert tags.input_tags.allow_nan is True
    assert tags.transformer_tags.preserves_dtype == []
    assert tags.requires_fit is True


# --------------------------------------------------------------------------- #
# scikit-learn's estimator checks
# --------------------------------------------------------------------------- #


# scikit-learn's data checks run from the registry in tests/test_common.py; for
# two_d_array=False estimators it only runs check_estimator_cloneable (like CountVectorizer).


# The API checks that need no training data are run directly.
@pytest.mark.parametrize(
    "check_name",
    [
        "check_estimator_tags_renamed",
        "check_valid_tag_types",
        "check_estimator_repr",
        "check_no_attributes_set_in_init",
        "check_do_not_raise_errors_in_init_or_set_params",
        "check_mixin_order",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
    ],
)
def test_sklearn_data_free_api_checks(check_name):
    check = getattr(estimator_checks, check_name)
    check("TextTokenizer", TextTokenizer())


def test_char_ngrams_follow_the_words_with_boundary_marks():
    tok = TextTokenizer(char_ngrams=(2, 3), sequence_length=16).fit(["card", "audio card"])
    vocabulary = set(tok.vocabulary_)
    assert {"card", "audio", "#<c", "#ca", "#rd>", "#<ca", "#d>"} <= vocabulary
    assert "#<card>" not in vocabulary and "#card" not in vocabulary  # 4-grams: beyond max_n
    ids = tok.transform(["card"])[0]
    # the word first, then its 2-grams and 3-grams of "<card>", then padding
    expected = ["card", "#<c", "#ca", "#ar", "#rd", "#d>", "#<ca", "#car", "#ard", "#rd>"]
    assert ids[: len(expected)].tolist() == [tok.vocabulary_[t] for t in expected]
    assert (ids[len(expected) :] == 0).all()
    # a long document keeps its words: the n-grams are cut first
    long = tok.transform(["card " * 20])[0]
    assert (long == tok.vocabulary_["card"]).all()


@pytest.mark.parametrize("bad", [(0, 2), (3, 2), (2,), "2-4", "Auto", (2.0, 3)])
def test_char_ngrams_must_be_a_pair_of_lengths(bad):
    with pytest.raises(ValueError, match=r"'char_ngrams' parameter of TextTokenizer .* or a pair"):
        TextTokenizer(char_ngrams=bad).fit(["a b"])


def test_auto_char_ngrams_are_for_short_documents_only():
    from skmm.preprocessing._text import SHORT_TEXT_WORDS

    short = ["audio card", "cd rom drive", None, "", "x"]  # missing documents do not count
    tok = TextTokenizer().fit(short)
    assert tok.char_ngrams_ == (2, 4)
    assert "#<au" in tok.vocabulary_ and "#rom>" in tok.vocabulary_
    # transform writes the same subwords as fit learned
    ids = tok.transform(["audio card"])[0]
    assert tok.vocabulary_["#<au"] in ids
    np.testing.assert_array_equal(tok.fit_transform(short), tok.transform(short))

    at_limit = [" ".join(["w"] * SHORT_TEXT_WORDS)] * 3
    assert TextTokenizer().fit(at_limit).char_ngrams_ == (2, 4)
    longer = [" ".join(["w"] * (SHORT_TEXT_WORDS + 1))] * 2 + ["w"]  # median above the limit
    long_tok = TextTokenizer().fit(longer)
    assert long_tok.char_ngrams_ is None
    assert not any(token.startswith("#") for token in long_tok.vocabulary_)
    # explicit choices are kept as given
    assert TextTokenizer(char_ngrams=None).fit(short).char_ngrams_ is None
    assert TextTokenizer(char_ngrams=[3, 3]).fit(longer).char_ngrams_ == (3, 3)


def _words(n, prefix="w"):
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_auto_sequence_length_holds_95_percent_of_the_documents_whole():
    # 19 documents of 10 words and one of 100: 95 % hold 10 tokens -> 16 (a multiple of 8)
    docs = [_words(10)] * 19 + [_words(100)] + [None, ""]
    tok = TextTokenizer(char_ngrams=None).fit(docs)
    assert tok.sequence_length_ == 16
    ids = tok.transform(docs)
    assert ids.shape == (22, 16)
    assert (ids[:19, :10] > 1).all() and (ids[:19, 10:] == 0).all()
    assert (ids[19] > 1).all()  # the long one is cut to 16
    assert (ids[20:] == 0).all()  # missing documents are padding
    assert tok.get_block_info()["sequence_length"] == 16
    assert list(tok.get_feature_names_out()) == [f"token_{i}" for i in range(16)]
    # one more long document moves the 95th percentile: 18 of 20 short, 2 long
    tok = TextTokenizer(char_ngrams=None).fit([_words(10)] * 18 + [_words(100)] * 2)
    assert tok.sequence_length_ == 104


@pytest.mark.parametrize(
    "docs, expected",
    [
        (["one"] * 5, 8),  # the lower bound
        ([_words(1000)] * 3, 256),  # the upper bound
        ([_words(17)], 24),
    ],
)
def test_auto_sequence_length_bounds(docs, expected):
    assert TextTokenizer(char_ngrams=None).fit(docs).sequence_length_ == expected


def test_auto_sequence_length_counts_character_ngrams_and_keeps_ints():
    names = ["audio card", "cd rom", "sound card"]
    tok = TextTokenizer().fit(names)
    assert tok.char_ngrams_ == (2, 4)
    longest = max(len(tok._make_tokenize(None, (2, 4))(name)) for name in names)
    assert tok.sequence_length_ == -(-longest // 8) * 8
    assert tok.transform(names).shape == (3, tok.sequence_length_)
    assert TextTokenizer(sequence_length=np.int64(5)).fit(names).sequence_length_ == 5
    assert TextTokenizer(sequence_length=300).fit(names).sequence_length_ == 300
    # refitting on other documents decides again
    tok.set_params(char_ngrams=None).fit([_words(30)])
    assert tok.sequence_length_ == 32


def test_missing_policy_is_that_of_every_block():
    docs = pd.Series(["red cat", None, "", "  ", np.nan, pd.NA, "blue dog"], name="note")
    tok = TextTokenizer(char_ngrams=None)
    assert tok.missing == "zeros"
    ids = tok.fit_transform(docs)
    assert not ids[[1, 2, 3, 4, 5]].any() and ids[0].any() and ids[6].any()
    for position in (1, 2, 4):
        bad = docs.iloc[[0, position, 6]].reset_index(drop=True)
        with pytest.raises(ValueError, match="column 'note', row 1.*is missing.*missing='zeros'"):
            TextTokenizer(missing="error").fit(bad)
    fitted = TextTokenizer(missing="error").fit(["red cat"])
    with pytest.raises(ValueError, match="row 1 .*is missing"):
        fitted.transform(["red", None])
    for policy in ("zeros", "error"):
        with pytest.raises(ValueError, match="column 'note'.*every one of the 3 training rows"):
            TextTokenizer(missing=policy).fit(pd.Series([None, "", np.nan], name="note"))
    with pytest.raises(ValueError, match=r"'missing' parameter of TextTokenizer must be a str"):
        TextTokenizer(missing="drop").fit(["red"])
