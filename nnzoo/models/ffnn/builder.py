"""Feed-forward networks (multilayer perceptrons) for tabular data."""

from __future__ import annotations

import math
from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._validation import Widths, check_input_shape, check_params

#: What build_ffnn's own arguments accept (the hidden-layer and common ones are shared tables).
CONSTRAINTS = {"hidden_units": Widths()}


def build_ffnn(
    input_shape,
    hidden_units=(64, 32),
    *,
    task: str = "multiclass",
    num_classes: int | None = None,
    num_outputs: int | None = None,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    **options: Any,
):
    """Builds a feed-forward network (MLP) for tabular data.

    Each entry of `hidden_units` adds `Dense -> [BatchNorm] -> activation ->
    [Dropout]`. Inputs of rank > 1 are flattened first.

    Args:
        input_shape: Shape of one sample, e.g. `(n_features,)`.
        hidden_units: Width of each hidden layer; `()` gives a linear model.
        task: `"regression"`, `"binary"`, `"multiclass"` or `"multilabel"`.
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets (default 1).
        activation: Hidden activation: relu, leaky_relu, elu, selu, gelu,
            swish, tanh, sigmoid or linear. The kernel initializer follows it.
        dropout: Dropout rate after each hidden layer, in [0, 1).
        batch_norm: Batch normalisation before each hidden activation.
        l1: L1 penalty on hidden kernels.
        l2: L2 penalty on hidden kernels.
        **options: Common options (optimizer, learning_rate, clipnorm, ...;
            see `nnzoo._compile`).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument (unknown task or activation,
            non-positive units, dropout outside [0, 1), ...).
        TypeError: For an argument of the wrong type or an unknown option.

    Example:

    >>> from nnzoo import build_ffnn
    >>> # The textbook binary classifier: Dense(16) -> Dense(8) -> Dense(1, sigmoid)
    >>> model = build_ffnn((10,), (16, 8), task="binary")
    >>> model.output_shape
    (None, 1)
    """
    shape = check_input_shape(input_shape, ranks=(1, 2, 3, 4), family="build_ffnn", hint="e.g. (n_features,)")
    units = check_params({"hidden_units": hidden_units}, CONSTRAINTS)["hidden_units"]
    head = resolve_head(task, num_classes, num_outputs)
    opts = parse_options("build_ffnn", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)

    def graph():
        import keras

        inputs = keras.Input(shape=shape, name="features")
        x = keras.layers.Flatten(name="flatten")(inputs) if len(shape) > 1 else inputs
        for i, u in enumerate(units, start=1):
            x = hidden.dense(x, u, name=f"dense_{i}")
        outputs = head.layer()(x)
        return keras.Model(inputs, outputs, name=opts.name or f"ffnn_{head.task}")

    return finish(graph, opts, loss=head.loss, metrics=head.metrics, params=_count_params(shape, units, hidden, head),
                  input_shape=shape, hidden_units=units)


def _count_params(shape, units, hidden, head) -> int:
    """The model's parameter count, from the arguments alone (no layer is made)."""
    n, total = math.prod(shape), 0
    for u in units:
        total, n = total + hidden.dense_params(n, u), u
    return total + head.params(n)
