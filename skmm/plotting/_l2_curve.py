"""L2ValidationCurveDisplay: the cross-validated score along the L2 strength λ."""

from __future__ import annotations

import re

import numpy as np
from sklearn.pipeline import Pipeline

from ._common import check_fitted, check_matplotlib, score_label

_SPLIT = re.compile(r"^split(\d+)_(test|train)_score$")


class L2ValidationCurveDisplay:
    """Validation curve over the L2 strength λ (``l2``).

    The mean cross-validated score at each λ, with a band of ± one standard
    deviation over the folds, for the held-out (test) rows and, when known,
    the training rows; λ on a logarithmic axis; the chosen λ marked.

    Use `from_estimator` to compute the curve with scikit-learn's
    ``validation_curve`` (one fit per fold and λ), or `from_cv_results`
    to plot what a fitted [`MultimodalClassifierCV`][skmm.estimators.MultimodalClassifierCV] (or a
    ``GridSearchCV`` over ``l2``) already computed. All parameters are
    stored as attributes.

    Parameters
    ----------
    l2s : array-like of shape (n_l2s,)
        The λ values, in increasing order.
    test_scores : ndarray of shape (n_l2s, n_folds)
        Held-out score of each λ (row) in each fold (column).
    train_scores : ndarray of shape (n_l2s, n_folds) or None, default=None
        Training score of each λ in each fold, when known.
    best_l2 : float or None, default=None
        The chosen λ, marked by a vertical line; None marks nothing.
    param_name : str, default="l2"
        The parameter that was varied (``"l2"``,
        ``"multimodalclassifier__l2"``, ...); it labels the x axis.
    score_name : str or None, default=None
        Name of the score for the y axis; None is ``"Score"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curves.
    figure_ : matplotlib Figure
        Figure holding the Axes.
    lines_ : list of matplotlib Line2D or None
        The mean train and test curves (in that order, as plotted) when
        ``std_display_style`` is ``"fill_between"`` or None; else None.
    fill_between_ : list of matplotlib PolyCollection or None
        The ± one standard deviation bands, with ``"fill_between"``.
    errorbar_ : list of matplotlib ErrorbarContainer or None
        The curves with error bars, with ``"errorbar"``.
    best_l2_line_ : matplotlib Line2D or None
        The vertical line at ``best_l2``.

    See Also
    --------
    sklearn.model_selection.ValidationCurveDisplay : The same plot for any parameter.
    TrainingHistoryDisplay : Loss and metrics per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.plotting import L2ValidationCurveDisplay
    >>> test_scores = np.array([[0.80, 0.84], [0.86, 0.88], [0.70, 0.74]])
    >>> display = L2ValidationCurveDisplay(l2s=[1e-5, 1e-3, 1e-1], test_scores=test_scores,
    ...                                    best_l2=1e-3, score_name="Accuracy").plot()
    >>> [round(float(v), 2) for v in display.lines_[0].get_ydata()]
    [0.82, 0.87, 0.72]
    >>> display.ax_.get_xscale()
    'log'
    """

    def __init__(
        self,
        *,
        l2s,
        test_scores,
        train_scores=None,
        best_l2=None,
        param_name="l2",
        score_name=None,
    ):
        self.l2s = l2s
        self.test_scores = test_scores
        self.train_scores = train_scores
        self.best_l2 = best_l2
        self.param_name = param_name
        self.score_name = score_name

    def plot(
        self,
        ax=None,
        *,
        negate_score=False,
        score_name=None,
        score_type="both",
        std_display_style="fill_between",
        line_kw=None,
        fill_between_kw=None,
        errorbar_kw=None,
        best_l2_kw=None,
    ):
        """Plot the curve.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        negate_score : bool, default=False
            Plot minus the scores (e.g. a log loss from ``"neg_log_loss"``).
        score_name : str or None, default=None
            Overrides the ``score_name`` given at construction.
        score_type : {"both", "test", "train"}, default="both"
            The curves to draw; ``"both"`` draws the test curve alone when
            the training scores are not known.
        std_display_style : {"fill_between", "errorbar"} or None, default="fill_between"
            How the standard deviation over the folds is shown; None shows
            only the means.
        line_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``plot`` of the means.
        fill_between_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``fill_between``.
        errorbar_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``errorbar``.
        best_l2_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``axvline`` at ``best_l2``.

        Returns
        -------
        display : L2ValidationCurveDisplay
            This display, with ``ax_``, ``figure_`` and the artists set.
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        l2s = _check_l2_values(self.l2s, "l2s")
        test = _check_scores(self.test_scores, len(l2s), "test_scores")
        train = (
            None
            if self.train_scores is None
            else _check_scores(self.train_scores, len(l2s), "train_scores")
        )
        if score_type not in ("both", "test", "train"):
            raise ValueError(f"score_type must be 'both', 'test' or 'train'; got {score_type!r}.")
        if std_display_style not in ("fill_between", "errorbar", None):
            raise ValueError(
                "std_display_style must be 'fill_between', 'errorbar' or None; got "
                f"{std_display_style!r}."
            )
        if score_type == "train" and train is None:
            raise ValueError(
                "score_type='train' needs training scores, which this display does not "
                "have (a MultimodalClassifierCV records held-out scores only)."
            )
        curves = {}
        if score_type in ("both", "train") and train is not None:
            curves["Train"] = train
        if score_type in ("both", "test"):
            curves["Test"] = test
        sign = -1.0 if negate_score else 1.0

        if ax is None:
            _, ax = plt.subplots()
        self.lines_, self.fill_between_, self.errorbar_ = None, None, None
        if std_display_style == "errorbar":
            self.errorbar_ = [
                ax.errorbar(
                    l2s,
                    sign * scores.mean(axis=1),
                    scores.std(axis=1),
                    label=label,
                    **{"capsize": 3, **(errorbar_kw or {})},
                )
                for label, scores in curves.items()
            ]
        else:
            self.lines_ = [
                ax.plot(l2s, sign * scores.mean(axis=1), label=label, **(line_kw or {}))[0]
                for label, scores in curves.items()
            ]
            if std_display_style == "fill_between":
                fill_kw = {"alpha": 0.3, **(fill_between_kw or {})}
                self.fill_between_ = []
                for line, scores in zip(self.lines_, curves.values(), strict=True):
                    mean, std = sign * scores.mean(axis=1), scores.std(axis=1)
                    kw = {"color": line.get_color(), **fill_kw}
                    self.fill_between_.append(ax.fill_between(l2s, mean - std, mean + std, **kw))

        self.best_l2_line_ = None
        if self.best_l2 is not None:
            best = float(self.best_l2)
            style = {"color": "black", "linestyle": "--", "label": f"chosen λ = {best:g}"}
            style.update(best_l2_kw or {})
            self.best_l2_line_ = ax.axvline(best, **style)

        positive = l2s[l2s > 0]
        if positive.size == len(l2s):
            ax.set_xscale("log")
        elif positive.size:  # λ = 0 among the values: linear around 0, log beyond
            ax.set_xscale("symlog", linthresh=float(positive.min()))
        ax.set_xlabel(f"λ ({self.param_name})")
        score_name = self.score_name if score_name is None else score_name
        if score_name is None:
            score_name = "Negative score" if negate_score else "Score"
        ax.set_ylabel(score_name)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        l2s,
        cv=3,
        scoring=None,
        n_jobs=None,
        param_name=None,
        fit_params=None,
        ax=None,
        negate_score=False,
        score_name=None,
        score_type="both",
        std_display_style="fill_between",
        line_kw=None,
        fill_between_kw=None,
        errorbar_kw=None,
    ):
        """Compute the validation curve over λ with cross-validation, and plot it.

        The estimator is cloned and fitted once per fold and λ by
        scikit-learn's ``validation_curve``. Its λ parameter is found by
        name: ``l2`` on an estimator, ``<step>__l2`` inside a Pipeline
        (e.g. ``multimodalclassifier__l2``). The chosen λ is the one of best
        mean test score (of equal means, the strongest).

        Parameters
        ----------
        estimator : estimator
            A [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] or
            [`MultimodalRegressor`][skmm.estimators.MultimodalRegressor], or a Pipeline (or other
            meta-estimator) holding one; it need not be fitted.
        X : pandas.DataFrame, array-like or dict of arrays
            Training data, as the estimator's ``fit`` takes it.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        l2s : int or array-like of float
            The λ values (>= 0; sorted, duplicates dropped). An int ``n``
            gives ``n`` values log-spaced from 1e-5 to 1e-1, as
            [`MultimodalClassifierCV`][skmm.estimators.MultimodalClassifierCV] does.
        cv : int, cross-validation splitter or iterable, default=3
            As in ``validation_curve`` (an int is a stratified k-fold for a
            classifier with a 1-D target).
        scoring : str, callable or None, default=None
            As in ``validation_curve``; None uses the estimator's ``score``.
        n_jobs : int or None, default=None
            Fits run in parallel (``validation_curve``'s ``n_jobs``).
        param_name : str or None, default=None
            The parameter to vary; None finds the λ parameter by name.
        fit_params : dict or None, default=None
            Passed to every ``fit``.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        negate_score : bool, default=False
            Plot minus the scores.
        score_name : str or None, default=None
            Name of the score for the y axis; None derives it from
            ``scoring``.
        score_type : {"both", "test", "train"}, default="both"
            The curves to draw.
        std_display_style : {"fill_between", "errorbar"} or None, default="fill_between"
            How the standard deviation over the folds is shown.
        line_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``plot`` of the means.
        fill_between_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``fill_between``.
        errorbar_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``errorbar``.

        Returns
        -------
        display : L2ValidationCurveDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        from sklearn.model_selection import validation_curve

        param_name = _l2_parameter(estimator, param_name)
        l2s = _l2_grid(l2s)
        train_scores, test_scores = validation_curve(
            estimator,
            X,
            y,
            param_name=param_name,
            param_range=l2s,
            cv=cv,
            scoring=scoring,
            n_jobs=n_jobs,
            params=fit_params,
        )
        display = cls(
            l2s=l2s,
            test_scores=test_scores,
            train_scores=train_scores,
            best_l2=_best_l2(l2s, test_scores),
            param_name=param_name,
            score_name=score_label(score_name, scoring, negate_score),
        )
        return display.plot(
            ax,
            negate_score=negate_score,
            score_type=score_type,
            std_display_style=std_display_style,
            line_kw=line_kw,
            fill_between_kw=fill_between_kw,
            errorbar_kw=errorbar_kw,
        )

    @classmethod
    def from_cv_results(
        cls,
        estimator,
        *,
        ax=None,
        negate_score=False,
        score_name=None,
        score_type="both",
        std_display_style="fill_between",
        line_kw=None,
        fill_between_kw=None,
        errorbar_kw=None,
    ):
        """Plot the λ path a fitted estimator already scored, without refitting.

        Reads ``cv_results_``: from a
        [`MultimodalClassifierCV`][skmm.estimators.MultimodalClassifierCV]
        (held-out scores of every fold along its path, ``l2_`` marked; also
        with ``refit=False``), or from a ``GridSearchCV`` /
        ``RandomizedSearchCV`` that varied the λ parameter alone (training
        scores too when it ran with ``return_train_score=True``; its best λ
        marked).

        Parameters
        ----------
        estimator : estimator
            A fitted MultimodalClassifierCV, a Pipeline ending in one, or a
            fitted search over ``l2`` (or ``<step>__l2``) only.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        negate_score : bool, default=False
            Plot minus the scores.
        score_name : str or None, default=None
            Name of the score for the y axis; None derives it from the
            estimator's ``scoring``.
        score_type : {"both", "test", "train"}, default="both"
            The curves to draw (the test curve alone when no training scores
            were recorded).
        std_display_style : {"fill_between", "errorbar"} or None, default="fill_between"
            How the standard deviation over the folds is shown.
        line_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``plot`` of the means.
        fill_between_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``fill_between``.
        errorbar_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``errorbar``.

        Returns
        -------
        display : L2ValidationCurveDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_cv_results")

        source = estimator
        while not hasattr(source, "cv_results_") and isinstance(source, Pipeline):
            source = source.steps[-1][1]
        if not hasattr(source, "cv_results_"):
            check_fitted(source, "plotting its λ path")
            raise TypeError(
                f"{type(source).__name__} has no cv_results_: expected a fitted "
                "MultimodalClassifierCV, a Pipeline ending in one, or a fitted GridSearchCV "
                "over l2. To compute a validation curve over λ, use from_estimator."
            )
        path = _path_from_results(source)
        scoring = getattr(source, "scoring", None)
        display = cls(**path, score_name=score_label(score_name, scoring, negate_score))
        return display.plot(
            ax,
            negate_score=negate_score,
            score_type=score_type,
            std_display_style=std_display_style,
            line_kw=line_kw,
            fill_between_kw=fill_between_kw,
            errorbar_kw=errorbar_kw,
        )


def _l2_parameter(estimator, param_name):
    """The name of the estimator's λ parameter: ``l2`` or ``<step>__l2``."""
    if not hasattr(estimator, "get_params"):
        raise TypeError(
            f"estimator must be a scikit-learn estimator; got {type(estimator).__name__}."
        )
    params = estimator.get_params(deep=True)
    if param_name is not None:
        if param_name not in params:
            raise ValueError(
                f"{type(estimator).__name__} has no parameter {param_name!r}; its λ "
                f"parameters are {_l2_names(params) or 'none'}."
            )
        return param_name
    names = _l2_names(params)
    if len(names) == 1:
        return names[0]
    if not names:
        hint = ""
        if any(name == "l2s" or name.endswith("__l2s") for name in params):
            hint = (
                " It chooses λ itself (l2s); plot the path it scored with "
                "L2ValidationCurveDisplay.from_cv_results after fitting it."
            )
        raise ValueError(
            f"{type(estimator).__name__} has no l2 parameter: expected a "
            "MultimodalClassifier or MultimodalRegressor, or a Pipeline holding one (a "
            "parameter named 'l2' or '<step>__l2'), or pass param_name." + hint
        )
    raise ValueError(
        f"{type(estimator).__name__} has several λ parameters {names}; choose one with param_name."
    )


def _l2_names(params):
    return [name for name in params if name == "l2" or name.endswith("__l2")]


def _l2_grid(l2s):
    """The λ values from an int (log-spaced, as MultimodalClassifierCV) or a sequence:
    the candidates ``MultimodalClassifierCV(l2s=l2s)`` would try."""
    from ..estimators._classifier_cv import _check_l2s

    return _check_l2s(l2s)


def _check_l2_values(values, what):
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        array = None
    if (
        array is None
        or array.ndim != 1
        or array.size == 0
        or not np.all(np.isfinite(array))
        or np.any(array < 0)
    ):
        raise ValueError(f"{what} must be a non-empty sequence of floats >= 0; got {values!r}.")
    return array


def _check_scores(scores, n_l2s, what):
    array = np.asarray(scores, dtype=float)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[0] != n_l2s:
        raise ValueError(
            f"{what} must have shape (n_l2s, n_folds) = ({n_l2s}, n_folds); got {array.shape}."
        )
    return array


def _best_l2(l2s, test_scores):
    """The λ of best mean score; of equal means the strongest (NaN ranks last)."""
    mean = np.nan_to_num(np.asarray(test_scores).mean(axis=1), nan=-np.inf)
    return float(np.asarray(l2s)[mean == mean.max()].max())


def _path_from_results(source):
    """l2s, scores per fold, the chosen λ and the parameter name from ``cv_results_``."""
    results = source.cv_results_
    keys = [
        key for key in results if key.startswith("param_") and _l2_names([key[len("param_") :]])
    ]
    if len(keys) != 1:
        raise ValueError(
            f"The cv_results_ of {type(source).__name__} must vary one λ parameter "
            f"('l2' or '<step>__l2'); found {[k[len('param_') :] for k in keys] or 'none'}."
        )
    key = keys[0]
    param_name = key[len("param_") :]
    if "params" in results:
        others = sorted({name for params in results["params"] for name in params} - {param_name})
        if others:
            raise ValueError(
                f"The search varied {others} as well as {param_name}; a curve over λ needs "
                "a search over λ alone."
            )
    if "mean_test_score" not in results:
        raise ValueError(
            f"The cv_results_ of {type(source).__name__} have no mean_test_score (a search "
            "with several metrics); search with one scoring metric to plot its λ path."
        )
    l2s = np.asarray(results[key], dtype=float)
    order = np.argsort(l2s, kind="stable")

    def folds(kind):
        found = sorted(
            (int(m.group(1)), name)
            for name in results
            if (m := _SPLIT.match(name)) and m.group(2) == kind
        )
        if not found:
            return None
        return np.column_stack([np.asarray(results[name], dtype=float) for _, name in found])

    test, train = folds("test"), folds("train")
    if test is None:  # only the means: one "fold"
        test = np.asarray(results["mean_test_score"], dtype=float).reshape(-1, 1)
    if hasattr(source, "l2_"):
        best = float(source.l2_)
    elif hasattr(source, "best_params_") and param_name in source.best_params_:
        best = float(source.best_params_[param_name])
    else:
        best = None
    return {
        "l2s": l2s[order],
        "test_scores": test[order],
        "train_scores": None if train is None else train[order],
        "best_l2": best,
        "param_name": param_name,
    }
