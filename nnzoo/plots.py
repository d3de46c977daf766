"""Plots a practitioner looks at after training, as matplotlib Figures.

Each function returns a `matplotlib.figure.Figure` (not registered with
pyplot, so nothing piles up in a loop; in Jupyter, run `%matplotlib inline`
first and it shows when it is the cell's value) and saves a PNG when given `path=` (written to a temporary file, then
renamed). matplotlib is optional: `pip install nnzoo[plots]`.

- `plot_history(history)`: loss and metrics per epoch, train vs validation.
- `plot_confusion_matrix(cm_or_result, labels)`: counts (or row shares).
- `plot_learning_rate(schedule_or_history, epochs)`: the learning rate per epoch.
- `plot_reconstruction_error(errors, threshold)`: anomaly scores with the cut.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnzoo._validation import check_float, check_int, fail, fail_type, suggest

__all__ = [
    "learning_rates",
    "plot_confusion_matrix",
    "plot_history",
    "plot_learning_rate",
    "plot_reconstruction_error",
]

#: History keys that are learning rates, not metrics.
_LR_KEYS = ("learning_rate", "lr")


def _figure(*args: Any, **kwargs: Any):
    """A new matplotlib Figure; a clear ImportError when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            "nnzoo.plots needs matplotlib, which is not installed. "
            "Install it with `pip install nnzoo[plots]` (or `pip install matplotlib`)."
        ) from err
    return Figure(*args, **kwargs)


def _save(fig, path: str | os.PathLike | None, dpi: int = 120) -> None:
    if path is None:
        return
    from nnzoo._io import atomic_path

    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix, dpi=dpi, bbox_inches="tight")


def _integer_ticks(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _history_dict(history) -> dict[str, list[float]]:
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        fail_type("`history` must be a Keras History or a dict of lists",
                  "the return value of model.fit(...) or history.history", history_type=type(history).__name__)
    out = {}
    for key, values in logs.items():
        values = [float(v) for v in np.asarray(values, dtype="float64").ravel()]
        if values:
            out[str(key)] = values
    return out


def plot_history(history, *, metrics: Sequence[str] | None = None, path: str | os.PathLike | None = None):
    """Plots loss and metrics per epoch, training against validation.

    One panel per quantity (`loss`, `accuracy`, `mae`, ...): the training
    curve, and the `val_` curve when there is one. Learning-rate logs are
    left to `plot_learning_rate`.

    Args:
        history: The `History` returned by `model.fit`, or its `.history` dict.
        metrics: Quantities to plot (default: all, loss first).
        path: If given, save the figure there as a PNG (atomically).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: For an empty history or an unknown metric name.
        TypeError: If `history` is neither a History nor a dict.
        ImportError: If matplotlib is not installed.

    Example:

    >>> history = model.fit(X, y, validation_split=0.1, epochs=20)
    >>> fig = plot_history(history, path="history.png")
    """
    logs = _history_dict(history)
    bases = [k for k in logs if not k.startswith("val_") and k not in _LR_KEYS]
    bases += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in bases and k[4:] not in _LR_KEYS]
    bases.sort(key=lambda k: k != "loss")
    if not bases:
        fail("The history has no loss or metric values", "a History from model.fit with at least one epoch",
             keys=sorted(logs))
    if metrics is not None:
        if isinstance(metrics, str):
            metrics = [metrics]
        for m in metrics:
            if m not in bases:
                fail(f"Unknown metric in the history.{suggest(m, bases)}", "one of " + ", ".join(map(repr, bases)),
                     metric=m)
        bases = list(metrics)

    fig = _figure(figsize=(5 * len(bases), 3.6), layout="constrained")
    axes = fig.subplots(1, len(bases), squeeze=False)[0]
    for ax, key in zip(axes, bases):
        for name, style, label in ((key, "-", "train"), (f"val_{key}", "--", "validation")):
            if name in logs:
                values = logs[name]
                ax.plot(range(1, len(values) + 1), values, style, marker="o", markersize=3, label=label)
        if key == "loss":  # the epoch EarlyStopping(restore_best_weights=True) keeps
            best = int(np.argmin(logs.get("val_loss") or logs["loss"]))
            ax.axvline(best + 1, color="grey", linewidth=0.8, linestyle=":", label=f"best epoch {best + 1}")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        _integer_ticks(ax)
        ax.grid(True, alpha=0.3)
        ax.legend()
    _save(fig, path)
    return fig


def plot_confusion_matrix(
    cm_or_result,
    labels: Sequence[str] | None = None,
    *,
    normalize: bool = False,
    title: str | None = None,
    path: str | os.PathLike | None = None,
):
    """Plots a confusion matrix with its counts written in the cells.

    Args:
        cm_or_result: A square array (rows = true class, columns =
            predicted class) or an `nnzoo.evaluation.Evaluation`.
        labels: Class names (default: the result's labels, or 0..k-1).
        normalize: Show each row as shares of the true class.
        title: Figure title (default: accuracy, when known).
        path: If given, save the figure there as a PNG (atomically).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: For a matrix that is not square, or labels of the wrong length.
        ImportError: If matplotlib is not installed.

    Example:

    >>> result = nnzoo.evaluate(model, test)
    >>> fig = plot_confusion_matrix(result, path="confusion.png")
    """
    accuracy = None
    if hasattr(cm_or_result, "confusion_matrix") and hasattr(cm_or_result, "metrics"):
        if cm_or_result.confusion_matrix is None:
            fail("This evaluation has no confusion matrix", "a binary or multiclass evaluation",
                 task=cm_or_result.task)
        labels = labels if labels is not None else cm_or_result.labels
        accuracy = cm_or_result.metrics.get("accuracy")
        cm = cm_or_result.confusion_matrix
    else:
        cm = cm_or_result
    try:
        cm = np.asarray(cm, dtype="float64")
    except (TypeError, ValueError):
        fail_type("The confusion matrix must be numeric", "a square array of counts", cm=cm_or_result)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        fail("The confusion matrix must be square", "shape (k, k)", cm_shape=cm.shape)
    k = cm.shape[0]
    labels = [str(v) for v in (labels if labels is not None else range(k))]
    if len(labels) != k:
        fail("`labels` do not match the matrix", f"{k} labels", labels=labels)
    shown = cm
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        shown = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)

    side = min(12.0, 2.5 + 0.55 * k)
    fig = _figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shown, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), labels, rotation=45 if max(map(len, labels)) > 3 else 0, ha="right" if max(map(len, labels)) > 3 else "center")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = shown.max() if shown.size else 0
    if k <= 30:
        for i in range(k):
            for j in range(k):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(round(cm[i, j]))}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8 if k > 12 else 10,
                        color="white" if top and shown[i, j] > 0.6 * top else "black")
    if title is None and accuracy is not None:
        title = f"accuracy {accuracy:.3f}"
    if title:
        ax.set_title(title)
    _save(fig, path)
    return fig


def learning_rates(schedule_or_history, epochs: int | None = None, *, initial_lr: float = 1e-3) -> list[float]:
    """The learning rate of each epoch, from a schedule or a training history.

    A schedule is called the way Keras's `LearningRateScheduler` calls it:
    `schedule(epoch, lr)` with the previous rate (or `schedule(epoch)` if it
    takes one argument), starting from `initial_lr`. A `LearningRateScheduler`
    callback is read through its `.schedule`.

    Args:
        schedule_or_history: A callable schedule, a `LearningRateScheduler`,
            a `History`, or a dict with a `"learning_rate"` (or `"lr"`) list.
        epochs: Number of epochs (needed for a schedule; for a history, the
            first `epochs` are kept).
        initial_lr: The optimizer's starting rate, for a schedule.

    Returns:
        A list of floats, one per epoch.

    Raises:
        ValueError: For a history without learning-rate logs, a schedule
            without `epochs`, or non-finite rates.
    """
    source = schedule_or_history
    if epochs is not None:
        epochs = check_int("epochs", epochs)
    if callable(getattr(source, "schedule", None)) and not hasattr(source, "history"):
        source = source.schedule  # a LearningRateScheduler callback
    if callable(source) and not isinstance(source, Mapping) and not hasattr(source, "history"):
        if epochs is None:
            fail("`epochs` is required to plot a schedule", "the number of epochs, e.g. epochs=50", epochs=None)
        lr = check_float("initial_lr", initial_lr, low=0.0, low_inclusive=False)
        rates = []
        for epoch in range(epochs):
            try:
                lr = source(epoch, lr)
            except TypeError:
                lr = source(epoch)
            rates.append(float(lr))
    else:
        logs = _history_dict(source)
        key = next((k for k in _LR_KEYS if k in logs), None)
        if key is None:
            fail("The history has no learning-rate logs", "a History whose logs include 'learning_rate' "
                 "(Keras 3 logs it when the rate changes by a callback)", keys=sorted(logs))
        rates = logs[key][:epochs] if epochs is not None else logs[key]
    if not rates or not all(math.isfinite(r) and r >= 0 for r in rates):
        fail("The learning rates must be finite and non-negative", "a schedule returning positive floats",
             rates=rates[:5])
    return rates


def plot_learning_rate(
    schedule_or_history,
    epochs: int | None = None,
    *,
    initial_lr: float = 1e-3,
    log_scale: bool | None = None,
    path: str | os.PathLike | None = None,
):
    """Plots the learning rate over epochs.

    Args:
        schedule_or_history: A schedule `schedule(epoch, lr)` (as
            `LearningRateScheduler` takes), such a callback, a `History`
            with `"learning_rate"` logs, or its `.history` dict.
        epochs: Number of epochs (required for a schedule).
        initial_lr: Starting rate fed to a schedule.
        log_scale: Log y axis; default: when the rate spans more than 20x.
        path: If given, save the figure there as a PNG (atomically).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: See `learning_rates`.
        ImportError: If matplotlib is not installed.

    Example:

    >>> def step(epoch, lr):
    ...     return lr * 0.5 if epoch and epoch % 10 == 0 else lr
    >>> fig = plot_learning_rate(step, epochs=50, initial_lr=1e-2)
    """
    rates = learning_rates(schedule_or_history, epochs, initial_lr=initial_lr)
    fig = _figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.plot(range(1, len(rates) + 1), rates, marker="o", markersize=3)
    positive = [r for r in rates if r > 0]
    if log_scale is None:
        log_scale = bool(positive) and max(positive) / min(positive) > 20 and len(positive) == len(rates)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    _integer_ticks(ax)
    ax.set_ylabel("learning rate")
    ax.set_title("learning rate")
    ax.grid(True, alpha=0.3)
    _save(fig, path)
    return fig


def plot_reconstruction_error(
    errors,
    threshold: float | None = None,
    *,
    bins: int = 50,
    path: str | os.PathLike | None = None,
):
    """Plots a histogram of per-sample reconstruction errors with the anomaly cut.

    Args:
        errors: Per-sample scores, e.g. from `nnzoo.reconstruction_error`.
        threshold: Scores above it count as anomalies (a vertical line, and
            the count in the legend); `None` for no line.
        bins: Histogram bins.
        path: If given, save the figure there as a PNG (atomically).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ValueError: For empty or non-finite errors, or a non-finite threshold.
        ImportError: If matplotlib is not installed.

    Example:

    >>> scores = nnzoo.reconstruction_error(model, X_test)
    >>> cut = np.quantile(nnzoo.reconstruction_error(model, X_train), 0.99)
    >>> fig = plot_reconstruction_error(scores, cut, path="errors.png")
    """
    try:
        values = np.asarray(errors, dtype="float64").ravel()
    except (TypeError, ValueError):
        fail_type("`errors` must be numbers", "a 1-D array of per-sample errors", errors=errors)
    if values.size == 0:
        fail("`errors` is empty", "at least one per-sample error", errors_shape=np.shape(errors))
    if not np.all(np.isfinite(values)):
        fail("`errors` holds NaN or infinite values", "finite per-sample errors",
             non_finite=int(np.sum(~np.isfinite(values))))
    bins = check_int("bins", bins)
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            fail_type("`threshold` must be a number", "a float or None", threshold=threshold)
        threshold = check_float("threshold", threshold, low=-math.inf)

    fig = _figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.hist(values, bins=bins, color="tab:blue", alpha=0.8, label=f"{values.size} samples")
    if threshold is not None:
        above = int(np.sum(values > threshold))
        ax.axvline(threshold, color="tab:red", linestyle="--", linewidth=1.5,
                   label=f"threshold {threshold:.4g}: {above} above ({above / values.size:.1%})")
    ax.set_xlabel("reconstruction error")
    ax.set_ylabel("samples")
    ax.set_title("reconstruction error")
    ax.legend()
    _save(fig, path)
    return fig
