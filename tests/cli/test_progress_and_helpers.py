"""The progress bar (own implementation, stderr only) and the small helpers."""

import io

import numpy as np
import pandas as pd
import pytest

from skmm.cli import main
from skmm.cli._errors import UsageError
from skmm.cli._pipeline import ColumnRoles, block_names, infer_task, parse_assignments
from skmm.cli._progress import ProgressBar
from skmm.cli._tables import resolve_paths, table_format


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def small_table(tmp_path):
    rng = np.random.default_rng(0)
    words = np.array(["red", "blue", "fox", "bird", "tree", "sky"])
    path = tmp_path / "small.csv"
    pd.DataFrame(
        {
            "text": [" ".join(rng.choice(words, size=4)) for _ in range(40)],
            "x": rng.normal(size=40),
            "y": np.tile([0, 1], 20),
        }
    ).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "flag, shown",
    [("--progress", True), ("--quiet", False), (None, False)],
)
def test_fit_progress_bar_on_stderr_only(capsys, small_table, tmp_path, flag, shown):
    args = [
        "fit", str(small_table), "--target", "y", "--text", "text", "--numeric", "x",
        "--out", str(tmp_path / "m.skmm"), "--epochs", "2", "--random-state", "0",
        "--param", "embedding_dim=4", "--param", "text_units=4",
        "--param", "hidden_units=(4,)", "--param", "tabular_units=(4,)",
    ]  # fmt: skip
    if flag:
        args.append(flag)
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out == ""  # stdout stays clean for data
    assert ("fit [" in err) is shown
    if shown:
        # not a terminal: one line per epoch, no carriage returns
        lines = [line for line in err.splitlines() if line.startswith("fit [")]
        assert [line.split("]")[1].split()[0] for line in lines] == ["1/2", "2/2"]
        assert "loss" in lines[-1] and "\r" not in err
    if flag == "--quiet":
        assert err == ""
    else:
        assert "skmm: task: classification" in err and "saved classification model" in err


def test_progress_bar_lines_and_terminal_redraw():
    log = io.StringIO()
    with ProgressBar(3, "fit", "epochs", log) as bar:
        bar.update(0.5, partial=True)  # inside a step: not written to a log
        for _ in range(3):
            bar.advance(note="loss 0.5")
    lines = log.getvalue().splitlines()
    assert [line.split("]")[1].split()[0] for line in lines] == ["1/3", "2/3", "3/3"]
    assert lines[-1].startswith("fit [" + "#" * 24 + "]") and lines[-1].endswith("loss 0.5")

    terminal = _Terminal()
    with ProgressBar(2, "predict", "chunks", terminal) as bar:
        bar.advance()
        bar.advance()
    text = terminal.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1

    silent = io.StringIO()
    with ProgressBar(2, "fit", "epochs", silent, enabled=False) as bar:
        bar.advance()
    assert silent.getvalue() == ""


def test_parse_assignments():
    params = parse_assignments(
        ["l2=1e-3", "hidden_units=(32, 16)", "fusion=gated", "early_stopping=True", "x=[1"],
        "--param",
    )
    assert params == {
        "l2": 1e-3,
        "hidden_units": (32, 16),
        "fusion": "gated",
        "early_stopping": True,
        "x": "[1",
    }
    with pytest.raises(UsageError, match="NAME=VALUE"):
        parse_assignments(["=3"], "--param")


def test_infer_task():
    assert infer_task(pd.Series(["a", "b", "a"]))[0] == "classification"
    assert infer_task(pd.Series([0, 1, 1, 0]))[0] == "classification"
    assert infer_task(pd.Series([0.5, 1.25, 3.0]))[0] == "regression"
    assert infer_task(pd.Series(np.arange(100)))[0] == "regression"
    assert infer_task(pd.Series([1.0, 2.0, None]))[0] == "classification"


def test_block_names_follow_roles_and_columns():
    roles = ColumnRoles(
        text=["title", "body text"], image=["photo"], numeric=["a", "b"], categorical=["c"]
    )
    assert block_names(roles) == {
        ("text", "title"): "text_title",
        ("text", "body text"): "text_body_text",
        ("image", "photo"): "image",
        ("numeric", None): "numeric",
        ("categorical", None): "categorical",
    }


def test_resolve_paths_only_touches_relative_strings(tmp_path):
    absolute = str(tmp_path / "b.png")
    table = pd.DataFrame({"image": ["a.png", absolute, None, "", b"\x89PNG"], "n": range(5)})
    resolved = resolve_paths(table, ["image"], "/data/dir")
    assert resolved["image"].tolist() == ["/data/dir/a.png", absolute, None, "", b"\x89PNG"]
    assert table["image"].iloc[0] == "a.png"  # the input is not modified


def test_table_format():
    assert table_format("x.CSV") == "csv"
    assert table_format("x.csv.gz") == "csv"
    assert table_format("x.tsv") == "tsv"
    assert table_format("x.pq") == "parquet"
    assert table_format("-") == "csv"
    assert table_format("x.dat", "parquet") == "parquet"
    with pytest.raises(UsageError, match="--input-format"):
        table_format("x.json")


def test_warnings_are_one_line_and_developer_warnings_hidden():
    import warnings

    from skmm.cli._runtime import one_line_warnings

    stream = io.StringIO()
    with one_line_warnings(stream, debug=False):
        warnings.warn("saved with other\n   versions", UserWarning, stacklevel=1)
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    assert stream.getvalue() == "skmm: warning: saved with other versions\n"
