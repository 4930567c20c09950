"""skmm.save / skmm.load: one file, identical predictions, nothing from the file runs."""

import datetime
import errno
import hashlib
import importlib
import importlib.util
import io
import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skmm
import skmm._archive as archive_module
import skmm._persistence as persistence
from skmm import (
    AudioFeaturizer,
    ImageNormalizer,
    MultimodalClassifier,
    MultimodalRegressor,
    PersistenceError,
    TextTokenizer,
    UnsafeKerasError,
    UntrustedTypesError,
    VersionMismatchWarning,
    load,
    save,
)
from skmm.network import PredictFunction
from tests.conftest import TINY, make_input

MANIFEST = "manifest.json"
NETWORK = "networks/0.keras"


# -- helpers ----------------------------------------------------------------------------


def read_members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_archive(path, members, *, manifest=None, fix_hashes=True):
    """Write ``members`` as a zip; the manifest's hashes are recomputed unless told not to."""
    members = dict(members)
    saved_manifest = json.loads(members.pop(MANIFEST))
    manifest = saved_manifest if manifest is None else manifest
    if fix_hashes:
        manifest["members"] = {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members.items()
        }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


class MakesMarker:
    """Unpickling this creates the file ``marker``: a stand-in for a hostile payload."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


class Doubler(TransformerMixin, BaseEstimator):
    """A user transformer: not trusted by default. Rebuilding it creates ``marker``."""

    def __init__(self, marker=None):
        self.marker = marker

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return 2 * np.asarray(X, dtype=float)

    def __setstate__(self, state):
        open(state["marker"], "w").close()
        super().__setstate__(state)


def tabular(n=48, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 3)).astype("float32")


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(fitted_pipeline, tmp_path_factory):
    """The shared fitted text + image + tabular pipeline, saved once."""
    path = tmp_path_factory.mktemp("saved") / "pipeline.skmm"
    save(fitted_pipeline, path)
    return path


@pytest.fixture(scope="module")
def multi_task():
    """A bare multi-task classifier (its predict_proba is a list) and its data."""
    X = tabular()
    y = pd.DataFrame({"sign": np.where(X[:, 0] > 0, "pos", "neg"), "bucket": (X[:, 1] > 0) * 2})
    y.loc[:5, "bucket"] = 1  # three classes
    return MultimodalClassifier(**{**TINY, "epochs": 2}).fit(X, y), X


# -- round trips ------------------------------------------------------------------------


def test_pipeline_round_trip_is_bit_identical(saved, fitted_pipeline, small_data):
    X, _ = small_data
    again = load(saved)
    assert again is not fitted_pipeline
    np.testing.assert_array_equal(again.predict(X), fitted_pipeline.predict(X))
    np.testing.assert_array_equal(again.predict_proba(X), fitted_pipeline.predict_proba(X))
    before, after = fitted_pipeline[0].named_transformers_, again[0].named_transformers_
    for name, transformer in before.items():
        assert sorted(vars(after[name])) == sorted(vars(transformer))
    assert after["text"].vocabulary_ == before["text"].vocabulary_
    assert after["image"].get_block_info() == before["image"].get_block_info()
    np.testing.assert_array_equal(after["tabular"].scale_, before["tabular"].scale_)


def test_layout_manifest_and_hashes(saved):
    members = read_members(saved)
    assert set(members) == {MANIFEST, "estimator.skops", NETWORK}
    manifest = json.loads(members[MANIFEST])
    assert manifest["format"] == "skmm.estimator"
    assert manifest["format_version"] == persistence.FORMAT_VERSION
    assert manifest["estimator"] == "sklearn.pipeline.Pipeline"
    datetime.datetime.fromisoformat(manifest["created"])
    versions = manifest["versions"]
    assert versions["skmm"] == skmm.__version__
    assert versions["scikit-learn"] == sklearn.__version__
    assert versions["keras"] == keras.__version__
    assert {"tensorflow", "skops", "scikeras", "numpy", "python"} <= set(versions)
    for name, entry in manifest["members"].items():
        assert entry == {
            "size": len(members[name]),
            "sha256": hashlib.sha256(members[name]).hexdigest(),
        }
    # the network is its own member; the skops part only names it
    with zipfile.ZipFile(saved) as archive, archive.open("estimator.skops") as part:
        schema = zipfile.ZipFile(part).read("schema.json").decode()
    assert "_keras_model_member" in schema and NETWORK in schema
    assert "_keras_model_bytes" not in schema


def test_pickling_is_unchanged_around_save(saved, fitted_pipeline, small_data):
    X, _ = small_data
    assert "_keras_model_bytes" in fitted_pipeline[-1].__getstate__()  # save left no context
    again = pickle.loads(pickle.dumps(load(saved)))
    np.testing.assert_array_equal(again.predict_proba(X), fitted_pipeline.predict_proba(X))


def test_multi_task_classifier_round_trip(multi_task, tmp_path):
    clf, X = multi_task
    save(clf, tmp_path / "clf.skmm")
    again = load(tmp_path / "clf.skmm")
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    proba, expected = again.predict_proba(X), clf.predict_proba(X)
    assert isinstance(proba, list) and [p.shape[1] for p in proba] == [2, 3]
    for got, want in zip(proba, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_column_transformer_regressor_round_trip(tmp_path):
    X = pd.DataFrame(tabular(), columns=["a", "b", "c"])
    X["colour"] = np.array(["red", "green", "blue"])[np.arange(len(X)) % 3]
    y = X["a"] - X["b"]
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["a", "b", "c"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    pipeline = make_pipeline(columns, MultimodalRegressor(**{**TINY, "epochs": 2})).fit(X, y)
    save(pipeline, tmp_path / "reg.skmm")
    np.testing.assert_array_equal(load(tmp_path / "reg.skmm").predict(X), pipeline.predict(X))


def _fitted_input(small_data):
    X, _ = small_data
    return make_input().fit(X), X


def _audio(_):
    t = np.arange(8000) / 8000
    clips = [np.sin(2 * np.pi * f * t).astype("float32") for f in (440, 1000)]
    return AudioFeaturizer(sample_rate=8000, n_mels=8).fit(clips), clips


def _image(_):
    images = np.random.RandomState(0).randint(0, 256, size=(3, 8, 8, 3)).astype("uint8")
    return ImageNormalizer(size=(4, 4), standardize=True).fit(list(images)), list(images)


def _text(_):
    docs = ["a red fox", "a blue bird", "the red bird"]
    return TextTokenizer(sequence_length=4).fit(docs), docs


@pytest.mark.parametrize("make", [_fitted_input, _audio, _image, _text])
def test_bare_transformers_round_trip(make, small_data, tmp_path):
    transformer, X = make(small_data)
    save(transformer, tmp_path / "t.skmm")
    assert set(read_members(tmp_path / "t.skmm")) == {MANIFEST, "estimator.skops"}
    expected, got = transformer.transform(X), load(tmp_path / "t.skmm").transform(X)
    if isinstance(expected, np.ndarray):
        expected, got = {"": expected}, {"": got}
    assert set(got) == set(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name])


def test_unfitted_estimator_round_trip(tmp_path):
    clf = MultimodalClassifier(**TINY, l2__text=1e-3, optimizer__momentum=0.5)
    save(clf, tmp_path / "unfitted.skmm")
    assert set(read_members(tmp_path / "unfitted.skmm")) == {MANIFEST, "estimator.skops"}
    again = load(tmp_path / "unfitted.skmm")
    assert type(again) is MultimodalClassifier and not hasattr(again, "model_")
    assert again.get_params() == clf.get_params()


def test_loading_a_file_without_network_does_not_import_tensorflow(tmp_path):
    path = tmp_path / "tokenizer.skmm"
    save(TextTokenizer().fit(["a b", "b c"]), path)
    code = (
        f"import sys, skmm; tok = skmm.load({str(path)!r}); "
        "print(type(tok).__name__, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["TextTokenizer", "False", "False"]


# -- damaged, changed and hostile files -------------------------------------------------


def _not_a_zip(members, path):
    path.write_bytes(b"this is not an skmm file " * 10)


def _truncated(members, path):
    write_archive(path, members, fix_hashes=False)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _changed_network(members, path):
    members[NETWORK] = members[NETWORK][:-1] + bytes([members[NETWORK][-1] ^ 1])
    write_archive(path, members, fix_hashes=False)


def _missing_network(members, path):
    del members[NETWORK]
    write_archive(path, members, fix_hashes=False)


def _extra_member(members, path):
    members["networks/1.keras"] = members[NETWORK]
    write_archive(path, members, fix_hashes=False)


def _unused_network(members, path):
    members["networks/1.keras"] = members[NETWORK]
    write_archive(path, members)  # listed in the manifest, hashes right


def _no_manifest(members, path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("estimator.skops", members["estimator.skops"])


def _other_format(members, path):
    manifest = json.loads(members[MANIFEST])
    write_archive(path, members, manifest={**manifest, "format": "something.else"})


@pytest.mark.parametrize(
    "damage, message",
    [
        (_not_a_zip, "not a zip archive"),
        (_truncated, "truncated"),
        (_changed_network, f"sha256 of member '{NETWORK}' does not match"),
        (_missing_network, f"['{NETWORK}'] listed in manifest.json are missing"),
        (_extra_member, "['networks/1.keras'] are not listed"),
        (_unused_network, "['networks/1.keras'] are used by no estimator"),
        (_no_manifest, "it has no manifest.json"),
        (_other_format, "gives format 'something.else'"),
    ],
)
def test_damaged_or_changed_files_are_refused(saved, tmp_path, damage, message):
    path = tmp_path / "damaged.skmm"
    damage(read_members(saved), path)
    with pytest.raises(PersistenceError) as info:
        load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value) and message in str(info.value)


@pytest.mark.parametrize("replaced", ["whole file", "estimator.skops", NETWORK])
def test_a_hostile_pickle_never_runs(saved, tmp_path, replaced):
    marker = tmp_path / "marker"
    payload = pickle.dumps(MakesMarker(marker))
    pickle.loads(pickle.dumps(MakesMarker(tmp_path / "armed")))  # the payload does work
    assert (tmp_path / "armed").exists()
    path = tmp_path / "hostile.skmm"
    if replaced == "whole file":
        path.write_bytes(payload)
    else:  # a member replaced, its sha256 in the manifest updated to match
        write_archive(path, {**read_members(saved), replaced: payload})
    with pytest.raises(PersistenceError, match="hostile.skmm"):
        load(path)
    assert not marker.exists()


def test_untrusted_types_are_refused_unless_named(tmp_path):
    marker = tmp_path / "marker"
    X = tabular()
    pipeline = make_pipeline(Doubler(marker=str(marker)), StandardScaler()).fit(X)
    path = tmp_path / "custom.skmm"
    with pytest.warns(UserWarning, match=r"trusted=.*tests\.test_persistence\.Doubler"):
        save(pipeline, path)
    with pytest.raises(UntrustedTypesError, match=r"tests\.test_persistence\.Doubler") as info:
        load(path)
    assert info.value.types == ["tests.test_persistence.Doubler"]
    assert not marker.exists()  # nothing of the file was built
    again = load(path, trusted=["tests.test_persistence.Doubler"])
    assert marker.exists()  # the opt-in did build it
    np.testing.assert_array_equal(again.transform(X), pipeline.transform(X))
    marker.unlink()
    load(path, trusted=[Doubler])  # a class works as well as its name
    assert marker.exists()


@pytest.mark.parametrize("trusted", [True, "tests.test_persistence.Doubler", Doubler])
def test_trusted_must_be_a_list(saved, trusted):
    with pytest.raises(TypeError, match="trusted must be a list"):
        load(saved, trusted=trusted)


def test_a_network_inline_in_the_estimator_part_is_refused(saved, fitted_pipeline, tmp_path):
    import skops.io as sio

    members = read_members(saved)
    del members[NETWORK]
    members["estimator.skops"] = sio.dumps(fitted_pipeline)  # the pickling state: inline bytes
    path = write_archive(tmp_path / "inline.skmm", members)
    with pytest.raises(PersistenceError, match="holds a network inline"):
        load(path)


def test_keras_objects_as_parameters_are_refused_on_save(tmp_path):
    clf = MultimodalClassifier(optimizer=keras.optimizers.SGD())
    with pytest.raises(TypeError, match=r"MultimodalClassifier\.optimizer: it holds a Keras"):
        save(clf, tmp_path / "opt.skmm")
    assert list(tmp_path.iterdir()) == []


# -- Keras safe mode --------------------------------------------------------------------


def test_a_lambda_layer_needs_the_explicit_opt_in(tmp_path):
    X = tabular()
    reg = MultimodalRegressor(**{**TINY, "epochs": 1}).fit(X, X[:, 0])
    before = reg.predict(X)
    fitted = reg.model_
    doubled = keras.layers.Lambda(lambda t: t * 2.0)(fitted.outputs[0])
    reg.model_ = keras.Model(fitted.inputs, doubled)
    reg.model_.compile(loss="mse", optimizer="adam")
    reg.model_.optimizer.build(reg.model_.trainable_variables)
    reg._predict_function = PredictFunction(reg.model_)
    np.testing.assert_allclose(reg.predict(X), 2 * before, rtol=1e-6)
    path = tmp_path / "lambda.skmm"
    save(reg, path)
    with pytest.raises(UnsafeKerasError, match="Lambda") as info:
        load(path)
    assert "allow_unsafe_keras=True" in str(info.value) and str(path) in str(info.value)
    again = load(path, allow_unsafe_keras=True)
    assert any(isinstance(layer, keras.layers.Lambda) for layer in again.model_.layers)
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))


# -- versions ---------------------------------------------------------------------------


def _with_manifest(saved, path, **changes):
    members = read_members(saved)
    manifest = json.loads(members[MANIFEST])
    for key, value in changes.items():
        manifest[key] = {**manifest[key], **value} if isinstance(value, dict) else value
    return write_archive(path, members, manifest=manifest)


def test_a_newer_format_version_is_refused(saved, tmp_path):
    newer = persistence.FORMAT_VERSION + 1
    path = _with_manifest(saved, tmp_path / "newer.skmm", format_version=newer)
    with pytest.raises(PersistenceError, match=f"format version {newer}.*Upgrade skmm"):
        load(path)


def test_other_library_versions_load_with_a_warning(saved, tmp_path, fitted_pipeline, small_data):
    versions = {"scikit-learn": "1.0.0", "keras": "3.0.0"}
    path = _with_manifest(saved, tmp_path / "old.skmm", versions=versions)
    with pytest.warns(VersionMismatchWarning) as record:
        again = load(path)
    (warning,) = [w.message for w in record if isinstance(w.message, VersionMismatchWarning)]
    assert f"scikit-learn 1.0.0 (installed: {sklearn.__version__})" in str(warning)
    assert f"keras 3.0.0 (installed: {keras.__version__})" in str(warning)
    assert warning.versions == {
        "scikit-learn": ("1.0.0", sklearn.__version__),
        "keras": ("3.0.0", keras.__version__),
    }
    X, _ = small_data
    np.testing.assert_array_equal(again.predict_proba(X), fitted_pipeline.predict_proba(X))


def test_same_versions_load_without_warning(saved):
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionMismatchWarning)
        load(saved)


# -- atomic writes ----------------------------------------------------------------------


@pytest.fixture
def existing(tmp_path):
    """A directory holding one good file, and its bytes."""
    path = tmp_path / "model.skmm"
    save(TextTokenizer().fit(["an old file"]), path)
    return path, path.read_bytes()


def _full_disk_midway(file, manifest, members):
    file.write(b"PK\x03\x04 partial archive")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _crash_midway(file, manifest, members):
    file.write(b"PK\x03\x04 partial archive")
    raise RuntimeError("interrupted")


@pytest.mark.parametrize(
    "writer, error, match",
    [
        (_full_disk_midway, OSError, "No space left on device"),
        (_crash_midway, RuntimeError, "interrupted"),
    ],
)
def test_a_failed_save_leaves_the_old_file_and_no_temporary(
    existing, monkeypatch, writer, error, match
):
    path, old = existing
    monkeypatch.setattr(archive_module, "_write_archive", writer)
    with pytest.raises(error, match=match) as info:
        save(TextTokenizer().fit(["a new file"]), path)
    if error is OSError:
        assert info.value.errno == errno.ENOSPC and str(path) in str(info.value)
    assert path.read_bytes() == old
    assert list(path.parent.iterdir()) == [path]


def test_a_full_disk_at_sync_is_clean(existing, monkeypatch):
    path, old = existing

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(archive_module.os, "fsync", full)
    with pytest.raises(OSError, match="could not write") as info:
        save(TextTokenizer().fit(["a new file"]), path)
    assert info.value.errno == errno.ENOSPC and str(path) in str(info.value)
    assert path.read_bytes() == old
    assert list(path.parent.iterdir()) == [path]


def test_a_read_only_directory_is_clean(existing):
    path, old = existing
    path.parent.chmod(0o555)
    try:
        probe = path.parent / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:  # root (with CAP_DAC_OVERRIDE) writes anyway
            probe.unlink()
            pytest.skip(reason="permissions are not enforced for this user (root writes anyway)")
        with pytest.raises(PermissionError, match="could not write") as info:
            save(TextTokenizer().fit(["a new file"]), path)
    finally:
        path.parent.chmod(0o755)
    assert str(path) in str(info.value)
    assert path.read_bytes() == old
    assert list(path.parent.iterdir()) == [path]


def test_a_missing_directory_is_a_clear_error(tmp_path):
    path = tmp_path / "no such directory" / "model.skmm"
    with pytest.raises(FileNotFoundError, match="could not write") as info:
        save(TextTokenizer().fit(["a"]), path)
    assert str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_save_replaces_the_old_file(existing):
    path, old = existing
    save(TextTokenizer().fit(["a new file with new words"]), path)
    assert path.read_bytes() != old
    assert "words" in load(path).vocabulary_
    assert list(path.parent.iterdir()) == [path]


# -- the trusted types ------------------------------------------------------------------


def test_trusted_types_name_real_classes():
    for name in persistence.TRUSTED_TYPES:
        module, _, attribute = name.rpartition(".")
        cls = getattr(importlib.import_module(module), attribute)
        where = persistence.PUBLIC_CLASSES.get(name, name)
        assert f"{cls.__module__}.{cls.__qualname__}" == where


def test_every_public_estimator_is_trusted():
    for name in skmm.__all__:
        obj = getattr(skmm, name)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator):
            assert f"skmm.{name}" in persistence.TRUSTED_TYPES, name
            assert persistence.PUBLIC_CLASSES[f"skmm.{name}"] == (
                f"{obj.__module__}.{obj.__qualname__}"
            )


SAVED_BEFORE = Path(__file__).resolve().parent / "data" / "saved_pipeline_0_1_0_dev0.skmm"


def saved_pipeline_module():
    """``tests/data/make_saved_pipeline.py``, which wrote the file."""
    spec = importlib.util.spec_from_file_location(
        "make_saved_pipeline", SAVED_BEFORE.parent / "make_saved_pipeline.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _saved_pipeline_frame():
    return saved_pipeline_module().frame()


def _class_names(path):
    """Every (module, class) the estimator part of a saved file names."""
    with zipfile.ZipFile(path) as archive:
        estimator = archive.read("estimator.skops")
    with zipfile.ZipFile(io.BytesIO(estimator)) as archive:
        schema = json.loads(archive.read("schema.json"))
    names = set()

    def walk(node):
        if isinstance(node, dict):
            if "__module__" in node:
                names.add(f"{node['__module__']}.{node.get('__class__')}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return names


def test_a_file_saved_before_the_public_names_loads_and_predicts_the_same():
    """tests/data/make_saved_pipeline.py wrote it with skmm 0.1.0.dev0, whose files named
    the classes by their private modules (skmm.compose._multimodal_input...)."""
    assert "skmm.compose._multimodal_input.MultimodalInput" in _class_names(SAVED_BEFORE)
    model = skmm.load(SAVED_BEFORE)
    X, _ = _saved_pipeline_frame()
    expected = np.load(SAVED_BEFORE.with_suffix(".proba.npy"))
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    assert type(model[0]) is skmm.MultimodalInput
    assert type(model[0].block_specs_["note"]) is skmm.compose.BlockSpec


def test_files_name_the_public_classes_by_their_public_modules(tmp_path):
    skmm.save(skmm.load(SAVED_BEFORE), tmp_path / "again.skmm")
    names = _class_names(tmp_path / "again.skmm")
    assert {
        "skmm.MultimodalInput",
        "skmm.compose.BlockSpec",
        "skmm.TextTokenizer",
        "skmm.MultimodalClassifier",
    } <= names
    assert not names & set(persistence.FORMER_NAMES)
    assert not names & set(persistence.PUBLIC_CLASSES.values())
    assert set(persistence.FORMER_NAMES.values()) <= set(persistence.TRUSTED_TYPES)
    X, _ = _saved_pipeline_frame()
    assert skmm.load(tmp_path / "again.skmm").predict_proba(X).shape == (40, 2)
