"""Tests for nnzoo/_layers.py's dtype policy option, over every registered model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import nnzoo
from nnzoo._registry import get_entry


def _args(name):
    entry = get_entry(name)
    task = entry.tasks[0]
    kwargs = {} if task == "reconstruction" else {"task": task}
    if task in ("multiclass", "multilabel"):
        kwargs["num_classes"] = 3
    return tuple(entry.example_input_shape), kwargs


@pytest.mark.parametrize("name", nnzoo.list_models())
@pytest.mark.parametrize("dtype", ["float64", "mixed_bfloat16"])
def test_dtype_policy_reaches_every_layer_and_keeps_the_weights(name, dtype):
    shape, kwargs = _args(name)
    floatx = keras.config.floatx()
    keras.utils.set_random_seed(0)
    reference = nnzoo.build(name, shape, compile=False, **kwargs)
    keras.utils.set_random_seed(0)
    model = nnzoo.build(name, shape, dtype=dtype, **kwargs)
    assert keras.config.floatx() == floatx and keras.config.dtype_policy().name == floatx
    layers = [layer for layer in model._flatten_layers() if not isinstance(layer, (keras.Model, keras.layers.InputLayer))]
    policy = keras.DTypePolicy(dtype)
    assert {layer.dtype_policy.name for layer in layers} <= {dtype, policy.variable_dtype}
    assert sum(layer.dtype_policy.name == dtype for layer in layers) >= len(layers) - 2
    # The same weights as the default build (fixed ones included), in the policy's variable dtype.
    assert len(model.weights) == len(reference.weights)
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        assert ours.dtype == policy.variable_dtype or not np.issubdtype(theirs.dtype, np.floating)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    x = np.random.default_rng(0).random((2, *shape)).astype(policy.variable_dtype)
    out = keras.ops.convert_to_numpy(model(x, training=False))
    # Mixed policies compute the output layer in float32, as Keras advises.
    assert out.dtype == policy.variable_dtype
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(reference(x.astype("float32"))),
                               rtol=0.05 if dtype.startswith("mixed") else 1e-5, atol=0.05 if dtype.startswith("mixed") else 1e-5)
    assert model.compiled


@pytest.mark.parametrize(
    "dtype, error, fragment",
    [
        ("float17", ValueError, "Unknown `dtype` policy"),
        ("int32", ValueError, "must be a float policy"),
        ("int8_from_float32", ValueError, "must be a float policy"),
        (64, TypeError, "must be a dtype policy name"),
    ],
)
def test_bad_dtype_fails_before_building(dtype, error, fragment):
    with pytest.raises(error, match=fragment + r".*Received: dtype="):
        nnzoo.build("ffnn", (4,), task="binary", dtype=dtype)
