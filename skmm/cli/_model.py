"""Reading a model file, and what a fitted model says about the columns it reads."""

from __future__ import annotations

import os

import numpy as np

from ._errors import ModelFileError, one_line
from ._pipeline import ColumnRoles
from ._runtime import import_estimators
from ._tables import is_model_file

#: Attribute of a pipeline saved by ``skmm fit`` naming its target columns.
TARGETS_ATTRIBUTE = "target_names_"


def load_model(path, debug=False):
    """Load a model file written by ``skmm fit`` or [`skmm.save`][skmm._persistence.save].

    TensorFlow is imported (quietly) only once the file is known to exist.

    Parameters
    ----------
    path : str
    debug : bool, default=False
        Leave TensorFlow's start-up logs on.

    Returns
    -------
    model : object
        A fitted estimator or pipeline with ``predict``.

    Raises
    ------
    ModelFileError
        The file is missing, unreadable, not written by [`skmm.save`][skmm._persistence.save],
        damaged, holds types that are not trusted, or holds no fitted model.
    """
    if not os.path.exists(path):
        raise ModelFileError(f"model file {path!r} does not exist")
    if os.path.isdir(path):
        raise ModelFileError(f"model file {path!r} is a directory, not a file")
    if not is_model_file(path):
        raise ModelFileError(
            f"{path!r} is not a model file written by skmm (a data table?): the order is "
            "'skmm predict MODEL DATA'"
        )
    import_estimators(debug)
    from .. import load
    from .._persistence import PersistenceError

    try:
        model = load(path)
    except PersistenceError as exc:
        raise ModelFileError(one_line(exc)) from exc
    except OSError as exc:
        raise ModelFileError(
            f"cannot read model file {path!r}: {exc.strerror or one_line(exc)}"
        ) from exc
    if not hasattr(model, "predict"):
        raise ModelFileError(
            f"{path!r} holds a {type(model).__name__}, not a model that predicts; write one "
            "with 'skmm fit'"
        )
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(final_estimator(model))
    except NotFittedError as exc:
        raise ModelFileError(f"{path!r} holds a model that was never fitted") from exc
    return model


def final_estimator(model):
    """The last step of a pipeline, or the model itself."""
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def _multimodal_input(model):
    from ..compose import MultimodalInput

    for _, step in getattr(model, "steps", [("", model)]):
        if isinstance(step, MultimodalInput) and hasattr(step, "transformers_"):
            return step
    return None


def model_columns(model):
    """The columns a fitted model reads, by role, as far as its blocks tell.

    Parameters
    ----------
    model : object
        A fitted pipeline whose first step is a [`MultimodalInput`][skmm.compose.MultimodalInput]
        (other models read columns this function cannot tell).

    Returns
    -------
    roles : ColumnRoles
        ``targets`` is empty. Columns of blocks of other transformers are
        listed as ``numeric`` only when the transformer is a
        ``StandardScaler``; others are not listed by role.
    used : list of str
        Every named column the model reads.
    """
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from .. import AudioFeaturizer, ImageNormalizer, TextTokenizer

    roles = ColumnRoles()
    used = []
    step = _multimodal_input(model)
    if step is None:
        return roles, used
    kinds = [
        (TextTokenizer, roles.text),
        (ImageNormalizer, roles.image),
        (AudioFeaturizer, roles.audio),
        (StandardScaler, roles.numeric),
    ]
    for _, transformer, columns in step.transformers_:
        names = columns if isinstance(columns, list) else [columns]
        names = [c for c in names if isinstance(c, str)]
        used.extend(c for c in names if c not in used)
        if isinstance(transformer, OneHotEncoder):
            # categories read from CSV as text only when they were text in fit
            if all(np.asarray(c).dtype == object for c in transformer.categories_):
                roles.categorical.extend(names)
            continue
        for kind, role_columns in kinds:
            if isinstance(transformer, kind):
                role_columns.extend(names)
    return roles, used


def target_names(model):
    """Names of the target columns of a fitted model, or None when it does not tell.

    ``skmm fit`` records them on the pipeline; a classifier with several
    targets also knows them (``task_names_``).
    """
    names = getattr(model, TARGETS_ATTRIBUTE, None)
    if names is None:
        names = getattr(final_estimator(model), "task_names_", None)
    return None if names is None else [str(name) for name in names]
