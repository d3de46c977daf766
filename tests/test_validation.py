"""Constraints as data: every factory refuses every declared bad value, in the house voice."""

import math
import re

import pytest

from harness import declared_constraints
from nnzoo import _compile
from nnzoo._registry import get_entry, list_models
from nnzoo.datasets import example_data
from nnzoo._validation import (
    Boolean,
    Integer,
    Interval,
    OneOf,
    Widths,
    check_bool,
    check_choice,
    check_params,
)


CASES = [
    (name, arg, bad)
    for name in list_models()
    for arg, constraint in declared_constraints(get_entry(name)).items()
    for bad in constraint.invalid()
]


@pytest.mark.parametrize("name, arg, bad", CASES, ids=[f"{n}-{a}={b!r}" for n, a, b in CASES])
def test_every_factory_refuses_every_declared_bad_value(name, arg, bad):
    entry = get_entry(name)
    good = example_data(name, n=8).build_kwargs()  # valid head arguments, so only `arg` is wrong
    with pytest.raises((ValueError, TypeError)) as info:
        entry.build(entry.example_input_shape, **{**good, "compile": False, arg: bad})
    assert f"Received: {arg}=" in str(info.value)


def test_every_declared_constraint_accepts_its_valid_values():
    # The fuzz test (tests/test_fuzz_factories.py) draws good arguments from `valid()`.
    for name in list_models():
        for arg, constraint in declared_constraints(get_entry(name)).items():
            assert constraint.valid(), (name, arg)
            for value in constraint.valid():
                constraint.check(arg, value)


def test_every_factory_declares_the_shared_tables():
    for name in list_models():
        declared = declared_constraints(get_entry(name))
        assert set(_compile.CONSTRAINTS) <= set(declared)
        if get_entry(name).supervised:
            assert "task" in declared


@pytest.mark.parametrize(
    "constraint, good, cleaned",
    [
        (OneOf(("relu", "tanh")), "ReLU", "relu"),
        (Boolean(), False, False),
        (Interval(0.0, 1.0, high_inclusive=False), 0, 0.0),
        (Interval(0.0, optional=True), None, None),
        (Integer(minimum=0), 0, 0),
        (Widths(), 8, (8,)),
        (Widths(allow_empty=False), [4, 2], (4, 2)),
    ],
)
def test_constraints_clean_good_values_and_refuse_their_bad_ones(constraint, good, cleaned):
    assert constraint.check("x", good) == cleaned
    assert constraint.invalid() and constraint.valid()
    for value in constraint.valid():
        constraint.check("x", value)
    for bad in constraint.invalid():
        with pytest.raises((ValueError, TypeError), match=re.escape("Received: x=")):
            constraint.check("x", bad)


def test_choices_check_the_type_themselves():
    with pytest.raises(TypeError, match=r"`pool` must be a string\. Expected one of 'max', 'avg'\. Received: pool=2"):
        check_choice("pool", 2, ("max", "avg"))
    with pytest.raises(ValueError, match=r"Unknown `pool`. Did you mean 'max'\?"):
        check_choice("pool", "maks", ("max", "avg"))
    assert check_choice("k", 3, (1, 3)) == 3  # non-string choices compare as they are
    assert check_choice("k", None, (None, "a")) is None
    with pytest.raises(TypeError, match=r"`k` must be a string\. Expected one of None, 'a'\. Received: k=0"):
        check_choice("k", 0, (None, "a"))


def test_check_bool_and_check_params():
    assert check_bool("flag", True) is True
    for bad in (0, 1, "True", None):
        with pytest.raises(TypeError, match=r"`flag` must be a bool\. Expected True or False\. Received: flag="):
            check_bool("flag", bad)
    cleaned = check_params({"rate": 1, "other": "kept"}, {"rate": Interval(0.0, math.inf)})
    assert cleaned == {"rate": 1.0, "other": "kept"} and isinstance(cleaned["rate"], float)
