"""Memory over repeated fits: dropped networks are freed (see ``skmm/_memory.py``).

``benchmarks/memory_over_fits.py`` measures the growth over 200 fits beside a
hand-written Keras loop; this test is its quick guard.
"""

import gc
import itertools
import os
import sys

import numpy as np
import pandas as pd
import pytest

from skmm import MultimodalClassifier, MultimodalInput, TextTokenizer, _memory
from tests.conftest import TINY

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads resident memory from /proc"
)


def rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_a_full_collection_runs_before_every_nth_network_built(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or 0)
    monkeypatch.setattr(_memory, "_BUILDS", itertools.count(1))
    ran = [_memory.collect_dropped_networks() for _ in range(3 * _memory.COLLECT_EVERY)]
    every = _memory.COLLECT_EVERY
    assert ran == [(i + 1) % every == 0 for i in range(3 * every)]
    assert len(calls) == 3


def test_memory_stays_flat_over_twenty_fits():
    # Each network of a text block holds a 16,384-row bigram table (x3 with Adam's
    # slots: about 1.5 MiB at embedding_dim=8), and its traced functions; without the
    # periodic collection, thirty dropped networks grew the process by over 100 MiB
    # (about 4 MiB a fit: 60 MiB over the fifteen fits measured here).
    rng = np.random.default_rng(0)
    words = np.array(["red", "blue", "green", "big", "small", "round"])
    docs = [" ".join(rng.choice(words, 5)) for _ in range(40)]
    X = pd.DataFrame({"text": docs})
    y = np.array([int("red" in doc) for doc in docs])
    params = {**TINY, "epochs": 1, "early_stopping": False, "embedding_dim": 32}
    marks = {}
    for fit in range(1, 21):
        blocks = MultimodalInput([("text", TextTokenizer(sequence_length=8), "text")])
        MultimodalClassifier(**params).fit(blocks.fit_transform(X), y)
        if fit in (5, 20):
            marks[fit] = rss_mib()
    assert marks[20] - marks[5] < 40, marks
