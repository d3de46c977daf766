"""Hidden-layer options every family shares: activation, initializer, regularization.

The default kernel initializer follows the activation: He for the ReLU
family, LeCun for SELU (self-normalising), Glorot for tanh and sigmoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnzoo._validation import check_choice, check_float, fail_type

#: Hidden activation -> matching default kernel initializer.
ACTIVATIONS = {
    "relu": "he_normal",
    "leaky_relu": "he_normal",
    "elu": "he_normal",
    "gelu": "he_normal",
    "swish": "he_normal",
    "selu": "lecun_normal",
    "tanh": "glorot_uniform",
    "sigmoid": "glorot_uniform",
    "linear": "glorot_uniform",
}


@dataclass(frozen=True)
class Hidden:
    """Validated options for hidden layers, and the blocks built from them."""

    activation: str = "relu"
    dropout: float = 0.0
    batch_norm: bool = False
    l1: float = 0.0
    l2: float = 0.0
    kernel_initializer: Any = None

    @classmethod
    def from_args(cls, activation="relu", dropout=0.0, batch_norm=False, l1=0.0, l2=0.0, kernel_initializer=None):
        if not isinstance(activation, str):
            fail_type("`activation` must be a string", "one of " + ", ".join(map(repr, ACTIVATIONS)), activation=activation)
        activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        dropout = check_float("dropout", dropout, low=0.0, high=1.0, high_inclusive=False)
        if not isinstance(batch_norm, bool):
            fail_type("`batch_norm` must be a bool", "True or False", batch_norm=batch_norm)
        l1 = check_float("l1", l1)
        l2 = check_float("l2", l2)
        return cls(activation, dropout, batch_norm, l1, l2, kernel_initializer)

    @property
    def initializer(self):
        return self.kernel_initializer or ACTIVATIONS[self.activation]

    @property
    def regularizer(self):
        import keras

        if self.l1 or self.l2:
            return keras.regularizers.L1L2(l1=self.l1, l2=self.l2)
        return None

    def dense_params(self, n_in: int, units: int) -> int:
        """Parameters of `dense(x, units)` on `n_in` features (batch norm keeps 4 per unit)."""
        return n_in * units + (4 * units if self.batch_norm else units)

    def conv_params(self, c_in: int, filters: int, kernel_size: int) -> int:
        """Parameters of `conv(x, filters, kernel_size)` on `c_in` channels."""
        return kernel_size * kernel_size * c_in * filters + (4 * filters if self.batch_norm else filters)

    def layer_kwargs(self) -> dict:
        return {"kernel_initializer": self.initializer, "kernel_regularizer": self.regularizer}

    def activate(self, x, name: str):
        """Batch norm (if on) then the activation, on a pre-activation tensor."""
        import keras

        if self.batch_norm:
            x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
        return keras.layers.Activation(self.activation, name=f"{name}_act")(x)

    def dense(self, x, units: int, name: str, *, dropout: bool = True):
        """Dense -> [BatchNorm] -> activation -> [Dropout].

        Without batch norm the activation sits inside the Dense layer, which is
        the textbook form `Dense(units, activation=...)`.
        """
        import keras

        if self.batch_norm:
            x = keras.layers.Dense(units, use_bias=False, name=name, **self.layer_kwargs())(x)
            x = self.activate(x, name)
        else:
            x = keras.layers.Dense(units, activation=self.activation, name=name, **self.layer_kwargs())(x)
        if dropout and self.dropout:
            x = keras.layers.Dropout(self.dropout, name=f"{name}_dropout")(x)
        return x

    def conv(self, x, filters: int, kernel_size: int, padding: str, name: str):
        """Conv2D -> [BatchNorm] -> activation (activation inside Conv2D without BN)."""
        import keras

        if self.batch_norm:
            x = keras.layers.Conv2D(
                filters, kernel_size, padding=padding, use_bias=False, name=name, **self.layer_kwargs()
            )(x)
            return self.activate(x, name)
        return keras.layers.Conv2D(
            filters, kernel_size, padding=padding, activation=self.activation, name=name, **self.layer_kwargs()
        )(x)
