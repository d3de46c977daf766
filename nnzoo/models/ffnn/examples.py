"""Feed-forward inputs: rows of real-valued (standardised) features."""

from nnzoo._registry import InputFacts

#: Any real values (nnzoo's loaders standardise tabular features); nothing runs inside the model.
INPUTS = InputFacts(kind="tabular", example_shape=(12,), other_shapes=((3,), (2, 3)))
