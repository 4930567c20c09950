"""Keeping TensorFlow and the libraries quiet, and warnings on one line each."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from importlib import import_module

from .._quiet import LOGS_VARIABLE, silenced_native_stderr
from ._errors import one_line

#: Warning categories that speak to the developers of the libraries, not to the user.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def quiet_tensorflow_logs(debug):
    """Ask TensorFlow's C++ runtime to log errors only; call before it is imported.

    Parameters
    ----------
    debug : bool
        With ``--debug`` the logs are left as TensorFlow sets them (and
        ``SKMM_TENSORFLOW_LOGS`` tells skmm's Python API not to silence them).
    """
    if debug:
        os.environ[LOGS_VARIABLE] = "1"
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def import_estimators(debug):
    """Import skmm's estimators (and TensorFlow and Keras) without their start-up noise.

    Parameters
    ----------
    debug : bool
        With ``--debug`` nothing is silenced.

    Returns
    -------
    estimators : module
        `skmm.estimators`.
    """
    if debug or "tensorflow" in sys.modules:
        module = import_module("skmm.estimators")
    else:
        with silenced_native_stderr():
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
