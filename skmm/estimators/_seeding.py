"""Seeding of one fit, owned by skmm.

scikeras 0.13 seeds in two broken ways: a seeded fit leaves TensorFlow's op
determinism switched on for the rest of the process (a later unseeded fit then
raises "Random ops require a seed"), and any ``RandomState`` collapses to seed
0. skmm therefore turns ``random_state`` into an integer itself and seeds
Python, NumPy, TensorFlow and Keras for the duration of one fit only, putting
every global random state back afterwards.
"""

from __future__ import annotations

import numbers
import random
from contextlib import contextmanager

import numpy as np

from .._compat import get_backend_seed_state, set_backend_seed_state

MAX_SEED = 2**31 - 1


def seed_from_random_state(random_state):
    """Integer seed for one fit, or None for an unseeded fit.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        An int is used as it is; a RandomState or Generator gives a new seed on
        each call (so successive fits differ, as in scikit-learn); None means
        no seeding.

    Returns
    -------
    seed : int or None
    """
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) <= MAX_SEED:
            raise ValueError(f"random_state must be in [0, {MAX_SEED}]; got {random_state}.")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, MAX_SEED))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, MAX_SEED))
    raise ValueError(
        "random_state must be None, an int, a numpy RandomState or a numpy Generator; "
        f"got {random_state!r}."
    )


@contextmanager
def seeded(seed):
    """Seed every random source for the body, then restore the previous state.

    With ``seed=None`` nothing is touched.
    """
    if seed is None:
        yield
        return
    import keras

    python_state = random.getstate()
    numpy_state = np.random.get_state()
    backend_state = get_backend_seed_state()
    try:
        keras.utils.set_random_seed(seed)
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        set_backend_seed_state(backend_state)
