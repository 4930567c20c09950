"""scikeras behind one door: the only module that names scikeras' private members.

skmm's estimators are scikeras ``KerasClassifier`` / ``KerasRegressor``
subclasses, so that they are what users of scikeras expect. scikeras is no
longer maintained; its last release, 0.13.0, is the one this module was
checked against. Its ``fit``, ``partial_fit`` and ``predict`` call private
hooks that a subclass overrides, and skmm reuses a few of its private
methods. Every such name is used here and nowhere else in skmm, so that a
scikeras release that renames one (or its replacement by skmm's own
wrapper) is a change to this file alone.

`ScikerasAdapter` sits between skmm's estimator mixin and the scikeras
class. Each scikeras hook is implemented by calling a method of skmm's own
name, whose default here is scikeras' behaviour; skmm's estimators override
the skmm name and reach scikeras' behaviour through ``super()``:

==============================  ==================================
scikeras calls (private)        skmm overrides
==============================  ==================================
``_initialize(X, y)``           ``_initialize_fit(X, y)``
``_validate_data(X, y, ...)``   ``_validate_input(X, y, ...)``
``_validate_sample_weight``     ``_validate_weights``
``_fit_keras_model(...)``       ``_train_network(...)``
``_predict_raw(X)``             ``_predict_network(X)``
``_check_model_compatibility``  ``_check_network_outputs``
``_type_of_target(y)``          ``_target_type(y)``
``_get_param_names()``          ``_parameter_names()``
``_routing_prefixes``           ``_extra_routing_prefixes``
==============================  ==================================

and these scikeras members are offered under skmm's names:
``_compile_arguments`` (``_get_compile_kwargs``), ``_reset_callbacks``
(``_initialize_callbacks``), ``_training_callbacks`` (``_fit_callbacks``),
``_ensure_compiled_network`` (``_ensure_compiled_model``),
``_run_wrapper_fit`` / ``_run_wrapper_partial_fit`` (scikeras' own ``fit`` and
``partial_fit``, which call the hooks above).

The two tag mixins correct scikit-learn >= 1.6 tags, which scikeras 0.13 gets
wrong (see their docstrings); they go away with a scikeras release that
ships ``__sklearn_tags__``.
"""

from __future__ import annotations

from scikeras.wrappers import BaseWrapper, KerasClassifier, KerasRegressor

__all__ = [
    "CHECKED_SCIKERAS",
    "KerasClassifier",
    "KerasRegressor",
    "ScikerasAdapter",
    "ScikerasClassifierTagsMixin",
    "ScikerasRegressorTagsMixin",
    "reset_callbacks",
]

#: The scikeras release this module was checked against.
CHECKED_SCIKERAS = "0.13.0"


class ScikerasAdapter:
    """scikeras' private hooks, each delegating to a method of skmm's own name.

    Placed right of skmm's estimator mixin and left of the scikeras class.
    """

    #: Prefixes of routed parameters a subclass adds to scikeras' own
    #: (``optimizer__``, ``loss__``, ``callbacks__``, ``fit__``, ``predict__``, ...).
    _extra_routing_prefixes = frozenset()

    #: scikeras seeds its fit with this when not None; skmm seeds the whole fit itself
    #: (``skmm.estimators._seeding``), so it stays None (only scikeras' own
    #: ``_initialize``, which skmm replaces, would set it).
    _random_state = None

    # -- hooks scikeras calls, each forwarded to skmm's name ----------------------------

    @property
    def _routing_prefixes(self):
        return self._all_routing_prefixes()

    def _get_param_names(self):
        return self._parameter_names()

    def _initialize(self, X, y=None):
        return self._initialize_fit(X, y)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        return self._validate_input(X, y, reset=reset, y_numeric=y_numeric)

    def _validate_sample_weight(self, X, y, sample_weight):
        return self._validate_weights(X, y, sample_weight)

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        return self._train_network(X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs)

    def _predict_raw(self, X, **kwargs):
        return self._predict_network(X, **kwargs)

    def _check_model_compatibility(self, y):
        return self._check_network_outputs(y)

    def _type_of_target(self, y):
        return self._target_type(y)

    # -- skmm's names, with scikeras' behaviour as their default ------------------------

    def _all_routing_prefixes(self):
        """scikeras' routing prefixes and ``_extra_routing_prefixes``."""
        return BaseWrapper._routing_prefixes | self._extra_routing_prefixes

    def _parameter_names(self):
        return super()._get_param_names()

    def _initialize_fit(self, X, y=None):
        return super()._initialize(X, y)

    def _validate_input(self, X=None, y=None, reset=False, y_numeric=False):
        return super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)

    def _validate_weights(self, X, y, sample_weight):
        return super()._validate_sample_weight(X, y, sample_weight)

    def _train_network(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        """Train ``model_`` on in-memory arrays, as scikeras does (``Model.fit``)."""
        return super()._fit_keras_model(
            X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
        )

    def _predict_network(self, X, **kwargs):
        return super()._predict_raw(X, **kwargs)

    def _check_network_outputs(self, y):
        return super()._check_model_compatibility(y)

    def _target_type(self, y):
        return super()._type_of_target(y)

    # -- scikeras members offered under skmm's names ------------------------------------

    def _compile_arguments(self):
        """``Model.compile`` keyword arguments from the parameters (routed ones included)."""
        return self._get_compile_kwargs()

    def _reset_callbacks(self):
        """Rebuild the callbacks of ``fit`` and ``predict`` from the ``callbacks`` parameter."""
        self._initialize_callbacks()

    def _ensure_compiled_network(self):
        self._ensure_compiled_model()

    @property
    def _training_callbacks(self):
        """The callbacks ``fit`` gives Keras (built from the ``callbacks`` parameter)."""
        return self._fit_callbacks

    @_training_callbacks.setter
    def _training_callbacks(self, callbacks):
        self._fit_callbacks = callbacks

    def _run_wrapper_fit(self, X, y, sample_weight=None, **kwargs):
        """scikeras' ``fit``, which calls the hooks above."""
        return BaseWrapper.fit(self, X, y, sample_weight=sample_weight, **kwargs)

    def _run_wrapper_partial_fit(self, X, y, sample_weight=None, **kwargs):
        """scikeras' ``partial_fit``, which calls the hooks above."""
        return BaseWrapper.partial_fit(self, X, y, sample_weight=sample_weight, **kwargs)


def reset_callbacks(estimator):
    """Give a fitted estimator back the callbacks its ``callbacks`` parameter names.

    A fitted scikeras estimator keeps the callbacks it trained with; after
    ``set_params(callbacks=...)`` this makes it hold those of the parameter
    (the command line puts back the user's after training with a progress bar).
    """
    estimator._reset_callbacks()


class ScikerasClassifierTagsMixin:
    """Correct scikit-learn >= 1.6 tags for a scikeras 0.13 ``KerasClassifier``.

    scikeras 0.13 declares ``KerasClassifier(BaseWrapper, ClassifierMixin)``:
    the mixin sits right of ``BaseEstimator``, whose ``__sklearn_tags__`` does
    not call ``super()``, so ``ClassifierMixin.__sklearn_tags__`` never runs and
    ``is_classifier`` is False. Cross-validation then silently stops
    stratifying and ``CalibratedClassifierCV`` refuses the estimator. Placing
    ``ClassifierMixin`` first is impossible (no consistent MRO), so this mixin,
    placed left of ``KerasClassifier``, builds the classifier tags itself.

    Goes away when scikeras ships ``__sklearn_tags__`` with the mixin on the
    left (no release as of scikeras 0.13.0).
    """

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = tags.classifier_tags or ClassifierTags()
        tags.target_tags.required = True
        return tags


class ScikerasRegressorTagsMixin:
    """Correct scikit-learn >= 1.6 tags for a scikeras 0.13 ``KerasRegressor``.

    The same mixin-order problem as `ScikerasClassifierTagsMixin`:
    ``KerasRegressor(BaseWrapper, RegressorMixin)`` never runs
    ``RegressorMixin.__sklearn_tags__``, so ``is_regressor`` is False and
    ``cross_val_score`` scores it without knowing it is a regressor.

    Goes away with the same scikeras release as the classifier shim.
    """

    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = tags.regressor_tags or RegressorTags()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        return tags
