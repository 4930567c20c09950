"""The command-line grammar: ``skmm fit | predict | evaluate``."""

from __future__ import annotations

import argparse
import textwrap

from .. import __version__
from ._errors import UsageError, one_line

EXIT_CODES = """\
exit codes:
  0    success
  1    unexpected internal error (run with --debug for the traceback)
  2    usage error: unknown option, missing or invalid argument
  3    data error: missing or unreadable data file, missing column, bad values
  4    model-file error: missing, not written by skmm, damaged, untrusted types
  130  interrupted (Ctrl-C)
"""

DESCRIPTION = """\
Multimodal deep learning on tables from the command line: text, image, audio
and video files, numbers and categories in one neural network.
"""

EXAMPLES = """\
examples:
  skmm fit train.csv --target label --text caption --image image --numeric x0,x1 \\
      --out model.skmm
  skmm predict model.skmm new.csv --id id --proba > predictions.csv
  skmm evaluate train.csv --target label --text caption --image image --cv 5

Relative image, audio and video paths in a table are taken relative to the directory
of the data file. Progress bars go to standard error, data to standard output.
"""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, reporting a usage error as a `UsageError` (one line, exit code 2)."""

    def error(self, message):
        where = self.prog.partition(" ")[2]
        prefix = f"{where}: " if where else ""
        raise UsageError(f"{prefix}{one_line(message)} (see '{self.prog} --help')")

    def parse_args(self, args=None, namespace=None):
        """Parse ``args``; an argument no option takes is reported against its command."""
        namespace, extra = self.parse_known_args(args, namespace)
        if extra:
            command = getattr(namespace, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            prefix = f"{command}: " if command else ""
            raise UsageError(
                f"{prefix}unrecognized arguments: {' '.join(extra)} (see '{prog} --help')"
            )
        return namespace


def _paragraph(text):
    return textwrap.fill(text, width=79)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _image_size(text):
    parts = text.lower().replace("x", ",").split(",")
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        sizes = ()
    if len(sizes) not in (1, 2) or min(sizes, default=0) < 1:
        raise argparse.ArgumentTypeError(f"expected SIZE or HEIGHT,WIDTH in pixels, got {text!r}")
    return sizes * 2 if len(sizes) == 1 else sizes


def _add_common(parser, suppress):
    """``--progress``, ``--quiet`` and ``--debug`` (on the main parser and each command)."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--progress",
        action="store_true",
        help="draw progress bars on standard error even when it is not a terminal",
        **default,
    )
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars and no notes (errors and warnings are still shown)",
        **default,
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an error, every warning and TensorFlow's logs",
        **default,
    )


def _delimiter(value):
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if len(value) != 1:
        raise argparse.ArgumentTypeError(
            f"a delimiter is one character (or tab, comma, semicolon, pipe); got {value!r}"
        )
    return value


def _add_input_format(parser):
    parser.add_argument(
        "--input-format",
        choices=("csv", "tsv", "parquet"),
        help="format of DATA (default: told by its extension; '-' reads CSV from stdin)",
    )
    parser.add_argument(
        "--delimiter",
        type=_delimiter,
        metavar="CHAR",
        help="CSV delimiter (default: sniffed among , ; tab and |); tab, comma, semicolon "
        "and pipe may be named",
    )
    parser.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of a CSV or TSV file (default: UTF-8; a file that is not is "
        "refused with the encoding it reads as), such as cp1252 or latin-1",
    )


def _add_columns(parser, required_target=True):
    group = parser.add_argument_group(
        "columns",
        "comma-separated column names; each flag may be repeated. Without any role "
        "option every column but the targets gets the role its values call for "
        "(see --show-roles)",
    )
    group.add_argument(
        "-y",
        "--target",
        action="append",
        metavar="COL",
        required=required_target,
        help="target column; several targets train one network for all of them",
    )
    group.add_argument("--text", action="append", metavar="COL", help="free-text columns")
    group.add_argument(
        "--image", action="append", metavar="COL", help="columns of image file paths"
    )
    group.add_argument(
        "--audio",
        action="append",
        metavar="COL",
        help='columns of audio file paths (wav, flac; needs pip install "skmm[audio]")',
    )
    group.add_argument(
        "--video",
        action="append",
        metavar="COL",
        help='columns of video file paths (mp4, webm, mkv, avi; needs pip install "skmm[video]")',
    )
    group.add_argument(
        "--node",
        action="append",
        metavar="COL",
        help="one or two columns of graph node ids (a user; a user and an item): a graph "
        "block samples each row's neighbours in the graph of --graph-edges, or, with two "
        "columns and no --graph-edges, in the graph of the training rows' pairs",
    )
    group.add_argument(
        "--graph-edges",
        metavar="FILE",
        help="the graph of --node: an edge list (CSV, or .parquet) with columns source and "
        "target, and an optional positive weight column",
    )
    group.add_argument("--numeric", action="append", metavar="COL", help="numeric columns")
    group.add_argument(
        "--datetime",
        action="append",
        metavar="COL",
        help="date and time columns (ISO 8601, such as 2024-03-01 12:30)",
    )
    group.add_argument(
        "--categorical",
        action="append",
        metavar="COL",
        help="categorical columns (one-hot encoded; unseen categories are ignored)",
    )
    group.add_argument(
        "--show-roles",
        action="store_true",
        help="print each column's role (and, when inferred, the rule behind it) and stop",
    )


def _add_model_options(parser):
    group = parser.add_argument_group("model")
    group.add_argument(
        "--task",
        choices=("classification", "regression"),
        help="default: inferred from the target (stated on stderr)",
    )
    group.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="most training epochs (default 100; training stops once the loss stops improving)",
    )
    group.add_argument(
        "--batch-size", type=_positive_int, metavar="N", help="rows per batch (default 32)"
    )
    group.add_argument(
        "--l2",
        type=_non_negative_float,
        metavar="L2",
        help="L2 strength λ on every weight (default 1e-4)",
    )
    group.add_argument(
        "--random-state",
        type=int,
        metavar="SEED",
        help="seed for repeatable training (and cross-validation folds)",
    )
    group.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="any other estimator parameter, VALUE a Python literal or a string "
        "(e.g. hidden_units=(128,64), fusion=gated, l2__image=1e-3, "
        "encoders__review__encoder=gru)",
    )
    prep = parser.add_argument_group("preprocessing")
    prep.add_argument(
        "--sequence-length",
        type=_positive_int,
        metavar="N",
        help="tokens kept per text (default: fitted to 95 %% of the training texts, 8 to 256)",
    )
    prep.add_argument(
        "--max-tokens",
        type=_positive_int,
        metavar="N",
        help="vocabulary size of each text (default 20000)",
    )
    prep.add_argument(
        "--image-size",
        type=_image_size,
        metavar="SIZE",
        help="images are resized to SIZE or HEIGHT,WIDTH pixels (default 64)",
    )
    prep.add_argument(
        "--missing",
        "--missing-media",
        dest="missing_media",
        choices=("zeros", "error"),
        default="zeros",
        help="empty text, image, audio or video cells: input the network knows is absent "
        "(zeros, the default), or an error naming the row",
    )
    prep.add_argument(
        "--block-param",
        action="append",
        metavar="BLOCK__NAME=VALUE",
        help="a parameter of one block's transformer, e.g. image__resize=pad or "
        "audio__duration=2.0 (blocks are named after their role)",
    )


def build_parser():
    """The parser of ``skmm`` and its commands.

    Returns
    -------
    parser : ArgumentParser
    """
    formatter = argparse.RawDescriptionHelpFormatter
    parser = ArgumentParser(
        prog="skmm",
        description=DESCRIPTION,
        epilog=EXAMPLES + "\n" + EXIT_CODES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"skmm {__version__}")
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit = commands.add_parser(
        "fit",
        help="train a model on a table and save it",
        description=_paragraph(
            "Train a network on the columns of DATA and save it to one file "
            "(read it back with 'skmm predict' or skmm.load in Python)."
        ),
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    fit.add_argument("data", metavar="DATA", help="CSV, TSV or Parquet table ('-': stdin)")
    _add_columns(fit)
    fit.add_argument("-o", "--out", required=True, metavar="MODEL", help="model file to write")
    _add_model_options(fit)
    _add_input_format(fit)
    _add_common(fit, suppress=True)

    predict = commands.add_parser(
        "predict",
        help="predict a table with a saved model; write CSV",
        description=_paragraph(
            "Predict the rows of DATA with MODEL and write a CSV table to standard "
            "output (or --out): a 'prediction' column, or one column per target."
        ),
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    predict.add_argument("model", metavar="MODEL", help="model file written by 'skmm fit'")
    predict.add_argument("data", metavar="DATA", help="CSV, TSV or Parquet table ('-': stdin)")
    predict.add_argument(
        "--proba",
        action="store_true",
        help="add one probability column per class (proba_<class>)",
    )
    predict.add_argument("--id", metavar="COL", help="copy this column of DATA to the output")
    predict.add_argument(
        "-o",
        "--out",
        metavar="FILE",
        help="write here instead of standard output (.csv, .tsv or .parquet)",
    )
    predict.add_argument(
        "--output-format",
        choices=("csv", "tsv", "parquet"),
        help="format of the output (default: told by the extension of --out; CSV on stdout)",
    )
    predict.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=1024,
        metavar="ROWS",
        help="rows predicted at a time (default 1024)",
    )
    _add_input_format(predict)
    _add_common(predict, suppress=True)

    evaluate = commands.add_parser(
        "evaluate",
        help="cross-validate a model on a table, or score a saved model",
        description=_paragraph(
            "Cross-validate the network 'skmm fit' would train (same column and "
            "model options), and report each metric per fold with its mean ± std; or, with "
            "--model, score a saved model on labelled DATA."
        ),
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    evaluate.add_argument("data", metavar="DATA", help="CSV, TSV or Parquet table ('-': stdin)")
    _add_columns(evaluate)
    evaluate.add_argument(
        "--cv",
        type=_positive_int,
        metavar="K",
        help="number of folds (default 5; stratified for one classification target)",
    )
    evaluate.add_argument(
        "--scoring",
        action="append",
        metavar="METRICS",
        help="comma-separated scikit-learn scorer names (default: accuracy, "
        "balanced_accuracy, f1_macro, and roc_auc for two classes; r2, "
        "mean_absolute_error, root_mean_squared_error for regression)",
    )
    evaluate.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format"
    )
    evaluate.add_argument(
        "--model",
        metavar="MODEL",
        help="score this saved model on DATA instead of cross-validating a new one",
    )
    evaluate.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=1024,
        metavar="ROWS",
        help="rows predicted at a time with --model (default 1024)",
    )
    _add_model_options(evaluate)
    _add_input_format(evaluate)
    _add_common(evaluate, suppress=True)
    return parser
