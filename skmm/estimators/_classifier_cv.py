"""MultimodalClassifierCV: the L2 strength λ chosen by cross-validation along a
warm-started path, as scikit-learn's ``LogisticRegressionCV`` chooses ``C``."""

from __future__ import annotations

import numbers
import re
from numbers import Integral

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from .._compat import Interval, InvalidParameterError
from ..network import AdjustableL2
from ._base import NetworkSnapshot, store_init_params
from ._classifier import MultimodalClassifier
from ._docstrings import fill_docstring
from ._seeding import seed_from_random_state, seeded
from ._settings import parameter_constraints

#: Weakest and strongest λ of the path made when ``l2s`` is an int.
L2_PATH_RANGE = (1e-5, 1e-1)


class MultimodalClassifierCV(MultimodalClassifier):
    """A multimodal classifier that chooses its L2 strength λ along a warm-started path.

    Like [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier], with the shared L2
    strength λ chosen
    by cross-validation from ``l2s``, as scikit-learn's
    ``LogisticRegressionCV`` chooses ``C``. The network is built once. In
    each cross-validation fold it starts from the same initial weights and a
    fresh optimizer, trains ``epochs`` epochs at the weakest λ, then walks up
    the path: each stronger λ continues from the previous λ's weights for
    ``path_epochs`` epochs, and the held-out rows are scored after every λ.
    All λ share one adjustable penalty (`AdjustableL2`),
    so one traced training step serves the whole path, every fold and the
    refit. ``l2_`` is the λ of best mean score (of equal means, the
    strongest). With ``refit=True`` the network goes back to its initial
    weights and walks the same path on all rows, up to and including
    ``l2_``, so it is trained the way the networks that were scored were.

    The path runs from weak to strong because a network trained first at a
    strong λ shrinks to a constant predictor that weaker λ do not revive (see
    ``docs/lambda_path.md``). The price of the path: the network scored at
    the k-th λ has trained ``epochs + k * path_epochs`` epochs, the last
    ``path_epochs`` of them at that λ, not ``epochs`` epochs at that λ from
    scratch as in a ``GridSearchCV`` over ``l2``; ``l2_`` is the best place
    to stop on this path, and a ``MultimodalClassifier(l2=l2_)`` is not the
    same network. In exchange the search is several times cheaper: one build
    and one trace instead of one per fold and λ, and ``path_epochs`` instead
    of ``epochs`` for every λ after the first.

    Parameters
    ----------
    l2s : int or sequence of float, default=5
        The candidate λ. An int ``n`` gives ``n`` values log-spaced from
        ``1e-5`` to ``1e-1``; a sequence gives the values (>= 0) itself,
        walked from the weakest to the strongest (duplicates dropped).
    cv : int, cross-validation splitter or iterable, default=3
        As in ``GridSearchCV``: an int is the number of folds of a
        ``StratifiedKFold`` (``KFold`` for targets with several columns).
    scoring : str, callable or None, default=None
        What is scored on the held-out rows: None uses `score`
        (accuracy); otherwise anything ``sklearn.metrics.check_scoring``
        accepts (e.g. ``"neg_log_loss"``). Higher is better.
    path_epochs : int or None, default=None
        Epochs of each λ after the first on the path. None uses
        ``max(1, epochs // 3)``.
    refit : bool, default=True
        Walk the path again on all rows up to ``l2_``. With ``refit=False``
        fit only chooses λ: ``l2_``, ``scores_`` and ``cv_results_`` are
        set, no network is kept and ``predict`` raises ``NotFittedError``.
    <<network parameters>>
    loss : str or keras loss, default=None
        As in [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier].
    <<training parameters>>
    class_weight : dict, list of dict, "balanced" or None, default=None
        As in [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier]; computed once on all
        of ``y``.
    task_weights : sequence of float, dict or None, default=None
        As in [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier].
    <<common parameters>>

    Attributes
    ----------
    l2_ : float
        The chosen λ.
    l2s_ : ndarray of shape (n_l2s,)
        The candidates in path order, weakest first.
    scores_ : ndarray of shape (n_folds, n_l2s)
        Held-out score of each fold (row) after each λ of the path (column).
    cv_results_ : dict of ndarray
        ``param_l2``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score`` and ``split<k>_test_score``, one entry per λ, as
        in ``GridSearchCV``.
    classes_ : ndarray or list of ndarray
        Class labels.
    n_classes_ : int, list of int or None
        Number of classes.
    <<common attributes>>

    Notes
    -----
    There is no ``l2`` parameter (``l2s`` replaces it); the ``l2`` attribute
    reads ``l2_``. Per-block overrides such as ``l2__image=1e-3`` keep their
    fixed value along the path: the path changes the λ shared by every other
    kernel and embedding table. ``warm_start`` must be False and there is no
    ``partial_fit``. ``sample_weight`` weighs the training rows of every fold;
    the held-out rows are scored unweighted, as in ``GridSearchCV``.
    ``history_`` and ``n_iter_`` cover the refit's whole walk: ``epochs``
    plus ``path_epochs`` for each λ after the first, up to ``l2_``. With
    ``early_stopping``, every λ of the path is a training of its own: it
    draws its validation rows anew and keeps its best epoch.

    See Also
    --------
    MultimodalClassifier : The same network with a fixed λ.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalClassifierCV
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3)).astype("float32")
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MultimodalClassifierCV(l2s=[1.0, 1e-4], cv=2, epochs=10, hidden_units=(8,),
    ...                              tabular_units=(8,), random_state=0).fit(X, y)
    >>> clf.scores_.shape
    (2, 2)
    >>> clf.l2_ in clf.l2s_
    True
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **{
            name: constraints
            for name, constraints in parameter_constraints(classifier=True).items()
            if name != "l2"
        },
        # element rules of l2s (floats >= 0, not empty) are checked by _check_l2s
        "l2s": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [None, str, callable],
        "path_epochs": [None, Interval(Integral, 1, None, closed="left")],
        "refit": ["boolean"],
    }

    def __init__(
        self,
        *,
        l2s=5,
        cv=3,
        scoring=None,
        path_epochs=None,
        refit=True,
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

    @property
    def l2(self):
        """The chosen λ, ``l2_`` (0.0 before fit). Not a parameter: ``l2s`` lists the
        candidates. The checks shared with
        [`MultimodalClassifier`][skmm.estimators.MultimodalClassifier] read it."""
        return getattr(self, "l2_", 0.0)

    @property
    def partial_fit(self):
        # A property that raises keeps hasattr(clf, "partial_fit") False, as for
        # scikit-learn's CV estimators: one more epoch at which λ is not defined.
        raise AttributeError(
            f"{type(self).__name__} has no partial_fit; use MultimodalClassifier(l2=...) to "
            "train incrementally at a fixed λ."
        )

    # -- parameters ---------------------------------------------------------------------

    def _check_params(self):
        if "l2" in vars(self):
            raise TypeError(
                f"{type(self).__name__} has no l2 parameter: it chooses λ from l2s (an int, "
                "or a sequence of candidate floats)."
            )
        super()._check_params()
        _check_l2s(self.l2s)
        self._path_epochs()
        if self.warm_start:
            raise InvalidParameterError(
                f"{type(self).__name__} starts every fit from a new network; warm_start must "
                "be False."
            )

    def _path_epochs(self):
        if self.path_epochs is None:
            return max(1, self.epochs // 3)
        if isinstance(self.path_epochs, bool) or not (
            isinstance(self.path_epochs, numbers.Integral) and self.path_epochs >= 1
        ):
            raise InvalidParameterError(
                f"path_epochs must be None or an int >= 1; got {self.path_epochs!r}."
            )
        return int(self.path_epochs)

    def _network_l2(self):
        # fit builds the network with the shared, adjustable penalty of the path
        path_l2 = getattr(self, "_path_l2", None)
        return path_l2 if path_l2 is not None else AdjustableL2(_check_l2s(self.l2s)[0])

    # -- fitting --------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Score every λ of ``l2s`` by cross-validation along the path, keep the best.

        Parameters
        ----------
        X : MultimodalBlocks, dict of arrays or array-like of shape (n_samples, n_features)
            Blocks from [`MultimodalInput`][skmm.compose.MultimodalInput], a dict of arrays keyed
            by block name, or a numeric table.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights of the training rows; rows of weight 0 are left
            out of training (they are still scored when held out).
        **kwargs : dict
            Passed to every ``keras.Model.fit``.

        Returns
        -------
        self : MultimodalClassifierCV
            The fitted classifier.
        """
        # The parent checks the parameters and the target, folds class_weight into
        # sample_weight, then calls _seeded_fit, which runs the path.
        return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def _seeded_fit(self, X, y, sample_weight, **kwargs):
        fixed = sorted({"epochs", "initial_epoch"} & kwargs.keys())
        if fixed:
            raise TypeError(
                f"{type(self).__name__}.fit does not take {fixed}; set the epochs and "
                "path_epochs parameters instead."
            )
        for name in ("l2_", "model_", "_predict_function", "history_", "best_iteration_"):
            vars(self).pop(name, None)
        self._path_l2 = AdjustableL2(_check_l2s(self.l2s)[0])
        try:
            with seeded(seed_from_random_state(self.random_state)):
                self._fit_path(X, y, sample_weight, **kwargs)
        finally:
            del self._path_l2
        return self

    def _fit_path(self, X, y, sample_weight, **kwargs):
        l2s = _check_l2s(self.l2s)
        X, y = self._initialize_fit(X, y)  # validates, builds the network once
        self._ensure_compiled_network()
        if sample_weight is not None:
            # the checks of a plain fit, before any fold: length, non-negative, not all 0
            self._validate_weights(X, y, sample_weight)
            sample_weight = np.asarray(sample_weight, dtype=np.float32)
        initial = NetworkSnapshot(self.model_)  # optimizer slots included: built eagerly
        splits = list(check_cv(self.cv, y, classifier=True).split(np.empty((len(y), 1)), y))
        scorer = check_scoring(self, scoring=self.scoring)

        scores = np.empty((len(splits), len(l2s)))
        for fold, (train, test) in enumerate(splits):
            held_out, y_held_out = X.take(test), y[test]
            for step in self._walk_path(initial, l2s, X, y, sample_weight, train, kwargs):
                scores[fold, step] = scorer(self, held_out, y_held_out)

        self.l2s_ = l2s
        self.scores_ = scores
        self.cv_results_ = _cv_results(l2s, scores)
        self.l2_ = _best_l2(l2s, scores)
        if self.refit:
            # all rows, along the path up to l2_: trained as the scored networks were
            stop = int(np.flatnonzero(l2s == self.l2_)[0]) + 1
            for _ in self._walk_path(
                initial, l2s[:stop], X, y, sample_weight, np.arange(len(y)), kwargs
            ):
                pass
        else:
            for name in ("model_", "_predict_function", "history_", "n_iter_", "best_iteration_"):
                vars(self).pop(name, None)

    def _walk_path(self, initial, l2s, X, y, sample_weight, rows, kwargs):
        """From the initial network, train on ``rows`` at each λ of ``l2s`` in turn
        (``epochs`` epochs, then ``path_epochs`` for each next λ), yielding after each."""
        initial.restore()
        for step, l2 in enumerate(l2s):
            self._path_l2.assign(l2)
            epochs = self.epochs if step == 0 else self._path_epochs()
            self._train_on(
                X, y, sample_weight, rows, epochs, 0 if step == 0 else self.n_iter_, kwargs
            )
            yield step

    def _train_on(self, X, y, sample_weight, rows, epochs, initial_epoch, kwargs):
        """Train the current network ``epochs`` more epochs on ``rows``, as a plain fit
        does; ``history_`` restarts when ``initial_epoch`` is 0, else grows."""
        X, y = X.take(rows), y[rows]
        weights = None
        if sample_weight is not None:
            X, y, weights = self._validate_weights(X, y, sample_weight[rows])
        targets = self.target_encoder_.transform(y)
        self._check_network_outputs(targets)
        self._train_network(
            self.feature_encoder_.transform(X),
            targets,
            weights,
            warm_start=True,
            epochs=epochs,
            initial_epoch=initial_epoch,
            **kwargs,
        )

    def _predict_network(self, X, **kwargs):
        if not self.initialized_ and hasattr(self, "l2_"):
            raise NotFittedError(
                f"This {type(self).__name__} was fitted with refit=False: it chose "
                f"l2_={self.l2_:g} but kept no network. Fit it with refit=True to predict."
            )
        return super()._predict_network(X, **kwargs)


def _check_l2s(l2s):
    """The candidate λ in path order, weakest first, from ``l2s`` (an int or a sequence)."""
    if isinstance(l2s, numbers.Integral) and not isinstance(l2s, bool):
        if l2s < 1:
            raise InvalidParameterError(
                f"l2s must be an int >= 1 or a non-empty sequence of finite floats >= 0; got {l2s}."
            )
        return np.logspace(*np.log10(L2_PATH_RANGE), num=int(l2s))
    try:
        values = np.asarray(l2s, dtype=float)
    except (TypeError, ValueError):
        values = None
    if (
        values is None
        or values.ndim != 1
        or values.size == 0
        or not np.all(np.isfinite(values))
        or not np.all(values >= 0)
    ):
        raise InvalidParameterError(
            f"l2s must be an int >= 1 or a non-empty sequence of finite floats >= 0; got {l2s!r}."
        )
    return np.unique(values)


def _best_l2(l2s, scores):
    """The λ of best mean score; of equal means, the strongest (NaN scores rank last)."""
    mean = np.nan_to_num(scores.mean(axis=0), nan=-np.inf)
    return float(l2s[mean == mean.max()].max())


def _cv_results(l2s, scores):
    mean = scores.mean(axis=0)
    ranked = np.nan_to_num(mean, nan=-np.inf)
    results = {
        "param_l2": l2s.copy(),
        "mean_test_score": mean,
        "std_test_score": scores.std(axis=0),
        "rank_test_score": 1 + np.array([(ranked > m).sum() for m in ranked]),
    }
    for fold, fold_scores in enumerate(scores):
        results[f"split{fold}_test_score"] = fold_scores.copy()
    return results


def _without_l2_entry(doc):
    """The docstring without the ``l2 : float`` parameter, which this class replaces."""
    entry = re.compile(r"^    l2 : .*\n(?:        .*\n)*", re.MULTILINE)
    doc, found = entry.subn("", doc, count=1)
    if not found:
        raise RuntimeError("the shared parameter text no longer has an 'l2 : ' entry")
    return doc


MultimodalClassifierCV.__doc__ = _without_l2_entry(fill_docstring(MultimodalClassifierCV.__doc__))
