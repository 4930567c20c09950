"""TrainingHistoryDisplay: loss and metrics per epoch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import check_fitted, check_matplotlib, final_estimator, pretty, subplots

_VAL = "val_"


class TrainingHistoryDisplay:
    """Training history visualization: loss and metrics per epoch.

    One panel per metric (the loss first), each with the training curve and,
    when the history has one, the validation curve (``val_<metric>``, from
    ``early_stopping`` or ``validation_split``). The epoch whose weights were
    kept by early stopping is marked with a vertical line.

    Use `from_estimator` for a fitted estimator or pipeline, or
    `from_history` for a history dict (``history_``, or a Keras
    ``History`` callback's ``history``). All parameters are stored as
    attributes.

    Parameters
    ----------
    history : dict of str to list of float
        Values per epoch, keyed by metric (``"loss"``, ``"val_loss"``,
        ``"accuracy"``, ...). Every entry has one value per epoch.
    best_epoch : int or None, default=None
        The epoch (1-based) to mark, such as ``best_iteration_`` of an
        estimator trained with early stopping; None marks nothing.
    name : str or None, default=None
        Name put before the legend labels (useful to compare histories on
        shared axes).

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (n_panels,)
        One Axes per metric, or a single one when ``plot`` was given one
        Axes for every metric.
    figure_ : matplotlib Figure
        Figure holding the panels.
    lines_ : dict of str to matplotlib Line2D
        The curve of each plotted history entry, keyed like ``history``
        (``"loss"``, ``"val_loss"``, ...).
    best_epoch_lines_ : list of matplotlib Line2D or None
        The vertical line marking ``best_epoch`` on each Axes, or None.
    metrics_ : list of str
        The metrics plotted, in panel order.

    See Also
    --------
    L2ValidationCurveDisplay : Cross-validated score along λ.

    Examples
    --------
    >>> from skmm.plotting import TrainingHistoryDisplay
    >>> history = {"loss": [0.9, 0.6, 0.5, 0.45], "val_loss": [0.8, 0.6, 0.55, 0.58],
    ...            "accuracy": [0.6, 0.7, 0.8, 0.85], "val_accuracy": [0.6, 0.7, 0.75, 0.7]}
    >>> display = TrainingHistoryDisplay.from_history(history, best_epoch=3)
    >>> display.metrics_
    ['loss', 'accuracy']
    >>> [float(v) for v in display.lines_["val_loss"].get_ydata()]
    [0.8, 0.6, 0.55, 0.58]
    >>> display.ax_.shape
    (2,)
    """

    def __init__(self, history, *, best_epoch=None, name=None):
        self.history = history
        self.best_epoch = best_epoch
        self.name = name

    def plot(
        self,
        ax=None,
        *,
        metrics=None,
        include_validation=True,
        name=None,
        line_kw=None,
        best_epoch_kw=None,
    ):
        """Plot the history.

        Parameters
        ----------
        ax : matplotlib Axes, array-like of Axes or None, default=None
            None makes a new figure with one panel per metric. One Axes
            draws every metric on it; an array-like gives one Axes per
            metric.
        metrics : str, list of str or None, default=None
            The metrics to plot, by their training name (``"loss"``,
            ``"accuracy"``); their ``val_`` entries come with them. None
            plots every metric in the history, in its order, except the
            losses of the single heads of a balanced network
            (``fused_output_loss``, ``<block>_aux_output_loss``, ...), which
            can be named here.
        include_validation : bool, default=True
            Draw the ``val_<metric>`` curves when the history has them.
        name : str or None, default=None
            Overrides the ``name`` given at construction.
        line_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``plot`` of every curve.
        best_epoch_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``axvline`` marking
            ``best_epoch``.

        Returns
        -------
        display : TrainingHistoryDisplay
            This display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        from matplotlib.ticker import MaxNLocator

        history = _check_history(self.history)
        metrics = _select_metrics(history, metrics)
        n_epochs = len(next(iter(history.values())))
        best_epoch = _check_best_epoch(self.best_epoch, n_epochs)
        name = self.name if name is None else name
        prefix = f"{name}: " if name else ""

        shared = ax is not None and not np.iterable(ax)
        figure, axes = subplots(
            1 if shared else len(metrics),
            ax,
            n_cols=3,
            panel_size=(4.5, 3.5),
            what="metric",
        )
        epochs = np.arange(1, n_epochs + 1)
        self.lines_ = {}
        for i, metric in enumerate(metrics):
            panel = axes[0] if shared else axes[i]
            keys = [metric]
            if include_validation and _VAL + metric in history:
                keys.append(_VAL + metric)
            for key in keys:
                if key not in history:  # a validation entry without its training one
                    continue
                role = "train" if key == metric else "validation"
                label = f"{prefix}{metric} ({role})" if shared else f"{prefix}{role}"
                (self.lines_[key],) = panel.plot(
                    epochs, history[key], label=label, **(line_kw or {})
                )
            if not shared:
                panel.set_ylabel(pretty(metric))
        self.best_epoch_lines_ = None
        if best_epoch is not None:
            style = {"color": "black", "linestyle": ":", "label": f"best epoch ({best_epoch})"}
            style.update(best_epoch_kw or {})
            self.best_epoch_lines_ = [panel.axvline(best_epoch, **style) for panel in axes]
        for panel in axes:
            panel.set_xlabel("Epoch")
            panel.xaxis.set_major_locator(MaxNLocator(integer=True))
            panel.legend()
        if shared:
            axes[0].set_ylabel("Value")
        self.metrics_ = metrics
        self.ax_ = axes
        self.figure_ = figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        metrics=None,
        include_validation=True,
        ax=None,
        name=None,
        line_kw=None,
        best_epoch_kw=None,
    ):
        """Plot the training history of a fitted estimator.

        Reads ``history_`` and, when the estimator was trained with
        ``early_stopping``, ``best_iteration_`` (the epoch whose weights it
        kept). Nothing is trained.

        Parameters
        ----------
        estimator : estimator
            A fitted [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier],
            [`MultimodalRegressor`][skmm.estimators.MultimodalRegressor] or
            [`MultimodalClassifierCV`][skmm.estimators.MultimodalClassifierCV] (its refit's walk
            along
            the λ path), a Pipeline ending in one, or a fitted search whose
            best estimator is one of these.
        metrics : str, list of str or None, default=None
            The metrics to plot (see `plot`).
        include_validation : bool, default=True
            Draw the ``val_<metric>`` curves when the history has them.
        ax : matplotlib Axes, array-like of Axes or None, default=None
            Where to draw (see `plot`).
        name : str or None, default=None
            Name put before the legend labels.
        line_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``plot`` of every curve.
        best_epoch_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``axvline`` marking the best
            epoch.

        Returns
        -------
        display : TrainingHistoryDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        fitted = final_estimator(estimator)
        history = getattr(fitted, "history_", None)
        if history is None:
            if hasattr(fitted, "l2_") and hasattr(fitted, "cv_results_"):
                raise ValueError(
                    f"This {type(fitted).__name__} was fitted with refit=False: it kept no "
                    "network and no training history. Plot its cross-validated λ path with "
                    "L2ValidationCurveDisplay.from_cv_results, or fit it with refit=True."
                )
            check_fitted(fitted, "plotting its training history")
            raise TypeError(
                f"{type(fitted).__name__} records no training history (history_); expected "
                "a fitted MultimodalClassifier, MultimodalRegressor or MultimodalClassifierCV, "
                "or a Pipeline ending in one."
            )
        n_epochs = len(history.get("loss", next(iter(history.values()), [])))
        best_epoch = None
        if getattr(fitted, "early_stopping", False):
            best_epoch = getattr(fitted, "best_iteration_", None)
            if best_epoch is not None and not 1 <= best_epoch <= n_epochs:
                best_epoch = None  # from an earlier fit than the history's
        display = cls(
            {key: list(values) for key, values in history.items()},
            best_epoch=best_epoch,
            name=name,
        )
        return display.plot(
            ax,
            metrics=metrics,
            include_validation=include_validation,
            line_kw=line_kw,
            best_epoch_kw=best_epoch_kw,
        )

    @classmethod
    def from_history(
        cls,
        history,
        *,
        best_epoch=None,
        metrics=None,
        include_validation=True,
        ax=None,
        name=None,
        line_kw=None,
        best_epoch_kw=None,
    ):
        """Plot a training history given as a dict.

        Parameters
        ----------
        history : dict of str to list of float, or keras.callbacks.History
            Values per epoch keyed by metric, such as an estimator's
            ``history_``; a Keras ``History`` callback gives its ``history``.
        best_epoch : int or None, default=None
            The epoch (1-based) to mark; None marks nothing.
        metrics : str, list of str or None, default=None
            The metrics to plot (see `plot`).
        include_validation : bool, default=True
            Draw the ``val_<metric>`` curves when the history has them.
        ax : matplotlib Axes, array-like of Axes or None, default=None
            Where to draw (see `plot`).
        name : str or None, default=None
            Name put before the legend labels.
        line_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``plot`` of every curve.
        best_epoch_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``axvline`` marking
            ``best_epoch``.

        Returns
        -------
        display : TrainingHistoryDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_history")
        if not isinstance(history, Mapping) and isinstance(
            getattr(history, "history", None), Mapping
        ):
            history = history.history  # a keras.callbacks.History
        display = cls(history, best_epoch=best_epoch, name=name)
        return display.plot(
            ax,
            metrics=metrics,
            include_validation=include_validation,
            line_kw=line_kw,
            best_epoch_kw=best_epoch_kw,
        )


def _check_history(history):
    """The history as a dict of 1-D float arrays of one common length."""
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be a dict of metric name to values per epoch (such as an "
            f"estimator's history_); got {type(history).__name__}."
        )
    if not history:
        raise ValueError("history is empty: it records no epoch.")
    checked = {}
    for key, values in history.items():
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"history[{key!r}] must be a list of numbers, one per epoch ({exc})."
            ) from exc
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"history[{key!r}] must be a non-empty list of numbers, one per epoch; got "
                f"an array of shape {array.shape}."
            )
        checked[str(key)] = array
    lengths = {key: len(values) for key, values in checked.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"Every history entry must have one value per epoch; the lengths differ: {lengths}."
        )
    return checked


def _metric_names(history):
    """Metrics, each once (``val_x`` counts as ``x``): the loss, then history order."""
    names = []
    for key in history:
        base = key[len(_VAL) :] if key.startswith(_VAL) else key
        if base not in names:
            names.append(base)
    if "loss" in names:  # the loss first, then the metrics in history order
        names.remove("loss")
        names.insert(0, "loss")
    return names


def _select_metrics(history, metrics):
    available = _metric_names(history)
    if metrics is None:
        return [name for name in available if not name.endswith("output_loss")]
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise ValueError(f"metrics is empty; choose among {available}.")
    for metric in metrics:
        if metric not in available:
            hint = ""
            if isinstance(metric, str) and metric.startswith(_VAL):
                hint = (
                    f" Name the training metric ({metric[len(_VAL) :]!r}); its val_ curve "
                    "comes with it."
                )
            raise ValueError(f"Unknown metric {metric!r}: the history records {available}.{hint}")
    return metrics


def _check_best_epoch(best_epoch, n_epochs):
    if best_epoch is None:
        return None
    if isinstance(best_epoch, bool) or not isinstance(best_epoch, int | np.integer):
        raise TypeError(f"best_epoch must be an int (1-based) or None; got {best_epoch!r}.")
    if not 1 <= best_epoch <= n_epochs:
        raise ValueError(
            f"best_epoch must be between 1 and the number of epochs ({n_epochs}); got {best_epoch}."
        )
    return int(best_epoch)
