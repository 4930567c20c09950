"""DatetimeFeatures: date and time columns as numbers a network can read."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

#: The features made of each column, in order.
PARTS = ("days", "year", "month", "day", "weekday", "hour")

_EPOCH = pd.Timestamp("1970-01-01")


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """Turn date and time columns into numeric features.

    Each column gives six float64 features: ``days`` (days since
    1970-01-01, fractional, the trend), ``year``, ``month`` (1-12), ``day``
    of the month, ``weekday`` (Monday 0) and ``hour`` (fractional, minutes
    included). Time-zone aware values are read in UTC. A missing cell (None,
    NaN, ``pd.NaT``) gives NaN features, to impute downstream; a cell that is
    not a date raises a ``ValueError`` naming the column and the row.

    Strings are parsed with ``pandas.to_datetime`` in ISO 8601 (or any format
    pandas infers from the first value); numbers are refused, since their unit
    (seconds, days, ...) cannot be told.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``, when ``X`` had string column names.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skmm.preprocessing import DatetimeFeatures
    >>> X = pd.DataFrame({"sold": pd.to_datetime(["2024-03-01 12:30", None])})
    >>> features = DatetimeFeatures().fit_transform(X)
    >>> features[0].round(2).tolist()
    [19783.52, 2024.0, 3.0, 1.0, 4.0, 12.5]
    >>> bool(np.isnan(features[1]).all())
    True
    >>> DatetimeFeatures().fit(X).get_feature_names_out().tolist()[:2]
    ['sold_days', 'sold_year']
    """

    _parameter_constraints: dict = {}

    def fit(self, X, y=None):
        """Record the columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Date and time columns.
        y : None
            Ignored.

        Returns
        -------
        self : DatetimeFeatures
        """
        self._validate_params()
        frame = self._frame(X)
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        else:
            vars(self).pop("feature_names_in_", None)
        self._features(frame)  # every cell must be a date or missing
        return self

    def transform(self, X):
        """The six features of every column, side by side.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)

        Returns
        -------
        features : ndarray of shape (n_samples, 6 * n_columns), float64
        """
        check_is_fitted(self, "n_features_in_")
        frame = self._frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"DatetimeFeatures was fitted on {self.n_features_in_} column(s); "
                f"got {frame.shape[1]}."
            )
        return self._features(frame)

    def get_feature_names_out(self, input_features=None):
        """``<column>_<part>`` for each column and part of ``PARTS``."""
        check_is_fitted(self, "n_features_in_")
        if input_features is None:
            input_features = getattr(
                self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
            )
        return np.asarray([f"{col}_{part}" for col in input_features for part in PARTS])

    @staticmethod
    def _frame(X):
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
        if frame.ndim != 2 or frame.shape[1] == 0:
            raise ValueError("DatetimeFeatures needs a 2-D table of at least one column.")
        return frame

    @staticmethod
    def _features(frame):
        columns = []
        for position, name in enumerate(frame.columns):
            values = _as_datetimes(frame.iloc[:, position], name)
            days = (values - _EPOCH) / pd.Timedelta(days=1)
            hour = values.dt.hour + values.dt.minute / 60
            parts = (
                days,
                values.dt.year,
                values.dt.month,
                values.dt.day,
                values.dt.day_of_week,
                hour,
            )
            columns.extend(np.asarray(part, dtype=np.float64) for part in parts)
        return np.column_stack(columns)


def _is_number(value):
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _as_datetimes(column, name):
    """The column as timezone-naive ``datetime64[ns]`` (UTC for aware values)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column
    else:
        present = column[column.notna()]
        numbers = present.map(
            lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
        )
        if numbers.any():
            row = numbers.to_numpy().nonzero()[0][0]
            raise ValueError(
                f"Column {name!r}, row {present.index[row]!r} holds the number "
                f"{present.iloc[row]!r}, which is not a date: convert the column with "
                "pandas.to_datetime(..., unit=...) first."
            )
        try:
            values = pd.to_datetime(column, utc=True, errors="raise", format="mixed")
        except (ValueError, TypeError, OverflowError):
            parsed = pd.to_datetime(column, utc=True, errors="coerce", format="mixed")
            bad = parsed.isna() & column.notna()
            row = bad.to_numpy().nonzero()[0][0]
            raise ValueError(
                f"Column {name!r}, row {column.index[row]!r} holds {column.iloc[row]!r}, which "
                "is not a date or time (ISO 8601 such as '2024-03-01 12:30' is read)."
            ) from None
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]")
