"""Small helpers shared by the transformers' input checks and error messages."""

from __future__ import annotations

import numbers

import numpy as np


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
