"""Run an example or benchmark script in this process, as ``python script.py args``.

Starting a fresh Python for each script costs a TensorFlow import (several
seconds on 2 cores) per script; scripts that start processes of their own or
change the environment of the process that runs them stay in a subprocess.
"""

import logging
import runpy
import sys


class RetraceWarnings(logging.Handler):
    """Counts TensorFlow's "triggered tf.function retracing" warnings."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record):
        if "retracing" in record.getMessage():
            self.count += 1


def fresh_tracing_detector(monkeypatch):
    """Give TensorFlow's frequent-retracing detector a clean history for one script.

    TensorFlow keys that detector by the traced function's code object, which all
    Keras step functions share, and warns at most twice per process: without a
    fresh one, whether a script's retracing is reported would depend on which
    tests ran before it in the same worker.
    """
    from tensorflow.python.eager.polymorphic_function import polymorphic_function

    monkeypatch.setattr(
        polymorphic_function,
        "_frequent_tracing_detector_manager",
        polymorphic_function._FrequentTracingDetectorManager(),
    )


def run_in_process(path, args, monkeypatch, capsys):
    """Run ``path`` as ``__main__`` with ``args``; returns (stdout, retrace warnings).

    A script that exits with a non-zero code fails the test with what it printed.
    """
    monkeypatch.setattr(sys, "argv", [str(path), *args])
    fresh_tracing_detector(monkeypatch)
    handler = RetraceWarnings()
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as stop:
        if stop.code not in (None, 0):
            out, err = capsys.readouterr()
            raise AssertionError(f"{path.name} exited with {stop.code!r}:\n{out}\n{err}") from None
    finally:
        logger.removeHandler(handler)
    return capsys.readouterr().out, handler.count
