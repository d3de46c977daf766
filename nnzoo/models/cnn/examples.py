"""CNN inputs: images of real values (pixels scaled or standardised), any number of channels."""

from nnzoo._registry import InputFacts

#: Any real values; nothing runs inside the model.
INPUTS = InputFacts(kind="image", example_shape=(8, 8, 1), other_shapes=((5, 7, 3), (10, 10, 2)))
