"""1-D conv inputs: raw real-valued series `(timesteps, channels)`, or token ids `(timesteps,)` for text."""

from dataclasses import replace

from nnzoo._sequence import series_inputs

#: Raw series (the default model z-normalises univariate series inside itself) or token ids.
INPUTS = replace(series_inputs(), other_shapes=((None, 1), (6, 3), (5, 2)))
