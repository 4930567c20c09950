"""Tokenize a text column with the tokenizer of a local Keras-Hub preset."""

from __future__ import annotations

import json
import tempfile
from numbers import Integral
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions
from .._constraints import Predicate
from .._presets import check_local_preset, import_keras_hub, load_tokenizer
from ._columns import MISSING_POLICIES, refuse_all_missing
from ._messages import describe_value, is_na
from ._text import AUTO_LENGTH_COVERAGE, AUTO_LENGTH_STEP, read_documents, text_column_tags

__all__ = ["PresetTokenizer"]

#: Longest rows ``sequence_length="auto"`` gives when the preset does not say how long
#: its backbone's sequences may be.
DEFAULT_MAX_LENGTH = 512


def _is_path(value):
    import os

    return isinstance(value, str | os.PathLike)


class PresetTokenizer(TransformerMixin, BaseEstimator):
    """Token ids and padding masks of a text column, by a local Keras-Hub preset's tokenizer.

    The block it makes (kind ``"pretrained_text"``) is encoded by the same
    preset's backbone (BERT, RoBERTa, DeBERTa, DistilBERT, ...: any Keras-Hub
    text backbone), fine-tuned or frozen as the estimator's
    ``backbone_trainable`` says. Nothing is downloaded: ``preset`` is the path
    of a directory on this machine (see ``docs/pretrained.md`` for how to get
    one), and a remote handle (``kaggle://``, ``hf://``, a URL, a preset name) is
    an error.

    Fitting reads the preset's tokenizer (its configuration and vocabulary
    files) into the transformer: once fitted, it needs the directory no more,
    and a saved model carries its tokenizer.

    Parameters
    ----------
    preset : str or path-like
        A local Keras-Hub preset directory with a tokenizer (``tokenizer.json``
        and ``assets/``) and, for the network, a backbone (``config.json`` and
        its weights).
    sequence_length : int or "auto", default="auto"
        Tokens per row, the start and end tokens included; longer texts are
        cut. ``"auto"`` covers 95 % of the training texts, rounded up to a
        multiple of 8, at most the backbone's ``max_sequence_length`` (512 when
        the preset does not say).
    missing : {"zeros", "error"}, default="zeros"
        A missing text (None, NaN, an empty or blank string): a row of padding
        with an all-zero mask (an absent block for `MultimodalInput`), or an
        error naming the row.

    Attributes
    ----------
    tokenizer_config_ : str
        The preset tokenizer's Keras configuration (JSON).
    tokenizer_assets_ : dict of str to ndarray of uint8
        Its asset files (the vocabulary, merges or SentencePiece model), by name.
    vocabulary_size_ : int
    sequence_length_ : int
    pad_token_id_, start_token_id_, end_token_id_ : int or None
        The ids written for padding and around each text (None where the
        tokenizer has no such token).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when fitted on a one-column DataFrame.

    Examples
    --------
    A tiny preset made here (a real one is downloaded once, or converted from a
    Hugging Face checkpoint by Keras-Hub, then used from its directory):

    >>> import tempfile, keras_hub
    >>> vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film"]
    >>> preset = tempfile.mkdtemp()
    >>> keras_hub.models.BertBackbone(
    ...     vocabulary_size=8, num_layers=1, num_heads=1, hidden_dim=8, intermediate_dim=8
    ... ).save_to_preset(preset)
    >>> keras_hub.models.BertTokenizer(vocabulary=vocabulary).save_to_preset(preset)
    >>> from skmm import PresetTokenizer
    >>> tokens = PresetTokenizer(preset, sequence_length=6).fit(["good film", "bad"])
    >>> tokens.transform(["good film", None])[:, 0]
    array([[2, 5, 7, 3, 0, 0],
           [0, 0, 0, 0, 0, 0]], dtype=int32)
    >>> tokens.transform(["good film", None])[:, 1]
    array([[1, 1, 1, 1, 0, 0],
           [0, 0, 0, 0, 0, 0]], dtype=int32)
    """

    _parameter_constraints = {
        "preset": [Predicate(_is_path, "a local preset directory (str or path-like)")],
        "sequence_length": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
        "missing": [StrOptions(set(MISSING_POLICIES))],
    }

    def __init__(self, preset, *, sequence_length="auto", missing="zeros"):
        self.preset = preset
        self.sequence_length = sequence_length
        self.missing = missing

    # -- the tokenizer ---------------------------------------------------------------

    def _read_preset(self):
        """Read the preset's tokenizer into the fitted attributes; return it."""
        tokenizer = load_tokenizer(self.preset, "PresetTokenizer(preset=...)")
        import keras

        with tempfile.TemporaryDirectory() as folder:
            tokenizer.save_assets(folder)
            self.tokenizer_assets_ = {
                path.relative_to(folder).as_posix(): np.frombuffer(
                    path.read_bytes(), dtype=np.uint8
                ).copy()
                for path in sorted(Path(folder).rglob("*"))
                if path.is_file()
            }
        self.tokenizer_config_ = json.dumps(keras.saving.serialize_keras_object(tokenizer))
        self._tokenizer = tokenizer
        return tokenizer

    def _get_tokenizer(self):
        """The tokenizer, rebuilt from the fitted attributes (never from the directory)."""
        tokenizer = vars(self).get("_tokenizer")
        if tokenizer is not None:
            return tokenizer
        import_keras_hub("A fitted PresetTokenizer")
        import keras

        tokenizer = keras.saving.deserialize_keras_object(json.loads(self.tokenizer_config_))
        with tempfile.TemporaryDirectory() as folder:
            for name, data in self.tokenizer_assets_.items():
                path = Path(folder, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(np.asarray(data, dtype=np.uint8).tobytes())
            tokenizer.load_assets(folder)
        self._tokenizer = tokenizer
        return tokenizer

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_tokenizer", None)  # rebuilt from the configuration and the assets
        return state

    # -- texts -----------------------------------------------------------------------

    def _token_lists(self, column, tokenizer):
        """Each text's token ids (None for a missing one, or an error with missing="error")."""
        where = []
        texts = []
        for position, text in enumerate(column.cells):
            if isinstance(text, str) and text.strip():
                where.append(position)
                texts.append(text)
            elif isinstance(text, str) or is_na(text):
                if self.missing == "error":
                    raise ValueError(
                        f"{column.where(position, 'PresetTokenizer')} is missing "
                        f"({describe_value(text)}). Missing texts are an error with "
                        "missing='error': drop or fill these rows, or use missing='zeros'."
                    )
            else:
                raise TypeError(
                    f"{column.where(position, 'PresetTokenizer')} holds a value of type "
                    f"{type(text).__name__} ({describe_value(text)}). Expected a str, or "
                    "None / NaN for a missing text."
                )
        lists = [None] * len(column.cells)
        if texts:
            ids = tokenizer(texts)
            ids = ids.to_list() if hasattr(ids, "to_list") else ids
            for position, row in zip(where, ids, strict=True):
                lists[position] = [int(i) for i in np.asarray(row).ravel()]
        return lists

    def _choose_sequence_length(self, lists):
        if not isinstance(self.sequence_length, str):
            return int(self.sequence_length)
        config = Path(check_local_preset(self.preset, "PresetTokenizer(preset=...)"))
        longest = DEFAULT_MAX_LENGTH
        if (config / "config.json").is_file():
            backbone = json.loads((config / "config.json").read_text()).get("config", {})
            longest = int(backbone.get("max_sequence_length") or DEFAULT_MAX_LENGTH)
        extra = (self.start_token_id_ is not None) + (self.end_token_id_ is not None)
        lengths = np.sort([len(ids) + extra for ids in lists if ids is not None])
        covered = int(lengths[int(np.ceil(AUTO_LENGTH_COVERAGE * len(lengths))) - 1])
        rounded = -(-covered // AUTO_LENGTH_STEP) * AUTO_LENGTH_STEP
        return int(min(max(rounded, AUTO_LENGTH_STEP), longest))

    def _pack(self, lists):
        """Rows of ``(2, sequence_length_)``: start, tokens (cut), end, padding; the mask."""
        length = self.sequence_length_
        start = [] if self.start_token_id_ is None else [self.start_token_id_]
        end = [] if self.end_token_id_ is None else [self.end_token_id_]
        room = max(0, length - len(start) - len(end))
        pad = 0 if self.pad_token_id_ is None else self.pad_token_id_
        out = np.full((len(lists), 2, length), pad, dtype=np.int32)
        out[:, 1] = 0
        for row, ids in enumerate(lists):
            if ids is None:
                continue
            packed = (start + ids[:room] + end)[:length]
            out[row, 0, : len(packed)] = packed
            out[row, 1, : len(packed)] = 1
        return out

    def fit(self, X, y=None):
        """Read the preset's tokenizer and choose the row length.

        Parameters
        ----------
        X : Series, list, 1-D ndarray or one-column DataFrame of str
            The training texts.
        y : ignored

        Returns
        -------
        self : PresetTokenizer
        """
        self._validate_params()
        column = read_documents(self, X, reset=True)
        refuse_all_missing(column, "PresetTokenizer", "a text")
        tokenizer = self._read_preset()
        self.vocabulary_size_ = int(tokenizer.vocabulary_size())
        for name in ("pad_token_id", "start_token_id", "end_token_id"):
            value = getattr(tokenizer, name, None)
            setattr(self, f"{name}_", None if value is None else int(value))
        self.sequence_length_ = self._choose_sequence_length(self._token_lists(column, tokenizer))
        return self

    def transform(self, X):
        """Token ids and padding masks of the texts of ``X``.

        Parameters
        ----------
        X : Series, list, 1-D ndarray or one-column DataFrame of str

        Returns
        -------
        rows : ndarray of shape (n_texts, 2, sequence_length_), int32
            ``rows[:, 0]`` the token ids (the start token, the text's tokens,
            the end token, then padding), ``rows[:, 1]`` the mask (1 for a real
            token). A missing text is all padding with a zero mask.
        """
        check_is_fitted(self, "tokenizer_config_")
        column = read_documents(self, X, reset=False)
        return self._pack(self._token_lists(column, self._get_tokenizer()))

    def get_feature_names_out(self, input_features=None):
        """``token_<i>`` then ``mask_<i>`` for each position (the rows, flattened)."""
        check_is_fitted(self, "tokenizer_config_")
        positions = range(self.sequence_length_)
        return np.asarray(
            [f"token_{i}" for i in positions] + [f"mask_{i}" for i in positions], dtype=object
        )

    def get_block_info(self):
        """Describe the block for the network: its kind, vocabulary and preset.

        Returns
        -------
        info : dict
            ``{"kind": "pretrained_text", "vocabulary_size": ..., "sequence_length":
            ..., "preset": <the preset directory>}``; the network loads the
            backbone from ``preset`` when it is built.
        """
        check_is_fitted(self, "tokenizer_config_")
        return {
            "kind": "pretrained_text",
            "vocabulary_size": self.vocabulary_size_,
            "sequence_length": self.sequence_length_,
            "preset": str(self.preset),
        }

    def __sklearn_tags__(self):
        return text_column_tags(super().__sklearn_tags__())
