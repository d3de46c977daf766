"""Data checks and splits for tuning: validated before any model trains.

`prepare(entry, X, y, ...)` checks the arrays (lengths, NaN/inf, classes),
infers the task by the one rule of `nnzoo._tasks.infer_task` (integer, bool
or string labels: classification; floats: regression; a 2-D 0/1 integer
matrix: multilabel), encodes labels, and builds the validation folds: a shuffled,
stratified hold-out (`validation_split`), scikit-learn's `StratifiedKFold`
/ `KFold` (`cv=k`), or the caller's `validation_data`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnzoo._inputs import check_finite
from nnzoo._registry import check_input_rank
from nnzoo._tasks import CLASSIFICATION, RECONSTRUCTION, check_task, infer_task, task_arguments
from nnzoo._validation import fail, fail_type


@dataclass(frozen=True)
class Prepared:
    """Validated arrays, the inferred task and the folds.

    Attributes:
        X: All samples (training data, then `validation_data` if given), float32.
        y: Encoded targets, aligned with `X`.
        task: `"regression"`, `"binary"`, `"multiclass"`, `"multilabel"` or
            `"reconstruction"`.
        num_classes: Classes (multiclass) or labels (multilabel), else None.
        num_outputs: Regression targets when more than one, else None.
        classes: Original class labels, indexed by encoded label (binary and
            multiclass), else None.
        folds: `[(train_idx, val_idx), ...]` into `X`/`y`.
        validation: `"split"`, `"cv"` or `"data"`.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    num_classes: int | None
    num_outputs: int | None
    classes: np.ndarray | None
    folds: tuple
    validation: str

    @property
    def context(self) -> dict:
        """`task`, `num_classes`, `num_outputs` keyword arguments for the factory."""
        return task_arguments(self.task, num_classes=self.num_classes, num_outputs=self.num_outputs)


def _as_features(X: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as err:
        fail_type(f"`{name}` must be an array of numbers ({err})", "a numeric array of shape (n_samples, ...)",
                  **{name: type(X).__name__})
    check_finite(name, arr)  # complex numbers, NaN, inf: counted, with their columns
    if arr.dtype.kind not in "biuf":
        fail_type(f"`{name}` must hold numbers", "a numeric array of shape (n_samples, ...)",
                  **{f"{name}_dtype": str(arr.dtype)})
    if arr.ndim < 2:
        fail(f"`{name}` needs a samples axis and at least one feature axis",
             "shape (n_samples, n_features) or (n_samples, *input_shape)", **{f"{name}_shape": arr.shape})
    arr = arr.astype("float32", copy=False)
    check_finite(name, arr)  # float64 values beyond float32's range become inf
    return arr


def _as_targets(y: Any, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 0 or arr.ndim > 2:
        fail(f"`{name}` must be a vector of targets or a 2-D target matrix",
             "shape (n_samples,) or (n_samples, n_outputs)", **{f"{name}_shape": arr.shape})
    check_finite(name, arr)
    if arr.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in arr.ravel()):
            fail(f"`{name}` contains missing labels (None or NaN)", "a label for every sample",
                 **{f"{name}_shape": arr.shape})
    return arr


def prepare(
    entry,
    X: Any,
    y: Any,
    *,
    task: str | None,
    validation_split: float,
    validation_data: Any,
    cv: int | None,
    seed: int | None,
) -> Prepared:
    """Checks `X`, `y` and the validation settings, infers the task, builds the folds.

    Raises:
        ValueError: On NaN/inf, mismatched lengths, a single class, a task
            the model does not support, `cv < 2`, too few samples per class
            for the folds, or conflicting validation settings.
        TypeError: On non-numeric features or a wrongly typed setting.
    """
    Xa = _as_features(X, "X")
    check_input_rank(entry, Xa.shape[1:], X_shape=Xa.shape)
    n = len(Xa)
    if not entry.supervised:
        if y is not None and not (np.shape(y) == Xa.shape and np.allclose(np.asarray(y, dtype="float32"), Xa)):
            fail(f"{entry.name!r} is an autoencoder: it reconstructs X and takes no separate targets",
                 "y=None (or y equal to X)", y_shape=np.shape(y))
        if task not in (None, RECONSTRUCTION):
            fail(f"{entry.name!r} only does reconstruction", "task=None or 'reconstruction'", task=task)
        ya = Xa
        task = RECONSTRUCTION
    else:
        if y is None:
            fail(f"{entry.name!r} is supervised and needs targets", "y with one target per sample of X", y=y)
        ya = _as_targets(y, "y")
        if task is None:
            task = infer_task(ya)
            if task not in entry.tasks:
                fail(f"{entry.name!r} does not support the task inferred from y ({task!r})",
                     "targets for one of " + ", ".join(map(repr, entry.tasks))
                     + " (integer or string labels for classification), or an explicit `task`",
                     y_dtype=str(ya.dtype))
        task = check_task(task, entry.tasks)
    if len(ya) != n:
        fail("`X` and `y` have different numbers of samples", "one target per sample", X_len=n, y_len=len(ya))
    if n < 4:
        fail("Too few samples to tune on", "at least 4 samples", n_samples=n)

    extra_X = extra_y = None
    if validation_data is not None:
        if cv is not None:
            fail("`cv` and `validation_data` are exclusive", "one way to validate: cv=k or validation_data=(X, y)",
                 cv=cv)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (1, 2):
            fail_type("`validation_data` must be a tuple `(X_val, y_val)`", "(X_val, y_val), or (X_val,) for autoencoders",
                      validation_data=type(validation_data).__name__)
        extra_X = _as_features(validation_data[0], "X_val")
        if extra_X.shape[1:] != Xa.shape[1:]:
            fail("`validation_data` features do not match X", f"samples of shape {Xa.shape[1:]}",
                 X_val_shape=extra_X.shape)
        if entry.supervised:
            if len(validation_data) != 2:
                fail("`validation_data` has no targets", "(X_val, y_val)", validation_data_len=len(validation_data))
            extra_y = _as_targets(validation_data[1], "y_val")
            if len(extra_y) != len(extra_X):
                fail("`validation_data` has different numbers of samples and targets", "one target per sample",
                     X_val_len=len(extra_X), y_val_len=len(extra_y))
        else:
            extra_y = extra_X

    classes = num_classes = num_outputs = None
    if task in CLASSIFICATION:
        labels = ya.ravel() if ya.ndim == 2 and ya.shape[1] == 1 else ya
        if labels.ndim != 1:
            fail(f"task={task!r} takes one label per sample", "y of shape (n_samples,)", y_shape=ya.shape)
        classes, encoded = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            fail("`y` has a single class; a classifier needs at least two",
                 "labels of at least two classes", classes=classes.tolist())
        if task == "binary" and len(classes) > 2:
            fail("task='binary' got more than two classes", "task='multiclass' (or None to infer it)",
                 n_classes=len(classes))
        num_classes = len(classes)
        ya = encoded.astype("float32" if task == "binary" else "int32")
        if extra_y is not None:
            extra_labels = extra_y.ravel() if extra_y.ndim == 2 and extra_y.shape[1] == 1 else extra_y
            missing = np.setdiff1d(extra_labels, classes)
            if missing.size:
                fail("`validation_data` has labels that are not in y", "labels among " + repr(classes.tolist()),
                     unknown_labels=missing.tolist())
            extra_y = np.searchsorted(classes, extra_labels).astype(ya.dtype)
    elif task == "multilabel":
        if ya.ndim != 2:
            fail("task='multilabel' takes a 0/1 indicator matrix", "y of shape (n_samples, n_labels)", y_shape=ya.shape)
        num_classes = ya.shape[1]
        ya = ya.astype("float32")
        extra_y = None if extra_y is None else np.asarray(extra_y, dtype="float32")
    elif task == "regression":
        if ya.dtype.kind not in "biuf":
            fail_type("Regression targets must be numbers", "a numeric y", y_dtype=str(ya.dtype))
        ya = ya.astype("float32")
        if ya.ndim == 2 and ya.shape[1] > 1:
            num_outputs = ya.shape[1]
        extra_y = None if extra_y is None else np.asarray(extra_y, dtype="float32")

    split_seed = 0 if seed is None else seed
    if extra_X is not None:
        folds = ((np.arange(n), np.arange(n, n + len(extra_X))),)
        Xa = np.concatenate([Xa, extra_X])
        ya = np.concatenate([ya, extra_y.reshape((-1, *ya.shape[1:]))])
        return Prepared(Xa, ya, task, num_classes, num_outputs, classes, folds, "data")

    stratify = ya if task in CLASSIFICATION else None
    min_count = int(np.bincount(ya.astype("int64")).min()) if stratify is not None else n
    if cv is not None:
        if isinstance(cv, bool) or not isinstance(cv, numbers.Integral):
            fail_type("`cv` must be an integer or None", "an int >= 2 (the number of folds), or None", cv=cv)
        if cv < 2:
            fail("`cv` must be at least 2 folds", "an int >= 2, or None for a single validation split", cv=cv)
        if cv > min_count:
            fail("`cv` has more folds than the smallest class (or the data) has samples",
                 f"cv <= {min_count}, or more samples per class", cv=cv)
        from sklearn.model_selection import KFold, StratifiedKFold

        splitter = (StratifiedKFold if stratify is not None else KFold)(int(cv), shuffle=True, random_state=split_seed)
        folds = tuple(splitter.split(np.zeros(n), stratify if stratify is not None else None))
        return Prepared(Xa, ya, task, num_classes, num_outputs, classes, folds, "cv")

    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) or not (
        0.0 < validation_split < 1.0
    ):
        fail("`validation_split` must be a fraction strictly between 0 and 1", "e.g. 0.2",
             validation_split=validation_split)
    n_val = int(np.ceil(validation_split * n))
    if stratify is not None and (min_count < 2 or n_val < num_classes or n - n_val < num_classes):
        fail("Too few samples per class for a stratified validation split",
             f"at least 2 samples in every class and a split of >= {num_classes} samples on each side",
             smallest_class=min_count, validation_split=validation_split)
    from sklearn.model_selection import train_test_split

    train_idx, val_idx = train_test_split(np.arange(n), test_size=n_val, shuffle=True, random_state=split_seed,
                                          stratify=stratify)
    return Prepared(Xa, ya, task, num_classes, num_outputs, classes, ((train_idx, val_idx),), "split")
