"""Checks run under every Keras backend, one pytest process per backend.

`tests/test_backends.py` runs this module with `KERAS_BACKEND` set to
`jax` and `torch` (the full suite runs on TensorFlow); it is not collected
on its own (its name does not start with `test_`). Run by hand:
`KERAS_BACKEND=torch python -m pytest tests/backend_checks.py -q`.

The registry harness covers one model per family here (builds, trains,
round-trips, output shapes) and every model's build; the FFNN, CNN and
LSTM files are kept for the other backends, and the files they saved are
loaded (`backend_roundtrip.py`; `test_backends.py` sets the folder and
which backends' files to load). Then the rest of the package on this
backend: the execution defaults, `nnzoo.fit` with validation and
callbacks, `fit_cached`, `evaluate`, `tune` and `ZooClassifier`, and the
error a `tf.distribute` strategy gets.
"""

import os

import keras
import numpy as np
import pytest

import backend_roundtrip
import nnzoo
from harness import check_builds, example_data
from nnzoo._compile import execution_defaults

BACKEND = keras.backend.backend()
# One model per family (the harness's tiny shapes), each on its main task;
# the VGG16 transfer family trains its head through `fit_cached` below
# (training through the base takes minutes on PyTorch's CPU kernels).
FAMILY_MODELS = ["autoencoder", "cnn_small", "conv1d", "ffnn", "lstm", "transformer"]
#: Set by tests/test_backends.py: the folder of the cross-backend files, and
#: the backends whose files this process loads (comma-separated).
FOLDER = os.environ.get("NNZOO_BACKEND_FILES")
LOAD_FROM = [b for b in os.environ.get("NNZOO_LOAD_FROM", "").split(",") if b]


def test_the_requested_backend_is_active():
    assert BACKEND == os.environ["KERAS_BACKEND"]


def test_every_family_is_checked():
    assert {nnzoo.get_entry(n).family for n in FAMILY_MODELS} | {"vgg16_transfer"} == {
        nnzoo.get_entry(n).family for n in nnzoo.list_models()}
    assert set(backend_roundtrip.MODELS) <= set(FAMILY_MODELS)


@pytest.mark.parametrize("name", nnzoo.list_models())
def test_every_model_builds_with_its_output_shape(name):
    check_builds(name, backend_roundtrip.main_task(name))


@pytest.mark.parametrize("name", FAMILY_MODELS)
def test_family_trains_and_round_trips(name, tmp_path):
    backend_roundtrip.check_and_save(name, tmp_path, FOLDER)


@pytest.mark.skipif(not LOAD_FROM, reason="no files from other backends asked for (NNZOO_LOAD_FROM)")
def test_files_saved_on_other_backends_load_predict_and_train():
    rows = backend_roundtrip.load(FOLDER, LOAD_FROM)
    backend_roundtrip.write_rows(FOLDER, rows)
    assert {r["file"] for r in rows} == set(backend_roundtrip.files_from(FOLDER, LOAD_FROM)) != set()


def test_execution_settings_are_the_backends_and_the_file_stays_portable(tmp_path):
    model = nnzoo.build_ffnn((4,), task="binary")
    want = execution_defaults("build_ffnn")
    assert (model.steps_per_execution, model.jit_compile) == (want["steps_per_execution"], want["jit_compile"])
    config = model.get_compile_config()
    assert (config["steps_per_execution"], config["jit_compile"]) == (1, False)
    path = nnzoo.save_model(model, tmp_path / "m.keras")
    loaded = nnzoo.load_model(path)
    general = execution_defaults()
    assert (loaded.steps_per_execution, loaded.jit_compile) == (general["steps_per_execution"], general["jit_compile"])
    from nnzoo._eager import DIRECT_BACKENDS

    assert ("call" in vars(loaded)) == ("call" in vars(model)) == (BACKEND in DIRECT_BACKENDS)


@pytest.mark.skipif(BACKEND != "torch", reason="only PyTorch records a private optimizer class")
def test_files_name_the_public_optimizer_class(tmp_path):
    import json
    import zipfile

    from nnzoo._compat import portable_optimizer_config

    def optimizer_entry(path):
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("config.json"))["compile_config"]["optimizer"]

    model = nnzoo.build_ffnn((4,), task="binary")
    model.save(tmp_path / "plain.keras")
    # The internal nnzoo._compat repairs, where it expects it: Keras records PyTorch's private class.
    plain = optimizer_entry(tmp_path / "plain.keras")
    assert plain["module"].startswith("keras.src.backend.torch.") and plain["class_name"] == "Adam"
    assert portable_optimizer_config({"optimizer": plain})[1]
    saved = optimizer_entry(nnzoo.save_model(model, tmp_path / "m.keras"))
    assert (saved["module"], saved["class_name"]) == ("keras.optimizers", "Adam")


def test_fit_keeps_epochs_validation_and_callbacks(tmp_path):
    from nnzoo.callbacks import standard_callbacks

    X, y = example_data(nnzoo.get_entry("ffnn"), "binary", n=80)
    model = nnzoo.build_ffnn(X.shape[1:], task="binary")
    ckpt = tmp_path / "best.keras"
    history = nnzoo.fit(model, X, y, epochs=3, batch_size=16, validation_split=0.25,
                        callbacks=standard_callbacks(patience=5, checkpoint_path=str(ckpt)), verbose=0)
    assert len(history.history["loss"]) == len(history.history["val_loss"]) == 3
    best = nnzoo.load_model(ckpt)
    np.testing.assert_allclose(best.predict(X, verbose=0).shape, (80, 1))
    report = nnzoo.evaluate(model, X, y)
    assert 0.0 <= report.metrics["accuracy"] <= 1.0


def test_fit_cached_trains_the_head():
    X, y = example_data(nnzoo.get_entry("vgg16_transfer"), "binary", n=16)
    model = nnzoo.build_vgg16_transfer(X.shape[1:], task="binary", weights=None)
    history = nnzoo.fit_cached(model, X, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_tune_completes_its_trials(tmp_path):
    from nnzoo.tuning import tune

    X, y = example_data(nnzoo.get_entry("ffnn"), "multiclass", n=60)
    result = tune("ffnn", X, y, max_trials=2, epochs=2, batch_size=16, depth=1, units=8, directory=tmp_path,
                  seed=0, verbose=0)
    assert len(result.trials) == 2 and set(result.trials["status"]) == {"COMPLETED"}
    assert result.model.predict(X, verbose=0).shape == (60, 3)


def test_zoo_classifier_fits_and_scores():
    from nnzoo.tuning import ZooClassifier

    X, y = example_data(nnzoo.get_entry("ffnn"), "multiclass", n=60)
    clf = ZooClassifier("ffnn", epochs=3, batch_size=16, random_state=0).fit(X, y)
    assert clf.model_.steps_per_execution == execution_defaults("build_ffnn")["steps_per_execution"]
    assert clf.predict(X).shape == (60,) and 0.0 <= clf.score(X, y) <= 1.0


class _Strategy:
    """Stands in for a tf.distribute strategy: the backend check comes before any use."""

    def scope(self):  # pragma: no cover - never entered
        raise AssertionError("not reached")

    def __repr__(self):
        return "<MirroredStrategy>"


@pytest.mark.skipif(BACKEND == "tensorflow", reason="strategies are TensorFlow's")
def test_strategy_names_the_backend(tmp_path):
    from nnzoo.tuning import tune

    want = (f"`strategy=` needs the TensorFlow backend; the active Keras backend is '{BACKEND}'. "
            "Expected KERAS_BACKEND=tensorflow set before the first `import keras`, or strategy=None. "
            "Received: strategy=<MirroredStrategy>")
    with pytest.raises(ValueError) as err:
        nnzoo.build_ffnn((4,), task="binary", strategy=_Strategy())
    assert str(err.value) == want
    X, y = example_data(nnzoo.get_entry("ffnn"), "binary", n=20)
    with pytest.raises(ValueError, match="needs the TensorFlow backend"):
        tune("ffnn", X, y, strategy=_Strategy(), directory=tmp_path)


@pytest.mark.skipif(BACKEND != "torch", reason="only PyTorch refuses more steps per call")
def test_torch_refuses_steps_per_execution_above_one_by_name():
    with pytest.raises(ValueError, match="needs the TensorFlow or JAX backend; the active Keras backend is 'torch'"):
        nnzoo.build_cnn((8, 8, 1), num_classes=3, steps_per_execution=8)


def test_chains_are_sequential_on_torch_and_functional_elsewhere():
    """On PyTorch a plain chain of layers is a `Sequential` (cheaper per eager step); branches stay `Functional`."""
    from nnzoo._eager import SEQUENTIAL_BACKENDS

    chain = nnzoo.build("cnn_small", (8, 8, 1), num_classes=3)
    branched = nnzoo.build("resnet1d", (16, 1), num_classes=3)
    assert isinstance(chain, keras.Sequential) == (BACKEND in SEQUENTIAL_BACKENDS)
    assert not isinstance(branched, keras.Sequential)
    body = [layer for layer in chain.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert chain.name == "cnn_multiclass" and body[0].name == "block1_conv1"
    assert chain.predict(np.zeros((2, 8, 8, 1), "float32"), verbose=0).shape == (2, 3)


@pytest.mark.skipif(BACKEND != "torch", reason="TensorFlow and JAX trace the step: no direct calls there")
@pytest.mark.parametrize("name", nnzoo.list_models())
def test_every_model_trains_as_through_keras_s_own_calls(name):
    """`direct_chain` (and, on PyTorch, the fused LSTM kernel) changes the speed, not the numbers.

    Two twins from one seed train an epoch on the same batches: one as
    built, one through Keras's own call (each layer's `__call__`, Keras's
    LSTM loop). Their weights must agree.
    """
    from harness import build_kwargs

    entry = nnzoo.get_entry(name)
    task = backend_roundtrip.main_task(name)
    X, y = example_data(entry, task, n=16)
    weights = []
    for own_calls in (False, True):
        keras.utils.set_random_seed(0)
        model = nnzoo.build(name, entry.example_input_shape, **build_kwargs(entry, task))
        if own_calls:
            vars(model).pop("call", None)
        elif name in ("cnn", "ffnn", "lstm", "gru", "conv1d", "fcn"):
            assert "call" in vars(model), "a plain chain should run its layers' calls directly"
        nnzoo.fit(model, X, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, atol=1e-5)
