"""1-D conv inputs: raw real-valued series `(timesteps, channels)`, or token ids `(timesteps,)` for text."""

from nnzoo._sequence import series_inputs

#: Raw series (the default model z-normalises each series inside itself) or token ids.
INPUTS = series_inputs()
