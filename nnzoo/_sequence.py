"""The input end every sequence family shares: real-valued series or token ids.

A sequence model takes either

- series, `input_shape=(timesteps, channels)` (`timesteps` may be `None`),
  optionally z-normalised per series and channel inside the model
  (`normalize="series"`; `"auto"` does it for univariate series of a
  classifier: a regressor, a forecaster, needs their level), so
  the saved and exported model takes raw series;
- or token ids, `input_shape=(timesteps,)` with `vocab_size` set: an
  `Embedding(vocab_size, embedding_dim)` turns ids into vectors; id 0 is
  padding (`mask_zero=True` masks it for the layers that read masks).

Both are plain Keras layers: a transpose, `LayerNormalization(axis=-1,
center=False, scale=False)` and a transpose back are exactly per-series,
per-channel z-normalisation over the time axis on every backend, saves in safe mode and exports to TFLite with builtin ops.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from nnzoo._validation import check_choice, check_input_shape, check_int, fail, fail_type

#: Per-series normalisation choices; `"auto"` is `"series"` for univariate
#: series of a classifier and `None` for regression, multivariate series and
#: token ids (see `SequenceInput.from_args`).
NORMALIZE = ("auto", "series", None)

#: Name of the z-normalisation layer (export and docs find it by this name).
SERIES_NORM_LAYER = "series_norm"

#: Token ids the examples of a text model draw from (0 is padding); every
#: text preset's `vocab_size` is at least this.
EXAMPLE_VOCAB = 50

#: Epsilon added to the variance in the z-normalisation: a constant series
#: becomes zeros instead of NaN.
SERIES_NORM_EPSILON = 1e-6


@dataclass(frozen=True)
class SequenceInput:
    """Validated input facts of a sequence model, and the layers they make."""

    shape: tuple
    normalize: str | None = None
    vocab_size: int | None = None
    embedding_dim: int = 64
    mask_zero: bool = True

    @property
    def tokens(self) -> bool:
        """Whether the model takes token ids (else real-valued series)."""
        return self.vocab_size is not None

    @classmethod
    def from_args(cls, input_shape, *, family: str, normalize=None, vocab_size=None, embedding_dim=64,
                  mask_zero=True, task: str | None = None) -> SequenceInput:
        """Validates the input arguments of a sequence factory.

        `task` is the model's task: `normalize="auto"` leaves a regressor's
        series as they are.

        Raises:
            ValueError: An input of the wrong rank for series or token ids,
                `normalize` with token ids, or a bad vocabulary size.
            TypeError: Arguments of the wrong type.
        """
        if vocab_size is not None:
            if isinstance(vocab_size, bool) or not isinstance(vocab_size, numbers.Integral):
                fail_type("`vocab_size` must be an integer", "an int >= 2 (id 0 is padding), or None for series",
                          vocab_size=vocab_size)
            vocab_size = check_int("vocab_size", vocab_size, minimum=2)
            if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, numbers.Integral):
                fail_type("`embedding_dim` must be an integer", "an int >= 1", embedding_dim=embedding_dim)
            embedding_dim = check_int("embedding_dim", embedding_dim)
            if not isinstance(mask_zero, bool):
                fail_type("`mask_zero` must be a bool", "True or False", mask_zero=mask_zero)
            shape = check_input_shape(input_shape, ranks=(1,), family=family,
                                      hint="(timesteps,) token ids with vocab_size, e.g. (200,)", allow_none_first=True)
        else:
            shape = check_input_shape(input_shape, ranks=(2,), family=family,
                                      hint="(timesteps, channels) for series, e.g. (150, 1); (timesteps,) with "
                                      "vocab_size for token ids", allow_none_first=True)
        if normalize is not None and not isinstance(normalize, str):
            fail_type("`normalize` must be a string or None", "'auto', 'series' or None", normalize=normalize)
        normalize = check_choice("normalize", normalize, NORMALIZE)
        if normalize == "auto":
            # As the published deep-learning study did (dl-4-tsc): univariate UCR
            # series z-normalised each, multivariate ones fed as they are. Across
            # channels the levels can be the signal: on JapaneseVowels (12 LPC
            # coefficients) the FCN scored 96.4% z-normalised per series and
            # channel (78.3% with the series interpolated to equal length), and
            # 99.1% fed as they are (5 seeds each, benchmarks/bench_sequences.py).
            # A regressor (a forecaster above all) needs the level and scale
            # that the z-normalisation removes: the next value of a window is
            # in the window's own units.
            normalize = "series" if vocab_size is None and shape[1] == 1 and task != "regression" else None
        if normalize is not None and vocab_size is not None:
            fail("`normalize` applies to real-valued series, not to token ids", "normalize=None with vocab_size",
                 normalize=normalize, vocab_size=vocab_size)
        return cls(shape, normalize, vocab_size, int(embedding_dim), bool(mask_zero))

    def input(self, name: str = "sequence"):
        """The `keras.Input`: float series, or token ids.

        Token ids come in as float32 (the embedding casts them to int32; exact
        below 2**24): `nnzoo.export.to_tflite` exports float inputs, so the
        phone feeds the ids as floats, and a `TextVectorization` in front
        (`nnzoo.text.string_model`) is cast on the way in.
        """
        import keras

        if self.tokens:
            return keras.Input(shape=self.shape, name="token_ids")
        return keras.Input(shape=self.shape, name=name)

    def features(self, inputs, *, mask: bool = True):
        """Inputs to `(batch, timesteps, features)`: the embedding, or the (normalised) series.

        Args:
            inputs: The model input.
            mask: Let the embedding emit a padding mask (`mask_zero`); a
                family whose layers do not read masks passes `False`.
        """
        import keras

        if self.tokens:
            return keras.layers.Embedding(self.vocab_size, self.embedding_dim, mask_zero=self.mask_zero and mask,
                                          name="embedding")(inputs)
        if self.normalize == "series":
            # Normalise over time per channel. LayerNormalization(axis=1) gives the
            # same numbers on TensorFlow and JAX, but Keras 3.15's PyTorch backend
            # sends it to torch.layer_norm, which only normalises trailing axes.
            # Transposing time to the last axis works on every backend and stays
            # builtin TFLite ops (TRANSPOSE); the last layer carries the name.
            x = keras.layers.Permute((2, 1), name=f"{SERIES_NORM_LAYER}_channels_first")(inputs)
            x = keras.layers.LayerNormalization(axis=-1, center=False, scale=False, epsilon=SERIES_NORM_EPSILON,
                                                name=f"{SERIES_NORM_LAYER}_over_time")(x)
            return keras.layers.Permute((2, 1), name=SERIES_NORM_LAYER)(x)
        return inputs


def sequence_examples(rng, n: int, input_shape: tuple):
    """Example inputs: Gaussian series for `(timesteps, channels)`, token ids in `[0, EXAMPLE_VOCAB)` for `(timesteps,)`."""
    from nnzoo._registry import gaussian_examples

    if len(input_shape) == 1:
        return rng.integers(0, EXAMPLE_VOCAB, size=(n, *input_shape)).astype("float32")
    return gaussian_examples(rng, n, input_shape)


def series_inputs():
    """The input facts of a family on raw series (z-normalised inside) or token ids."""
    from nnzoo._registry import InputFacts

    return InputFacts(
        kind="sequence",
        example_shape=(16, 1),
        examples=sequence_examples,
        preprocessing="z-normalisation of each series over time (normalize='series'; the default for univariate series)",
        preprocessing_layer=SERIES_NORM_LAYER,
    )
