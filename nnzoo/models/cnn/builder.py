"""Convolutional networks for images."""

from __future__ import annotations

from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._validation import Integer, OneOf, Widths, check_input_shape, check_params, fail

POOLS = ("max", "avg", None)
GLOBAL_POOLS = ("avg", "max", None)
PADDINGS = ("same", "valid")
#: What build_cnn's own arguments accept (the hidden-layer and common ones are shared tables).
CONSTRAINTS = {
    "filters": Widths(allow_empty=False),
    "kernel_size": Integer(),
    "padding": OneOf(PADDINGS),
    "pool": OneOf(POOLS),
    "pool_size": Integer(),
    "convs_per_block": Integer(),
    "dense_units": Widths(),
    "global_pooling": OneOf(GLOBAL_POOLS),
}


def build_cnn(
    input_shape,
    filters=(32, 64),
    kernel_size: int = 3,
    *,
    padding: str = "same",
    pool: str | None = "max",
    pool_size: int = 2,
    convs_per_block: int = 2,
    dense_units=(128,),
    global_pooling: str | None = "avg",
    task: str = "multiclass",
    num_classes: int | None = None,
    num_outputs: int | None = None,
    activation: str = "relu",
    dropout: float = 0.3,
    conv_dropout: float = 0.1,
    batch_norm: bool = True,
    l1: float = 0.0,
    l2: float = 0.0,
    **options: Any,
):
    """Builds a convolutional network for images.

    One conv block per entry of `filters`: `convs_per_block` times
    `Conv2D -> [BatchNorm] -> activation`, then `[pool]` and
    `[Dropout(conv_dropout)]`. Then global pooling (or `Flatten`), the dense
    layers and the task head.

    The defaults are a strong modern CNN. The textbook form is

    ```python
    build_cnn((64, 64, 3), filters=(32,), padding="valid", pool="max",
              convs_per_block=1, dense_units=(128,), global_pooling=None,
              batch_norm=False, dropout=0.0, conv_dropout=0.0, num_classes=10)
    ```

    which is exactly `Conv2D(32, 3, activation="relu") -> MaxPooling2D(2) ->
    Flatten -> Dense(128, activation="relu") -> Dense(10, activation="softmax")`
    (registered as `"cnn_textbook"`).

    Args:
        input_shape: `(height, width, channels)`.
        filters: Filters of each conv block.
        kernel_size: Square kernel size.
        padding: `"same"` or `"valid"`.
        pool: `"max"`, `"avg"` or `None` pooling after each block.
        pool_size: Pooling window and stride.
        convs_per_block: Conv layers in each block.
        dense_units: Widths of the dense layers before the head.
        global_pooling: `"avg"`, `"max"`, or `None` to `Flatten`.
        task: `"regression"`, `"binary"`, `"multiclass"` or `"multilabel"`.
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets (default 1).
        activation: Hidden activation (see `build_ffnn`).
        dropout: Dropout after each dense layer, in [0, 1).
        conv_dropout: Dropout after each conv block, in [0, 1).
        batch_norm: Batch normalisation in conv blocks and dense layers.
        l1: L1 penalty on kernels.
        l2: L2 penalty on kernels.
        **options: Common options (optimizer, learning_rate, clipnorm, ...).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument, or an image too small for the
            number of blocks.
        TypeError: For an argument of the wrong type or an unknown option.

    Example:

    >>> from nnzoo import build_cnn
    >>> model = build_cnn((8, 8, 1), num_classes=10)
    >>> model.output_shape
    (None, 10)
    """
    shape = check_input_shape(
        input_shape, ranks=(3,), family="build_cnn", hint="(height, width, channels), e.g. (28, 28, 1)"
    )
    filters, kernel_size, padding, pool, pool_size, convs_per_block, dense_units, global_pooling = check_params(
        {"filters": filters, "kernel_size": kernel_size, "padding": padding, "pool": pool, "pool_size": pool_size,
         "convs_per_block": convs_per_block, "dense_units": dense_units, "global_pooling": global_pooling},
        CONSTRAINTS,
    ).values()
    head = resolve_head(task, num_classes, num_outputs)
    opts = parse_options("build_cnn", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)
    conv_hidden = Hidden.from_args(activation, conv_dropout, batch_norm, l1, l2, opts.kernel_initializer)
    check_depth(shape, filters, kernel_size, padding, pool, pool_size, convs_per_block)

    def graph():
        import keras

        inputs = keras.Input(shape=shape, name="image")
        x = inputs
        for b, f in enumerate(filters, start=1):
            for c in range(1, convs_per_block + 1):
                name = f"block{b}_conv{c}" if convs_per_block > 1 else f"block{b}_conv"
                x = conv_hidden.conv(x, f, kernel_size, padding, name=name)
            if pool == "max":
                x = keras.layers.MaxPooling2D(pool_size, name=f"block{b}_pool")(x)
            elif pool == "avg":
                x = keras.layers.AveragePooling2D(pool_size, name=f"block{b}_pool")(x)
            if conv_hidden.dropout:
                x = keras.layers.Dropout(conv_hidden.dropout, name=f"block{b}_dropout")(x)
        if global_pooling == "avg":
            x = keras.layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
        elif global_pooling == "max":
            x = keras.layers.GlobalMaxPooling2D(name="global_max_pool")(x)
        else:
            x = keras.layers.Flatten(name="flatten")(x)
        if hidden.dropout and not dense_units and global_pooling is not None:
            x = keras.layers.Dropout(hidden.dropout, name="head_dropout")(x)
        for i, u in enumerate(dense_units, start=1):
            x = hidden.dense(x, u, name=f"dense_{i}")
        outputs = head.layer()(x)
        return keras.Model(inputs, outputs, name=opts.name or f"cnn_{head.task}")

    params = _count_params(shape, filters, kernel_size, padding, pool, pool_size, convs_per_block, dense_units,
                           global_pooling, hidden, conv_hidden, head)
    return finish(graph, opts, loss=head.loss, metrics=head.metrics, params=params, input_shape=shape,
                  filters=filters, dense_units=dense_units)


def _count_params(shape, filters, kernel_size, padding, pool, pool_size, convs_per_block, dense_units,
                  global_pooling, hidden, conv_hidden, head) -> int:
    """The model's parameter count, from the arguments alone (no layer is made)."""
    h, w, c = shape
    total = 0
    for f in filters:
        for _ in range(convs_per_block):
            total, c = total + conv_hidden.conv_params(c, f, kernel_size), f
            if padding == "valid":
                h, w = h - kernel_size + 1, w - kernel_size + 1
        if pool is not None:
            h, w = h // pool_size, w // pool_size
    n = c if global_pooling is not None else h * w * c
    for u in dense_units:
        total, n = total + hidden.dense_params(n, u), u
    return total + head.params(n)


def check_depth(shape, filters, kernel_size, padding, pool, pool_size, convs_per_block) -> None:
    """Fails early if the image shrinks below 1x1 before the last block ends."""
    h, w = shape[0], shape[1]
    for b in range(1, len(filters) + 1):
        for _ in range(convs_per_block):
            if padding == "valid":
                h, w = h - kernel_size + 1, w - kernel_size + 1
            if h < 1 or w < 1:
                break
        if pool is not None and h >= 1 and w >= 1:
            h, w = h // pool_size, w // pool_size
        if h < 1 or w < 1:
            fail(
                f"The image is too small for {len(filters)} conv block(s): it shrinks below 1x1 in block {b}",
                f"fewer `filters` entries, padding='same', or pool=None for images of size {shape[0]}x{shape[1]}",
                input_shape=shape,
                filters=filters,
            )
