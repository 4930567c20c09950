"""TensorFlow without its start-up noise.

Importing TensorFlow, and its first use of the devices, make its C++ runtime
write lines to the process's standard error that say nothing to a user
(``All log messages before absl::InitializeLog()``, oneDNN, CUDA drivers
that a CPU machine does not have, ``failed call to cuInit``). Some are written
before TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL``, so skmm points file
descriptor 2 at the null device while it imports TensorFlow and while it
first initializes the devices; Python's own ``sys.stderr`` (warnings,
tracebacks) keeps writing where it did. Afterwards ``TF_CPP_MIN_LOG_LEVEL``
is 2 unless already set: TensorFlow's C++ errors still show, its
informational lines and warnings do not.

``SKMM_TENSORFLOW_LOGS=1`` in the environment (the command line's
``--debug``) leaves everything as TensorFlow does it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading

#: The environment variable that shows TensorFlow's start-up logs.
LOGS_VARIABLE = "SKMM_TENSORFLOW_LOGS"

_devices_ready = False
_lock = threading.Lock()


def tensorflow_logs_wanted():
    """Whether the user asked to see TensorFlow's logs (``SKMM_TENSORFLOW_LOGS``)."""
    return os.environ.get(LOGS_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def silenced_native_stderr():
    """Point descriptor 2 at the null device; ``sys.stderr`` writes where it did.

    What C and C++ code writes to descriptor 2 is dropped for the duration;
    Python's warnings and tracebacks still reach the console. Where the
    descriptors cannot be changed (no descriptor 2, a captured stream without
    a file number), nothing is silenced.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    python_stderr = sys.stderr
    replaced = _writes_to_descriptor_2(python_stderr)
    try:
        if replaced:
            sys.stderr = os.fdopen(
                os.dup(saved),
                "w",
                encoding=getattr(python_stderr, "encoding", None) or "utf-8",
                errors="backslashreplace",
                buffering=1,
            )
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        if replaced:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)


def _writes_to_descriptor_2(stream):
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


def import_tensorflow_quietly():
    """Import TensorFlow and Keras without their start-up lines (once per process)."""
    if tensorflow_logs_wanted():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return
    with silenced_native_stderr():
        import keras  # noqa: F401
        import tensorflow  # noqa: F401


def initialize_devices_quietly():
    """Let TensorFlow find its devices without its lines about absent CUDA drivers.

    Called by skmm before it first builds or runs a network in the process
    (the moment TensorFlow would initialize them anyway); a no-op afterwards.
    """
    global _devices_ready
    if _devices_ready:
        return
    with _lock:
        if _devices_ready:
            return
        import tensorflow as tf

        if tensorflow_logs_wanted():
            tf.config.list_logical_devices()
        else:
            with silenced_native_stderr():
                tf.config.list_logical_devices()
                _run_a_masked_recurrent_step()
        _devices_ready = True


def _run_a_masked_recurrent_step():
    """Run a tiny masked GRU once: oneDNN's one-time line about boolean tensors on
    processors without AVX-512 ("oneDNN supports DT_BOOL only ..."), which the masks of
    recurrent text and video encoders would print at their first step, is written now,
    into the silenced stderr."""
    from keras import layers, ops

    features = ops.zeros((1, 2, 1))
    layers.GRU(1)(features, mask=ops.cast(ops.ones((1, 2)), "bool"))
