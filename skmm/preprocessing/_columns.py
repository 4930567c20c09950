"""The one input column read by each transformer, and how its cells are named in messages.

Every transformer of this subpackage reads exactly one column of cells (paths,
bytes, arrays, documents, ...). `Column` holds the cells together with
what an error message needs to name one of them (column name, row position,
index label); `as_column` reads the containers shared by the image and
audio transformers; `record_input` sets or checks ``n_features_in_`` and
``feature_names_in_``. A polars ``DataFrame`` or ``Series`` is read as the
pandas one (see `skmm._dataframes`).
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._dataframes import as_pandas, polars_columns
from ._messages import describe_value, format_label, is_missing

__all__ = [
    "MISSING_POLICIES",
    "Column",
    "as_column",
    "frame_column",
    "record_input",
    "refuse_all_missing",
]

#: What a missing cell (None, NaN, ``pd.NA``, ``pd.NaT``, an empty or blank string)
#: becomes, for every kind of block: ``"zeros"`` (the default), an all-zeros row
#: (zero pixels, zero features, all padding) that ``MultimodalInput`` marks absent
#: (presence mask 0), or ``"error"``, a ``ValueError`` naming the column and row.
MISSING_POLICIES = ("zeros", "error")


@dataclass(frozen=True)
class Column:
    """One column of cells plus what is needed to name a cell in messages.

    ``positions`` holds the original row position of each cell when the column
    is a subset of the one given to the transformer (None: the cells are rows
    0 .. n-1), and ``index`` the index labels aligned with the cells.
    """

    cells: Any
    name: Any
    index: pd.Index | None
    feature_names: np.ndarray | None
    positions: np.ndarray | None = None

    def __len__(self):
        return len(self.cells)

    @property
    def label(self):
        """``"column <name>"``, or ``"input"`` when the column has no name."""
        return f"column {format_label(self.name)}" if self.name is not None else "input"

    def where(self, k, estimator):
        """Location of cell ``k``, used as the start of an error message.

        ``"<estimator>: column <name>, row <position> (index label <label>)"``, the
        row being the original position of the cell.
        """
        position = k if self.positions is None else int(self.positions[k])
        row = f"row {position}"
        if self.index is not None:
            row += f" (index label {format_label(self.index[k])})"
        return f"{estimator}: {self.label}, {row}"

    def take(self, rows):
        """The cells at positions ``rows`` (an int array), keeping their original rows."""
        if isinstance(self.cells, np.ndarray):
            cells = self.cells[rows]
        else:
            cells = [self.cells[k] for k in rows]
        positions = rows if self.positions is None else self.positions[rows]
        index = None if self.index is None else self.index[rows]
        return Column(cells, self.name, index, None, np.asarray(positions, dtype=np.intp))


def frame_column(X, estimator, kind):
    """Return the `Column` of a DataFrame ``X``, which must have exactly one column.

    ``kind`` ("image", "audio", "text") names the column in the message.
    """
    if X.shape[1] != 1:
        raise ValueError(
            f"{estimator} reads exactly one {kind} column, but got a DataFrame with "
            f"{X.shape[1]} columns {list(X.columns)!r}. Select one column, e.g. "
            f"X['{kind}'] or X[['{kind}']]."
        )
    column = X.columns[0]
    feature_names = np.asarray([column], dtype=object) if isinstance(column, str) else None
    return Column(X.iloc[:, 0].tolist(), column, X.index, feature_names)


def as_column(X, *, estimator, kind, items, single, wrap_hint, accepted, array_cells):
    """Return a `Column` for a Series, one-column DataFrame, list, tuple or array.

    pandas and polars Series and DataFrames are accepted alike.

    Parameters
    ----------
    X : object
        The input of ``fit`` or ``transform``.
    estimator : str
        Name of the transformer, the start of every message.
    kind : str
        Kind of column ("image", "audio"), see `frame_column`.
    items : str
        What the cells are, in the plural ("images", "audio clips").
    single : tuple of type
        Types of a single cell given in place of a column, refused with ``wrap_hint``.
    wrap_hint : str
        Sentence telling how to pass a single cell.
    accepted : str
        The accepted containers, for the message about any other one.
    array_cells : callable
        Turns a NumPy array into the cells, or raises for an array of the wrong shape.
    """
    if isinstance(X, single):
        raise TypeError(
            f"{estimator} expects a column of {items}; got a single {type(X).__name__} "
            f"object. {wrap_hint}"
        )
    X = as_pandas(X, estimator)
    if isinstance(X, pd.DataFrame):
        return frame_column(X, estimator, kind)
    if isinstance(X, pd.Series):
        return Column(X.tolist(), X.name, X.index, None)
    if isinstance(X, (list, tuple)):
        return Column(X, None, None, None)
    if isinstance(X, np.ndarray):
        return Column(array_cells(X), None, None, None)
    raise TypeError(
        f"{estimator} expects a column of {items}: {accepted}; got "
        f"{type(X).__module__}.{type(X).__qualname__}."
    )


def record_input(transformer, X, column, *, reset, estimator):
    """Set (``reset=True``) or check the input attributes of a one-column transformer.

    With ``reset=True``, ``n_features_in_`` is set to 1 and ``feature_names_in_``
    to the column's feature names (removed when it has none). Otherwise a
    DataFrame ``X`` (pandas or polars) must have the column name seen in ``fit``.
    """
    if reset:
        transformer.n_features_in_ = 1
        if column.feature_names is not None:
            transformer.feature_names_in_ = column.feature_names
        elif hasattr(transformer, "feature_names_in_"):
            del transformer.feature_names_in_
        return
    fitted = getattr(transformer, "feature_names_in_", None)
    if (
        fitted is not None
        and (isinstance(X, pd.DataFrame) or polars_columns(X) is not None)
        and (column.feature_names is None or column.feature_names[0] != fitted[0])
    ):
        raise ValueError(
            f"{estimator} was fitted on column {fitted[0]!r}, but transform got a "
            f"DataFrame with column {format_label(column.name)}. Pass the same column "
            "as in fit."
        )


def refuse_all_missing(column, estimator, expected):
    """Raise a ``ValueError`` naming the column when every training cell is missing.

    A column that is missing in every row at ``fit`` has nothing to learn from,
    and most often comes from a join that matched nothing or from the wrong
    column; whatever the ``missing`` policy, it is an error. ``expected`` names
    what a cell should hold (``"an image"``). A numeric stack has no missing cells.
    """
    cells = column.cells
    if len(cells) == 0 or (isinstance(cells, np.ndarray) and cells.dtype != object):
        return
    if all(is_missing(cell) for cell in cells):
        raise ValueError(
            f"{estimator}: {column.label}: every one of the {len(cells)} training rows is "
            f"missing (None, NaN or an empty string), so there is nothing to learn from. "
            f"Expected {expected} in at least one row; a column missing in every row "
            "often comes from a join that matched nothing or from the wrong column."
        )


def media_cell_kind(cell, where, missing_zeros, *, items, filled, tuple_form, expected, hint=""):
    """Return ``"missing"``, ``"path"``, ``"bytes"``, ``"tuple"`` or ``"array"`` for a cell
    of an audio or video column; raise for a missing cell under ``missing="error"`` and
    for a cell of no accepted kind.

    ``items`` names the cells in the plural ("clips"), ``filled`` what a missing cell
    becomes under ``missing="zeros"`` ("all-zero features"), ``tuple_form`` the one
    accepted tuple ("(samples, sample_rate)"), ``expected`` the accepted cells (a
    sentence) and ``hint`` a sentence added for a number cell.
    """
    if is_missing(cell):
        if missing_zeros:
            return "missing"
        raise ValueError(
            f"{where} is missing ({describe_value(cell)}). Missing {items} are an error with "
            "missing='error': drop or fill these rows, or use missing='zeros' (the default) "
            f"to make them {filled} that MultimodalInput marks absent."
        )
    if isinstance(cell, (str, os.PathLike)):
        return "path"
    if isinstance(cell, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(cell, tuple):
        if len(cell) != 2:
            raise TypeError(
                f"{where} holds a tuple of length {len(cell)}. A tuple cell must be {tuple_form}."
            )
        return "tuple"
    if isinstance(cell, np.ndarray):
        return "array"
    extra = f" {hint}" if hint and isinstance(cell, numbers.Number) else ""
    raise TypeError(
        f"{where} holds a value of type {type(cell).__name__} ({describe_value(cell)}). "
        f"{expected}.{extra}"
    )
