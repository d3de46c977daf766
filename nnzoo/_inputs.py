"""Checks of the data given to `fit`, `fit_cached`, `evaluate`, `tune` and the adapters.

Every entry point that trains or scores calls these before any work, so bad
data fails in one voice instead of training into a broken model or failing
deep inside TensorFlow:

- `check_finite`: no NaN or infinity in numeric arrays, no complex numbers;
  the message counts them and names the columns (or feature indices).
- `check_sample_weight`: finite and non-negative weights.
- `check_shuffle`: a bool (or Keras's `"batch"`).
- `check_features`: samples shaped like the model's input.
- `check_targets`: targets that fit the model's head, read by
  `nnzoo._tasks.read_head` (the one place that reads a task from a built
  model's output layer).

They are cheap (one `np.isfinite` pass over each array). Anything that is
not an array (a `tf.data.Dataset`, a `PyDataset`, a generator) passes
through unchecked: its values are not known before training.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from nnzoo._tasks import input_shape as _input_shape
from nnzoo._tasks import read_head
from nnzoo._validation import message_text

#: Entries listed in a message before "..." is written.
MAX_LISTED = 10


# --------------------------------------------------------------------------- #
# Arrays


def _is_array(data: Any) -> bool:
    """NumPy arrays, pandas objects, tensors and plain nested lists of numbers."""
    if isinstance(data, (str, bytes)) or data is None:
        return False
    if isinstance(data, (list, tuple)):
        return bool(data) and all(isinstance(v, numbers.Number) or _is_array(v) for v in data)
    return hasattr(data, "shape") and (hasattr(data, "dtype") or hasattr(data, "dtypes"))


def _leaves(name: str, data: Any):
    """`(name, array-like)` for each array in `data` (dicts and tuples of arrays for multi-input models)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(f"{name}[{k!r}]", v)
    elif isinstance(data, (list, tuple)) and data and not isinstance(data[0], numbers.Number) and all(
        _is_array(v) and not isinstance(v, (list, tuple)) for v in data
    ):
        for i, v in enumerate(data):
            yield from _leaves(f"{name}[{i}]", v)
    elif _is_array(data):
        yield name, data


def _listed(items) -> str:
    items = list(items)
    shown = ", ".join(repr(i) if isinstance(i, str) else str(i) for i in items[:MAX_LISTED])
    return f"[{shown}{', ...' if len(items) > MAX_LISTED else ''}]"


def _numpy(data: Any) -> np.ndarray:
    if hasattr(data, "numpy") and not isinstance(data, np.ndarray) and not hasattr(data, "to_numpy"):
        data = data.numpy()  # eager tensors
    return np.asarray(data)


def _where(bad: np.ndarray, columns) -> str:
    """'in columns [..]' / 'at feature indices [..]' / 'at rows [..]' of the True entries of `bad`."""
    if bad.ndim == 1:
        return f"at rows {_listed(np.flatnonzero(bad).tolist())}"
    flat = bad.reshape(len(bad), -1)
    idx = np.flatnonzero(flat.any(axis=0)).tolist()
    if bad.ndim == 2:
        return f"in columns {_listed([columns[i] for i in idx] if columns is not None else idx)}"
    return f"at feature indices {_listed(idx)} (of the {flat.shape[1]} flattened features per sample)"


def check_finite(name: str, data: Any) -> None:
    """Refuses NaN, infinity and complex numbers in the arrays of `data`.

    Args:
        name: The argument's name in messages (`"X"`, `"y"`, ...).
        data: An array-like, a dict or tuple of them, or anything else
            (datasets and generators pass through).

    Raises:
        ValueError: NaN or infinite values; the message says how many and
            in which columns.
        TypeError: Complex numbers.
    """
    for leaf_name, leaf in _leaves(name, data):
        columns = None
        if hasattr(leaf, "columns") and hasattr(leaf, "dtypes"):  # a DataFrame: its numeric columns
            columns = [str(c) for c in leaf.columns]
            kinds = {np.dtype(d).kind if isinstance(d, np.dtype) else "O" for d in leaf.dtypes}
            if kinds - set("biufc"):  # mixed or text columns: check the numeric ones only
                numeric = leaf.select_dtypes("number")
                if numeric.shape[1] == 0:
                    continue
                columns, leaf = [str(c) for c in numeric.columns], numeric
        try:
            arr = _numpy(leaf)
        except (TypeError, ValueError):
            continue  # ragged or odd data: Keras says what is wrong with it
        if arr.dtype.kind == "c":
            raise TypeError(message_text(
                f"Complex data not supported: `{leaf_name}` holds complex numbers",
                "real numbers (take .real, .imag or np.abs first)",
                f"{leaf_name} with dtype {arr.dtype}",
            ))
        if arr.dtype.kind != "f" or arr.size == 0:
            continue
        finite = np.isfinite(arr)
        if finite.all():
            continue
        nan = np.isnan(arr)
        inf = ~finite & ~nan
        parts = []
        for mask, what in ((nan, "NaN"), (inf, "infinite")):
            count = int(mask.sum())
            if count:
                parts.append(f"{count} {what} value{'s' if count > 1 else ''} {_where(mask, columns)}")
        raise ValueError(message_text(
            f"`{leaf_name}` contains NaN or infinite values (a model trained on them learns NaN weights)",
            "finite numbers only; impute or drop missing values first (e.g. sklearn.impute.SimpleImputer)",
            f"{leaf_name} with " + " and ".join(parts),
        ))


def check_sample_weight(sample_weight: Any, name: str = "sample_weight") -> None:
    """Refuses NaN, infinite or negative sample weights (arrays only)."""
    if not _is_array(sample_weight):
        return
    check_finite(name, sample_weight)
    w = _numpy(sample_weight)
    if w.dtype.kind in "biuf" and w.size and (w < 0).any():
        neg = w < 0
        raise ValueError(message_text(
            f"`{name}` must not be negative", "weights >= 0",
            f"{name} with {int(neg.sum())} negative value(s) {_where(neg, None)}",
        ))


def check_shuffle(shuffle: Any) -> None:
    """`shuffle` is a bool, or `"batch"` as in `model.fit`."""
    if isinstance(shuffle, (bool, np.bool_)) or (isinstance(shuffle, str) and shuffle == "batch"):
        return
    raise TypeError(message_text("`shuffle` must be a bool", "True or False (or 'batch', as in model.fit)",
                                 f"shuffle={shuffle!r}"))


def _shape_text(shape) -> str:
    return "(n, " + ", ".join("any" if d is None else str(d) for d in shape) + ")"


def check_features(model, x: Any, name: str = "x") -> None:
    """Refuses samples whose shape differs from the model's (single) input."""
    expected = _input_shape(model)
    if expected is None or not _is_array(x) or isinstance(x, (dict, list, tuple)):
        return
    got = tuple(int(d) for d in np.shape(x)[1:]) if hasattr(x, "shape") else tuple(np.shape(_numpy(x))[1:])

    def fits(a, b):
        return len(a) == len(b) and all(e is None or e == g for e, g in zip(a, b))

    # Keras adds or drops a trailing axis of size 1 itself.
    if fits(expected, got) or fits(expected, got + (1,)) or (got[-1:] == (1,) and fits(expected, got[:-1])):
        return
    if len(expected) == 1 and len(got) == 1:
        problem = f"`{name}` does not match the model's input: {got[0]} features, but the model takes {expected[0]}"
    else:
        problem = f"`{name}` does not match the model's input: samples of shape {got}, but the model takes {expected}"
    raise ValueError(message_text(problem, f"{name} of shape {_shape_text(expected)}, as the model was built",
                                  f"{name}.shape={tuple(np.shape(x))}"))


def check_targets(model, y: Any, name: str = "y") -> None:
    """Refuses targets that cannot fit the model's head (read by `read_head`).

    - numbers for every head: string or object labels are refused;
    - softmax over k classes: class ids in `[0, k)` (or one-hot rows of k);
    - one sigmoid unit: 0/1 targets (or probabilities);
    - k sigmoid units (multilabel): a 0/1 matrix of shape `(n, k)`;
    - linear: finite numbers with one column per output.
    """
    check_finite(name, y)
    if isinstance(y, dict):
        return  # multi-output targets
    if isinstance(y, (list, tuple)):
        if y and all(_is_array(v) and not isinstance(v, (list, tuple)) for v in y):
            return  # multi-output targets
        try:
            y = np.asarray(y)
        except (TypeError, ValueError):
            return
    elif not _is_array(y):
        return
    head = read_head(model)
    if head.task is None or head.output_shape is None or head.task == "reconstruction":
        return
    y = _numpy(y)
    k = head.units
    what = {"multiclass": f"a softmax over {k} classes", "binary": "one sigmoid unit (binary)",
            "multilabel": f"{k} sigmoid units (multilabel)", "regression": f"{k} linear output(s) (regression)"}[head.task]
    if y.dtype.kind not in "biuf":
        expected = {"multiclass": f"integer class ids 0..{k - 1}", "binary": "0/1 labels",
                    "multilabel": f"a 0/1 matrix of shape (n, {k})", "regression": "numbers"}[head.task]
        raise TypeError(message_text(
            f"`{name}` holds {'text' if y.dtype.kind in 'OUS' else y.dtype.kind!r} labels, but the model's head is {what}",
            expected + " (encode text labels first, e.g. with sklearn.preprocessing.LabelEncoder)",
            f"{name} with dtype {y.dtype}, e.g. {_listed(np.unique(y.ravel()[:1000].astype(str))[:3].tolist())}",
        ))
    if y.ndim == 0 or y.size == 0:
        return
    sequence_out = len(head.output_shape) > 1  # e.g. one prediction per time step: leave shapes to Keras
    per_sample = y.shape[1:]
    if head.task == "multiclass":
        if not sequence_out and per_sample == (k,):
            return  # one-hot (categorical cross-entropy)
        if not sequence_out and per_sample not in ((), (1,)):
            raise ValueError(message_text(
                f"`{name}` does not fit the model's head, {what}",
                f"class ids of shape (n,) or one-hot rows of shape (n, {k})", f"{name}.shape={y.shape}"))
        bad = (y < 0) | (y >= k) | (np.mod(y, 1) != 0 if y.dtype.kind == "f" else False)
        if bad.any():
            values = np.unique(y[bad])
            raise ValueError(message_text(
                f"`{name}` has class ids outside [0, {k}), but the model's head is {what}",
                f"integer class ids 0..{k - 1}, or a model built with num_classes={int(values.max()) + 1}"
                if (values >= 0).all() and (np.mod(values, 1) == 0).all() else f"integer class ids 0..{k - 1}",
                f"{name} with {int(bad.sum())} value(s) outside [0, {k}): {_listed(values.tolist())}"))
    elif head.task in ("binary", "multilabel"):
        if not sequence_out and head.task == "multilabel" and per_sample != (k,):
            raise ValueError(message_text(
                f"`{name}` does not fit the model's head, {what}",
                f"a 0/1 matrix of shape (n, {k}), one column per label", f"{name}.shape={y.shape}"))
        if not sequence_out and head.task == "binary" and per_sample not in ((), (1,)):
            raise ValueError(message_text(
                f"`{name}` does not fit the model's head, {what}",
                "one 0/1 label per sample, shape (n,) or (n, 1); build with task='multiclass' or 'multilabel' "
                "for more columns", f"{name}.shape={y.shape}"))
        bad = (y < 0) | (y > 1)
        if bad.any():
            raise ValueError(message_text(
                f"`{name}` has targets outside [0, 1], but the model's head is {what}",
                "0/1 labels" + (f", or task='multiclass' with num_classes={int(y.max()) + 1}"
                                if head.task == "binary" and (np.mod(y, 1) == 0).all() and y.min() >= 0 else ""),
                f"{name} with {int(bad.sum())} value(s) outside [0, 1]: {_listed(np.unique(y[bad]).tolist())}"))
    elif not sequence_out and math.prod(per_sample) != k:
        raise ValueError(message_text(
            f"`{name}` does not fit the model's head, {what}",
            f"{k} target value(s) per sample, shape (n,)" + (f" or (n, {k})" if k > 1 else " or (n, 1)"),
            f"{name}.shape={y.shape}"))


def check_training_data(model, x: Any, y: Any = None, sample_weight: Any = None, *, names=("x", "y", "sample_weight")) -> None:
    """`check_finite`, `check_features`, `check_targets` and `check_sample_weight` in one call."""
    check_finite(names[0], x)
    check_features(model, x, names[0])
    if y is not None:
        check_targets(model, y, names[1])
    check_sample_weight(sample_weight, names[2])
