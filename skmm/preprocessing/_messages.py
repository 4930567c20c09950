"""Small helpers shared by the transformers' input checks and error messages."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd


def is_real(value):
    """True for a finite real number that is not a bool."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    )


def is_int(value):
    """True for an integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def format_label(label):
    """repr of a column name or index label, showing NumPy scalars as plain Python values."""
    if isinstance(label, np.generic):
        label = label.item()
    return repr(label)


def describe_value(value, limit=60):
    """A short repr of a cell for an error message."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def is_na(value):
    """Whether a cell is None, NaN, ``pd.NA`` or ``pd.NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def is_blank(value):
    """Whether a cell is an empty or whitespace-only string."""
    return isinstance(value, str) and not value.strip()


def is_missing(value):
    """Whether a cell stands for a missing image or clip: `is_na` or `is_blank`."""
    return is_blank(value) or is_na(value)
