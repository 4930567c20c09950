"""CSV files as they come: the delimiter sniffed, the encoding named when it is not UTF-8,
and arguments given in the wrong order told so."""

import pandas as pd
import pytest

from skmm.cli._tables import read_table
from tests.cli.test_errors import assert_one_error_line, run

FRAME = pd.DataFrame(
    {
        "text": ["crème brûlée", "café au lait", "thé vert", "pâté"] * 5,
        "x": [0.5, 1.5, -0.5, 2.0] * 5,
        "y": [0, 1, 0, 1] * 5,
    }
)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, sep):
    path = tmp_path / "t.csv"
    FRAME.to_csv(path, sep=sep, index=False)
    pd.testing.assert_frame_equal(read_table(str(path)), FRAME)


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "t.csv"
    FRAME.to_csv(path, index=False, encoding="utf-8-sig")
    assert list(read_table(str(path)).columns) == ["text", "x", "y"]


def test_a_latin_1_file_is_refused_with_the_encoding_and_the_option(tmp_path, capsys):
    path = tmp_path / "t.csv"
    FRAME.to_csv(path, sep=";", index=False, encoding="cp1252")
    base = ["fit", path, "--target", "y", "--out", tmp_path / "m.skmm"]
    code, out, err = run(capsys, *base, "--show-roles")
    assert code == 3 and out == ""
    assert_one_error_line(err, "does not decode as UTF-8", "byte 0xe8", "--encoding cp1252")
    code, out, err = run(capsys, *base, "--show-roles", "--encoding", "cp1252")
    assert code == 0, err
    assert read_table(str(path), encoding="cp1252")["text"][0] == "crème brûlée"
    code, _, err = run(capsys, *base, "--encoding", "klingon")
    assert code == 2
    assert_one_error_line(err, "--encoding 'klingon'")


def test_a_delimiter_may_be_given_or_named(tmp_path, capsys):
    path = tmp_path / "t.csv"
    FRAME.to_csv(path, sep="|", index=False)
    assert list(read_table(str(path), delimiter="|").columns) == ["text", "x", "y"]
    base = ["fit", path, "--target", "y", "--out", tmp_path / "m.skmm", "--show-roles"]
    code, out, _ = run(capsys, *base, "--delimiter", "pipe")
    assert code == 0 and "'text'" in out
    code, _, err = run(capsys, *base, "--delimiter", "ab")
    assert code == 2 and "one character" in err


def test_model_and_data_swapped_are_told_the_order(tmp_path, capsys):
    data = tmp_path / "t.csv"
    FRAME.to_csv(data, index=False)
    model = tmp_path / "m.skmm"
    code, _, err = run(capsys, "fit", data, "--target", "y", "--epochs", "1", "--out", model)
    assert code == 0, err
    code, _, err = run(capsys, "predict", data, model)
    assert code == 4
    assert_one_error_line(err, "not a model file", "skmm predict MODEL DATA")
    code, _, err = run(capsys, "evaluate", model, "--target", "y")
    assert code == 2
    assert_one_error_line(err, "is a model file", "skmm predict MODEL DATA")
    out_file = tmp_path / "p.csv"
    code, _, err = run(capsys, "predict", model, data, "--out", out_file)
    assert code == 0
    assert err.endswith(f"skmm: wrote 20 predictions of {data} to {out_file}\n")
    assert len(pd.read_csv(out_file)) == 20


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.zip"])
def test_compressed_tables_are_read_not_taken_for_models(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    FRAME.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_table(str(path)), FRAME)
