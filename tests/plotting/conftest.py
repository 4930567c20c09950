"""Shared data and fitted models of the plotting tests (fitted once per session)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

#: A small seeded network: fast, and still learns the signal of the data below.
TINY_NET = dict(
    embedding_dim=4,
    text_units=4,
    tabular_units=(8,),
    hidden_units=(8,),
    image_width_multiplier=0.125,
    dropout=0.0,
    learning_rate=0.02,
    batch_size=16,
    random_state=0,
)

WORDS = np.array(["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta"])


def signal_frame(n_samples, seed):
    """Columns ``a`` and ``b`` carry the label; the text column ``note`` is noise.

    Also returns a two-task target: ``sign`` (strings, from ``a``) and ``band``
    (three integer classes, from ``b``).
    """
    rng = np.random.RandomState(seed)
    a, b = rng.normal(size=(2, n_samples))
    notes = [" ".join(rng.choice(WORDS, size=5)) for _ in range(n_samples)]
    X = pd.DataFrame({"a": a, "b": b, "note": notes})
    y = pd.Series((a + 0.5 * b > 0).astype(int), name="label")
    tasks = pd.DataFrame(
        {"sign": np.where(a > 0, "pos", "neg"), "band": np.digitize(b, [-0.5, 0.5])}
    )
    return X, y, tasks


def signal_input():
    from sklearn.preprocessing import StandardScaler

    from skmm import MultimodalInput, TextTokenizer

    return MultimodalInput(
        [
            ("numbers", StandardScaler(), ["a", "b"]),
            ("text", TextTokenizer(max_tokens=20, sequence_length=5), "note"),
        ]
    )


def numbers_input():
    from sklearn.preprocessing import StandardScaler

    from skmm import MultimodalInput

    return MultimodalInput([("numbers", StandardScaler(), ["a", "b"])])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def train_data():
    return signal_frame(160, seed=0)


@pytest.fixture(scope="session")
def test_data():
    return signal_frame(120, seed=1)


@pytest.fixture(scope="session")
def signal_pipeline(train_data):
    """Numbers + noise text, trained with early stopping and an accuracy metric."""
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifier

    X, y, _ = train_data
    classifier = MultimodalClassifier(
        epochs=6,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        metrics=["accuracy"],
        **TINY_NET,
    )
    return make_pipeline(signal_input(), classifier).fit(X, y)


@pytest.fixture(scope="session")
def multi_task_pipeline(train_data):
    """A two-task classifier: ``sign`` (strings) and ``band`` (three integer classes)."""
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifier

    X, _, tasks = train_data
    return make_pipeline(numbers_input(), MultimodalClassifier(epochs=4, **TINY_NET)).fit(X, tasks)


@pytest.fixture(scope="session")
def l2_path_pipeline(train_data):
    """A MultimodalClassifierCV that scored three λ along its path (2 folds), refitted."""
    from sklearn.pipeline import make_pipeline

    from skmm import MultimodalClassifierCV

    X, y, _ = train_data
    classifier = MultimodalClassifierCV(
        l2s=[1e-5, 1e-3, 1e-1], cv=2, epochs=3, path_epochs=1, **TINY_NET
    )
    return make_pipeline(numbers_input(), classifier).fit(X, y)
