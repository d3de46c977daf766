"""The `nnzoo` command line.

```
nnzoo list [PATTERN]                       registered models and bundled datasets
nnzoo train MODEL --data DATA --out FILE   train, test and save a model
nnzoo evaluate FILE --data DATA            score a saved model
nnzoo tune MODEL --data DATA               search hyperparameters, save the best model
nnzoo export FILE [--quantize MODE]        a verified TFLite file for mobile
nnzoo doctor                               installed versions against supported ranges
nnzoo quickstart                           CNN on digits, end to end, in seconds
```

Every command takes `--json` (before or after its name) for
machine-readable output: stdout then holds one JSON document and nothing
else. Bad input (a missing file, an unknown column or model, a file that is
not a Keras model) prints one line on stderr and exits with status 2;
`--traceback` shows the full error instead. TensorFlow's start-up notices
are filtered out of stderr (see `nnzoo/_startup.py`); its errors are not.

Training goes through the library's recipe, `nnzoo.training.train`, and
the option lists and defaults come from the library, so `nnzoo train` and
the same call in Python give the same model.

Adding a command is one function: decorate it with `@command(name, help,
*arguments)`; it receives the parsed arguments and an `Output`, and returns
the exit status. This module imports nothing heavy: TensorFlow loads only
inside the commands that train or load a model, so `nnzoo --help` is instant.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from nnzoo import _options

PROG = "nnzoo"

#: Exit statuses.
OK, PROBLEMS, BAD_INPUT = 0, 1, 2


def _choices(options: Sequence[str | None]) -> tuple[str, ...]:
    """A library option tuple as command-line choices (None is spelled "none")."""
    return tuple("none" if o is None else o for o in options)


def _option(choice: str) -> str | None:
    """A command-line choice back as the library's value ("none" is None)."""
    return None if choice == "none" else choice


class UsageError(Exception):
    """Bad input on the command line: reported in one line, exit status 2."""


# ---------------------------------------------------------------------------
# Command registry


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: tuple
    run: Callable[[argparse.Namespace, Output], int]
    description: str = ""


_COMMANDS: dict[str, Command] = {}


def arg(*flags: str, **kwargs: Any) -> tuple:
    """One `add_argument` call, as data: `arg("--epochs", type=int, default=50)`."""
    return (flags, kwargs)


def command(name: str, help: str, *arguments: tuple):
    """Registers `fn(args, out) -> exit status` as the subcommand `name`.

    The function's docstring becomes the subcommand's `--help` description;
    every command also gets `--json`. A command that needs TensorFlow calls
    `_load_tensorflow()` once its cheap checks have passed.
    """

    def decorator(fn: Callable[[argparse.Namespace, Output], int]):
        doc = inspect.cleandoc(fn.__doc__ or "")
        _COMMANDS[name] = Command(name, help, tuple(arguments), fn, doc)
        return fn

    return decorator


class Output:
    """Human text, or one JSON document with `--json`."""

    def __init__(self, json_mode: bool = False, stream=None):
        self.json_mode = json_mode
        self.stream = stream

    def _write(self, text: str) -> None:
        print(text, file=self.stream or sys.stdout, flush=True)

    def say(self, *lines: str) -> None:
        """Prints text lines (skipped with `--json`)."""
        if not self.json_mode:
            for line in lines:
                self._write(line)

    def table(self, rows: Sequence[tuple[str, Any]], title: str | None = None) -> None:
        """Prints `(label, value)` rows as an aligned two-column table (skipped with `--json`)."""
        if self.json_mode or not rows:
            return
        width = max(len(str(k)) for k, _ in rows)
        lines = [title] if title else []
        lines += [f"  {str(k):<{width}}  {_fmt(v)}" for k, v in rows]
        self.say(*lines)

    def data(self, payload: dict[str, Any]) -> None:
        """Prints `payload` as JSON (only with `--json`)."""
        if self.json_mode:
            self._write(json.dumps(payload, indent=2, default=_json_default))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) and abs(value) < 1e5 else f"{value:.4g}"
    return str(value)


def _json_default(value: Any):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


# ---------------------------------------------------------------------------
# Parser and entry point


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="nnzoo: well-built Keras 3 neural networks in one call.",
        epilog="Run 'nnzoo COMMAND --help' for a command's options. Start with: nnzoo quickstart",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument("--traceback", action="store_true", help="show the full error instead of one line")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for cmd in _COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        for flags, kwargs in cmd.arguments:
            p.add_argument(*flags, **kwargs)
        # SUPPRESS: an absent subcommand flag keeps `nnzoo --json COMMAND`'s value.
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                       help="print one JSON document instead of text")
        p.set_defaults(_run=cmd.run)
    return parser


def _version() -> str:
    from nnzoo import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`).

    Returns:
        0 on success, 1 when `doctor` finds problems, 2 for bad input.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return BAD_INPUT
    out = Output(json_mode=args.json)
    try:
        return args._run(args, out)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except (UsageError, ValueError, TypeError, OSError, ImportError) as err:
        if args.traceback:
            raise
        print(f"{PROG} {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return BAD_INPUT


def _load_tensorflow() -> None:
    """Loads Keras and TensorFlow without their start-up notices (see `nnzoo/_startup.py`).

    Commands call it after their cheap checks, so bad input is refused
    before the seconds TensorFlow takes to load.
    """
    from nnzoo._startup import load_keras_quietly

    load_keras_quietly()


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 600 else text[:597] + "..."


# ---------------------------------------------------------------------------
# Data and models, shared by the commands

_DATA_ARGS = (
    arg("--data", required=True, metavar="DATA",
        help="a bundled dataset (digits, breast_cancer, wine, iris, diabetes, sines) or a .csv file"),
    arg("--target", metavar="COL", help="target column of a CSV file"),
    arg("--test-size", type=float, default=None, metavar="F",
        help="fraction of rows held out for testing (default 0.2; 0 = none)"),
    arg("--seed", type=int, default=None, metavar="N", help="seed of the split and of training (default 0)"),
)


def _load_data(source: str, target: str | None, test_size: float, seed: int, preprocessor=None):
    """(train, test) Datasets for a bundled name or a CSV file; test is None when test_size is 0."""
    from nnzoo import datasets

    split = test_size if test_size else None
    if source in datasets.DATASETS:
        if target:
            raise UsageError(f"--target applies to CSV files only; the bundled dataset {source!r} has its own target")
        parts = datasets.load(source, test_size=split, seed=seed)
    elif os.path.exists(source) or source.lower().endswith(".csv"):
        if os.path.isdir(source):
            raise UsageError(f"--data {source!r} is a folder; expected a .csv file or a bundled dataset name")
        if not os.path.exists(source):
            raise UsageError(f"the data file {source!r} does not exist")
        if target is None and preprocessor is None:
            raise UsageError("--target COL is required with a CSV file: the column to predict")
        parts = datasets.from_csv(source, target, test_size=split, seed=seed, preprocessor=preprocessor)
    else:
        from nnzoo._validation import suggest

        raise UsageError(
            f"unknown dataset {source!r}.{suggest(source, list(datasets.DATASETS))} Expected one of "
            + ", ".join(datasets.DATASETS) + ", or the path of a .csv file"
        )
    return parts if split else (parts, None)


def _check_model_fits(entry, data, source: str) -> None:
    """Fails early, in words, when a model cannot take the data."""
    wanted = {"image": "images such as --data digits", "sequence": "sequences such as --data sines"}
    if entry.input_kind in wanted and data.kind != entry.input_kind:
        raise UsageError(
            f"model {entry.name!r} takes {entry.input_kind} input, but --data {source} is {data.kind} data; "
            f"expected {wanted[entry.input_kind]}, or a tabular model such as 'ffnn'"
        )
    if entry.supervised and data.task not in entry.tasks:
        raise UsageError(
            f"model {entry.name!r} does not do {data.task}; it does " + ", ".join(entry.tasks)
        )


def _as_reconstruction(data):
    return None if data is None else replace(data, y=data.X, task="reconstruction", target_names=None)


@dataclass
class _Run:
    """What `_train` did."""

    model: Any
    history: dict
    fit_seconds: float
    epochs_run: int
    best_epoch: int | None
    evaluation: Any


def _train(entry, train, test, *, epochs: int, batch_size: int, schedule: str, validation_split: float,
           patience: int, learning_rate: float | None, seed: int, verbose: int) -> _Run:
    """Builds `entry` for `train`, trains it with the library's recipe, scores it on `test`."""
    _load_tensorflow()
    import keras

    import nnzoo
    from nnzoo.evaluation import evaluate
    from nnzoo.training import train as train_recipe

    keras.utils.set_random_seed(seed)
    extra = {} if learning_rate is None else {"learning_rate": learning_rate}
    model = nnzoo.build(entry.name, train.input_shape, **train.build_kwargs(), **extra)
    # Too few rows to hold any out: watch the training loss instead of failing.
    use_val = validation_split > 0 and int(len(train) * validation_split) >= 1
    start = time.perf_counter()
    history = train_recipe(
        model, train.X, train.y,
        epochs=epochs, batch_size=batch_size, validation_split=validation_split if use_val else 0.0,
        patience=patience, schedule=_option(schedule), seed=seed, verbose=verbose,
    )
    seconds = time.perf_counter() - start
    logs = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    watched = logs.get("val_loss" if use_val else "loss") or []
    best = int(min(range(len(watched)), key=watched.__getitem__)) + 1 if watched else None
    result = evaluate(model, test) if test is not None else None
    return _Run(model, logs, seconds, len(watched), best, result)


def _check_out(path: str, *, suffix: str = ".keras", name: str = "--out") -> str:
    """Refuses, before any training, an output path that cannot be written (see `check_output_path`)."""
    from nnzoo._validation import check_output_path

    return check_output_path(path, suffix=suffix, name=name)


def _sidecar_paths(model_path: str) -> tuple[str, str]:
    """(metadata JSON, preprocessor JSON) paths beside a `.keras` file."""
    stem = model_path[: -len(".keras")] if model_path.endswith(".keras") else model_path
    return stem + ".nnzoo.json", stem + ".preprocessor.json"


def _load_preprocessor(model_path: str, name):
    """The preprocessor a model's metadata names, read only from the model's own folder.

    The name comes from a file, so it is checked: it must stay inside the
    model's folder (no absolute path, no `..`, no link out), and an old
    pickle (`.pkl`) is refused unread by `Preprocessor.load`.
    """
    from nnzoo._io import resolve_inside
    from nnzoo.datasets import Preprocessor

    path = resolve_inside(os.path.dirname(os.path.abspath(model_path)), name, what="preprocessor file")
    return Preprocessor.load(path)  # JSON only: refuses a pickle unread


def _save_all(run: _Run, path: str, *, model_name: str, source: str, train, test_size: float, seed: int,
              target: str | None) -> dict[str, str]:
    """Saves the model, its preprocessor and a metadata file, each atomically; returns where they went."""
    from nnzoo import save_model
    from nnzoo._io import atomic_write_text

    meta_path, pre_path = _sidecar_paths(path)
    files = {"model": os.path.abspath(save_model(run.model, path))}
    if train.preprocessor is not None:
        files["preprocessor"] = os.path.abspath(train.preprocessor.save(pre_path))
    meta = {
        "nnzoo_version": _version(),
        "model": model_name,
        "data": source,
        "target": target,
        "task": train.task,
        "target_names": None if train.target_names is None else list(train.target_names),
        "input_shape": list(train.input_shape),
        "test_size": test_size,
        "seed": seed,
        "preprocessor": os.path.basename(pre_path) if "preprocessor" in files else None,
        "test": None if run.evaluation is None else run.evaluation.to_dict(),
    }
    atomic_write_text(meta_path, json.dumps(meta, indent=2, default=_json_default) + "\n")
    files["metadata"] = os.path.abspath(meta_path)
    return files


def _verbose(out: Output) -> int:
    """Keras verbosity: a progress bar on a terminal, one line per epoch in a log, silent for JSON."""
    if out.json_mode:
        return 0
    return 1 if sys.stdout.isatty() else 2


def _metric_rows(evaluation) -> list[tuple[str, Any]]:
    return [(f"test {k}", v) for k, v in evaluation.metrics.items()]


# ---------------------------------------------------------------------------
# Commands


@command("list", "list registered models and bundled datasets",
         arg("pattern", nargs="?", default=None, help="wildcard filter, e.g. 'cnn*'"))
def _cmd_list(args: argparse.Namespace, out: Output) -> int:
    """List the registered models (name, input kind, description) and the bundled datasets."""
    import nnzoo
    from nnzoo.datasets import DATASETS

    names = nnzoo.list_models(args.pattern)
    if not names:
        raise UsageError(f"no model matches {args.pattern!r}; run 'nnzoo list' for all names")
    entries = [nnzoo.get_entry(n) for n in names]
    out.data({
        "models": [{"name": e.name, "family": e.family, "input_kind": e.input_kind, "tasks": list(e.tasks),
                    "example_input_shape": list(e.example_input_shape), "description": e.description}
                   for e in entries],
        "datasets": [{"name": k, "description": v} for k, v in DATASETS.items()],
    })
    width = max(len(e.name) for e in entries)
    out.say("models:")
    out.say(*(f"  {e.name:<{width}}  {e.input_kind:<8}  {e.description}" for e in entries))
    out.say("", "datasets (--data):")
    width = max(len(k) for k in DATASETS)
    out.say(*(f"  {k:<{width}}  {v}" for k, v in DATASETS.items()))
    return OK


@command(
    "train", "train a model on a dataset or CSV file and save it",
    arg("model", metavar="MODEL", help="a registered model name (see 'nnzoo list')"),
    *_DATA_ARGS,
    arg("--epochs", type=int, default=50, metavar="N", help="maximum epochs; early stopping may end sooner (default 50)"),
    arg("--batch-size", type=int, default=32, metavar="N", help="batch size (default 32)"),
    arg("--learning-rate", type=float, default=None, metavar="LR", help="optimizer learning rate (default: the optimizer's)"),
    arg("--schedule", choices=_choices(_options.SCHEDULES), default="none", help="learning-rate schedule (default none: reduce on plateau)"),
    arg("--patience", type=int, default=10, metavar="N", help="early-stopping patience in epochs (default 10)"),
    arg("--validation-split", type=float, default=0.1, metavar="F",
        help="fraction of the training rows used to watch for overfitting (default 0.1)"),
    arg("--out", default=None, metavar="FILE.keras", help="where to save the model (default MODEL.keras)"),
)
def _cmd_train(args: argparse.Namespace, out: Output) -> int:
    """Train a model and save it.

    The data is split into train and test parts (stratified for classes);
    tabular features are scaled by a preprocessor fitted on the train part.
    Training uses early stopping (best weights restored), learning-rate
    reduction on plateau or a schedule, and stops on NaN. The test scores
    are printed, and three files are written (each atomically): the model
    (.keras), its preprocessor (.preprocessor.json, tables only) and a
    metadata file (.nnzoo.json) that 'nnzoo evaluate' reads.

    Examples:
      nnzoo train cnn --data digits --out digits.keras
      nnzoo train ffnn --data houses.csv --target price --schedule cosine
    """
    import nnzoo

    entry = nnzoo.get_entry(args.model)
    test_size, seed = _split_settings(args)
    path = _check_out(args.out or f"{entry.name}.keras")
    train, test = _training_data(entry, args, test_size, seed)

    out.say(f"Training {entry.name} on {args.data}: {len(train)} train rows"
            + (f", {len(test)} test rows" if test is not None else "") + f", task {train.task}")
    run = _train(entry, train, test, epochs=args.epochs, batch_size=args.batch_size, schedule=args.schedule,
                 validation_split=args.validation_split, patience=args.patience,
                 learning_rate=args.learning_rate, seed=seed, verbose=_verbose(out))
    files = _save_all(run, path, model_name=entry.name, source=args.data, train=train, test_size=test_size,
                      seed=seed, target=args.target)

    rows = [("model", entry.name), ("data", args.data), ("task", train.task),
            ("epochs run", f"{run.epochs_run} (best {run.best_epoch})"), ("fit seconds", f"{run.fit_seconds:.1f}")]
    if run.evaluation is not None:
        rows += _metric_rows(run.evaluation)
    rows += [(f"{k} file", v) for k, v in files.items()]
    out.say("")
    out.table(rows, title="Summary")
    out.data({
        "command": "train", "model": entry.name, "data": args.data, "task": train.task,
        "train_rows": len(train), "test_rows": 0 if test is None else len(test),
        "epochs_run": run.epochs_run, "best_epoch": run.best_epoch, "fit_seconds": run.fit_seconds,
        "history": run.history, "test": None if run.evaluation is None else run.evaluation.to_dict(),
        "files": files,
    })
    return OK


def _split_settings(args: argparse.Namespace) -> tuple[float, int]:
    """`(test_size, seed)` of `train` and `tune`, defaults filled in and checked."""
    test_size = 0.2 if args.test_size is None else args.test_size
    seed = 0 if args.seed is None else args.seed
    _check_ranges(args, test_size)
    return test_size, seed


def _training_data(entry, args: argparse.Namespace, test_size: float, seed: int):
    """`(train, test)` for `entry`: loaded, checked against the model, inputs as targets for autoencoders."""
    train, test = _load_data(args.data, args.target, test_size, seed)
    _check_model_fits(entry, train, args.data)
    if not entry.supervised:
        train, test = _as_reconstruction(train), _as_reconstruction(test)
    return train, test


def _check_ranges(args: argparse.Namespace, test_size: float) -> None:
    if not 0 <= test_size < 1:
        raise UsageError(f"--test-size must be in [0, 1); got {test_size}")
    for name in ("epochs", "batch_size", "patience"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1; got {value}")
    split = getattr(args, "validation_split", None)
    if split is not None and not 0 <= split < 1:
        raise UsageError(f"--validation-split must be in [0, 1); got {split}")
    lr = getattr(args, "learning_rate", None)
    if lr is not None and not lr > 0:
        raise UsageError(f"--learning-rate must be positive; got {lr}")


@command(
    "evaluate", "score a saved model on a dataset or CSV file",
    arg("model_file", metavar="FILE.keras", help="a model saved by 'nnzoo train' (or any .keras file)"),
    *_DATA_ARGS,
)
def _cmd_evaluate(args: argparse.Namespace, out: Output) -> int:
    """Score a saved model.

    By default the model is scored on the same held-out rows 'nnzoo train'
    kept back: the split settings and the fitted preprocessor are read from
    the files written beside the model. For a file of new rows only, pass
    --test-size 0 to score every row.

    Example:
      nnzoo evaluate digits.keras --data digits
    """
    from nnzoo.evaluation import evaluate

    path = args.model_file
    _check_keras_file(path)
    meta, train, test, test_size, seed = _saved_model_data(args, path)
    data = test if test is not None else train
    if data.y is None:
        raise UsageError(f"--data {args.data} has no target column to score against")

    model = _load_keras_model(path)
    _check_input_matches(model, data, args.data)
    if meta.get("task") == "reconstruction":
        data = _as_reconstruction(data)
    result = evaluate(model, data, task=meta.get("task"))

    out.table([("model file", os.path.abspath(path)), ("data", args.data), ("rows scored", len(data)),
               ("task", result.task)] + [(k, v) for k, v in result.metrics.items()], title="Evaluation")
    if result.confusion_matrix is not None:
        out.say("", "Confusion matrix (rows: true, columns: predicted):", _matrix_text(result))
    if result.report:
        out.say("", result.report.rstrip())
    out.data({"command": "evaluate", "model_file": os.path.abspath(path), "data": args.data,
              "test_size": test_size, "seed": seed, **result.to_dict()})
    return OK


def _check_input_matches(model, data, source: str) -> None:
    expected = tuple(model.input_shape[1:])
    if len(expected) != len(data.input_shape) or any(e not in (None, d) for e, d in zip(expected, data.input_shape)):
        raise UsageError(f"the model takes inputs of shape {expected}, but --data {source} gives {data.input_shape}")


def _saved_model_data(args: argparse.Namespace, path: str):
    """Loads `--data` the way the saved model at `path` was trained on it.

    The split settings and the fitted preprocessor come from the files
    'nnzoo train' wrote beside the model, so the held-out rows are the same.

    Returns:
        `(meta, train, test, test_size, seed)`; `test` is None when
        `--test-size 0`.
    """
    meta = _read_meta(_sidecar_paths(path)[0])
    test_size = args.test_size if args.test_size is not None else meta.get("test_size", 0.2)
    seed = args.seed if args.seed is not None else meta.get("seed", 0)
    _check_ranges(args, test_size)
    target, preprocessor = None, None
    if _is_bundled(meta.get("data", "")) and not _is_bundled(args.data):
        raise UsageError(f"the model was trained on the bundled dataset {meta['data']!r}; "
                         f"use --data {meta['data']}")
    if not _is_bundled(args.data):
        if meta.get("preprocessor"):
            preprocessor = _load_preprocessor(path, meta["preprocessor"])
            if args.target and args.target != preprocessor.target:
                raise UsageError(f"the model was trained to predict {preprocessor.target!r}, not {args.target!r}")
        else:
            target = args.target or meta.get("target")
    train, test = _load_data(args.data, target, test_size, seed, preprocessor=preprocessor)
    return meta, train, test, test_size, seed


@command(
    "tune", "search a model's hyperparameters with keras-tuner, then save the best",
    arg("model", metavar="MODEL", help="a registered model name (see 'nnzoo list')"),
    *_DATA_ARGS,
    arg("--algorithm", choices=_options.ALGORITHMS, default=_options.DEFAULT_ALGORITHM,
        help=f"search algorithm (default {_options.DEFAULT_ALGORITHM})"),
    arg("--max-trials", type=int, default=10, metavar="N", help="trials in the search (default 10)"),
    arg("--epochs", type=int, default=20, metavar="N", help="maximum epochs per trial (default 20)"),
    arg("--batch-size", type=int, default=32, metavar="N", help="batch size (default 32)"),
    arg("--cv", type=int, default=None, metavar="K", help="k-fold cross-validation inside each trial"),
    arg("--jobs", type=int, default=None, metavar="N",
        help="trials trained at once, one worker process each with cores/N threads; -1: one per core (default 1)"),
    arg("--prune", type=float, default=None, metavar="MARGIN",
        help="stop a trial early once it is worse than the best trial by MARGIN in the objective (default off)"),
    arg("--directory", default="nnzoo_tuning", metavar="DIR", help="search state, resumable (default ./nnzoo_tuning)"),
    arg("--overwrite", action="store_true", help="start over instead of resuming"),
    arg("--out", default=None, metavar="FILE.keras", help="where to save the best model (default MODEL.tuned.keras)"),
)
def _cmd_tune(args: argparse.Namespace, out: Output) -> int:
    """Search hyperparameters, retrain the best, score it and save it.

    The train part of the data is searched (a stratified hold-out per
    trial, or --cv folds); the best configuration is retrained on it and
    scored on the test part. The search state lives in --directory: run
    the same command again to resume an interrupted search. The best model
    is saved like 'nnzoo train' saves, so 'nnzoo evaluate' and 'nnzoo
    export' work on it.

    Example:
      nnzoo tune ffnn --data wine --algorithm hyperband --max-trials 20
    """
    import nnzoo
    from nnzoo._io import check_writable_folder

    entry = nnzoo.get_entry(args.model)
    test_size, seed = _split_settings(args)
    if args.max_trials < 1:
        raise UsageError(f"--max-trials must be at least 1; got {args.max_trials}")
    path = _check_out(args.out or f"{entry.name}.tuned.keras")
    check_writable_folder(args.directory, what="tuning directory")  # before keras-tuner and TensorFlow load
    _load_tensorflow()
    from nnzoo.evaluation import evaluate
    from nnzoo.tuning import tune

    train, test = _training_data(entry, args, test_size, seed)
    out.say(f"Tuning {entry.name} on {args.data} ({args.algorithm}, up to {args.max_trials} trials): "
            f"{len(train)} train rows, task {train.task}")
    start = time.perf_counter()
    result = tune(
        entry.name, train.X, train.y if entry.supervised else None,
        algorithm=args.algorithm, max_trials=args.max_trials, epochs=args.epochs, batch_size=args.batch_size,
        cv=args.cv, directory=args.directory, overwrite=args.overwrite, seed=seed,
        verbose=0 if out.json_mode else 1, **({"task": train.task} if entry.supervised else {}),
        **{k: v for k, v in (("n_jobs", args.jobs), ("prune", args.prune)) if v is not None},  # else tune's defaults
    )
    seconds = time.perf_counter() - start
    evaluation = None if test is None else evaluate(result.model, test, task=train.task)
    run = _Run(model=result.model, history={}, fit_seconds=seconds, epochs_run=result.refit_epochs,
               best_epoch=None, evaluation=evaluation)
    files = _save_all(run, path, model_name=entry.name, source=args.data, train=train, test_size=test_size,
                      seed=seed, target=args.target)
    files["trials"] = os.path.abspath(result.table_path)

    rows = [("model", entry.name), ("trials", len(result.trials)), (f"best {result.objective}", result.best_score)]
    if args.prune is not None:
        rows.append(("pruned trials", result.pruned))
    rows += [(f"  {k}", v) for k, v in result.best_hyperparameters.items()]
    if evaluation is not None:
        rows += _metric_rows(evaluation)
    rows += [("seconds", f"{seconds:.1f}")] + [(f"{k} file", v) for k, v in files.items()]
    out.say("")
    out.table(rows, title="Summary")
    out.data({
        "command": "tune", "model": entry.name, "data": args.data, "task": train.task,
        "algorithm": args.algorithm, "trials": len(result.trials), "pruned": result.pruned, "objective": result.objective,
        "best_score": result.best_score, "best_hyperparameters": result.best_hyperparameters,
        "seconds": seconds, "test": None if evaluation is None else evaluation.to_dict(), "files": files,
    })
    return OK


@command(
    "export", "export a saved model to a verified TFLite file",
    arg("model_file", metavar="FILE.keras", help="a model saved by 'nnzoo train' (or any .keras file)"),
    arg("--out", default=None, metavar="FILE.tflite", help="where to write the file (default: the model's name, .tflite)"),
    arg("--quantize", choices=_choices(_options.QUANTIZE_MODES), default="none", help="quantization (default none: float32)"),
    arg("--data", default=None, metavar="DATA",
        help="bundled dataset or CSV: calibrates int8 and checks accuracy (default: the data the model was trained on)"),
    arg("--target", metavar="COL", help="target column of a CSV file"),
    arg("--test-size", type=float, default=None, metavar="F", help="held-out share (default: as in training, else 0.2)"),
    arg("--seed", type=int, default=None, metavar="N", help="seed of the split (default: as in training, else 0)"),
    arg("--allow-flex", action="store_true", help="allow TensorFlow (Flex) ops the LiteRT builtins lack"),
    arg("--camera", action="store_true",
        help="image models: the file takes camera frames (uint8 RGB), scaled to the training data's range inside"),
)
def _cmd_export(args: argparse.Namespace, out: Output) -> int:
    """Export a saved model to a TFLite file for mobile, and verify it.

    The file is run in the LiteRT interpreter and compared with the Keras
    model before it is renamed into place; a JSON sidecar beside it holds
    class names and input normalisation, and the file carries the same as
    TFLite Metadata (labels inside) for MediaPipe and mobile apps. With
    data (given, or the data 'nnzoo train' recorded), int8 is calibrated on training rows and the
    report shows the file's accuracy on the held-out rows.

    Example:
      nnzoo export digits.keras --quantize int8 --out digits.tflite
      nnzoo export digits.keras --camera    # runs on camera frames in MediaPipe
    """
    from nnzoo.export import to_tflite

    path = args.model_file
    _check_keras_file(path)
    target = _check_out(args.out or os.path.splitext(path)[0] + ".tflite", suffix=".tflite")
    meta = _read_meta(_sidecar_paths(path)[0])
    args.data = args.data or meta.get("data")
    quantize = _option(args.quantize)
    if quantize == "int8" and not args.data:
        raise UsageError("--quantize int8 needs calibration data: pass --data DATA")
    model = _load_keras_model(path)
    kwargs: dict[str, Any] = {}
    if args.data:
        meta, train, test, _, _ = _saved_model_data(args, path)
        held_out = test if test is not None else train
        _check_input_matches(model, held_out, args.data)
        kwargs["sample_data"] = held_out.X[:256]
        if meta.get("task") != "reconstruction" and held_out.y is not None:
            kwargs["labels"] = held_out.y[:256]
        if held_out.target_names is not None:
            kwargs["class_names"] = [str(n) for n in held_out.target_names]
        if held_out.input_normalization is not None:
            kwargs["input_normalization"] = held_out.input_normalization
        if quantize == "int8":
            kwargs["representative_data"] = train.X[:200]
    if args.camera:
        kwargs["camera"] = True
    from nnzoo._startup import filtered_stderr

    with filtered_stderr():  # LiteRT's per-interpreter XNNPACK notice; anything else passes
        report = to_tflite(model, target, quantize, builtins_only=not args.allow_flex, **kwargs)
    out.say(str(report))
    out.data({"command": "export", "model_file": os.path.abspath(path), **report.to_dict()})
    return OK


def _is_bundled(source: str) -> bool:
    from nnzoo.datasets import DATASETS

    return source in DATASETS


def _read_meta(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot read the metadata file {path!r}: {err}") from err
    return meta if isinstance(meta, dict) else {}


def _check_keras_file(path: str) -> None:
    import zipfile

    if not os.path.exists(path):
        raise UsageError(f"the model file {path!r} does not exist")
    if not os.path.isfile(path):
        raise UsageError(f"{path!r} is not a file; expected a .keras model file")
    if not path.endswith(".keras") or not zipfile.is_zipfile(path):
        raise UsageError(f"{path!r} is not a Keras model file; expected a .keras file written by model.save or nnzoo train")


def _load_keras_model(path: str):
    _load_tensorflow()
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True)  # no Lambda or other code from the file
    except Exception as err:  # any failure to load means the file is not a usable model
        raise UsageError(f"{path!r} is not a loadable Keras model: {_one_line(err)}") from err


def _matrix_text(result) -> str:
    cm = result.confusion_matrix
    labels = [str(x) for x in result.labels]
    width = max(max(len(x) for x in labels), len(str(int(cm.max()))))
    head = " " * (width + 2) + " ".join(f"{x:>{width}}" for x in labels)
    rows = [f"  {lab:>{width}} " + " ".join(f"{int(v):>{width}}" for v in row) for lab, row in zip(labels, cm)]
    return "\n".join([head, *rows])


#: Newest version of each dependency the suite has run on (the stack in
#: COMPAT.md); doctor notes newer installs. The supported ranges are not
#: here: the required ones are `nnzoo._compat.REQUIREMENTS` (which setup.cfg's
#: install_requires equals, by a test), the extras' come from setup.cfg.
TESTED = {"tensorflow": "2.21", "keras": "3.15", "scikit-learn": "1.9", "pandas": "3.1", "numpy": "2.4",
          "keras-tuner": "1.4", "ai-edge-litert": "2.3"}
#: The extras doctor reports on, and what each is for.
EXTRAS = {"litert": "export (TFLite verification)", "plots": "plots"}

_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?([^;)]*)\)?\s*(?:;(.*))?$")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_SPECIFIER = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One line of nnzoo's requirements: `name`, its specifiers, and the extra it belongs to (None: required)."""

    name: str
    specifiers: tuple[tuple[str, str], ...]
    extra: str | None


def requirements() -> list[Requirement]:
    """nnzoo's install requirements, then the `EXTRAS`' requirements.

    The required packages and their ranges are `nnzoo._compat.REQUIREMENTS`,
    the one table `setup.cfg`'s `install_requires` equals (a test checks), so
    doctor reports the upper bounds the private internals pin even when the
    installed package metadata predates them. The extras come from the
    package metadata (generated from setup.cfg on install), or from
    setup.cfg itself in a checkout that was never installed.

    Raises:
        UsageError: When neither the metadata nor setup.cfg can be found.
    """
    from importlib import metadata

    from nnzoo._compat import supported_versions

    try:
        installed = metadata.requires("nnzoo") or []
    except metadata.PackageNotFoundError:
        installed = _setup_cfg_requirements()
    extras = [line for line in installed if _EXTRA_MARKER.search(line.partition(";")[2])]
    lines = [f"{name}{spec}" for name, spec in supported_versions().items()] + extras
    seen, result = set(), []
    for line in lines:
        match = _REQUIREMENT.match(line)
        if not match:
            continue
        name, specs, marker = match.groups()
        extra = _EXTRA_MARKER.search(marker or "")
        extra = extra.group(1) if extra else None
        if (extra is not None and extra not in EXTRAS) or name.lower() in seen:
            continue
        seen.add(name.lower())
        pairs = tuple(m.groups() for m in map(_SPECIFIER.match, specs.split(",")) if m)
        result.append(Requirement(name, pairs, extra))
    return result


def _setup_cfg_requirements() -> list[str]:
    import configparser

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "setup.cfg")
    if not os.path.isfile(path):
        raise UsageError("nnzoo's package metadata is missing (and no setup.cfg beside it); "
                         "reinstall it: pip install nnzoo")
    cfg = configparser.ConfigParser()
    cfg.read(path, encoding="utf-8")

    def lines(text: str) -> list[str]:
        return [ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()]

    result = lines(cfg.get("options", "install_requires", fallback=""))
    for extra in cfg.options("options.extras_require") if cfg.has_section("options.extras_require") else ():
        result += [f'{ln}; extra == "{extra}"' for ln in lines(cfg.get("options.extras_require", extra))]
    return result


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


def _newer_than(installed: tuple[int, ...], tested: str) -> bool:
    tested_t = _version_tuple(tested)
    return installed[: len(tested_t)] > tested_t


def _unmet(version: str, specifiers: Sequence[tuple[str, str]]) -> str | None:
    """The first specifier `version` fails, as text ("needs >= 2.3"), or None when all hold."""
    have = _version_tuple(version)
    for op, wanted in specifiers:
        want = _version_tuple(wanted.rstrip(".*"))
        width = max(len(have), len(want))
        a, b = have + (0,) * (width - len(have)), want + (0,) * (width - len(want))
        ok = {
            ">=": a >= b, ">": a > b, "<": a < b, "<=": a <= b,
            "==": have[: len(want)] == want, "===": have[: len(want)] == want,
            "!=": have[: len(want)] != want,
            "~=": a >= b and have[: max(1, len(want) - 1)] == want[: max(1, len(want) - 1)],
        }[op]
        if not ok:
            return f"needs {op} {wanted}"
    return None


@command("doctor", "check installed versions against the supported ranges")
def _cmd_doctor(args: argparse.Namespace, out: Output) -> int:
    """Check the installed dependency versions against nnzoo's supported ranges.

    The ranges are nnzoo's own requirements (`nnzoo._compat.REQUIREMENTS`,
    the table setup.cfg equals; the extras' from setup.cfg). An upper bound
    is there because nnzoo relies on a private internal of that package; the
    report names them (`nnzoo._compat.INTERNALS`). Reads package metadata
    only (no dependency is imported). Exit status 1 when a required package
    is missing or out of its range; optional packages only add notes.
    """
    import platform
    from importlib import metadata

    from nnzoo._compat import INTERNALS

    pinned_for: dict[str, list[str]] = {}
    for internal in INTERNALS:
        pinned_for.setdefault(internal.package, []).append(internal.name)
    rows, report, problems, bounds = [], [], 0, []
    for req in requirements():
        optional_for = None if req.extra is None else EXTRAS[req.extra]
        tested = TESTED.get(req.name)
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            version = None
        unmet = None if version is None else _unmet(version, req.specifiers)
        if version is None:
            status = f"not installed (optional: {optional_for})" if optional_for else "MISSING (required)"
            problems += optional_for is None
        elif unmet:
            status = ("TOO OLD: " if unmet.startswith("needs >") else "UNSUPPORTED: ") + unmet
            problems += optional_for is None
        elif tested and _newer_than(_version_tuple(version), tested):
            status = f"ok (newer than tested {tested}.x)"
        else:
            status = "ok"
        spec = ", ".join(f"{op} {v}" for op, v in req.specifiers) or "any"
        supported = spec + (f", tested to {tested}.x" if tested else "")
        rows.append((req.name, f"{version or '-':<10} {supported:<34} {status}"))
        minimum = next((v for op, v in req.specifiers if op in (">=", "~=", "==")), None)
        maximum = next((f"{op} {v}" for op, v in req.specifiers if op in ("<", "<=")), None)
        internals = pinned_for.get(req.name, []) if maximum else []
        if maximum:
            bounds.append(f"  {req.name} {maximum}" + (f": {', '.join(internals)}" if internals else ""))
        report.append({"package": req.name, "installed": version, "requirement": spec, "minimum": minimum,
                       "upper_bound": maximum, "pinned_by_internals": internals,
                       "tested": tested, "required": optional_for is None, "optional_for": optional_for,
                       "status": status})
    python = platform.python_version()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow (default)")
    out.table([("python", python), ("keras backend", backend), *rows], title="nnzoo doctor")
    if bounds:
        out.say("", "Upper bounds, where nnzoo relies on private internals (nnzoo/_compat.py):", *bounds)
    out.say("", "All required packages are fine." if not problems else f"{problems} required package(s) need attention.")
    out.data({"command": "doctor", "python": python, "keras_backend": backend, "packages": report,
              "problems": problems})
    return OK if not problems else PROBLEMS


@command(
    "quickstart", "train a CNN on digits end to end, in seconds",
    arg("--out-dir", default="nnzoo-quickstart", metavar="DIR", help="folder for the files (default ./nnzoo-quickstart)"),
    arg("--epochs", type=int, default=15, metavar="N", help="maximum epochs (default 15)"),
    arg("--seed", type=int, default=0, metavar="N", help="seed of the split and of training (default 0)"),
)
def _cmd_quickstart(args: argparse.Namespace, out: Output) -> int:
    """Train the default CNN on scikit-learn's digits, evaluate it, and save it.

    Steps: load 1797 8x8 digit images; hold out 20% for testing (stratified);
    build nnzoo's 'cnn'; train with early stopping and learning-rate
    reduction; score the test images; save the model (.keras) and, when
    matplotlib is installed, the training curves and confusion matrix (.png).
    """
    import nnzoo
    from nnzoo import datasets

    _check_ranges(args, 0.2)
    folder = args.out_dir
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"--out-dir {folder!r} exists and is not a folder")
    _check_out(os.path.join(folder, "cnn_digits.keras"), name="--out-dir")
    entry = nnzoo.get_entry("cnn")
    train, test = datasets.load("digits", test_size=0.2, seed=args.seed)
    out.say(f"nnzoo quickstart: CNN on digits ({len(train)} train / {len(test)} test images of 8x8)")
    run = _train(entry, train, test, epochs=args.epochs, batch_size=32, schedule="none", validation_split=0.1,
                 patience=5, learning_rate=3e-3, seed=args.seed, verbose=_verbose(out))
    path = os.path.join(folder, "cnn_digits.keras")
    files = _save_all(run, path, model_name="cnn", source="digits", train=train, test_size=0.2, seed=args.seed,
                      target=None)
    files.update(_quickstart_plots(run, folder, out))
    accuracy = run.evaluation.metrics["accuracy"]
    out.say("")
    out.table([("test accuracy", accuracy), ("epochs run", f"{run.epochs_run} (best {run.best_epoch})"),
               ("fit seconds", f"{run.fit_seconds:.1f}")] + [(f"{k} file", v) for k, v in files.items()],
              title="Summary")
    out.say("", "Next: nnzoo evaluate " + files["model"] + " --data digits")
    out.data({"command": "quickstart", "model": "cnn", "data": "digits", "test_accuracy": accuracy,
              "epochs_run": run.epochs_run, "best_epoch": run.best_epoch, "fit_seconds": run.fit_seconds,
              "test": run.evaluation.to_dict(), "files": files})
    return OK


def _quickstart_plots(run: _Run, folder: str, out: Output) -> dict[str, str]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        out.say("(matplotlib is not installed: no plots; pip install nnzoo[plots])")
        return {}
    from nnzoo import plots

    history = os.path.join(folder, "history.png")
    confusion = os.path.join(folder, "confusion_matrix.png")
    plots.plot_history(run.history, path=history)
    plots.plot_confusion_matrix(run.evaluation, path=confusion)
    return {"history plot": os.path.abspath(history), "confusion plot": os.path.abspath(confusion)}
