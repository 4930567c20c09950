"""The entry point: parse, run the command, turn every failure into an exit code."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback

from ._errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    UsageError,
    one_line,
)
from ._parser import build_parser
from ._runtime import one_line_warnings, quiet_tensorflow_logs


def main(argv=None):
    """Run the ``skmm`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    exit_code : int
        0 on success, 1 for an unexpected internal error, 2 for a usage
        error, 3 for a data error, 4 for a model-file error, 130 when
        interrupted. Errors are reported on standard error as one line
        ``skmm: error: ...`` (with a traceback under ``--debug``).
    """
    argv = sys.argv[1:] if argv is None else [str(arg) for arg in argv]
    stdout, stderr = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        stderr.write(f"skmm: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        stderr.write("skmm: error: give a command: fit, predict or evaluate (see 'skmm --help')\n")
        return EXIT_USAGE

    debug = bool(getattr(args, "debug", False))
    quiet = bool(getattr(args, "quiet", False))
    progress = bool(getattr(args, "progress", False)) or (not quiet and _isatty(stderr))
    quiet_tensorflow_logs(debug)

    from ._commands import COMMANDS, Console

    console = Console(stdout=stdout, stderr=stderr, progress=progress, quiet=quiet, debug=debug)
    try:
        # Libraries that print (Keras with verbose=1) write to stderr; stdout carries data.
        with one_line_warnings(stderr, debug), contextlib.redirect_stdout(stderr):
            return COMMANDS[args.command](args, console)
    except CommandError as exc:
        return _report(stderr, one_line(exc), exc.exit_code, debug)
    except KeyboardInterrupt:
        stderr.write("\nskmm: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of standard output went away (e.g. `| head`): stop quietly.
        _discard_stdout()
        return EXIT_INTERNAL
    except Exception as exc:
        message = f"internal error: {type(exc).__name__}: {one_line(exc)}"
        if not debug:
            message += " (run with --debug for the traceback)"
        return _report(stderr, message, EXIT_INTERNAL, debug)


def _report(stderr, message, code, debug):
    if debug:
        traceback.print_exc(file=stderr)
    stderr.write(f"skmm: error: {message}\n")
    stderr.flush()
    return code


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _discard_stdout():
    """Point standard output at the null device, so that the exit flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
