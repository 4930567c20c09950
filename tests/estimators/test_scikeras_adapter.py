"""scikeras is reached through one module, skmm.estimators._scikeras_adapter."""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import scikeras.wrappers as wrappers
from sklearn.base import clone

import skmm
from skmm import MultimodalClassifier, MultimodalRegressor
from skmm.estimators import _scikeras_adapter as adapter
from tests.test_persistence import SAVED_BEFORE, saved_pipeline_module

PACKAGE = Path(skmm.__file__).resolve().parent
ADAPTER = Path(adapter.__file__).resolve()
SCIKERAS_CLASSES = (wrappers.BaseWrapper, wrappers.KerasClassifier, wrappers.KerasRegressor)


def _scikeras_private_names():
    """Every single-underscore name scikeras' wrapper classes define or set on self."""
    names = {
        name
        for cls in SCIKERAS_CLASSES
        for name in vars(cls)
        if name.startswith("_") and not name.startswith("__")
    }
    source = Path(wrappers.__file__).read_text()
    names |= set(re.findall(r"self\.(_[a-z][a-z_]*)\b", source))
    # scikit-learn names scikeras happens to define too, used by skmm for scikit-learn
    return names - {"_estimator_type", "_more_tags", "_tags"}


def test_scikeras_private_names_appear_in_the_adapter_alone():
    names = _scikeras_private_names()
    assert {"_fit_keras_model", "_predict_raw", "_initialize_callbacks", "_fit_callbacks"} <= names
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if path.resolve() == ADAPTER:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in pattern.finditer(line):
                found.setdefault(match.group(1), []).append(f"{path.relative_to(PACKAGE)}:{number}")
    assert not found, f"scikeras private names outside the adapter: {found}"
    imports = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^\s*(from|import) scikeras", path.read_text(), re.MULTILINE)
    ]
    assert imports == ["estimators/_scikeras_adapter.py"]


def test_every_hook_the_adapter_implements_is_one_scikeras_has():
    hooks = [
        name
        for name, value in vars(adapter.ScikerasAdapter).items()
        if name.startswith("_") and not name.startswith("__") and name in _scikeras_private_names()
    ]
    assert len(hooks) >= 10
    for name in hooks:
        assert any(name in vars(cls) or name in inspect.getsource(cls) for cls in SCIKERAS_CLASSES)


@pytest.mark.parametrize("cls", [MultimodalClassifier, MultimodalRegressor])
def test_skmm_methods_sit_between_skmm_and_scikeras(cls):
    mro = cls.__mro__
    assert mro.index(adapter.ScikerasAdapter) < mro.index(wrappers.BaseWrapper)
    # skmm implements its own names; the scikeras hooks are the adapter's alone
    for hook in ("_fit_keras_model", "_predict_raw", "_validate_data", "_initialize"):
        owner = next(klass for klass in mro if hook in vars(klass))
        assert owner is adapter.ScikerasAdapter, (hook, owner)


def test_a_fit_goes_through_the_adapter_hooks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    calls = []

    class Recording(MultimodalClassifier):
        def _train_network(self, *args, **kwargs):
            calls.append("train")
            return super()._train_network(*args, **kwargs)

        def _predict_network(self, X, **kwargs):
            calls.append("predict")
            return super()._predict_network(X, **kwargs)

    clf = Recording(epochs=2, hidden_units=(4,), tabular_units=(4,), random_state=0).fit(X, y)
    clf.predict(X)
    assert calls == ["train", "predict"]
    assert clone(clf).get_params()["epochs"] == 2


def test_a_seeded_fit_predicts_as_before_the_adapter():
    """The pipeline of tests/data/make_saved_pipeline.py, fitted with the same seed by
    the release before scikeras was moved behind the adapter, gave these predictions."""
    module = saved_pipeline_module()
    X, y = module.frame()
    expected = np.load(SAVED_BEFORE.with_suffix(".proba.npy"))
    proba = module.pipeline().fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-4, atol=1e-5)
