"""One-file persistence whose loading runs no code from the file.

[`save`][skmm._persistence.save] writes a zip archive::

    manifest.json        format name and version, library versions, creation time,
                         and the size and sha256 of every other member
    estimator.skops      the scikit-learn object graph (pipelines, transformers,
                         vocabularies, image statistics, estimator attributes),
                         written by ``skops.io``
    networks/0.keras     each fitted Keras network, in Keras' own format
    networks/1.keras     ...

The estimators keep their network out of the object graph: inside [`save`][skmm._persistence.save]
their state names the member their network is written to (see
`archived_state`), and inside [`load`][skmm._persistence.load] they take the network loaded
from that member (see `restored_network`). Pickling outside [`save`][skmm._persistence.save]
is unchanged.

[`load`][skmm._persistence.load] checks the manifest and every member's sha256, refuses types that
are not trusted before anything is constructed, and loads the networks with
Keras' safe mode on. The format and the security model are described in
``docs/persistence.md``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import importlib.metadata
import os
import platform
import warnings
import zipfile

from ._archive import (
    ESTIMATOR_MEMBER,
    FORMAT,
    FORMAT_VERSION,
    PersistenceError,
    read_archive,
    skmm_version,
    write_atomically,
)
from ._saved_names import FORMER_NAMES, PUBLIC_CLASSES, TRUSTED_TYPES, rename_classes

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "PersistenceError",
    "UnsafeKerasError",
    "UntrustedTypesError",
    "VersionMismatchWarning",
    "load",
    "save",
]

#: Key of an estimator's state that names the archive member holding its network.
NETWORK_MEMBER_KEY = "_keras_model_member"
#: Key under which pickling stores the network inline, as ``.keras`` bytes.
INLINE_NETWORK_KEY = "_keras_model_bytes"

#: Distributions whose versions the manifest records (Python's is recorded too).
_RECORDED = ("skmm", "scikit-learn", "scikeras", "keras", "tensorflow", "skops", "numpy")
#: Those that define the saved objects: a difference warns when loading.
_COMPARED = ("skmm", "scikit-learn", "scikeras", "keras", "tensorflow")


class UntrustedTypesError(PersistenceError):
    """The estimator part of the file holds types that are not trusted.

    Attributes
    ----------
    types : list of str
        The untrusted types, by fully qualified name.
    """

    def __init__(self, path, types):
        self.types = list(types)
        super().__init__(
            f"{path}: the file holds types that are not trusted: {self.types}. Nothing "
            "was loaded. If you trust the file and have reviewed these types, pass them "
            "explicitly: skmm.load(path, trusted=[...])."
        )


class UnsafeKerasError(PersistenceError):
    """A network of the file needs Keras' unsafe mode (e.g. a ``Lambda`` layer)."""


class VersionMismatchWarning(UserWarning):
    """The file was saved with other versions of the libraries than those installed.

    Attributes
    ----------
    versions : dict of str to tuple
        ``{library: (version in the file, installed version)}`` for each
        library that differs.
    """

    def __init__(self, message, versions):
        super().__init__(message)
        self.versions = versions


# -- the hooks used by the estimators' __getstate__ / __setstate__ ----------------------

_SAVING = contextvars.ContextVar("skmm_saving_networks", default=None)
_LOADING = contextvars.ContextVar("skmm_loading_networks", default=None)


class _NetworkWriter:
    """The networks met while [`save`][skmm._persistence.save] dumps the object graph, one member
    each."""

    def __init__(self):
        self._members = {}  # id(model) -> (member, model)

    def add(self, model):
        if id(model) not in self._members:
            self._members[id(model)] = (f"networks/{len(self._members)}.keras", model)
        return self._members[id(model)][0]

    def __iter__(self):
        return iter(self._members.values())


class _NetworkReader:
    """The networks [`load`][skmm._persistence.load] has loaded, handed to the estimators that name
    them."""

    def __init__(self, path, networks):
        self.path = path
        self._networks = networks
        self._claimed = set()

    def take(self, member):
        if member not in self._networks:
            raise PersistenceError(
                f"{self.path}: the estimator part refers to the network {member!r}, which "
                "the file does not hold."
            )
        self._claimed.add(member)
        return self._networks[member]

    def unclaimed(self):
        return sorted(set(self._networks) - self._claimed)


def saving_archive():
    """Whether [`save`][skmm._persistence.save] is dumping an object graph in this context."""
    return _SAVING.get() is not None


def archived_state(estimator, state):
    """An estimator's pickled ``state`` as [`save`][skmm._persistence.save] stores it.

    The fitted network (``state["model_"]``) is replaced by the name of the
    archive member it will be written to. Keras objects anywhere else in the
    state (an optimizer instance, layers in ``block_encoders``) are refused:
    the estimator part holds no Keras object.
    """
    writer = _SAVING.get()
    state = dict(state)
    model = state.pop("model_", None)
    for name, value in state.items():
        found = _keras_object_in(value)
        if found is not None:
            raise TypeError(
                f"skmm.save cannot store {type(estimator).__name__}.{name}: it holds a Keras "
                f"object ({_type_name(type(found))}). skmm.save keeps Keras objects only "
                "inside the fitted network. Give a name or a class instead (optimizer='sgd', "
                "loss='mse', metrics=['auc']), or use pickle/joblib for files you trust."
            )
    if model is not None:
        state[NETWORK_MEMBER_KEY] = writer.add(model)
    return state


def restored_network(state):
    """Pop the archive member an estimator's ``state`` names; return its loaded network.

    None when the state names no member. Inside [`load`][skmm._persistence.load], a state holding
    its network inline (pickled ``.keras`` bytes) is refused: [`save`][skmm._persistence.save]
    never writes one, and every network must go through [`load`][skmm._persistence.load]'s checks.
    """
    reader = _LOADING.get()
    member = state.pop(NETWORK_MEMBER_KEY, None)
    if reader is None:
        if member is not None:
            raise PersistenceError(
                f"This estimator's network is the member {member!r} of a file written by "
                "skmm.save; load the file with skmm.load."
            )
        return None
    if INLINE_NETWORK_KEY in state:
        raise PersistenceError(
            f"{reader.path}: the estimator part holds a network inline; skmm.save writes "
            "every network as its own member. Refusing to load it."
        )
    return None if member is None else reader.take(member)


def _keras_object_in(value, depth=0):
    """The first Keras object (not class) in ``value`` and its containers, or None."""
    if depth > 20:
        return None
    if isinstance(value, dict):
        values = value.values()
    elif isinstance(value, list | tuple | set | frozenset):
        values = value
    else:
        return value if _is_keras_object(value) else None
    for item in values:
        found = _keras_object_in(item, depth + 1)
        if found is not None:
            return found
    return None


def _is_keras_object(value):
    if isinstance(value, type):
        return False
    if type(value).__module__.partition(".")[0] in ("keras", "tensorflow", "tf_keras"):
        return True
    import keras

    bases = (
        keras.layers.Layer,
        keras.optimizers.Optimizer,
        keras.losses.Loss,
        keras.metrics.Metric,
        keras.callbacks.Callback,
        keras.regularizers.Regularizer,
        keras.initializers.Initializer,
        keras.constraints.Constraint,
    )
    return isinstance(value, bases)


# -- save -------------------------------------------------------------------------------


def save(estimator, path):
    """Save a fitted (or unfitted) estimator or pipeline to one file.

    The file is a zip archive: a manifest with the library versions and a
    sha256 for every member, the scikit-learn object graph written by
    ``skops.io``, and each Keras network in Keras' ``.keras`` format.
    [`load`][skmm._persistence.load] reads it back without running code from the file.

    The file is written to a temporary file in the same directory, synced to
    disk, then renamed to ``path``: a failed save (read-only directory, full
    disk) leaves no partial file and any existing file at ``path`` unchanged.

    Parameters
    ----------
    estimator : object
        A skmm estimator or transformer, or any scikit-learn object holding
        them (``Pipeline``, ``MultimodalInput``, ``ColumnTransformer``, ...).
    path : str or path-like
        Where to write the file (by convention ending in ``.skmm``).

    Raises
    ------
    OSError
        The file could not be written; the message names ``path``.
    TypeError
        The estimator holds something that cannot be stored safely, such as
        a Keras object given as a parameter (an optimizer instance, layers in
        ``block_encoders``).

    Warns
    -----
    UserWarning
        The object graph holds types that [`load`][skmm._persistence.load] does not trust by
        default (e.g. your own transformer classes): loading the file will
        need ``trusted=[...]`` naming them.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> from skmm import TextTokenizer, load, save
    >>> tokenizer = TextTokenizer(sequence_length=4).fit(["a red fox", "a blue bird"])
    >>> path = os.path.join(tempfile.mkdtemp(), "tokenizer.skmm")
    >>> save(tokenizer, path)
    >>> load(path).vocabulary_ == tokenizer.vocabulary_
    True
    """
    path = os.fspath(path)
    estimator_bytes, networks = _dump(estimator)
    _warn_untrusted(path, estimator_bytes)
    members = {ESTIMATOR_MEMBER: estimator_bytes}
    if networks:
        from ._compat import save_keras_model_bytes

        members.update((member, save_keras_model_bytes(model)) for member, model in networks)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "estimator": _type_name(type(estimator)),
        "versions": _installed_versions(),
        "members": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members.items()
        },
    }
    write_atomically(path, manifest, members)


def _dump(estimator):
    """The skops bytes of the object graph and the networks pulled out of it."""
    import skops.io as sio

    writer = _NetworkWriter()
    token = _SAVING.set(writer)
    try:
        data = sio.dumps(estimator)
    except RecursionError as exc:
        raise TypeError(
            f"skmm.save cannot store this {type(estimator).__name__}: its object graph "
            "holds an object skops cannot write (too deeply nested). Use pickle/joblib for "
            "files you trust."
        ) from exc
    finally:
        _SAVING.reset(token)
    # skmm's public classes by their public names, not the private modules they are in
    data = rename_classes(data, {private: public for public, private in PUBLIC_CLASSES.items()})
    return data, list(writer)


def _warn_untrusted(path, estimator_bytes):
    import skops.io as sio

    extra = sorted(set(sio.get_untrusted_types(data=estimator_bytes)) - set(TRUSTED_TYPES))
    if extra:
        warnings.warn(
            f"{path} holds types that skmm.load does not trust by default: {extra}. "
            f"Loading it will need skmm.load(path, trusted={extra!r}).",
            UserWarning,
            stacklevel=3,
        )


# -- load -------------------------------------------------------------------------------


def load(path, *, trusted=None, allow_unsafe_keras=False):
    """Load an estimator written by [`save`][skmm._persistence.save], running no code from the file.

    Before anything is built, the manifest's format version and the sha256 of
    every member are checked and the estimator part is audited: it may only
    hold types skops trusts by default (scikit-learn's estimators, NumPy
    arrays, Python containers), skmm's own (`TRUSTED_TYPES`) and those
    passed in ``trusted``. The Keras networks are loaded in Keras' safe mode.

    Parameters
    ----------
    path : str or path-like
        A file written by [`save`][skmm._persistence.save].
    trusted : list of str or type, default=None
        More types to trust, by fully qualified name (as listed by the error)
        or as classes. Only name types you have reviewed: loading rebuilds
        them and runs their ``__setstate__``.
    allow_unsafe_keras : bool, default=False
        Load the networks with Keras' safe mode off. A ``Lambda`` layer holds
        Python bytecode that then runs: only for files you trust.

    Returns
    -------
    estimator : object
        The object given to [`save`][skmm._persistence.save], with identical predictions.

    Raises
    ------
    PersistenceError
        The file is not one [`save`][skmm._persistence.save] wrote, is truncated or was changed
        (a sha256 differs, a member is missing or added), or comes from a
        newer format version. Subclasses:
        [`UntrustedTypesError`][skmm._persistence.UntrustedTypesError] (types
        not trusted; ``.types`` lists them) and
        [`UnsafeKerasError`][skmm._persistence.UnsafeKerasError] (a
        network needs ``allow_unsafe_keras=True``).
    OSError
        The file cannot be read (it does not exist, permissions).

    Warns
    -----
    VersionMismatchWarning
        The file was saved with other versions of skmm, scikit-learn,
        scikeras, Keras or TensorFlow; the message names them.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm import load, save
    >>> scaler = make_pipeline(StandardScaler()).fit([[0.0], [2.0]])
    >>> path = os.path.join(tempfile.mkdtemp(), "scaler.skmm")
    >>> save(scaler, path)
    >>> load(path).transform([[4.0]])
    array([[3.]])
    """
    path = os.fspath(path)
    manifest, members = read_archive(path)
    _check_versions(path, manifest["versions"])
    trusted_types = _trusted_types(trusted)
    estimator_bytes = members.pop(ESTIMATOR_MEMBER)
    with contextlib.suppress(zipfile.BadZipFile, KeyError, ValueError):
        # a file of an earlier skmm names public classes as they were named then; a
        # malformed member is left as it is, for _audit to report
        estimator_bytes = rename_classes(estimator_bytes, FORMER_NAMES)
    _audit(path, estimator_bytes, trusted_types)
    networks = {
        member: _load_network(path, member, data, allow_unsafe_keras)
        for member, data in sorted(members.items())
    }
    # the public names, trusted, read as the classes where they are defined today
    estimator_bytes = rename_classes(estimator_bytes, PUBLIC_CLASSES)
    trusted_types = sorted(set(trusted_types) | set(PUBLIC_CLASSES.values()))
    return _construct(path, estimator_bytes, trusted_types, networks)


def _check_versions(path, saved):
    installed = _installed_versions()
    differ = {
        name: (saved.get(name), installed[name])
        for name in _COMPARED
        if saved.get(name) != installed[name]
    }
    if differ:
        listed = ", ".join(
            f"{name} {old} (installed: {new})" for name, (old, new) in differ.items()
        )
        warnings.warn(
            VersionMismatchWarning(
                f"{path} was saved with {listed}. It may load or predict differently; "
                "re-save it with the installed versions, or refit.",
                differ,
            ),
            stacklevel=3,
        )


def _trusted_types(trusted):
    if trusted is None:
        trusted = []
    elif isinstance(trusted, str | type) or not isinstance(trusted, list | tuple | set):
        raise TypeError(
            f"trusted must be a list of type names or classes; got {trusted!r}. Name each "
            "type you have reviewed."
        )
    names = [t if isinstance(t, str) else _type_name(t) for t in trusted]
    return sorted(set(TRUSTED_TYPES) | set(names))


def _audit(path, data, trusted_types):
    """Refuse the estimator part if it holds types not trusted; nothing is built yet."""
    import skops.io as sio

    try:
        # Only reads the skops schema and makes its (unconstructed) tree: no object of
        # the file is created and no module named by it is imported.
        found = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise PersistenceError(
            f"{path}: {ESTIMATOR_MEMBER} is not a valid skops file ({type(exc).__name__}: {exc})."
        ) from exc
    untrusted = sorted(set(found) - set(trusted_types))
    if untrusted:
        raise UntrustedTypesError(path, untrusted)


def _load_network(path, member, data, allow_unsafe_keras):
    from . import network  # noqa: F401  (registers skmm's layers, losses and regularizers)
    from ._compat import load_keras_model_bytes

    try:
        return load_keras_model_bytes(data, safe_mode=not allow_unsafe_keras)
    except Exception as exc:
        if "safe_mode" in str(exc):
            raise UnsafeKerasError(
                f"{path}: the network {member!r} needs Keras' unsafe mode ({exc}). It was not "
                "loaded. A Lambda layer runs its Python bytecode when loaded; only if you "
                "trust the file, pass skmm.load(path, allow_unsafe_keras=True)."
            ) from exc
        raise PersistenceError(
            f"{path}: the network {member!r} could not be loaded ({type(exc).__name__}: "
            f"{exc}). A custom layer must be registered with "
            "keras.saving.register_keras_serializable before loading."
        ) from exc


def _construct(path, data, trusted_types, networks):
    import skops.io as sio

    reader = _NetworkReader(path, networks)
    token = _LOADING.set(reader)
    try:
        estimator = sio.loads(data, trusted=trusted_types)
    except PersistenceError:
        raise
    except Exception as exc:
        # Only trusted types are built; a failure here is a malformed estimator part.
        raise PersistenceError(
            f"{path}: the estimator could not be rebuilt from {ESTIMATOR_MEMBER} "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    finally:
        _LOADING.reset(token)
    unclaimed = reader.unclaimed()
    if unclaimed:
        raise PersistenceError(
            f"{path}: the file was changed: network member(s) {unclaimed} are used by no estimator."
        )
    return estimator


# -- versions ---------------------------------------------------------------------------


def _installed_versions():
    """Versions of the recorded libraries, without importing them (None: not installed)."""
    versions = {"python": platform.python_version()}
    for name in _RECORDED:
        if name == "skmm":
            versions[name] = skmm_version()
            continue
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"
