"""pandas and polars tables: where skmm reads a polars object as pandas.

skmm works on pandas internally. A polars ``DataFrame`` or ``Series`` given to
any entry point (the transformers, [`MultimodalInput`][skmm.compose.MultimodalInput], the
estimators' ``X`` and ``y``) is turned into the pandas object a pandas user
would have passed, by `as_pandas`, column by column, without pyarrow:

- numeric columns become NumPy arrays of their dtype (no copy when the column
  has no null; an integer column with nulls becomes float64 with NaN, a
  boolean one an object column with None), as in pandas;
- String columns become object columns of ``str`` (null: None); Binary ones
  object columns of ``bytes``; Object columns keep their Python objects;
- Categorical and Enum columns become pandas ``Categorical`` (an Enum keeps
  its categories in their order; a Categorical lists the values present, in
  order of appearance);
- List and Array columns become object columns holding one NumPy array per
  row (an image ``(H, W, C)``, a clip's samples), in the column's element
  dtype; a null row becomes None;
- temporal columns become ``datetime64`` / ``timedelta64`` (null: NaT);
  Struct columns hold one dict per row; a column of nulls only (dtype Null)
  becomes NaN.

The index is a ``RangeIndex``: a polars frame has no index, so the "index
label" in a message is the row position. A ``LazyFrame`` is refused with a
``TypeError``: it holds a query, not data.

polars is never imported here; a polars object can only exist once its caller
has imported polars, so the module is looked up in ``sys.modules``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

__all__ = ["as_pandas", "polars_columns"]

_POLARS_TYPES = ("DataFrame", "Series", "LazyFrame")


def _polars():
    """The polars module when it has been imported, else None."""
    return sys.modules.get("polars")


def _polars_type(obj):
    """``"DataFrame"``, ``"Series"`` or ``"LazyFrame"`` for a polars object, else None."""
    pl = _polars()
    if pl is None:
        return None
    for name in _POLARS_TYPES:
        cls = getattr(pl, name, None)
        if cls is not None and isinstance(obj, cls):
            return name
    return None


def polars_columns(obj):
    """The column names of a polars ``DataFrame`` (a list of str), else None."""
    return list(obj.columns) if _polars_type(obj) == "DataFrame" else None


def as_pandas(obj, who, columns=None):
    """Return ``obj`` as pandas when it is a polars object, else ``obj`` unchanged.

    Parameters
    ----------
    obj : object
        Any input; only a polars ``DataFrame``, ``Series`` or ``LazyFrame`` is
        changed.
    who : str
        Name of the receiving estimator, the start of the LazyFrame message.
    columns : list of str or None, default=None
        For a ``DataFrame``, the columns to convert (in this order); None
        converts every column.

    Returns
    -------
    converted : object
        A ``pandas.DataFrame`` with a ``RangeIndex`` for a polars
        ``DataFrame``, a ``pandas.Series`` for a polars ``Series`` (an empty
        polars name becomes None), else ``obj`` itself.

    Raises
    ------
    TypeError
        If ``obj`` is a polars ``LazyFrame``.
    """
    kind = _polars_type(obj)
    if kind is None:
        return obj
    if kind == "LazyFrame":
        raise TypeError(
            f"{who} got a polars LazyFrame, which describes a query rather than holding "
            "data. Call .collect() on it first and pass the resulting polars DataFrame."
        )
    index = pd.RangeIndex(len(obj))
    if kind == "Series":
        return _pandas_series(obj, index, obj.name or None)
    names = list(obj.columns) if columns is None else list(columns)
    data = {name: _pandas_series(obj.get_column(name), index, name) for name in names}
    if not data:
        return pd.DataFrame(index=index)
    return pd.DataFrame(data, index=index, copy=False)


def _pandas_series(series, index, name):
    """One polars Series as a pandas Series on ``index``."""
    values = _values(series)
    # An object array (text, bytes, arrays) stays object: pandas would otherwise infer
    # its own string dtype for text, which copies every value.
    dtype = object if isinstance(values, np.ndarray) and values.dtype == object else None
    return pd.Series(values, index=index, name=name, dtype=dtype, copy=False)


def _values(series):
    """The values of one polars Series as a NumPy array or a pandas Categorical."""
    pl = _polars()
    base = series.dtype.base_type()
    if base is pl.Categorical or base is pl.Enum:
        if base is pl.Enum:
            categories = series.dtype.categories.to_list()
        else:
            categories = series.drop_nulls().unique(maintain_order=True).to_list()
        return pd.Categorical(series.to_numpy(), categories=categories)
    if base is pl.List or base is pl.Array:
        return _nested_cells(series, pl)
    if base is pl.Struct:
        return _object_array(series.to_list())
    return series.to_numpy()


def _object_array(items):
    """A 1-D object array holding ``items`` as they are (nested lists stay lists)."""
    out = np.empty(len(items), dtype=object)
    for k, item in enumerate(items):
        out[k] = item
    return out


def _leaf(dtype, pl):
    """The innermost element dtype of a List / Array dtype, and its nesting depth."""
    depth = 0
    while dtype.base_type() in (pl.List, pl.Array):
        dtype, depth = dtype.inner, depth + 1
    return dtype, depth


def _numpy_dtype(dtype, pl):
    """NumPy dtype of a numeric or boolean polars dtype; None for any other."""
    if not (dtype.is_numeric() or dtype.base_type() is pl.Boolean):
        return None
    return pl.Series([], dtype=dtype).to_numpy().dtype


def _nested_cells(series, pl):
    """One NumPy array per row of a List or Array column, None for a null row.

    Rows of numbers are read in one block when they all have the same shape
    (an Array column, or a List column that polars can cast to one: one view
    per row), a List of numbers one array per row, and anything else row by
    row. A row that does not form a regular array (ragged lists, nulls inside
    a list of integers) stays a Python list, which the receiving transformer
    reports with its column and row.
    """
    cells = np.empty(len(series), dtype=object)
    present = np.flatnonzero(series.is_not_null().to_numpy())
    if len(present) == 0:
        return cells
    rows = series if len(present) == len(series) else series.gather(present)
    leaf, depth = _leaf(series.dtype, pl)
    leaf_dtype = _numpy_dtype(leaf, pl)
    if leaf_dtype is None:
        arrays = [_regular_array(row, None) for row in rows.to_list()]
    elif series.dtype.base_type() is pl.Array or depth == 1:
        # polars hands out an (n, *shape) block, or one array per row of a flat List
        arrays = rows.to_numpy()
    else:
        arrays = _regular_stack(rows, leaf, depth, leaf_dtype, pl)
        if arrays is None:
            arrays = [_regular_array(row, leaf_dtype) for row in rows.to_list()]
    for k, row in zip(present, arrays, strict=True):
        cells[k] = row
    return cells


def _regular_stack(rows, leaf, depth, leaf_dtype, pl):
    """Nested List rows (no null) as one ``(n, *shape)`` block when every row has the
    shape of the first, else None."""
    first = _regular_array(rows[:1].to_list()[0], leaf_dtype)
    if not isinstance(first, np.ndarray) or first.ndim != depth or 0 in first.shape:
        return None
    try:
        block = rows.cast(pl.Array(leaf, first.shape)).to_numpy()
    except pl.exceptions.PolarsError:  # rows of other shapes
        return None
    return block if block.dtype == leaf_dtype else None  # else nulls inside some rows


def _regular_array(row, leaf_dtype):
    """``row`` (nested Python lists) as an array of ``leaf_dtype``; the list if irregular."""
    try:
        array = np.asarray(row, dtype=leaf_dtype)
    except (TypeError, ValueError):
        return row
    return row if array.dtype == object else array
