"""What the transformers of one column of media cells share (images, audio clips,
and any kind added next): reading the column and recording it, resetting and
learning the per-channel standardization, standardizing the output, their tags.

A subclass sets `_name`, the nouns used in
messages, and `_as_column` (what containers and
cells it accepts); its ``fit`` and ``transform`` call the steps here.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._columns import record_input, refuse_all_missing

__all__ = ["SingleColumnTransformer"]


class SingleColumnTransformer(TransformerMixin, BaseEstimator):
    """Base of the one-column media transformers (``ImageNormalizer``, ``AudioFeaturizer``).

    A subclass defines ``_as_column(X)``, a static method returning the
    `Column` of ``X`` (which containers and
    cells it accepts), and the three names below. Fitted with
    ``standardize=True``, it holds ``mean_`` and ``std_``, one value per channel
    (colour channel, mel band).
    """

    #: The transformer's name in messages ("ImageNormalizer").
    _name = ""
    #: One cell, in messages ("an image").
    _cell_noun = ""
    #: Several cells, in messages ("images").
    _cells_noun = ""

    def _column(self, X, *, reset):
        """Read ``X`` as a column, (re)setting or checking the input attributes; at fit
        (``reset``) a column missing in every row is refused."""
        column = self._as_column(X)
        if len(column) == 0:
            raise ValueError(f"{self._name}: got 0 {self._cells_noun}. Expected at least one row.")
        record_input(self, X, column, reset=reset, estimator=self._name)
        if reset:
            refuse_all_missing(column, self._name, self._cell_noun)
        return column

    def _reset(self):
        """Forget the standardization learned by an earlier fit."""
        for attribute in ("mean_", "std_"):
            if hasattr(self, attribute):
                delattr(self, attribute)

    def _learn_moments(self, moments, column):
        """Set ``mean_`` and ``std_`` from the running moments of the present cells."""
        if moments.count == 0:
            raise ValueError(
                f"{self._name}: {column.label}: every row is missing, so mean_ and std_ "
                f"cannot be learned. Expected {self._cell_noun} in at least one row when "
                "standardize=True."
            )
        self.mean_, self.std_ = moments.finish()

    def _check_standardization(self, n_channels, what):
        """The fitted ``(mean, std)`` as float32, or None without standardization;
        ``what`` names the parameter that fixes ``n_channels`` ("n_mels")."""
        if not self.standardize:
            return None
        if not hasattr(self, "mean_") or self.mean_.shape != (n_channels,):
            raise ValueError(
                f"{self._name}: standardize or {what} changed since fit; call fit again."
            )
        return self.mean_.astype(np.float32), self.std_.astype(np.float32)

    @staticmethod
    def _standardized(out, missing, stats):
        """``out`` standardized in place with ``stats`` (when given), missing rows zero."""
        if stats is not None:
            mean, std = stats
            out -= mean
            out /= std
        out[missing] = 0.0
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # One column of cells: paths (strings), bytes, arrays, ...
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        # The output is always float32.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
