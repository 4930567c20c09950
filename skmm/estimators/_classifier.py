"""MultimodalClassifier: the fused network as a scikit-learn classifier."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from ..network import MultiTaskCrossEntropy
from ._base import MultimodalEstimatorMixin, check_target, store_init_params
from ._docstrings import fill_docstring
from ._scikeras_adapter import KerasClassifier, ScikerasClassifierTagsMixin
from ._settings import parameter_constraints
from ._targets import MULTI_OUTPUT_TARGETS, TaskTargetEncoder, resolve_task_weights, task_names

_SUPPORTED_TARGETS = ("binary", "multiclass", *MULTI_OUTPUT_TARGETS)


class MultimodalClassifier(ScikerasClassifierTagsMixin, MultimodalEstimatorMixin, KerasClassifier):
    """A fused multimodal neural network as a scikit-learn classifier.

    The network is built at fit time from the blocks it receives: one encoder
    per block (text: Embedding + LSTM; image: Conv2D/MaxPooling stages with
    global average pooling; tabular: a dense MLP), their outputs concatenated,
    then a dense head with dropout and a sigmoid (binary) or softmax
    (multiclass) output. Training minimizes the mean cross-entropy plus
    ``l2`` times the sum of squared weights of every kernel and embedding
    table, `(1/n) Σᵢ L(yᵢ, f(xᵢ; θ)) + λ R(θ)`.

    ``y`` may also hold several target columns (a 2-D array or a DataFrame):

    - **multi-task** (columns with their own classes, binary or multiclass):
      the encoders, fusion and hidden layers are shared and each task gets
      its own output layer (sigmoid for 2 classes, softmax otherwise). The
      loss is the ``task_weights``-weighted mean of the tasks' cross-entropies.
      ``predict`` returns ``(n_samples, n_tasks)`` labels and
      ``predict_proba`` a list with one ``(n_samples, n_classes)`` array per
      task, as scikit-learn's multi-output classifiers do.
    - **multi-label** (every column 0/1, scikit-learn's
      ``multilabel-indicator``): one sigmoid output layer with a unit per
      label; ``predict`` returns the 0/1 indicator matrix and
      ``predict_proba`` one ``(n_samples, n_labels)`` array of probabilities
      of each label, as ``MLPClassifier`` does.

    With several columns, ``score`` is the subset accuracy (the share of
    rows with every column right) and cross-validation splits with
    ``KFold`` (scikit-learn only stratifies 1-D targets). Columns may mix
    strings and integers, but then give searches and ``cross_val_score`` a
    splitter (``cv=KFold(5)``): scikit-learn's ``check_cv`` sorts all labels
    together to tell the target type.

    Place it after [`MultimodalInput`][skmm.compose.MultimodalInput] in a pipeline, or give it
    a dict of arrays keyed by block name, or a plain 2-D numeric array (then
    it is a single tabular block).

    It subclasses scikeras' ``KerasClassifier``: routed parameters such as
    ``optimizer__momentum``, ``fit__validation_freq`` or
    ``predict__batch_size`` are accepted as keyword arguments.

    Parameters
    ----------
    <<network parameters>>
    loss : str or keras loss, default=None
        None picks binary cross-entropy for binary (and multi-label) targets,
        sparse categorical cross-entropy for multiclass ones, and their
        weighted mean over tasks for multi-task targets (which accept no
        other loss).
    <<training parameters>>
    class_weight : dict, list of dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight`` (a list of dicts,
        one per task, or "balanced" for several target columns; the weights
        of the tasks multiply, as in ``compute_sample_weight``).
    task_weights : sequence of float, dict or None, default=None
        With several target columns, the weight of each task's loss (a
        sequence in column order, or a dict by column name; unnamed tasks
        weigh 1). None weighs all tasks equally.
    <<common parameters>>

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels; one array per task for a multi-task target;
        ``arange(n_labels)`` for a multi-label one (as ``MLPClassifier``).
    n_classes_ : int, list of int or None
        Number of classes (per task for a multi-task target; None for a
        multi-label one).
    n_outputs_ : int
        Number of target columns (1 for a 1-D ``y``).
    task_names_ : list of str
        With several target columns, their names (DataFrame column names,
        else ``task0``, ``task1``, ...).
    <<common attributes>>

    See Also
    --------
    MultimodalInput : Makes the blocks from a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3)).astype("float32")
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MultimodalClassifier(epochs=20, hidden_units=(8,), tabular_units=(8,),
    ...                            random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = parameter_constraints(classifier=True)

    def __init__(
        self,
        *,
        l2=1e-4,
        embedding_dim=32,
        text_units=32,
        image_filters=(64, 128, 128),
        image_width_multiplier=1.0,
        audio_filters=(64, 128),
        tabular_units=(64,),
        hidden_units=(64,),
        dropout=0.2,
        modality_dropout="auto",
        fusion="concat",
        fusion_units=64,
        fusion_heads=2,
        text_encoder="bag",
        image_encoder="cnn",
        image_weights=None,
        video_encoder="gru",
        video_frame_encoder="grid",
        video_filters=(32, 64),
        video_units=64,
        video_weights=None,
        graph_encoder="mean",
        graph_units=64,
        block_encoders=None,
        balance="ensemble",
        image_augmentation=None,
        text_pooling="cls",
        optimizer="adam",
        learning_rate=1e-3,
        backbone_trainable=True,
        backbone_lr_factor=0.1,
        head_epochs=0,
        loss=None,
        metrics=None,
        batch_size=32,
        epochs=100,
        validation_split=0.0,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        class_weight=None,
        task_weights=None,
        callbacks=None,
        warm_start=False,
        verbose=0,
        random_state=None,
        distribution=None,
        embedding="fused",
        **kwargs,
    ):
        store_init_params(self, locals(), kwargs)

    # -- building -------------------------------------------------------------------------

    def _initialize_fit(self, X, y=None):
        X, y = self._validate_input(X, y, reset=True)
        if self.target_type_ not in _SUPPORTED_TARGETS:
            raise ValueError(
                f"Unknown label type: {self.target_type_!r}. {type(self).__name__} supports "
                "binary and multiclass targets, and 2-D targets with one binary or "
                "multiclass task per column (multi-task, multi-label). For a continuous "
                "target use MultimodalRegressor."
            )
        self.target_encoder_ = self.target_encoder.fit(y)
        vars(self).update(**self.target_encoder_.get_metadata())
        if self._multi_output:
            self.task_names_ = self._incoming_task_names
            self._task_weights = resolve_task_weights(self.task_weights, self.task_names_)
            self._finish_initialize(X)
            return X, y
        vars(self).pop("task_names_", None)
        if self.task_weights is not None:
            raise ValueError(
                "task_weights weighs the tasks of a target with several columns; y has one."
            )
        if self.n_classes_ < 2:
            raise ValueError(
                f"The target has a single class ({self.classes_[0]!r}); a classifier needs "
                "at least 2 classes."
            )
        self._finish_initialize(X)
        return X, y

    def _target_type(self, y):
        if y.ndim == 2 and y.shape[1] > 1 and y.dtype == object:
            # Columns of different types (strings next to ints) cannot be sorted together,
            # which scikit-learn's type_of_target needs; judge each column by itself.
            kinds = [type_of_target(np.asarray(column.tolist())) for column in y.T]
            if all(kind in ("binary", "multiclass") for kind in kinds):
                return "multiclass-multioutput"
        return super()._target_type(y)

    @property
    def _multi_output(self):
        return getattr(self, "target_type_", None) in MULTI_OUTPUT_TARGETS

    @property
    def target_encoder(self):
        if not self._multi_output:
            return super().target_encoder
        return TaskTargetEncoder(
            multilabel=self.target_type_ == "multilabel-indicator",
            categories=self.classes_,
            names=self._incoming_task_names,
        )

    def _build_model(self):
        if self._multi_output:
            return self._build_multi_output_model()
        binary = self.target_type_ == "binary"
        return self._build_network(
            n_outputs=1 if binary else self.n_classes_,
            output_activation="sigmoid" if binary else "softmax",
            default_loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        )

    def _build_multi_output_model(self):
        task_units = self.target_encoder_.task_units_
        multilabel = self.target_type_ == "multilabel-indicator"
        if not multilabel and (self.loss is not None or self.metrics):
            raise ValueError(
                "A multi-task target (several columns with their own classes) trains on the "
                "weighted mean of the tasks' cross-entropies; loss and metrics must be None. "
                "Set task_weights to weigh the tasks."
            )
        return self._build_network(
            n_outputs=sum(task_units),
            output_activation="sigmoid",
            default_loss=MultiTaskCrossEntropy(task_units, self._task_weights.tolist()),
            task_units=None if multilabel else task_units,
        )

    def _validation_strata(self, y):
        if self._multi_output:
            return None  # scikit-learn stratifies 1-D targets only
        # y is encoded: ordinal codes (n, 1), or one-hot (n, n_classes) with a categorical loss
        return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()

    # -- fitting --------------------------------------------------------------------------

    def _sample_weight_with_class_weight(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        y = np.asarray(y)
        class_weight = self.class_weight
        if isinstance(class_weight, dict) and y.ndim == 2:
            raise ValueError(
                "class_weight for a target with several columns must be 'balanced' or a "
                f"list of {y.shape[1]} dicts, one per column."
            )
        weights = compute_sample_weight(class_weight=class_weight, y=y)
        if sample_weight is None:
            return weights
        return np.asarray(sample_weight, dtype=np.float64) * weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # multi-task and multi-label targets
        return tags

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network for the blocks of ``X`` and train it.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Blocks from [`MultimodalInput`][skmm.compose.MultimodalInput], a dict of arrays keyed
            by block name, or a numeric table.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Class labels (strings or integers); several columns for a
            multi-task or multi-label target.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; rows of weight 0 are left out.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalClassifier
            The fitted classifier.
        """
        with self._unchanged_on_failure():
            self._check_params()
            y = check_target(self, y)
            self._incoming_task_names = task_names(y)
            self.classes_ = None
            sample_weight = self._sample_weight_with_class_weight(y, sample_weight)
            return self._seeded_fit(X, y, sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train the current network for one more epoch (build it on first call).

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Class labels.
        classes : array-like or list of array-like, default=None
            All classes (one array per task for a multi-task target); needed
            on the first call when ``y`` lacks some.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalClassifier
            The classifier.
        """
        with self._unchanged_on_failure(in_place=True):
            self._check_params()
            y = check_target(self, y)
            self._incoming_task_names = task_names(y)
            self.classes_ = classes if classes is not None else getattr(self, "classes_", None)
            sample_weight = self._sample_weight_with_class_weight(y, sample_weight)
            return self._seeded_partial_fit(X, y, sample_weight, **kwargs)

    def predict_proba(self, X):
        """Class probabilities for ``X``.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Data to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or list of such arrays
            Probabilities, columns ordered as ``classes_``. A multi-task target
            gives a list with one array per task; a multi-label target one
            ``(n_samples, n_labels)`` array of the probability of each label.
        """
        proba = super().predict_proba(X)  # the target encoder's shapes
        if self._multi_output:
            return proba
        # scikeras 0.13 squeezes the probabilities, so a single row came back 1-D.
        return proba.reshape(-1, self.n_classes_)

    def predict(self, X):
        """Class labels for ``X``.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Data to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_tasks)
            Labels, shaped like the ``y`` given to fit.
        """
        return super().predict(X)  # documented here for its shapes

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` and ``y``.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Test data.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)``; with several target columns the
            subset accuracy, the (weighted) share of rows whose every column
            is right.
        """
        y_pred = self.predict(X)
        if not self._multi_output:
            return float(accuracy_score(y, y_pred, sample_weight=sample_weight))
        y = np.asarray(y)
        if y.shape != y_pred.shape:
            raise ValueError(f"y has shape {y.shape}; the predictions have shape {y_pred.shape}.")
        return float(np.average(np.all(y == y_pred, axis=1), weights=sample_weight))


MultimodalClassifier.__doc__ = fill_docstring(MultimodalClassifier.__doc__)
