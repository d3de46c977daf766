"""Hyperparameter search over every zoo model, with keras-tuner.

- `hypermodel(name, input_shape, ...)` returns a `keras_tuner.HyperModel`
  whose space is the family's table in `nnzoo.tuning._spaces`, narrowed by
  fixed values or keras-tuner overrides.
- `tune(name, X, y, ...)` infers the task from the data, searches with one
  of keras-tuner's oracles (random, Hyperband, Bayesian, grid), scores each
  trial on a real held-out split or k-fold CV, retrains the best
  configuration on all the data, and returns a `TuneResult` with a table of
  every trial (also written to `<directory>/<project_name>/trials.csv`).

Past one process:

- Resume: with `overwrite=False` (the default) a search that was stopped,
  even by SIGKILL mid-trial, continues where it was. keras-tuner reloads
  finished trials from `trial_*/trial.json` and re-queues the trial that was
  RUNNING (same id, same values) ahead of new ones, so the total stays
  `max_trials`. nnzoo writes every state file atomically (keras-tuner writes
  them in place) and repairs the two states a kill between two of its
  writes can leave.
- Distributed search: the same `tune(...)` call, started as a chief and
  workers with keras-tuner's `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP`
  and `KERASTUNER_ORACLE_PORT`, shares one oracle over gRPC. The chief
  returns the full table and the retrained best model; each worker returns
  the trials it ran.
- Trials in parallel on one machine: `n_jobs=n` makes this process the
  chief on loopback and starts n workers (`nnzoo.tuning._parallel`).
- Distributed training: `strategy=` builds every model inside the
  strategy's scope; `MultiWorkerMirroredStrategy` trains through
  `nnzoo.tuning._fit` (Keras 3's `fit` fails with it).

keras-tuner loads only with this module, which `nnzoo.tuning` imports
lazily. On the TensorFlow backend keras-tuner's own `Tuner.run_trial`
imports tensorboard; `tune` replaces that method and does not, but a
`hypermodel()` searched with keras-tuner's tuners does.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import json
import logging
import math
import numbers
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras_tuner
import numpy as np

from nnzoo import _compat
from nnzoo._compile import active_backend, check_strategy_backend
from nnzoo._io import atomic_path, atomic_write_text, check_writable_folder
from nnzoo._options import ALGORITHMS, DEFAULT_ALGORITHM
from nnzoo._registry import get_entry
from nnzoo._validation import check_bool, check_choice, check_float, check_int, fail, fail_type, suggest
from nnzoo.tuning import _parallel
from nnzoo.tuning._data import Prepared, prepare
from nnzoo.tuning._fit import fit_model, is_multi_worker
from nnzoo.tuning._spaces import CONTEXT_ARGS, ResolvedSpace, resolve_space

CV_MODES = ("auto", "stacked", "sequential")
TABLE_FILE = "trials.csv"
#: Metrics every trial reports besides the validation metrics.
_BOOKKEEPING = ("best_epoch", "epochs_run", "seconds", "pruned")
_HYPERBAND_KEYS = {"tuner/epochs": "budget_epochs", "tuner/trial_id": "warm_start_trial"}


# --------------------------------------------------------------------------- hypermodel


class ZooHyperModel(keras_tuner.HyperModel):
    """A `keras_tuner.HyperModel` over one registered zoo model.

    Use `hypermodel(...)` to make one. It works with nnzoo's `tune` and with
    any keras-tuner tuner (`keras_tuner.RandomSearch(hm, ...)`).

    Attributes:
        model_name: The registry name it builds.
        input_shape: Input shape without the batch axis.
        context: `task` / `num_classes` / `num_outputs` passed to the factory.
        space: The resolved space (`space.names` are the tuned names,
            `space.fixed_values` and `space.factory_kwargs` the fixed ones).
    """

    def __init__(self, model_name: str, input_shape: tuple, context: Mapping[str, Any], space: ResolvedSpace):
        super().__init__(name=f"nnzoo_{model_name}", tunable=True)
        self.model_name = model_name
        self.input_shape = tuple(input_shape)
        self.context = dict(context)
        self.space = space

    def build(self, hp):
        """Declares the space on `hp` and builds the compiled model for its values."""
        values = {p.name: p.declare(hp) for p in self.space.params}
        return get_entry(self.model_name).build(self.input_shape, **self.build_kwargs(values))

    def build_kwargs(self, values: Mapping[str, Any]) -> dict:
        """Factory keyword arguments (context included) for a dict of tuned values."""
        tuned = {k: v for k, v in values.items() if k in self.space.names}
        return {**self.context, **self.space.to_kwargs(tuned)}


def hypermodel(
    name: str,
    input_shape,
    *,
    task: str | None = None,
    num_classes: int | None = None,
    num_outputs: int | None = None,
    hyperparameters: Any = None,
    **fixed: Any,
) -> ZooHyperModel:
    """Returns a keras-tuner `HyperModel` with the family's default search space.

    Each family declares its default space beside its builder, in
    `nnzoo/models/<family>/space.py` (`nnzoo.get_entry(name).space`), with
    its build limits (e.g. CNN blocks capped to what the image size allows).
    `hypermodel(...).space.names` lists what a space tunes for an input.

    Args:
        name: A registry name (`nnzoo.list_models()`); variants keep their
            preset for every argument the space does not tune.
        input_shape: Input shape without the batch axis.
        task: The factory's `task` (None: the factory's default).
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets.
        hyperparameters: Optional `keras_tuner.HyperParameters` whose entries
            replace the table's range for their name (e.g.
            `hp.Choice("units", [16, 32])`), or tune a factory argument the
            table leaves alone (e.g. `hp.Choice("optimizer", ["adam", "sgd"])`).
        **fixed: Values to hold fixed; each removes its name from the space.
            A tuned name fixes that hyperparameter (`units=64` still tunes
            `depth`); a tuple for a layer stack fixes the whole stack
            (`hidden_units=(64, 32)`, or `filters=(16, 32)` for a CNN); any
            other factory argument or common option is passed through
            (`padding="valid"`, `optimizer="sgd"`).

    Returns:
        A `ZooHyperModel` (a `keras_tuner.HyperModel`).

    Raises:
        ValueError: For an unknown model name or an unknown hyperparameter
            name (the message lists the valid ones).

    Example:

    >>> import keras_tuner
    >>> from nnzoo.tuning import hypermodel
    >>> hm = hypermodel("cnn", (8, 8, 1), num_classes=10, kernel_size=3)
    >>> "kernel_size" in hm.space.names
    False
    >>> model = hm.build(keras_tuner.HyperParameters())
    >>> model.output_shape
    (None, 10)
    """
    entry = get_entry(name)
    if hyperparameters is not None and not isinstance(hyperparameters, keras_tuner.HyperParameters):
        fail_type("`hyperparameters` must be a keras_tuner.HyperParameters", "keras_tuner.HyperParameters() or None",
                  hyperparameters=hyperparameters)
    shape = (input_shape,) if isinstance(input_shape, numbers.Integral) else tuple(input_shape)
    space = resolve_space(entry, shape, fixed, hyperparameters)
    context = {k: v for k, v in (("task", task), ("num_classes", num_classes), ("num_outputs", num_outputs))
               if v is not None}
    return ZooHyperModel(entry.name, shape, context, space)


# --------------------------------------------------------------------------- oracle with atomic state


class _AtomicStateMixin(_compat.AtomicTrialFiles):
    """Oracle additions: atomic state files, kill-safe reload, who ran what.

    keras-tuner writes `oracle.json` and each `trial.json` in place, so a
    kill during a write leaves a truncated file that the next run cannot
    reload. Here each goes to a temporary file renamed into place.

    It also records, per trial, the tuner that ran it and how many times it
    was started (1, or 2 for a trial resumed after a kill), and calls
    `on_end(oracle, trial)` after each trial ends, on the process that holds
    the oracle (the only one, or the chief).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tuner_of: dict[str, str] = {}
        self.starts: dict[str, int] = {}
        self.on_end = None
        self.stop_sent = False  # a tuner was told the search is over

    @keras_tuner.synchronized
    def create_trial(self, tuner_id):
        resumed = tuner_id in self.ongoing_trials  # a tuner asking again for its running trial
        trial = super().create_trial(tuner_id)
        self.stop_sent = self.stop_sent or trial.status == "STOPPED"
        if trial.status == "RUNNING" and not resumed:
            self.tuner_of[trial.trial_id] = tuner_id
            self.starts[trial.trial_id] = self.starts.get(trial.trial_id, 0) + 1
            self.save()
        return trial

    @keras_tuner.synchronized
    def end_trial(self, trial):
        super().end_trial(trial)
        if self.on_end is not None:
            self.on_end(self, self.trials[trial.trial_id])

    def get_state(self):
        state = super().get_state()
        state["nnzoo"] = {"tuner_of": self.tuner_of, "starts": self.starts}
        return state

    def set_state(self, state):
        super().set_state(state)
        extra = state.get("nnzoo", {})
        self.tuner_of = dict(extra.get("tuner_of", {}))
        self.starts = {k: int(v) for k, v in extra.get("starts", {}).items()}

    def save(self):
        atomic_write_text(_compat.oracle_state_path(self), json.dumps(self.get_state()))

    def reload(self):
        oracle_file = _compat.oracle_state_path(self)
        _check_oracle_state(_compat.oracle_project_dir(self), oracle_file)
        try:
            super().reload()  # re-queues the trials `oracle.json` lists as running
        except Exception as err:  # noqa: BLE001 - any failure here means the state is damaged
            _damaged(oracle_file, err)
        queued = set(_compat.retry_queue(self))
        for trial_id, trial in sorted(self.trials.items()):
            # Killed after its trial.json said RUNNING but before oracle.json did.
            if trial.status == "RUNNING" and trial_id not in queued:
                _compat.retry_queue(self).append(trial_id)
            # Killed after its trial.json said COMPLETED but before oracle.json did.
            if trial.status in ("COMPLETED", "FAILED") and trial_id not in self.end_order:
                self.end_order.append(trial_id)
        _compat.set_retry_queue(self, [t for t in _compat.retry_queue(self)
                                       if self.trials[t].status not in ("COMPLETED", "FAILED")])


class _RandomOracle(_AtomicStateMixin, keras_tuner.oracles.RandomSearchOracle):
    pass


class _HyperbandOracle(_AtomicStateMixin, keras_tuner.oracles.HyperbandOracle):
    pass


class _BayesianOracle(_AtomicStateMixin, keras_tuner.oracles.BayesianOptimizationOracle):
    pass


class _GridOracle(_AtomicStateMixin, keras_tuner.oracles.GridSearchOracle):
    pass


def _make_oracle(algorithm: str, objective: Any, max_trials: int, epochs: int, seed: int | None):
    # keras-tuner reads `seed or random.randint(...)`, so seed=0 would mean "unseeded".
    seed = None if seed is None else seed + 1
    if algorithm == "hyperband":
        # max_trials caps the trial count; Hyperband runs brackets until it gets there.
        oracle = _HyperbandOracle(objective=objective, max_epochs=epochs, factor=3, hyperband_iterations=None,
                                  seed=seed)
        _compat.set_max_trials(oracle, max_trials)
        return oracle
    cls = {"random": _RandomOracle, "bayesian": _BayesianOracle, "grid": _GridOracle}[algorithm]
    return cls(objective=objective, max_trials=max_trials, seed=seed)


# --------------------------------------------------------------------------- tuner


@dataclass(frozen=True)
class _RunConfig:
    epochs: int
    batch_size: int
    patience: int | None
    callbacks: tuple
    seed: int | None
    strategy: Any
    verbose: int
    warm_start: bool
    objective: str
    max_trials: int
    names: tuple = ()
    cv_mode: str = "sequential"
    prune: float | None = None
    direction: str = "max"
    n_jobs: int = 1

    def worse(self, value: float, bar: float) -> bool:
        """Whether an objective value is worse than `bar` by more than the pruning margin."""
        return value < bar - self.prune if self.direction == "max" else value > bar + self.prune


# --------------------------------------------------------------------------- state files and names

_RESUME_HELP = ("a complete search-state file: restore it, or pass overwrite=True (on the command line, --overwrite) "
                "to start the search over; nothing else in the folder was changed")


def _damaged(path: str, err: BaseException | str):
    why = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
    fail(f"The tuning state file {os.path.basename(path)!r} is damaged or unreadable ({why})", _RESUME_HELP,
         path=path)


def _read_state(path: str) -> dict:
    """The JSON object in a keras-tuner state file, or a ValueError naming the file and what to do."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        _damaged(path, err)
    try:
        state = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        _damaged(path, "not text: binary bytes")
    except ValueError as err:
        _damaged(path, f"truncated or not JSON: {err}")
    if not isinstance(state, dict):
        _damaged(path, f"a JSON {type(state).__name__}, not an object")
    return state


def _check_oracle_state(project_dir: str, oracle_file: str) -> None:
    """Reads every state file a reload needs, and names the first that is damaged or missing."""
    state = _read_state(oracle_file)
    found = set()
    for name in sorted(os.listdir(project_dir)):
        trial_file = os.path.join(project_dir, name, "trial.json")
        if name.startswith("trial_") and os.path.isfile(trial_file):
            trial_state = _read_state(trial_file)
            try:
                trial_id = keras_tuner.engine.trial.Trial.from_state(trial_state).trial_id
            except Exception as err:  # noqa: BLE001 - any failure means the file is not a trial
                _damaged(trial_file, err)
            found.add(str(trial_id))
    ongoing = state.get("ongoing_trials", {})
    referenced = [*state.get("end_order", []), *(ongoing.values() if isinstance(ongoing, dict) else [])]
    for trial_id in referenced:
        if str(trial_id) not in found:
            missing = os.path.join(project_dir, f"trial_{trial_id}", "trial.json")
            fail(f"The search state lists trial {trial_id}, but its file is missing (was trial_{trial_id} deleted?)",
                 _RESUME_HELP.replace("a complete search-state file: restore it", "the trial's folder: restore it"),
                 path=missing)


def _check_name(what: str, value: Any, hint: str) -> str:
    """A name used as one file or folder name: letters, digits, `_`, `-`, `.`; no path, not `.`/`..`."""
    if not isinstance(value, str) or not value:
        fail_type(f"`{what}` must be a non-empty string", hint, **{what: value})
    if not _SAFE_NAME.fullmatch(value) or value in (".", ".."):
        fail(f"`{what}` must be a plain name that stays inside `directory`",
             hint + " (letters, digits, '_', '-', '.'; no '/', '\\' or '..')", **{what: value})
    return value


_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _role() -> str:
    """`"local"`, `"chief"` or `"worker"`, from keras-tuner's environment variables."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return "local"
    for var in ("KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        if var not in os.environ:
            fail("Distributed tuning needs all three keras-tuner variables",
                 "KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT", missing=var)
    return "chief" if "chief" in os.environ["KERASTUNER_TUNER_ID"] else "worker"


class _DropRetracingWarnings(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning.

    A search builds many small models, each with its own train function, so
    TensorFlow's retracing heuristic fires although nothing is wrong. Only
    that message is dropped, and only while `tune` runs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _quiet_retracing():
    logger = logging.getLogger("tensorflow")
    drop = _DropRetracingWarnings()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def _fresh_graph() -> None:
    """Frees the previous model's graph and memory before the next one is built."""
    import keras

    keras.backend.clear_session()
    gc.collect()


class _ZooTuner(keras_tuner.Tuner):
    """A keras-tuner `Tuner` whose trials train on nnzoo's folds.

    `run_trial` trains one model per fold (one for a hold-out split),
    scores it on the fold's validation part after restoring the
    early-stopping best weights, and reports the mean over folds, so each
    trial is scored by cross-validation when `cv=k`. Hyperband's later
    rounds continue from the weights the earlier round saved per fold.
    """

    def __init__(self, *, data: Prepared, config: _RunConfig, **kwargs):
        self._data = data
        self._config = config
        self._started: dict[str, float] = {}
        self._last_metrics: dict | None = None
        self._stack: tuple | None = None  # (graph key, StackedFolds) kept for the next trial
        self.ran: list[dict] = []  # trials this process ran, for the worker's own table
        super().__init__(**kwargs)

    # Atomic, like the oracle's state.
    def save(self):
        if not _compat.is_worker(self):
            self.oracle.save()
        atomic_write_text(_compat.tuner_state_path(self), json.dumps(self.get_state()))

    def reload(self):
        if not _compat.is_worker(self):
            self.oracle.reload()
        fname = _compat.tuner_state_path(self)
        state = _read_state(fname)
        try:
            self.set_state(state)
        except Exception as err:  # noqa: BLE001 - any failure here means the state is damaged
            _damaged(fname, err)

    def on_trial_begin(self, trial):
        self._started[trial.trial_id] = time.perf_counter()
        self._last_metrics = None

    def run_trial(self, trial, *args, **kwargs):
        values = trial.hyperparameters.values
        epochs = int(values.get("tuner/epochs", self._config.epochs))
        warm_from = values.get("tuner/trial_id")
        # The gradient registry is TensorFlow's: nothing to release on JAX or PyTorch.
        tf_backend = active_backend() == "tensorflow"
        bar = self._prune_bar()
        with _compat.release_gradient_functions() if tf_backend else contextlib.nullcontext():
            if self._config.cv_mode == "stacked":
                folds, pruned = self._run_stacked(trial, epochs, warm_from, bar)
            else:
                folds, pruned = self._run_folds(trial, epochs, warm_from, bar)
        if self._stack is None:  # a kept stacked graph must survive; it is cleared when replaced
            _fresh_graph()
        metrics = {name: float(np.mean([f[name] for f in folds])) for name in folds[0]}
        metrics["epochs_run"] = float(sum(f["epochs_run"] for f in folds))
        if self._config.prune is not None:
            metrics["pruned"] = float(pruned)
        metrics["seconds"] = time.perf_counter() - self._started.get(trial.trial_id, time.perf_counter())
        self._last_metrics = metrics
        return metrics

    def _prune_bar(self) -> float | None:
        """The best finished trial's score, which pruning compares against (None: pruning off or no trial yet)."""
        if self._config.prune is None:
            return None
        best = self.oracle.get_best_trials(1)
        if not best or best[0].status != "COMPLETED" or best[0].score is None:
            return None
        return float(best[0].score)

    def _run_folds(self, trial, epochs: int, warm_from: str | None, bar: float | None) -> tuple[list[dict], bool]:
        """One model per fold; with pruning, the folds left are skipped once every finished fold is clearly worse."""
        import keras

        cfg, data = self._config, self._data
        hp = trial.hyperparameters
        values = hp.values
        folds = []
        for k, (train_idx, val_idx) in enumerate(data.folds):
            _fresh_graph()
            if cfg.seed is not None:
                keras.utils.set_random_seed(cfg.seed + k)
            model = self.hypermodel.build(hp)
            initial_epoch = 0
            if warm_from is not None:
                warm_path = self._weights_path(warm_from, k)
                if os.path.exists(warm_path):  # absent when another machine ran that trial
                    _load_weights(model, warm_path, cfg.strategy)
                    initial_epoch = int(values.get("tuner/initial_epoch", 0))
            validation = (data.X[val_idx], data.y[val_idx])
            outcome = fit_model(
                model, data.X[train_idx], data.y[train_idx], epochs=epochs, batch_size=cfg.batch_size,
                validation_data=validation, patience=cfg.patience, callbacks=copy.deepcopy(list(cfg.callbacks)),
                initial_epoch=initial_epoch, strategy=cfg.strategy, seed=cfg.seed,
            )
            if cfg.warm_start:
                self._save_weights(model, trial.trial_id, k)
            folds.append({**outcome.validation_scores(),
                          "best_epoch": outcome.best_epoch + 1, "epochs_run": outcome.epochs_run})
            del model
            if (bar is not None and k < len(data.folds) - 1
                    and all(cfg.worse(f[cfg.objective], bar) for f in folds)):
                return folds, True
        return folds, False

    def _run_stacked(self, trial, epochs: int, warm_from: str | None, bar: float | None) -> tuple[list[dict], bool]:
        """All folds of the trial as one graph (`nnzoo.tuning._stacked`), kept while only the rate changes.

        With pruning, the trial stops at the epoch halfway through its
        budget when every fold's best objective value so far is worse than
        `bar` by more than the margin.
        """
        import keras

        from nnzoo.tuning import _stacked

        cfg, data, hm = self._config, self._data, self.hypermodel
        entry = get_entry(hm.model_name)
        kwargs = hm.build_kwargs(trial.hyperparameters.values)
        key = _stacked.graph_key(kwargs) if _stacked.KEEP_GRAPH else None

        def build(k: int, **extra):
            if cfg.seed is not None:
                keras.utils.set_random_seed(cfg.seed + k)  # the initial weights of the sequential path
            return entry.build(hm.input_shape, **{**kwargs, **extra, "name": f"fold{k}"})

        if self._stack is not None and key is not None and self._stack[0] == key:
            stacked = self._stack[1]
            stacked.reset([build(k, compile=False) for k in range(len(data.folds))], kwargs.get("learning_rate"))
        else:
            self._stack = None
            _fresh_graph()
            stacked = _stacked.StackedFolds([build(k) for k in range(len(data.folds))])
            self._stack = (key, stacked)
        initial_epoch = 0
        if warm_from is not None:
            warm_path = self._weights_path(warm_from, "s")
            if os.path.exists(warm_path):  # absent when another machine ran that trial
                _load_weights(stacked.model, warm_path, None)
                initial_epoch = int(trial.hyperparameters.values.get("tuner/initial_epoch", 0))
        prune = None
        if bar is not None and epochs - initial_epoch >= 2:
            checkpoint = initial_epoch + (epochs - initial_epoch) // 2 - 1
            prune = _stacked.Pruning(epoch=checkpoint, key=cfg.objective, direction=cfg.direction,
                                     worse=lambda value: cfg.worse(value, bar))
        outcomes = stacked.fit(data.X, data.y, data.folds, epochs=epochs, batch_size=cfg.batch_size,
                               patience=cfg.patience, initial_epoch=initial_epoch, seed=cfg.seed, prune=prune)
        if cfg.warm_start:
            self._save_weights(stacked.model, trial.trial_id, "s")
        return ([{**o.validation_scores(), "best_epoch": o.best_epoch + 1, "epochs_run": o.epochs_run}
                 for o in outcomes], prune is not None and prune.fired)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        metrics = self._last_metrics if trial.status == "COMPLETED" else None
        record = _trial_record(trial, metrics or {}, self.tuner_id, objective=self._config.objective)
        self.ran.append(record)
        if _compat.is_worker(self) and self._config.verbose:
            best = None
            with contextlib.suppress(Exception):  # the chief may be gone after the last trial
                best_trials = self.oracle.get_best_trials(1)
                best = best_trials[0] if best_trials and best_trials[0].status == "COMPLETED" else None
            print(_progress_line(record, self._config, best, prefix=f"[{self.tuner_id}] "), flush=True)
        self._last_metrics = None

    def _weights_path(self, trial_id: str, fold: int | str) -> str:
        """A fold's warm-start weights; fold `"s"` holds all folds of a stacked trial."""
        return os.path.join(self.get_trial_dir(trial_id), f"fold{fold}.weights.h5")

    def _save_weights(self, model, trial_id: str, fold: int | str) -> None:
        with atomic_path(self._weights_path(trial_id, fold)) as tmp:
            model.save_weights(tmp)


# --------------------------------------------------------------------------- table and progress


def _trial_record(trial, metrics: Mapping[str, float], tuner_id: str | None = None, starts: int | None = None,
                  objective: str | None = None) -> dict:
    """One row of the trials table, from a keras-tuner Trial (and reported metrics)."""
    values = trial.hyperparameters.values
    row: dict[str, Any] = {"trial": int(trial.trial_id), "status": trial.status,
                           "score": None if trial.score is None else float(trial.score)}
    row.update({k: v for k, v in values.items() if not k.startswith("tuner/")})
    observed = {}
    for name in trial.metrics.metrics:
        with contextlib.suppress(Exception):
            observed[name] = float(trial.metrics.get_last_value(name))
    observed.update(metrics)
    if row["score"] is None and trial.status == "COMPLETED" and objective in observed:
        row["score"] = observed[objective]  # a worker's copy of the trial: the chief scores it
    row.update(observed)
    for key, column in _HYPERBAND_KEYS.items():
        if key in values:
            row[column] = int(values[key])
    row["tuner_id"] = tuner_id
    if starts is not None:
        row["starts"] = starts
    if trial.status != "COMPLETED" and trial.message:
        row["error"] = trial.message.strip().splitlines()[-1]
    return row


def _table(rows: Sequence[dict], names: Sequence[str]):
    """A DataFrame with a stable column order: ids, score, hyperparameters, metrics, bookkeeping."""
    import pandas as pd

    df = pd.DataFrame(sorted(rows, key=lambda r: r["trial"]))
    if df.empty:
        return pd.DataFrame(columns=["trial", "status", "score", *names])
    first = ["trial", "status", "score", *[n for n in names if n in df.columns]]
    tail = [c for c in ("budget_epochs", "warm_start_trial", *_BOOKKEEPING, "tuner_id", "starts", "error")
            if c in df.columns]
    middle = [c for c in df.columns if c not in first and c not in tail]
    return df[first + middle + tail]


def _oracle_table(oracle, names: Sequence[str]):
    rows = [_trial_record(t, {}, oracle.tuner_of.get(tid), oracle.starts.get(tid)) for tid, t in oracle.trials.items()]
    return _table(rows, names)


def _write_table(df, path: str) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _progress_line(record: Mapping[str, Any], cfg: _RunConfig, best, prefix: str = "") -> str:
    """`trial 3/10 | depth=2 units=64 ... | val_accuracy=0.962 | best 0.971 (trial 1) | 4.1s`."""
    shown = [*cfg.names, "budget_epochs"]
    values = " ".join(f"{k}={_fmt(record[k])}" for k in shown if record.get(k) is not None)
    head = f"{prefix}trial {record['trial'] + 1}/{cfg.max_trials} | {values}"
    if record["status"] != "COMPLETED":
        return f"{head} | {record['status']}: {record.get('error', '')}"
    score = record.get("score")
    score = record.get(cfg.objective) if score is None else score
    line = f"{head} | {cfg.objective}={_fmt(score)}"
    if best is not None and best.score is not None:
        line += f" | best {_fmt(float(best.score))} (trial {int(best.trial_id) + 1})"
    if record.get("seconds") is not None:
        line += f" | {record['seconds']:.1f}s"
    return line


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class TuneResult:
    """What `tune` returns.

    Attributes:
        model: The best configuration retrained on all the data given
            (`refit=True`, on the chief or a single process), else None.
        best_hyperparameters: The best trial's tuned values, e.g.
            `{"depth": 2, "units": 128, ...}`.
        best_score: Its objective value (mean over folds with `cv`).
        objective: The objective's name, e.g. `"val_accuracy"`.
        trials: A pandas DataFrame, one row per trial: `trial`, `status`,
            `score`, one column per hyperparameter, the validation metrics,
            `best_epoch`, `epochs_run`, `seconds`, `tuner_id`, `starts`.
        table_path: Where the table is saved as CSV.
        project_dir: The keras-tuner project folder (resumable state).
        build_kwargs: Keyword arguments that rebuild the best model,
            untrained: `nnzoo.build(result.name, result.input_shape,
            **result.build_kwargs)`.
        name: The registry name tuned.
        input_shape: Input shape without the batch axis.
        task: The task (inferred from `y` unless given).
        classes: Original class labels by output index (binary and
            multiclass), else None.
        refit_epochs: Epochs the retrained model was trained for: the best
            trial's early-stopping epoch (mean over folds).
        role: `"local"`, `"chief"` or `"worker"`; a worker's `trials` holds
            only the trials it ran, and it has no `model`.
        pruned: How many trials `prune=` stopped early (also the
            `pruned` column of `trials`).
    """

    model: Any
    best_hyperparameters: dict
    best_score: float | None
    objective: str
    trials: Any
    table_path: str
    project_dir: str
    build_kwargs: dict = field(default_factory=dict)
    name: str = ""
    input_shape: tuple = ()
    task: str = ""
    classes: Any = None
    refit_epochs: int | None = None
    role: str = "local"
    pruned: int = 0

    def __repr__(self) -> str:
        done = int((self.trials["status"] == "COMPLETED").sum()) if len(self.trials) else 0
        score = "None" if self.best_score is None else f"{self.best_score:.4g}"
        return (f"TuneResult(name={self.name!r}, {self.objective}={score}, best_hyperparameters="
                f"{self.best_hyperparameters}, trials={done}/{len(self.trials)} completed, role={self.role!r})")


# --------------------------------------------------------------------------- tune


def _check_objective(objective: Any, task: str, fixed: Mapping[str, Any]) -> str:
    from nnzoo._tasks import CLASSIFICATION, metrics_for

    metrics = fixed.get("metrics")
    if metrics is None:
        metrics = metrics_for(task)
    names = ["val_loss", *(f"val_{m}" for m in metrics if isinstance(m, str))]
    if objective is None:
        return "val_accuracy" if task in CLASSIFICATION else "val_loss"
    name = objective.name if isinstance(objective, keras_tuner.Objective) else objective
    if not isinstance(name, str):
        fail_type("`objective` must be a metric name", "one of " + ", ".join(map(repr, names)), objective=objective)
    if name not in names:
        fail(f"Unknown `objective` for task={task!r}.{suggest(name, names)}",
             "a validation metric the model reports: " + ", ".join(map(repr, names)), objective=objective)
    return name


def tune(
    name: str,
    X: Any,
    y: Any = None,
    *,
    algorithm: str = DEFAULT_ALGORITHM,
    max_trials: int = 10,
    objective: Any = None,
    validation_split: float = 0.2,
    validation_data: Any = None,
    cv: int | None = None,
    epochs: int = 20,
    batch_size: int = 32,
    patience: int | None = 5,
    task: str | None = None,
    hyperparameters: Any = None,
    callbacks: Sequence[Any] | None = None,
    strategy: Any = None,
    directory: str | os.PathLike = "nnzoo_tuning",
    project_name: str | None = None,
    overwrite: bool = False,
    seed: int | None = None,
    refit: bool = True,
    cv_mode: str = "auto",
    n_jobs: int = 1,
    prune: float | None = None,
    verbose: int = 1,
    **fixed: Any,
) -> TuneResult:
    """Searches a zoo model's hyperparameters with keras-tuner and retrains the best.

    The task comes from `y` as scikit-learn users expect: integer, bool or
    string labels are classification (binary or multiclass), floats are
    regression, a 2-D 0/1 integer matrix is multilabel; autoencoders take
    no `y`. Every trial is scored on data it did not train on: a shuffled
    (stratified, for classification) hold-out of `validation_split`, or the
    mean over `cv` folds (`StratifiedKFold` / `KFold`), or `validation_data`.
    Each fold trains with early stopping on `val_loss` and is scored with its
    best weights.

    Progress is one line per trial (`verbose=1`) or nothing (`verbose=0`);
    keras-tuner's own output is kept out.

    To resume an interrupted search, call `tune` again with the same
    arguments: finished trials are kept, the one that was running is rerun,
    and the search ends at `max_trials` (pass `overwrite=True` to start
    over). To spread the trials over processes or machines, start the same
    call with keras-tuner's environment variables set (one chief, any number
    of workers):

    ```
    KERASTUNER_TUNER_ID=chief   KERASTUNER_ORACLE_IP=10.0.0.1 KERASTUNER_ORACLE_PORT=8000 python search.py
    KERASTUNER_TUNER_ID=tuner1  KERASTUNER_ORACLE_IP=10.0.0.1 KERASTUNER_ORACLE_PORT=8000 python search.py
    ```

    Args:
        name: A registry name (`nnzoo.list_models()`).
        X: Samples, shape `(n_samples, *input_shape)`.
        y: Targets (None for autoencoders).
        algorithm: `"random"`, `"hyperband"`, `"bayesian"` or `"grid"`.
        max_trials: Number of trials (for Hyperband, a cap on its brackets).
        objective: A validation metric to optimise, e.g. `"val_loss"`
            (its direction is inferred), or a `keras_tuner.Objective`;
            default `"val_accuracy"` for classification, `"val_loss"`
            otherwise.
        validation_split: Hold-out fraction when neither `cv` nor
            `validation_data` is given.
        validation_data: `(X_val, y_val)` to score every trial on.
        cv: Number of cross-validation folds (>= 2), or None.
        epochs: Most epochs per fold (Hyperband's `max_epochs`).
        batch_size: Batch size (global, with a strategy).
        patience: Early-stopping patience on `val_loss`; None trains every
            epoch.
        task: Overrides the inferred task, e.g. `"binary"` for float 0/1 targets.
        hyperparameters: A `keras_tuner.HyperParameters` of range overrides
            (see `hypermodel`).
        callbacks: Extra Keras callbacks for every fit; they are deep-copied
            per fit, so they must be copyable (no lambdas).
        strategy: A `tf.distribute.Strategy`; every model is built, compiled
            and trained under it. `MultiWorkerMirroredStrategy` works too:
            run the same call on every worker, with the same `seed`.
        directory: Folder for search state and the table.
        project_name: Sub-folder of `directory` (default: `name`).
        overwrite: Start over instead of resuming `directory/project_name`.
        seed: Seed for the oracle, weight initialisation and shuffling; the
            validation splits use `seed` (0 when None), so a resumed search
            scores on the same folds.
        refit: Retrain the best configuration on all the data given (`X`,
            plus `validation_data`), for the best trial's early-stopping
            epoch count.
        cv_mode: How a trial's folds train. `"stacked"`: all folds side by
            side in one Keras graph, one step driving every fold (each sees
            only its fold's rows and stops early on its own `val_loss`),
            and the compiled graph kept for the next trial while only the
            learning rate changes; `"sequential"`: one model per fold, one
            after the other. `"auto"` (default) picks `"stacked"` on the
            TensorFlow backend without `strategy` or `callbacks`, when the
            stacked copies of the data take under a quarter of the memory.
            Both give the same folds, validation and objective; the numbers
            differ only by random draws (shuffling, dropout).
        n_jobs: Trials trained at once, each in its own worker process
            with `cores // n_jobs` TensorFlow threads (-1: one per core).
            This process serves keras-tuner's oracle to the workers on
            127.0.0.1 (keras-tuner's chief/worker mode), writes the state
            and table, and retrains the best; resume works as with one
            process. The arguments go to the workers through a pipe, so
            objects passed (callbacks, ...) must be importable: defined in
            a module, not in the script run as `__main__`.
        prune: Off (None) or a margin in the objective's units (e.g. 0.05
            for `val_accuracy`): a trial stops early once it is clearly
            worse than the best finished trial. Sequential folds: after
            each fold but the last, when every finished fold's score is
            worse than the best trial's by more than `prune`, the folds
            left are skipped. Stacked folds (all trained at once): at the
            epoch halfway through the trial's budget, when every fold's
            best value so far is worse by more than the margin, all stop.
            A pruned trial is scored on what it trained, which keeps it
            below the best, and `trials["pruned"]` marks it. It changes
            which trials finish in full, hence off by default.
        verbose: 1 for a line per trial, 0 for silence.
        **fixed: Hyperparameter values or factory arguments to hold fixed
            (see `hypermodel`), e.g. `units=64` or `optimizer="sgd"`.

    Returns:
        A `TuneResult`.

    Raises:
        ValueError: Before any training, for `n_jobs` larger than the
            cores (or with a `strategy`, or inside a distributed search),
            arguments a worker process could not rebuild, a negative
            `prune`, an unknown model name or
            hyperparameter, `cv < 2`, `cv_mode="stacked"` with a
            `strategy`, `callbacks`, another backend or too little memory, a single class in `y`, NaN or inf in
            `X` or `y`, `X` and `y` of different lengths, an unknown
            algorithm or objective, invalid counts, a multi-worker
            strategy without a `seed`, a `project_name` or
            `KERASTUNER_TUNER_ID` that is not a plain name (it would leave
            `directory`), or a `directory` that is a file or not writable.
            When resuming, a damaged or missing state file (`oracle.json`,
            `tuner0.json`, a `trial_*/trial.json`) is named, with what to do
            (`overwrite=True`); nothing is deleted.
        TypeError: For an argument of the wrong type.
        RuntimeError: When trials keep failing (keras-tuner stops after 3 in a row).

    Example:

    >>> from sklearn.datasets import load_digits
    >>> from nnzoo.tuning import tune
    >>> X, y = load_digits(return_X_y=True)
    >>> result = tune("ffnn", X / 16, y, max_trials=5, cv=3, epochs=30,
    ...               directory="/tmp/nnzoo_tuning", overwrite=True, verbose=0)
    >>> result.best_hyperparameters          # doctest: +SKIP
    {'depth': 2, 'units': 128, 'activation': 'relu', ...}
    >>> result.model.predict(X[:3] / 16).argmax(axis=1)    # doctest: +SKIP
    """
    call = {k: v for k, v in locals().items() if k != "fixed"}
    entry = get_entry(name)
    algorithm = check_choice("algorithm", algorithm, ALGORITHMS)
    max_trials = check_int("max_trials", max_trials)
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size)
    if patience is not None:
        patience = check_int("patience", patience, minimum=0)
    if not isinstance(verbose, (bool, numbers.Integral)):
        fail_type("`verbose` must be 0 or 1", "0 (quiet) or 1 (a line per trial)", verbose=verbose)
    check_bool("overwrite", overwrite)
    check_bool("refit", refit)
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    callbacks = tuple(callbacks or ())
    try:
        copy.deepcopy(list(callbacks))
    except Exception as err:  # noqa: BLE001 - any copy failure means the same thing
        fail(f"`callbacks` must be deep-copyable; each fit gets a fresh copy ({type(err).__name__}: {err})",
             "Keras callbacks without lambdas or model references", callbacks=callbacks)
    check_strategy_backend(strategy)
    n_jobs = _parallel.check_jobs(n_jobs)
    if prune is not None:
        prune = check_float("prune", prune)
    if n_jobs > 1 and strategy is not None:
        fail("`n_jobs` > 1 trains several single-device trials at once; it does not combine with `strategy`",
             "n_jobs=1 with a strategy, or no strategy", n_jobs=n_jobs, strategy=type(strategy).__name__)
    if n_jobs > 1 and "KERASTUNER_ORACLE_IP" in os.environ:
        fail("`n_jobs` > 1 starts its own chief and workers; this process is already part of a distributed search",
             "n_jobs=1, or unset KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT",
             n_jobs=n_jobs, KERASTUNER_TUNER_ID=os.environ.get("KERASTUNER_TUNER_ID"))
    if seed is None and is_multi_worker(strategy):
        fail("A MultiWorkerMirroredStrategy search needs a `seed`",
             "the same seed=<int> on every worker, so they all sample the same trials and shuffle alike",
             seed=seed)
    if "strategy" in fixed:
        fail("Pass `strategy` as tune(strategy=...)", "tune(..., strategy=...)", strategy=fixed["strategy"])
    for key in CONTEXT_ARGS:
        if key in fixed:
            fail(f"`{key}` is inferred from X and y", f"no {key}=; use task= to override the task",
                 **{key: fixed[key]})

    if project_name is not None:
        _check_name("project_name", project_name, "a folder name, e.g. project_name='wine_ffnn'")
    if "KERASTUNER_TUNER_ID" in os.environ:
        _check_name("KERASTUNER_TUNER_ID", os.environ["KERASTUNER_TUNER_ID"], "a tuner id, e.g. 'chief' or 'tuner1'")
    check_writable_folder(directory, what="tuning directory")
    role = _role()
    if not isinstance(cv_mode, str):
        fail_type("`cv_mode` must be a string", "one of " + ", ".join(map(repr, CV_MODES)), cv_mode=cv_mode)
    cv_mode = check_choice("cv_mode", cv_mode, CV_MODES)
    data = prepare(entry, X, y, task=task, validation_split=validation_split, validation_data=validation_data,
                   cv=cv, seed=seed)
    cv_mode = _resolve_cv_mode(cv_mode, data, strategy, callbacks, verbose=bool(verbose))
    input_shape = tuple(data.X.shape[1:])
    objective_name = _check_objective(objective, data.task, fixed)
    if strategy is not None:
        fixed = {**fixed, "strategy": strategy}
    hm = hypermodel(entry.name, input_shape, **data.context, hyperparameters=hyperparameters, **fixed)

    project_name = project_name or entry.name
    directory = os.fspath(directory)
    project_dir = os.path.join(directory, project_name)
    table_path = os.path.join(project_dir, TABLE_FILE)
    # A keras_tuner.Objective keeps its explicit direction; a name has it inferred.
    oracle_objective = objective if isinstance(objective, keras_tuner.Objective) else objective_name
    oracle = _make_oracle(algorithm, oracle_objective, max_trials, epochs, seed)
    oracle.verbose = 0  # keras-tuner's own per-trial display
    config = _RunConfig(epochs=epochs, batch_size=batch_size, patience=patience, callbacks=callbacks, seed=seed,
                        strategy=strategy, verbose=int(verbose), warm_start=algorithm == "hyperband",
                        objective=objective_name, max_trials=max_trials, names=hm.space.names, cv_mode=cv_mode,
                        prune=prune, direction=oracle.objective.direction, n_jobs=min(n_jobs, max_trials))
    parallel = config.n_jobs > 1
    if parallel:
        # The workers run this same call, one trial at a time, quietly; this process is their chief.
        worker_call = {**call, **fixed, "n_jobs": 1, "verbose": 0, "refit": False, "overwrite": False}
        worker_args, role = _parallel.payload(worker_call, n_jobs), "chief"

    def on_end(oracle_, trial):
        table = _oracle_table(oracle_, hm.space.names)
        _write_table(table, table_path)
        if config.verbose:
            record = table[table["trial"] == int(trial.trial_id)].iloc[0].to_dict()
            record = {k: v for k, v in record.items() if not _is_missing(v)}
            best = oracle_.get_best_trials(1)
            best = best[0] if best and best[0].status == "COMPLETED" else None
            prefix = f"[{oracle_.tuner_of.get(trial.trial_id)}] " if role == "chief" else ""
            print(_progress_line(record, config, best, prefix=prefix), flush=True)

    oracle.on_end = on_end
    with contextlib.ExitStack() as stack:
        workers = None
        if parallel:
            port = _parallel.free_port()
            stack.enter_context(_parallel.chief_environment(port))  # keras-tuner reads it in the tuner
        # keras-tuner prints "Reloading Tuner from ..." when it resumes; say it our way instead.
        with _compat.quiet_tuner_construction():
            tuner = _ZooTuner(
                data=data, config=config, oracle=oracle, hypermodel=hm, directory=directory,
                project_name=project_name, overwrite=overwrite and role != "worker", distribution_strategy=strategy,
            )
        if verbose:
            print(_header(entry.name, algorithm, data, config, role, tuner), flush=True)
        if parallel:
            workers = _parallel.Workers(config.n_jobs, worker_args, port, project_dir)
            stack.callback(workers.stop)
        with _quiet_retracing():
            result = _search_and_collect(tuner, hm, data, config, role, project_dir, table_path, refit, workers)
    return dataclasses.replace(result, role="local") if parallel else result


def _resolve_cv_mode(cv_mode: str, data: Prepared, strategy: Any, callbacks: tuple, *, verbose: bool) -> str:
    """`"stacked"` or `"sequential"`; an explicit `"stacked"` that cannot run is a ValueError."""
    import keras

    from nnzoo.tuning._stacked import MEMORY_SHARE, available_bytes, stacked_bytes

    if cv_mode == "sequential":
        return cv_mode
    blockers = []
    if keras.backend.backend() != "tensorflow":
        blockers.append(("the TensorFlow backend", {"backend": keras.backend.backend()}))
    if strategy is not None:
        blockers.append(("no `strategy`", {"strategy": type(strategy).__name__}))
    if callbacks:
        blockers.append(("no extra `callbacks` (they would see all folds at once)",
                         {"callbacks": [type(c).__name__ for c in callbacks]}))
    need, have = stacked_bytes(data.X, data.folds), available_bytes()
    if have is not None and need > MEMORY_SHARE * have:
        blockers.append((f"stacked data within {MEMORY_SHARE:.0%} of the memory ({have / 2**30:.1f} GiB)",
                         {"stacked_gib": round(need / 2**30, 2)}))
    if not blockers:
        return "stacked"
    if cv_mode == "stacked":
        what, received = blockers[0]
        fail("`cv_mode='stacked'` cannot run here", f"{what}, or cv_mode='sequential'", cv_mode=cv_mode,
             **received)
    if verbose and "stacked_gib" in blockers[-1][1]:
        print(f"nnzoo.tune: folds train one after the other (cv_mode='sequential'): stacking needs "
              f"{blockers[-1][0]}", flush=True)
    return "sequential"


def _search_and_collect(tuner, hm, data, config, role, project_dir, table_path, refit,
                        workers=None) -> TuneResult:
    objective_name, verbose = config.objective, config.verbose
    entry_name, input_shape = hm.model_name, hm.input_shape
    if role == "chief":
        _serve(tuner, workers=workers)
        if workers is not None:
            workers.wait()  # their cores are free for the refit
    else:
        tuner.search()

    if role == "worker":
        rows = tuner.ran
        table = _table(rows, hm.space.names)
        _write_table(table, os.path.join(project_dir, f"trials_{tuner.tuner_id}.csv"))
        done = [r for r in rows if r["status"] == "COMPLETED" and r.get("score") is not None]
        best_row = _best_row(done, tuner.oracle.objective.direction)
        best_values = {k: best_row[k] for k in hm.space.names if k in best_row} if best_row else {}
        return TuneResult(
            model=None, best_hyperparameters=best_values, best_score=best_row["score"] if best_row else None,
            objective=objective_name, trials=table, table_path=os.path.join(project_dir, f"trials_{tuner.tuner_id}.csv"),
            project_dir=project_dir, build_kwargs=hm.build_kwargs(best_values) if best_row else {},
            name=entry_name, input_shape=input_shape, task=data.task, classes=data.classes, role=role,
        )

    table = _oracle_table(tuner.oracle, hm.space.names)
    _write_table(table, table_path)
    best_trials = [t for t in tuner.oracle.get_best_trials(1) if t.status == "COMPLETED"]
    if not best_trials:
        raise RuntimeError(f"No trial completed; see the table at {table_path}.")
    best = best_trials[0]
    best_values = {k: v for k, v in best.hyperparameters.values.items() if k in hm.space.names}
    model = refit_epochs = None
    pruned = int(table["pruned"].fillna(0).sum()) if "pruned" in table.columns else 0
    if refit:
        refit_epochs = max(1, int(round(best.metrics.get_last_value("best_epoch"))))
        model = _refit(tuner, best, data, config, refit_epochs)
    if verbose:
        how = (f"retrained on {len(data.X)} samples for {refit_epochs} epochs" if refit else "not retrained")
        fired = f"; {pruned} of {len(table)} trials pruned" if config.prune is not None else ""
        print(f"best {objective_name}={_fmt(float(best.score))} (trial {int(best.trial_id) + 1}); {how}{fired}; "
              f"table: {table_path}", flush=True)
    return TuneResult(
        model=model, best_hyperparameters=best_values, best_score=float(best.score), objective=objective_name,
        trials=table, table_path=table_path, project_dir=project_dir, build_kwargs=hm.build_kwargs(best_values),
        name=entry_name, input_shape=input_shape, task=data.task, classes=data.classes,
        refit_epochs=refit_epochs, role=role, pruned=pruned,
    )


def _serve(tuner: _ZooTuner, poll: float = 0.5, workers=None) -> None:
    """Runs the chief's oracle server until every worker has been told to stop.

    keras-tuner's chief (`search()` on the chief) serves until a worker has
    been sent STOPPED and no tuner is left, but checks that only every 20 s.
    It runs here on a daemon thread, and the chief goes on (table, refit) as
    soon as the same condition holds, read every `poll` seconds. The thread
    ends by itself at its next check. With `workers` (`n_jobs` > 1), a
    worker that fails, or all of them ending early, is a RuntimeError.
    """
    failure: list[BaseException] = []

    def serve():
        try:
            tuner.search()
        except BaseException as err:  # noqa: BLE001 - re-raised on the calling thread
            failure.append(err)

    thread = threading.Thread(target=serve, name="nnzoo-tuning-chief", daemon=True)
    thread.start()
    oracle = tuner.oracle
    def done():
        return oracle.stop_sent and not oracle.ongoing_trials and not oracle.tuner_ids

    while thread.is_alive() and not done():
        thread.join(poll)
        if workers is not None and not done():
            problem = workers.failure()
            if problem is None and not workers.alive():
                thread.join(poll)  # the last STOPPED may still be on its way
                problem = None if done() else "every tuning worker ended before the search did"
            if problem:
                raise RuntimeError(f"{problem}\nRun the same call again to resume the search.")
    if failure:
        raise failure[0]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _best_row(rows: Sequence[dict], direction: str):
    if not rows:
        return None
    return (max if direction == "max" else min)(rows, key=lambda r: r["score"])


def _load_weights(model, path: str, strategy: Any) -> None:
    """Loads a warm start's weights and optimizer state (the optimizer is built first to receive it)."""
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    model.load_weights(path)


def _refit(tuner: _ZooTuner, best, data: Prepared, config: _RunConfig, epochs: int):
    import keras

    _fresh_graph()
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    model = tuner.hypermodel.build(best.hyperparameters.copy())
    fit_model(model, data.X, data.y, epochs=epochs, batch_size=config.batch_size, patience=None,
              callbacks=copy.deepcopy(list(config.callbacks)), strategy=config.strategy, seed=config.seed)
    return model


def _header(name: str, algorithm: str, data: Prepared, config: _RunConfig, role: str, tuner) -> str:
    how = {"cv": f"{len(data.folds)}-fold CV", "split": "a stratified hold-out" if data.classes is not None
           else "a hold-out", "data": "validation_data"}[data.validation]
    line = (f"nnzoo.tune {name!r}: {algorithm} search, {config.max_trials} trials, task={data.task}, "
            f"{len(data.X)} samples, scored on {how} by {config.objective}")
    if config.n_jobs > 1:
        line += (f"; {config.n_jobs} trials at once ({_parallel.threads_per_job(config.n_jobs)} thread(s) each, "
                 f"{config.cv_mode} folds)")
    elif role == "chief":
        return line + (f"; chief serving the oracle on {os.environ['KERASTUNER_ORACLE_IP']}:"
                       f"{os.environ['KERASTUNER_ORACLE_PORT']}")
    if role == "worker":
        return line + f"; worker {tuner.tuner_id}"
    done = sum(1 for t in tuner.oracle.trials.values() if t.status in ("COMPLETED", "FAILED"))
    if done:
        line += f"; resuming: {done} trial(s) already done"
    if is_multi_worker(config.strategy):
        line += f"; {config.strategy.num_replicas_in_sync} replicas"
    return line
