"""One voice for every error nnzoo raises on bad input.

Every message has the same three parts, as Keras writes them:
what was wrong, what was expected, then ``Received: name=value``.
"""

from __future__ import annotations

import abc
import difflib
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def message(problem: str, expected: str, **received: Any) -> str:
    """Formats an error message in the house style."""
    return message_text(problem, expected, ", ".join(f"{k}={_short(v)}" for k, v in received.items()))


def message_text(problem: str, expected: str, got: str) -> str:
    """`message` with the received part already written, e.g. ``"X with 3 NaN values in columns [0]"``."""
    text = problem.rstrip(".")
    if not text.endswith(("?", "!")):  # "Did you mean 'x'?" ends the sentence already
        text += "."
    if expected:
        text += f" Expected {expected.rstrip('.')}."
    if got:
        text += f" Received: {got}"
    return text


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(problem: str, expected: str, **received: Any) -> None:
    """Raises ValueError with a house-style message."""
    raise ValueError(message(problem, expected, **received))


def fail_type(problem: str, expected: str, **received: Any) -> None:
    """Raises TypeError with a house-style message."""
    raise TypeError(message(problem, expected, **received))


def suggest(value: str, choices: Iterable[str]) -> str:
    """Returns ' Did you mean ...?' for the closest choice, or ''."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.5)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Checks that `value` is one of `choices`; strings compare lower-case.

    Where every choice is a string (or None), a value of another type
    raises TypeError (`must be a string`), so callers need no type check first.
    """
    names = [c for c in choices if c is not None]
    if value is not None and not isinstance(value, str) and names and all(isinstance(c, str) for c in names):
        fail_type(f"`{name}` must be a string", "one of " + ", ".join(repr(c) for c in choices), **{name: value})
    key = value.lower() if isinstance(value, str) else value
    if key in choices:
        return key
    hint = suggest(value, [c for c in choices if isinstance(c, str)]) if isinstance(value, str) else ""
    raise ValueError(
        message(
            f"Unknown `{name}`{'.' + hint if hint else ''}",
            "one of " + ", ".join(repr(c) for c in choices),
            **{name: value},
        )
    )


def check_bool(name: str, value: Any) -> bool:
    """Checks for a plain bool (`True` or `False`, not 0/1 or a string)."""
    if not isinstance(value, bool):
        fail_type(f"`{name}` must be a bool", "True or False", **{name: value})
    return value


def check_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Checks for an integer (not bool) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail_type(f"`{name}` must be an integer", f"an int >= {minimum}", **{name: value})
    if value < minimum:
        fail(f"`{name}` is too small", f"an int >= {minimum}", **{name: value})
    return int(value)


def check_float(
    name: str,
    value: Any,
    *,
    low: float = 0.0,
    high: float = math.inf,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Checks for a finite real number in a range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail_type(f"`{name}` must be a number", "a float", **{name: value})
    value = float(value)
    lo_ok = value >= low if low_inclusive else value > low
    hi_ok = value <= high if high_inclusive else value < high
    if not (math.isfinite(value) or high == math.inf and value == math.inf) or not (lo_ok and hi_ok):
        lo = "[" if low_inclusive else "("
        hi = "]" if high_inclusive else ")"
        fail(f"`{name}` is out of range", f"a value in {lo}{low}, {high}{hi}", **{name: value})
    return value


def check_units(name: str, value: Any, *, allow_empty: bool = True) -> tuple[int, ...]:
    """Checks a layer-width spec: an int or a sequence of positive ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        fail_type(f"`{name}` must be a sequence of positive ints", "e.g. (64, 32)", **{name: value})
    units = tuple(value)
    if not units and not allow_empty:
        fail(f"`{name}` must not be empty", "at least one positive int", **{name: value})
    for u in units:
        if isinstance(u, bool) or not isinstance(u, numbers.Integral) or u < 1:
            fail(f"`{name}` must hold positive ints only", "e.g. (64, 32)", **{name: value})
    return tuple(int(u) for u in units)


def check_input_shape(
    value: Any, *, ranks: Sequence[int], family: str, hint: str, allow_none_first: bool = False
) -> tuple:
    """Checks `input_shape` (no batch axis) for a family's allowed ranks."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        fail_type("`input_shape` must be a tuple of ints, without the batch axis", hint, input_shape=value)
    shape = tuple(value)
    if len(shape) not in ranks:
        fail(
            f"`input_shape` has the wrong rank for {family}",
            f"{' or '.join(str(r) for r in ranks)} dimensions, {hint}",
            input_shape=value,
        )
    for i, d in enumerate(shape):
        if d is None and allow_none_first and i == 0:
            continue
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1:
            fail(
                "`input_shape` must hold positive ints",
                hint + (" (the time axis may be None)" if allow_none_first else ""),
                input_shape=value,
            )
    return tuple(None if d is None else int(d) for d in shape)


# --------------------------------------------------------------------------- #
# Constraints as data: one table per factory, so one test can feed every
# factory bad values (scikit-learn's `_parameter_constraints`, in nnzoo's voice).
# --------------------------------------------------------------------------- #


class Constraint(abc.ABC):
    """A declared rule for one argument.

    `check(name, value)` returns the cleaned value or raises in the house
    voice (None passes where `optional`); `invalid()` gives values the rule
    refuses and `valid()` a few small values it accepts, so a test can feed
    both to every factory that declares it.
    """

    optional: bool = False

    def check(self, name: str, value: Any) -> Any:
        if value is None and self.optional:
            return None
        return self._check(name, value)

    @abc.abstractmethod
    def _check(self, name: str, value: Any) -> Any:
        """Checks a value that is not an allowed None."""

    @abc.abstractmethod
    def invalid(self) -> tuple:
        """Values `check` refuses (each raises ValueError or TypeError)."""

    def valid(self) -> tuple:
        """A few small values `check` accepts (None among them where `optional`)."""
        return self._valid() + ((None,) if self.optional else ())

    @abc.abstractmethod
    def _valid(self) -> tuple:
        """A few small values `check` accepts, None aside."""


@dataclass(frozen=True)
class OneOf(Constraint):
    """One of `choices` (strings compare lower-case; a non-string is a TypeError)."""

    choices: tuple
    optional: bool = False

    def _check(self, name: str, value: Any) -> Any:
        return check_choice(name, value, self.choices)

    def invalid(self) -> tuple:
        return (3, "no-such-" + str(self.choices[0]))

    def _valid(self) -> tuple:
        return tuple(self.choices)


@dataclass(frozen=True)
class Boolean(Constraint):
    """`True` or `False`."""

    optional: bool = False

    def _check(self, name: str, value: Any) -> bool:
        return check_bool(name, value)

    def invalid(self) -> tuple:
        return (1, "yes")

    def _valid(self) -> tuple:
        return (True, False)


@dataclass(frozen=True)
class Interval(Constraint):
    """A finite real number in a range (see `check_float`)."""

    low: float = 0.0
    high: float = math.inf
    low_inclusive: bool = True
    high_inclusive: bool = True
    optional: bool = False

    def _check(self, name: str, value: Any) -> float:
        return check_float(name, value, low=self.low, high=self.high, low_inclusive=self.low_inclusive,
                           high_inclusive=self.high_inclusive)

    def invalid(self) -> tuple:
        bad: list[Any] = ["0.5", True, math.nan, self.low if not self.low_inclusive else self.low - 1.0]
        if self.high != math.inf:
            bad.append(self.high if not self.high_inclusive else self.high + 1.0)
        return tuple(bad)

    def _valid(self) -> tuple:
        if self.high == math.inf:  # the low end (or just above it) and one unit above
            return (self.low if self.low_inclusive else self.low + 0.01, self.low + 1.0)
        ends = ((self.low,) if self.low_inclusive else ()) + ((self.high,) if self.high_inclusive else ())
        return (*ends, (self.low + self.high) / 2)


@dataclass(frozen=True)
class Integer(Constraint):
    """An int (not bool) of at least `minimum`."""

    minimum: int = 1
    optional: bool = False

    def _check(self, name: str, value: Any) -> int:
        return check_int(name, value, minimum=self.minimum)

    def invalid(self) -> tuple:
        return (1.5, True, self.minimum - 1)

    def _valid(self) -> tuple:
        return (self.minimum, self.minimum + 1, self.minimum + 3)


@dataclass(frozen=True)
class Widths(Constraint):
    """Layer widths: an int or a sequence of positive ints (see `check_units`)."""

    allow_empty: bool = True
    optional: bool = False

    def _check(self, name: str, value: Any) -> tuple[int, ...]:
        return check_units(name, value, allow_empty=self.allow_empty)

    def invalid(self) -> tuple:
        return ("64", (16, 0), (16, 2.5)) + (() if self.allow_empty else ((),))

    def _valid(self) -> tuple:
        return (() if self.allow_empty else (3,)) + (4, (2, 3))


def check_params(values: Mapping[str, Any], constraints: Mapping[str, Constraint]) -> dict[str, Any]:
    """Checks each value that has a constraint; returns all values, cleaned.

    Raises:
        ValueError, TypeError: From the first value its constraint refuses.
    """
    return {k: constraints[k].check(k, v) if k in constraints else v for k, v in values.items()}


def check_output_path(path: Any, *, suffix: str, name: str = "path") -> str:
    """Checks, before any work, that a file can be written at `path`.

    Missing parent folders are fine (writers create them). Refused: a path
    that is not a string or path, a wrong suffix, an existing folder at
    `path`, a parent that is a file, and a parent folder the user cannot
    write to.

    Returns:
        `path` as a string.
    """
    if not isinstance(path, (str, os.PathLike)):
        fail_type(f"`{name}` must be a file path", f"a path like 'model{suffix}'", **{name: path})
    path = os.fspath(path)
    if not isinstance(path, str):  # a bytes path
        fail_type(f"`{name}` must be a text path", f"a path like 'model{suffix}'", **{name: path})
    if not path.endswith(suffix):
        fail(f"The {name} must end in `{suffix}`", f"a path like 'model{suffix}'", **{name: path})
    if os.path.isdir(path):
        fail(f"The {name} is a folder", f"a file path inside it, like {os.path.join(path, 'model' + suffix)!r}",
             **{name: path})
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):  # the first folder that exists: writers create the rest
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        fail(f"The {name} lies under a file, not a folder: {parent!r} is a file",
             "a path whose parent folders are folders", **{name: path})
    if not os.access(parent, os.W_OK | os.X_OK):
        fail(f"The folder {parent!r} is not writable", "a path in a folder you can write to", **{name: path})
    return path
