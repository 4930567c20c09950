"""Exit codes and one-line errors: usage 2, data 3, model file 4, internal 1."""

import sys

import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

import skmm
from skmm.cli import _commands, main


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(err, *fragments):
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("skmm: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame(
        {
            "text": ["a red fox", "a blue bird", "a red bird", "a blue fox"] * 5,
            "x": [0.5, 1.5, -0.5, 2.0] * 5,
            "y": [0, 1, 0, 1] * 5,
            "amount": [1.25, 3.5, 2.0, 7.75] * 5,
        }
    ).to_csv(path, index=False)
    return path


def test_missing_data_file(capsys, tmp_path):
    missing = tmp_path / "nowhere.csv"
    code, out, err = run(
        capsys, "fit", missing, "--target", "y", "--text", "text", "--out", tmp_path / "m.skmm"
    )
    assert code == 3 and out == ""
    assert_one_error_line(err, str(missing))


def test_missing_column_names_the_column(capsys, table, tmp_path):
    code, out, err = run(
        capsys, "fit", table, "--target", "y", "--text", "caption", "--out", tmp_path / "m.skmm"
    )
    assert code == 3 and out == ""
    assert_one_error_line(err, "'caption'", "--text")

    code, _, err = run(
        capsys, "fit", table, "--target", "label", "--text", "text", "--out", tmp_path / "m.skmm"
    )
    assert code == 3
    assert_one_error_line(err, "'label'", "--target")


def test_bad_values_name_column_and_row(capsys, table, tmp_path):
    frame = pd.read_csv(table)
    frame["x"] = frame["x"].astype(object)
    frame.loc[6, "x"] = "n/a?"
    frame.to_csv(table, index=False)
    code, _, err = run(
        capsys, "fit", table, "--target", "y", "--numeric", "x", "--out", tmp_path / "m.skmm"
    )
    assert code == 3
    assert_one_error_line(err, "column 'x'", "row 6", "'n/a?'")


def test_missing_target_value_names_row(capsys, table, tmp_path):
    frame = pd.read_csv(table)
    frame.loc[4, "y"] = None
    frame.to_csv(table, index=False)
    code, _, err = run(
        capsys, "fit", table, "--target", "y", "--text", "text", "--out", tmp_path / "m.skmm"
    )
    assert code == 3
    assert_one_error_line(err, "target column 'y'", "row 4")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["fit", "T", "--target", "y", "--text", "text", "--out", "m.skmm", "--bogus"],
         "fit: unrecognized arguments: --bogus"),
        (["fit", "T", "--text", "text", "--out", "m.skmm"], "required: -y/--target"),
        (["fit", "T", "--target", "y,text,x,amount", "--out", "m.skmm"],
         "no column besides the target"),
        (["fit", "T", "--target", "y", "--text", "y", "--out", "m.skmm"], "both as"),
        (["fit", "T", "--target", "y", "--text", "text", "--out", "m.skmm", "--epochs", "0"],
         "--epochs"),
        (["fit", "T", "--target", "y", "--text", "text", "--out", "m.skmm", "--param", "l2"],
         "NAME=VALUE"),
        (["predict"], "MODEL"),
        (["evaluate", "T", "--target", "y", "--text", "text", "--cv", "1"], "--cv"),
        (["evaluate", "T", "--target", "y", "--text", "text", "--scoring", "nonsense"],
         "unknown metric 'nonsense'"),
        ([], "give a command"),
    ],
)  # fmt: skip
def test_usage_errors_are_exit_code_2(capsys, table, monkeypatch, args, fragment):
    monkeypatch.chdir(table.parent)
    args = [table.name if a == "T" else a for a in args]
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert_one_error_line(err, fragment)


def test_invalid_estimator_parameter_is_a_usage_error(capsys, table, tmp_path):
    base = ["fit", table, "--target", "y", "--text", "text", "--out", tmp_path / "m.skmm"]
    code, _, err = run(capsys, *base, "--param", "dropout=1.5")
    assert code == 2
    assert_one_error_line(err, "dropout")
    code, _, err = run(capsys, *base, "--param", "no_such_parameter=3")
    assert code == 2
    assert_one_error_line(err, "no_such_parameter")
    code, _, err = run(capsys, *base, "--param", "fusion=sideways", "--quiet")
    assert code == 2
    assert_one_error_line(err, "--param", "'fusion' parameter", "'sideways'")
    # checked only when the network is built, after the data were read: still a usage error
    code, _, err = run(capsys, *base, "--param", "image_encoder=NoSuchNet", "--quiet")
    assert code == 2
    assert_one_error_line(err, "--param", "NoSuchNet")
    assert not (tmp_path / "m.skmm").exists()
    # a routed encoder setting of a block the data do not have, or that its kind lacks
    code, _, err = run(capsys, *base, "--param", "encoders__photo__units=4", "--quiet")
    assert code == 2
    assert_one_error_line(err, "--param", "encoders__photo__units", "'text'")
    code, _, err = run(capsys, *base, "--param", "encoders__text__filters=4", "--quiet")
    assert code == 2
    assert_one_error_line(err, "--param", "encoders__text__filters", "embedding_dim")


def test_invalid_block_parameter_is_a_usage_error(capsys, table, tmp_path):
    """A transformer's parameter set by --block-param is checked when the transformer is
    fitted, after the data were read: scikit-learn's InvalidParameterError, exit code 2."""
    base = ["fit", table, "--target", "y", "--text", "text", "--out", tmp_path / "m.skmm"]
    code, out, err = run(capsys, *base, "--block-param", "text__max_tokens=1", "--quiet")
    assert code == 2 and out == ""
    assert_one_error_line(err, "--block-param", "'max_tokens' parameter of TextTokenizer")
    assert not (tmp_path / "m.skmm").exists()


def test_targets_of_different_kinds_need_task(capsys, table, tmp_path):
    code, _, err = run(
        capsys, "fit", table, "--target", "y,amount", "--text", "text", "--out", tmp_path / "m"
    )
    assert code == 2
    assert_one_error_line(err, "'y': classification", "'amount': regression", "--task")


def test_unknown_extension_and_input_format(capsys, table, tmp_path):
    renamed = table.with_suffix(".txt")
    table.rename(renamed)
    base = ["fit", renamed, "--target", "y", "--text", "nope", "--out", tmp_path / "m.skmm"]
    code, _, err = run(capsys, *base)
    assert code == 2
    assert_one_error_line(err, "--input-format")
    # read as CSV when told so: it then gets as far as the missing column
    code, _, err = run(capsys, *base, "--input-format", "csv")
    assert code == 3
    assert_one_error_line(err, "'nope'")


def test_parquet_without_pyarrow_names_the_extra(capsys, tmp_path, monkeypatch):
    path = tmp_path / "table.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    code, _, err = run(
        capsys, "fit", path, "--target", "y", "--text", "text", "--out", tmp_path / "m.skmm"
    )
    assert code == 3
    assert_one_error_line(err, 'pip install "skmm[parquet]"')


def test_unwritable_model_path_fails_before_training(capsys, table, tmp_path):
    out = tmp_path / "no" / "such" / "dir" / "m.skmm"
    code, _, err = run(capsys, "fit", table, "--target", "y", "--text", "text", "--out", out)
    assert code == 4
    assert_one_error_line(err, str(out))


def test_model_file_errors_are_exit_code_4(capsys, table, tmp_path):
    missing = tmp_path / "missing.skmm"
    code, out, err = run(capsys, "predict", missing, table)
    assert code == 4 and out == ""
    assert_one_error_line(err, str(missing))

    not_a_model = tmp_path / "notes.skmm"
    not_a_model.write_text("these are not the weights you are looking for\n")
    code, _, err = run(capsys, "predict", not_a_model, table)
    assert code == 4
    assert_one_error_line(err, "not a file written by skmm.save")


class _Doubler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X * 2


def test_untrusted_types_are_exit_code_4(capsys, table, tmp_path):
    path = tmp_path / "custom.skmm"
    with pytest.warns(UserWarning, match="does not trust"):
        skmm.save(make_pipeline(_Doubler()).fit([[1.0]]), path)
    code, _, err = run(capsys, "predict", path, table)
    assert code == 4
    assert_one_error_line(err, "not trusted", "_Doubler")


def test_a_saved_transformer_is_not_a_model(capsys, table, tmp_path):
    from sklearn.preprocessing import StandardScaler

    path = tmp_path / "scaler.skmm"
    skmm.save(StandardScaler().fit([[1.0], [2.0]]), path)
    code, _, err = run(capsys, "predict", path, table)
    assert code == 4
    assert_one_error_line(err, "StandardScaler", "not a model that predicts")


def test_internal_error_is_exit_code_1_and_debug_shows_traceback(capsys, table, monkeypatch):
    def broken(args, console):
        raise RuntimeError("something inside broke")

    monkeypatch.setitem(_commands.COMMANDS, "fit", broken)
    args = ["fit", table, "--target", "y", "--text", "text", "--out", "m.skmm"]
    code, _, err = run(capsys, *args)
    assert code == 1
    assert_one_error_line(err, "internal error: RuntimeError: something inside broke", "--debug")

    code, _, err = run(capsys, *args, "--debug")
    assert code == 1
    assert "Traceback" in err and err.splitlines()[-1].startswith("skmm: error: internal error")


def test_interrupt_is_exit_code_130(capsys, table, monkeypatch):
    def interrupted(args, console):
        raise KeyboardInterrupt

    monkeypatch.setitem(_commands.COMMANDS, "predict", interrupted)
    code, _, err = run(capsys, "predict", "m.skmm", table)
    assert code == 130 and "interrupted" in err and "Traceback" not in err
