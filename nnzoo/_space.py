"""Search-space data types: what a family declares about its hyperparameters.

A search space is data. A family's `space.py` holds one `Space`: a tuple of
`Param` rows (what to tune, its range, its default), a few `Stack` rows that
turn a width and a depth into the tuple a factory takes (`units=64,
depth=3` -> `hidden_units=(64, 64, 64)`), and optional `limits` that cut a
range to what builds for a given input (the family's own build rule).

Nothing here imports keras-tuner: a `Param` declares itself on the `hp`
object it is handed. `nnzoo.tuning._spaces` lays a user's values over a
family's `Space`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any


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


def int_param(name: str, low: int, high: int, default: int) -> Param:
    return Param(name, "int", low, high, 1, default=default)


def log_param(name: str, low: float, high: float, default: float) -> Param:
    return Param(name, "float", low, high, sampling="log", default=default)


def choice_param(name: str, values: tuple, default: Any) -> Param:
    return Param(name, "choice", values=tuple(values), default=default)


def bool_param(name: str, default: bool) -> Param:
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
    """A family's default search space.

    Attributes:
        params: The tuned hyperparameters, in declaration order.
        stacks: Rows that compose layer tuples from width/depth params.
        limits: `limits(input_shape, base_kwargs, params)` -> `{name: (low,
            high)}`, the family's build rule applied to the ranges; or None.
    """

    params: tuple[Param, ...]
    stacks: tuple[Stack, ...] = ()
    limits: Limits | None = None


#: The learning-rate range most families tune.
LEARNING_RATE = log_param("learning_rate", 1e-4, 1e-2, default=1e-3)
#: The dropout choices most families tune.
DROPOUT = choice_param("dropout", (0.0, 0.1, 0.2, 0.3, 0.4, 0.5), default=0.0)


def fitting_range(param: Param, fits: Callable[[int], bool]) -> dict:
    """`{param.name: (low, high)}` up to the last value of an int param that `fits`, or `{}` if none does.

    A family's `limits` use it to cap a depth by the family's own build rule.
    """
    fitting = [v for v in range(max(1, int(param.low)), int(param.high) + 1) if fits(v)]
    return {param.name: (1, fitting[-1])} if fitting else {}
