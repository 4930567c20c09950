"""Turn what an estimator receives into checked MultimodalBlocks.

Accepted: [`MultimodalBlocks`][skmm.compose.MultimodalBlocks] (from
[`MultimodalInput`][skmm.compose.MultimodalInput]), a dict of arrays keyed by block name, or a
plain 2-D numeric table (one tabular block named ``"tabular"``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..compose import MultimodalBlocks, is_lazy
from ..modalities import modalities

TABULAR_BLOCK = "tabular"


def infer_spec(name, array):
    """Spec of a block given as a bare array (the dict-of-arrays input).

    Each registered kind's ``from_array`` is tried in registration order: for
    the built-in kinds, integer 2-D → text token ids (vocabulary size = max
    id + 1); 4-D → images ``(n, H, W, C)``; numeric 1-D or 2-D → tabular
    features.
    """
    for modality in modalities():
        if modality.from_array is not None:
            spec = modality.from_array(name, array)
            if spec is not None:
                return spec
    expected = "; ".join(
        f"{m.kind}: {m.description or m.kind}" for m in modalities() if m.from_array is not None
    )
    raise ValueError(
        f"Block {name!r}: cannot tell what an array of shape {array.shape} holds. Expected "
        f"one of ({expected}); use MultimodalInput to describe other data."
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
        if spec.modality.row_ndim == 1 and array.ndim == 1:
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
        bad, what = spec.modality.invalid_rows(array, spec)
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
