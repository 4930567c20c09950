"""MultiTaskConfusionMatrixDisplay: one confusion matrix per task of a 2-D target."""

from __future__ import annotations

import numpy as np

from ._common import check_fitted, check_matplotlib, final_estimator, subplots


class MultiTaskConfusionMatrixDisplay:
    """Confusion matrices of a multi-task (or multi-label) classifier, one panel per task.

    Each panel is drawn by scikit-learn's
    `ConfusionMatrixDisplay` and titled with the
    task's name. For a 1-D target use ``ConfusionMatrixDisplay`` itself:
    it works with [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] and pipelines
    ending
    in one.

    Use `from_estimator` or `from_predictions`. All parameters
    are stored as attributes.

    Parameters
    ----------
    confusion_matrices : list of ndarray of shape (n_classes, n_classes)
        One confusion matrix per task.
    task_names : list of str
        The name of each task, used as panel title.
    display_labels : list of array-like or None, default=None
        The class labels of each task; None numbers the classes.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (n_tasks,)
        One Axes per task.
    figure_ : matplotlib Figure
        Figure holding the panels.
    displays_ : list of sklearn.metrics.ConfusionMatrixDisplay
        The display of each task (its ``im_`` and ``text_`` hold the artists).

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : The single-target display.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.plotting import MultiTaskConfusionMatrixDisplay
    >>> y_true = np.array([["red", "small"], ["blue", "large"], ["red", "large"]])
    >>> y_pred = np.array([["red", "small"], ["red", "large"], ["red", "small"]])
    >>> display = MultiTaskConfusionMatrixDisplay.from_predictions(
    ...     y_true, y_pred, task_names=["colour", "size"], colorbar=False)
    >>> [ax.get_title() for ax in display.ax_]
    ['colour', 'size']
    >>> display.displays_[0].confusion_matrix
    array([[0, 1],
           [0, 2]])
    """

    def __init__(self, confusion_matrices, *, task_names, display_labels=None):
        self.confusion_matrices = confusion_matrices
        self.task_names = task_names
        self.display_labels = display_labels

    def plot(
        self,
        *,
        include_values=True,
        cmap="viridis",
        xticks_rotation="horizontal",
        values_format=None,
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
        n_cols=3,
    ):
        """Plot one confusion matrix per task.

        Parameters
        ----------
        include_values : bool, default=True
            Write the counts (or rates) in the cells.
        cmap : str or matplotlib Colormap, default="viridis"
            Colormap of the cells.
        xticks_rotation : {"vertical", "horizontal"} or float, default="horizontal"
            Rotation of the predicted-label ticks.
        values_format : str or None, default=None
            Format of the values; None picks ``"d"`` or ``".2g"``.
        ax : array-like of matplotlib Axes or None, default=None
            One Axes per task; None makes a new figure.
        colorbar : bool, default=True
            Add a colorbar to each panel.
        im_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``imshow``.
        text_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``text``.
        n_cols : int, default=3
            Panels per row of a new figure.

        Returns
        -------
        display : MultiTaskConfusionMatrixDisplay
            This display, with ``ax_``, ``figure_`` and ``displays_`` set.
        """
        check_matplotlib(f"{type(self).__name__}.plot")
        from sklearn.metrics import ConfusionMatrixDisplay

        matrices = [np.asarray(matrix) for matrix in self.confusion_matrices]
        names = list(self.task_names)
        if not matrices or len(names) != len(matrices):
            raise ValueError(
                "confusion_matrices and task_names must have the same non-zero length; got "
                f"{len(matrices)} and {len(names)}."
            )
        labels = self.display_labels
        if labels is None:
            labels = [None] * len(matrices)
        elif len(labels) != len(matrices):
            raise ValueError(
                f"display_labels must hold one array per task ({len(matrices)}); got {len(labels)}."
            )
        figure, axes = subplots(
            len(matrices), ax, n_cols=n_cols, panel_size=(4.2, 3.6), what="task"
        )
        self.displays_ = []
        for panel, matrix, name, task_labels in zip(axes, matrices, names, labels, strict=True):
            display = ConfusionMatrixDisplay(matrix, display_labels=task_labels).plot(
                include_values=include_values,
                cmap=cmap,
                xticks_rotation=xticks_rotation,
                values_format=values_format,
                ax=panel,
                colorbar=colorbar,
                im_kw=im_kw,
                text_kw=text_kw,
            )
            panel.set_title(str(name))
            self.displays_.append(display)
        self.ax_ = axes
        self.figure_ = figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        labels=None,
        sample_weight=None,
        normalize=None,
        task_names=None,
        include_values=True,
        cmap="viridis",
        xticks_rotation="horizontal",
        values_format=None,
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
        n_cols=3,
    ):
        """Plot the confusion matrix of each task of a fitted multi-task classifier.

        Parameters
        ----------
        estimator : estimator
            A fitted classifier whose ``predict`` returns
            ``(n_samples, n_tasks)`` labels, such as a
            [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] fitted on a 2-D target,
            or a
            Pipeline ending in one.
        X : pandas.DataFrame, array-like or dict of arrays
            Input, as the estimator's ``predict`` takes it.
        y : array-like or pandas.DataFrame of shape (n_samples, n_tasks)
            True labels, one column per task.
        labels : list of array-like or None, default=None
            The classes of each task, in matrix order; None uses the
            classifier's ``classes_`` (one array per task), else the labels
            present in ``y`` and the predictions.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights.
        normalize : {"true", "pred", "all"} or None, default=None
            As in ``sklearn.metrics.confusion_matrix``.
        task_names : list of str or None, default=None
            Panel titles; None uses the classifier's ``task_names_``, else
            the columns of a DataFrame ``y``, else ``task0``, ``task1``, ...
        include_values : bool, default=True
            Write the counts (or rates) in the cells.
        cmap : str or matplotlib Colormap, default="viridis"
            Colormap of the cells.
        xticks_rotation : {"vertical", "horizontal"} or float, default="horizontal"
            Rotation of the predicted-label ticks.
        values_format : str or None, default=None
            Format of the values.
        ax : array-like of matplotlib Axes or None, default=None
            One Axes per task; None makes a new figure.
        colorbar : bool, default=True
            Add a colorbar to each panel.
        im_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``imshow``.
        text_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``text``.
        n_cols : int, default=3
            Panels per row of a new figure.

        Returns
        -------
        display : MultiTaskConfusionMatrixDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        from sklearn.base import is_classifier

        check_fitted(estimator, "plotting its confusion matrices")
        if not is_classifier(estimator):
            raise ValueError(
                f"{type(estimator).__name__} is not a classifier; a confusion matrix needs "
                "predicted class labels."
            )
        fitted = final_estimator(estimator)
        if task_names is None:
            task_names = getattr(fitted, "task_names_", None)
        if labels is None:
            labels = _fitted_labels(fitted)
        y_pred = estimator.predict(X)
        return cls.from_predictions(
            y,
            y_pred,
            labels=labels,
            sample_weight=sample_weight,
            normalize=normalize,
            task_names=task_names,
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
            n_cols=n_cols,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        labels=None,
        sample_weight=None,
        normalize=None,
        task_names=None,
        include_values=True,
        cmap="viridis",
        xticks_rotation="horizontal",
        values_format=None,
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
        n_cols=3,
    ):
        """Plot the confusion matrix of each task from true and predicted labels.

        Parameters
        ----------
        y_true : array-like or pandas.DataFrame of shape (n_samples, n_tasks)
            True labels, one column per task.
        y_pred : array-like of shape (n_samples, n_tasks)
            Predicted labels, columns in the same order.
        labels : list of array-like or None, default=None
            The classes of each task, in matrix order; None uses the labels
            present in the task's true and predicted columns.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Sample weights.
        normalize : {"true", "pred", "all"} or None, default=None
            As in ``sklearn.metrics.confusion_matrix``.
        task_names : list of str or None, default=None
            Panel titles; None uses the columns of a DataFrame ``y_true``,
            else ``task0``, ``task1``, ...
        include_values : bool, default=True
            Write the counts (or rates) in the cells.
        cmap : str or matplotlib Colormap, default="viridis"
            Colormap of the cells.
        xticks_rotation : {"vertical", "horizontal"} or float, default="horizontal"
            Rotation of the predicted-label ticks.
        values_format : str or None, default=None
            Format of the values.
        ax : array-like of matplotlib Axes or None, default=None
            One Axes per task; None makes a new figure.
        colorbar : bool, default=True
            Add a colorbar to each panel.
        im_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``imshow``.
        text_kw : dict or None, default=None
            Keyword arguments for matplotlib's ``text``.
        n_cols : int, default=3
            Panels per row of a new figure.

        Returns
        -------
        display : MultiTaskConfusionMatrixDisplay
            The plotted display.
        """
        check_matplotlib(f"{cls.__name__}.from_predictions")
        from sklearn.metrics import confusion_matrix
        from sklearn.utils.multiclass import unique_labels

        true_columns, frame_names = _task_columns(y_true, "y_true")
        pred_columns, _ = _task_columns(y_pred, "y_pred")
        if len(true_columns) != len(pred_columns):
            raise ValueError(
                f"y_true has {len(true_columns)} task columns but y_pred has {len(pred_columns)}."
            )
        n_tasks = len(true_columns)
        if task_names is None:
            task_names = frame_names or [f"task{t}" for t in range(n_tasks)]
        task_names = [str(name) for name in task_names]
        if len(task_names) != n_tasks:
            raise ValueError(f"task_names must name the {n_tasks} tasks; got {task_names}.")
        if labels is not None and len(labels) != n_tasks:
            raise ValueError(
                f"labels must hold one array of classes per task ({n_tasks}); got {len(labels)}."
            )
        matrices, display_labels = [], []
        for t in range(n_tasks):
            task_labels = (
                unique_labels(true_columns[t], pred_columns[t])
                if labels is None
                else np.asarray(labels[t])
            )
            matrices.append(
                confusion_matrix(
                    true_columns[t],
                    pred_columns[t],
                    labels=task_labels,
                    sample_weight=sample_weight,
                    normalize=normalize,
                )
            )
            display_labels.append(task_labels)
        display = cls(matrices, task_names=task_names, display_labels=display_labels)
        return display.plot(
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
            n_cols=n_cols,
        )


def _task_columns(y, what):
    """The columns of a 2-D target as 1-D arrays of their own dtype, and the DataFrame
    column names (None for an array)."""
    if hasattr(y, "iloc") and hasattr(y, "columns"):
        names = [str(name) for name in y.columns]
        columns = [np.asarray(y.iloc[:, t].tolist()) for t in range(y.shape[1])]
    else:
        array = np.asarray(y)
        if array.ndim != 2:
            raise ValueError(
                f"{what} must be 2-D, one column per task; got shape {array.shape}. For a "
                "single target use sklearn.metrics.ConfusionMatrixDisplay."
            )
        names = None
        columns = [np.asarray(array[:, t].tolist()) for t in range(array.shape[1])]
    if not columns:
        raise ValueError(f"{what} has no task column.")
    return columns, names


def _fitted_labels(fitted):
    """The classes of each task known to a fitted classifier, or None."""
    if getattr(fitted, "target_type_", None) == "multilabel-indicator":
        return [np.array([0, 1])] * len(np.atleast_1d(fitted.classes_))
    classes = getattr(fitted, "classes_", None)
    if isinstance(classes, list) and classes and all(np.ndim(c) == 1 for c in classes):
        return [np.asarray(c) for c in classes]
    return None
