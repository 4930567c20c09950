"""Keeping TensorFlow and the libraries quiet, and warnings on one line each."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from importlib import import_module

from ._errors import one_line

#: Warning categories that speak to the developers of the libraries, not to the user.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def quiet_tensorflow_logs(debug):
    """Ask TensorFlow's C++ runtime to log errors only; call before it is imported.

    Parameters
    ----------
    debug : bool
        With ``--debug`` the logs are left as TensorFlow sets them.
    """
    if not debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _silenced_stderr_descriptor():
    """Point file descriptor 2 at the null device for the duration.

    TensorFlow's C++ runtime writes start-up messages (oneDNN, CUDA drivers)
    directly to descriptor 2 before its logging honours
    ``TF_CPP_MIN_LOG_LEVEL``. Python exceptions still propagate.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_estimators(debug):
    """Import skmm's estimators (and TensorFlow and Keras) without their start-up noise.

    Parameters
    ----------
    debug : bool
        With ``--debug`` nothing is silenced.

    Returns
    -------
    estimators : module
        :mod:`skmm.estimators`.
    """
    if debug or "tensorflow" in sys.modules:
        module = import_module("skmm.estimators")
    else:
        with _silenced_stderr_descriptor():
            module = import_module("skmm.estimators")
    if not debug:
        for name in ("tensorflow", "keras", "absl", "h5py"):
            logging.getLogger(name).setLevel(logging.ERROR)
    return module


@contextlib.contextmanager
def one_line_warnings(stream, debug):
    """Show each warning as ``skmm: warning: <message>`` on ``stream``.

    Deprecation and future warnings (addressed to developers) are hidden,
    unless ``debug``, which shows every warning in Python's own format.

    Parameters
    ----------
    stream : file object
        Standard error.
    debug : bool
    """
    with warnings.catch_warnings():
        if debug:
            warnings.simplefilter("default")
            yield
            return
        for category in _DEVELOPER_WARNINGS:
            warnings.simplefilter("ignore", category)

        def show(message, category, filename, lineno, file=None, line=None):
            stream.write(f"skmm: warning: {one_line(message)}\n")
            stream.flush()

        warnings.showwarning = show
        yield
