"""From column roles and options to a MultimodalInput + estimator pipeline."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._errors import DataError, UsageError, one_line

#: Column roles, in the order their blocks are built.
ROLES = ("text", "image", "audio", "video", "numeric", "datetime", "categorical")
#: Roles whose columns hold one value per row for a block of its own (file paths or text).
PER_COLUMN_ROLES = ("text", "image", "audio", "video")
#: Roles whose columns hold file paths, resolved against the data file's directory.
PATH_ROLES = ("image", "audio", "video")
#: Integer targets with at most this many distinct values are taken as classes.
MAX_INFERRED_CLASSES = 20


def split_names(values):
    """Column names from repeated ``--flag a,b --flag c`` options, in order, once each.

    Parameters
    ----------
    values : list of str or None

    Returns
    -------
    names : list of str
    """
    names = []
    for value in values or ():
        for name in value.split(","):
            name = name.strip()
            if not name:
                raise UsageError(f"empty column name in {value!r}")
            if name not in names:
                names.append(name)
    return names


@dataclass
class ColumnRoles:
    """Which columns play which role, and which are the targets."""

    targets: list = field(default_factory=list)
    text: list = field(default_factory=list)
    image: list = field(default_factory=list)
    audio: list = field(default_factory=list)
    video: list = field(default_factory=list)
    numeric: list = field(default_factory=list)
    datetime: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    #: Graph node id columns (``--node``): one graph block, not a role of ``ROLES``.
    node: list = field(default_factory=list)
    #: Whether the feature roles were inferred from the table (no role option given).
    inferred: bool = False

    @classmethod
    def from_args(cls, args):
        """Read the roles from parsed options, refusing empty or overlapping ones."""
        roles = cls(
            targets=split_names(args.target),
            **{role: split_names(getattr(args, role)) for role in ROLES},
            node=split_names(getattr(args, "node", None)),
        )
        if len(roles.node) > 2:
            raise UsageError(
                f"--node takes one or two columns (a node; a pair such as user and item); got "
                f"{len(roles.node)}: {', '.join(roles.node)}"
            )
        seen = {}
        for role, columns in [("target", roles.targets), *roles.by_role(), ("node", roles.node)]:
            for column in columns:
                if column in seen:
                    raise UsageError(
                        f"column {column!r} is given both as --{seen[column]} and as --{role}"
                    )
                seen[column] = role
        return roles

    def by_role(self):
        """``(role, columns)`` for every feature role."""
        return [(role, getattr(self, role)) for role in ROLES]

    @property
    def features(self):
        """Every feature column (the node columns last)."""
        return [column for _, columns in self.by_role() for column in columns] + self.node

    @property
    def role_features(self):
        """The feature columns of the roles of ``ROLES`` (the node columns left out)."""
        return [column for _, columns in self.by_role() for column in columns]

    @property
    def string_columns(self):
        """Columns read as text from CSV: text, file paths, dates and categories."""
        return self.text + self.image + self.audio + self.video + self.datetime + self.categorical

    def infer_features(self, table, root):
        """Give every column of ``table`` but the targets the role
        [`skmm.compose.infer_column_roles`][skmm.compose.infer_column_roles] reads for it; return
        the
        inferred [`ColumnRole`][skmm.compose.ColumnRole] list.

        Raises
        ------
        DataError
            A column the rules cannot place (the message names it).
        """
        from ..compose import infer_column_roles

        features = [column for column in table.columns if column not in self.targets + self.node]
        if not features:
            raise UsageError("the table has no column besides the target(s)")
        try:
            inferred = infer_column_roles(table[features], root=root)
        except ValueError as exc:
            raise DataError(
                f"{one_line(exc)}; or give every column's role with --text, ..."
            ) from exc
        for role in inferred:
            getattr(self, role.role).append(role.column)
        self.inferred = True
        return inferred

    @property
    def path_columns(self):
        """Columns of image, audio and video file paths."""
        return self.image + self.audio + self.video


def parse_assignments(values, flag):
    """``NAME=VALUE`` options as a dict; each value a Python literal, else a string.

    Parameters
    ----------
    values : list of str or None
    flag : str
        The option, for messages (``"--param"``).

    Returns
    -------
    params : dict

    Examples
    --------
    >>> parse_assignments(["l2=1e-3", "hidden_units=(32, 16)", "fusion=gated"], "--param")
    {'l2': 0.001, 'hidden_units': (32, 16), 'fusion': 'gated'}
    """
    params = {}
    for item in values or ():
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"{flag} expects NAME=VALUE with a parameter name; got {item!r}")
        try:
            params[name] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            params[name] = text.strip()
    return params


def block_names(roles):
    """The block name of each role's columns: ``{(role, column or None): name}``.

    A role with one column names its block after the role (``text``,
    ``image``); several columns of a per-column role get ``<role>_<column>``
    (characters other than letters, digits and ``_`` become ``_``). Numeric
    and categorical columns make one block each, ``numeric`` and
    ``categorical``.
    """
    names = {}
    used = set()
    for role, columns in roles.by_role():
        if not columns:
            continue
        if role not in PER_COLUMN_ROLES:
            names[(role, None)] = role
            used.add(role)
            continue
        for position, column in enumerate(columns):
            if len(columns) == 1:
                name = role
            else:
                tail = re.sub(r"_+", "_", re.sub(r"[^0-9A-Za-z_]", "_", str(column))).strip("_")
                name = f"{role}_{tail or position}"
            base, suffix = name, 2
            while name in used:
                name, suffix = f"{base}_{suffix}", suffix + 1
            used.add(name)
            names[(role, column)] = name
    return names


def build_input(roles, options):
    """The [`MultimodalInput`][skmm.compose.MultimodalInput] for the column roles.

    Parameters
    ----------
    roles : ColumnRoles
    options : argparse.Namespace
        ``max_tokens``, ``sequence_length``, ``image_size``, ``missing_media``
        and ``block_param``.

    Returns
    -------
    multimodal_input : MultimodalInput
    """
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from .. import AudioFeaturizer, ImageNormalizer, MultimodalInput, TextTokenizer, VideoFrames
    from ..preprocessing import DatetimeFeatures

    text_params = {
        name: getattr(options, name)
        for name in ("max_tokens", "sequence_length")
        if getattr(options, name) is not None
    }
    text_params["missing"] = options.missing_media
    image_params = {"missing": options.missing_media}
    if options.image_size is not None:
        image_params["size"] = options.image_size
    makers = {
        "text": lambda: TextTokenizer(**text_params),
        "image": lambda: ImageNormalizer(**image_params),
        "audio": lambda: AudioFeaturizer(missing=options.missing_media),
        "video": lambda: VideoFrames(missing=options.missing_media),
        "numeric": StandardScaler,
        "datetime": lambda: make_pipeline(
            DatetimeFeatures(),
            SimpleImputer(strategy="median", add_indicator=True),
            StandardScaler(),
        ),
        "categorical": lambda: OneHotEncoder(handle_unknown="ignore"),
    }
    transformers = []
    for (role, column), name in block_names(roles).items():
        columns = column if column is not None else list(getattr(roles, role))
        transformers.append((name, makers[role](), columns))
    if roles.node:
        transformers.append(("graph", graph_block(roles, options), list(roles.node)))
    multimodal_input = MultimodalInput(transformers)
    block_params = parse_assignments(options.block_param, "--block-param")
    if block_params:
        blocks = [name for name, _, _ in transformers]
        for key in block_params:
            if key.split("__")[0] not in blocks or "__" not in key:
                raise UsageError(
                    f"--block-param {key}: expected BLOCK__PARAMETER with BLOCK one of "
                    f"{', '.join(blocks)}"
                )
        try:
            multimodal_input.set_params(**block_params)
        except ValueError as exc:
            raise UsageError(f"--block-param: {one_line(exc)}") from exc
    return multimodal_input


def graph_block(roles, options):
    """The ``GraphNeighborhood`` of ``--node`` and ``--graph-edges``."""
    from ..preprocessing import Graph, GraphNeighborhood

    path = getattr(options, "graph_edges", None)
    if path is None:
        if len(roles.node) != 2:
            raise UsageError(
                "--node with one column needs --graph-edges FILE (the graph); with two "
                "columns (user, item) the graph is the training rows' pairs"
            )
        return GraphNeighborhood(missing=options.missing_media)
    import pandas as pd

    try:
        edges = pd.read_parquet(path) if str(path).endswith(".parquet") else pd.read_csv(path)
    except (OSError, ValueError, ImportError) as exc:
        raise DataError(
            f"--graph-edges {path}: cannot read the edge list ({one_line(exc)})"
        ) from exc
    missing = [c for c in ("source", "target") if c not in edges.columns]
    if missing:
        raise DataError(
            f"--graph-edges {path}: the edge list needs the columns source and target; "
            f"{', '.join(missing)} missing (it has {', '.join(map(str, edges.columns))})"
        )
    weight = "weight" if "weight" in edges.columns else None
    try:
        graph = Graph.from_edges(edges, weight=weight, bipartite=len(roles.node) == 2)
    except ValueError as exc:
        raise DataError(f"--graph-edges {path}: {one_line(exc)}") from exc
    return GraphNeighborhood(graph, missing=options.missing_media)


def estimator_params(options):
    """Estimator parameters from the model options (unset options are left out).

    Parameters
    ----------
    options : argparse.Namespace

    Returns
    -------
    params : dict
    """
    params = {
        name: getattr(options, name)
        for name in ("epochs", "batch_size", "l2", "random_state")
        if getattr(options, name) is not None
    }
    for name, value in parse_assignments(options.param, "--param").items():
        if name in params and params[name] != value:
            raise UsageError(f"--param {name}={value!r} contradicts --{name.replace('_', '-')}")
        params[name] = value
    return params


def build_estimator(task, params, estimators):
    """The classifier or regressor with ``params``, its parameters checked.

    Parameters
    ----------
    task : {"classification", "regression"}
    params : dict
    estimators : module
        `skmm.estimators` (imported by the caller, quietly).

    Returns
    -------
    estimator : MultimodalClassifier or MultimodalRegressor
    """
    if task == "classification":
        cls = estimators.MultimodalClassifier
    else:
        cls = estimators.MultimodalRegressor
    if task == "regression" and "class_weight" in params:
        raise UsageError("--param class_weight applies to classification only")
    estimator = cls(**params)
    try:
        estimator._check_params()
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--param: {one_line(exc)}") from exc
    return estimator


def infer_task(target):
    """The task a target column calls for, and why.

    Text, boolean and categorical targets are classes; numbers with a
    fractional part are a regression target; whole numbers are classes when
    there are at most 20 distinct values, else a regression target.

    Parameters
    ----------
    target : pandas.Series

    Returns
    -------
    task : {"classification", "regression"}
    reason : str
    """
    values = target.dropna()
    distinct = values.nunique()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification", f"{distinct} distinct non-numeric values"
    numbers = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(numbers)) or np.any(numbers != np.round(numbers)):
        return "regression", "numbers with a fractional part"
    if distinct <= MAX_INFERRED_CLASSES:
        return "classification", f"{distinct} distinct whole numbers"
    return "regression", f"{distinct} distinct whole numbers (more than {MAX_INFERRED_CLASSES})"


def choose_task(table, targets, given):
    """The task for the targets: ``given``, or inferred from the target columns.

    Parameters
    ----------
    table : pandas.DataFrame
    targets : list of str
    given : {"classification", "regression"} or None

    Returns
    -------
    task : {"classification", "regression"}
    note : str or None
        What was inferred, to state on standard error (None when ``given``).
    """
    if given is not None:
        return given, None
    inferred = {target: infer_task(table[target]) for target in targets}
    tasks = {task for task, _ in inferred.values()}
    if len(tasks) > 1:
        listed = "; ".join(f"{t!r}: {task} ({why})" for t, (task, why) in inferred.items())
        raise UsageError(
            f"the targets call for different tasks ({listed}); one model learns one kind: "
            "pass --task, or fit one model per kind"
        )
    task = tasks.pop()
    reasons = ", ".join(f"{t!r} has {why}" for t, (_, why) in inferred.items())
    return task, f"task: {task} ({reasons}); pass --task to choose"


def target_values(table, targets, task, source):
    """The target as the estimator takes it: a Series, or a DataFrame for several.

    Parameters
    ----------
    table : pandas.DataFrame
    targets : list of str
    task : {"classification", "regression"}
    source : str
        The data file, for messages.

    Returns
    -------
    y : pandas.Series or pandas.DataFrame
    """
    frame = table[targets]
    for target in targets:
        column = frame[target]
        missing = column.isna().to_numpy()
        if missing.all():
            raise DataError(f"{source}: target column {target!r} is empty in every row")
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise DataError(
                f"{source}: target column {target!r}, row {row} is empty ({int(missing.sum())} "
                "row(s) affected); a missing target cannot be learned from: drop those rows"
            )
        if task == "regression":
            converted = pd.to_numeric(column, errors="coerce")
            bad = converted.isna().to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{source}: target column {target!r}, row {row} holds {column.iloc[row]!r}, "
                    "which is not a number; a regression target must be numeric (or pass "
                    "--task classification)"
                )
            frame = frame.assign(**{target: converted.astype(np.float64)})
        elif column.nunique() < 2:
            raise DataError(
                f"{source}: target column {target!r} has a single class "
                f"({column.iloc[0]!r}); classification needs at least 2"
            )
    return frame[targets[0]] if len(targets) == 1 else frame
