"""Tasks: the one place that says what a task is.

Every part of nnzoo that needs a task asks this module: the factories (the
head table, through `nnzoo._heads`), `tune`, `nnzoo.evaluate`, the datasets,
the scikit-learn adapters and the command line. `read_head` reads the task
of a built model from its output layer (through nested heads), for the data
checks, `evaluate`, export and the training recipe.

**The task names.** `TASKS` are the supervised heads; autoencoders do
`"reconstruction"`; `ALL_TASKS` holds both.

**The head table** (task -> output activation, loss, metrics):

| task | activation | loss | metrics |
|---|---|---|---|
| regression | linear | mean squared error | MAE |
| binary | sigmoid | binary cross-entropy | accuracy |
| multiclass | softmax | sparse categorical cross-entropy | accuracy |
| multilabel | sigmoid | binary cross-entropy | binary accuracy |

**The rule that infers a task from targets** (`infer_task`) is
scikit-learn's `type_of_target`, read by the dtype first:

| targets | `type_of_target` | task |
|---|---|---|
| floats, `(n,)` or `(n, 1)` | continuous | regression |
| floats, `(n, k)` | continuous-multioutput | regression, `num_outputs=k` |
| integers, bools or strings, two values | binary | binary |
| integers or strings, more values | multiclass | multiclass (however many) |
| integer or bool 0/1 matrix `(n, k)` | multilabel-indicator | multilabel, `num_classes=k` |

A float dtype always means regression, even when every value is whole:
scikit-learn calls `[0.0, 1.0, ...]` binary because there the estimator
(classifier or regressor) decides, while nnzoo infers without one, and a
float target such as diabetes' (25.0 to 346.0) is a measurement. Cast
labels to integers (or pass `task=`) to classify them. Integers are
classes, however many: `np.arange(300) % 97` is multiclass with 97
classes. Pass `task="regression"` (or cast to float) for integer counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnzoo._validation import check_choice, fail, fail_type

#: Supervised tasks: each has a head (an output activation, a loss, metrics).
TASKS = ("regression", "binary", "multiclass", "multilabel")
#: The autoencoders' task: the target is the input.
RECONSTRUCTION = "reconstruction"
#: Every task a model, a dataset or a score can carry.
ALL_TASKS = (*TASKS, RECONSTRUCTION)
#: Tasks with one class label per sample.
CLASSIFICATION = ("binary", "multiclass")

#: task -> (output activation, loss, metrics).
HEADS = {
    "regression": ("linear", "mean_squared_error", ("mae",)),
    "binary": ("sigmoid", "binary_crossentropy", ("accuracy",)),
    "multiclass": ("softmax", "sparse_categorical_crossentropy", ("accuracy",)),
    "multilabel": ("sigmoid", "binary_crossentropy", ("binary_accuracy",)),
}

#: scikit-learn's target types -> nnzoo tasks.
_TARGET_TYPES = {
    "continuous": "regression",
    "continuous-multioutput": "regression",
    "binary": "binary",
    "multiclass": "multiclass",
    "multilabel-indicator": "multilabel",
}


def check_task(task: Any, tasks: tuple[str, ...] = ALL_TASKS, name: str = "task") -> str:
    """Checks that `task` is a string among `tasks`; returns it lower-case.

    Raises:
        TypeError: If `task` is not a string.
        ValueError: If it is not one of `tasks` (with the closest match).
    """
    return check_choice(name, task, tasks)


def loss_for(task: str) -> str:
    """The default loss of a task (mean squared error for reconstruction)."""
    return HEADS[task][1] if task in HEADS else "mean_squared_error"


def metrics_for(task: str) -> tuple[str, ...]:
    """The default metrics of a task (MAE for reconstruction)."""
    return HEADS[task][2] if task in HEADS else ("mae",)


def infer_task(y: Any, name: str = "y", *, labels: bool = False) -> str:
    """The task implied by targets (the rule in the module docstring).

    Args:
        y: Targets: a vector `(n,)`, a column `(n, 1)` or a matrix `(n, k)`
            (array-like; a pandas Series or DataFrame works).
        name: The argument's name, for error messages.
        labels: The caller already knows `y` holds class labels (a
            classifier, as in scikit-learn): whole-valued floats are
            labels too, and only the kind of classification is inferred.

    Returns:
        `"regression"`, `"binary"`, `"multiclass"` or `"multilabel"`.

    Raises:
        ValueError: For targets of another rank, a 2-D label matrix that
            is not 0/1 indicators, or targets no head fits (multi-output
            classes; with `labels=True`, continuous values).
        TypeError: For labels of mixed kinds that cannot be compared.

    Example:

    >>> infer_task(np.arange(300) % 97)
    'multiclass'
    >>> infer_task(np.array([0.5, 1.0, 2.5]))
    'regression'
    """
    arr = _as_array(y)
    if arr.ndim not in (1, 2):
        fail(f"`{name}` must be a vector of targets or a 2-D target matrix",
             "shape (n_samples,) or (n_samples, n_outputs)", **{f"{name}_shape": arr.shape})
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.dtype.kind in "fc" and not labels:
        return "regression"
    from sklearn.utils.multiclass import type_of_target

    try:
        target_type = type_of_target(arr, input_name=name)
    except (TypeError, ValueError) as err:
        fail_type(f"`{name}` holds labels that cannot be compared ({err})",
                  "labels of one kind (all strings, or all integers)", **{f"{name}_dtype": str(arr.dtype)})
    if target_type == "multilabel-indicator" and not np.isin(arr, (0, 1)).all():
        fail("A 2-D label matrix must hold 0/1 indicators (multilabel)",
             "a (n_samples, n_labels) matrix of 0 and 1, float targets for multi-output regression, "
             "or a label vector", **{f"{name}_values": np.unique(arr)[:5].tolist()})
    task = _TARGET_TYPES.get(target_type)
    if task is None or (labels and task == "regression"):
        fail(f"Unknown label type: scikit-learn calls `{name}` {target_type!r}, which no nnzoo head fits",
             "a label vector (n_samples,), a 0/1 indicator matrix (n_samples, n_labels)"
             + ("" if labels else ", or float targets for regression"),
             **{f"{name}_shape": arr.shape, f"{name}_dtype": str(arr.dtype)})
    return task


def _as_array(y: Any) -> np.ndarray:
    """`y` as a NumPy array; pandas extension dtypes become plain ones."""
    dtype = getattr(y, "dtype", None)
    if dtype is not None and not isinstance(dtype, np.dtype) and hasattr(y, "to_numpy"):
        numpy_dtype = getattr(dtype, "numpy_dtype", None)  # nullable Int64, boolean, Float64
        kind = getattr(numpy_dtype, "kind", "O")
        return y.to_numpy(dtype=numpy_dtype) if kind in "biuf" else y.to_numpy(dtype=str)
    return np.asarray(y)


def task_arguments(
    task: str, y: Any = None, *, num_classes: int | None = None, num_outputs: int | None = None
) -> dict[str, Any]:
    """The factory arguments that fit a head to a task and its targets.

    Args:
        task: One of `ALL_TASKS`.
        y: The targets, to count classes, labels or outputs where
            `num_classes` / `num_outputs` are not given.
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets.

    Returns:
        `{}` for reconstruction (autoencoders take no task);
        `{"task": "binary"}`; `{"task": ..., "num_classes": k}` for
        multiclass and multilabel; `{"task": "regression"}` plus
        `num_outputs` when there is more than one.

    Example:

    >>> task_arguments("multiclass", np.array([0, 2, 1, 2]))
    {'task': 'multiclass', 'num_classes': 3}
    """
    if task == RECONSTRUCTION:
        return {}
    if task == "binary":
        return {"task": "binary"}
    if task == "regression":
        if num_outputs is None and y is not None:
            shape = np.shape(y)
            num_outputs = int(math.prod(shape[1:])) if len(shape) > 1 else 1
        return {"task": "regression", **({"num_outputs": int(num_outputs)} if num_outputs and num_outputs > 1 else {})}
    if num_classes is None and y is not None:
        arr = np.asarray(y)
        num_classes = arr.shape[1] if task == "multilabel" else len(np.unique(arr.ravel()))
    return {"task": task, **({} if num_classes is None else {"num_classes": int(num_classes)})}


# --------------------------------------------------------------------------- #
# The task of a built model


@dataclass(frozen=True)
class ModelHead:
    """What a built model's output layer says about its task.

    Attributes:
        task: `"multiclass"` (softmax), `"binary"` (one sigmoid unit),
            `"multilabel"` (several sigmoid units), `"regression"` or
            `"reconstruction"` (linear), or `None` when unclear.
        activation: The output activation's name, or `None`.
        units: Size of the output's last axis, or `None`.
        output_shape: The output shape without the batch axis, or `None`.
    """

    task: str | None
    activation: str | None
    units: int | None
    output_shape: tuple | None


def output_layer(model):
    """The layer that computes a model's output, looked for inside nested models (the transfer `"head"`).

    Returns `None` for a model without layers.
    """
    layer = model.layers[-1] if model.layers else None
    while layer is not None and hasattr(layer, "layers") and layer.layers:  # a nested model
        layer = layer.layers[-1]
    return layer


def read_head(model) -> ModelHead:
    """Reads the task from a single-output Keras model's last layer.

    Nested models (the transfer model's `"head"`) are looked into. A
    `Softmax` layer counts as a softmax activation. A model with nested
    `"encoder"` and `"decoder"` models whose output has the input's shape is
    an autoencoder (`"reconstruction"`), whatever its output activation.
    """
    try:
        layer = output_layer(model)
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        if type(layer).__name__ == "Softmax":
            activation = "softmax"
        if len(model.outputs) != 1:
            return ModelHead(None, activation, None, None)
        out_shape = tuple(model.outputs[0].shape)[1:]
        units = None if not out_shape or out_shape[-1] is None else int(out_shape[-1])
    except (AttributeError, IndexError, TypeError, ValueError):
        return ModelHead(None, None, None, None)
    task = None
    in_shape = input_shape(model)
    same_shape = in_shape is not None and out_shape == in_shape and math.prod(d or 1 for d in in_shape) > 1
    names = {getattr(layer, "name", None) for layer in model.layers}
    if same_shape and {"encoder", "decoder"} <= names:  # an nnzoo autoencoder, whatever its output activation
        return ModelHead("reconstruction", activation, units, out_shape)
    if activation == "softmax":
        task = "multiclass"
    elif activation == "sigmoid" and units is not None:
        task = "binary" if units == 1 else "multilabel"
    elif activation == "linear":
        task = "reconstruction" if same_shape else "regression"
    return ModelHead(task, activation, units, out_shape)


def input_shape(model) -> tuple | None:
    """The single input's shape without the batch axis, or None for several inputs."""
    try:
        inputs = model.inputs
        if len(inputs) != 1:
            return None
        return tuple(inputs[0].shape)[1:]
    except (AttributeError, TypeError, ValueError):
        return None
