"""Fuzzing the factories' arguments: every outcome is a working model or a house-style error.

For each family in the registry, hypothesis draws arguments from a mix of
valid and invalid values (wrong types, zeros, negatives, NaN, unknown
names). Each draw must either build a model whose forward pass on a tiny
input is finite (and whose parameter count the size limit sees exactly),
or raise ValueError/TypeError with ``Received:`` in the message. Anything
else (an IndexError, a Keras error, a hang) fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nnzoo  # noqa: E402

#: Derandomized: every run tries the same draws, so the suite never flakes; a
#: wider search is `pytest --hypothesis-seed=N` with the `derandomize` line removed.
SETTINGS = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Each draw takes valid values for a random subset of a family's arguments,
# then spoils none, one or two of them with a typical mistake (wrong type,
# zero, negative, NaN, unknown name), so about half the draws build.

small = st.integers(min_value=1, max_value=6)
good_units = st.lists(st.integers(min_value=1, max_value=8), max_size=3).map(tuple)
BAD_UNITS = ((0,), (4, -1), "8", 2.5, None, (True,))
HEADS = st.sampled_from([{"task": "regression"}, {"task": "regression", "num_outputs": 2}, {"task": "binary"},
                         {"task": "multiclass", "num_classes": 3}, {"task": "multilabel", "num_classes": 2}])
COMMON_GOOD = {
    "activation": st.sampled_from(["relu", "tanh", "selu", "gelu", "linear"]),
    "dropout": st.floats(min_value=0.0, max_value=0.9),
    "batch_norm": st.booleans(),
    "l2": st.floats(min_value=0.0, max_value=1.0),
    "optimizer": st.sampled_from(["adam", "sgd", "rmsprop"]),
    "learning_rate": st.floats(min_value=1e-4, max_value=1.0),
    "compile": st.booleans(),
}
COMMON_BAD = {
    "task": ("clasify", 3, None),
    "num_classes": (-1, 0, 1, 2.5, True, "3"),
    "activation": ("relux", None, 1),
    "dropout": (1.0, -0.1, float("nan"), "0.1"),
    "batch_norm": ("yes", 1),
    "l2": (-1.0, float("inf"), "0"),
    "optimizer": ("adamm", 1),
    "learning_rate": (0, -1.0, "fast", float("nan")),
    "compile": ("no",),
    "strategy": ("mirrored",),
    "max_params": (0, "big", 2.5),
}

FAMILIES = {
    "ffnn": (
        {"input_shape": st.one_of(st.tuples(small), st.tuples(small, small)), "hidden_units": good_units,
         "head": HEADS},
        {"input_shape": ("abc", (), (None,), (0,), (4, -1), 4.0), "hidden_units": BAD_UNITS, "num_outputs": (0, "2")},
    ),
    "cnn": (
        {"input_shape": st.tuples(st.integers(4, 10), st.integers(4, 10), st.integers(1, 3)), "filters": good_units,
         "kernel_size": st.integers(1, 3), "padding": st.sampled_from(["same", "valid"]),
         "pool": st.sampled_from(["max", "avg", None]), "pool_size": st.integers(1, 3),
         "convs_per_block": st.integers(1, 2), "dense_units": good_units,
         "global_pooling": st.sampled_from(["avg", "max", None]), "head": HEADS},
        {"input_shape": ((8, 8), (8, 8, 1, 1), "img", (0, 8, 1)), "filters": ((), *BAD_UNITS),
         "kernel_size": (0, "3", 2.0), "padding": ("full",), "pool": ("min",), "pool_size": (0, -1),
         "convs_per_block": (0,), "dense_units": BAD_UNITS, "global_pooling": ("sum",)},
    ),
    "lstm": (
        {"input_shape": st.tuples(st.one_of(st.none(), small), small), "units": good_units.filter(bool),
         "cell": st.sampled_from(["lstm", "gru", "rnn"]), "bidirectional": st.booleans(),
         "return_sequences": st.booleans(), "dense_units": good_units, "head": HEADS},
        {"input_shape": ((5,), (5, 2, 1), "seq", (5, 0)), "units": ((), *BAD_UNITS), "cell": ("transformer", 1),
         "bidirectional": ("yes",), "unroll": (1, "no"), "dense_units": BAD_UNITS,
         "recurrent_dropout": (1.0, -1.0)},
    ),
    "autoencoder": (
        {"input_shape": st.one_of(st.tuples(small), st.just((8, 8, 1)), st.just((4, 4, 2))), "encoding_dim": small,
         "widths": st.one_of(good_units.map(lambda u: {"hidden_units": u}),
                             good_units.filter(bool).map(lambda f: {"architecture": "conv", "filters": f})),
         "output_activation": st.sampled_from(["linear", "sigmoid", "tanh", "relu"])},
        {"input_shape": ("x", (), (6, 6, 1)), "encoding_dim": (0, -1, "4", 2.5), "hidden_units": BAD_UNITS,
         "filters": ((), *BAD_UNITS), "architecture": ("sparse", None), "output_activation": ("softmax", 1),
         "task": ("regression",)},
    ),
    "vgg16_transfer": (
        {"input_shape": st.sampled_from([(32, 32, 3), (40, 32, 3)]),
         "head": st.sampled_from([{"num_classes": 3}, {"task": "binary"}, {"task": "multilabel", "num_classes": 2}]),
         "pooling": st.sampled_from(["avg", "max", "flatten"]), "trainable_layers": st.integers(0, 13),
         "dense_units": st.lists(st.integers(1, 4), max_size=2).map(tuple), "compile": st.booleans()},
        {"input_shape": ((16, 16, 3), (32, 32, 1), (32, 32), "rgb"), "trainable_layers": (-1, 14, "2"),
         "pooling": ("mean",), "dense_units": BAD_UNITS, "task": ("regression", "clasify"),
         "weights": ("/no/such/file.h5", 3)},
    ),
}
#: Families without strategies yet, with the reason; the registry harness, the bad-value
#: table (tests/test_validation.py) and tests/test_sequences.py cover them meanwhile.
NOT_FUZZED = {
    "conv1d": "added with the sequence families; strategies for its four architectures still to write",
    "transformer": "added with the sequence families; strategies for heads/positions still to write",
}
#: Draws per family. A VGG16 base is 15M parameters, so its builds cost about a second each.
EXAMPLES = {"vgg16_transfer": 10}


@st.composite
def _kwargs(draw, family: str):
    good, bad = FAMILIES[family]
    good = {**COMMON_GOOD, **good} if family != "vgg16_transfer" else dict(good)
    common_bad = {k: v for k, v in COMMON_BAD.items() if family != "autoencoder" or k not in ("task", "num_classes")}
    bad = {**common_bad, **bad}
    head = draw(good.pop("head")) if "head" in good else {}  # a task with its class count, always
    chosen = draw(st.lists(st.sampled_from(sorted(good)), unique=True, max_size=len(good)))
    kwargs = {**head, **{k: draw(good[k]) for k in chosen}}
    kwargs.update(kwargs.pop("widths", {}))  # layer widths with the architecture they belong to
    spoiled = draw(st.lists(st.sampled_from(sorted(bad)), unique=True, max_size=2))
    kwargs.update({k: draw(st.sampled_from(bad[k])) for k in spoiled})
    return kwargs


def _sample(shape) -> np.ndarray:
    rng = np.random.default_rng(0)
    dims = [3 if d is None else d for d in shape]
    return rng.uniform(0, 1, size=(2, *dims)).astype("float32")


def _check(family: str, kwargs: dict) -> str:
    kwargs = dict(kwargs)
    entry = nnzoo.get_entry(family)
    shape = kwargs.pop("input_shape", entry.example_input_shape)
    try:
        model = nnzoo.build(family, shape, **kwargs)
    except (ValueError, TypeError) as err:
        assert "Received:" in str(err), f"{type(err).__name__} without 'Received:': {err}"
        return "refused"
    out = np.asarray(model(_sample(model.input_shape[1:]), training=False))
    assert out.shape[0] == 2 and np.isfinite(out).all(), f"non-finite forward pass for {kwargs}"
    # The size limit sees at least the real count: one below it is refused, before any layer is made.
    count = model.count_params()
    with pytest.raises(ValueError, match=f"would have {count:,} parameters"):
        nnzoo.build(family, shape, **{**kwargs, "max_params": max(count - 1, 1)})
    return "built"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_factory_outcomes_are_models_or_house_errors(family):
    registered = {nnzoo.get_entry(n).family for n in nnzoo.list_models()}
    assert registered == set(FAMILIES) | set(NOT_FUZZED), "a new family needs strategies (or a reason in NOT_FUZZED)"

    outcomes = []

    @settings(max_examples=EXAMPLES.get(family, 25), **SETTINGS)
    @given(kwargs=_kwargs(family))
    def run(kwargs):
        outcomes.append(_check(family, kwargs))

    run()
    # Not vacuous: the draws reach both outcomes.
    assert "built" in outcomes and "refused" in outcomes, outcomes
