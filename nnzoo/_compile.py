"""Options every factory takes after its own, and the shared build-and-compile step.

Common keyword options (all factories):

- `optimizer`: `"adam"` (default), `"adamw"`, `"sgd"`, `"sgd_momentum"`,
  `"rmsprop"`, `"nadam"`, or a `keras.optimizers.Optimizer` instance.
- `learning_rate`: defaults to the optimizer's usual rate (1e-3; 1e-2 for SGD).
- `momentum`: for `"sgd"` / `"rmsprop"` (`"sgd_momentum"` defaults to 0.9).
- `weight_decay`: for `"adamw"` (default 1e-4) and the others.
- `clipnorm` / `clipvalue`: gradient clipping.
- `loss`, `metrics`: override the task head's defaults.
- `steps_per_execution`: training steps per compiled call; the default
  depends on the Keras backend (`BACKEND_EXECUTION`): 8 on TensorFlow (32
  for `build_ffnn`), 1 on JAX (8 for `build_ffnn`) and 1 on PyTorch (Keras
  refuses more there).
- `jit_compile`: whether the train step is compiled; the default depends on
  the backend: False on TensorFlow (on CPU, XLA slowed the default CNN's
  epochs and lengthened every model's first epoch), True on JAX (without
  it JAX runs every op eagerly, about 20x slower), False on PyTorch.
- `compile`: `False` returns an uncompiled model.
- `strategy`: a `tf.distribute.Strategy` (TensorFlow backend only); the
  model is built and compiled inside `strategy.scope()`.

Execution settings belong to the running model, not to its file: a model is
compiled with Keras's portable `steps_per_execution=1` and
`jit_compile=False`, which is what its `.keras` file records, and the
backend's settings are then set on the model (`model.steps_per_execution`,
`model.jit_compile`). A file saved on any backend therefore loads, predicts
and trains on every other one with plain `keras.saving.load_model`;
`nnzoo.load_model` also sets the active backend's execution settings.
- `name`: the model's name.
- `kernel_initializer`: overrides the activation-matched default.
- `max_params`: the largest model, in parameters, the factory builds
  (default `DEFAULT_MAX_PARAMS`, 100 million: 400 MB of float32 weights,
  about three times that while training with Adam). The count is worked
  out from the arguments before any layer exists, so a model that cannot
  fit is refused at once instead of allocating for seconds. Raise it, or
  pass `None` for no limit.
- `dtype`: a Keras dtype policy for every layer (`"float32"`, `"float64"`,
  `"mixed_bfloat16"`, `"mixed_float16"`, ... or a `keras.DTypePolicy`);
  `None` (default) uses Keras's global policy. Under a mixed policy the
  model's output layer computes in float32, as Keras's mixed-precision
  guide advises. No global setting is changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nnzoo._eager import as_sequential, direct_chain
from nnzoo._layers import check_dtype_policy, with_dtype_policy
from nnzoo._validation import Boolean, Integer, Interval, check_choice, check_int, check_params, fail, fail_type, message, suggest

OPTIMIZERS = ("adam", "adamw", "sgd", "sgd_momentum", "rmsprop", "nadam")
_DEFAULT_LR = {"adam": 1e-3, "adamw": 1e-3, "sgd": 1e-2, "sgd_momentum": 1e-2, "rmsprop": 1e-3, "nadam": 1e-3}
#: Default `steps_per_execution` on TensorFlow; evidence from `python benchmarks/run.py
#: --only levers` (digits, batch 32, 2-core CPU). Running several steps per
#: graph call removes Keras's per-step Python overhead, so together with
#: `nnzoo.fit` the default CNN trains about 1.3x faster per epoch than with
#: steps_per_execution=1 and plain `model.fit`; beyond 8 its epochs do not
#: get faster (it is compute-bound). The price grows with the value: Keras
#: unrolls up to `steps_per_execution` batches in `predict` and traces again
#: for each new number of batches, so the default CNN's or LSTM's first
#: `predict` of 1000 samples takes about 1.3-1.9 s at 8 and 3.5-4.6 s at 32
#: (0.4 s at 1). Pass `steps_per_execution=1` for a model that mostly serves
#: `predict` calls of varying sizes.
DEFAULT_STEPS_PER_EXECUTION = 8

#: Factories whose TensorFlow default differs. A Dense network is cheap to trace and
#: dominated by per-call overhead: `build_ffnn` at 32 trains about 1.4x
#: faster per epoch than at 8, and its first `predict` of 1000 samples
#: stays under a second.
FACTORY_STEPS_PER_EXECUTION = {"build_ffnn": 32}

#: Per Keras backend: (default steps_per_execution, per-factory defaults,
#: jit_compile). JAX (digits, batch 32, loaded 2-core CPU): without
#: `jit_compile` the JAX trainer runs every op eagerly (the default CNN's
#: epoch took 43 s instead of 1.9 s); 8 steps per call made the FFNN's
#: epochs about 2x faster (49 ms against 98-185 ms at 1, 70 ms at 32) and
#: the CNN's no faster (2.4 s against 1.9 s). PyTorch: Keras allows
#: only 1, and `jit_compile=True` means `torch.compile`, whose first call
#: needs a C++ toolchain and minutes.
BACKEND_EXECUTION: dict[str, tuple[int, dict[str, int], bool]] = {
    "tensorflow": (DEFAULT_STEPS_PER_EXECUTION, FACTORY_STEPS_PER_EXECUTION, False),
    "jax": (1, {"build_ffnn": 8}, True),
    "torch": (1, {}, False),
}

#: Default `max_params` of every factory.
DEFAULT_MAX_PARAMS = 100_000_000

_OPTION_DEFAULTS: dict[str, Any] = {
    "optimizer": "adam",
    "learning_rate": None,
    "momentum": None,
    "weight_decay": None,
    "clipnorm": None,
    "clipvalue": None,
    "loss": None,
    "metrics": None,
    "steps_per_execution": None,  # the backend's (BACKEND_EXECUTION)
    "jit_compile": None,  # the backend's (BACKEND_EXECUTION)
    "compile": True,
    "strategy": None,
    "name": None,
    "kernel_initializer": None,
    "max_params": DEFAULT_MAX_PARAMS,
    "dtype": None,
}

#: What the common options accept (None: the optimizer's or Keras's default).
CONSTRAINTS = {
    "learning_rate": Interval(0.0, low_inclusive=False, optional=True),
    "momentum": Interval(0.0, 1.0, high_inclusive=False, optional=True),
    "weight_decay": Interval(0.0, optional=True),
    "clipnorm": Interval(0.0, low_inclusive=False, optional=True),
    "clipvalue": Interval(0.0, low_inclusive=False, optional=True),
    "steps_per_execution": Integer(),
    "jit_compile": Boolean(),
    "compile": Boolean(),
    "max_params": Integer(optional=True),
}


@dataclass(frozen=True)
class Options:
    """Validated common options."""

    values: dict = field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise AttributeError(key) from None


def parse_options(factory: str, options: dict[str, Any]) -> Options:
    """Validates the common keyword options of `factory`.

    Raises:
        TypeError: For an option name the factory does not take.
        ValueError: For an invalid value.
    """
    unknown = sorted(set(options) - set(_OPTION_DEFAULTS))
    if unknown:
        known = sorted(_OPTION_DEFAULTS)
        raise TypeError(
            message(
                f"{factory}() got an unexpected keyword argument {unknown[0]!r}.{suggest(unknown[0], known)}",
                "its own arguments or a common option: " + ", ".join(known),
                **{unknown[0]: options[unknown[0]]},
            )
        )
    values = {**_OPTION_DEFAULTS, **options}
    for key, value in execution_defaults(factory).items():
        if values[key] is None:
            values[key] = value
    opt = values["optimizer"]
    if isinstance(opt, str):
        values["optimizer"] = check_choice("optimizer", opt, OPTIMIZERS)
    elif not _is_optimizer(opt):
        fail_type(
            "`optimizer` must be a name or a keras optimizer instance",
            "one of " + ", ".join(map(repr, OPTIMIZERS)) + " or keras.optimizers.Optimizer",
            optimizer=opt,
        )
    elif any(values[k] is not None for k in ("learning_rate", "momentum", "weight_decay", "clipnorm", "clipvalue")):
        fail(
            "Optimizer settings were given beside an optimizer instance",
            "learning_rate, momentum, weight_decay and clipping set on the instance itself",
            optimizer=opt,
        )
    values = check_params(values, CONSTRAINTS)
    if values["clipnorm"] is not None and values["clipvalue"] is not None:
        fail("`clipnorm` and `clipvalue` are exclusive", "at most one of them", clipnorm=values["clipnorm"], clipvalue=values["clipvalue"])
    values["steps_per_execution"] = check_steps_per_execution(values["steps_per_execution"])
    if values["name"] is not None and not isinstance(values["name"], str):
        fail_type("`name` must be a string", "e.g. 'my_cnn'", name=values["name"])
    values["dtype"] = check_dtype_policy(values["dtype"])
    strategy = values["strategy"]
    if strategy is not None and not callable(getattr(strategy, "scope", None)):
        fail_type("`strategy` must be a tf.distribute.Strategy", "e.g. tf.distribute.MirroredStrategy()", strategy=strategy)
    check_strategy_backend(strategy)
    return Options(values)


#: The compile settings nnzoo keeps on the live model instead of in its file.
EXECUTION_SETTINGS = ("steps_per_execution", "jit_compile")


def execution_of(model) -> dict[str, Any]:
    """A compiled model's live execution settings (its compile config holds the portable ones)."""
    return {key: getattr(model, key) for key in EXECUTION_SETTINGS}


def active_backend() -> str:
    """The active Keras backend's name (`"tensorflow"`, `"jax"`, `"torch"`, ...)."""
    import keras

    return keras.backend.backend()


def execution_defaults(factory: str | None = None, backend: str | None = None) -> dict[str, Any]:
    """`{"steps_per_execution": ..., "jit_compile": ...}` for `factory` on `backend`.

    Args:
        factory: A factory's name (`"build_ffnn"`), or None for the
            backend's general default.
        backend: A Keras backend's name; defaults to the active one. A
            backend nnzoo has not measured gets Keras's own defaults.
    """
    backend = backend or active_backend()
    spe, per_factory, jit = BACKEND_EXECUTION.get(backend, (1, {}, False))
    return {"steps_per_execution": per_factory.get(factory, spe), "jit_compile": jit}


def check_steps_per_execution(value: Any) -> int:
    """Validates `steps_per_execution` for the active backend."""
    value = check_int("steps_per_execution", value)
    if value > 1 and active_backend() == "torch":
        fail(
            "`steps_per_execution` above 1 needs the TensorFlow or JAX backend; the active Keras backend is 'torch'",
            "steps_per_execution=1 (the default on PyTorch)",
            steps_per_execution=value,
        )
    return value


def check_strategy_backend(strategy: Any) -> None:
    """Fails, naming the backend, for a `tf.distribute` strategy off TensorFlow."""
    if strategy is None:
        return
    backend = active_backend()
    if backend != "tensorflow":
        fail(
            f"`strategy=` needs the TensorFlow backend; the active Keras backend is {backend!r}",
            "KERAS_BACKEND=tensorflow set before the first `import keras`, or strategy=None",
            strategy=strategy,
        )


def set_execution(model, *, steps_per_execution: int | None = None, jit_compile: bool | None = None,
                  factory: str | None = None):
    """Sets a compiled model's execution settings for the active backend.

    The settings live on the model (`model.steps_per_execution`,
    `model.jit_compile`), not in its compile config, so a saved file stays
    loadable on every backend. `None` takes the backend's default for
    `factory` (`execution_defaults`). The model's compiled functions are
    reset, so the next `fit`, `evaluate` or `predict` uses the new settings.

    Returns:
        The model.
    """
    defaults = execution_defaults(factory)
    spe = check_steps_per_execution(defaults["steps_per_execution"] if steps_per_execution is None else steps_per_execution)
    jit = defaults["jit_compile"] if jit_compile is None else jit_compile
    if not isinstance(jit, bool):
        fail_type("`jit_compile` must be a bool", "True or False", jit_compile=jit)
    model.steps_per_execution = spe
    model.jit_compile = jit
    model.train_function = model.test_function = model.predict_function = None
    return model


def _is_optimizer(obj: Any) -> bool:
    import keras

    return isinstance(obj, keras.optimizers.Optimizer)


def make_optimizer(opts: Options):
    """Returns a fresh keras optimizer from the options."""
    import keras

    if not isinstance(opts.optimizer, str):
        return opts.optimizer
    name = opts.optimizer
    lr = opts.learning_rate if opts.learning_rate is not None else _DEFAULT_LR[name]
    kw: dict[str, Any] = {"learning_rate": lr}
    if opts.clipnorm is not None:
        kw["clipnorm"] = opts.clipnorm
    if opts.clipvalue is not None:
        kw["clipvalue"] = opts.clipvalue
    if opts.weight_decay is not None or name == "adamw":
        kw["weight_decay"] = opts.weight_decay if opts.weight_decay is not None else 1e-4
    if name in ("sgd", "sgd_momentum"):
        momentum = opts.momentum if opts.momentum is not None else (0.9 if name == "sgd_momentum" else 0.0)
        return keras.optimizers.SGD(momentum=momentum, **kw)
    if opts.momentum is not None and name != "rmsprop":
        fail(
            f"`momentum` does not apply to optimizer={name!r}",
            "optimizer='sgd', 'sgd_momentum' or 'rmsprop'",
            momentum=opts.momentum,
        )
    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW, "rmsprop": keras.optimizers.RMSprop,
           "nadam": keras.optimizers.Nadam}[name]
    if name == "rmsprop" and opts.momentum is not None:
        kw["momentum"] = opts.momentum
    return cls(**kw)


def finish(make_graph: Callable[[], Any], opts: Options, *, loss: Any, metrics: Any, params: int | None = None,
           **received: Any):
    """Builds the graph (inside the strategy's scope, if any) and compiles it.

    Args:
        make_graph: Zero-argument callable returning an uncompiled keras.Model.
        opts: The parsed common options.
        loss: The task's default loss (overridden by `opts.loss`).
        metrics: The task's default metrics (overridden by `opts.metrics`).
        params: The model's parameter count, worked out from the arguments;
            above `opts.max_params` the model is refused before any layer
            is made.
        **received: The arguments that set the size, for the message.

    Returns:
        The model, compiled unless `compile=False`.
    """
    check_size(params, opts.max_params, **received)
    scope = opts.strategy.scope() if opts.strategy is not None else contextlib.nullcontext()
    with scope:
        model = as_sequential(make_graph())
        if opts.dtype is not None:
            model = with_dtype_policy(model, opts.dtype)
        model = direct_chain(model)
        if opts.compile:
            # Portable settings in the compile config (and so in the file);
            # the backend's own on the live model.
            model.compile(
                optimizer=make_optimizer(opts),
                loss=opts.loss if opts.loss is not None else loss,
                metrics=list(opts.metrics if opts.metrics is not None else metrics),
                steps_per_execution=1,
                jit_compile=False,
            )
            set_execution(model, steps_per_execution=opts.steps_per_execution, jit_compile=opts.jit_compile)
    return model


def check_size(params: int | None, max_params: int | None, **received: Any) -> None:
    """Refuses a model of `params` parameters above `max_params` (None: no limit)."""
    if params is None or max_params is None or params <= max_params:
        return
    fail(
        f"The model would have {params:,} parameters ({_bytes(4 * params)} of float32 weights, about three times "
        f"that to train with Adam), more than max_params={max_params:,}",
        "smaller layers or inputs, or a higher limit: max_params=<int> (None for no limit)",
        params=params,
        **received,
    )


def _bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"
