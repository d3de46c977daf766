"""Every registered model, checked by the shared harness."""

import pytest

import nnzoo
from nnzoo._registry import families
from harness import (
    build_kwargs,
    check_builds,
    check_roundtrip,
    check_trains,
    example_data,
    move_weights,
    smallest_of_each_kind,
    supervised_cases,
)

CASES = supervised_cases()
# Training is the slow check: every model trains on its main task, and every
# task trains on the smallest model of each input kind (the head code is shared).
MAIN_TASK = [(n, "multiclass" if nnzoo.get_entry(n).supervised else "reconstruction") for n in nnzoo.list_models()]
SMALLEST = smallest_of_each_kind()
TRAIN_CASES = sorted(set(MAIN_TASK) | {(n, t) for n, t in CASES if n in SMALLEST})


def test_every_listed_family_is_checked_here():
    # Every folder in nnzoo.models.FAMILIES, through the registry: a new family is checked with no edit here.
    assert {nnzoo.get_entry(n).family for n, _ in MAIN_TASK} == {f.name for f in families()}


@pytest.mark.parametrize("name,task", CASES, ids=[f"{n}-{t}" for n, t in CASES])
def test_builds_with_task_output_shape(name, task):
    model = check_builds(name, task)
    head = model.layers[-1]
    if task != "reconstruction":
        expected = {"regression": "linear", "binary": "sigmoid", "multiclass": "softmax", "multilabel": "sigmoid"}[task]
        final = head.get_layer("head") if hasattr(head, "get_layer") else head  # VGG: the nested classifier
        assert final.get_config()["activation"] == expected
        loss = model.loss
        want = {"regression": "mean_squared_error", "binary": "binary_crossentropy",
                "multiclass": "sparse_categorical_crossentropy", "multilabel": "binary_crossentropy"}[task]
        assert loss == want


@pytest.mark.parametrize("name,task", TRAIN_CASES, ids=[f"{n}-{t}" for n, t in TRAIN_CASES])
def test_training_lowers_loss(name, task):
    check_trains(name, task)  # with the family's own `quick_fit` where its defaults learn too slowly


@pytest.mark.parametrize("name,task", MAIN_TASK, ids=[n for n, _ in MAIN_TASK])
def test_keras_and_json_roundtrip(name, task, tmp_path):
    entry = nnzoo.get_entry(name)
    model = nnzoo.build(name, entry.example_input_shape, **build_kwargs(entry, task))
    X, _ = example_data(entry, task, n=8)
    check_roundtrip(move_weights(model), X, tmp_path)


@pytest.mark.parametrize("name", nnzoo.list_models())
def test_uncompiled_and_named(name):
    entry = nnzoo.get_entry(name)
    kw = build_kwargs(entry, "multiclass" if entry.supervised else "reconstruction")
    model = nnzoo.build(name, entry.example_input_shape, compile=False, name="custom_name", **kw)
    assert model.name == "custom_name"
    assert not model.compiled
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
