"""Default search spaces: one table of hyperparameter specs per family.

A search space is data. Each family has one `Space`: a tuple of `Param`
rows (what to tune, its range, its default) and a few `Stack` rows that
turn a width and a depth into the tuple a factory takes
(`units=64, depth=3` -> `hidden_units=(64, 64, 64)`). Every other param
is passed to the factory under its own name.

`resolve_space` lays a user's fixed values and keras-tuner overrides over
the table, once, and returns the `ResolvedSpace` a hypermodel declares
from. Nothing here imports keras-tuner: a `Param` declares itself on the
`hp` object it is handed.

| family | tuned by default |
|---|---|
| ffnn | depth, units, activation, dropout, batch_norm, l2, learning_rate |
| cnn | blocks, filters (doubling per block), kernel_size, convs_per_block, dense_units, dropout, conv_dropout, batch_norm, learning_rate |
| lstm | cell, depth, units, bidirectional, dropout, learning_rate |
| autoencoder | encoding_dim, depth, units, activation, learning_rate |
| vgg16_transfer | dense_units, dropout, trainable_layers, learning_rate |
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nnzoo._validation import fail, suggest

#: Arguments a hypermodel takes from the data, never from the search space.
CONTEXT_ARGS = ("input_shape", "task", "num_classes", "num_outputs")


@dataclass(frozen=True)
class Param:
    """One tunable hyperparameter.

    Attributes:
        name: Hyperparameter name; also the factory argument it sets, unless
            a `Stack` consumes it.
        kind: `"int"`, `"float"`, `"choice"` or `"bool"`.
        low: Lower bound (`"int"`, `"float"`).
        high: Upper bound, inclusive (`"int"`, `"float"`).
        step: Grid step (`"int"`, `"float"`), or None.
        sampling: `"linear"`, `"log"` or `"reverse_log"`.
        values: The choices (`"choice"`).
        default: The value keras-tuner starts from.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    sampling: str = "linear"
    values: tuple = ()
    default: Any = None

    def declare(self, hp) -> Any:
        """Registers this param on a `keras_tuner.HyperParameters` and returns its value."""
        if self.kind == "int":
            return hp.Int(self.name, int(self.low), int(self.high), step=int(self.step or 1),
                          sampling=self.sampling, default=self.default)
        if self.kind == "float":
            return hp.Float(self.name, float(self.low), float(self.high), step=self.step,
                            sampling=self.sampling, default=self.default)
        if self.kind == "choice":
            return hp.Choice(self.name, list(self.values), default=self.default)
        if self.kind == "bool":
            return hp.Boolean(self.name, default=bool(self.default))
        return hp.Fixed(self.name, self.default)

    def clamp(self, low: float | None = None, high: float | None = None) -> Param:
        """Returns this param with its range cut to `[low, high]` (numeric kinds only)."""
        if self.kind not in ("int", "float"):
            return self
        new_low = self.low if low is None else max(self.low, low)
        new_high = self.high if high is None else min(self.high, high)
        if new_high < new_low:
            new_high = new_low
        default = self.default
        if default is not None:
            default = min(max(default, new_low), new_high)
        return replace(self, low=new_low, high=new_high, default=default)

    @classmethod
    def from_keras_tuner(cls, hp_obj) -> Param:
        """Converts a keras-tuner hyperparameter (`Int`, `Float`, `Choice`, `Boolean`, `Fixed`)."""
        config = hp_obj.get_config()
        kind = type(hp_obj).__name__
        if kind == "Int":
            return cls(config["name"], "int", config["min_value"], config["max_value"], config.get("step"),
                       config.get("sampling") or "linear", default=config.get("default"))
        if kind == "Float":
            return cls(config["name"], "float", config["min_value"], config["max_value"], config.get("step"),
                       config.get("sampling") or "linear", default=config.get("default"))
        if kind == "Choice":
            return cls(config["name"], "choice", values=tuple(config["values"]), default=config.get("default"))
        if kind == "Boolean":
            return cls(config["name"], "bool", default=config.get("default"))
        return cls(config["name"], "fixed", default=config.get("value"))


def _int(name: str, low: int, high: int, default: int) -> Param:
    return Param(name, "int", low, high, 1, default=default)


def _log(name: str, low: float, high: float, default: float) -> Param:
    return Param(name, "float", low, high, sampling="log", default=default)


def _choice(name: str, values: tuple, default: Any) -> Param:
    return Param(name, "choice", values=tuple(values), default=default)


def _bool(name: str, default: bool) -> Param:
    return Param(name, "bool", default=default)


@dataclass(frozen=True)
class Stack:
    """Builds a factory's layer-width tuple from a width param and a depth param.

    Layer `i` (from 0) gets `width * growth ** i`. Without a depth param the
    stack has one layer, or none when the width is 0.
    """

    target: str
    width: str
    depth: str | None = None
    growth: int = 1

    def compose(self, width: int, depth: int | None) -> tuple[int, ...]:
        if depth is None:
            return (int(width),) if width else ()
        return tuple(int(width) * self.growth**i for i in range(int(depth)))

    @property
    def params(self) -> tuple[str, ...]:
        return (self.width,) if self.depth is None else (self.width, self.depth)


#: `limits(input_shape, base_kwargs, params)` -> {param name: (low, high)}:
#: cuts a range to what builds for this input (e.g. CNN blocks on small images).
Limits = Callable[[tuple, Mapping[str, Any], Mapping[str, Param]], dict]


@dataclass(frozen=True)
class Space:
    """A family's default search space."""

    params: tuple[Param, ...]
    stacks: tuple[Stack, ...] = ()
    limits: Limits | None = None


def _cnn_limits(shape, base, params):
    """At most as many conv blocks as the image can be pooled through."""
    if "blocks" not in params:
        return {}
    from nnzoo.models.cnn import _check_depth

    def widest(name, fallback):
        if name in params:
            p = params[name]
            return max(p.values) if p.kind == "choice" else int(p.high)
        return base.get(name, fallback)

    kernel, convs = widest("kernel_size", 3), widest("convs_per_block", 2)
    fits = []
    for blocks in range(1, int(params["blocks"].high) + 1):
        try:
            _check_depth(shape, (1,) * blocks, kernel, base.get("padding", "same"), base.get("pool", "max"),
                         base.get("pool_size", 2), convs)
        except ValueError:
            break
        fits.append(blocks)
    return {"blocks": (1, fits[-1])} if fits else {}


def _autoencoder_limits(shape, base, params):
    """A conv autoencoder needs >= 1 block, and image sides divisible by 2 ** blocks."""
    if base.get("kind", "dense") != "conv" or "depth" not in params or len(shape) != 3:
        return {}
    fits = [d for d in range(1, int(params["depth"].high) + 1) if shape[0] % 2**d == 0 and shape[1] % 2**d == 0]
    return {"depth": (1, fits[-1])} if fits else {}


_LEARNING_RATE = _log("learning_rate", 1e-4, 1e-2, default=1e-3)
_DROPOUT = _choice("dropout", (0.0, 0.1, 0.2, 0.3, 0.4, 0.5), default=0.0)

#: The table: family -> default search space.
SPACES: dict[str, Space] = {
    "ffnn": Space(
        params=(
            _int("depth", 1, 3, default=2),
            _choice("units", (32, 64, 128, 256), default=64),
            _choice("activation", ("relu", "gelu", "swish", "tanh"), default="relu"),
            _DROPOUT,
            _bool("batch_norm", default=False),
            _choice("l2", (0.0, 1e-5, 1e-4, 1e-3), default=0.0),
            _LEARNING_RATE,
        ),
        stacks=(Stack("hidden_units", width="units", depth="depth"),),
    ),
    "cnn": Space(
        params=(
            _int("blocks", 1, 3, default=2),
            _choice("filters", (16, 32, 64), default=32),
            _choice("kernel_size", (3, 5), default=3),
            _int("convs_per_block", 1, 2, default=2),
            _choice("dense_units", (0, 64, 128), default=128),
            replace(_DROPOUT, default=0.3),
            _choice("conv_dropout", (0.0, 0.1, 0.2, 0.3), default=0.1),
            _bool("batch_norm", default=True),
            _LEARNING_RATE,
        ),
        stacks=(Stack("filters", width="filters", depth="blocks", growth=2), Stack("dense_units", width="dense_units")),
        limits=_cnn_limits,
    ),
    "lstm": Space(
        params=(
            _choice("cell", ("lstm", "gru"), default="lstm"),
            _int("depth", 1, 2, default=1),
            _choice("units", (16, 32, 64, 128), default=64),
            _bool("bidirectional", default=False),
            _choice("dropout", (0.0, 0.1, 0.2, 0.3), default=0.0),
            _LEARNING_RATE,
        ),
        stacks=(Stack("units", width="units", depth="depth"),),
    ),
    "autoencoder": Space(
        params=(
            _choice("encoding_dim", (2, 4, 8, 16, 32), default=8),
            _int("depth", 0, 2, default=1),
            _choice("units", (16, 32, 64, 128), default=64),
            _choice("activation", ("relu", "elu", "tanh"), default="relu"),
            _LEARNING_RATE,
        ),
        stacks=(Stack("hidden_units", width="units", depth="depth"),),
        limits=_autoencoder_limits,
    ),
    "vgg16_transfer": Space(
        params=(
            _choice("dense_units", (128, 256, 512), default=256),
            _choice("dropout", (0.2, 0.3, 0.4, 0.5, 0.6), default=0.5),
            _int("trainable_layers", 0, 4, default=0),
            _log("learning_rate", 1e-5, 1e-3, default=1e-4),
        ),
        stacks=(Stack("dense_units", width="dense_units"),),
    ),
}


def factory_arguments(builder: Callable[..., Any]) -> tuple[str, ...]:
    """Keyword arguments a factory takes (its own, then the common options), minus the data context."""
    from nnzoo._compile import _OPTION_DEFAULTS

    own = [
        n
        for n, p in inspect.signature(builder).parameters.items()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and n not in CONTEXT_ARGS
    ]
    return tuple(own) + tuple(k for k in _OPTION_DEFAULTS if k not in own)


@dataclass(frozen=True)
class ResolvedSpace:
    """A family's space after the user's fixed values and overrides.

    Attributes:
        params: The params still tuned, in declaration order.
        fixed_values: Params the user fixed (they still feed their stack).
        factory_kwargs: Arguments passed to the factory unchanged.
        stacks: Stacks still composed from params.
        valid_names: Every name a user may fix or override.
    """

    params: tuple[Param, ...]
    fixed_values: Mapping[str, Any] = field(default_factory=dict)
    factory_kwargs: Mapping[str, Any] = field(default_factory=dict)
    stacks: tuple[Stack, ...] = ()
    valid_names: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def to_kwargs(self, values: Mapping[str, Any]) -> dict:
        """Factory keyword arguments for one set of tuned values."""
        values = {**self.fixed_values, **values}
        kwargs = dict(self.factory_kwargs)
        consumed = set()
        for stack in self.stacks:
            width = values.get(stack.width)
            depth = values.get(stack.depth) if stack.depth else None
            kwargs[stack.target] = stack.compose(width, depth)
            consumed.update(stack.params)
        for name, value in values.items():
            if name not in consumed:
                kwargs[name] = value
        return kwargs


def resolve_space(entry, input_shape: tuple, fixed: Mapping[str, Any], overrides=None) -> ResolvedSpace:
    """Lays fixed values and keras-tuner overrides over a family's table.

    Args:
        entry: The registry entry (`nnzoo.get_entry(name)`).
        input_shape: Input shape without the batch axis (for range limits).
        fixed: `{name: value}`. A param name fixes that param; a sequence for
            a stack's width param (or the stack's factory argument, e.g.
            `hidden_units`) fixes the whole layer tuple; any other factory
            argument or common option is passed through.
        overrides: Optional `keras_tuner.HyperParameters`; each entry
            replaces the table's range for its name, or adds a factory
            argument to the space.

    Returns:
        A `ResolvedSpace`.

    Raises:
        ValueError: For a name the family does not take, or a name both
            fixed and overridden.
    """
    space = SPACES[entry.family]
    params = {p.name: p for p in space.params}
    stacks = {s.target: s for s in space.stacks}
    by_param = {name: s for s in space.stacks for name in s.params}
    factory = factory_arguments(entry.builder)
    valid = tuple(dict.fromkeys([*params, *factory]))

    def unknown(name, value):
        if name in CONTEXT_ARGS:
            fail(
                f"`{name}` is not a hyperparameter: it comes from the data",
                f"the {name} given to hypermodel()/inferred by tune() from X and y",
                **{name: value},
            )
        fail(
            f"Unknown hyperparameter for the {entry.family!r} family.{suggest(name, valid)}",
            "a tuned name (" + ", ".join(params) + ") or a " + entry.builder.__name__ + " argument ("
            + ", ".join(n for n in factory if n not in params) + ")",
            **{name: value},
        )

    fixed_values: dict[str, Any] = {}
    factory_kwargs: dict[str, Any] = {}
    dropped: set[str] = set()  # stacks whose layer tuple the user fixed
    for name, value in fixed.items():
        if name in params and name in by_param and by_param[name].width == name and isinstance(value, (tuple, list)):
            factory_kwargs[by_param[name].target] = tuple(value)
            dropped.add(by_param[name].target)
        elif name in params:
            fixed_values[name] = value
            params.pop(name)
        elif name in stacks:
            factory_kwargs[name] = value
            dropped.add(name)
        elif name in factory:
            factory_kwargs[name] = value
        else:
            unknown(name, value)
    for target in dropped:
        for pname in stacks[target].params:
            if pname in fixed_values:
                fail(
                    f"`{pname}` and the layer tuple `{target}` were both fixed",
                    f"either {target}=(...) or {pname}=..., not both",
                    **{pname: fixed_values[pname], target: factory_kwargs[target]},
                )
            params.pop(pname, None)

    for hp_obj in getattr(overrides, "space", ()) if overrides is not None else ():
        param = Param.from_keras_tuner(hp_obj)
        name = param.name
        if name in fixed:
            fail(
                f"`{name}` was both fixed and given a keras-tuner range",
                "one or the other",
                **{name: fixed[name]},
            )
        if name in stacks and name not in params:
            fail(
                f"`{name}` is a layer tuple and cannot be tuned directly",
                "a range for its width and depth params ("
                + ", ".join(stacks[name].params) + ") instead",
                **{name: hp_obj},
            )
        if name not in params and name not in factory:
            unknown(name, hp_obj)
        if param.kind == "fixed":
            params.pop(name, None)
            fixed_values[name] = param.default
        else:
            params[name] = param

    if space.limits is not None:
        base = {**entry.preset, **factory_kwargs, **fixed_values}
        for name, (low, high) in space.limits(tuple(input_shape), base, params).items():
            if name in params and (overrides is None or name not in _names(overrides)):
                params[name] = params[name].clamp(low, high)
    return ResolvedSpace(
        params=tuple(params.values()),
        fixed_values=fixed_values,
        factory_kwargs=factory_kwargs,
        stacks=tuple(s for t, s in stacks.items() if t not in dropped),
        valid_names=valid,
    )


def _names(overrides) -> set[str]:
    return {hp.name for hp in overrides.space}

