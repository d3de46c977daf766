"""Autoencoder inputs: low-rank data in [-1, 1], which a small code can compress."""

import math

import numpy as np

from nnzoo._registry import InputFacts


def example_inputs(rng: np.random.Generator, n: int, input_shape: tuple) -> np.ndarray:
    """Rank-2 samples scaled into [-1, 1]: a learnable reconstruction problem."""
    flat = rng.normal(size=(n, 2)) @ rng.normal(size=(2, math.prod(input_shape)))
    return (flat / np.abs(flat).max()).reshape(n, *input_shape).astype("float32")


#: Any real values; nothing runs inside the model.
INPUTS = InputFacts(kind="tabular", example_shape=(16,), examples=example_inputs, other_shapes=((5,), (4, 4, 2)))
