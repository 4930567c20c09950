"""The entry points: ``python -m skmm`` and the console script, in a subprocess."""

import subprocess
import sys
from pathlib import Path

import skmm
from skmm.cli import main


def test_python_m_skmm_user_error_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "missing.csv"
    result = subprocess.run(
        [sys.executable, "-m", "skmm", "fit", str(missing), "--target", "y", "--text", "t",
         "--out", str(tmp_path / "m.skmm")],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"skmm: error: data file {str(missing)!r} does not exist"]


def test_help_is_fast_and_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from skmm.cli import main\n"
        "assert main(['--help']) == 0\n"
        "assert main(['fit', '--help']) == 0\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.split() == ["False", "False"]
    assert "exit codes:" in result.stdout and "--target" in result.stdout


def test_console_script_version():
    script = Path(sys.executable).with_name("skmm")
    assert script.exists(), "the skmm console script is not installed beside this Python"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"skmm {skmm.__version__}"


def test_help_lists_exit_codes(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("0    success", "2    usage error", "3    data error", "4    model-file error"):
        assert line in out
