"""Folds trained together: the k fold models of one trial as one Keras graph.

For the zoo's small models a training step is mostly per-step overhead
(graph call, iterator, optimizer bookkeeping) and tracing, not arithmetic
(see `benchmarks/bench_tuning_speed.py`). Here the k fold models of a trial
sit side by side in one Functional model with k inputs and k outputs, and
one `fit` drives all k:

- each branch is the factory's model, fed only its fold's training rows
  (every fold's rows are shuffled on their own; a fold with fewer rows is
  padded with zero-weight rows, and every loss is averaged over the
  sample weights, so padding changes nothing);
- the branches share no weights and each has its own loss, so the sum that
  is minimised gives every branch exactly its own gradient; the optimizer
  keeps separate moments per variable (per-variable `clipnorm` too);
- each fold is validated on its own validation rows, stops early on its own
  `val_loss` (regularisation included, as Keras reports it) with the same
  rule as `keras.callbacks.EarlyStopping`, and gets its best weights
  restored; a stopped fold's branch is still computed until the last fold
  stops, but its result is the restored weights;
- the compiled graph is kept for the next trial when only the learning rate
  differs: the branches get fresh initial weights (built from the same
  seeds as k separate trainings), the optimizer its initial state and the
  new rate, and nothing is traced again.

The meaning is that of k separate trainings (same folds, same per-fold
validation and early stopping, mean over folds); the numbers differ only by
the order of the random draws (shuffling, dropout).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from nnzoo._compile import execution_of
from nnzoo.tuning._fit import FitOutcome

#: Share of the machine's memory the stacked copies of the data may take.
MEMORY_SHARE = 0.25
#: Hyperparameters a kept graph can take without tracing again (optimizer variables).
_REUSABLE = ("learning_rate",)
#: Keep a trial's compiled graph for the next one (the benchmark switches it off to measure it).
KEEP_GRAPH = True


def stacked_bytes(X: np.ndarray, folds: Sequence[tuple]) -> int:
    """Bytes of the training and validation copies a stacked trial holds."""
    rows = max(len(t) for t, _ in folds) + max(len(v) for _, v in folds)
    return int(len(folds) * rows * (X[:1].nbytes + 16))


def available_bytes() -> int | None:
    """The machine's physical memory, or None where it cannot be read."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def graph_key(build_kwargs: dict) -> str:
    """What must match for a compiled stacked graph to be reused: every factory argument but the rate."""
    kept = {k: v for k, v in build_kwargs.items() if k not in _REUSABLE}
    return json.dumps(kept, sort_keys=True, default=repr)


def _per_sample(loss):
    """The per-sample function of a compile config's loss (a name, a serialized `Loss`, or a function)."""
    if isinstance(loss, dict):
        loss = keras.losses.deserialize(loss)
    return loss.call if isinstance(loss, keras.losses.Loss) else keras.losses.get(loss)


class _MaskedLoss(keras.losses.Loss):
    """A loss averaged over the sample weights, so zero-weight padding rows count for nothing."""

    def __init__(self, fn):
        super().__init__(reduction="mean_with_sample_weight", name="fold_loss")
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


@dataclass
class Pruning:
    """When a stacked trial stops early because it is clearly worse than the best trial.

    At the end of epoch `epoch` (0-based), each fold's best `key` value so
    far (highest for `direction="max"`) is passed to `worse`; if it is True
    for every fold, training stops there and `fired` is set. Each fold then
    keeps its early-stopping best weights, as at any other stop.
    """

    epoch: int
    key: str
    direction: str
    worse: Callable[[float], bool]
    fired: bool = False

    def check(self, histories: Sequence[dict]) -> bool:
        pick = max if self.direction == "max" else min
        bests = [pick(h[self.key]) for h in histories if h.get(self.key)]
        self.fired = len(bests) == len(histories) and all(self.worse(b) for b in bests)
        return self.fired


class StackedFolds:
    """k compiled copies of one zoo model trained as one graph.

    Args:
        models: The k fold models, compiled by the factory and named
            `fold0` ... `fold{k-1}` (their compile settings are reused).
    """

    def __init__(self, models: Sequence[Any]):
        self.models = list(models)
        self.k = len(self.models)
        inputs = [keras.Input(shape=m.inputs[0].shape[1:], dtype=m.inputs[0].dtype, name=f"fold{i}_input")
                  for i, m in enumerate(self.models)]
        outputs = [m(x) for m, x in zip(self.models, inputs)]
        self.model = keras.Model(inputs, outputs, name="nnzoo_stacked_folds")
        config = self.models[0].get_compile_config()
        names = [m.name for m in self.models]
        metrics = config.get("metrics") or []
        fn = _per_sample(config["loss"])
        # Keras averages each output's loss log per batch size; the weighted `fold_loss` metric is exact.
        self.model.compile(
            optimizer=keras.optimizers.deserialize(config["optimizer"]),
            loss={n: _MaskedLoss(fn) for n in names},
            weighted_metrics={n: [keras.metrics.MeanMetricWrapper(fn, name="fold_loss"),
                                  *(keras.metrics.deserialize(m) if isinstance(m, dict) else m for m in metrics)]
                              for n in names},
            **execution_of(self.models[0]),  # the live settings, not the portable config's
        )
        self.model.optimizer.build(self.model.trainable_variables)
        self._initial_optimizer = [np.array(v.numpy()) for v in self.model.optimizer.variables]

    def reset(self, fresh_models: Sequence[Any], learning_rate: float | None) -> None:
        """Starts over: `fresh_models`' initial weights, the optimizer's initial state, a new rate."""
        for model, fresh in zip(self.models, fresh_models):
            model.set_weights(fresh.get_weights())
        for variable, value in zip(self.model.optimizer.variables, self._initial_optimizer):
            variable.assign(value)
        if learning_rate is not None:
            self.model.optimizer.learning_rate = float(learning_rate)

    def fit(self, X: np.ndarray, y: np.ndarray, folds: Sequence[tuple], *, epochs: int, batch_size: int,
            patience: int | None, initial_epoch: int = 0, seed: int | None = None,
            prune: Pruning | None = None) -> list[FitOutcome]:
        """Trains every fold on its rows; returns one `FitOutcome` per fold, as k `fit_model` calls would.

        `prune` may stop all folds at its epoch (see `Pruning`).
        """
        if len(folds) != self.k:
            raise ValueError(f"{len(folds)} folds for {self.k} stacked models")  # internal misuse only
        rng = np.random.default_rng(seed)
        out_shape = tuple(self.models[0].outputs[0].shape)
        if np.ndim(y) == 1 and out_shape[1:] == (1,):
            y = np.asarray(y)[:, None]  # one output unit (binary, one target): the loss needs the same rank
        train = _padded(X, y, [t for t, _ in folds], rng)
        val = _padded(X, y, [v for _, v in folds], None)
        stopper = _FoldStopping(self, patience, prune)
        self.model.fit(_dataset(train, batch_size, shuffle_seed=seed), validation_data=_dataset(val, batch_size),
                       epochs=epochs, initial_epoch=initial_epoch, callbacks=[stopper], shuffle=False, verbose=0)
        return stopper.outcomes(initial_epoch)


def _padded(X, y, index_sets, rng):
    """`(xs, ys, weights)`: per fold its rows, padded to the longest fold with zero-weight rows."""
    longest = max(len(idx) for idx in index_sets)
    xs, ys, ws = [], [], []
    for idx in index_sets:
        extra = longest - len(idx)
        pad = (rng.choice(idx, extra) if rng is not None else np.resize(idx, extra)) if extra else idx[:0]
        rows = np.concatenate([idx, pad])
        xs.append(X[rows])
        ys.append(y[rows])
        ws.append(np.concatenate([np.ones(len(idx), "float32"), np.zeros(extra, "float32")]))
    return tuple(xs), tuple(ys), tuple(ws)


def _dataset(arrays, batch_size: int, shuffle_seed: int | None | bool = False):
    import tensorflow as tf  # the TensorFlow backend only: tune() checks before choosing this path

    ds = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle_seed is not False:
        # Rows of all folds move together, which shuffles each fold's own rows uniformly.
        ds = ds.shuffle(len(arrays[0][0]), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class _FoldStopping(keras.callbacks.Callback):
    """Per-fold early stopping on each fold's `val_loss`, with best-weight restore.

    The rule is `keras.callbacks.EarlyStopping(monitor="val_loss",
    patience=patience, restore_best_weights=True)`, applied to every fold on
    its own; training ends when every fold has stopped.
    """

    def __init__(self, stacked: StackedFolds, patience: int | None, prune: Pruning | None = None):
        super().__init__()
        self.stacked = stacked
        self.patience = patience
        self.prune = prune

    def on_train_begin(self, logs=None):
        k = self.stacked.k
        self.history = [{} for _ in range(k)]
        self.best = [np.inf] * k
        self.best_epoch = [None] * k
        self.best_weights = [None] * k
        self.wait = [0] * k
        self.stopped = [False] * k

    def on_epoch_end(self, epoch, logs=None):
        for i, model in enumerate(self.stacked.models):
            if self.stopped[i]:
                continue
            record = _fold_logs(logs or {}, model, prefix=f"{model.name}_" if self.stacked.k > 1 else "")
            for key, value in record.items():
                self.history[i].setdefault(key, []).append(value)
            if self.patience is None:
                continue
            if self.best_weights[i] is None:
                self.best_weights[i], self.best_epoch[i] = model.get_weights(), epoch
            self.wait[i] += 1
            if record["val_loss"] < self.best[i]:
                self.best[i], self.best_epoch[i] = record["val_loss"], epoch
                self.best_weights[i] = model.get_weights()
                self.wait[i] = 0
                continue
            if self.wait[i] >= self.patience and epoch > 0:
                self.stopped[i] = True
        if all(self.stopped) or (self.prune is not None and epoch == self.prune.epoch
                                 and self.prune.check(self.history)):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        for model, weights in zip(self.stacked.models, self.best_weights):
            if weights is not None:
                model.set_weights(weights)

    def outcomes(self, initial_epoch: int) -> list[FitOutcome]:
        result = []
        for i in range(self.stacked.k):
            run = len(self.history[i].get("loss", ()))
            best = self.best_epoch[i] if self.best_epoch[i] is not None else initial_epoch + run - 1
            result.append(FitOutcome(history=self.history[i], best_epoch=int(best), initial_epoch=initial_epoch,
                                     epochs_run=run))
        return result


def _fold_logs(logs: dict, model, prefix: str) -> dict:
    """One fold's `loss`, `val_loss` and metrics out of the stacked model's logs, named as its own fit names them.

    Keras prefixes each output's logs with the output's name (`fold0_accuracy`), except for a single output.
    """
    regularisation = float(sum(float(np.asarray(loss)) for loss in model.losses)) if model.losses else 0.0
    record = {}
    for key, value in logs.items():
        val = key.startswith("val_")
        name = key[4:] if val else key
        if not name.startswith(prefix):
            continue
        name = name[len(prefix):]
        if name == "loss":
            continue  # averaged per batch size: the weighted `fold_loss` metric is the exact one
        name = "loss" if name == "fold_loss" else name
        value = float(value) + (regularisation if name == "loss" else 0.0)
        record[("val_" if val else "") + name] = value
    return record
