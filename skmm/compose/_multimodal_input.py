"""MultimodalInput: one transformer per block, outputs kept apart."""

from __future__ import annotations

import numbers
from dataclasses import fields

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import TransformerMixin, clone
from sklearn.utils import Bunch
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted, validate_data

from .._compat import VisualBlock
from .._dataframes import as_pandas, polars_columns
from ..modalities import get_modality
from ._blocks import BlockSpec, MultimodalBlocks, is_lazy

#: The fields of BlockSpec a transformer's block info may set directly.
_SPEC_FIELDS = frozenset(field.name for field in fields(BlockSpec))

_SPECIAL = ("passthrough", "drop")


class MultimodalInput(TransformerMixin, _BaseComposition, auto_wrap_output_keys=None):
    """Apply one transformer per block of columns and keep the outputs apart.

    Like `ColumnTransformer`, but instead of stacking
    the outputs into one 2-D float matrix it returns a
    [`MultimodalBlocks`][skmm.compose.MultimodalBlocks]: per block, the array with its own
    shape and dtype (int32 token ids, float32 images, float32 tabular
    features) and a [`BlockSpec`][skmm.compose.BlockSpec] that tells
    [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] which encoder to build. Nothing
    needs
    to be configured twice.

    Parameters
    ----------
    transformers : list of (name, transformer, columns) tuples
        ``name`` names the block (and the network input); it must be unique
        and must not contain ``"__"``. ``transformer`` is any scikit-learn
        transformer, ``"passthrough"`` (columns as float32 features) or
        ``"drop"``. Transformers that describe their output with a
        ``get_block_info()`` method ([`TextTokenizer`][skmm.preprocessing.TextTokenizer],
        [`ImageNormalizer`][skmm.preprocessing.ImageNormalizer]) make text or image blocks; any
        other
        transformer (``StandardScaler``, ``OneHotEncoder``, ...) makes a
        tabular block of float32 features (sparse output is densified).
        ``columns`` is a column name or position (the transformer then
        receives a 1-D column, as text and image transformers expect), a list
        of them (a 2-D frame), or a callable such as
        `make_column_selector`.

    Attributes
    ----------
    transformers_ : list of (name, fitted transformer, columns) tuples
        The fitted transformers, ``"drop"`` blocks left out.
    named_transformers_ : `Bunch`
        Fitted transformers by block name.
    block_specs_ : dict of str to BlockSpec
        What each output block holds.
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray of str
        Column names seen in fit (when ``X`` has string column names).

    See Also
    --------
    MultimodalClassifier : Builds its network from the blocks made here.

    Notes
    -----
    Text, image and audio blocks carry a presence mask: a row whose cell is
    None, NaN or an empty string is marked missing, and the network zeroes
    that block's features for that row and predicts from the other blocks.
    Every built-in transformer has the same ``missing`` policy: by default
    (``"zeros"``) a missing cell becomes an all-zeros row of its block
    (padding, zero pixels, zero features), so the block is simply absent for
    that row; ``missing="error"`` makes it an error naming the row.

    A polars ``DataFrame`` is accepted wherever a pandas one is and gives the
    same blocks: it is read as pandas column by column (only the columns the
    blocks use, in ``transform``); a ``LazyFrame`` must be collected first.

    Tabular blocks must produce finite numbers; a NaN or infinite value in a
    tabular block's output raises an error naming the block and the row
    (impute first, e.g. with `SimpleImputer` in a
    pipeline as the block's transformer).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm import MultimodalInput, TextTokenizer
    >>> X = pd.DataFrame({"review": ["good shoes", "bad fit", "good fit"],
    ...                   "price": [10.0, 12.0, 9.0]})
    >>> pre = MultimodalInput([
    ...     ("text", TextTokenizer(sequence_length=4, char_ngrams=None), "review"),
    ...     ("numbers", StandardScaler(), ["price"]),
    ... ])
    >>> blocks = pre.fit_transform(X)
    >>> blocks
    MultimodalBlocks(text: text (3, 4) int32, numbers: tabular (3, 1) float32)
    >>> blocks["text"][0]
    array([3, 5, 0, 0], dtype=int32)
    """

    _parameter_constraints: dict = {"transformers": [list, tuple]}

    def __init__(self, transformers):
        self.transformers = transformers

    # -- parameters (nested, like ColumnTransformer) ---------------------------------

    @property
    def _transformers(self):
        return [(name, trans) for name, trans, _ in self.transformers]

    @_transformers.setter
    def _transformers(self, value):
        self.transformers = [
            (name, trans, col)
            for ((name, trans), (_, _, col)) in zip(value, self.transformers, strict=True)
        ]

    def get_params(self, deep=True):
        """Get parameters, including those of the block transformers.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return ``<block>__<param>`` entries.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("_transformers", deep=deep)

    def set_params(self, **params):
        """Set parameters, including ``<block>__<param>`` ones.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : MultimodalInput
            This estimator.
        """
        self._set_params("_transformers", **params)
        return self

    # -- fitting ------------------------------------------------------------------------

    def _check_transformers(self):
        if not isinstance(self.transformers, list | tuple) or not self.transformers:
            raise ValueError(
                "MultimodalInput needs a non-empty list of (name, transformer, columns) "
                f"tuples; got {self.transformers!r}."
            )
        for entry in self.transformers:
            if not isinstance(entry, tuple | list) or len(entry) != 3:
                raise ValueError(
                    f"Each entry of transformers must be a (name, transformer, columns) "
                    f"tuple; got {entry!r}."
                )
            name, trans, _ = entry
            if isinstance(trans, str) and trans not in _SPECIAL:
                raise ValueError(
                    f"Block {name!r}: transformer must be an estimator, 'passthrough' or "
                    f"'drop'; got {trans!r}."
                )
            if not isinstance(trans, str) and not hasattr(trans, "transform"):
                raise TypeError(
                    f"Block {name!r}: {trans!r} is not a transformer (it has no transform method)."
                )
        names = [name for name, _, _ in self.transformers]
        self._validate_names(names)
        if all(trans == "drop" for _, trans, _ in self.transformers):
            raise ValueError("Every block is 'drop'; there is nothing to transform.")

    def fit(self, X, y=None, **fit_params):
        """Fit each block's transformer on its columns.

        Parameters
        ----------
        X : pandas.DataFrame, polars.DataFrame or array-like of shape (n_samples, n_columns)
            The input table.
        y : array-like of shape (n_samples,), default=None
            Targets, passed to each transformer's ``fit``.
        **fit_params : dict
            Not used; accepted for pipeline compatibility.

        Returns
        -------
        self : MultimodalInput
            The fitted transformer.
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit each block's transformer and return the blocks of ``X``.

        Parameters
        ----------
        X : pandas.DataFrame, polars.DataFrame or array-like of shape (n_samples, n_columns)
            The input table.
        y : array-like of shape (n_samples,), default=None
            Targets, passed to each transformer's ``fit``.
        **fit_params : dict
            Not used; accepted for pipeline compatibility.

        Returns
        -------
        blocks : MultimodalBlocks
            One array per block, with its spec.
        """
        self._validate_params()  # the type of transformers; its entries are checked below
        self._check_transformers()
        X = self._check_X(X, reset=True)
        fitted, arrays, specs, masks = [], {}, {}, {}
        for name, trans, columns in self.transformers:
            if isinstance(trans, str) and trans == "drop":
                continue
            column_data = self._select(X, name, columns)
            if isinstance(trans, str):  # passthrough
                out, info = column_data, {"kind": "tabular"}
            else:
                trans = clone(trans)
                out = _apply(trans.fit_transform, column_data, name, y)
                info = _block_info(trans)
            arrays[name] = _as_block_array(out, name, info["kind"], X)
            specs[name] = _make_spec(name, info, arrays[name])
            _check_rows(arrays[name], specs[name], X)
            if specs[name].presence:
                masks[name] = _presence(column_data)
            fitted.append((name, trans, columns))
        self.transformers_ = fitted
        self.named_transformers_ = Bunch(**{name: trans for name, trans, _ in fitted})
        self.block_specs_ = specs
        return MultimodalBlocks(arrays, specs, masks)

    def transform(self, X):
        """Transform ``X`` into blocks with the fitted transformers.

        Parameters
        ----------
        X : pandas.DataFrame, polars.DataFrame or array-like of shape (n_samples, n_columns)
            The input table; it must hold every column used in fit (extra
            columns are ignored, order does not matter for named columns). A
            table without column names (a 2-D array) after a fit on named
            columns must have the columns seen in fit, in their order; it is
            accepted with scikit-learn's warning about missing feature names.

        Returns
        -------
        blocks : MultimodalBlocks
            One array per block, with its spec.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        arrays, masks = {}, {}
        for name, trans, columns in self.transformers_:
            column_data = self._select(X, name, columns)
            out = (
                column_data
                if isinstance(trans, str)
                else _apply(trans.transform, column_data, name)
            )
            spec = self.block_specs_[name]
            arrays[name] = _as_block_array(out, name, spec.kind, X)
            if arrays[name].shape[1:] != spec.shape:
                raise ValueError(
                    f"Block {name!r}: transform produced rows of shape "
                    f"{arrays[name].shape[1:]}, but fit produced {spec.shape}."
                )
            _check_rows(arrays[name], spec, X)
            if spec.presence:
                masks[name] = _presence(column_data)
        return MultimodalBlocks(arrays, self.block_specs_, masks)

    # -- input handling -----------------------------------------------------------------

    def _check_X(self, X, reset):
        if isinstance(X, MultimodalBlocks):
            raise TypeError("MultimodalInput expects the raw table, not MultimodalBlocks.")
        X = as_pandas(X, "MultimodalInput", columns=None if reset else self._polars_subset(X))
        if not hasattr(X, "iloc"):
            if not hasattr(X, "__array__") and not isinstance(X, list):
                raise TypeError(
                    f"MultimodalInput expects a pandas or polars DataFrame or a 2-D array; "
                    f"got {type(X).__name__}."
                )
            X = np.asarray(X, dtype=object) if not hasattr(X, "__array__") else np.asarray(X)
            if X.ndim != 2:
                raise ValueError(
                    f"MultimodalInput expects a 2-D table; got an array of shape {X.shape}."
                )
            if not reset and hasattr(self, "feature_names_in_"):
                # scikit-learn's convention for a table without column names after a fit
                # on named columns (permutation_importance turns a polars DataFrame into
                # such an array): a warning, a check of the number of columns, and the
                # columns taken in the order seen in fit.
                validate_data(self, X, reset=False, skip_check_array=True)
                X = pd.DataFrame(X, columns=self.feature_names_in_)
            else:
                X = pd.DataFrame(X)
        if len(X) == 0:
            raise ValueError("MultimodalInput got an empty table (0 rows).")
        if reset:
            validate_data(self, X, reset=True, skip_check_array=True)
        elif hasattr(self, "feature_names_in_"):
            missing = [c for c in self._used_columns() if c not in X.columns]
            if missing:
                raise ValueError(
                    f"Columns {missing} were used in fit but are missing from the input "
                    f"(it has {list(X.columns)})."
                )
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} columns, but MultimodalInput was fitted on "
                f"{self.n_features_in_}."
            )
        return X

    def _polars_subset(self, X):
        """The columns of a polars ``X`` that transform reads, in their order in ``X``.

        None (convert every column) when a block selects columns by position or by
        a callable, or when a column used in fit is missing (the message then lists
        every column of ``X``).
        """
        names = polars_columns(X)
        if names is None or not hasattr(self, "feature_names_in_"):
            return None
        for _, _, columns in self.transformers_:
            selected = columns if isinstance(columns, list) else [columns]
            if not all(isinstance(c, str) for c in selected):
                return None
        used = set(self._used_columns())
        if not used <= set(names):
            return None
        return [name for name in names if name in used]

    def _used_columns(self):
        used = []
        for _, _, columns in self.transformers_:
            used.extend(columns if isinstance(columns, list) else [columns])
        return [c for c in used if isinstance(c, str)]

    def _select(self, X, name, columns):
        if callable(columns):
            columns = columns(X)
        try:
            if _is_scalar_key(columns):
                if isinstance(columns, numbers.Integral) and not isinstance(columns, bool):
                    return X.iloc[:, columns]
                return X[columns]
            columns = list(columns)
            if all(isinstance(c, numbers.Integral) for c in columns):
                return X.iloc[:, columns]
            return X[columns]
        except (KeyError, IndexError) as exc:
            raise ValueError(
                f"Block {name!r}: column(s) {columns!r} not found in the input "
                f"(it has {list(X.columns)})."
            ) from exc

    # -- introspection ------------------------------------------------------------------

    def get_feature_names_out(self, input_features=None):
        """Names of the columns of the 2-D (tabular and text) blocks.

        Each name is ``"<block>__<name>"``, the inner name coming from the
        block transformer's ``get_feature_names_out`` (or the input column for
        ``"passthrough"``). Image blocks have no per-column names and are left
        out.

        Parameters
        ----------
        input_features : None
            Ignored; the names seen in fit are used.

        Returns
        -------
        feature_names_out : ndarray of str
            The names, block after block.
        """
        check_is_fitted(self)
        names = []
        for name, trans, columns in self.transformers_:
            if len(self.block_specs_[name].shape) != 1:
                continue
            if isinstance(trans, str):
                inner = columns if isinstance(columns, list) else [columns]
            elif hasattr(trans, "get_feature_names_out"):
                inner = trans.get_feature_names_out()
            else:
                inner = [f"x{i}" for i in range(self.block_specs_[name].shape[0])]
            names.extend(f"{name}__{feat}" for feat in inner)
        return np.asarray(names, dtype=object)

    def _sk_visual_block_(self):
        transformers = getattr(self, "transformers_", self.transformers)
        names, estimators, columns = zip(*transformers, strict=True)
        return VisualBlock(
            "parallel", estimators, names=names, name_details=[str(c) for c in columns]
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []
        return tags


def _is_scalar_key(columns):
    return isinstance(columns, str | numbers.Integral)


def _block_info(transformer):
    """What a fitted transformer says about its block; tabular by default."""
    if hasattr(transformer, "get_block_info"):
        return dict(transformer.get_block_info())
    return {"kind": "tabular"}


def _apply(method, column_data, name, *args):
    """Run a block transformer's method; name the block and row when it refuses numbers."""
    try:
        return method(column_data, *args)
    except ValueError as exc:
        row = _first_non_finite_row(column_data)
        if row is None:
            raise
        raise ValueError(
            f"Block {name!r}: row {row} (index {column_data.index[row]!r}) holds NaN or infinite "
            f"values, which its transformer refused ({exc}). Impute or drop them first."
        ) from exc


def _first_non_finite_row(column_data):
    if not isinstance(column_data, pd.DataFrame | pd.Series):
        return None
    frame = column_data.to_frame() if isinstance(column_data, pd.Series) else column_data
    numbers = frame.select_dtypes("number")
    if numbers.empty:
        return None
    bad = ~np.isfinite(numbers.to_numpy(dtype=float)).all(axis=1)
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


def _presence(column_data):
    """Rows whose value is there: not None, NaN or an empty string.

    Only a single column can be missing row by row; a block made from several
    columns is always present.
    """
    if isinstance(column_data, pd.DataFrame):
        if column_data.shape[1] != 1:
            return np.ones(len(column_data), dtype=bool)
        column_data = column_data.iloc[:, 0]
    values = column_data.to_numpy(dtype=object)
    missing = pd.isna(values) | np.array(
        [isinstance(v, str) and not v.strip() for v in values], dtype=bool
    )
    return ~missing


def _as_block_array(out, name, kind, X):
    """Turn a transformer's output into the block's honest array (what ``kind`` declares)."""
    modality = _modality(kind, name)
    if is_lazy(out):
        if len(out) != len(X):
            raise ValueError(
                f"Block {name!r}: its transformer returned {len(out)} rows for {len(X)} input rows."
            )
        return out
    if sp.issparse(out):
        out = out.toarray()
    try:
        out = np.asarray(out, dtype=modality.dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Block {name!r}: its transformer must output numbers; got values that "
            f"cannot be converted to {modality.dtype} ({exc})."
        ) from exc
    if modality.row_ndim == 1 and out.ndim == 1:
        out = out.reshape(-1, 1)
    if out.ndim != modality.row_ndim + 1:
        raise ValueError(
            f"Block {name!r}: a {kind} block holds {modality.row_ndim + 1}-D rows of "
            f"{modality.description or kind}; its transformer output has shape {out.shape}."
        )
    if len(out) != len(X):
        raise ValueError(
            f"Block {name!r}: its transformer returned {len(out)} rows for {len(X)} input rows."
        )
    return out


def _check_rows(array, spec, X):
    """The rows of a block whose kind is checked right after its transformer."""
    if is_lazy(array) or not spec.modality.checked_after_transform:
        return
    bad, what = spec.modality.invalid_rows(array, spec)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Block {spec.name!r}: row {row} (index {X.index[row]!r}) holds {what} after its "
            f"transformer; {int(bad.sum())} row(s) are affected. Impute or drop them "
            "before this step (e.g. SimpleImputer in the block's transformer)."
        )


def _modality(kind, name):
    try:
        return get_modality(kind)
    except ValueError as error:
        raise ValueError(f"Block {name!r}: its transformer's get_block_info(): {error}") from None


def _make_spec(name, info, array):
    kind = info["kind"]
    modality = _modality(kind, name)
    entries = {key: info.get(key) for key in modality.info_keys}
    named = {key: value for key, value in entries.items() if key in _SPEC_FIELDS}
    details = tuple((key, value) for key, value in entries.items() if key not in _SPEC_FIELDS)
    return BlockSpec(
        name=name,
        kind=kind,
        shape=tuple(int(d) for d in array.shape[1:]),
        dtype=array.dtype.name,
        presence=modality.may_be_missing,
        details=details,
        **named,
    )
