"""1-D conv inputs: raw real-valued series `(timesteps, channels)`, or token ids `(timesteps,)` for text."""

import numpy as np

from nnzoo._registry import InputFacts, gaussian_examples

#: Token ids the examples of a text variant draw from (0 is padding);
#: every text preset's `vocab_size` is at least this.
EXAMPLE_VOCAB = 50


def examples(rng: np.random.Generator, n: int, input_shape: tuple) -> np.ndarray:
    """Gaussian series for `(timesteps, channels)`; token ids in `[0, EXAMPLE_VOCAB)` for `(timesteps,)`."""
    if len(input_shape) == 1:
        return rng.integers(0, EXAMPLE_VOCAB, size=(n, *input_shape)).astype("float32")
    return gaussian_examples(rng, n, input_shape)


#: Raw series: the default model z-normalises each series inside itself.
INPUTS = InputFacts(
    kind="sequence",
    example_shape=(16, 2),
    examples=examples,
    preprocessing="z-normalisation of each series and channel over time (normalize='series')",
    preprocessing_layer="series_norm",
)
