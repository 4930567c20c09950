"""The role of each column of a raw table, and the MultimodalInput those roles make.

[`infer_column_roles`][skmm.compose.infer_column_roles] reads a table's columns by fixed rules
(listed in
``docs/dataframes.md``): the same table always gives the same roles, and a
column the rules cannot place is an error naming it and the roles it could
be given. [`make_multimodal_input`][skmm.compose.make_multimodal_input] turns the roles into a
[`MultimodalInput`][skmm.compose.MultimodalInput]. The estimators use both when they are
given a table with text, categories, dates or file paths and no
``MultimodalInput`` in front.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: The roles a column can have.
ROLES = ("numeric", "datetime", "categorical", "text", "image", "audio", "video")

#: File name endings read as images, audio and video (lower case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")

#: A string column is categorical when it has at most this many distinct values and
#: at most half as many as it has values (each value repeats, on average); else text.
MAX_CATEGORIES = 50

#: How many of a path column's files are opened to check their headers.
PROBED_FILES = 5

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

# File signatures (first bytes) of the image and audio formats skmm decodes (video:
# skmm.preprocessing._video_decoding.sniff_container).
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
_AUDIO_MAGIC = (b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"FORM")


@dataclass(frozen=True)
class ColumnRole:
    """The role inferred for one column, and the rule that gave it.

    Parameters
    ----------
    column : str
        The column's name.
    role : str
        One of `ROLES`.
    reason : str
        The rule, in words (``"strings, 3 distinct values"``).
    """

    column: str
    role: str
    reason: str


def _header_kind(head):
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" or head.startswith(_IMAGE_MAGIC):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE" or head.startswith(_AUDIO_MAGIC):
        return "audio"
    from ..preprocessing._video_decoding import sniff_container

    if sniff_container(head) is not None:
        return "video"
    return None


def _file_head(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(16)
    except OSError:
        return None


def _suffix_kind(value):
    suffix = os.path.splitext(value.strip().lower())[1]
    for kind, endings in (
        ("image", IMAGE_EXTENSIONS),
        ("audio", AUDIO_EXTENSIONS),
        ("video", VIDEO_EXTENSIONS),
    ):
        if suffix in endings:
            return kind
    return None


def _paths_role(name, values, root):
    """The role of a column of strings that all end in one media kind's extension."""
    kinds = {_suffix_kind(value) for value in values}
    if len(kinds) != 1 or None in kinds:
        return None
    kind = kinds.pop()
    urls = [value for value in values if _URL.match(value)]
    if urls:
        raise ValueError(
            f"Column {name!r} holds URLs ({urls[0]!r}); skmm never downloads: fetch the "
            "files and give their local paths, or give the column the role 'text'."
        )
    base = Path(root) if root is not None else Path()
    probed = values[:PROBED_FILES]
    heads = [_file_head(base / value) for value in probed]
    found = [head for head in heads if head is not None]
    if not found:
        where = f"under root={str(root)!r}" if root is not None else "from the working directory"
        raise ValueError(
            f"Column {name!r} holds {kind} file names ({probed[0]!r}, ...), but none of the "
            f"first {len(probed)} exists {where}: pass root= (the folder they are in), or "
            "give the column the role 'text' to read the names as words."
        )
    read = {_header_kind(head) for head in found}
    if read != {kind}:
        raise ValueError(
            f"Column {name!r}: its names end like {kind} files, but the headers of the files "
            f"found are not all {kind} ({sorted(map(str, read))}); give the column a role."
        )
    return ColumnRole(name, kind, f"{kind} file paths, {len(found)} of {len(probed)} probed")


def _bytes_role(name, values):
    kinds = {_header_kind(bytes(value[:16])) for value in values}
    if len(kinds) == 1 and None not in kinds:
        kind = kinds.pop()
        return ColumnRole(name, kind, f"encoded {kind} files (bytes)")
    raise ValueError(
        f"Column {name!r} holds bytes that are not all images, all audio or all video "
        "files skmm can decode (PNG, JPEG, GIF, BMP, TIFF, WebP; WAV, FLAC, Ogg, MP3; MP4, "
        "WebM, Matroska, AVI); give it a role."
    )


def _all_parse(values, parse):
    """Whether every value parses (the first 200 tried alone first: a text column fails
    there, without parsing a long column whole)."""
    head = pd.Series(values[:200])
    if not parse(head).notna().all():
        return False
    return len(values) <= 200 or bool(parse(pd.Series(values)).notna().all())


def _numbers(series):
    return pd.to_numeric(series, errors="coerce")


def _iso_dates(series):
    return pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)


def _string_role(name, values):
    if _all_parse(values, _numbers):
        return ColumnRole(name, "numeric", "strings that are all numbers")
    if _all_parse(values, _iso_dates):
        return ColumnRole(name, "datetime", "strings that are all ISO 8601 dates")
    distinct = len(set(values))
    if distinct <= MAX_CATEGORIES and distinct <= len(values) / 2:
        return ColumnRole(name, "categorical", f"strings, {distinct} distinct values")
    return ColumnRole(name, "text", f"strings, {distinct} distinct of {len(values)}")


def _object_role(name, column, root):
    present = [value for value in column.tolist() if not _is_missing(value)]
    types = {type(value) for value in present}
    if types <= {str}:
        values = [value for value in present if value.strip()]
        if not values:
            raise ValueError(f"Column {name!r} holds only empty strings; drop it.")
        return _paths_role(name, values, root) or _string_role(name, values)
    if types <= {bytes, bytearray}:
        return _bytes_role(name, present)
    if types <= {bool, np.bool_}:
        return ColumnRole(name, "categorical", "booleans with missing values")
    if all(isinstance(value, np.ndarray) and value.ndim in (2, 3) for value in present):
        return ColumnRole(name, "image", "arrays of 2 or 3 axes (pixels)")
    kinds = sorted({t.__name__ for t in types})
    if len(kinds) == 1:
        raise ValueError(
            f"Column {name!r} holds {kinds[0]} values ({present[0]!r:.60}), which no role "
            "reads: convert them to text, numbers or dates, or drop the column."
        )
    first = next(
        (row, value)
        for row, value in zip(column.index, column.tolist(), strict=True)
        if not _is_missing(value) and type(value) is not str
    )
    raise ValueError(
        f"Column {name!r} mixes values of types {', '.join(kinds)} (row {first[0]!r} holds "
        f"{type(first[1]).__name__} {first[1]!r:.60}); convert it to one type (such as "
        "astype(str) for text or categories) or give it a role."
    )


def _is_missing(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and bool(np.isnan(value))


def _column_role(name, column, root):
    dtype = column.dtype
    if column.isna().all():
        raise ValueError(f"Column {name!r} holds no value (every row is missing); drop it.")
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnRole(name, "categorical", "booleans")
    if isinstance(dtype, pd.CategoricalDtype):
        return ColumnRole(name, "categorical", "a pandas categorical")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnRole(name, "datetime", "dates and times")
    if pd.api.types.is_timedelta64_dtype(dtype):
        raise ValueError(
            f"Column {name!r} holds durations; convert them to numbers first (such as "
            "column.dt.total_seconds())."
        )
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return ColumnRole(name, "numeric", "numbers")
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return _object_role(name, column, root)
    raise ValueError(
        f"Column {name!r} has dtype {dtype}, which skmm cannot read; convert it to numbers, "
        "strings or dates, or drop it."
    )


def infer_column_roles(X, *, root=None, roles=None):
    """The role of every column of a raw table, by fixed rules.

    In column order, each column gets the first role whose rule holds
    (missing cells are left out of every rule):

    1. booleans, and pandas categoricals: ``categorical``;
    2. dates and times: ``datetime``;
    3. numbers: ``numeric``;
    4. strings that all end in an image, audio or video file extension:
       ``image``, ``audio`` or ``video`` when at least one of the first
       `PROBED_FILES` files exists (under ``root``) and every one found has
       that kind's header; an error when none exists, and for URLs (skmm
       never downloads);
    5. bytes: ``image``, ``audio`` or ``video`` by their header (an error
       otherwise);
       NumPy arrays of 2 or 3 axes: ``image``;
    6. strings that all parse as numbers: ``numeric``; as ISO 8601 dates
       (``"2024-03-01"``, ``"2024-03-01 12:30"``): ``datetime``;
    7. other strings: ``categorical`` when there are at most
       `MAX_CATEGORIES` distinct values and each repeats on average
       (at most half as many distinct values as values), else ``text``.

    A column missing in every row, of empty strings, of durations, or mixing
    types is an error that names it and says what to do.

    Parameters
    ----------
    X : pandas.DataFrame or polars.DataFrame
        The table (its target column left out).
    root : str or path-like, default=None
        The folder relative file paths are read from (the working directory
        when None).
    roles : dict of str to str, default=None
        Roles to use instead of the inferred ones, by column.

    Returns
    -------
    roles : list of ColumnRole
        One per column, in the table's order.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.compose import infer_column_roles
    >>> X = pd.DataFrame({
    ...     "review": ["soft and warm", "too small", "lovely colour", "fell apart"],
    ...     "size": ["S", "M", "S", "M"],
    ...     "price": [20.0, 35.5, None, 12.0],
    ... })
    >>> [(r.column, r.role) for r in infer_column_roles(X)]
    [('review', 'text'), ('size', 'categorical'), ('price', 'numeric')]
    """
    from .._dataframes import as_pandas

    X = as_pandas(X, "infer_column_roles")
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"infer_column_roles reads a pandas or polars DataFrame; got {type(X).__name__}."
        )
    if X.shape[1] == 0:
        raise ValueError("The table has no column.")
    names = [str(column) for column in X.columns]
    if len(set(names)) != len(names):
        raise ValueError("The table's column names are not unique; rename the duplicates.")
    given = dict(roles or {})
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"roles names columns the table does not have: {unknown}.")
    bad = {column: role for column, role in given.items() if role not in ROLES}
    if bad:
        raise ValueError(f"Unknown roles {bad}; a role is one of {', '.join(ROLES)}.")
    result = []
    for position, name in enumerate(names):
        if name in given:
            result.append(ColumnRole(name, given[name], "given"))
        else:
            result.append(_column_role(name, X.iloc[:, position], root))
    return result


def make_multimodal_input(X, *, root=None, roles=None):
    """A [`MultimodalInput`][skmm.compose.MultimodalInput] for a raw table, its roles inferred.

    Numeric columns make one block (``numeric``: missing values imputed by
    the median with an indicator column, then standardized); date columns
    one (``datetime``: [`DatetimeFeatures`][skmm.preprocessing.DatetimeFeatures], then
    the same); categorical columns one (``categorical``: one-hot, unknown
    values ignored, missing values a category of their own); each text,
    image, audio and video column a block of its own, named after the column,
    with [`TextTokenizer`][skmm.preprocessing.TextTokenizer],
    [`ImageNormalizer`][skmm.preprocessing.ImageNormalizer] (reading from ``root``),
    [`AudioFeaturizer`][skmm.preprocessing.AudioFeaturizer] or
    [`VideoFrames`][skmm.preprocessing.VideoFrames] (reading from ``root``) at their
    defaults (a missing cell is a missing modality).

    Parameters
    ----------
    X : pandas.DataFrame or polars.DataFrame
        The table, to read the roles from (not fitted here).
    root : str or path-like, default=None
        The folder relative file paths are read from.
    roles : dict of str to str, default=None
        Roles to use instead of the inferred ones, by column.

    Returns
    -------
    multimodal_input : MultimodalInput
        Unfitted.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.compose import make_multimodal_input
    >>> X = pd.DataFrame({
    ...     "review": ["soft and warm", "too small", "lovely colour", "fell apart"],
    ...     "size": ["S", "M", "S", "M"],
    ...     "price": [20.0, 35.5, None, 12.0],
    ... })
    >>> blocks = make_multimodal_input(X).fit_transform(X)
    >>> {name: spec.kind for name, spec in blocks.specs.items()}
    {'numeric': 'tabular', 'categorical': 'tabular', 'review': 'text'}
    """
    return input_for_roles(infer_column_roles(X, root=root, roles=roles), root=root)


def input_for_roles(column_roles, *, root=None):
    """The unfitted [`MultimodalInput`][skmm.compose.MultimodalInput] of
    [`make_multimodal_input`][skmm.compose.make_multimodal_input]
    for roles already inferred (a list of [`ColumnRole`][skmm.compose.ColumnRole])."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from ..preprocessing import (
        AudioFeaturizer,
        DatetimeFeatures,
        ImageNormalizer,
        TextTokenizer,
        VideoFrames,
    )
    from ._multimodal_input import MultimodalInput

    by_role = {role: [r.column for r in column_roles if r.role == role] for role in ROLES}

    def scaled(*steps):
        return make_pipeline(
            *steps, SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
        )

    transformers = []
    if by_role["numeric"]:
        transformers.append(("numeric", scaled(), by_role["numeric"]))
    if by_role["datetime"]:
        transformers.append(("datetime", scaled(DatetimeFeatures()), by_role["datetime"]))
    if by_role["categorical"]:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", encoder, by_role["categorical"]))
    makers = {
        "text": TextTokenizer,
        "image": lambda: ImageNormalizer(root=root),
        "audio": AudioFeaturizer,
        "video": lambda: VideoFrames(root=root),
    }
    used = {name for name, _, _ in transformers}
    for role in column_roles:
        if role.role in makers:
            name = _block_name(role.column, used)
            transformers.append((name, makers[role.role](), role.column))
    return MultimodalInput(transformers)


def is_raw_table(X):
    """Whether ``X`` is a pandas DataFrame with a column that is not plain numbers
    (strings, categories, booleans, dates, objects): a table whose roles
    [`infer_column_roles`][skmm.compose.infer_column_roles] reads."""
    if not isinstance(X, pd.DataFrame):
        return False
    return any(
        pd.api.types.is_bool_dtype(dtype)
        or not pd.api.types.is_numeric_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        for dtype in X.dtypes
    )


def describe_roles(column_roles):
    """The roles as a few lines of text, one column a line (what ``verbose`` prints)."""
    width = max(len(repr(role.column)) for role in column_roles)
    lines = ["columns read as:"]
    lines += [
        f"  {role.column!r:<{width}}  {role.role:<11}  ({role.reason})" for role in column_roles
    ]
    return "\n".join(lines)


def _block_name(column, used):
    """A block name from a column name: letters, digits and underscores, unique."""
    base = re.sub(r"_+", "_", re.sub(r"[^0-9A-Za-z_]", "_", column)).strip("_") or "column"
    if base[0].isdigit():
        base = f"column_{base}"
    name, suffix = base, 2
    while name in used:
        name, suffix = f"{base}_{suffix}", suffix + 1
    used.add(name)
    return name
