"""The model registry: every family and named variant, behind two doors.

A family is the unit of extension. Its folder under `nnzoo/models/` holds
everything about it: the builder, its presets (named variants as data, a
dict of keyword arguments laid over the builder's defaults, never a copied
function), its search space and build limits, its example-input generator
and the facts about its input that export needs. It hands them over as one
`Family`, and `nnzoo.models.FAMILIES` lists it. `build(name, ...)` and
`list_models(pattern)` are the doors; tuning, export, datasets, the tests
and the benchmarks read a family's facts from its `ModelEntry`, never by
its name.
"""

from __future__ import annotations

import fnmatch
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nnzoo._tasks import TASKS
from nnzoo._validation import message, suggest

#: Sample rank and form of the input kinds that need one (tabular models flatten any rank).
INPUT_RANKS = {"image": (3, "(height, width, channels)"), "sequence": (2, "(timesteps, features)")}

#: `examples(rng, n, input_shape)` -> float32 array `(n, *input_shape)`.
Examples = Callable[[np.random.Generator, int, tuple], np.ndarray]


def gaussian_examples(rng: np.random.Generator, n: int, input_shape: tuple) -> np.ndarray:
    """Standard normal inputs: what a model on standardised features or signals sees."""
    return rng.normal(size=(n, *input_shape)).astype("float32")


@dataclass(frozen=True)
class InputFacts:
    """What a family's models take as input: the facts examples, tuning and export read.

    Attributes:
        kind: `"tabular"`, `"image"` or `"sequence"`.
        example_shape: A small input shape (no batch axis) the models build with.
        examples: The example-input generator, `examples(rng, n, input_shape)`
            -> float32 `(n, *input_shape)`, as the models expect their input.
        value_range: `(low, high)` of the raw values the model is fed, when
            that range is fixed (e.g. `(0.0, 255.0)` for raw pixels); `None`
            for real-valued inputs (standardised features, signals).
        channel_order: `"RGB"` or `"BGR"` for images whose channels have a
            fixed meaning; `None` otherwise.
        preprocessing: One line on the preprocessing that runs inside the
            model, or `None` when there is none.
        preprocessing_layer: Name of the layer, at any depth of a built
            model, that runs `preprocessing`: how export tells that a model
            it is handed carries it. `None` with no preprocessing.
        other_shapes: Other small input shapes the models take beside
            `example_shape` (another size or channel count, a variable time
            axis): the factory fuzz test draws from them.
    """

    kind: str
    example_shape: tuple
    examples: Examples = gaussian_examples
    value_range: tuple[float, float] | None = None
    channel_order: str | None = None
    preprocessing: str | None = None
    preprocessing_layer: str | None = None
    other_shapes: tuple[tuple, ...] = ()

    @property
    def feed(self) -> str | None:
        """What to feed the model, in words (e.g. `"raw RGB pixels in [0, 255]"`), or `None`."""
        if self.value_range is None:
            return None
        low, high = self.value_range
        what = f"raw {self.channel_order} pixels" if self.channel_order else "raw values"
        return f"{what} in [{low:g}, {high:g}]"


@dataclass(frozen=True)
class Variant:
    """One named variant of a family: a preset, plus what differs from the family.

    Attributes:
        kwargs: Keyword arguments laid over the builder's defaults.
        description: One line for `nnzoo list`.
        example_input_shape: A small input shape, where it differs from the family's.
        input_kind: The input kind, where it differs from the family's.
        space: The search space, where it differs from the family's.
    """

    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    example_input_shape: tuple | None = None
    input_kind: str | None = None
    space: Any = None


@dataclass(frozen=True)
class SpaceLimit:
    """One worked example of a search space's build limit.

    At `input_shape`, with `fixed` values, the model's space caps `param`
    (the depth of one of its `Stack`s) at `cap`: a model that deep builds,
    and one block deeper is refused by the builder.

    Attributes:
        model: Registry name of the variant.
        input_shape: The sample shape.
        fixed: Values fixed in the space (and passed to the builder).
        param: The capped depth param.
        cap: Its highest value at that shape.
    """

    model: str
    input_shape: tuple
    fixed: Mapping[str, Any]
    param: str
    cap: int


@dataclass(frozen=True)
class Family:
    """Everything nnzoo knows about one architecture family.

    Attributes:
        name: Registry name of the family's default model (a key of `presets`).
        builder: The family's factory function.
        presets: `{registry name: Variant}`, the default model included.
        space: The default search space (an `nnzoo._space.Space`).
        inputs: What the models take as input (`InputFacts`).
        tasks: Tasks the family supports (`("reconstruction",)` for autoencoders).
        slow_export: Whether exporting the default model takes long on a CPU
            (tens of seconds: a large graph or many conversions); quick
            benchmark runs (`benchmarks/bench_export.py --quick`) leave it out.
        exports: Public functions beside `builder` (e.g. a helper for the
            family's models); `nnzoo` and `nnzoo.models` re-export them,
            and the builder, under their own names (see `public_names`).
        quick_fit: Build overrides and `epochs` with which a few epochs on
            the example inputs lower the loss: what a smoke test or a quick
            benchmark trains with where the defaults learn too slowly (e.g.
            a frozen, randomly initialised base: no dropout, a higher
            learning rate). Empty where the defaults do.
        space_limits: Worked examples of the search space's build limit,
            each a `SpaceLimit`: the registry's tests check that the cap the
            space computes is the one the builder enforces.
    """

    name: str
    builder: Callable[..., Any]
    presets: Mapping[str, Variant]
    space: Any
    inputs: InputFacts
    tasks: tuple[str, ...] = TASKS
    slow_export: bool = False
    exports: tuple[Callable[..., Any], ...] = ()
    quick_fit: Mapping[str, Any] = field(default_factory=dict)
    space_limits: tuple[SpaceLimit, ...] = ()

    @property
    def public_names(self) -> dict[str, Callable[..., Any]]:
        """`{name: function}` of the builder and `exports`: the family's share of nnzoo's public API."""
        return {f.__name__: f for f in (self.builder, *self.exports)}


@dataclass(frozen=True)
class ModelEntry:
    """One registered model name, with its family's facts.

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
        space: The default search space (`nnzoo.tuning.hypermodel` starts from it).
        inputs: What the model takes as input (`InputFacts`, with this
            variant's kind and example shape; export reads it).
        quick_fit: The family's `Family.quick_fit`.
    """

    name: str
    family: str
    builder: Callable[..., Any]
    preset: Mapping[str, Any] = field(default_factory=dict)
    input_kind: str = "tabular"
    tasks: tuple[str, ...] = TASKS
    example_input_shape: tuple = (8,)
    description: str = ""
    space: Any = None
    inputs: InputFacts | None = None
    quick_fit: Mapping[str, Any] = field(default_factory=dict)

    @property
    def supervised(self) -> bool:
        return self.tasks != ("reconstruction",)

    def build(self, *args: Any, **kwargs: Any):
        """Builds this variant; explicit arguments override the preset."""
        return self.builder(*args, **{**self.preset, **kwargs})

    def example_inputs(self, n: int, rng: np.random.Generator | int = 0) -> np.ndarray:
        """`n` example inputs of `example_input_shape`, as the family's models expect them.

        Args:
            n: Number of samples.
            rng: A NumPy `Generator`, or a seed for a new one.

        Returns:
            A float32 array of shape `(n, *example_input_shape)`.
        """
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        return self.inputs.examples(rng, n, tuple(self.example_input_shape))


_REGISTRY: dict[str, ModelEntry] = {}
_FAMILIES: dict[str, Family] = {}


def check_input_rank(entry: ModelEntry, shape: tuple, *, hint: str = "", **received: Any) -> None:
    """Refuses samples of `shape` (no batch axis) whose rank `entry`'s input kind cannot take.

    Raises:
        ValueError: E.g. flat rows for an image model, naming the shape it takes.
    """
    if entry.input_kind not in INPUT_RANKS:
        return
    rank, form = INPUT_RANKS[entry.input_kind]
    if len(shape) != rank:
        raise ValueError(message(
            f"Model {entry.name!r} takes {entry.input_kind}s of shape {form}, but the samples in X have shape "
            f"{tuple(shape)}",
            f"X of shape (n_samples, *{form}){hint}, e.g. input_shape={tuple(entry.example_input_shape)}",
            **received,
        ))


def register_family(family: Family) -> Family:
    """Registers a family's default model and its named variants.

    Args:
        family: The family's facts; `family.presets` must hold `family.name`.

    Returns:
        `family`, unchanged.

    Raises:
        RuntimeError: If a name is registered twice, or the family lacks its
            default preset.
    """
    if family.name not in family.presets:
        raise RuntimeError(f"nnzoo family {family.name!r} has no preset under its own name.")
    summary = (family.builder.__doc__ or "").strip().splitlines()[0] if family.builder.__doc__ else ""
    for name, variant in family.presets.items():
        if name in _REGISTRY:
            raise RuntimeError(f"nnzoo model {name!r} is registered twice.")
        inputs = replace(
            family.inputs,
            kind=variant.input_kind or family.inputs.kind,
            example_shape=tuple(variant.example_input_shape or family.inputs.example_shape),
        )
        _REGISTRY[name] = ModelEntry(
            name=name,
            family=family.name,
            builder=family.builder,
            preset=types.MappingProxyType(dict(variant.kwargs)),
            input_kind=inputs.kind,
            tasks=tuple(family.tasks),
            example_input_shape=inputs.example_shape,
            description=variant.description or summary,
            space=variant.space if variant.space is not None else family.space,
            inputs=inputs,
            quick_fit=types.MappingProxyType(dict(family.quick_fit)),
        )
    _FAMILIES[family.name] = family
    return family


def _ensure_loaded() -> None:
    # Importing the models package registers every family it lists.
    import nnzoo.models  # noqa: F401


def families() -> list[Family]:
    """Every registered `Family`, in the order `nnzoo.models.FAMILIES` lists them."""
    _ensure_loaded()
    return list(_FAMILIES.values())


def preprocessing_layers() -> dict[str, InputFacts]:
    """`{layer name: InputFacts}` for every family whose models run preprocessing inside.

    Export reads it to tell, from a built model alone, which input it takes.
    """
    return {f.inputs.preprocessing_layer: f.inputs for f in families() if f.inputs.preprocessing_layer}


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

    Raises:
        TypeError: If `pattern` is neither a string nor `None`.

    Example:

    >>> from nnzoo import list_models
    >>> list_models("cnn*")
    ['cnn', 'cnn_large', 'cnn_small', 'cnn_textbook']
    """
    _ensure_loaded()
    names = sorted(_REGISTRY)
    if pattern is None:
        return names
    if not isinstance(pattern, str):
        raise TypeError(message("A model name pattern must be a string", "a wildcard like 'cnn*', or None",
                                pattern=pattern))
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
