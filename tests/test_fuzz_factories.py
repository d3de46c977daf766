"""Fuzzing the factories' arguments: every outcome is a working model or a house-style error.

For each registered family, hypothesis draws one of its variants (its
preset and example shape), a head for one of its tasks, then good values
for a random subset of the arguments its factory declares (the constraint
tables' `valid()`), and spoils none, one or two of them with declared bad
values (`invalid()`) or a bad input shape. Each draw must either build a
model whose forward pass on the family's example inputs is finite (and
whose parameter count the size limit sees exactly), or raise
ValueError/TypeError with ``Received:`` in the message. Anything else (an
IndexError, a Keras error, a hang) fails the test. Nothing here names a
family: a new one is fuzzed from its own tables and input facts.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nnzoo  # noqa: E402
from harness import declared_constraints  # noqa: E402
from nnzoo._registry import families  # noqa: E402
from nnzoo.datasets import example_data  # noqa: E402

#: Derandomized: every run tries the same draws, so the suite never flakes; a
#: wider search is `pytest --hypothesis-seed=N` with the `derandomize` line removed.
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: Draws per family, and the share of them that must build: the test cannot pass by refusing everything.
EXAMPLES = 8
MIN_BUILT = 0.25
#: Good values are drawn for at most this many arguments at once (more interact, and most draws are refused).
MAX_CHOSEN = 4
#: How many arguments a draw spoils: none in half the draws.
SPOILED = (0, 0, 1, 2)

#: Arguments the draws leave alone: the test checks `max_params` itself, and the head sets the task.
NOT_DRAWN = ("max_params", "task")
#: Bad values of arguments no constraint table declares (the head's, the distribution strategy's),
#: for the factories that take them.
UNDECLARED_BAD = {
    "num_classes": (-1, 0, 2.5, True, "3"),
    "num_outputs": (0, "2"),
    "strategy": ("mirrored",),
}


def _bad_shapes(shape: tuple) -> tuple:
    """Typical input-shape mistakes: a string, a float, no axes, a zero or negative side, one axis too many."""
    return ("abc", 4.0, (), (*shape[:-1], 0), (*shape[:-1], -1), (*shape, 1))


def _variants(family) -> list:
    return [nnzoo.get_entry(name) for name in sorted(family.presets)]


def _heads(entry) -> list[dict]:
    """Head arguments for each task the entry supports (`{}` for reconstruction)."""
    return [example_data(entry.name, n=8, task=task).build_kwargs() for task in entry.tasks]


@st.composite
def _draw(draw, family):
    entry = draw(st.sampled_from(_variants(family)))
    declared = declared_constraints(entry)
    params = inspect.signature(entry.builder).parameters
    good = {k: c.valid() for k, c in declared.items() if k not in NOT_DRAWN}
    bad = {**{k: c.invalid() for k, c in declared.items()},
           **{k: v for k, v in UNDECLARED_BAD.items() if k in params}}
    kwargs = dict(draw(st.sampled_from(_heads(entry))))
    shape = draw(st.sampled_from((entry.example_input_shape, *entry.inputs.other_shapes)))
    chosen = draw(st.lists(st.sampled_from(sorted(good)), unique=True, max_size=MAX_CHOSEN))
    kwargs.update({k: draw(st.sampled_from(good[k])) for k in chosen})
    spoiled = draw(st.sampled_from(SPOILED))
    for k in draw(st.lists(st.sampled_from(["input_shape", *sorted(bad)]), unique=True, min_size=spoiled, max_size=spoiled)):
        if k == "input_shape":
            shape = draw(st.sampled_from(_bad_shapes(tuple(shape))))
        else:
            kwargs[k] = draw(st.sampled_from(bad[k]))
    return entry, shape, kwargs


def _check(entry, shape, kwargs: dict) -> str:
    try:
        model = entry.build(shape, **kwargs)
    except (ValueError, TypeError) as err:
        assert "Received:" in str(err), f"{type(err).__name__} without 'Received:': {err}"
        return "refused"
    # The family's own inputs (raw pixels, token ids, ...); a variable time axis gets one step.
    sample = entry.inputs.examples(np.random.default_rng(0), 2, tuple(1 if d is None else d for d in model.input_shape[1:]))
    out = np.asarray(model(sample, training=False))
    assert out.shape[0] == 2 and np.isfinite(out).all(), f"non-finite forward pass for {entry.name} {shape} {kwargs}"
    # The size limit sees at least the real count: one below it is refused, before any layer is made.
    count = model.count_params()
    with pytest.raises(ValueError, match=f"would have {count:,} parameters"):
        entry.build(shape, **{**kwargs, "max_params": max(count - 1, 1)})
    return "built"


@pytest.mark.parametrize("family", families(), ids=lambda f: f.name)
def test_factory_outcomes_are_models_or_house_errors(family):
    outcomes = []

    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(draw=_draw(family))
    def run(draw):
        outcomes.append(_check(*draw))

    run()
    # Not vacuous: the draws reach both outcomes, and enough of them build.
    assert "refused" in outcomes, outcomes
    assert outcomes.count("built") >= MIN_BUILT * len(outcomes), outcomes
