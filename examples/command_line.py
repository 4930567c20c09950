"""The ``skmm`` command line: fit, predict and evaluate from the shell.

Writes a folder the way image data usually arrives (PNG files under
``images/``, and CSV tables whose ``image`` column holds paths relative to
the CSV), then runs the command line on it as a shell user would:

- ``skmm fit`` trains a text + image + numbers network and saves it;
- ``skmm predict`` writes predictions (with class probabilities) as CSV;
- ``skmm evaluate`` cross-validates the same network, and scores the saved
  model on held-out labelled rows.

Each command and what it prints are shown. Progress bars and notes go to
standard error, data and reports to standard output.

Run:  python examples/command_line.py                  (about a minute on 2 CPU cores)
      python examples/command_line.py --smoke          (under a minute; a check that it runs)
      python examples/command_line.py --out-dir demo   (keep the files in ./demo)
      python examples/command_line.py --in-process     (the same commands through
                                                        skmm.cli.main in this Python,
                                                        without a new one per command)
"""

import argparse
import contextlib
import io
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from skmm.datasets import make_multimodal_classification


def write_data(directory, n_samples, image_size):
    """Write ``images/*.png``, ``train.csv``, ``test.csv`` and ``new.csv`` (no label)."""
    directory = Path(directory)
    X, y = make_multimodal_classification(
        n_samples=n_samples,
        image_size=image_size,
        image_dir=directory / "images",
        random_state=0,
    )
    table = X.assign(label=y)
    # paths relative to the CSV files, as a folder of data is usually shared
    table["image"] = [Path(path).relative_to(directory).as_posix() for path in table["image"]]
    table.insert(0, "id", [f"item{i:04d}" for i in range(n_samples)])
    n_train = int(0.75 * n_samples)
    table.iloc[:n_train].to_csv(directory / "train.csv", index=False)
    table.iloc[n_train:].to_csv(directory / "test.csv", index=False)
    table.iloc[n_train:].drop(columns="label").to_csv(directory / "new.csv", index=False)
    return n_train, n_samples - n_train


#: ``--in-process``: run each command through ``skmm.cli.main`` in this Python.
IN_PROCESS = False


def run_command(args, cwd):
    """``skmm ARGS`` in ``cwd``: (exit code, standard output, standard error)."""
    if not IN_PROCESS:
        result = subprocess.run(
            [sys.executable, "-m", "skmm", *args], cwd=cwd, capture_output=True, text=True
        )
        return result.returncode, result.stdout, result.stderr
    from skmm.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def skmm(*args, cwd):
    """Run ``skmm ARGS`` in ``cwd`` as a shell would, show it and what it printed."""
    print(f"\n$ skmm {shlex.join(args)}")
    code, stdout, stderr = run_command(args, cwd)
    for line in stderr.splitlines():
        print(f"  [stderr] {line}")
    if stdout:
        print(stdout.rstrip("\n"))
    if code != 0:
        raise SystemExit(f"skmm {args[0]} exited with code {code}")
    return stdout


def main(out_dir, smoke=False):
    n_samples, epochs, image_size, cv = (80, 1, 16, 2) if smoke else (1200, 15, 32, 3)
    n_train, n_test = write_data(out_dir, n_samples, image_size)
    print(f"wrote {n_train} training rows, {n_test} test rows and their images to {out_dir}")

    columns = ["--text", "caption", "--image", "image", "--numeric", "x0,x1"]
    model = [
        "--epochs", str(epochs),
        "--image-size", str(image_size),
        "--sequence-length", "24",
        "--l2", "1e-4",
        "--random-state", "0",
        "--param", "learning_rate=3e-3",
        "--param", f"image_width_multiplier={0.125 if smoke else 0.25}",
    ]  # fmt: skip
    if smoke:
        model += ["--param", "embedding_dim=8", "--param", "text_units=8"]

    skmm("fit", "train.csv", "--target", "label", *columns, *model, "--out", "model.skmm",
         cwd=out_dir)  # fmt: skip
    skmm("predict", "model.skmm", "new.csv", "--id", "id", "--proba", "--out", "predictions.csv",
         cwd=out_dir)  # fmt: skip
    lines = (Path(out_dir) / "predictions.csv").read_text().splitlines()
    print(f"$ head -4 predictions.csv   # {len(lines) - 1} rows")
    print("\n".join(lines[:4]))
    skmm("evaluate", "test.csv", "--model", "model.skmm", "--target", "label", cwd=out_dir)
    skmm("evaluate", "train.csv", "--target", "label", *columns, *model, "--cv", str(cv),
         cwd=out_dir)  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny and fast: a check that it runs")
    parser.add_argument("--out-dir", help="folder for the data and the model (default: a temp dir)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the commands through skmm.cli.main here instead of a new Python each",
    )
    options = parser.parse_args()
    IN_PROCESS = options.in_process
    if options.out_dir:
        os.makedirs(options.out_dir, exist_ok=True)
        main(os.path.abspath(options.out_dir), smoke=options.smoke)
    else:
        with tempfile.TemporaryDirectory() as directory:
            main(directory, smoke=options.smoke)
