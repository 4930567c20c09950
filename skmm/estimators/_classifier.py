"""MultimodalClassifier: the fused network as a scikit-learn classifier."""

from __future__ import annotations

import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_sample_weight

from .._compat import ScikerasClassifierTagsMixin
from ._base import MultimodalEstimatorMixin, check_target, fill_docstring, store_init_params

_SUPPORTED_TARGETS = ("binary", "multiclass")


class MultimodalClassifier(ScikerasClassifierTagsMixin, MultimodalEstimatorMixin, KerasClassifier):
    """A fused multimodal neural network as a scikit-learn classifier.

    The network is built at fit time from the blocks it receives: one encoder
    per block (text: Embedding + LSTM; image: Conv2D/MaxPooling stages with
    global average pooling; tabular: a dense MLP), their outputs concatenated,
    then a dense head with dropout and a sigmoid (binary) or softmax
    (multiclass) output. Training minimizes the mean cross-entropy plus
    ``l2`` times the sum of squared weights of every kernel and embedding
    table, :math:`\\frac{1}{n}\\sum_i L(y_i, f(x_i; \\theta)) + \\lambda R(\\theta)`.

    Place it after :class:`~skmm.MultimodalInput` in a pipeline, or give it
    a dict of arrays keyed by block name, or a plain 2-D numeric array (then
    it is a single tabular block).

    It subclasses scikeras' ``KerasClassifier``: routed parameters such as
    ``optimizer__momentum``, ``fit__validation_freq`` or
    ``predict__batch_size`` are accepted as keyword arguments.

    Parameters
    ----------
    <<network parameters>>
    loss : str or keras loss, default=None
        None picks binary cross-entropy for binary targets and sparse
        categorical cross-entropy for multiclass ones.
    <<training parameters>>
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    <<common parameters>>

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    n_classes_ : int
        Number of classes.
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

    _stratified_validation = True

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
        modality_dropout=0.0,
        fusion="concat",
        fusion_units=64,
        fusion_heads=2,
        text_encoder="lstm",
        image_encoder="cnn",
        image_weights=None,
        block_encoders=None,
        optimizer="adam",
        learning_rate=1e-3,
        loss=None,
        metrics=None,
        batch_size=32,
        epochs=10,
        validation_split=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        verbose=0,
        random_state=None,
        **kwargs,
    ):
        store_init_params(self, locals(), kwargs)

    # -- building -------------------------------------------------------------------------

    def _initialize(self, X, y=None):
        self._random_state = None  # seeding is done by skmm around the whole fit
        X, y = self._validate_data(X, y, reset=True)
        if self.target_type_ not in _SUPPORTED_TARGETS:
            raise ValueError(
                f"Unknown label type: {self.target_type_!r}. {type(self).__name__} supports "
                "binary and multiclass targets."
            )
        self.target_encoder_ = self.target_encoder.fit(y)
        vars(self).update(**self.target_encoder_.get_metadata())
        if self.n_classes_ < 2:
            raise ValueError(
                f"The target has a single class ({self.classes_[0]!r}); a classifier needs "
                "at least 2 classes."
            )
        self._finish_initialize(X)
        return X, y

    def _build_model(self):
        binary = self.target_type_ == "binary"
        return self._build_network(
            n_outputs=1 if binary else self.n_classes_,
            output_activation="sigmoid" if binary else "softmax",
            default_loss="binary_crossentropy" if binary else "sparse_categorical_crossentropy",
        )

    # -- fitting --------------------------------------------------------------------------

    def _sample_weight_with_class_weight(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(class_weight=self.class_weight, y=np.asarray(y))
        if sample_weight is None:
            return weights
        return np.asarray(sample_weight, dtype=np.float64) * weights

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network for the blocks of ``X`` and train it.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Blocks from :class:`~skmm.MultimodalInput`, a dict of arrays keyed
            by block name, or a numeric table.
        y : array-like of shape (n_samples,)
            Class labels (strings or integers).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; rows of weight 0 are left out.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalClassifier
            The fitted classifier.
        """
        self._check_params()
        y = check_target(self, y)
        self.classes_ = None
        sample_weight = self._sample_weight_with_class_weight(y, sample_weight)
        return self._seeded_fit(X, y, sample_weight, **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train the current network for one more epoch (build it on first call).

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like, default=None
            All classes; needed on the first call when ``y`` lacks some.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalClassifier
            The classifier.
        """
        self._check_params()
        y = check_target(self, y)
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
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        # scikeras 0.13 squeezes the probabilities, so a single row came back 1-D.
        return super().predict_proba(X).reshape(-1, self.n_classes_)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` and ``y``.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Test data.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        score : float
            Accuracy of ``self.predict(X)``.
        """
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


MultimodalClassifier.__doc__ = fill_docstring(MultimodalClassifier.__doc__)
