"""skmm fit / predict / evaluate on real files: round trips against skmm.load."""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skmm
from skmm.cli import main
from skmm.datasets import make_multimodal_classification

#: A real network, just small, so that the whole folder runs in well under a minute.
TINY = [
    "--epochs", "1",
    "--random-state", "0",
    "--image-size", "16",
    "--sequence-length", "12",
    "--max-tokens", "200",
    "--param", "image_width_multiplier=0.125",
    "--param", "embedding_dim=8",
    "--param", "text_units=8",
    "--param", "tabular_units=(8,)",
    "--param", "hidden_units=(8,)",
]  # fmt: skip

ALL_COLUMNS = [
    "--text", "caption",
    "--image", "image",
    "--numeric", "x0,x1",
    "--categorical", "color",
]  # fmt: skip


def write_table(directory, n_samples=72, seed=0):
    """A table with PNG images under ``directory/images`` and their RELATIVE paths.

    Columns: id, caption, image (``images/img_00000.png``), x0, x1, label (0/1),
    color (categorical), shape (string label), score (continuous).
    """
    directory = Path(directory)
    data = make_multimodal_classification(
        n_samples=n_samples,
        image_size=16,
        image_dir=directory / "images",
        return_X_y=False,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    frame = data.frame.copy()
    frame["image"] = [Path(p).relative_to(directory).as_posix() for p in frame["image"]]
    frame.insert(0, "id", [f"r{i:03d}" for i in range(n_samples)])
    frame["color"] = rng.choice(["red", "green", "blue"], size=n_samples)
    frame["shape"] = data.shape_names[data.shape]
    frame["score"] = 2.0 * frame["x0"] - frame["x1"] + rng.normal(scale=0.1, size=n_samples)
    return frame


def absolute_paths(frame, directory):
    """The table as Python users would hand it to the model: image paths made absolute."""
    frame = frame.copy()
    frame["image"] = [str(Path(directory) / p) for p in frame["image"]]
    return frame


def run(capsys, *args):
    """``main(args)`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    frame = write_table(directory)
    frame.to_csv(directory / "train.csv", index=False)
    return directory, frame


@pytest.fixture(scope="module")
def fitted(dataset, tmp_path_factory):
    """``skmm fit`` on the CSV, run from another directory than the data's."""
    directory, _ = dataset
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    model = tmp_path_factory.mktemp("models") / "model.skmm"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(elsewhere)
        code = main(
            ["fit", str(directory / "train.csv"), "--target", "label", *ALL_COLUMNS,
             "--out", str(model), "--quiet", *TINY]
        )  # fmt: skip
    assert code == 0
    return model


def test_csv_round_trip_matches_skmm_load(dataset, fitted, capsys, tmp_path, monkeypatch):
    directory, frame = dataset
    assert not os.path.isabs(frame["image"].iloc[0])  # the CSV holds relative paths
    monkeypatch.chdir(tmp_path)  # not the data's directory: paths resolve against the file
    code, out, err = run(
        capsys, "predict", fitted, directory / "train.csv", "--proba", "--id", "id", "--quiet"
    )
    assert code == 0 and err == ""
    predictions = pd.read_csv(io.StringIO(out))
    assert list(predictions.columns) == ["id", "prediction", "proba_0", "proba_1"]
    assert predictions["id"].tolist() == frame["id"].tolist()

    model = skmm.load(fitted)
    X = absolute_paths(frame, directory)
    np.testing.assert_array_equal(predictions["prediction"].to_numpy(), model.predict(X))
    np.testing.assert_allclose(
        predictions[["proba_0", "proba_1"]].to_numpy(), model.predict_proba(X), atol=1e-6
    )
    assert model.target_names_ == ["label"]


def test_predict_writes_file_and_shows_chunk_progress(dataset, fitted, capsys, tmp_path):
    directory, frame = dataset
    out_file = tmp_path / "predictions.csv"
    code, out, err = run(
        capsys, "predict", fitted, directory / "train.csv", "--out", out_file,
        "--chunk-size", "30", "--progress",
    )  # fmt: skip
    assert code == 0 and out == ""
    assert "predict [" in err and "3/3 chunks" in err
    written = pd.read_csv(out_file)
    expected = skmm.load(fitted).predict(absolute_paths(frame, directory))
    np.testing.assert_array_equal(written["prediction"].to_numpy(), expected)


def test_relative_path_is_taken_from_the_data_directory(dataset, fitted, capsys, tmp_path):
    directory, frame = dataset
    broken = frame.head(5).copy()
    broken.loc[3, "image"] = "images/not_there.png"
    broken.to_csv(directory / "broken.csv", index=False)
    code, out, err = run(capsys, "predict", fitted, directory / "broken.csv")
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and err.startswith("skmm: error: ")
    assert str(directory / "images" / "not_there.png") in err and "row 3" in err


def test_evaluate_saved_model(dataset, fitted, capsys):
    directory, frame = dataset
    code, out, _ = run(
        capsys, "evaluate", directory / "train.csv", "--model", fitted, "--target", "label",
        "--format", "json", "--scoring", "accuracy,neg_log_loss",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)
    assert report["cv"] is None and report["n_rows"] == len(frame)
    model = skmm.load(fitted)
    accuracy = np.mean(model.predict(absolute_paths(frame, directory)) == frame["label"])
    assert report["metrics"]["accuracy"]["value"] == pytest.approx(accuracy)
    assert report["metrics"]["log_loss"]["value"] > 0  # neg_ scorers are reported positive


def test_damaged_model_file_is_exit_code_4(fitted, dataset, capsys, tmp_path):
    directory, _ = dataset
    damaged = tmp_path / "damaged.skmm"
    data = fitted.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    code, out, err = run(capsys, "predict", damaged, directory / "train.csv")
    assert code == 4 and out == ""
    assert err.count("\n") == 1 and err.startswith("skmm: error: ") and "damaged.skmm" in err

    changed = tmp_path / "changed.skmm"
    shutil.copy(fitted, changed)
    with open(changed, "r+b") as file:  # flip bytes inside a member: its sha256 differs
        file.seek(len(data) // 2)
        file.write(bytes(b ^ 0xFF for b in data[len(data) // 2 : len(data) // 2 + 64]))
    code, _, err = run(capsys, "predict", changed, directory / "train.csv")
    assert code == 4 and err.count("\n") == 1


def test_parquet_round_trip(dataset, capsys, tmp_path):
    directory, frame = dataset
    frame.to_parquet(directory / "train.parquet", index=False)
    model = tmp_path / "parquet.skmm"
    code, _, err = run(
        capsys, "fit", directory / "train.parquet", "--target", "label", "--text", "caption",
        "--image", "image", "--numeric", "x0", "--out", model, *TINY,
    )  # fmt: skip
    assert code == 0 and "task: classification" in err
    out_file = tmp_path / "predictions.parquet"
    code, out, _ = run(capsys, "predict", model, directory / "train.parquet", "--out", out_file)
    assert code == 0 and out == ""
    written = pd.read_parquet(out_file)
    expected = skmm.load(model).predict(absolute_paths(frame, directory))
    np.testing.assert_array_equal(written["prediction"].to_numpy(), expected)


def test_regression(dataset, capsys, tmp_path):
    directory, frame = dataset
    model = tmp_path / "regression.skmm"
    code, _, err = run(
        capsys, "fit", directory / "train.csv", "--target", "score", "--text", "caption",
        "--numeric", "x0,x1", "--out", model, *TINY, "--epochs", "2",
    )  # fmt: skip
    assert code == 0
    assert "task: regression" in err  # inferred from the target and stated
    code, out, _ = run(capsys, "predict", model, directory / "train.csv")
    assert code == 0
    predictions = pd.read_csv(io.StringIO(out))
    assert list(predictions.columns) == ["prediction"]
    expected = skmm.load(model).predict(frame)
    np.testing.assert_allclose(predictions["prediction"].to_numpy(), expected, rtol=1e-12)
    assert np.std(expected) > 0

    code, out, err = run(capsys, "predict", model, directory / "train.csv", "--proba")
    assert code == 2 and out == "" and "--proba needs a classifier" in err


def test_several_targets(dataset, capsys, tmp_path):
    directory, frame = dataset
    model = tmp_path / "multi.skmm"
    code, _, err = run(
        capsys, "fit", directory / "train.csv", "--target", "label", "--target", "shape",
        "--text", "caption", "--image", "image", "--out", model, *TINY,
    )  # fmt: skip
    assert code == 0
    assert "'label' has 2 distinct whole numbers" in err and "'shape'" in err
    code, out, _ = run(capsys, "predict", model, directory / "train.csv", "--proba")
    assert code == 0
    predictions = pd.read_csv(io.StringIO(out))
    shapes = sorted(frame["shape"].unique())
    assert list(predictions.columns) == [
        "label", "shape", "label_proba_0", "label_proba_1",
        *(f"shape_proba_{s}" for s in shapes),
    ]  # fmt: skip
    loaded = skmm.load(model)
    expected = loaded.predict(absolute_paths(frame, directory))
    assert expected.shape == (len(frame), 2)
    np.testing.assert_array_equal(predictions["label"].to_numpy(), expected[:, 0].astype(int))
    np.testing.assert_array_equal(predictions["shape"].to_numpy(), expected[:, 1].astype(str))
    shape_proba = predictions[[f"shape_proba_{s}" for s in shapes]].to_numpy()
    np.testing.assert_allclose(shape_proba.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_evaluate_report(dataset, capsys, output_format):
    directory, _ = dataset
    folds = 3 if output_format == "json" else 2
    code, out, err = run(
        capsys, "evaluate", directory / "train.csv", "--target", "label",
        "--text", "caption", "--numeric", "x0,x1", "--categorical", "color",
        "--cv", folds, "--format", output_format, "--quiet", *TINY,
    )  # fmt: skip
    assert code == 0 and err == ""
    metrics = ["accuracy", "balanced_accuracy", "f1_macro", "roc_auc"]
    if output_format == "json":
        report = json.loads(out)
        assert report["cv"]["n_splits"] == folds
        assert report["cv"]["splitter"] == "StratifiedKFold"
        assert list(report["metrics"]) == metrics
        for entry in report["metrics"].values():
            assert len(entry["folds"]) == folds
            assert all(0.0 <= value <= 1.0 for value in entry["folds"])
            assert entry["mean"] == pytest.approx(np.mean(entry["folds"]))
            assert entry["std"] == pytest.approx(np.std(entry["folds"]))
        assert len(report["fit_seconds"]) == folds
    else:
        lines = out.splitlines()
        assert lines[0].startswith(f"{folds}-fold cross-validation (StratifiedKFold")
        header = next(line for line in lines if line.startswith("metric"))
        assert "fold 1" in header and "fold 2" in header and "fold 3" not in header
        for name in metrics:
            row = next(line for line in lines if line.split()[:1] == [name])
            values = [float(v) for v in row.split()[1:] if v != "±"]
            assert len(values) == folds + 2  # each fold, mean, std
            assert all(0.0 <= v <= 1.0 for v in values)


def test_console_script_predicts_like_in_process(dataset, fitted, capsys):
    """The installed entry point: clean stdout, nothing on stderr with --quiet."""
    directory, _ = dataset
    script = Path(sys.executable).with_name("skmm")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "skmm"]
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [*command, "predict", str(fitted), str(directory / "train.csv"), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # TensorFlow's start-up logs are silenced
    code, out, _ = run(capsys, "predict", fitted, directory / "train.csv")
    assert code == 0 and result.stdout == out


def test_predict_from_stdin_takes_paths_from_the_current_directory(
    dataset, fitted, capsys, monkeypatch
):
    directory, frame = dataset
    monkeypatch.setattr(sys, "stdin", io.StringIO((directory / "train.csv").read_text()))
    monkeypatch.chdir(directory)
    code, out, _ = run(capsys, "predict", fitted, "-")
    assert code == 0
    expected = skmm.load(fitted).predict(absolute_paths(frame, directory))
    np.testing.assert_array_equal(pd.read_csv(io.StringIO(out))["prediction"], expected)
