"""The one layer the Transformer needs that Keras lacks: position embeddings added to a sequence."""

from __future__ import annotations

import math

import keras
import numpy as np

#: Position encodings.
POSITIONS = ("learned", "sinusoidal")


def sinusoidal_table(length: int, dim: int) -> np.ndarray:
    """Vaswani et al. 2017's encodings: sin on even features, cos on odd, wavelengths up to 10000 * 2 pi."""
    pos = np.arange(length)[:, None]
    rates = np.exp(-math.log(10000.0) * (2 * (np.arange(dim) // 2)) / dim)[None, :]
    angles = pos * rates
    return np.where(np.arange(dim)[None, :] % 2 == 0, np.sin(angles), np.cos(angles)).astype("float32")


@keras.saving.register_keras_serializable(package="nnzoo")
class PositionEmbedding(keras.layers.Layer):
    """Adds a position encoding to `(batch, timesteps, features)`; keeps the padding mask.

    Args:
        max_length: Longest sequence the layer takes.
        kind: `"learned"` (a trained `(max_length, features)` table) or
            `"sinusoidal"` (fixed, stored with the weights).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).
    """

    def __init__(self, max_length: int, kind: str = "learned", **kwargs):
        super().__init__(**kwargs)
        self.max_length = int(max_length)
        self.kind = kind
        self.supports_masking = True

    def build(self, input_shape):
        dim = int(input_shape[-1])
        learned = self.kind == "learned"
        self.table = self.add_weight(
            name="positions", shape=(self.max_length, dim), trainable=learned,
            initializer=keras.initializers.RandomNormal(stddev=0.02) if learned else "zeros",
        )
        if not learned:
            self.table.assign(sinusoidal_table(self.max_length, dim))

    def call(self, inputs):
        steps = keras.ops.shape(inputs)[1]
        # `.value` is the backend tensor: JAX refuses a Variable inside a traced op.
        table = keras.ops.slice(self.table.value, (0, 0), (steps, self.table.shape[1]))
        return inputs + keras.ops.cast(table, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length, "kind": self.kind}
