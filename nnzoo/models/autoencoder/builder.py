"""Autoencoders for compression and anomaly detection."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnzoo._compile import finish, parse_options
from nnzoo._layers import Hidden
from nnzoo._validation import Integer, OneOf, Widths, check_input_shape, check_params, fail

ARCHITECTURES = ("dense", "conv")
#: Encoder widths when none are given: `hidden_units` (dense) or `filters` (conv).
DEFAULT_WIDTHS = {"dense": (64,), "conv": (16, 32)}
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
#: What build_autoencoder's own arguments accept (the hidden-layer and common ones are shared tables).
#: `hidden_units` are the dense architecture's widths, `filters` the conv one's; each must be None in the other.
CONSTRAINTS = {
    "architecture": OneOf(ARCHITECTURES),
    "encoding_dim": Integer(),
    "hidden_units": Widths(),
    "filters": Widths(allow_empty=False),
    "output_activation": OneOf(OUTPUT_ACTIVATIONS),
}


def build_autoencoder(
    input_shape,
    encoding_dim: int = 8,
    hidden_units=None,
    *,
    architecture: str = "dense",
    filters=None,
    output_activation: str = "linear",
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    **options: Any,
):
    """Builds an autoencoder whose encoder and decoder are separate models.

    The returned model is `decoder(encoder(x))`, with two nested models you
    can use on their own, before and after saving:

    ```python
    encoder = model.get_layer("encoder")   # x -> code, shape (batch, encoding_dim)
    decoder = model.get_layer("decoder")   # code -> reconstruction
    ```

    `reconstruction_error(model, X)` gives per-sample anomaly scores.

    Args:
        input_shape: Shape of one sample: `(n_features,)` for
            `architecture="dense"` (higher ranks are flattened and restored),
            `(height, width, channels)` for `architecture="conv"`.
        encoding_dim: Size of the code (bottleneck).
        hidden_units: Widths of the dense encoder's hidden layers
            (`architecture="dense"`, default `(64,)`); the decoder mirrors them.
        architecture: `"dense"` (Dense layers) or `"conv"` (conv blocks, for images).
        filters: Filters of the conv encoder's blocks (`architecture="conv"`,
            default `(16, 32)`), each followed by 2x2 pooling; the decoder
            mirrors them.
        output_activation: `"linear"` (default, any scaling), `"sigmoid"` for
            data in [0, 1], `"tanh"` for [-1, 1], or `"relu"`.
        activation: Hidden activation (see `build_ffnn`).
        dropout: Dropout after each dense encoder layer, in [0, 1).
        batch_norm: Batch normalisation in hidden layers.
        l1: L1 penalty on kernels.
        l2: L2 penalty on kernels.
        **options: Common options (optimizer, learning_rate, loss, ...); the
            loss defaults to mean squared error.

    Returns:
        A `keras.Model` with nested `"encoder"` and `"decoder"` models,
        compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument, or (conv) an image side not
            divisible by 2 ** len(filters), or `hidden_units` given
            to a conv autoencoder (or `filters` to a dense one).
        TypeError: For an argument of the wrong type or an unknown option.

    Example:

    >>> from nnzoo import build_autoencoder
    >>> # The textbook form: Dense(32, relu) -> Dense(100, sigmoid)
    >>> model = build_autoencoder((100,), 32, hidden_units=(), output_activation="sigmoid")
    >>> model.get_layer("encoder").output_shape
    (None, 32)
    """
    architecture = CONSTRAINTS["architecture"].check("architecture", architecture)
    used, unused = ("hidden_units", "filters") if architecture == "dense" else ("filters", "hidden_units")
    widths = {"hidden_units": hidden_units, "filters": filters}
    if widths[unused] is not None:
        fail(
            f"`{unused}` does not apply to architecture={architecture!r}",
            f"`{used}` for its layer widths, or architecture={'conv' if architecture == 'dense' else 'dense'!r}",
            **{unused: widths[unused]},
        )
    if architecture == "dense":
        shape = check_input_shape(input_shape, ranks=(1, 2, 3, 4), family="a dense autoencoder", hint="e.g. (n_features,)")
    else:
        shape = check_input_shape(
            input_shape, ranks=(3,), family="a conv autoencoder", hint="(height, width, channels), e.g. (28, 28, 1)"
        )
    encoding_dim, units, output_activation = check_params(
        {"encoding_dim": encoding_dim, used: widths[used] if widths[used] is not None else DEFAULT_WIDTHS[architecture],
         "output_activation": output_activation},
        CONSTRAINTS,
    ).values()
    opts = parse_options("build_autoencoder", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)
    if architecture == "conv" and not conv_sides_fit(shape, len(units)):
        factor = 2 ** len(units)
        fail(
            f"A conv autoencoder with {len(units)} blocks needs image sides divisible by {factor}",
            f"height and width that are multiples of {factor}, or fewer `filters`",
            input_shape=input_shape,
            filters=units,
        )

    def graph():
        import keras

        encoder, decoder = (_dense_parts if architecture == "dense" else _conv_parts)(
            keras, shape, encoding_dim, units, hidden, output_activation
        )
        inputs = keras.Input(shape=shape, name="input")
        outputs = decoder(encoder(inputs))
        return keras.Model(inputs, outputs, name=opts.name or f"{architecture}_autoencoder")

    params = _count_params(architecture, shape, encoding_dim, units, hidden)
    return finish(graph, opts, loss="mean_squared_error", metrics=("mae",), params=params, input_shape=shape,
                  encoding_dim=encoding_dim, **{used: units})


def _count_params(architecture, shape, encoding_dim, units, hidden) -> int:
    """The model's parameter count, from the arguments alone (no layer is made)."""
    if architecture == "dense":
        n = math.prod(shape)
        widths = (n, *units, encoding_dim, *reversed(units))
        total = sum(hidden.dense_params(a, b) for a, b in zip(widths[:-1], widths[1:]))
        return total + widths[-1] * n + n  # the linear-or-not reconstruction layer
    c = shape[-1]
    total = 0
    for f in units:  # encoder convs
        total, c = total + hidden.conv_params(c, f, 3), f
    inner = (shape[0] // 2 ** len(units)) * (shape[1] // 2 ** len(units)) * units[-1]
    total += hidden.dense_params(inner, encoding_dim) + hidden.dense_params(encoding_dim, inner)
    for f in reversed(units):  # decoder convs
        total, c = total + hidden.conv_params(c, f, 3), f
    return total + 3 * 3 * c * shape[-1] + shape[-1]


def conv_sides_fit(shape, blocks: int) -> bool:
    """Whether a conv autoencoder with `blocks` pooled blocks builds on images of `shape`.

    Each block halves the sides and the decoder doubles them back, so both
    sides must be divisible by `2 ** blocks`. The builder and the search
    space's depth limit both apply this rule.
    """
    return shape[0] % 2**blocks == 0 and shape[1] % 2**blocks == 0


def _dense_parts(keras, shape, encoding_dim, units, hidden, output_activation):
    n = math.prod(shape)
    x_in = keras.Input(shape=shape, name="encoder_input")
    x = keras.layers.Flatten(name="flatten")(x_in) if len(shape) > 1 else x_in
    for i, u in enumerate(units, start=1):
        x = hidden.dense(x, u, name=f"encoder_dense_{i}")
    code = hidden.dense(x, encoding_dim, name="code", dropout=False)
    encoder = keras.Model(x_in, code, name="encoder")

    z_in = keras.Input(shape=(encoding_dim,), name="decoder_input")
    z = z_in
    for i, u in enumerate(reversed(units), start=1):
        z = hidden.dense(z, u, name=f"decoder_dense_{i}", dropout=False)
    z = keras.layers.Dense(n, activation=output_activation, name="reconstruction")(z)
    if len(shape) > 1:
        z = keras.layers.Reshape(shape, name="reshape")(z)
    decoder = keras.Model(z_in, z, name="decoder")
    return encoder, decoder


def _conv_parts(keras, shape, encoding_dim, filters, hidden, output_activation):
    x_in = keras.Input(shape=shape, name="encoder_input")
    x = x_in
    for i, f in enumerate(filters, start=1):
        x = hidden.conv(x, f, 3, "same", name=f"encoder_conv_{i}")
        x = keras.layers.MaxPooling2D(2, name=f"encoder_pool_{i}")(x)
    inner = (shape[0] // 2 ** len(filters), shape[1] // 2 ** len(filters), filters[-1])
    x = keras.layers.Flatten(name="flatten")(x)
    code = hidden.dense(x, encoding_dim, name="code", dropout=False)
    encoder = keras.Model(x_in, code, name="encoder")

    z_in = keras.Input(shape=(encoding_dim,), name="decoder_input")
    z = hidden.dense(z_in, math.prod(inner), name="decoder_dense", dropout=False)
    z = keras.layers.Reshape(inner, name="reshape")(z)
    for i, f in enumerate(reversed(filters), start=1):
        z = keras.layers.UpSampling2D(2, name=f"decoder_upsample_{i}")(z)
        z = hidden.conv(z, f, 3, "same", name=f"decoder_conv_{i}")
    z = keras.layers.Conv2D(shape[-1], 3, padding="same", activation=output_activation, name="reconstruction")(z)
    decoder = keras.Model(z_in, z, name="decoder")
    return encoder, decoder


def reconstruction_error(model, X, *, batch_size: int = 256) -> np.ndarray:
    """Per-sample mean squared reconstruction error: the anomaly score.

    Args:
        model: An autoencoder from `build_autoencoder` (or any model whose
            output has the input's shape).
        X: Samples, shape `(n, *input_shape)`.
        batch_size: Prediction batch size.

    Returns:
        A float array of shape `(n,)`; larger means more anomalous.

    Raises:
        ValueError: If `X` does not match the model's input shape.

    Example:

    >>> scores = reconstruction_error(model, X_test)
    >>> threshold = np.quantile(reconstruction_error(model, X_train), 0.99)
    >>> anomalies = scores > threshold
    """
    X = np.asarray(X, dtype="float32")
    expected = tuple(model.input_shape[1:])
    if X.ndim != len(expected) + 1 or any(e is not None and e != d for e, d in zip(expected, X.shape[1:])):
        fail(
            "`X` does not match the model's input shape",
            f"an array of shape (n, {', '.join(map(str, expected))})",
            X_shape=X.shape,
        )
    recon = np.asarray(model.predict(X, batch_size=batch_size, verbose=0))
    if recon.shape != X.shape:
        fail("The model's output shape differs from its input shape", "an autoencoder", output_shape=recon.shape)
    return np.mean(np.square(X - recon).reshape(len(X), -1), axis=1)
