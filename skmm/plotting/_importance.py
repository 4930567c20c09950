"""Permutation importance of whole modalities, and its bar chart."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state

from ..compose import MultimodalInput
from ._common import check_fitted, check_matplotlib, score_label


def modality_importance(
    estimator,
    X,
    y,
    *,
    groups=None,
    scoring=None,
    n_repeats=5,
    random_state=None,
    n_jobs=None,
    sample_weight=None,
):
    """Permutation importance of each modality: all its input columns shuffled together.

    Like scikit-learn's ``permutation_importance``, but a whole modality is
    permuted at once: every input column that feeds it is reordered by one
    shared row permutation, so the rows keep their within-modality
    consistency (a caption stays whole, an image stays with its own size and
    colour columns) while losing their link to the target and to the other
    modalities. The importance is the drop of the score from the unpermuted
    baseline, over ``n_repeats`` permutations.

    For a Pipeline whose first step is a fitted
    [`MultimodalInput`][skmm.compose.MultimodalInput], the modalities are its blocks and their
    columns are taken from it. Any other fitted estimator works with an
    explicit ``groups``; for a dict of arrays (a
    [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] fed without ``MultimodalInput``)
    each
    key is a modality by default.

    Parameters
    ----------
    estimator : estimator
        A fitted estimator (or pipeline, or search) that ``scoring`` can
        score.
    X : pandas.DataFrame, ndarray of shape (n_samples, n_columns) or dict of arrays
        Data to score on, best held out from training.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    groups : dict of str to column or list of columns, or None, default=None
        The modalities: a name mapped to the columns it covers (labels of a
        DataFrame, positions of an array, keys of a dict). None takes the
        blocks of the pipeline's first-step MultimodalInput, or the keys of
        a dict ``X``.
    scoring : str, callable or None, default=None
        One metric, as in ``permutation_importance``; None uses the
        estimator's ``score``.
    n_repeats : int, default=5
        Permutations per modality.
    random_state : int, RandomState or None, default=None
        Seeds the permutations; every modality gets the same sequence of
        row permutations.
    n_jobs : int or None, default=None
        Modalities scored in parallel (joblib).
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Weights used in scoring.

    Returns
    -------
    result : sklearn.utils.Bunch
        With

        - ``importances_mean`` : ndarray of shape (n_modalities,), the mean
          drop of the score;
        - ``importances_std`` : ndarray of shape (n_modalities,), its
          standard deviation;
        - ``importances`` : ndarray of shape (n_modalities, n_repeats), the
          drop for each permutation;
        - ``modalities`` : ndarray of str of shape (n_modalities,), the names;
        - ``columns`` : list of lists, the input columns of each modality;
        - ``baseline_score`` : float, the score before any permutation.

    Notes
    -----
    A column that feeds two blocks belongs to both modalities: permuting
    either moves it for both. Columns that feed no block are never permuted.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.plotting import modality_importance
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "noise1", "noise2"])
    >>> y = (X["a"] + X["b"] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> result = modality_importance(model, X, y, groups={"signal": ["a", "b"],
    ...                              "noise": ["noise1", "noise2"]}, random_state=0)
    >>> list(result.modalities)
    ['signal', 'noise']
    >>> bool(result.importances_mean[0] > 0.3 > abs(result.importances_mean[1]))
    True
    """
    from sklearn.metrics import check_scoring
    from sklearn.utils.parallel import Parallel, delayed

    check_fitted(estimator, "computing modality importances")
    if isinstance(scoring, list | tuple | set | dict):
        raise ValueError(
            f"scoring must name one metric (a string, a callable or None); got {scoring!r}."
        )
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, numbers.Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an int >= 1; got {n_repeats!r}.")
    table = _Table(X)
    modalities = _resolve_groups(estimator, table, groups)
    scorer = check_scoring(estimator, scoring=scoring)
    baseline = _score(scorer, estimator, X, y, sample_weight)
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    permuted = Parallel(n_jobs=n_jobs)(
        delayed(_permuted_scores)(
            estimator, table, y, sample_weight, positions, scorer, n_repeats, seed
        )
        for _, _, positions in modalities
    )
    importances = baseline - np.asarray(permuted, dtype=float).reshape(len(modalities), -1)
    names = np.empty(len(modalities), dtype=object)
    names[:] = [name for name, _, _ in modalities]
    return Bunch(
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        importances=importances,
        modalities=names,
        columns=[list(columns) for _, columns, _ in modalities],
        baseline_score=float(baseline),
    )


def _score(scorer, estimator, X, y, sample_weight):
    if sample_weight is None:
        return float(scorer(estimator, X, y))
    return float(scorer(estimator, X, y, sample_weight=sample_weight))


def _permuted_scores(estimator, table, y, sample_weight, positions, scorer, n_repeats, seed):
    rng = check_random_state(seed)
    scores = []
    for _ in range(n_repeats):
        rows = rng.permutation(table.n_rows)
        scores.append(_score(scorer, estimator, table.permuted(positions, rows), y, sample_weight))
    return scores


class _Table:
    """The columns of X (DataFrame, 2-D array or dict of arrays) and how to permute them."""

    def __init__(self, X):
        self.X = X
        if hasattr(X, "iloc") and hasattr(X, "columns"):
            self.kind = "frame"
            self.labels = list(X.columns)
            self.n_rows = len(X)
        elif isinstance(X, Mapping):
            if not X:
                raise ValueError("X is an empty dict; there is no column to permute.")
            self.kind = "dict"
            self.labels = list(X)
            lengths = {len(np.asarray(value)) for value in X.values()}
            if len(lengths) != 1:
                raise ValueError(f"The arrays of X have different numbers of rows: {lengths}.")
            self.n_rows = lengths.pop()
        else:
            array = np.asarray(X)
            if array.ndim != 2:
                raise ValueError(
                    "X must be a pandas DataFrame, a 2-D array or a dict of arrays; got an "
                    f"array of shape {array.shape}."
                )
            self.kind = "array"
            self.X = array
            self.labels = list(range(array.shape[1]))
            self.n_rows = array.shape[0]

    def position(self, column, modality):
        """The position of a column given by label (or, for a table, by position)."""
        if self.kind == "frame":
            if column in self.labels:
                return self.labels.index(column)
        elif self.kind == "dict":
            if column in self.X:
                return self.labels.index(column)
        if (
            self.kind != "dict"
            and isinstance(column, numbers.Integral)
            and not isinstance(column, bool)
            and -len(self.labels) <= column < len(self.labels)
        ):
            return int(column) % len(self.labels)
        what = {"frame": "columns", "dict": "keys", "array": "columns (positions)"}[self.kind]
        shown = self.labels if self.kind != "array" else f"0 to {len(self.labels) - 1}"
        raise ValueError(
            f"Modality {modality!r} names column {column!r}, which X does not have (its "
            f"{what}: {shown})."
        )

    def permuted(self, positions, rows):
        """A copy of X with the columns at ``positions`` reordered by ``rows``."""
        if self.kind == "frame":
            X = self.X.copy()
            for position in positions:
                X.isetitem(position, self.X.iloc[:, position].to_numpy()[rows])
            return X
        if self.kind == "dict":
            X = dict(self.X)
            for position in positions:
                key = self.labels[position]
                X[key] = np.asarray(self.X[key])[rows]
            return X
        X = self.X.copy()
        X[:, positions] = self.X[rows][:, positions]
        return X


def _resolve_groups(estimator, table, groups):
    """(name, column labels, positions) of each modality."""
    if groups is None:
        groups = _groups_from_input(estimator, table)
    if not isinstance(groups, Mapping) or not groups:
        raise ValueError(
            "groups must be a non-empty dict of modality name to a column or a list of "
            f"columns; got {groups!r}."
        )
    modalities = []
    for name, columns in groups.items():
        if callable(columns) and table.kind == "frame":
            columns = columns(table.X)
        if isinstance(columns, str | numbers.Integral) or not np.iterable(columns):
            columns = [columns]
        columns = list(columns)
        if not columns:
            raise ValueError(f"Modality {name!r} covers no column.")
        positions = [table.position(column, name) for column in columns]
        labels = [table.labels[p] for p in positions]
        modalities.append((str(name), labels, positions))
    return modalities


def _groups_from_input(estimator, table):
    """The blocks of a pipeline's first-step MultimodalInput, or the keys of a dict X."""
    pipeline = estimator
    while not isinstance(pipeline, Pipeline) and hasattr(pipeline, "best_estimator_"):
        pipeline = pipeline.best_estimator_
    first = pipeline.steps[0][1] if isinstance(pipeline, Pipeline) else None
    if isinstance(first, MultimodalInput):
        check_fitted(first, "computing modality importances")
        return {name: columns for name, _, columns in first.transformers_}
    if table.kind == "dict":
        return {key: [key] for key in table.labels}
    raise ValueError(
        f"groups=None needs a Pipeline whose first step is a fitted MultimodalInput (the "
        f"modalities are its blocks), or X as a dict of arrays; got a "
        f"{type(estimator).__name__} and a {type(table.X).__name__}. Pass "
        "groups={name: [columns]} to say which columns make each modality."
    )


class ModalityImportanceDisplay:
    """Bar chart of modality importances: horizontal bars with error bars, sorted.

    Each bar is the mean drop of the score when the modality's columns are
    permuted (see [`modality_importance`][skmm.plotting.modality_importance]), with ± one standard
    deviation over the permutations as its error bar; the most important
    modality is on top. Use `from_estimator` to compute and plot, or
    `from_importances` to plot what ``modality_importance`` returned.
    All parameters are stored as attributes.

    Parameters
    ----------
    modalities : array-like of str of shape (n_modalities,)
        Modality names.
    importances_mean : array-like of shape (n_modalities,)
        Mean drop of the score per modality.
    importances_std : array-like of shape (n_modalities,)
        Its standard deviation over the permutations.
    importances : ndarray of shape (n_modalities, n_repeats) or None, default=None
        The drop for each permutation, kept for reference.
    score_name : str or None, default=None
        Name of the score for the x axis label; None is ``"score"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the bars.
    figure_ : matplotlib Figure
        Figure holding the Axes.
    bars_ : matplotlib BarContainer
        The bars, top (most important when sorted) first; its
        ``errorbar`` holds the error bars.
    order_ : ndarray of int of shape (n_modalities,)
        Indices of the modalities in bar order, top first.

    See Also
    --------
    modality_importance : Computes the importances.

    Examples
    --------
    >>> from sklearn.utils import Bunch
    >>> from skmm.plotting import ModalityImportanceDisplay
    >>> result = Bunch(modalities=["text", "image", "tabular"],
    ...                importances_mean=[0.05, 0.21, 0.01], importances_std=[0.01, 0.03, 0.01])
    >>> display = ModalityImportanceDisplay.from_importances(result)
    >>> [label.get_text() for label in display.ax_.get_yticklabels()]
    ['image', 'text', 'tabular']
    >>> [round(float(bar.get_width()), 2) for bar in display.bars_]
    [0.21, 0.05, 0.01]
    """

    def __init__(
        self, *, modalities, importances_mean, importances_std, importances=None, score_name=None
    ):
        self.modalities = modalities
        self.importances_mean = importances_mean
        self.importances_std = importances_std
        self.importances = importances
        self.score_name = score_name

    def plot(self, ax=None, *, sort=True, score_name=None, bar_kw=None):
        """Plot the bars.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        sort : bool, default=True
            Most important modality on top; False keeps the given order,
            first on top.
        score_name : str or None, default=None
            Overrides the ``score_name`` given at construction.
        bar_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``barh``.

        Returns
        -------
        display : ModalityImportanceDisplay
            This display, with ``ax_``, ``figure_`` and ``bars_`` set.
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        names = [str(name) for name in np.ravel(np.asarray(self.modalities, dtype=object))]
        mean = np.ravel(np.asarray(self.importances_mean, dtype=float))
        std = np.ravel(np.asarray(self.importances_std, dtype=float))
        if not names or len(mean) != len(names) or len(std) != len(names):
            raise ValueError(
                "modalities, importances_mean and importances_std must have the same "
                f"non-zero length; got {len(names)}, {len(mean)} and {len(std)}."
            )
        order = np.argsort(-mean, kind="stable") if sort else np.arange(len(names))
        if ax is None:
            _, ax = plt.subplots(figsize=(6.0, 1.0 + 0.5 * len(names)), layout="constrained")
        positions = np.arange(len(names))[::-1]  # the first bar on top
        style = {"capsize": 4, **(bar_kw or {})}
        self.bars_ = ax.barh(positions, mean[order], xerr=std[order], **style)
        ax.set_yticks(positions, [names[i] for i in order])
        ax.axvline(0.0, color="black", linewidth=0.8)
        score_name = self.score_name if score_name is None else score_name
        ax.set_xlabel(f"Decrease in {score_name or 'score'} when the modality is permuted")
        self.order_ = order
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_importances(cls, importances, *, ax=None, sort=True, score_name=None, bar_kw=None):
        """Plot importances returned by [`modality_importance`][skmm.plotting.modality_importance].

        Parameters
        ----------
        importances : sklearn.utils.Bunch or dict
            With ``modalities``, ``importances_mean`` and
            ``importances_std`` (and optionally ``importances``).
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        sort : bool, default=True
            Most important modality on top.
        score_name : str or None, default=None
            Name of the score for the x axis label.
        bar_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``barh``.

        Returns
        -------
        display : ModalityImportanceDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_importances")
        if not isinstance(importances, Mapping):
            raise TypeError(
                "importances must be the Bunch returned by modality_importance; got "
                f"{type(importances).__name__}."
            )
        required = ("modalities", "importances_mean", "importances_std")
        missing = [key for key in required if key not in importances]
        if missing:
            raise ValueError(
                f"importances lacks {missing}; expected the Bunch returned by modality_importance."
            )
        display = cls(
            modalities=importances["modalities"],
            importances_mean=importances["importances_mean"],
            importances_std=importances["importances_std"],
            importances=importances.get("importances"),
            score_name=score_name,
        )
        return display.plot(ax, sort=sort, bar_kw=bar_kw)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        groups=None,
        scoring=None,
        n_repeats=5,
        random_state=None,
        n_jobs=None,
        sample_weight=None,
        ax=None,
        sort=True,
        score_name=None,
        bar_kw=None,
    ):
        """Compute modality importances with
        [`modality_importance`][skmm.plotting.modality_importance] and plot them.

        Parameters
        ----------
        estimator : estimator
            A fitted estimator; see [`modality_importance`][skmm.plotting.modality_importance].
        X : pandas.DataFrame, ndarray of shape (n_samples, n_columns) or dict of arrays
            Data to score on, best held out from training.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        groups : dict of str to column or list of columns, or None, default=None
            The modalities; None takes them from the pipeline's first-step
            MultimodalInput.
        scoring : str, callable or None, default=None
            One metric; None uses the estimator's ``score``.
        n_repeats : int, default=5
            Permutations per modality.
        random_state : int, RandomState or None, default=None
            Seeds the permutations.
        n_jobs : int or None, default=None
            Modalities scored in parallel.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights used in scoring.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None makes a new figure.
        sort : bool, default=True
            Most important modality on top.
        score_name : str or None, default=None
            Name of the score for the x axis label; None derives it from
            ``scoring``.
        bar_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``barh``.

        Returns
        -------
        display : ModalityImportanceDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        result = modality_importance(
            estimator,
            X,
            y,
            groups=groups,
            scoring=scoring,
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=n_jobs,
            sample_weight=sample_weight,
        )
        if score_name is None:
            score_name = score_label(None, scoring, False).lower()
        return cls.from_importances(result, ax=ax, sort=sort, score_name=score_name, bar_kw=bar_kw)
