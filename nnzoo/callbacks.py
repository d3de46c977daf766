"""Training callbacks: early stopping, learning-rate schedules, plateau, checkpoints.

nnzoo configures Keras's own callbacks; it adds only what they lack:

- Schedules (`step_decay`, `exponential_decay`, `cosine_annealing`) are named,
  serialisable objects, not lambdas, so keras-tuner can deep-copy them and
  they pickle. They run through `keras.callbacks.LearningRateScheduler`
  rather than as a `LearningRateSchedule` on the optimizer, so they work in
  the same `fit` as `ReduceLROnPlateau` (Keras refuses to set the rate of an
  optimizer that holds a schedule object).
- Each schedule is *multiplicative*: at each epoch it scales the current rate
  by `f(epoch) / f(epoch - 1)`. A reduction made by `ReduceLROnPlateau`
  therefore carries forward instead of being overwritten next epoch.
- `SafeModelCheckpoint` writes to a temporary file and renames it into
  place, so an interrupted run never leaves a broken checkpoint.
"""

from __future__ import annotations

import abc
import math
import os
from typing import Any

import keras

from nnzoo._io import atomic_path, write_model
from nnzoo._options import SCHEDULES
from nnzoo._validation import check_choice, check_float, check_int, fail

__all__ = [
    "CosineAnnealing",
    "ExponentialDecay",
    "SafeModelCheckpoint",
    "StepDecay",
    "cosine_annealing",
    "early_stopping",
    "exponential_decay",
    "get_schedule",
    "reduce_lr_on_plateau",
    "standard_callbacks",
    "step_decay",
]



class _Schedule(abc.ABC):
    """Base of the multiplicative epoch schedules: subclasses define `factor`."""

    @abc.abstractmethod
    def factor(self, epoch: int) -> float:
        """The rate at `epoch` as a fraction of the initial rate."""

    def __call__(self, epoch: int, lr: float | None = None) -> float:
        """Returns the learning rate for `epoch` given the current rate `lr`.

        The first call (`epoch == 0`) scales the optimizer's rate by
        `factor(0)`; later epochs scale the current rate by
        `factor(epoch) / factor(epoch - 1)`.
        """
        if lr is None:
            raise TypeError(f"{type(self).__name__} needs the current learning rate: call it as schedule(epoch, lr)")
        lr = float(lr)
        if epoch <= 0:
            return lr * self.factor(0)
        prev = self.factor(epoch - 1)
        if prev <= 0.0:
            return lr
        return lr * self.factor(epoch) / prev

    def rates(self, initial_lr: float, epochs: int) -> list[float]:
        """The learning rate at each of `epochs` epochs, with no plateau cuts."""
        return [float(initial_lr) * self.factor(e) for e in range(epochs)]

    def get_config(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({args})"


class StepDecay(_Schedule):
    """Step decay: the rate is multiplied by `drop` every `every` epochs.

    `factor(t) = drop ** floor(t / every)`.

    Args:
        drop: Multiplier at each step, in (0, 1].
        every: Epochs between steps.
    """

    def __init__(self, drop: float = 0.5, every: int = 10):
        self.drop = check_float("drop", drop, low=0.0, high=1.0, low_inclusive=False)
        self.every = check_int("every", every)

    def factor(self, epoch: int) -> float:
        return self.drop ** (epoch // self.every)


class ExponentialDecay(_Schedule):
    """Exponential decay: `factor(t) = exp(-rate * t)`.

    Args:
        rate: Decay rate per epoch, >= 0 (0.1 gives about -10% per epoch).
    """

    def __init__(self, rate: float = 0.1):
        self.rate = check_float("rate", rate, low=0.0)

    def factor(self, epoch: int) -> float:
        return math.exp(-self.rate * epoch)


class CosineAnnealing(_Schedule):
    """Cosine annealing over `epochs`, with optional linear warmup.

    During `warmup` epochs the rate rises linearly to its full value; over the
    remaining epochs it follows half a cosine from 1 down to `alpha`, and
    stays at `alpha` afterwards.

    Args:
        epochs: Length of the schedule in epochs (warmup included).
        alpha: Final rate as a fraction of the initial rate, in [0, 1).
        warmup: Warmup epochs, 0 to `epochs - 1`.
    """

    def __init__(self, epochs: int = 50, alpha: float = 0.01, warmup: int = 0):
        self.epochs = check_int("epochs", epochs)
        self.alpha = check_float("alpha", alpha, low=0.0, high=1.0, high_inclusive=False)
        self.warmup = check_int("warmup", warmup, minimum=0)
        if self.warmup >= self.epochs:
            fail("`warmup` must be shorter than the schedule", f"warmup < epochs={self.epochs}", warmup=warmup)

    def factor(self, epoch: int) -> float:
        if epoch < self.warmup:
            return (epoch + 1) / (self.warmup + 1)
        span = max(1, self.epochs - self.warmup)
        progress = min(1.0, (epoch - self.warmup) / span)
        return self.alpha + (1.0 - self.alpha) * 0.5 * (1.0 + math.cos(math.pi * progress))


def step_decay(drop: float = 0.5, every: int = 10, verbose: int = 0) -> keras.callbacks.LearningRateScheduler:
    """Returns a `LearningRateScheduler` running `StepDecay(drop, every)`.

    Example:

    >>> model.fit(X, y, epochs=30, callbacks=[step_decay(0.5, every=10)])
    """
    return keras.callbacks.LearningRateScheduler(StepDecay(drop, every), verbose=verbose)


def exponential_decay(rate: float = 0.1, verbose: int = 0) -> keras.callbacks.LearningRateScheduler:
    """Returns a `LearningRateScheduler` running `ExponentialDecay(rate)`."""
    return keras.callbacks.LearningRateScheduler(ExponentialDecay(rate), verbose=verbose)


def cosine_annealing(epochs: int = 50, alpha: float = 0.01, warmup: int = 0, verbose: int = 0):
    """Returns a `LearningRateScheduler` running `CosineAnnealing(epochs, alpha, warmup)`."""
    return keras.callbacks.LearningRateScheduler(CosineAnnealing(epochs, alpha, warmup), verbose=verbose)


def get_schedule(schedule: str | _Schedule | None, *, epochs: int | None = None) -> _Schedule | None:
    """Resolves a schedule name (`"cosine"`, `"step"`, `"exponential"`) or object.

    Args:
        schedule: A name, a schedule object, or `None`.
        epochs: Planned epochs; sizes the defaults (cosine spans them, step
            decays every third of them, exponential ends near 5%).

    Returns:
        A schedule object, or `None`.
    """
    if schedule is None or isinstance(schedule, _Schedule):
        return schedule
    name = check_choice("schedule", schedule, SCHEDULES)
    n = 50 if epochs is None else check_int("epochs", epochs)
    if name == "cosine":
        return CosineAnnealing(epochs=n, alpha=0.01, warmup=min(2, n - 1) if n > 10 else 0)
    if name == "step":
        return StepDecay(drop=0.5, every=max(1, n // 3))
    return ExponentialDecay(rate=3.0 / n)


def early_stopping(monitor: str = "val_loss", patience: int = 10, *, restore_best_weights: bool = True, **kwargs: Any):
    """Returns Keras `EarlyStopping`, restoring the best weights by default.

    Args:
        monitor: Quantity to watch, e.g. `"val_loss"` or `"val_accuracy"`.
        patience: Epochs without improvement before stopping.
        restore_best_weights: Restore the weights of the best epoch.
        **kwargs: Other `keras.callbacks.EarlyStopping` arguments (`mode`,
            `min_delta`, `start_from_epoch`, ...).
    """
    patience = check_int("patience", patience, minimum=0)
    return keras.callbacks.EarlyStopping(
        monitor=monitor, patience=patience, restore_best_weights=restore_best_weights, **kwargs
    )


def reduce_lr_on_plateau(
    monitor: str = "val_loss", factor: float = 0.5, patience: int = 5, min_lr: float = 1e-6, **kwargs: Any
):
    """Returns Keras `ReduceLROnPlateau` with a sensible floor.

    Args:
        monitor: Quantity to watch.
        factor: Multiplier applied on a plateau, in (0, 1).
        patience: Epochs without improvement before a cut.
        min_lr: Lower bound on the rate.
        **kwargs: Other `keras.callbacks.ReduceLROnPlateau` arguments.
    """
    factor = check_float("factor", factor, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    patience = check_int("patience", patience, minimum=0)
    return keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=factor, patience=patience, min_lr=min_lr, **kwargs)


class SafeModelCheckpoint(keras.callbacks.Callback):
    """Saves the best model so far, atomically (temporary file, then rename).

    Keras's `ModelCheckpoint` writes straight to the final path, so a run
    killed mid-write leaves a broken file where the last good one stood.

    Whether an epoch improved is decided by Keras's own monitor rules (a
    `keras.callbacks.EarlyStopping` that never stops does the bookkeeping):
    with `mode="auto"` the direction comes from the compiled metric itself,
    so `"val_precision"` or `"val_auc"` are maximised and `"val_loss"` or
    `"val_mae"` minimised, whatever their names. Epochs whose value is
    missing or not finite are skipped.

    Args:
        filepath: Destination ending in `.keras`.
        monitor: Quantity to watch.
        mode: `"min"`, `"max"` or `"auto"` (the metric's own direction).
        save_best_only: Save only when `monitor` improves.

    Raises:
        ValueError: For a path not ending in `.keras` or an unknown mode; at
            the first epoch, with `mode="auto"`, for a monitored quantity
            whose direction Keras cannot tell (pass `mode`).
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", mode: str = "auto", save_best_only: bool = True):
        super().__init__()
        filepath = os.fspath(filepath)
        if not filepath.endswith(".keras"):
            fail("The checkpoint path must end in `.keras`", "a path like 'best.keras'", filepath=filepath)
        self.filepath = filepath
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("min", "max", "auto"))
        self.save_best_only = save_best_only
        self._judge = keras.callbacks.EarlyStopping(monitor=monitor, mode=self.mode, patience=2**62)

    @property
    def best(self) -> float | None:
        """The best value of `monitor` so far (None before the first)."""
        best = self._judge.best
        return None if best is None else float(best)

    def set_model(self, model):
        super().set_model(model)
        self._judge.set_model(model)

    def on_train_begin(self, logs=None):
        self._judge.on_train_begin(logs)

    def _improved(self, epoch: int, logs) -> bool:
        self._judge.on_epoch_end(epoch, logs)
        return self._judge.wait == 0  # EarlyStopping resets its wait on an improvement only

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or not math.isfinite(float(value)) or not self._improved(epoch, logs):
                return
        with atomic_path(self.filepath) as tmp:
            write_model(self.model, tmp)


def standard_callbacks(
    monitor: str = "val_loss",
    patience: int = 10,
    schedule: str | _Schedule | None = None,
    *,
    epochs: int | None = None,
    plateau_patience: int | None = None,
    plateau_factor: float = 0.5,
    min_lr: float = 1e-6,
    checkpoint_path: str | None = None,
) -> list[keras.callbacks.Callback]:
    """The usual training callbacks in one call.

    Returns, in order: `TerminateOnNaN`, `EarlyStopping` (best weights
    restored), `ReduceLROnPlateau`, then a `LearningRateScheduler` when
    `schedule` is set and a `SafeModelCheckpoint` when `checkpoint_path` is.

    Args:
        monitor: Quantity watched by early stopping, plateau and checkpoint.
        patience: Early-stopping patience in epochs.
        schedule: `"cosine"`, `"step"`, `"exponential"`, a schedule object,
            or `None`.
        epochs: Planned epochs; sizes a named schedule (see `get_schedule`).
        plateau_patience: Plateau patience (default `max(1, patience // 2)`).
        plateau_factor: Plateau multiplier.
        min_lr: Plateau floor.
        checkpoint_path: Where to keep the best model (`.keras`), or `None`.

    Returns:
        A list of Keras callbacks.

    Raises:
        ValueError: For an unknown schedule or invalid numbers.

    Example:

    >>> from nnzoo.callbacks import standard_callbacks
    >>> cbs = standard_callbacks(patience=10, schedule="cosine", epochs=60)
    >>> model.fit(X, y, validation_split=0.2, epochs=60, callbacks=cbs)
    """
    patience = check_int("patience", patience, minimum=0)
    plateau_patience = max(1, patience // 2) if plateau_patience is None else plateau_patience
    sched = get_schedule(schedule, epochs=epochs)
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.TerminateOnNaN(),
        early_stopping(monitor, patience),
        reduce_lr_on_plateau(monitor, factor=plateau_factor, patience=plateau_patience, min_lr=min_lr),
    ]
    if sched is not None:
        callbacks.append(keras.callbacks.LearningRateScheduler(sched))
    if checkpoint_path is not None:
        callbacks.append(SafeModelCheckpoint(checkpoint_path, monitor=monitor))
    return callbacks
