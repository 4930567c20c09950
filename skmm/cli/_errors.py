"""Exit codes and the errors the commands raise, each reported as one line."""

from __future__ import annotations

import sys
from contextlib import contextmanager

#: The command did what was asked.
EXIT_OK = 0
#: Something unexpected went wrong inside skmm (a bug); ``--debug`` shows the traceback.
EXIT_INTERNAL = 1
#: The command line is wrong: unknown flag, missing argument, bad option value.
EXIT_USAGE = 2
#: The data cannot be used: missing or unreadable file, missing column, bad values.
EXIT_DATA = 3
#: The model file cannot be used: missing, not written by skmm, damaged, untrusted.
EXIT_MODEL = 4
#: Interrupted with Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class CommandError(Exception):
    """An error the command line reports as ``skmm: error: <message>``.

    Parameters
    ----------
    message : str
        What went wrong; newlines are folded into one line when reported.
    """

    exit_code = EXIT_INTERNAL


class UsageError(CommandError):
    """The command line asks for something that cannot be done (exit code 2)."""

    exit_code = EXIT_USAGE


class DataError(CommandError):
    """The data file or its contents cannot be used (exit code 3)."""

    exit_code = EXIT_DATA


class ModelFileError(CommandError):
    """The model file cannot be read or written (exit code 4)."""

    exit_code = EXIT_MODEL


def one_line(message):
    """Fold ``message`` into a single line (runs of whitespace become one space).

    Parameters
    ----------
    message : object
        The message, or an exception whose text is used.

    Returns
    -------
    line : str
        The message on one line.
    """
    return " ".join(str(message).split())


def _is_invalid_parameter(exc):
    """Whether ``exc`` is scikit-learn's ``InvalidParameterError``.

    The estimators raise it for a parameter refused while the network is built
    (an unknown fusion, encoder, optimizer or loss name, ``l2__<block>`` for a
    block that does not exist). The class is looked up in the module already
    imported, so the command line does not import scikit-learn's internals.
    """
    module = sys.modules.get("sklearn.utils._param_validation")
    return module is not None and isinstance(exc, module.InvalidParameterError)


@contextmanager
def data_errors(context=None):
    """Turn the errors skmm raises about bad input into `DataError`.

    The transformers and estimators raise ``ValueError`` (and ``TypeError`` for
    a cell of the wrong kind) with messages naming the column, the block and
    the row. The estimator parameters the estimator checks itself are checked
    before any of this runs; those checked only when the network is built
    (``fusion``, the encoders, ``optimizer``, ``loss``, ``metrics``,
    ``l2__<block>``) raise while building it, and are reported as a
    `UsageError`. Any other such error is about the data.

    Parameters
    ----------
    context : str, default=None
        Put in front of the message of a data error, e.g. the name of the data file.
    """
    try:
        yield
    except CommandError:
        raise
    except (ValueError, TypeError) as exc:
        message = one_line(exc)
        if _is_invalid_parameter(exc):
            raise UsageError(f"--param / --block-param: {message}") from exc
        raise DataError(f"{context}: {message}" if context else message) from exc
