"""Recurrent inputs: sequences `(timesteps, features)` of real-valued (standardised) features."""

from nnzoo._registry import InputFacts

#: Any real values; nothing runs inside the model.
INPUTS = InputFacts(kind="sequence", example_shape=(10, 3), other_shapes=((None, 2), (4, 1)))
