"""MultimodalRegressor: the fused network as a scikit-learn regressor."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import r2_score

from ._base import MultimodalEstimatorMixin, check_target, store_init_params
from ._docstrings import fill_docstring
from ._scikeras_adapter import KerasRegressor, ScikerasRegressorTagsMixin
from ._settings import parameter_constraints


class MultimodalRegressor(ScikerasRegressorTagsMixin, MultimodalEstimatorMixin, KerasRegressor):
    """A fused multimodal neural network as a scikit-learn regressor.

    The same network as [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] (one encoder
    per
    block, fusion, a dense head) ending in a linear layer with one unit per
    target. Training minimizes the mean squared error plus ``l2`` times the
    sum of squared weights of every kernel and embedding table. ``y`` may
    hold several targets (shape ``(n_samples, n_targets)``): multi-output
    regression with one shared network.

    Parameters
    ----------
    <<network parameters>>
    loss : str or keras loss, default=None
        None is the mean squared error.
    <<training parameters>>
    <<common parameters>>

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    <<common attributes>>

    See Also
    --------
    MultimodalClassifier : The same network for classification.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(80, 3)).astype("float32")
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> reg = MultimodalRegressor(epochs=30, learning_rate=0.01, hidden_units=(16,),
    ...                           tabular_units=(16,), random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = parameter_constraints(classifier=False)

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
        callbacks=None,
        warm_start=False,
        verbose=0,
        random_state=None,
        distribution=None,
        embedding="fused",
        **kwargs,
    ):
        store_init_params(self, locals(), kwargs)

    def _initialize_fit(self, X, y=None):
        X, y = self._validate_input(X, y, reset=True)
        self.target_encoder_ = self.target_encoder.fit(y)
        vars(self).update(**self.target_encoder_.get_metadata())
        self._finish_initialize(X)
        return X, y

    def _build_model(self):
        return self._build_network(
            n_outputs=self.n_outputs_, output_activation="linear", default_loss="mse"
        )

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the network for the blocks of ``X`` and train it.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Blocks from [`MultimodalInput`][skmm.compose.MultimodalInput], a dict of arrays keyed
            by block name, or a numeric table.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; rows of weight 0 are left out.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalRegressor
            The fitted regressor.
        """
        with self._unchanged_on_failure():
            self._check_params()
            y = check_target(self, y)
            return self._seeded_fit(X, y, sample_weight, **kwargs)

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Train the current network for one more epoch (build it on first call).

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.
        **kwargs : dict
            Passed to ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalRegressor
            The regressor.
        """
        with self._unchanged_on_failure(in_place=True):
            self._check_params()
            y = check_target(self, y)
            return self._seeded_partial_fit(X, y, sample_weight, **kwargs)

    def predict(self, X):
        """Predicted targets for ``X``.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Data to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, shaped like the ``y`` given to fit.
        """
        # float64 like scikit-learn's regressors; scikeras 0.13 squeezes every axis, so a
        # single row came back 0-D or 1-D.
        y_pred = np.asarray(super().predict(X), dtype=np.float64)
        return y_pred.reshape(-1, self.n_outputs_) if self.y_ndim_ == 2 else y_pred.reshape(-1)

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of ``self.predict(X)``.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Test data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        score : float
            R² (uniform average over targets), as ``RegressorMixin.score``.
        """
        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))


MultimodalRegressor.__doc__ = fill_docstring(MultimodalRegressor.__doc__)
