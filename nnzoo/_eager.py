"""Running a model fast where Keras runs it eagerly (the PyTorch backend).

TensorFlow and JAX trace a model's train step once, so the Python that
Keras runs around each layer call is paid once. PyTorch runs Keras eagerly:
that Python is paid at every step, and for the zoo's small models it cost
more than the arithmetic. Three levers, each leaving the model's file,
config and weights those of the plain Keras model:

- `as_sequential`: a plain chain of layers is built as a `keras.Sequential`;
- `direct_chain`: a plain chain runs each layer's `call` directly, without
  the per-call bookkeeping of `Layer.__call__`;
- inside it, an `LSTM` runs PyTorch's fused LSTM kernel (`torch.lstm`,
  the kernel behind `torch.nn.LSTM`) where Keras would loop over the time
  steps in Python (Keras uses that kernel on CUDA only).
"""

from __future__ import annotations

from typing import Any


#: Backends on which a plain chain of layers is built as a `keras.Sequential`:
#: PyTorch runs Keras eagerly, and a `Functional` model's call walks its
#: graph in Python at every step. The default CNN on digits trained an epoch
#: in 1.27 s as a `Sequential` of the same layers against 1.62 s as a
#: `Functional` (1.65 s against 2.37 s in a second round; plain Keras's
#: `Sequential` twin 1.42 s and 1.70 s). TensorFlow and JAX trace the step
#: once, so the two cost the same there and the models stay `Functional`.
SEQUENTIAL_BACKENDS = ("torch",)


def chain_layers(model) -> list | None:
    """The layers of `model` after its input when it is a plain chain, else None.

    A chain: one input, one output, and each layer reads exactly the output
    of the layer before it (a `keras.Sequential`, or a `Functional` model
    built that way). Branches, shared layers and several inputs are not.
    """
    import keras

    if isinstance(model, keras.Sequential):
        return list(model.layers) or None
    try:
        inputs, outputs, layers = model.inputs, model.outputs, model.layers
    except (AttributeError, ValueError):  # a subclassed model
        return None
    if len(inputs) != 1 or len(outputs) != 1 or not layers or not isinstance(layers[0], keras.layers.InputLayer):
        return None
    previous = inputs[0]
    for layer in layers[1:]:
        try:
            if layer.input is not previous:
                return None
        except (AttributeError, ValueError):  # several inbound nodes, or no single input
            return None
        previous = layer.output
    return layers[1:] if previous is outputs[0] and len(layers) > 1 else None


def as_sequential(model, backend: str | None = None):
    """`model` as a `keras.Sequential` of the same layers when it is a plain chain, on `SEQUENTIAL_BACKENDS`.

    Anything that is not a chain (`chain_layers`) is returned as it is. The
    layers, their names, weights and the model's name are kept; only the
    container changes.
    """
    import keras

    if (backend or keras.backend.backend()) not in SEQUENTIAL_BACKENDS or isinstance(model, keras.Sequential):
        return model
    layers = chain_layers(model)
    return model if layers is None else keras.Sequential([model.layers[0], *layers], name=model.name)


#: Backends on which a plain chain calls each layer's `call` directly.
#: PyTorch runs Keras eagerly, and at every step each layer's `__call__`
#: does bookkeeping in Python (argument binding, mask and dtype handling,
#: name scopes) that a chain of float layers without masks has no use for:
#: on the default CNN that bookkeeping cost more than the convolutions.
#: One epoch on digits (2-core CPU, same seeds, identical weights after):
#: 1.49, 1.45, 1.42 s through `__call__` against 1.16, 1.09, 0.84 s direct;
#: PyTorch eager 0.57, 0.53, 0.46 s. TensorFlow and JAX trace the step once,
#: so the bookkeeping is not paid per step there and nothing changes.
DIRECT_BACKENDS = ("torch",)


def _direct(layer) -> bool:
    """Whether `layer.call` does all that `layer(...)` would in a chain without masks."""
    import keras

    policy = layer.dtype_policy
    return (
        type(layer).__call__ is keras.layers.Layer.__call__  # no own __call__ (tf.data-based preprocessing layers)
        and not isinstance(layer, (keras.Model, keras.layers.InputLayer))
        and layer.built
        and getattr(layer, "activity_regularizer", None) is None
        and policy.compute_dtype == policy.variable_dtype  # no mixed precision (autocast scopes)
        and getattr(layer, "autocast", True)
    )


def _makes_mask(layer) -> bool:
    import keras

    return isinstance(layer, keras.layers.Masking) or bool(getattr(layer, "mask_zero", False))


def direct_chain(model, backend: str | None = None):
    """On `DIRECT_BACKENDS`, runs a plain chain through each layer's `call`.

    The model's own `__call__` still runs (input conversion, the training
    flag, losses), and so does each layer's for any layer `layer.call` would
    not stand in for: nested models, layers with their own `__call__`, an
    activity regularizer, or a mixed dtype policy. Chains with a mask
    (`Masking`, `mask_zero=True`), models that are not chains, and other
    backends are left as they are. Floating inputs are cast to each direct
    layer's compute dtype, as `__call__` would. Symbolic inputs, and a
    `Sequential` whose layers changed since (`add`, `pop`), take the model's
    own graph. Only the running model changes: its file, config
    and weights are those of the plain model.

    Returns:
        The model.
    """
    import inspect

    import keras

    if (backend or keras.backend.backend()) not in DIRECT_BACKENDS or "call" in vars(model):
        return model
    layers = chain_layers(model)
    if layers is None or any(_makes_mask(layer) for layer in layers):
        return model
    steps = []
    for layer in layers:
        if _direct(layer):
            native = native_lstm(layer)
            run = layer.call if native is None else native
            steps.append((run, "training" in inspect.signature(run).parameters, layer.compute_dtype))
        else:
            steps.append((layer, getattr(layer, "_call_has_training_arg", False), None))
    if all(dtype is None for _, _, dtype in steps):
        return model
    graph_call = model.call
    chain = list(model.layers)
    ops = keras.ops
    names: dict[Any, str] = {}  # the backend's dtype objects, by Keras name

    def name_of(dtype) -> str:
        if dtype not in names:
            names[dtype] = keras.backend.standardize_dtype(dtype)
        return names[dtype]

    def call(inputs, training=None, mask=None, **kwargs):
        if (mask is not None or kwargs or not ops.is_tensor(inputs) or isinstance(inputs, keras.KerasTensor)
                or model.layers != chain):  # layers added or popped since (`Sequential.add`, `.pop`)
            return graph_call(inputs, training=training, mask=mask, **kwargs)
        x = inputs
        for run, takes_training, dtype in steps:
            if dtype is not None:
                have = name_of(x.dtype)
                if have != dtype and "float" in have:
                    x = ops.cast(x, dtype)
            x = run(x, training=training) if takes_training and training is not None else run(x)
        return x

    model.call = call
    return model


def native_lstm(layer):
    """PyTorch's fused LSTM kernel for a plain `keras.layers.LSTM`, or None.

    Keras's PyTorch backend runs `torch.lstm` (the kernel behind
    `torch.nn.LSTM`) on CUDA only; on a CPU it loops over the time steps in
    Python. The same kernel runs on a CPU, with the same gate order (input,
    forget, cell, output) and Keras's one bias as the input bias. Only an
    LSTM whose every setting the kernel computes exactly qualifies: tanh
    and sigmoid activations, a bias, no dropout, forward, not stateful, no
    returned states, not unrolled, `use_cudnn` not False, on PyTorch.

    Returns:
        A function of `(inputs, training=None)` returning what `layer.call`
        returns, or None.
    """
    import keras

    cell = getattr(layer, "cell", None)
    if (
        keras.backend.backend() != "torch"
        or type(layer) is not keras.layers.LSTM
        or cell.activation is not keras.activations.tanh
        or cell.recurrent_activation is not keras.activations.sigmoid
        or not cell.use_bias
        or cell.dropout
        or cell.recurrent_dropout
        or layer.go_backwards
        or layer.stateful
        or layer.return_state
        or layer.unroll
        or layer.use_cudnn is False
    ):
        return None
    import torch

    kernel = getattr(torch, "lstm", None)
    if kernel is None:  # pragma: no cover - every torch >= 1.0 has it
        return None
    units, sequences = cell.units, layer.return_sequences

    def run(inputs, training=None):
        bias = cell.bias.value
        h0 = torch.zeros((1, inputs.shape[0], units), dtype=inputs.dtype, device=inputs.device)
        weights = [cell.kernel.value.T, cell.recurrent_kernel.value.T, bias, torch.zeros_like(bias)]
        # (input, (h0, c0), weights, has_biases, num_layers, dropout, train, bidirectional, batch_first)
        outputs, _, _ = kernel(inputs, (h0, h0), weights, True, 1, 0.0, torch.is_grad_enabled(), False, True)
        return outputs if sequences else outputs[:, -1]

    return run
