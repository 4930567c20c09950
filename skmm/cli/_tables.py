"""Reading and writing tables (CSV, TSV, Parquet) and checking their columns."""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys

import numpy as np
import pandas as pd

from ._errors import DataError, UsageError, one_line

#: Table formats by file extension (after any compression extension).
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}
#: Compression extensions pandas undoes by itself when reading CSV and TSV.
_COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")
#: Stands for standard input (a data file) or standard output (an output file).
STDIO = "-"

PARQUET_HINT = 'reading and writing Parquet needs pyarrow: pip install "skmm[parquet]"'


#: The first bytes of a zip archive, which a file written by skmm.save is.
ZIP_MAGIC = b"PK\x03\x04"


def is_model_file(path):
    """Whether ``path`` is a file skmm.save wrote: a ``.skmm`` name, or a zip archive
    whose name is not that of a (compressed) table."""
    name = str(path).lower()
    if name.endswith(".skmm") and os.path.isfile(path):
        return True
    if name.endswith(_COMPRESSIONS) or os.path.splitext(name)[1] in FORMATS:
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == ZIP_MAGIC
    except OSError:
        return False


def table_format(path, given=None):
    """The format of the table at ``path``: ``given``, or told by its extension.

    Parameters
    ----------
    path : str
        The file; ``"-"`` (standard input or output) is CSV unless ``given``.
    given : {"csv", "tsv", "parquet"} or None
        The format named on the command line.

    Returns
    -------
    format : {"csv", "tsv", "parquet"}
    """
    if given is not None:
        return given
    if path == STDIO:
        return "csv"
    name = os.path.basename(path).lower()
    for compression in _COMPRESSIONS:
        if name.endswith(compression):
            name = name[: -len(compression)]
            break
    extension = os.path.splitext(name)[1]
    if extension not in FORMATS:
        raise UsageError(
            f"cannot tell the format of {path!r} from its extension; name a file ending in "
            f"{', '.join(sorted(FORMATS))} or pass --input-format csv, tsv or parquet"
        )
    return FORMATS[extension]


def _require_pyarrow():
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise DataError(PARQUET_HINT) from exc


#: The delimiters a CSV file is sniffed for, in order of preference on a tie.
DELIMITERS = ",;\t|"

#: Bytes read from the start of a CSV file to sniff its delimiter.
SNIFFED_BYTES = 64 * 1024


def read_table(path, input_format=None, string_columns=(), *, delimiter=None, encoding=None):
    """Read a data table.

    Parameters
    ----------
    path : str
        A CSV, TSV or Parquet file, or ``"-"`` for CSV on standard input.
    input_format : {"csv", "tsv", "parquet"} or None
        Overrides the format told by the extension.
    string_columns : iterable of str
        Columns to read as text from CSV and TSV (text, file paths and
        categories), so that ``007`` stays ``"007"`` and a column of numbers
        is not refused by the text transformer.
    delimiter : str or None
        The CSV delimiter; None sniffs it among ``,`` ``;`` tab and ``|``
        (``,`` when the start of the file does not tell). TSV is always tab.
    encoding : str or None
        The text encoding of a CSV or TSV file; None reads UTF-8 (with or
        without a byte-order mark) and, for a file that is not, names the
        encoding it decodes in and the ``--encoding`` option.

    Returns
    -------
    table : pandas.DataFrame

    Raises
    ------
    DataError
        The file is missing or unreadable, or holds no rows.
    """
    if path != STDIO and is_model_file(path):
        raise UsageError(
            f"{path!r} is a model file written by skmm, not a data table: the order is "
            "'skmm predict MODEL DATA' (fit and evaluate take DATA first)"
        )
    fmt = table_format(path, input_format)
    if path != STDIO:
        if not os.path.exists(path):
            raise DataError(f"data file {path!r} does not exist")
        if os.path.isdir(path):
            raise DataError(f"data file {path!r} is a directory, not a file")
    shown = "standard input" if path == STDIO else repr(path)
    try:
        if fmt == "parquet":
            _require_pyarrow()
            # Parquet is read from its end: a pipe is read whole first
            source = io.BytesIO(sys.stdin.buffer.read()) if path == STDIO else path
            table = pd.read_parquet(source)
        else:
            raw = _stdin_bytes() if path == STDIO else None
            text_encoding = _check_encoding(encoding)
            if fmt == "tsv":
                sep = "\t"
            elif delimiter is not None:
                sep = delimiter
            elif raw is None and str(path).lower().endswith(_COMPRESSIONS):
                sep = ","  # not sniffed through the compression
            else:
                sep = _sniff_delimiter(path, raw, text_encoding)
            source = io.BytesIO(raw) if raw is not None else path
            dtype = {column: str for column in string_columns}
            try:
                table = pd.read_csv(source, sep=sep, dtype=dtype, encoding=text_encoding)
            except UnicodeDecodeError:
                raise _encoding_error(path, raw, encoding, shown) from None
    except (DataError, UsageError):
        raise
    except OSError as exc:
        raise DataError(f"cannot read {shown}: {exc.strerror or one_line(exc)}") from exc
    except Exception as exc:  # parsers raise their own types (ParserError, ArrowInvalid, ...)
        hint = (
            "" if fmt == "parquet" else "; if its delimiter is not the one read, pass --delimiter"
        )
        raise DataError(f"cannot read {shown} as {fmt.upper()}: {one_line(exc)}{hint}") from exc
    if len(table) == 0:
        raise DataError(f"{shown} holds no rows")
    return table


def _stdin_bytes():
    """Standard input, whole, as bytes (a text stream without a buffer is UTF-8)."""
    buffer = getattr(sys.stdin, "buffer", None)
    return buffer.read() if buffer is not None else sys.stdin.read().encode("utf-8")


def _head(path, raw):
    if raw is not None:
        return raw[:SNIFFED_BYTES]
    with open(path, "rb") as handle:
        return handle.read(SNIFFED_BYTES)


def _check_encoding(encoding):
    """The encoding to read with: ``encoding`` (a name Python knows), else UTF-8 with or
    without a byte-order mark."""
    if encoding is None:
        return "utf-8-sig"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"--encoding {encoding!r} is not an encoding Python knows") from None
    return encoding


def _encoding_error(path, raw, encoding, shown):
    """The error for a file that does not decode: where, and the encoding it reads as."""
    if raw is None and str(path).lower().endswith(_COMPRESSIONS):
        return DataError(
            f"{shown} does not decode {'in ' + encoding if encoding else 'as UTF-8'}: pass its "
            "encoding with --encoding (such as cp1252 or latin-1)"
        )
    data = raw if raw is not None else _whole(path)
    try:
        data.decode(encoding or "utf-8-sig")
        where = ""
    except UnicodeDecodeError as exc:
        where = f" (byte 0x{data[exc.start]:02x} at position {exc.start})"
    name, description = _likely_encoding(data)
    given = f"in {encoding}" if encoding else "as UTF-8"
    return DataError(
        f"{shown} does not decode {given}{where}; it reads as {description}: pass --encoding {name}"
    )


def _whole(path):
    with open(path, "rb") as handle:
        return handle.read()


def _likely_encoding(data):
    """(codec name, description) of the encoding a non-UTF-8 text most likely has."""
    for name, description in (
        ("utf-16", "UTF-16 (it starts with a byte-order mark)"),
        ("cp1252", "Windows-1252 (Western European; Latin-1 is nearly the same)"),
    ):
        if name == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        return name, description
    return "latin-1", "Latin-1 (ISO 8859-1), which decodes any bytes"


def _sniff_delimiter(path, raw, encoding):
    """The delimiter of the CSV text at ``path`` (or in ``raw``), among `DELIMITERS`."""
    head = _head(path, raw).decode(encoding, errors="ignore")
    lines = head.splitlines()
    if len(head) >= SNIFFED_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    sample = "\n".join(lines[:200])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def write_table(table, path, stream, output_format=None):
    """Write ``table`` as CSV to ``stream`` (``path`` is None or "-") or to ``path``.

    Parameters
    ----------
    table : pandas.DataFrame
        What to write (its index is not written).
    path : str or None
        The output file; its extension picks CSV, TSV or Parquet.
    stream : file object
        Standard output, used when ``path`` is None or ``"-"``.
    output_format : {"csv", "tsv", "parquet"} or None
        Overrides the format told by the extension.
    """
    to_stdout = path in (None, STDIO)
    fmt = table_format(STDIO if to_stdout else path, output_format)
    if to_stdout and fmt == "parquet":
        raise UsageError("Parquet output needs a file: pass --out FILE.parquet")
    if fmt == "parquet":
        _require_pyarrow()
    try:
        if to_stdout:
            table.to_csv(stream, index=False, sep="\t" if fmt == "tsv" else ",")
            stream.flush()
        elif fmt == "parquet":
            table.to_parquet(path, index=False)
        else:
            table.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise DataError(f"cannot write {path!r}: {exc.strerror or one_line(exc)}") from exc


def check_writable(path, what):
    """Refuse early an output path whose directory is missing or not writable.

    Parameters
    ----------
    path : str
        The file that will be written.
    what : str
        What it is, for the message ("model file", "output file").

    Returns
    -------
    message : str or None
        Why the file cannot be written, or None when it looks writable.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"cannot write the {what} {path!r}: it is a directory"
    if not os.path.isdir(directory):
        return f"cannot write the {what} {path!r}: directory {directory!r} does not exist"
    if not os.access(directory, os.W_OK):
        return f"cannot write the {what} {path!r}: directory {directory!r} is not writable"
    return None


def require_columns(table, columns, source, purpose):
    """Refuse a table that lacks any of ``columns``, naming the first one missing.

    Parameters
    ----------
    table : pandas.DataFrame
    columns : iterable of str
        The columns needed.
    source : str
        The data file, for the message.
    purpose : str
        Who needs them, e.g. ``"--numeric"`` or ``"the model"``.
    """
    missing = [column for column in columns if column not in table.columns]
    if missing:
        listed = ", ".join(repr(str(c)) for c in table.columns[:20])
        more = f" and {len(table.columns) - 20} more" if len(table.columns) > 20 else ""
        names = ", ".join(repr(c) for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise DataError(
            f"{source} has no {noun} {names} (needed by {purpose}); its columns are {listed}{more}"
        )


def data_directory(path):
    """The directory relative file paths in the table at ``path`` are taken from.

    Parameters
    ----------
    path : str
        The data file, or ``"-"`` (standard input: the current directory).

    Returns
    -------
    directory : str
        An absolute path.
    """
    if path == STDIO:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(path))


def resolve_paths(table, columns, directory):
    """Make the relative file paths in ``columns`` relative to ``directory``.

    Cells that are not strings (bytes, arrays, missing values), empty strings
    and absolute paths are left as they are.

    Parameters
    ----------
    table : pandas.DataFrame
        Not modified.
    columns : iterable of str
        Columns holding image or audio file paths.
    directory : str
        Absolute directory the relative paths are relative to.

    Returns
    -------
    table : pandas.DataFrame
        A copy with the paths resolved (the same object when ``columns`` is empty).
    """
    columns = [column for column in columns if column in table.columns]
    if not columns:
        return table
    table = table.copy()
    for column in columns:
        table[column] = pd.Series(
            [_resolve(cell, directory) for cell in table[column].tolist()],
            index=table.index,
            dtype=object,
        )
    return table


def _resolve(cell, directory):
    if isinstance(cell, str):
        path = os.path.expanduser(cell.strip())
        if path and not os.path.isabs(path):
            return os.path.normpath(os.path.join(directory, path))
    return cell


def numeric_columns(table, columns, source):
    """Check that ``columns`` hold a number in every row; return them as floats.

    Parameters
    ----------
    table : pandas.DataFrame
        Not modified.
    columns : list of str
    source : str
        The data file, for the message.

    Returns
    -------
    table : pandas.DataFrame
        A copy whose ``columns`` are float64 (the same object when there are none).

    Raises
    ------
    DataError
        A cell is not a number, or is empty; the message names the column
        and the row (counted from 0, after the header).
    """
    if not columns:
        return table
    table = table.copy()
    for column in columns:
        values = table[column]
        if pd.api.types.is_bool_dtype(values):
            values = values.astype(float)
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna().to_numpy() | ~np.isfinite(converted.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            cell = values.iloc[row]
            present = values.notna().to_numpy()
            if present.any() and converted.isna().to_numpy()[present].all():
                raise DataError(
                    f"{source}: column {column!r} holds no number in any row (row {row} holds "
                    f"{cell!r}); it is not numeric: give it as --text (free text) or "
                    "--categorical (a few repeated values) instead of --numeric"
                )
            what = "is empty" if pd.isna(cell) else f"holds {cell!r}, which is not a finite number"
            raise DataError(
                f"{source}: column {column!r}, row {row} {what} ({int(bad.sum())} row(s) "
                "affected); numeric columns need a number in every row: fill or drop those rows"
            )
        table[column] = converted.astype(np.float64)
    return table
