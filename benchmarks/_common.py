"""Helpers shared by the benchmark sections of `benchmarks/run.py`.

Timing on a shared machine is noisy, so every figure the suite reports is a
ratio of two contenders measured side by side in one process: the
contenders run in interleaved rounds (the order alternates every round);
within a round each side's figure is its fastest epoch after the first, and
a ratio is the median over rounds of the per-round ratios.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def machine(installed: Sequence[str] = ()) -> str:
    """One line naming the machine, its load and the library versions.

    Args:
        installed: Distributions to name from their installed metadata (a
            parent process that leaves the libraries to its children);
            otherwise the libraries this process imported are named.
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average {:.1f}".format(os.getloadavg()[0])
    versions = [f"Python {sys.version.split()[0]}"]
    for mod in ("tensorflow", "keras", "torch", "sklearn"):
        if mod in sys.modules:
            versions.append(f"{mod} {getattr(sys.modules[mod], '__version__', '?')}")
    if installed:
        from importlib.metadata import PackageNotFoundError, version

        for name in installed:
            try:
                versions.append(f"{name} {version(name)}")
            except PackageNotFoundError:
                versions.append(f"{name} not installed")
    return f"{cpu}, {os.cpu_count()} cores{load}; " + ", ".join(versions)


def torch_or_none():
    """The `torch` module, or `None` when it is not installed (CI does not install it)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def tf_threads() -> int:
    """Threads TensorFlow uses inside one op (its default is the core count)."""
    import tensorflow as tf

    return tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count() or 1


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def interleave(contenders: dict[str, Callable[[int], Any]], rounds: int) -> dict[str, list[Any]]:
    """Runs each contender once per round, alternating the order every round.

    Args:
        contenders: `{name: run}`; `run(round_index)` returns a measurement.
        rounds: Number of rounds.

    Returns:
        `{name: [measurement per round]}`.
    """
    names = list(contenders)
    results: dict[str, list[Any]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            results[name].append(contenders[name](r))
    return results


class Stopwatch:
    """Wall and process-CPU seconds of a block: `with Stopwatch() as sw: ...; sw.wall`."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def epoch_timer():
    """A Keras callback recording each epoch's wall and CPU seconds in `.wall` / `.cpu`."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.wall: list[float] = []
            self.cpu: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._sw = Stopwatch().__enter__()

        def on_epoch_end(self, epoch, logs=None):
            self._sw.__exit__()
            self.wall.append(self._sw.wall)
            self.cpu.append(self._sw.cpu)

    return EpochTimer()


def after_first(values: Sequence[float]) -> float:
    """The fastest epoch after the first (which traces and compiles).

    The fastest, not the mean: on a shared machine other work only ever
    adds time, so the minimum is the least disturbed measurement.
    """
    return min(values[1:] if len(values) > 1 else values)


def paired_ratio(slow: Sequence[float], fast: Sequence[float]) -> float:
    """Median over rounds of `slow[r] / fast[r]`: each pair ran back to back, under the same load."""
    return median([s / f for s, f in zip(slow, fast) if f > 0])


def ratio(slow: float, fast: float) -> str:
    """`slow / fast` as `"1.23x"`."""
    return f"{slow / fast:.2f}x" if fast > 0 else "n/a"


def times(value: float) -> str:
    """A ratio as `"1.23x"`."""
    return f"{value:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def spread(measurements: Sequence[dict], key: str) -> str:
    """`"mean ± std"` of `m[key]` over measurements (rounds)."""
    values = [m[key] for m in measurements]
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.3f} ± {std:.3f}"


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def digits(layout: str, test_size: float = 0.2, seed: int = 0, n: int | None = None):
    """scikit-learn's bundled digits, pixels / 16, as `(X_train, X_test, y_train, y_test)`.

    Args:
        layout: `"image"` for `(n, 8, 8, 1)` or `"flat"` for `(n, 64)`.
        test_size: Held-out fraction (stratified).
        seed: Split seed.
        n: Use only the first `n` samples (quick runs).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X = (d.images / 16.0).astype("float32")
    X = X[..., None] if layout == "image" else X.reshape(len(X), -1)
    y = d.target.astype("int64")
    if n is not None:
        X, y = X[:n], y[:n]
    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)


def digits_rgb(size: int, n: int | None = None, seed: int = 0):
    """Digits upscaled to `size`x`size` RGB in [0, 255] (for the VGG16 base), split 80/20."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    images, y = d.images, d.target.astype("int64")
    if n is not None:
        images, y = images[:n], y[:n]
    reps = -(-size // 8)
    big = np.kron(images, np.ones((reps, reps)))[:, :size, :size] * (255.0 / 16.0)
    X = np.repeat(big[..., None], 3, axis=-1).astype("float32")
    return train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
