"""Turn what an estimator receives into checked MultimodalBlocks.

Accepted: :class:`~skmm.compose.MultimodalBlocks` (from
:class:`~skmm.MultimodalInput`), a dict of arrays keyed by block name, or a
plain 2-D numeric table (one tabular block named ``"tabular"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..compose import BlockSpec, MultimodalBlocks, is_lazy

TABULAR_BLOCK = "tabular"


def infer_spec(name, array):
    """Spec of a block given as a bare array (the dict-of-arrays input).

    Rules: integer 2-D → text token ids (vocabulary size = max id + 1);
    4-D → images ``(n, H, W, C)``; numeric 1-D or 2-D → tabular features.
    """
    if array.ndim == 2 and array.dtype.kind in "iu":
        vocabulary_size = max(int(array.max(initial=0)) + 1, 2)
        return BlockSpec(name, "text", array.shape[1:], "int32", vocabulary_size)
    if array.ndim == 4:
        return BlockSpec(name, "image", array.shape[1:], "float32")
    if array.ndim in (1, 2):
        return BlockSpec(name, "tabular", array.shape[1:] or (1,), "float32")
    raise ValueError(
        f"Block {name!r}: cannot tell what an array of shape {array.shape} holds. Expected "
        "integer token ids (n, sequence_length), images (n, height, width, channels) or "
        "features (n, n_features); use MultimodalInput to describe other data."
    )


def blocks_from_mapping(X, fitted_specs=None):
    """Blocks from a dict of arrays; specs inferred in fit, reused afterwards."""
    arrays, specs = {}, {}
    for name, value in X.items():
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"Block {name!r}: expected a numeric array, got dtype {array.dtype}.")
        spec = infer_spec(name, array) if fitted_specs is None else fitted_specs.get(name)
        if spec is None:
            arrays[name] = array  # reported as an unexpected block by check_blocks
            continue
        if spec.kind == "tabular" and array.ndim == 1:
            array = array.reshape(-1, 1)
        arrays[name] = array.astype(spec.dtype, copy=False)
        specs[name] = spec
    if fitted_specs is not None:
        check_block_names(arrays, fitted_specs)
    return MultimodalBlocks(arrays, specs)


def check_block_names(arrays, fitted_specs):
    unexpected = sorted(set(arrays) - set(fitted_specs))
    missing = sorted(set(fitted_specs) - set(arrays))
    if unexpected or missing:
        raise ValueError(
            f"The input blocks differ from those seen in fit ({list(fitted_specs)}): "
            f"missing {missing}, unexpected {unexpected}."
        )


def check_blocks(blocks, fitted_specs=None):
    """Check every block's values; against the fitted specs when given."""
    if fitted_specs is not None:
        check_block_names(blocks, fitted_specs)
    for name, array in blocks.items():
        spec = blocks.specs[name]
        if fitted_specs is not None:
            fitted = fitted_specs[name]
            if (spec.kind, spec.shape, spec.presence) != (
                fitted.kind,
                fitted.shape,
                fitted.presence,
            ):
                raise ValueError(
                    f"Block {name!r}: got {spec.kind} rows of shape {spec.shape} "
                    f"(presence mask: {spec.presence}), but fit saw {fitted.kind} rows of "
                    f"shape {fitted.shape} (presence mask: {fitted.presence})."
                )
            spec = fitted
        if tuple(array.shape[1:]) != spec.shape:
            raise ValueError(
                f"Block {name!r}: rows have shape {array.shape[1:]}, expected {spec.shape}."
            )
        if is_lazy(array):
            continue  # decoded batch by batch; its transformer checks every value
        if spec.kind == "text":
            bad = ((array < 0) | (array >= spec.vocabulary_size)).any(axis=1)
            what = f"token ids outside [0, {spec.vocabulary_size})"
        else:
            bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
            what = "NaN or infinite values"
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Block {name!r}: row {row} holds {what}; {int(bad.sum())} row(s) affected."
            )


class KerasInputs(TransformerMixin, BaseEstimator):
    """Feature encoder handing checked blocks to Keras as a dict of named inputs."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.to_dict()


def is_mapping(X):
    return isinstance(X, Mapping)
