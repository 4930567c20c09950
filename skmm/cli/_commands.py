"""The commands: ``fit``, ``predict`` and ``evaluate``."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._errors import DataError, ModelFileError, UsageError, data_errors, one_line
from ._evaluate import (
    check_metrics,
    default_metrics,
    json_report,
    needs_proba,
    score_predictions,
    summarize,
    text_report,
)
from ._model import TARGETS_ATTRIBUTE, load_model, model_columns
from ._pipeline import (
    ROLES,
    ColumnRoles,
    build_estimator,
    build_input,
    choose_task,
    estimator_params,
    split_names,
    target_values,
)
from ._predictions import predict_chunks, prediction_table, task_of
from ._progress import ProgressBar
from ._runtime import import_estimators
from ._tables import (
    STDIO,
    check_writable,
    data_directory,
    numeric_columns,
    read_table,
    require_columns,
    resolve_paths,
    write_table,
)


@dataclass
class Console:
    """Where a command writes: data to ``stdout``, the rest to ``stderr``.

    Attributes
    ----------
    stdout, stderr : file object
    progress : bool
        Whether to draw progress bars.
    quiet : bool
        Whether to hide notes (errors and warnings are always shown).
    debug : bool
        Whether TensorFlow's own logs are left on.
    """

    stdout: object
    stderr: object
    progress: bool
    quiet: bool
    debug: bool

    def note(self, message):
        """Write ``skmm: <message>`` to standard error, unless quiet."""
        if not self.quiet:
            self.stderr.write(f"skmm: {message}\n")
            self.stderr.flush()

    def bar(self, total, label, unit):
        """A progress bar on standard error, drawn when progress is on."""
        return ProgressBar(total, label, unit, self.stderr, enabled=self.progress)


def _source(path):
    return "standard input" if path == STDIO else path


def _read_data(args, string_columns=()):
    """The table ``DATA`` names, read with the command line's format options."""
    return read_table(
        args.data,
        args.input_format,
        string_columns,
        delimiter=args.delimiter,
        encoding=args.encoding,
    )


def _read_training_table(args, roles):
    """The table with the roles' columns checked, paths resolved, numbers converted."""
    table = _read_data(args, roles.string_columns)
    source = _source(args.data)
    require_columns(table, roles.targets, source, "--target")
    for role, columns in [*roles.by_role(), ("node", roles.node)]:
        require_columns(table, columns, source, f"--{role}")
    table = resolve_paths(table, roles.path_columns, data_directory(args.data))
    return numeric_columns(table, roles.numeric, source)


def _roles_table(roles, reasons):
    """What ``--show-roles`` prints: each column's role, and the rule that gave it."""
    rows = [(column, "target", "--target") for column in roles.targets]
    for role, columns in [*roles.by_role(), ("node", roles.node)]:
        for column in columns:
            rows.append((column, role, reasons.get(column, f"--{role}")))
    width = max(len(repr(column)) for column, _, _ in rows)
    lines = ["columns read as (inferred)" if roles.inferred else "columns read as"]
    lines += [f"  {column!r:<{width}}  {role:<11}  ({why})" for column, role, why in rows]
    return "\n".join(lines)


def _training_setup(args, console):
    """Read the data and build the unfitted pipeline for ``fit`` and ``evaluate``.

    Returns the column roles, the feature table, the target, the task, the
    pipeline, and the note telling how the task was inferred (None when given),
    which the caller states once the whole command line is found sound.
    """
    roles = ColumnRoles.from_args(args)
    if not roles.targets:
        raise UsageError("give the target column with --target")
    reasons = {}
    if getattr(args, "graph_edges", None) is not None and not roles.node:
        raise UsageError("--graph-edges needs --node: the column(s) of the rows' node ids")
    if not roles.role_features:
        if args.data == "-":
            raise UsageError(
                "the columns' roles are inferred from a file, not from standard input: give "
                "the data as a file, or the roles with --text, --image, --audio, --video, "
                "--numeric, --datetime, --categorical"
            )
        first = _read_data(args)
        require_columns(first, roles.targets, _source(args.data), "--target")
        inferred = roles.infer_features(first, data_directory(args.data))
        reasons = {role.column: role.reason for role in inferred}
    if args.show_roles:
        console.stdout.write(_roles_table(roles, reasons) + "\n")
        return None
    table = _read_training_table(args, roles)
    source = _source(args.data)
    task, note = choose_task(table, roles.targets, args.task)
    y = target_values(table, roles.targets, task, source)
    params = estimator_params(args)
    multimodal_input = build_input(roles, args)
    estimators = import_estimators(console.debug)
    estimator = build_estimator(task, params, estimators)
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(multimodal_input, estimator)
    return roles, table[roles.features], y, task, pipeline, note


def _epochs(pipeline):
    return int(pipeline.steps[-1][1].epochs)


def _fit_with_progress(pipeline, X, y, bar, offset=0, prefix=""):
    """Fit ``pipeline`` with an epoch callback on ``bar``; leave no callback behind."""
    from ..estimators._scikeras_adapter import reset_callbacks
    from ._keras_progress import EpochProgress

    estimator = pipeline.steps[-1][1]
    if not bar.enabled:
        pipeline.fit(X, y)
        return pipeline
    user_callbacks = estimator.callbacks
    estimator.set_params(callbacks=[EpochProgress(bar, offset=offset, prefix=prefix)])
    try:
        pipeline.fit(X, y)
    finally:
        estimator.set_params(callbacks=user_callbacks)
        # The fitted estimator keeps the callbacks it trained with; put back the user's,
        # so that the model file holds no object of this command line.
        reset_callbacks(estimator)
    return pipeline


def run_fit(args, console):
    """``skmm fit``: train a pipeline on a table and save it.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    console : Console
        Where to write.

    Returns
    -------
    exit_code : int
        0; failures raise a `CommandError`.
    """
    problem = check_writable(args.out, "model file")
    if problem:
        raise ModelFileError(problem)
    setup = _training_setup(args, console)
    if setup is None:  # --show-roles
        return 0
    roles, X, y, task, pipeline, note = setup
    if note:
        console.note(note)
    source = _source(args.data)
    with console.bar(_epochs(pipeline), "fit", "epochs") as bar, data_errors(source):
        _fit_with_progress(pipeline, X, y, bar)
    setattr(pipeline, TARGETS_ATTRIBUTE, list(roles.targets))
    from .. import save

    try:
        save(pipeline, args.out)
    except OSError as exc:
        raise ModelFileError(one_line(exc)) from exc
    console.note(f"saved {task} model of {', '.join(roles.targets)} to {args.out}")
    return 0


def _prediction_input(model, args):
    """The table to predict, with the model's columns checked and prepared."""
    roles, used = model_columns(model)
    table = _read_data(args, roles.string_columns)
    source = _source(args.data)
    require_columns(table, used, source, f"the model {args.model!r}")
    if getattr(args, "id", None) is not None:
        require_columns(table, [args.id], source, "--id")
    table = resolve_paths(table, roles.path_columns, data_directory(args.data))
    return numeric_columns(table, roles.numeric, source)


def run_predict(args, console):
    """``skmm predict``: predict a table with a saved model; write CSV.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    console : Console
        Where to write.

    Returns
    -------
    exit_code : int
        0; failures raise a `CommandError`.
    """
    if args.out not in (None, STDIO):
        problem = check_writable(args.out, "output file")
        if problem:
            raise DataError(problem)
    model = load_model(args.model, console.debug)
    if args.proba and task_of(model) != "classification":
        raise UsageError(f"--proba needs a classifier; {args.model!r} holds a regression model")
    table = _prediction_input(model, args)
    source = _source(args.data)
    n_chunks = -(-len(table) // args.chunk_size)
    with console.bar(n_chunks, "predict", "chunks") as bar, data_errors(source):
        y_pred, proba = predict_chunks(model, table, args.chunk_size, bar, proba=args.proba)
    ids = table[args.id] if args.id is not None else None
    output = prediction_table(model, y_pred, proba, ids)
    write_table(output, args.out, console.stdout, args.output_format)
    if args.out not in (None, STDIO):
        console.note(f"wrote {len(output)} predictions of {source} to {args.out}")
    return 0


def _splitter(task, n_targets, n_splits, random_state):
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification" and n_targets == 1:
        return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return KFold(n_splits=n_splits, shuffle=True, random_state=random_state)


def _metric_names(args, task, y):
    n_targets = 1 if y.ndim == 1 else y.shape[1]
    n_classes = int(y.nunique()) if task == "classification" and n_targets == 1 else None
    names = split_names(args.scoring) or default_metrics(task, n_classes, n_targets)
    check_metrics(names, task, n_targets)
    return names


def run_evaluate(args, console):
    """``skmm evaluate``: cross-validate a pipeline, or score a saved model.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    console : Console
        Where to write.

    Returns
    -------
    exit_code : int
        0; failures raise a `CommandError`.
    """
    if args.model is not None:
        return _evaluate_model(args, console)
    n_splits = 5 if args.cv is None else args.cv
    if n_splits < 2:
        raise UsageError(f"--cv must be at least 2; got {n_splits}")
    setup = _training_setup(args, console)
    if setup is None:  # --show-roles
        return 0
    roles, X, y, task, pipeline, note = setup
    source = _source(args.data)
    names = _metric_names(args, task, y)
    with_proba = needs_proba(names)
    n_targets = 1 if y.ndim == 1 else y.shape[1]
    splitter = _splitter(task, n_targets, n_splits, args.random_state)
    with data_errors(source):
        folds = list(splitter.split(X, y if n_targets == 1 else None))
    if note:
        console.note(note)
    from sklearn.base import clone

    fold_scores, seconds = [], []
    epochs = _epochs(pipeline)
    with console.bar(n_splits * epochs, "evaluate", "epochs") as bar, data_errors(source):
        for k, (train, test) in enumerate(folds):
            model = clone(pipeline)
            start = time.perf_counter()
            prefix = f"fold {k + 1}/{n_splits}"
            _fit_with_progress(
                model, X.iloc[train], y.iloc[train], bar, offset=k * epochs, prefix=prefix
            )
            seconds.append(time.perf_counter() - start)
            bar.update((k + 1) * epochs, note=prefix)
            X_test = X.iloc[test]
            y_pred = model.predict(X_test)
            proba = model.predict_proba(X_test) if with_proba else None
            fold_scores.append(
                score_predictions(
                    model, task, names, y.iloc[test], y_pred, proba, list(roles.targets)
                )
            )
    kind = type(splitter).__name__
    report = {
        "description": (
            f"{n_splits}-fold cross-validation ({kind}, shuffled), {task} of "
            f"{', '.join(roles.targets)} from {source} ({len(X)} rows)"
        ),
        "task": task,
        "targets": list(roles.targets),
        "n_rows": len(X),
        "cv": {
            "splitter": kind,
            "n_splits": n_splits,
            "shuffle": True,
            "random_state": args.random_state,
        },
        "metrics": summarize(fold_scores),
        "fit_seconds": [round(s, 3) for s in seconds],
    }
    _write_report(report, args, console)
    return 0


_MODEL_EVALUATE_CONFLICTS = (
    *ROLES,
    "node",
    "graph_edges",
    "task",
    "cv",
    "random_state",
    "epochs",
    "batch_size",
    "l2",
    "param",
    "block_param",
    "max_tokens",
    "sequence_length",
    "image_size",
)


def _evaluate_model(args, console):
    """``skmm evaluate --model``: score a saved model on labelled data."""
    given = [name for name in _MODEL_EVALUATE_CONFLICTS if getattr(args, name) is not None]
    if given:
        flags = ", ".join(f"--{name.replace('_', '-')}" for name in given)
        raise UsageError(
            f"{flags}: not used with --model, which evaluates the saved model as it is"
        )
    targets = split_names(args.target)
    if not targets:
        raise UsageError("give the target column with --target")
    model = load_model(args.model, console.debug)
    table = _prediction_input(model, args)
    source = _source(args.data)
    require_columns(table, targets, source, "--target")
    task = task_of(model)
    y = target_values(table, targets, task, source)
    names = _metric_names(args, task, y)
    with_proba = needs_proba(names)
    n_chunks = -(-len(table) // args.chunk_size)
    with console.bar(n_chunks, "predict", "chunks") as bar, data_errors(source):
        y_pred, proba = predict_chunks(model, table, args.chunk_size, bar, proba=with_proba)
        n_targets = 1 if np.asarray(y_pred).ndim == 1 else np.asarray(y_pred).shape[1]
        if n_targets != len(targets):
            raise DataError(
                f"{args.model!r} predicts {n_targets} target(s); --target names {len(targets)}"
            )
        scores = score_predictions(model, task, names, y, y_pred, proba, targets)
    report = {
        "description": (
            f"{args.model} on {source} ({len(table)} rows), {task} of {', '.join(targets)}"
        ),
        "task": task,
        "targets": targets,
        "n_rows": len(table),
        "cv": None,
        "metrics": {name: {"value": value} for name, value in scores.items()},
    }
    _write_report(report, args, console)
    return 0


def _write_report(report, args, console):
    text = json_report(report) if args.format == "json" else text_report(report)
    console.stdout.write(text)
    console.stdout.flush()


COMMANDS = {"fit": run_fit, "predict": run_predict, "evaluate": run_evaluate}
