"""Hidden-layer options every family shares: activation, initializer, regularization.

The default kernel initializer follows the activation: He for the ReLU
family, LeCun for SELU (self-normalising), Glorot for tanh and sigmoid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnzoo._validation import Boolean, Interval, OneOf, check_params, fail, fail_type

#: Examples of dtype policy names, for messages (any float Keras policy works).
DTYPE_POLICIES = ("float32", "float64", "bfloat16", "float16", "mixed_bfloat16", "mixed_float16")

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

#: What every family's hidden-layer arguments accept.
CONSTRAINTS = {
    "activation": OneOf(tuple(ACTIVATIONS)),
    "dropout": Interval(0.0, 1.0, high_inclusive=False),
    "batch_norm": Boolean(),
    "l1": Interval(0.0),
    "l2": Interval(0.0),
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
        values = check_params(
            {"activation": activation, "dropout": dropout, "batch_norm": batch_norm, "l1": l1, "l2": l2},
            CONSTRAINTS,
        )
        return cls(**values, kernel_initializer=kernel_initializer)

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


def check_dtype_policy(dtype: Any):
    """Validates a `dtype` option: None, a float policy name, or a `keras.DTypePolicy`.

    Returns:
        None, or the `keras.DTypePolicy`.

    Raises:
        TypeError: For a value that is neither a string nor a policy.
        ValueError: For an unknown name, or a quantized or non-float policy.
    """
    if dtype is None:
        return None
    import keras

    expected = "None, a float dtype policy name (" + ", ".join(map(repr, DTYPE_POLICIES)) + ") or a keras.DTypePolicy"
    if not isinstance(dtype, (str, keras.DTypePolicy)):
        fail_type("`dtype` must be a dtype policy name or a keras.DTypePolicy", expected, dtype=dtype)
    try:
        policy = keras.dtype_policies.get(dtype)
    except (ValueError, TypeError):
        fail("Unknown `dtype` policy", expected, dtype=dtype)
    if getattr(policy, "quantization_mode", None) is not None or not keras.backend.is_float_dtype(policy.variable_dtype) \
            or not keras.backend.is_float_dtype(policy.compute_dtype):
        fail("`dtype` must be a float policy (quantize after training instead)", expected, dtype=dtype)
    return policy


def _last_layers(model) -> list:
    """The model's last layer, descending into nested models (autoencoder decoder, VGG head)."""
    import keras

    last = model.layers[-1]
    return [last, *_last_layers(last)] if isinstance(last, keras.Model) else [last]


def _retyped(config: dict, policy) -> dict:
    """A layer config with `dtype` set to `policy`, in wrapped layers' configs too (Bidirectional's LSTMs)."""
    import keras

    out = {**config, "dtype": policy}
    for key, value in config.items():
        if key != "dtype" and isinstance(value, dict) and isinstance(value.get("config"), dict) \
                and "dtype" in value["config"]:
            nested = _retyped(value["config"], policy)
            out[key] = {**value, "config": {**nested, "dtype": keras.saving.serialize_keras_object(policy)}}
    return out


def with_dtype_policy(model, policy):
    """Returns a copy of a Functional model whose every layer uses `policy`.

    The copy is made with `keras.models.clone_model` (nested models are
    copied the same way), each layer re-created from its config with the
    new `dtype`, float inputs in the policy's variable dtype, and every
    weight copied over, so initial and fixed weights (the VGG preprocessing)
    are the original's. Under a mixed policy the output layer computes in
    float32. The original model is left as it was.

    Args:
        model: An uncompiled Functional `keras.Model`.
        policy: A `keras.DTypePolicy` (see `check_dtype_policy`).

    Returns:
        The new model.
    """
    import keras

    mixed = policy.compute_dtype != policy.variable_dtype
    output_ids = {id(layer) for layer in _last_layers(model)} if mixed else set()

    def retype(source):
        def clone(layer):
            if isinstance(layer, keras.Model):
                return retype(layer)
            own = keras.DTypePolicy(policy.variable_dtype) if id(layer) in output_ids else policy
            return type(layer).from_config(_retyped(layer.get_config(), own))

        inputs = [
            keras.Input(
                batch_shape=t.shape,
                dtype=policy.variable_dtype if keras.backend.is_float_dtype(t.dtype) else t.dtype,
                name=t.name,
            )
            for t in source.inputs
        ]
        copy = keras.models.clone_model(source, input_tensors=inputs if len(inputs) > 1 else inputs[0],
                                        clone_function=clone)
        return copy

    new = retype(model)
    new.set_weights(model.get_weights())
    return new
