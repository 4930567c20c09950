"""Parameter constraints that scikit-learn's own do not express, for
``_parameter_constraints`` (checked by ``BaseEstimator._validate_params``).

This module depends on NumPy and scikit-learn only.
"""

from __future__ import annotations

from numbers import Integral

from ._compat import Constraint


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


class PositiveInts(Constraint):
    """A list or tuple of ints >= 1 (empty allowed): layer widths, filters per stage."""

    def is_satisfied_by(self, val):
        return isinstance(val, list | tuple) and all(_is_int(v) and v >= 1 for v in val)

    def __str__(self):
        return "a list or tuple of ints >= 1"


class IntTuple(Constraint):
    """A list or tuple of ``length`` ints in ``[low, high]``, described as ``what``.

    Parameters
    ----------
    length : int
        How many ints.
    low, high : int or None
        The smallest and largest accepted int (None: no bound).
    what : str
        What the tuple is, for the error message (``"a (height, width) pair of
        ints >= 1"``).
    """

    def __init__(self, length, low, high, what):
        super().__init__()
        self.length, self.low, self.high, self.what = length, low, high, what

    def is_satisfied_by(self, val):
        return (
            isinstance(val, list | tuple)
            and len(val) == self.length
            and all(
                _is_int(v)
                and (self.low is None or v >= self.low)
                and (self.high is None or v <= self.high)
                for v in val
            )
        )

    def __str__(self):
        return self.what


class Predicate(Constraint):
    """Any value for which ``test(value)`` is true, described as ``what``."""

    def __init__(self, test, what):
        super().__init__()
        self.test, self.what = test, what

    def is_satisfied_by(self, val):
        return bool(self.test(val))

    def __str__(self):
        return self.what
