"""skmm fit and evaluate without role options: every column's role inferred from the table."""

import io

import numpy as np
import pandas as pd
import pytest

import skmm
from tests.cli.test_commands import TINY, absolute_paths, write_table
from tests.cli.test_errors import assert_one_error_line, run


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    frame = write_table(directory).drop(columns=["id", "shape", "score"])
    rng = np.random.default_rng(1)
    frame["opened"] = [f"2024-{m:02d}-{d:02d}" for m, d in rng.integers(1, 13, (len(frame), 2))]
    frame.to_csv(directory / "train.csv", index=False)
    return directory, frame


def test_show_roles_prints_the_inferred_roles_and_trains_nothing(table, capsys, tmp_path):
    directory, _ = table
    out_file = tmp_path / "m.skmm"
    args = ["fit", directory / "train.csv", "--target", "label", "--out", out_file]
    code, out, err = run(capsys, *args, "--show-roles")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "columns read as (inferred)"
    roles = {line.split()[0].strip("'"): line.split()[1] for line in lines[1:]}
    assert roles == {
        "label": "target",
        "caption": "text",
        "image": "image",
        "x0": "numeric",
        "x1": "numeric",
        "opened": "datetime",
        "color": "categorical",
    }
    assert not out_file.exists()
    # roles given: shown as given
    code, out, _ = run(capsys, *args, "--text", "caption", "--show-roles")
    assert code == 0 and out.splitlines() == [
        "columns read as",
        "  'label'    target       (--target)",
        "  'caption'  text         (--text)",
    ]


def test_fit_without_roles_trains_on_every_column_and_predict_reads_them(
    table, capsys, tmp_path, monkeypatch
):
    directory, frame = table
    model_file = tmp_path / "m.skmm"
    monkeypatch.chdir(tmp_path)  # relative image paths resolve against the data file
    code, _, err = run(
        capsys, "fit", directory / "train.csv", "--target", "label", "--out", model_file, *TINY
    )
    assert code == 0, err
    model = skmm.load(model_file)
    blocks = [name for name, _, _ in model[0].transformers]
    assert blocks == ["text", "image", "numeric", "datetime", "categorical"]
    code, out, err = run(capsys, "predict", model_file, directory / "train.csv", "--quiet")
    assert code == 0, err
    predictions = pd.read_csv(io.StringIO(out))["prediction"].to_numpy()
    X = absolute_paths(frame.drop(columns=["label"]), directory)
    np.testing.assert_array_equal(predictions, model.predict(X))


def test_a_column_no_rule_places_is_a_data_error_naming_it(tmp_path, capsys):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {"text": ["a b", "c d", "e f", "g h"], "empty": [None] * 4, "y": [0, 1] * 2}
    ).to_csv(path, index=False)
    code, out, err = run(capsys, "fit", path, "--target", "y", "--out", tmp_path / "m.skmm")
    assert code == 3 and out == ""
    assert_one_error_line(err, "'empty' holds no value", "--text")


def test_roles_are_not_inferred_from_standard_input(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a,y\n1,0\n2,1\n"))
    code, _, err = run(capsys, "fit", "-", "--target", "y", "--out", tmp_path / "m.skmm")
    assert code == 2
    assert_one_error_line(err, "standard input", "--text")


def test_text_given_as_numeric_gets_the_right_advice(tmp_path, capsys):
    path = tmp_path / "t.csv"
    pd.DataFrame({"title": ["Unique", "Lovely", "Meh", "Great"], "age": [30, None, 41, 52],
                  "y": [0, 1, 0, 1]}).to_csv(path, index=False)  # fmt: skip
    base = ["fit", path, "--target", "y", "--out", tmp_path / "m.skmm"]
    code, _, err = run(capsys, *base, "--numeric", "title,age")
    assert code == 3
    assert_one_error_line(err, "'title' holds no number in any row", "--text", "--categorical")
    code, _, err = run(capsys, *base, "--numeric", "age")
    assert code == 3
    assert_one_error_line(err, "'age', row 1 is empty", "fill or drop")
