"""1-D convolutional networks for sequences: time series (FCN, ResNet, InceptionTime) and text (Kim 2014)."""

from __future__ import annotations

from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._sequence import SequenceInput
from nnzoo._validation import Integer, Interval, OneOf, Widths, check_params, fail

#: How the conv layers are wired.
ARCHITECTURES = ("plain", "resnet", "inception", "parallel")
GLOBAL_POOLS = ("avg", "max")

#: What the family's own arguments accept.
CONSTRAINTS = {
    "filters": Widths(allow_empty=False),
    "kernel_size": Widths(allow_empty=False),
    "architecture": OneOf(ARCHITECTURES),
    "bottleneck": Integer(minimum=0),
    "residual_every": Integer(minimum=0),
    "global_pooling": OneOf(GLOBAL_POOLS),
    "dense_units": Widths(),
    "embedding_dim": Integer(),
    "bn_momentum": Interval(0.0, 1.0, high_inclusive=False),
}


def build_conv1d(
    input_shape,
    filters=(128, 256, 128),
    kernel_size=(8, 5, 3),
    *,
    architecture: str = "plain",
    normalize: str | None = "auto",
    bottleneck: int = 32,
    residual_every: int = 3,
    global_pooling: str = "avg",
    dense_units=(),
    vocab_size: int | None = None,
    embedding_dim: int = 64,
    task: str = "multiclass",
    num_classes: int | None = None,
    num_outputs: int | None = None,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = True,
    bn_momentum: float = 0.9,
    l1: float = 0.0,
    l2: float = 0.0,
    **options: Any,
):
    """Builds a 1-D convolutional network for sequences (time series or text).

    The default is the fully convolutional network (FCN) of Wang et al.
    2017, the standard strong baseline for time-series classification, with
    each univariate series of a classifier z-normalised inside the model
    (`normalize="auto"`), so the saved and exported model takes raw series;
    multivariate series are fed as they are, since their channels' levels
    can carry the class. The wiring is data
    (`architecture`), and the published networks are presets:

    | `architecture` | `filters` | `kernel_size` | registered as |
    |---|---|---|---|
    | `"plain"`: one `Conv1D -> BN -> act` per entry | per layer | per layer | `conv1d`, `fcn` |
    | `"resnet"`: residual blocks of `len(kernel_size)` convs, shortcut `1x1 conv + BN` (BN only where the width does not change) | per block | the convs of each block | `resnet1d` |
    | `"inception"`: inception modules (1x1 bottleneck, one conv per kernel, and max-pool + 1x1), a residual shortcut every `residual_every` modules | per branch of each module | the branch kernels | `inception_time` |
    | `"parallel"`: one conv per kernel on the input, side by side, each max-pooled over time (Kim 2014) | per kernel | the kernels | `textcnn` |

    Then global pooling over time, `[Dropout]`, the dense layers and the
    task head.

    Args:
        input_shape: `(timesteps, channels)` for series, or `(timesteps,)`
            token ids with `vocab_size`; `timesteps` may be `None` for
            variable-length input.
        filters: Filters per layer / block / branch (see the table).
        kernel_size: Kernel lengths (see the table); for `"plain"` one int
            sets every layer's.
        architecture: `"plain"`, `"resnet"`, `"inception"` or `"parallel"`.
        normalize: `"series"` z-normalises each series and channel over time
            inside the model (a `LayerNormalization` over time without scale or
            offset); `None` feeds the input as it is; `"auto"` (default) is
            `"series"` for univariate series (one channel) of a classifier
            and `None` for regression, multivariate series and token ids.
        bottleneck: Inception bottleneck width (0: none).
        residual_every: Inception modules per residual shortcut (0: none).
        global_pooling: `"avg"` or `"max"` over time.
        dense_units: Dense layers between the pooling and the head.
        vocab_size: Number of token ids (0 is padding) for text; `None` for series.
        embedding_dim: Width of the token embedding.
        task: `"multiclass"` (default), `"binary"`, `"regression"` or `"multilabel"`.
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets (default 1).
        activation: Hidden activation.
        dropout: Dropout after the global pooling and after dense layers.
        batch_norm: Batch normalisation after each convolution.
        bn_momentum: Momentum of the batch-norm moving statistics. 0.9 (Keras
            defaults to 0.99) lets them settle within tens of steps, which
            small data sets need: with 0.99 and GunPoint's 3 steps per epoch,
            the inference-mode model stayed at chance for about 40 epochs.
        l1: L1 penalty on kernels.
        l2: L2 penalty on kernels.
        **options: Common options (optimizer, learning_rate, clipnorm, ...).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument, e.g. `filters` and
            `kernel_size` of different lengths for `"plain"`.
        TypeError: For an argument of the wrong type or an unknown option.

    Example:

    >>> import nnzoo
    >>> model = nnzoo.build("conv1d", (150, 1), task="binary")
    >>> model.output_shape
    (None, 1)
    >>> model = nnzoo.build("resnet1d", (None, 6), num_classes=4)  # any length
    """
    seq = SequenceInput.from_args(input_shape, family="build_conv1d", normalize=normalize, vocab_size=vocab_size,
                                  embedding_dim=embedding_dim, mask_zero=False, task=task)
    filters, kernel_size, architecture, bottleneck, residual_every, global_pooling, dense_units, _, bn_momentum = (
        check_params(
            {"filters": filters, "kernel_size": kernel_size, "architecture": architecture, "bottleneck": bottleneck,
             "residual_every": residual_every, "global_pooling": global_pooling, "dense_units": dense_units,
             "embedding_dim": embedding_dim, "bn_momentum": bn_momentum},
            CONSTRAINTS,
        ).values()
    )
    if architecture == "plain" and len(kernel_size) == 1:
        kernel_size = kernel_size * len(filters)  # one kernel length for every layer
    if architecture == "plain" and len(filters) != len(kernel_size):
        fail("With architecture='plain', `filters` and `kernel_size` give one conv layer per entry",
             "two sequences of the same length, e.g. filters=(128, 256, 128), kernel_size=(8, 5, 3), or one kernel_size",
             filters=filters, kernel_size=kernel_size)
    if architecture == "parallel" and len(filters) not in (1, len(kernel_size)):
        fail("With architecture='parallel', `filters` gives the filters of each kernel",
             "one int for all kernels, or one per kernel", filters=filters, kernel_size=kernel_size)
    head = resolve_head(task, num_classes, num_outputs)
    opts = parse_options("build_conv1d", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)
    bn = {"momentum": bn_momentum}

    def graph():
        import keras

        inputs = seq.input()
        x = seq.features(inputs)
        x = _BODIES[architecture](x, hidden, bn, filters, kernel_size, bottleneck, residual_every, global_pooling)
        if architecture != "parallel":
            pool = keras.layers.GlobalAveragePooling1D if global_pooling == "avg" else keras.layers.GlobalMaxPooling1D
            x = pool(name=f"global_{global_pooling}_pool")(x)
        if hidden.dropout:
            x = keras.layers.Dropout(hidden.dropout, name="head_dropout")(x)
        for i, u in enumerate(dense_units, start=1):
            x = hidden.dense(x, u, name=f"dense_{i}")
        outputs = head.layer()(x)
        return keras.Model(inputs, outputs, name=opts.name or f"conv1d_{architecture}_{head.task}")

    params = _count_params(seq, architecture, filters, kernel_size, bottleneck, residual_every, dense_units, hidden, head)
    return finish(graph, opts, loss=head.loss, metrics=head.metrics, params=params, input_shape=seq.shape,
                  filters=filters)


def _count_params(seq, architecture, filters, kernel_size, bottleneck, residual_every, dense_units, hidden, head) -> int:
    """The model's parameter count, from the arguments alone (no layer is made)."""

    def conv(c_in, f, k):  # Conv1D [+ BN], bias only without BN
        return k * c_in * f + (4 * f if hidden.batch_norm else f)

    def shortcut(c_in, f):
        return (conv(c_in, f, 1) if c_in != f else 0) + (4 * f if hidden.batch_norm and c_in == f else 0)

    total = seq.vocab_size * seq.embedding_dim if seq.tokens else 0
    c = seq.embedding_dim if seq.tokens else seq.shape[1]
    if architecture == "plain":
        for f, k in zip(filters, kernel_size):
            total, c = total + conv(c, f, k), f
    elif architecture == "resnet":
        for f in filters:
            total += shortcut(c, f)
            for i, k in enumerate(kernel_size):
                total += conv(c if i == 0 else f, f, k)
            c = f
    elif architecture == "inception":
        residual = c
        for m, f in enumerate(filters, start=1):
            y = bottleneck if bottleneck and c > 1 else c
            total += (c * bottleneck if bottleneck and c > 1 else 0) + sum(k * y * f for k in kernel_size) + c * f
            c = (len(kernel_size) + 1) * f
            total += 4 * c if hidden.batch_norm else 0
            if residual_every and m % residual_every == 0:
                total, residual = total + shortcut(residual, c), c
    else:  # parallel
        widths = filters * len(kernel_size) if len(filters) == 1 else filters
        total += sum(conv(c, f, k) for f, k in zip(widths, kernel_size))
        c = sum(widths)
    for u in dense_units:
        total, c = total + hidden.dense_params(c, u), u
    return total + head.params(c)


def _conv(x, hidden: Hidden, bn: dict, filters: int, kernel_size: int, name: str, *, act: bool = True):
    """`Conv1D(same) -> [BN] -> [activation]`."""
    import keras

    x = keras.layers.Conv1D(filters, kernel_size, padding="same", use_bias=not hidden.batch_norm, name=name,
                            **hidden.layer_kwargs())(x)
    if hidden.batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn", **bn)(x)
    return keras.layers.Activation(hidden.activation, name=f"{name}_act")(x) if act else x


def _shortcut(x, hidden: Hidden, bn: dict, filters: int, name: str):
    """The residual path: `1x1 conv + BN` where the width changes, else BN only (as in Wang et al.'s code)."""
    import keras

    if x.shape[-1] != filters:
        x = keras.layers.Conv1D(filters, 1, padding="same", use_bias=not hidden.batch_norm, name=f"{name}_conv",
                                **hidden.layer_kwargs())(x)
    if hidden.batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn", **bn)(x)
    return x


def _plain(x, hidden, bn, filters, kernel_size, *_):
    for i, (f, k) in enumerate(zip(filters, kernel_size), start=1):
        x = _conv(x, hidden, bn, f, k, name=f"conv_{i}")
    return x


def _resnet(x, hidden, bn, filters, kernel_size, *_):
    import keras

    for b, f in enumerate(filters, start=1):
        y = x
        for c, k in enumerate(kernel_size, start=1):
            y = _conv(y, hidden, bn, f, k, name=f"block{b}_conv{c}", act=c < len(kernel_size))
        y = keras.layers.Add(name=f"block{b}_add")([y, _shortcut(x, hidden, bn, f, name=f"block{b}_shortcut")])
        x = keras.layers.Activation(hidden.activation, name=f"block{b}_act")(y)
    return x


def _inception(x, hidden, bn, filters, kernel_size, bottleneck, residual_every, *_):
    import keras

    residual = x
    for m, f in enumerate(filters, start=1):
        name = f"inception{m}"
        y = x
        if bottleneck and x.shape[-1] > 1:
            y = keras.layers.Conv1D(bottleneck, 1, padding="same", use_bias=False, name=f"{name}_bottleneck",
                                    **hidden.layer_kwargs())(x)
        branches = [
            keras.layers.Conv1D(f, k, padding="same", use_bias=False, name=f"{name}_conv{k}", **hidden.layer_kwargs())(y)
            for k in kernel_size
        ]
        pooled = keras.layers.MaxPooling1D(3, strides=1, padding="same", name=f"{name}_maxpool")(x)
        branches.append(keras.layers.Conv1D(f, 1, padding="same", use_bias=False, name=f"{name}_pool_conv",
                                            **hidden.layer_kwargs())(pooled))
        x = keras.layers.Concatenate(name=f"{name}_concat")(branches)
        if hidden.batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn", **bn)(x)
        x = keras.layers.Activation(hidden.activation, name=f"{name}_act")(x)
        if residual_every and m % residual_every == 0:
            short = _shortcut(residual, hidden, bn, x.shape[-1], name=f"residual{m // residual_every}")
            x = keras.layers.Add(name=f"residual{m // residual_every}_add")([x, short])
            x = keras.layers.Activation(hidden.activation, name=f"residual{m // residual_every}_act")(x)
            residual = x
    return x


def _parallel(x, hidden, bn, filters, kernel_size, _bottleneck, _residual_every, global_pooling):
    import keras

    widths = filters * len(kernel_size) if len(filters) == 1 else filters
    pool = keras.layers.GlobalMaxPooling1D if global_pooling == "max" else keras.layers.GlobalAveragePooling1D
    branches = [pool(name=f"conv{k}_pool")(_conv(x, hidden, bn, f, k, name=f"conv{k}")) for f, k in zip(widths, kernel_size)]
    return branches[0] if len(branches) == 1 else keras.layers.Concatenate(name="concat")(branches)


_BODIES = {"plain": _plain, "resnet": _resnet, "inception": _inception, "parallel": _parallel}
