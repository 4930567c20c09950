"""What the displays share: the matplotlib check, finding the fitted step, axes."""

from __future__ import annotations

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

INSTALL_HINT = 'pip install "skmm[plot]"'


def check_matplotlib(caller):
    """Raise an ImportError naming the ``plot`` extra when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install it with "
            f"`{INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc


def final_estimator(estimator):
    """The estimator that holds the fitted attributes: the last step of a Pipeline
    (also nested), or the best estimator of a fitted search."""
    while True:
        if isinstance(estimator, Pipeline):
            estimator = estimator.steps[-1][1]
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        else:
            return estimator


def check_fitted(estimator, what):
    """NotFittedError naming the estimator and what needs it to be fitted."""
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise NotFittedError(
            f"This {type(estimator).__name__} is not fitted yet; call fit before {what}."
        ) from exc


def subplots(n_panels, ax, *, n_cols, panel_size, what):
    """Axes for ``n_panels`` panels: a new figure when ``ax`` is None, else the given
    Axes (one Axes for one panel, or one per panel).

    Returns the figure and an object ndarray of shape (n_panels,).
    """
    import matplotlib.pyplot as plt

    if ax is None:
        n_cols = max(1, min(n_panels, n_cols))
        n_rows = -(-n_panels // n_cols)
        width, height = panel_size
        figure, axes = plt.subplots(
            n_rows,
            n_cols,
            figsize=(width * n_cols, height * n_rows),
            squeeze=False,
            layout="constrained",
        )
        axes = axes.ravel()
        for extra in axes[n_panels:]:
            extra.set_visible(False)
        return figure, _object_array(axes[:n_panels])
    axes = np.ravel(np.asarray(ax, dtype=object))
    if len(axes) != n_panels:
        raise ValueError(f"ax must hold one Axes per {what} ({n_panels}); got {len(axes)} Axes.")
    return axes[0].figure, _object_array(axes)


def _object_array(items):
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def pretty(name):
    """A metric name for an axis label: ``"val_loss"`` -> ``"Val loss"``."""
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def score_label(score_name, scoring, negate_score):
    """The score's name for an axis, as scikit-learn's displays derive it from
    ``scoring`` (``"neg_log_loss"`` -> ``"Negative log loss"``)."""
    from sklearn.utils._plotting import _validate_score_name

    if score_name is None and not (
        scoring is None or isinstance(scoring, str) or hasattr(scoring, "__name__")
    ):
        scoring = None  # a scorer object or several metrics: no name to show
    return _validate_score_name(score_name, scoring, negate_score)
