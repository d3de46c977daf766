"""Every registered model, checked by the shared harness."""

import pytest

import nnzoo
from harness import (
    build_kwargs,
    check_builds,
    check_roundtrip,
    check_trains,
    example_data,
    supervised_cases,
)

CASES = supervised_cases()
# Training is the slow check: every model trains on its main task, and every
# task trains on one model of each input kind (the head code is shared).
MAIN_TASK = [(n, "multiclass" if nnzoo.get_entry(n).supervised else "reconstruction") for n in nnzoo.list_models()]
TRAIN_CASES = sorted(set(MAIN_TASK) | {(n, t) for n, t in CASES if n in ("ffnn", "cnn_small", "gru")})


def test_registry_covers_every_family():
    families = {nnzoo.get_entry(n).family for n in nnzoo.list_models()}
    assert families == {"ffnn", "cnn", "conv1d", "lstm", "transformer", "autoencoder", "vgg16_transfer"}


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
    if name == "vgg16_transfer":
        # A frozen, randomly initialised base gives weak features: train the head without dropout.
        check_trains(name, task, epochs=8, dropout=0.0, learning_rate=1e-2)
    else:
        check_trains(name, task)


@pytest.mark.parametrize("name,task", MAIN_TASK, ids=[n for n, _ in MAIN_TASK])
def test_keras_and_json_roundtrip(name, task, tmp_path):
    entry = nnzoo.get_entry(name)
    model = nnzoo.build(name, entry.example_input_shape, **build_kwargs(entry, task))
    X, y = example_data(entry, task, n=8)
    if name != "vgg16_transfer":  # move the weights (and BN statistics) off their initial values
        model.fit(X, y, epochs=1, batch_size=4, verbose=0)
    check_roundtrip(model, X, tmp_path)


@pytest.mark.parametrize("name", nnzoo.list_models())
def test_uncompiled_and_named(name):
    entry = nnzoo.get_entry(name)
    kw = build_kwargs(entry, "multiclass" if entry.supervised else "reconstruction")
    model = nnzoo.build(name, entry.example_input_shape, compile=False, name="custom_name", **kw)
    assert model.name == "custom_name"
    assert not model.compiled
    names = [layer.name for layer in model.layers]
    assert len(names) == len(set(names))
