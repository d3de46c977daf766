"""Search spaces: a family's default space, with a user's values laid over it.

A search space is data, and each family owns its own (`SPACE` in
`nnzoo/models/<family>/space.py`, built from the types in `nnzoo._space`):
`Param` rows (what to tune, its range, its default), `Stack` rows that
turn a width and a depth into the tuple a factory takes
(`units=64, depth=3` -> `hidden_units=(64, 64, 64)`), and the family's
build limits. Every other param is passed to the factory under its own name.

`resolve_space` lays a user's fixed values and keras-tuner overrides over
a registry entry's space, once, and returns the `ResolvedSpace` a
hypermodel declares from. Nothing here imports keras-tuner.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nnzoo._space import Param, Space, Stack
from nnzoo._validation import fail, suggest

__all__ = ["CONTEXT_ARGS", "SPACES", "Param", "ResolvedSpace", "Space", "Stack", "factory_arguments", "resolve_space"]

#: Arguments a hypermodel takes from the data, never from the search space.
CONTEXT_ARGS = ("input_shape", "task", "num_classes", "num_outputs")


class _FamilySpaces(Mapping):
    """`{family name: Space}`, read from the registry: each family's default search space."""

    def _spaces(self) -> dict[str, Space]:
        from nnzoo._registry import families

        return {f.name: f.space for f in families()}

    def __getitem__(self, family: str) -> Space:
        return self._spaces()[family]

    def __iter__(self):
        return iter(self._spaces())

    def __len__(self) -> int:
        return len(self._spaces())


#: Each family's default space, by family name (the spaces live in `nnzoo/models/<family>/space.py`).
SPACES: Mapping[str, Space] = _FamilySpaces()


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
    """

    params: tuple[Param, ...]
    fixed_values: Mapping[str, Any] = field(default_factory=dict)
    factory_kwargs: Mapping[str, Any] = field(default_factory=dict)
    stacks: tuple[Stack, ...] = ()

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
        entry: The registry entry (`nnzoo.get_entry(name)`); its `space` is the table.
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
    space = entry.space
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
    )


def _names(overrides) -> set[str]:
    return {hp.name for hp in overrides.space}

