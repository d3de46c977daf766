"""Scores for a trained model on held-out data, computed by scikit-learn.

`nnzoo.evaluate(model, X, y)` works on a Keras model (probabilities become labels
by the task) and on any object with `predict` (a scikit-learn estimator, an
nnzoo adapter). The result reads as a dict, a one-row pandas DataFrame, a
confusion matrix and a classification report:

| task | metrics |
|---|---|
| binary, multiclass | accuracy, precision, recall, F1 (macro averages), confusion matrix, report |
| multilabel | subset accuracy, precision, recall, F1 (macro over labels), report |
| regression, reconstruction | MSE, MAE, R² (variance-weighted over several outputs) |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnzoo._tasks import read_head
from nnzoo._tasks import ALL_TASKS, check_task, infer_task
from nnzoo._validation import check_float, check_int, fail, fail_type

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What `evaluate` measured.

    Attributes:
        task: The task the scores are for.
        metrics: `{name: value}`: `accuracy`, `precision`, `recall`, `f1`
            for classification; `mse`, `mae`, `r2` for regression and
            reconstruction.
        n_samples: Number of rows scored.
        labels: Class names in the order of the confusion matrix rows
            (classification), else `None`.
        confusion_matrix: `(k, k)` counts, rows = true class, columns =
            predicted class (binary and multiclass), else `None`.
        report: scikit-learn's text `classification_report`, else `None`.
        y_pred: The predicted labels or values.

    Example:

    >>> result = evaluate(model, X_test, y_test)
    >>> result["accuracy"], result.confusion_matrix.shape
    >>> result.to_frame()
    """

    task: str
    metrics: dict[str, float]
    n_samples: int
    labels: tuple[str, ...] | None = None
    confusion_matrix: np.ndarray | None = None
    report: str | None = None
    y_pred: np.ndarray | None = field(default=None, repr=False)

    def __getitem__(self, name: str) -> float:
        if name not in self.metrics:
            fail(f"No metric {name!r} for task={self.task!r}", "one of " + ", ".join(map(repr, self.metrics)),
                 name=name)
        return self.metrics[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (JSON-ready): task, n_samples, every metric,
        and for classification `labels` and `confusion_matrix` as nested lists."""
        out: dict[str, Any] = {"task": self.task, "n_samples": self.n_samples, **self.metrics}
        if self.labels is not None:
            out["labels"] = list(self.labels)
        if self.confusion_matrix is not None:
            out["confusion_matrix"] = self.confusion_matrix.tolist()
        return out

    def to_frame(self, name: str | None = None):
        """The metrics as a one-row `pandas.DataFrame` (index: `name` or the task).

        Rows of several results stack with `pandas.concat` into a comparison table.
        """
        import pandas as pd

        return pd.DataFrame([self.metrics], index=[name or self.task])

    def summary(self) -> str:
        """A short text table of the metrics."""
        width = max(len(k) for k in self.metrics)
        lines = [f"{self.task} on {self.n_samples} samples"]
        lines += [f"  {k:<{width}}  {v:.4f}" for k, v in self.metrics.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def evaluate(
    model,
    X,
    y=None,
    task: str | None = None,
    *,
    target_names=None,
    threshold: float = 0.5,
    batch_size: int = 256,
) -> Evaluation:
    """Scores a model on labelled data.

    Args:
        model: A Keras model, or any object with `predict(X)` (e.g. a
            scikit-learn estimator). Keras probabilities become labels by
            the task: argmax (multiclass) or `>= threshold` (binary,
            multilabel).
        X: Inputs, or an `nnzoo.datasets.Dataset` (then `y`, `task` and
            `target_names` come from it unless given).
        y: True targets: class codes or labels (classification), values
            (regression).
        task: `"binary"`, `"multiclass"`, `"multilabel"`, `"regression"` or
            `"reconstruction"`. Default: read from a Keras model's output
            layer (softmax, sigmoid, linear; inside a nested head too) or
            a scikit-learn estimator; else classes when `target_names` is
            given; else from `y` by the rule `tune` and the datasets use
            (integers, bools and strings are classes, floats regression).
        target_names: Class names, where `y` holds codes `0..k-1`.
        threshold: Probability cut for binary and multilabel outputs.
        batch_size: Prediction batch size for Keras models.

    Returns:
        An `Evaluation`.

    Raises:
        ValueError: If `X` and `y` differ in length, the task is unknown,
            or predictions do not fit the task; for a Keras model, also if
            `X` holds NaN or infinite values or samples of another shape
            than the model's input.
        TypeError: If `model` has no `predict` method, or `y` is missing.

    Example:

    >>> import nnzoo
    >>> train, test = nnzoo.datasets.load("iris", test_size=0.3)
    >>> model = nnzoo.build("ffnn", train.input_shape, **train.build_kwargs())
    >>> model.fit(train.X, train.y, epochs=50, verbose=0)
    >>> result = nnzoo.evaluate(model, test)
    >>> result.to_dict()["accuracy"]
    """
    if not callable(getattr(model, "predict", None)):
        fail_type("`model` must have a predict method", "a Keras model or a fitted estimator",
                  model_type=type(model).__name__)
    X, y, task, target_names = _unpack(X, y, task, target_names)
    if y is None:
        fail_type("`y` is required", "the true targets for X", y=None)
    threshold = check_float("threshold", threshold, low=0.0, high=1.0)
    batch_size = check_int("batch_size", batch_size)
    n = _length(X)
    y = np.asarray(y)
    if len(y) != n:
        fail("`X` and `y` have different numbers of rows", "one target per input row", X_rows=n, y_rows=len(y))
    if n == 0:
        fail("There is nothing to evaluate", "at least one row", X_rows=n)

    keras_model = _is_keras_model(model)
    if keras_model:  # other estimators check X their own way (some take NaN)
        from nnzoo._inputs import check_features, check_finite

        check_finite("X", X)
        check_features(model, X, "X")
    if task is None:
        task = read_head(model).task if keras_model else _task_from_estimator(model)
        if task is None and target_names is not None:  # class names given: classes
            task = "binary" if len(target_names) == 2 and y.ndim == 1 else None
            task = task or ("multilabel" if y.ndim == 2 and y.shape[1] > 1 else "multiclass")
        task = task or infer_task(y)
    else:
        task = check_task(task, ALL_TASKS)

    if keras_model:
        pred = np.asarray(model.predict(X, batch_size=batch_size, verbose=0))
    else:
        pred = np.asarray(model.predict(X))
    if task in ("regression", "reconstruction"):
        return _score_regression(task, y, pred)
    return _score_classification(task, y, _to_labels(pred, task, threshold), target_names)


def _unpack(X, y, task, target_names):
    """Takes y, task and names from a Dataset, where the caller gave none."""
    if hasattr(X, "X") and hasattr(X, "task") and hasattr(X, "target_names"):
        data = X
        return (data.X, data.y if y is None else y, data.task if task is None else task,
                data.target_names if target_names is None else target_names)
    return X, y, task, target_names


def _length(X) -> int:
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    return len(X)


def _is_keras_model(obj) -> bool:
    # Without importing keras: a Keras model has keras' Model in its classes.
    return any(c.__module__.startswith("keras") and c.__name__ == "Model" for c in type(obj).__mro__)


def _task_from_estimator(model) -> str | None:
    """'regression' for a scikit-learn regressor; None if it does not say."""
    from sklearn.base import is_classifier, is_regressor

    try:
        if is_regressor(model):
            return "regression"
        if is_classifier(model):
            classes = getattr(model, "classes_", None)
            return None if classes is None else ("binary" if len(classes) == 2 else "multiclass")
    except (AttributeError, TypeError):
        pass
    return None


def _to_labels(pred: np.ndarray, task: str, threshold: float) -> np.ndarray:
    """Class labels from predictions that may be probabilities."""
    if pred.dtype.kind not in "fc":
        return pred.ravel() if task != "multilabel" else pred  # already labels
    if task == "multilabel":
        if pred.ndim != 2:
            fail("Multilabel predictions must be 2-D", "shape (n, n_labels)", pred_shape=pred.shape)
        return (pred >= threshold).astype("int64")
    if task == "multiclass" and pred.ndim == 2 and pred.shape[1] > 1:
        return np.argmax(pred, axis=1)
    flat = pred.reshape(len(pred), -1)
    if flat.shape[1] != 1:
        fail(f"Predictions do not fit task={task!r}", "one value or one probability row per sample",
             pred_shape=pred.shape)
    flat = flat[:, 0]
    if np.all(np.mod(flat, 1) == 0):
        return flat.astype("int64")  # float-typed labels, e.g. 0.0 / 1.0
    if task == "binary":
        return (flat >= threshold).astype("int64")
    fail("Multiclass predictions must be labels or one probability row per sample",
         "integer labels or shape (n, num_classes)", pred_shape=pred.shape)


def _score_classification(task, y_true, y_pred, target_names) -> Evaluation:
    from sklearn import metrics as skm

    if task == "multilabel":
        y_true = y_true.astype("int64")
        names = tuple(str(t) for t in target_names) if target_names is not None else tuple(
            str(k) for k in range(y_true.shape[1]))
        scores = _prf(skm, y_true, y_pred, accuracy=skm.accuracy_score(y_true, y_pred))
        report = skm.classification_report(y_true, y_pred, target_names=list(names), zero_division=0)
        return Evaluation(task, scores, len(y_true), labels=names, report=report, y_pred=y_pred)

    y_true = y_true.ravel()
    if y_true.dtype.kind == "f" and np.all(np.mod(y_true, 1) == 0):
        y_true = y_true.astype("int64")
    if target_names is not None:
        names = tuple(str(t) for t in target_names)
        codes = list(range(len(names)))
    else:
        codes = sorted(set(np.unique(y_true).tolist()) | set(np.unique(y_pred).tolist()), key=_sort_key)
        names = tuple(str(c) for c in codes)
    try:
        accuracy = skm.accuracy_score(y_true, y_pred)
    except (TypeError, ValueError) as err:
        fail(f"Predictions and targets cannot be compared ({err})", "labels of the same kind",
             y_true_dtype=str(y_true.dtype), y_pred_dtype=str(y_pred.dtype))
    scores = _prf(skm, y_true, y_pred, accuracy=accuracy, labels=codes)
    cm = skm.confusion_matrix(y_true, y_pred, labels=codes)
    report = skm.classification_report(y_true, y_pred, labels=codes, target_names=list(names), zero_division=0)
    return Evaluation(task, scores, len(y_true), labels=names, confusion_matrix=cm, report=report, y_pred=y_pred)


def _prf(skm, y_true, y_pred, *, accuracy, labels=None) -> dict[str, float]:
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average="macro", zero_division=0
    )
    return {"accuracy": float(accuracy), "precision": float(precision), "recall": float(recall), "f1": float(f1)}


def _sort_key(value):
    return (0, value, "") if isinstance(value, (int, float, np.number)) else (1, 0, str(value))


def _score_regression(task, y_true, pred) -> Evaluation:
    from sklearn import metrics as skm

    y_true = y_true.astype("float64").reshape(len(y_true), -1)
    pred = pred.astype("float64").reshape(len(pred), -1)
    if y_true.shape != pred.shape:
        fail("Predictions and targets differ in shape", "one prediction per target value",
             y_shape=y_true.shape, pred_shape=pred.shape)
    scores = {
        "mse": float(skm.mean_squared_error(y_true, pred)),
        "mae": float(skm.mean_absolute_error(y_true, pred)),
        # Several outputs (pixels, horizons): the share of the total variance
        # explained, so near-constant columns do not swamp the score.
        "r2": float(skm.r2_score(y_true, pred, multioutput="variance_weighted")) if len(y_true) > 1 else float("nan"),
    }
    return Evaluation(task, scores, len(y_true), y_pred=pred if pred.shape[1] > 1 else pred[:, 0])
