"""Turn a column of raw text into fixed-length sequences of integer token ids."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, InvalidParameterError, StrOptions
from .._constraints import Predicate
from .._dataframes import as_pandas
from ._columns import (
    MISSING_POLICIES,
    Column,
    frame_column,
    record_input,
    refuse_all_missing,
)
from ._messages import describe_value, is_int, is_na

__all__ = ["TextTokenizer"]

#: Id written where there is no token (the padding side of a short document).
PADDING_ID = 0
#: Id written for a token that is not in the learned vocabulary.
OOV_ID = 1
_N_RESERVED = 2

_SIDES = ("pre", "post")


def _is_ngram_range(value):
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(is_int(n) for n in value)
        and 1 <= value[0] <= value[1]
    )


#: ``char_ngrams="auto"``: documents whose median length is at most this many words
#: are short, name-like text, and get the character n-grams ``AUTO_CHAR_NGRAMS``.
SHORT_TEXT_WORDS = 5
AUTO_CHAR_NGRAMS = (2, 4)

#: ``sequence_length="auto"``: the length holds this share of the training documents
#: (missing ones left out) whole, rounded up to a multiple of ``AUTO_LENGTH_STEP`` and
#: kept within ``AUTO_LENGTH_BOUNDS``.
AUTO_LENGTH_COVERAGE = 0.95
AUTO_LENGTH_STEP = 8
AUTO_LENGTH_BOUNDS = (8, 256)


class _PunctuationTable(dict):
    """Table for `str.translate` deleting every Unicode punctuation character.

    Punctuation is every code point whose general category starts with ``"P"``
    (``Pc``, ``Pd``, ``Ps``, ``Pe``, ``Pi``, ``Pf``, ``Po``). Filled in as
    characters are met (``str.translate`` looks each one up), instead of
    scanning all 1.1 million code points up front.
    """

    def __missing__(self, cp):
        value = None if unicodedata.category(chr(cp)).startswith("P") else cp
        self[cp] = value
        return value


@functools.cache
def _punctuation_table():
    """The process-wide `_PunctuationTable`."""
    return _PunctuationTable()


def _with_char_ngrams(words, sizes):
    """``words`` followed by the character n-grams of each of them."""
    return words + [gram for word in words for gram in _char_ngrams(word, sizes)]


def _char_ngrams(word, sizes):
    """The ``#``-marked character n-grams of ``<word>`` of the lengths in ``sizes``."""
    marked = f"<{word}>"
    return [
        "#" + marked[start : start + n]
        for n in sizes
        for start in range(len(marked) - n + 1)
        if marked[start : start + n] != marked
    ]


def text_column_tags(tags):
    """The tags of a transformer of one text column into int32 token ids."""
    tags.input_tags.string = True
    tags.input_tags.two_d_array = False
    tags.input_tags.one_d_array = True
    tags.input_tags.allow_nan = True
    # The output is int32 token ids whatever the input: no input dtype is kept.
    tags.transformer_tags.preserves_dtype = []
    return tags


def read_documents(estimator, X, *, reset):
    """Return the `Column` of text documents ``X``.

    The column's name and index are used to name rows in error messages.
    With ``reset=True`` the input-describing attributes of ``estimator`` (a
    transformer of one text column) are (re)set, otherwise the column name is
    checked against the one seen in ``fit``.
    """
    name = type(estimator).__name__
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{name} expects an iterable of text documents (a list, 1-D array, Series "
            f"or one-column DataFrame); got a single {type(X).__name__} object. Wrap "
            "it in a list to tokenize one document."
        )
    X = as_pandas(X, name)
    if isinstance(X, pd.DataFrame):
        column = frame_column(X, name, "text")
    elif isinstance(X, pd.Series):
        column = Column(X.tolist(), X.name, X.index, None)
    elif isinstance(X, np.ndarray):
        if X.ndim != 1:
            raise ValueError(
                f"{name} expects a 1-D array of text documents, but got an array of "
                f"shape {X.shape}. Pass one column, e.g. X[:, 0], or a one-column "
                "DataFrame."
            )
        column = Column(X.tolist(), None, None, None)
    elif isinstance(X, (pd.Index, pd.api.extensions.ExtensionArray)):
        column = Column(X.tolist(), None, None, None)
    elif isinstance(X, (list, tuple)):
        column = Column(list(X), None, None, None)
    else:
        raise TypeError(
            f"{name} expects a column of text documents: a pandas Series, a list or "
            f"tuple, a 1-D NumPy array or a one-column DataFrame; got "
            f"{type(X).__module__}.{type(X).__qualname__}."
        )
    record_input(estimator, X, column, reset=reset, estimator=name)
    return column


class TextTokenizer(TransformerMixin, BaseEstimator):
    """Map a column of text documents to padded sequences of integer token ids.

    ``fit`` learns a vocabulary from the documents: every document is normalised
    (optionally lower-cased, optionally stripped of punctuation), split into
    tokens, and the tokens are counted. Tokens seen at least ``min_frequency``
    times are kept, ordered by decreasing count and then alphabetically, and at
    most ``max_tokens - 2`` of them are kept. Two ids are reserved: ``0`` is
    padding and ``1`` stands for any out-of-vocabulary token; the kept tokens get
    the ids ``2, 3, ...`` in that order.

    ``transform`` writes the ids of each document's tokens into a row of
    ``sequence_length_`` int32 values, cutting long documents and padding short
    ones with ``0``. The result feeds an embedding layer with
    ``vocabulary_size_`` rows.

    Parameters
    ----------
    max_tokens : int or None, default=20000
        Size of the id space, *including* the two reserved ids (padding and
        out-of-vocabulary), so at most ``max_tokens - 2`` tokens are learned.
        Must be at least 3. ``None`` keeps every token that passes
        ``min_frequency``.

    min_frequency : int, default=1
        Tokens seen fewer than ``min_frequency`` times over all training
        documents are left out of the vocabulary (they become
        out-of-vocabulary). Must be at least 1.

    sequence_length : "auto" or int, default="auto"
        Number of ids in each output row. An int (at least 1) is used as it
        is. ``"auto"`` decides at ``fit`` from the training documents (their
        tokens, character n-grams included; missing documents left out): the
        smallest multiple of ``AUTO_LENGTH_STEP = 8`` that holds
        ``AUTO_LENGTH_COVERAGE = 95 %`` of them whole, kept between 8 and 256
        (``AUTO_LENGTH_BOUNDS``), so that short titles are not padded to
        hundreds of ids and reviews are not cut after their first sentences;
        ``sequence_length_`` says what was chosen.

    lowercase : bool, default=True
        Lower-case each document before splitting it.

    strip_punctuation : bool, default=True
        Delete every Unicode punctuation character (general category ``P*``)
        before splitting, so ``"don't!"`` becomes ``"dont"``. Symbols such as
        ``"$"`` or ``"+"`` are not punctuation and are kept.

    split : str or None, default=None
        How a normalised document is cut into tokens. ``None`` splits on runs of
        whitespace. A string is a regular expression that matches one token;
        the tokens are all its non-overlapping matches (as in
        `re.findall`; the pattern may hold at most one capturing group,
        whose text is then the token).

    padding : {"post", "pre"}, default="post"
        Side on which short documents are filled with ``0``.

    truncating : {"post", "pre"}, default="post"
        Side from which tokens are dropped when a document has more than
        ``sequence_length_`` tokens: ``"post"`` keeps the first tokens,
        ``"pre"`` keeps the last ones.

    char_ngrams : "auto", tuple of (int, int) or None, default="auto"
        Also learn character n-grams, for short, name-like text (titles,
        product names, the words of file names), where words alone are too
        rare to learn from. ``"auto"`` decides at ``fit``: ``(2, 4)`` when the
        median training document (missing ones left out) has at most
        ``SHORT_TEXT_WORDS = 5`` words, else none; ``char_ngrams_`` says which.
        ``None`` learns words only. ``(min_n, max_n)`` adds, after a document's
        words, the n-grams of ``min_n`` to ``max_n`` characters of each word
        written between the boundary marks ``<`` and ``>`` (fastText's
        subwords: ``"card"`` with ``(2, 3)`` gives ``<c``, ``ca``, ``ar``,
        ``rd``, ``d>``, ``<ca``, ``car``, ``ard``, ``rd>``), each stored with a
        leading ``#`` (``"#car"``) so that it never meets a word of the
        vocabulary. They share the vocabulary (``max_tokens``,
        ``min_frequency``) with the words; as they come after the words, a
        long document keeps its words first when ``truncating="post"``.

    missing : {"zeros", "error"}, default="zeros"
        What a missing document (None, NaN, ``pd.NA``, an empty or blank
        string) becomes, as for every kind of block: ``"zeros"`` gives a row
        of padding (all zeros), which [`MultimodalInput`][skmm.compose.MultimodalInput] marks
        absent (presence mask 0); ``"error"`` raises a ``ValueError`` naming
        the column and row. A column missing in every training row raises
        under both policies.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Learned tokens mapped to their ids, in id order (most frequent first,
        ties broken alphabetically). Ids start at 2.

    vocabulary_size_ : int
        ``len(vocabulary_) + 2``: the number of distinct ids ``transform`` can
        write, which is the input size an embedding layer needs.

    char_ngrams_ : tuple of (int, int) or None
        The character n-gram sizes used: ``char_ngrams`` itself, or what
        ``"auto"`` chose.

    sequence_length_ : int
        The number of ids in each output row: ``sequence_length`` itself, or
        what ``"auto"`` chose.

    n_features_in_ : int
        Always 1: the tokenizer reads one text column.

    feature_names_in_ : ndarray of shape (1,)
        Name of the column seen in ``fit``. Defined only when ``X`` was a
        one-column DataFrame whose column name is a string.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts from
        text documents.

    Notes
    -----
    **Accepted input.** ``X`` is one column of documents: a pandas or polars
    Series, a list or tuple, a 1-D NumPy array, a pandas Index or extension
    array, or a pandas or polars DataFrame with exactly one column. A bare
    string, a 2-D array or a DataFrame with several columns is refused with a
    ``ValueError``.

    **Missing documents.** A cell that is ``None``, a float NaN or ``pd.NA``
    is a missing document, and so is a string that is empty or holds only
    whitespace. With ``missing="zeros"`` (the default) a missing document
    contributes nothing to the vocabulary and is transformed into a row of
    padding (all zeros), as is a document of nothing but punctuation when
    ``strip_punctuation=True``; with ``missing="error"`` it raises. No row is
    ever dropped: ``transform`` returns one row per input row.

    **Other cells.** Any other cell that is not a ``str`` (a number, bytes, a
    list, ...) raises a ``TypeError`` naming the column, the row (position and,
    for pandas input, index label) and the type found.

    **Column names.** When fitted on a one-column DataFrame, ``transform``
    refuses a DataFrame whose column has another name. Series names are not
    checked.

    Examples
    --------
    >>> from skmm.preprocessing import TextTokenizer
    >>> docs = ["The cat sat.", "The dog sat!", "A bird?", None]
    >>> tok = TextTokenizer(sequence_length=4, char_ngrams=None).fit(docs)
    >>> tok.vocabulary_
    {'sat': 2, 'the': 3, 'a': 4, 'bird': 5, 'cat': 6, 'dog': 7}
    >>> tok.vocabulary_size_
    8
    >>> tok.transform(["the cat ran", "", "Sat, sat, sat, sat, sat"])
    array([[3, 6, 1, 0],
           [0, 0, 0, 0],
           [2, 2, 2, 2]], dtype=int32)
    >>> tok.get_block_info()
    {'kind': 'text', 'vocabulary_size': 8, 'sequence_length': 4}

    By default, short documents also get character n-grams (``"auto"``):

    >>> names = TextTokenizer().fit(["audio card", "cd rom", None])
    >>> names.char_ngrams_
    (2, 4)
    >>> [token for token in names.vocabulary_ if token.startswith("#") and "rd" in token]
    ['#ard', '#ard>', '#card', '#rd', '#rd>']
    >>> TextTokenizer().fit(["a review of ten words, long enough to be prose"]).char_ngrams_ is None
    True

    and the row length fits the training documents (``"auto"``):

    >>> names.sequence_length_
    32
    >>> TextTokenizer(sequence_length=10).fit(["audio card"]).sequence_length_
    10
    """

    def __init__(
        self,
        *,
        max_tokens=20000,
        min_frequency=1,
        sequence_length="auto",
        lowercase=True,
        strip_punctuation=True,
        split=None,
        padding="post",
        truncating="post",
        char_ngrams="auto",
        missing="zeros",
    ):
        self.max_tokens = max_tokens
        self.min_frequency = min_frequency
        self.sequence_length = sequence_length
        self.lowercase = lowercase
        self.strip_punctuation = strip_punctuation
        self.split = split
        self.padding = padding
        self.truncating = truncating
        self.char_ngrams = char_ngrams
        self.missing = missing

    # ------------------------------------------------------------------ #
    # Parameter and input validation
    # ------------------------------------------------------------------ #

    _parameter_constraints = {
        "max_tokens": [None, Interval(Integral, 3, None, closed="left")],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "sequence_length": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "lowercase": ["boolean"],
        "strip_punctuation": ["boolean"],
        "split": [None, str],
        "padding": [StrOptions(set(_SIDES))],
        "truncating": [StrOptions(set(_SIDES))],
        "char_ngrams": [
            StrOptions({"auto"}),
            None,
            Predicate(_is_ngram_range, "a pair (min_n, max_n) of ints with 1 <= min_n <= max_n"),
        ],
        "missing": [StrOptions(set(MISSING_POLICIES))],
    }

    def _split_pattern(self):
        """Check the parameters (``max_tokens`` counts the two reserved ids, padding and
        out-of-vocabulary, hence at least 3); return the compiled ``split`` pattern."""
        self._validate_params()
        name = type(self).__name__
        if self.split is None:
            return None
        try:
            pattern = re.compile(self.split)
        except re.error as exc:
            raise InvalidParameterError(
                f"{name}: split={self.split!r} is not a valid regular expression: {exc}."
            ) from exc
        if pattern.groups > 1:
            raise InvalidParameterError(
                f"{name}: split={self.split!r} has {pattern.groups} capturing groups; it may "
                "have at most one (use (?:...) for non-capturing groups)."
            )
        return pattern

    def _make_tokenize(self, pattern, char_ngrams):
        """Build the function turning one document into its list of tokens."""
        lowercase = bool(self.lowercase)
        table = _punctuation_table() if self.strip_punctuation else None
        sizes = None
        if char_ngrams is not None:
            sizes = range(int(char_ngrams[0]), int(char_ngrams[1]) + 1)

        def tokenize(doc):
            if lowercase:
                doc = doc.lower()
            if table is not None:
                doc = doc.translate(table)
            words = pattern.findall(doc) if pattern is not None else doc.split()
            if sizes is None:
                return words
            return _with_char_ngrams(words, sizes)

        return tokenize

    def _validate_documents(self, X, *, reset):
        """Return the `Column` of text documents ``X`` (see `read_documents`)."""
        return read_documents(self, X, reset=reset)

    @staticmethod
    def _bad_cell(value, position, column):
        return TypeError(
            f"{column.where(position, 'TextTokenizer')} holds a value of type "
            f"{type(value).__name__} ({describe_value(value)}). Expected a str, or None / "
            "NaN / pd.NA for a missing document."
        )

    @staticmethod
    def _missing_cell(value, position, column):
        return ValueError(
            f"{column.where(position, 'TextTokenizer')} is missing ({describe_value(value)}). "
            "Missing documents are an error with missing='error': drop or fill these rows, "
            "or use missing='zeros' (the default) to make them all padding, an absent text "
            "block for MultimodalInput."
        )

    def _tokenize_all(self, column, tokenize):
        """Tokenize every document; missing documents give an empty token list
        (or raise, with ``missing="error"``)."""
        tokenized = []
        append = tokenized.append
        refuse = self.missing == "error"
        for position, doc in enumerate(column.cells):
            if isinstance(doc, str):
                if refuse and not doc.strip():
                    raise self._missing_cell(doc, position, column)
                append(tokenize(doc))
            elif is_na(doc):
                if refuse:
                    raise self._missing_cell(doc, position, column)
                append([])
            else:
                raise self._bad_cell(doc, position, column)
        return tokenized

    # ------------------------------------------------------------------ #
    # Fitting
    # ------------------------------------------------------------------ #

    def _fit_tokens(self, tokenized, n_documents):
        counts = Counter()
        for tokens in tokenized:
            counts.update(tokens)
        kept = [(token, n) for token, n in counts.items() if n >= self.min_frequency]
        kept.sort(key=lambda item: (-item[1], item[0]))
        if self.max_tokens is not None:
            kept = kept[: self.max_tokens - _N_RESERVED]
        if not kept:
            raise ValueError(
                f"TextTokenizer: empty vocabulary. The {n_documents} training documents "
                f"hold {len(counts)} distinct tokens, none seen at least "
                f"min_frequency={self.min_frequency} times (missing, empty and "
                "whitespace-only documents have no tokens)."
            )
        self.vocabulary_ = {token: i for i, (token, _) in enumerate(kept, start=_N_RESERVED)}
        self.vocabulary_size_ = len(self.vocabulary_) + _N_RESERVED
        self.sequence_length_ = self._choose_sequence_length(tokenized)
        return self

    def _choose_sequence_length(self, tokenized):
        """``sequence_length`` itself, or the length ``"auto"`` picks for ``tokenized``."""
        if not isinstance(self.sequence_length, str):
            return int(self.sequence_length)
        low, high = AUTO_LENGTH_BOUNDS
        lengths = np.sort([len(tokens) for tokens in tokenized if tokens])
        if not len(lengths):
            return low
        covered = int(lengths[int(np.ceil(AUTO_LENGTH_COVERAGE * len(lengths))) - 1])
        rounded = -(-covered // AUTO_LENGTH_STEP) * AUTO_LENGTH_STEP
        return int(min(max(rounded, low), high))

    def fit(self, X, y=None):
        """Learn the vocabulary of the documents in ``X``.

        Parameters
        ----------
        X : Series, list, tuple, 1-D ndarray or one-column DataFrame of str
            Training documents, one per row. None, NaN and ``pd.NA`` are
            missing documents.

        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.
        """
        return self._fit_tokens(*self._tokenize_for_fit(X))

    def fit_transform(self, X, y=None):
        """Learn the vocabulary of ``X`` and return ``X`` as token-id sequences.

        Same result as ``fit(X).transform(X)``, tokenizing each document once.

        Parameters
        ----------
        X : Series, list, tuple, 1-D ndarray or one-column DataFrame of str
            Training documents, one per row.

        y : None
            Ignored.

        Returns
        -------
        X_ids : ndarray of shape (n_documents, sequence_length_), dtype int32
            Token ids, padded with 0.
        """
        tokenized, n_documents = self._tokenize_for_fit(X)
        self._fit_tokens(tokenized, n_documents)
        return self._encode(tokenized)

    def _tokenize_for_fit(self, X):
        """Tokenize the training documents, deciding ``char_ngrams_`` on the way."""
        pattern = self._split_pattern()
        column = self._validate_documents(X, reset=True)
        refuse_all_missing(column, type(self).__name__, "a document")
        if not (isinstance(self.char_ngrams, str) and self.char_ngrams == "auto"):
            self.char_ngrams_ = None if self.char_ngrams is None else tuple(self.char_ngrams)
            tokenize = self._make_tokenize(pattern, self.char_ngrams_)
            return self._tokenize_all(column, tokenize), len(column)
        # "auto": the words first, then their n-grams if the documents are short
        words = self._tokenize_all(column, self._make_tokenize(pattern, None))
        lengths = [len(tokens) for tokens in words if tokens]
        short = bool(lengths) and float(np.median(lengths)) <= SHORT_TEXT_WORDS
        self.char_ngrams_ = AUTO_CHAR_NGRAMS if short else None
        if short:
            sizes = range(AUTO_CHAR_NGRAMS[0], AUTO_CHAR_NGRAMS[1] + 1)
            words = [_with_char_ngrams(tokens, sizes) for tokens in words]
        return words, len(column)

    # ------------------------------------------------------------------ #
    # Transforming
    # ------------------------------------------------------------------ #

    def _encode(self, tokenized):
        """Fill the (n_documents, sequence_length_) int32 id matrix."""
        length = self.sequence_length_
        get = self.vocabulary_.get
        keep_first = self.truncating == "post"
        flat = []
        lengths = np.empty(len(tokenized), dtype=np.intp)
        for i, tokens in enumerate(tokenized):
            if len(tokens) > length:
                tokens = tokens[:length] if keep_first else tokens[-length:]
            flat.extend([get(token, OOV_ID) for token in tokens])
            lengths[i] = len(tokens)
        out = np.zeros((len(tokenized), length), dtype=np.int32)
        if not flat:
            return out
        ids = np.asarray(flat, dtype=np.int32)
        rows = np.repeat(np.arange(len(tokenized)), lengths)
        starts = np.cumsum(lengths) - lengths
        cols = np.arange(len(flat)) - np.repeat(starts, lengths)
        if self.padding == "pre":
            cols += np.repeat(length - lengths, lengths)
        out[rows, cols] = ids
        return out

    def transform(self, X):
        """Turn each document of ``X`` into a row of token ids.

        Parameters
        ----------
        X : Series, list, tuple, 1-D ndarray or one-column DataFrame of str
            Documents, one per row. Missing documents (None, NaN, ``pd.NA``,
            empty or whitespace-only strings) give a row of zeros.

        Returns
        -------
        X_ids : ndarray of shape (n_documents, sequence_length_), dtype int32
            Token ids: ``1`` for an out-of-vocabulary token, ``0`` for padding.
        """
        check_is_fitted(self, "vocabulary_")
        pattern = self._split_pattern()
        column = self._validate_documents(X, reset=False)
        tokenize = self._make_tokenize(pattern, self.char_ngrams_)
        return self._encode(self._tokenize_all(column, tokenize))

    def get_feature_names_out(self, input_features=None):
        """Name the output columns: one per position in the sequence.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Name of the input column. Only checked: it must hold one name, equal
            to ``feature_names_in_`` when that is defined.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["token_0", "token_1", ..., f"token_{sequence_length_ - 1}"]``.
        """
        check_is_fitted(self, "vocabulary_")
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object).ravel()
            if input_features.shape[0] != self.n_features_in_:
                raise ValueError(
                    f"input_features should hold {self.n_features_in_} name (the text "
                    f"column); got {input_features.shape[0]}: {list(input_features)!r}."
                )
            fitted_names = getattr(self, "feature_names_in_", None)
            if fitted_names is not None and not np.array_equal(input_features, fitted_names):
                raise ValueError(
                    f"input_features {list(input_features)!r} is not equal to "
                    f"feature_names_in_ {list(fitted_names)!r}."
                )
        return np.asarray([f"token_{i}" for i in range(self.sequence_length_)], dtype=object)

    def get_block_info(self):
        """Describe the encoded block for building the network input.

        Returns
        -------
        info : dict
            ``{"kind": "text", "vocabulary_size": vocabulary_size_,
            "sequence_length": sequence_length_}``.
        """
        check_is_fitted(self, "vocabulary_")
        return {
            "kind": "text",
            "vocabulary_size": self.vocabulary_size_,
            "sequence_length": self.sequence_length_,
        }

    def __sklearn_tags__(self):
        return text_column_tags(super().__sklearn_tags__())
