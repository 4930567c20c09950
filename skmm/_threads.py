"""TensorFlow's thread pools sized like the process's other native thread pools."""

from __future__ import annotations

import os


def size_tensorflow_threads():
    """Give TensorFlow ``OMP_NUM_THREADS`` threads per pool when that variable is set.

    joblib starts its process workers (``GridSearchCV(n_jobs=k)``,
    ``cross_val_score(n_jobs=k)``, ...) with ``OMP_NUM_THREADS`` set to
    ``cpu_count // k`` so that k workers share the cores instead of each
    using all of them; Dask's nanny sets it to 1 in its workers, and Ray to
    the CPUs a task or actor reserved. TensorFlow ignores that variable and
    starts ``cpu_count`` threads per pool in every worker; k workers then
    oversubscribe the machine. skmm calls this once, when it first imports
    TensorFlow, to apply the same limit to TensorFlow's intra-op and
    inter-op pools.

    Nothing changes when the variable is unset or not a positive integer,
    when TensorFlow's threading was configured already (by the user), or when
    TensorFlow's runtime has started (its pools can no longer be resized).

    Returns
    -------
    n_threads : int or None
        The number of threads applied, or None when nothing changed.
    """
    try:
        n_threads = int(os.environ.get("OMP_NUM_THREADS", ""))
    except ValueError:
        return None
    if n_threads < 1:
        return None
    import tensorflow as tf

    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() or threading.get_inter_op_parallelism_threads():
        return None
    try:
        threading.set_intra_op_parallelism_threads(n_threads)
        threading.set_inter_op_parallelism_threads(n_threads)
    except RuntimeError:  # the runtime has started
        return None
    return n_threads
