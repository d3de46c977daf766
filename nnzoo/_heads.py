"""Task heads: the output layer and compile settings of each task.

The table from task to output activation, loss and metrics lives in
`nnzoo._tasks` (`HEADS`); this module turns it into a `Head` for a
factory, checking the class or output count.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from nnzoo._tasks import HEADS, TASKS, check_task
from nnzoo._validation import check_int, fail, fail_type


@dataclass(frozen=True)
class Head:
    """What a task asks of the output layer and of `compile`."""

    task: str
    units: int
    activation: str
    loss: str
    metrics: tuple[str, ...]

    def params(self, n_in: int) -> int:
        """Parameters of the output `Dense` layer on `n_in` features."""
        return n_in * self.units + self.units

    def layer(self, name: str = "head"):
        """Returns the output `Dense` layer.

        It computes in the policy's variable dtype: float32 under mixed
        precision (numerically safe softmax and losses), float64 under a
        float64 policy.
        """
        import keras

        dtype = keras.config.dtype_policy().variable_dtype
        return keras.layers.Dense(self.units, activation=self.activation, name=name, dtype=dtype)


def resolve_head(task: str, num_classes: int | None = None, num_outputs: int | None = None) -> Head:
    """Validates `task` with its class/output count and returns the Head.

    Raises:
        ValueError: Unknown task, a missing or too small `num_classes`, or a
            count given where the task takes none.
    """
    task = check_task(task, TASKS)
    activation, loss, metrics = HEADS[task]
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)):
        fail_type("`num_classes` must be an integer", "an int >= 2", num_classes=num_classes)
    if task == "regression":
        if num_classes is not None:
            fail(
                "`num_classes` does not apply to task='regression'",
                "`num_outputs` for the number of regression targets",
                num_classes=num_classes,
            )
        units = 1 if num_outputs is None else check_int("num_outputs", num_outputs)
    else:
        if num_outputs is not None:
            fail(
                "`num_outputs` applies to task='regression' only",
                f"`num_classes` for task={task!r}",
                num_outputs=num_outputs,
            )
        if task == "binary":
            if num_classes not in (None, 1, 2):
                fail(
                    "task='binary' has exactly two classes",
                    "num_classes=None or 2, or task='multiclass' for more classes",
                    num_classes=num_classes,
                )
            units = 1
        elif task == "multiclass":
            if num_classes is None:
                fail("task='multiclass' needs `num_classes`", "an int >= 2", num_classes=num_classes)
            if num_classes < 2:
                fail("task='multiclass' needs at least two classes", "num_classes >= 2", num_classes=num_classes)
            units = int(num_classes)
        else:  # multilabel
            if num_classes is None:
                fail("task='multilabel' needs `num_classes` (the number of labels)", "an int >= 1", num_classes=num_classes)
            units = check_int("num_classes", num_classes)
    return Head(task=task, units=units, activation=activation, loss=loss, metrics=metrics)
