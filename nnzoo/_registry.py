"""The model registry: every family and named variant, behind two doors.

A family registers its builder with `@register_family(...)`. Named variants
are data: a dict of preset keyword arguments laid over the family's
defaults, never a copied function. `build(name, ...)` and
`list_models(pattern)` are the doors.
"""

from __future__ import annotations

import fnmatch
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nnzoo._tasks import TASKS
from nnzoo._validation import message, suggest

#: Input kinds, by what data a model takes.
INPUT_KINDS = ("tabular", "image", "sequence")


@dataclass(frozen=True)
class ModelEntry:
    """One registered model name.

    Attributes:
        name: Registry name, e.g. `"cnn_small"`.
        family: Family name, e.g. `"cnn"`.
        builder: The family's factory function.
        preset: Keyword arguments this variant lays over the factory defaults.
        input_kind: `"tabular"`, `"image"` or `"sequence"`.
        tasks: Tasks the model supports (`("reconstruction",)` for autoencoders).
        example_input_shape: A small input shape the model builds with; used by
            tests, tuning defaults and benchmarks.
        description: One line for `nnzoo list`.
    """

    name: str
    family: str
    builder: Callable[..., Any]
    preset: Mapping[str, Any] = field(default_factory=dict)
    input_kind: str = "tabular"
    tasks: tuple[str, ...] = TASKS
    example_input_shape: tuple = (8,)
    description: str = ""

    @property
    def supervised(self) -> bool:
        return self.tasks != ("reconstruction",)

    def build(self, *args: Any, **kwargs: Any):
        """Builds this variant; explicit arguments override the preset."""
        return self.builder(*args, **{**self.preset, **kwargs})


_REGISTRY: dict[str, ModelEntry] = {}


def register_family(
    family: str,
    *,
    input_kind: str,
    example_input_shape: tuple,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    tasks: tuple[str, ...] = TASKS,
    descriptions: Mapping[str, str] | None = None,
    example_shapes: Mapping[str, tuple] | None = None,
    input_kinds: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Registers a factory under `family`, plus its named variants.

    Args:
        family: Registry name of the family's default model.
        input_kind: One of `"tabular"`, `"image"`, `"sequence"`.
        example_input_shape: Small input shape the family builds with.
        variants: `{name: preset_kwargs}` for named variants.
        tasks: Tasks the family supports.
        descriptions: `{name: one-line description}`.
        example_shapes: Per-variant example input shapes, where they differ.
        input_kinds: Per-variant input kinds, where they differ.

    Returns:
        A decorator that returns the factory unchanged.
    """
    descriptions = dict(descriptions or {})
    example_shapes = dict(example_shapes or {})
    input_kinds = dict(input_kinds or {})

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        presets = {family: {}, **{k: dict(v) for k, v in (variants or {}).items()}}
        for name, preset in presets.items():
            if name in _REGISTRY:
                raise RuntimeError(f"nnzoo model {name!r} is registered twice.")
            _REGISTRY[name] = ModelEntry(
                name=name,
                family=family,
                builder=fn,
                preset=types.MappingProxyType(preset),
                input_kind=input_kinds.get(name, input_kind),
                tasks=tuple(tasks),
                example_input_shape=tuple(example_shapes.get(name, example_input_shape)),
                description=descriptions.get(name, summary),
            )
        return fn

    return decorator


def _ensure_loaded() -> None:
    # Importing the models package runs every family's decorator.
    import nnzoo.models  # noqa: F401


def get_entry(name: str) -> ModelEntry:
    """Returns the registry entry for `name`.

    Raises:
        ValueError: If `name` is not registered; the message lists the known
            names and suggests the closest one.
        TypeError: If `name` is not a string.
    """
    _ensure_loaded()
    if not isinstance(name, str):
        raise TypeError(message("A model name must be a string", "e.g. 'cnn'", name=name))
    key = name.lower()
    if key not in _REGISTRY:
        known = sorted(_REGISTRY)
        raise ValueError(
            message(
                f"Unknown model name.{suggest(key, known)}",
                "one of " + ", ".join(known),
                name=name,
            )
        )
    return _REGISTRY[key]


def list_models(pattern: str | None = None) -> list[str]:
    """Lists registered model names, optionally filtered by a wildcard.

    Args:
        pattern: A shell-style wildcard such as `"cnn*"`; `None` lists all.

    Returns:
        Sorted list of names.

    Example:

    >>> from nnzoo import list_models
    >>> list_models("cnn*")
    ['cnn', 'cnn_large', 'cnn_small', 'cnn_textbook']
    """
    _ensure_loaded()
    names = sorted(_REGISTRY)
    if pattern is None:
        return names
    return [n for n in names if fnmatch.fnmatchcase(n, pattern.lower())]


def build(name: str, /, *args: Any, **kwargs: Any):
    """Builds a registered model by name.

    Args:
        name: A name from `list_models()`.
        *args: Positional arguments of the family's factory; the first is
            `input_shape` (without the batch axis).
        **kwargs: Keyword arguments of the family's factory; they override
            the variant's preset.

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an unknown name or an invalid argument.

    Example:

    >>> import nnzoo
    >>> model = nnzoo.build("cnn_small", (8, 8, 1), num_classes=10)
    """
    return get_entry(name).build(*args, **kwargs)
