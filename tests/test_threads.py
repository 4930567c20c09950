"""TensorFlow's thread pools follow OMP_NUM_THREADS (as joblib sets it in its workers)."""

import os
import subprocess
import sys

import pytest

from skmm._threads import size_tensorflow_threads

PROBE = """
import tensorflow as tf
{before}
import skmm.estimators
from skmm._threads import size_tensorflow_threads
t = tf.config.threading
print(t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads(),
      size_tensorflow_threads())
"""


def run_probe(before=""):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def test_a_joblib_worker_gives_tensorflow_its_share_of_the_cores():
    # applied on import; a second call finds the pools configured and changes nothing
    assert run_probe() == ["1", "1", "None"]


def test_a_started_runtime_is_left_alone():
    assert run_probe("tf.constant(1.0) + 1") == ["0", "0", "None"]


@pytest.mark.parametrize("value", [None, "", "zero", "0", "-2"])
def test_no_positive_omp_num_threads_changes_nothing(monkeypatch, value):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    if value is not None:
        monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert size_tensorflow_threads() is None
