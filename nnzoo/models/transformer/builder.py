"""A small Transformer encoder for sequences and text."""

from __future__ import annotations

from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import CONSTRAINTS as LAYER_CONSTRAINTS
from nnzoo._sequence import SequenceInput
from nnzoo._validation import Boolean, Integer, OneOf, check_params, fail

POSITIONS = ("learned", "sinusoidal")
POOLS = ("avg", "max")

#: What the family's own arguments accept.
CONSTRAINTS = {
    "num_layers": Integer(),
    "d_model": Integer(),
    "num_heads": Integer(),
    "ff_dim": Integer(),
    "positions": OneOf(POSITIONS),
    "max_length": Integer(optional=True),
    "pooling": OneOf(POOLS),
    "dropout": LAYER_CONSTRAINTS["dropout"],
    "mask_zero": Boolean(),
}


def build_transformer(
    input_shape,
    num_layers: int = 2,
    d_model: int = 64,
    num_heads: int = 4,
    ff_dim: int = 128,
    *,
    positions: str = "learned",
    max_length: int | None = None,
    pooling: str = "avg",
    dropout: float = 0.1,
    normalize: str | None = "auto",
    vocab_size: int | None = None,
    mask_zero: bool = True,
    task: str = "multiclass",
    num_classes: int | None = None,
    num_outputs: int | None = None,
    **options: Any,
):
    """Builds a Transformer encoder (Vaswani et al. 2017) for sequences or text.

    Series are projected to `d_model` features by a `Dense` layer (after
    per-series z-normalisation of a classifier's univariate series, `normalize="auto"`), token ids by an
    `Embedding(vocab_size, d_model)`; position encodings are added
    (`positions="learned"` or `"sinusoidal"`). Then `num_layers` encoder
    blocks, each `MultiHeadAttention -> Dropout -> Add -> LayerNorm` and
    `Dense(ff_dim, relu) -> Dense(d_model) -> Dropout -> Add -> LayerNorm`,
    global pooling over time, and the task head. All
    layers are Keras's own except `PositionEmbedding`, registered as
    `nnzoo>PositionEmbedding`: a new process loads a saved Transformer after
    `import nnzoo.models.transformer.layers` (building any Transformer
    imports it too).

    Args:
        input_shape: `(timesteps, channels)` for series, `(timesteps,)` token
            ids with `vocab_size`; `timesteps` may be `None` with `max_length`.
        num_layers: Encoder blocks.
        d_model: Width of the encoder.
        num_heads: Attention heads (`key_dim = d_model // num_heads`).
        ff_dim: Width of the feed-forward layer of each block.
        positions: `"learned"` or `"sinusoidal"` position encodings.
        max_length: Longest sequence (default: `timesteps`).
        pooling: `"avg"` or `"max"` over time.
        dropout: Dropout in attention, after attention and after the feed-forward layers.
        normalize: `"series"`, `None`, or `"auto"` (univariate series of a
            classifier: `"series"`; regression, multivariate series and
            ids: `None`).
        vocab_size: Number of token ids (0 is padding) for text; `None` for series.
        mask_zero: Mask id 0 (padding) as keys of the first attention layer.
            Keras's `Add` does not pass the mask on, so later blocks and the
            pooling see the padded steps too.
        task: `"multiclass"` (default), `"binary"`, `"regression"` or `"multilabel"`.
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets (default 1).
        **options: Common options (optimizer, learning_rate, clipnorm, ...).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument, e.g. `d_model` not divisible by
            `num_heads`, or variable length without `max_length`.
        TypeError: For an argument of the wrong type or an unknown option.

    Example:

    >>> import nnzoo
    >>> model = nnzoo.build("transformer", (24, 1), task="binary")
    >>> model.output_shape
    (None, 1)
    """
    num_layers, d_model, num_heads, ff_dim, positions, max_length, pooling, dropout, mask_zero = check_params(
        {"num_layers": num_layers, "d_model": d_model, "num_heads": num_heads, "ff_dim": ff_dim,
         "positions": positions, "max_length": max_length, "pooling": pooling, "dropout": dropout,
         "mask_zero": mask_zero},
        CONSTRAINTS,
    ).values()
    if d_model % num_heads:
        fail("`d_model` must be divisible by `num_heads`", "e.g. d_model=64, num_heads=4",
             d_model=d_model, num_heads=num_heads)
    seq = SequenceInput.from_args(input_shape, family="build_transformer", normalize=normalize,
                                  vocab_size=vocab_size, embedding_dim=d_model, mask_zero=mask_zero, task=task)
    if max_length is None:
        if seq.shape[0] is None:
            fail("Variable-length input needs `max_length` for the position encodings",
                 "max_length=<longest sequence>", input_shape=input_shape)
        max_length = seq.shape[0]
    if seq.shape[0] is not None and seq.shape[0] > max_length:
        fail("`max_length` is shorter than the input", f"max_length >= {seq.shape[0]}", max_length=max_length)
    head = resolve_head(task, num_classes, num_outputs)
    opts = parse_options("build_transformer", options)

    def graph():
        import keras

        from nnzoo.models.transformer.layers import PositionEmbedding

        init = opts.kernel_initializer or "glorot_uniform"
        inputs = seq.input()
        x = seq.features(inputs)
        if not seq.tokens:
            x = keras.layers.Dense(d_model, kernel_initializer=init, name="input_projection")(x)
        x = PositionEmbedding(max_length, positions, name="positions")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
        for i in range(1, num_layers + 1):
            name = f"encoder{i}"
            attn = keras.layers.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout,
                                                   kernel_initializer=init, name=f"{name}_attention")(x, x)
            if dropout:
                attn = keras.layers.Dropout(dropout, name=f"{name}_attention_dropout")(attn)
            x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(
                keras.layers.Add(name=f"{name}_add1")([x, attn]))
            ff = keras.layers.Dense(ff_dim, activation="relu", kernel_initializer=init, name=f"{name}_ff1")(x)
            ff = keras.layers.Dense(d_model, kernel_initializer=init, name=f"{name}_ff2")(ff)
            if dropout:
                ff = keras.layers.Dropout(dropout, name=f"{name}_ff_dropout")(ff)
            x = keras.layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(
                keras.layers.Add(name=f"{name}_add2")([x, ff]))
        pool = keras.layers.GlobalAveragePooling1D if pooling == "avg" else keras.layers.GlobalMaxPooling1D
        x = pool(name=f"global_{pooling}_pool")(x)
        outputs = head.layer()(x)
        return keras.Model(inputs, outputs, name=opts.name or f"transformer_{head.task}")

    embed = seq.vocab_size * d_model if seq.tokens else seq.shape[1] * d_model + d_model
    block = 4 * (d_model * d_model + d_model) + 2 * 2 * d_model + (d_model * ff_dim + ff_dim) + (ff_dim * d_model + d_model)
    params = embed + max_length * d_model + num_layers * block + head.params(d_model)
    return finish(graph, opts, loss=head.loss, metrics=head.metrics, params=params, input_shape=seq.shape,
                  num_layers=num_layers, d_model=d_model)
