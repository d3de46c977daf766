"""Recurrent networks for sequences: LSTM, GRU and simple RNN cells."""

from __future__ import annotations

from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._sequence import SequenceInput
from nnzoo._validation import Boolean, Integer, Interval, OneOf, Widths, check_params, fail

CELLS = ("lstm", "gru", "rnn")
#: What a many-to-one model reads from the last recurrent layer.
POOLINGS = ("auto", "last", "avg", "max")
#: What build_lstm's own arguments accept (the hidden-layer and common ones are shared tables).
CONSTRAINTS = {
    "units": Widths(allow_empty=False),
    "cell": OneOf(CELLS),
    "bidirectional": Boolean(),
    "return_sequences": Boolean(),
    "pooling": OneOf(POOLINGS),
    "unroll": Boolean(),
    "dense_units": Widths(),
    "recurrent_dropout": Interval(0.0, 1.0, high_inclusive=False),
    "patch_size": Integer(optional=True),
    "input_noise": Interval(0.0, optional=True),
}

#: Standard deviation of the Gaussian noise `input_noise=None` adds in
#: training to series z-normalised inside the model (none to other input).
INPUT_NOISE = 0.1

#: Steps the recurrence reads when `patch_size=None` picks the patch length:
#: about this many patches per series (see `auto_patch_size`).
AUTO_PATCHES = 16


def auto_patch_size(timesteps: int | None, *, tokens: bool, return_sequences: bool) -> int:
    """The patch length `patch_size=None` picks: `timesteps // AUTO_PATCHES`, at least 1.

    1 (no patches) for variable-length series, token ids and many-to-many
    models, whose output has one step per input step.
    """
    if timesteps is None or tokens or return_sequences:
        return 1
    return max(1, timesteps // AUTO_PATCHES)


def build_lstm(
    input_shape,
    units=(64,),
    cell: str = "lstm",
    *,
    bidirectional: bool = False,
    return_sequences: bool = False,
    pooling: str = "auto",
    dense_units=(32,),
    task: str = "regression",
    num_classes: int | None = None,
    num_outputs: int | None = None,
    activation: str = "relu",
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    unroll: bool = False,
    patch_size: int | None = None,
    normalize: str | None = "auto",
    input_noise: float | None = None,
    vocab_size: int | None = None,
    embedding_dim: int = 64,
    mask_zero: bool = True,
    **options: Any,
):
    """Builds a recurrent network (LSTM, GRU or simple RNN) for sequences.

    Each entry of `units` adds one recurrent layer; all but the last return
    full sequences. With `return_sequences=False` the model is many-to-one
    (one prediction per sequence); with `True` it is many-to-many (one
    prediction per time step, the head applied at every step).

    Long series are read in patches (`patch_size=None`, the default): a
    linear embedding of each run of `timesteps // 16` steps (a strided
    `Conv1D`, `units[0]` wide) feeds the recurrence, so it reads about 16
    steps instead of hundreds. On GunPoint (150 steps, 50 series) a plain
    LSTM learned slowly and noisily (77.7% after up to 500 epochs, 2 seeds;
    at chance with early stopping on a validation slice); read in patches
    of 9-10 steps it fits the training set and scores 97-98%. Short series
    (under 32 steps) are read step by step. `patch_size=1` switches patches
    off; many-to-many models and token ids never use them.

    A classifier's univariate series is z-normalised inside the model
    (`normalize="auto"`; a regressor, a forecaster, keeps the series'
    level), and in training Gaussian noise of standard deviation 0.1 (a
    tenth of the normalised series' spread) is added to it
    (`input_noise=None`; a `GaussianNoise` layer, the identity at
    inference): these training sets are small, and on ItalyPowerDemand
    (67 series) the noise took the LSTM from 95.4 +- 0.3 to 95.7 +- 0.4
    (GunPoint 97.7 +- 1.0 to 98.1 +- 0.8; 5 seeds, benchmarks/bench_sequences.py). Multivariate series are fed as
    they are, without noise: their channels' levels and spreads can be the
    signal (BasicMotions' standing class barely moves, and noise of 0.1
    took the LSTM from 100 to 95.8 there).

    One hidden `Dense(32)` (`activation`) sits between the recurrence and the
    head (`dense_units=(32,)`): on ItalyPowerDemand it took the LSTM from
    95.7 +- 0.4 to 96.2 +- 0.2, above 1-NN Euclidean distance's 95.5 in
    every seed (5 seeds; GunPoint 98.1 -> 97.7, BasicMotions 100 -> 100,
    JapaneseVowels 94.2 -> 94.8). `dense_units=()` reads the head straight
    from the recurrence.

    A many-to-one model on series reads the final state (`pooling="auto"`),
    which has seen the whole series in order; on ItalyPowerDemand (24 steps)
    the average over time lost the position of the daily peaks (90% against
    95.6% from the final state). On token ids it reads the average over the
    words (padding masked). The textbook form is `pooling="last",
    patch_size=1, normalize=None, dense_units=()`.

    Text: pass token ids, `input_shape=(timesteps,)` with `vocab_size`;
    an `Embedding` (`embedding_dim`, id 0 masked as padding) feeds the
    recurrence.

    Args:
        input_shape: `(timesteps, features)`; `timesteps` may be `None` for
            variable-length input (`nnzoo.export.to_tflite` then keeps a
            builtin loop at batch 1; a fixed length can be unrolled).
        units: Units of each recurrent layer.
        cell: `"lstm"`, `"gru"` or `"rnn"` (SimpleRNN).
        bidirectional: Wrap each recurrent layer in `Bidirectional`.
        return_sequences: Many-to-many output, shape `(batch, timesteps, k)`.
        pooling: What a many-to-one model reads from the last recurrent
            layer: `"last"` (final state), `"avg"` or `"max"` over time, or
            `"auto"` (default): `"avg"` for token ids, `"last"` for series.
        dense_units: Dense layers between the recurrent stack and the head
            (default one of 32 units; `()` for none).
        task: `"regression"` (default), `"binary"`, `"multiclass"` or `"multilabel"`.
        num_classes: Classes (multiclass) or labels (multilabel).
        num_outputs: Regression targets (default 1).
        activation: Activation of the dense layers (the cells keep their
            own tanh/sigmoid gates).
        dropout: Dropout on the inputs of each recurrent layer and after dense layers.
        recurrent_dropout: Dropout on the recurrent state (disables the
            fused cuDNN kernel on GPU).
        batch_norm: Batch normalisation in the dense layers.
        l1: L1 penalty on kernels.
        l2: L2 penalty on kernels.
        unroll: Unroll the recurrence (fixed `timesteps` only); faster for
            short sequences, and exports to TFLite with builtin ops.
        patch_size: Steps per patch read by the recurrence (1: every step
            on its own); `None` (default): `timesteps // 16`, at least 1,
            and 1 for variable-length series, token ids and
            `return_sequences=True`.
        normalize: `"series"` z-normalises each series and channel over time
            inside the model; `None` feeds the input as it is; `"auto"`
            (default): `"series"` for univariate series of a classifier,
            else `None` (regression, several channels, token ids).
        input_noise: Standard deviation of the Gaussian noise added to the
            series in training (after the z-normalisation, if any); 0
            switches it off. `None` (default): 0.1 for z-normalised series,
            0 for series fed as they are and for token ids.
        vocab_size: Number of token ids (0 is padding) for text input
            `(timesteps,)`; `None` for real-valued sequences.
        embedding_dim: Width of the token embedding.
        mask_zero: Mask id 0 (padding) in the recurrence and the pooling.
        **options: Common options (optimizer, learning_rate, clipnorm, ...).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument (unknown cell, input of the
            wrong rank, `unroll=True` with variable length, ...).
        TypeError: For an argument of the wrong type or an unknown option.

    Example:

    >>> from nnzoo import build_lstm
    >>> # The textbook form: LSTM(50) -> Dense(1, sigmoid)
    >>> model = build_lstm((100, 10), units=(50,), task="binary", pooling="last", patch_size=1, dense_units=())
    >>> model.output_shape
    (None, 1)
    """
    seq = SequenceInput.from_args(input_shape, family="build_lstm", normalize=normalize, vocab_size=vocab_size,
                                  embedding_dim=embedding_dim, mask_zero=mask_zero, task=task)
    shape = seq.shape
    (units, cell, bidirectional, return_sequences, pooling, unroll, dense_units, recurrent_dropout, patch_size,
     input_noise) = check_params(
        {"units": units, "cell": cell, "bidirectional": bidirectional, "return_sequences": return_sequences,
         "pooling": pooling, "unroll": unroll, "dense_units": dense_units, "recurrent_dropout": recurrent_dropout,
         "patch_size": patch_size, "input_noise": input_noise},
        CONSTRAINTS,
    ).values()
    if input_noise is None:
        input_noise = INPUT_NOISE if seq.normalize == "series" else 0.0
    elif input_noise > 0 and seq.tokens:
        fail("`input_noise` applies to real-valued series, not to token ids", "input_noise=0 or None with vocab_size",
             input_noise=input_noise, vocab_size=seq.vocab_size)
    if unroll and shape[0] is None:
        fail("`unroll=True` needs a fixed number of timesteps", "input_shape=(timesteps, features) with an int", input_shape=input_shape)
    if patch_size is None:
        patch_size = auto_patch_size(shape[0], tokens=seq.tokens, return_sequences=return_sequences)
    elif patch_size > 1 and (seq.tokens or return_sequences):
        fail("`patch_size` > 1 needs a many-to-one model on real-valued series (a patch merges steps)",
             "patch_size=1 or None with token ids or return_sequences=True",
             patch_size=patch_size, **({"vocab_size": seq.vocab_size} if seq.tokens else {"return_sequences": True}))
    head = resolve_head(task, num_classes, num_outputs)
    if pooling == "auto":
        pooling = "avg" if seq.tokens else "last"
    opts = parse_options("build_lstm", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)

    def graph():
        import keras

        layer_cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "rnn": keras.layers.SimpleRNN}[cell]
        inputs = seq.input()
        x = seq.features(inputs)
        if input_noise > 0:  # training only: GaussianNoise passes the input through at inference
            x = keras.layers.GaussianNoise(input_noise, name="input_noise")(x)
        if patch_size > 1:  # a linear embedding of each patch of `patch_size` steps
            x = keras.layers.Conv1D(units[0], patch_size, strides=patch_size, padding="same",
                                    kernel_regularizer=hidden.regularizer, name="patch_embedding")(x)
        pooled = not return_sequences and pooling != "last"
        for i, u in enumerate(units, start=1):
            last = i == len(units)
            layer = layer_cls(
                u,
                return_sequences=return_sequences or pooled or not last,
                dropout=hidden.dropout,
                recurrent_dropout=recurrent_dropout,
                kernel_regularizer=hidden.regularizer,
                unroll=unroll,
                name=f"{cell}_{i}",
            )
            if bidirectional:
                layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{cell}_{i}")
            x = layer(x)
        if pooled:
            pool = keras.layers.GlobalAveragePooling1D if pooling == "avg" else keras.layers.GlobalMaxPooling1D
            x = pool(name=f"global_{pooling}_pool")(x)
        for i, u in enumerate(dense_units, start=1):
            x = hidden.dense(x, u, name=f"dense_{i}")
        outputs = head.layer()(x)
        mapping = "seq2seq" if return_sequences else "seq2one"
        return keras.Model(inputs, outputs, name=opts.name or f"{'bi' if bidirectional else ''}{cell}_{mapping}_{head.task}")

    features = seq.embedding_dim if seq.tokens else shape[1]
    params = 0
    if patch_size > 1:
        params, features = patch_size * features * units[0] + units[0], units[0]
    params += _count_params(features, units, cell, bidirectional, dense_units, hidden, head)
    if seq.tokens:
        params += seq.vocab_size * seq.embedding_dim
    return finish(graph, opts, loss=head.loss, metrics=head.metrics, params=params, input_shape=shape, units=units,
                  dense_units=dense_units)


#: Weight blocks of each cell (gates), and bias vectors per block (GRU's reset_after keeps two).
_CELL_BLOCKS = {"lstm": (4, 1), "gru": (3, 2), "rnn": (1, 1)}


def _count_params(features, units, cell, bidirectional, dense_units, hidden, head) -> int:
    """The model's parameter count, from the arguments alone (no layer is made)."""
    blocks, biases = _CELL_BLOCKS[cell]
    directions = 2 if bidirectional else 1
    n, total = features, 0
    for u in units:
        total += directions * blocks * (n * u + u * u + biases * u)
        n = directions * u
    for u in dense_units:
        total, n = total + hidden.dense_params(n, u), u
    return total + head.params(n)
