"""Transfer inputs: raw RGB pixels in [0, 255]; VGG16's own preprocessing runs inside the model."""

import numpy as np

from nnzoo._registry import InputFacts
from nnzoo.models.transfer.builder import BGR_MEAN, PREPROCESS_LAYER

#: Raw pixels in [0, 255]: the range both the examples and export use.
VALUE_RANGE = (0.0, 255.0)


def example_inputs(rng: np.random.Generator, n: int, input_shape: tuple) -> np.ndarray:
    """Raw RGB in `VALUE_RANGE`, with a per-image brightness a frozen random base still sees."""
    brightness = rng.uniform(0.1, 1.0, size=(n,) + (1,) * len(input_shape))
    return (rng.uniform(*VALUE_RANGE, size=(n, *input_shape)) * brightness).astype("float32")


INPUTS = InputFacts(
    kind="image",
    example_shape=(32, 32, 3),
    other_shapes=((40, 32, 3),),
    examples=example_inputs,
    value_range=VALUE_RANGE,
    channel_order="RGB",
    preprocessing="VGG16 'caffe' preprocessing: RGB to BGR, then subtract the ImageNet BGR means " + str(list(BGR_MEAN)),
    preprocessing_layer=PREPROCESS_LAYER,
)
