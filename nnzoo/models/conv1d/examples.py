"""1-D conv inputs: raw real-valued series `(timesteps, channels)`, or token ids `(timesteps,)` for text."""

from nnzoo._registry import InputFacts
from nnzoo._sequence import SERIES_NORM_LAYER, sequence_examples

#: Raw series: the default model z-normalises each series inside itself.
INPUTS = InputFacts(
    kind="sequence",
    example_shape=(16, 2),
    examples=sequence_examples,
    preprocessing="z-normalisation of each series and channel over time (normalize='series')",
    preprocessing_layer=SERIES_NORM_LAYER,
)
