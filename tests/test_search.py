"""Tests for nnzoo.tuning's keras-tuner search (one process).

The multi-process tests (resume after SIGKILL, distributed search,
multi-worker training) are in test_search_distributed.py.
"""

import os

import keras_tuner
import numpy as np
import pandas as pd
import pytest

import nnzoo
from nnzoo.tuning import TuneResult, hypermodel, tune
from nnzoo._tasks import infer_task
from nnzoo.tuning._data import prepare
from nnzoo.tuning._spaces import SPACES, factory_arguments

FAMILIES = sorted(SPACES)
# Small, fast settings every training test uses.
TINY = dict(epochs=2, batch_size=16, depth=1, units=8, steps_per_execution=1, verbose=0)


def blobs(n=60, classes=("a", "b", "c"), seed=0, features=4):
    """A learnable classification set with string labels."""
    rng = np.random.default_rng(seed)
    y = np.array([classes[i % len(classes)] for i in range(n)])
    centers = {c: rng.normal(scale=3.0, size=features) for c in classes}
    X = np.stack([centers[c] for c in y]) + rng.normal(size=(n, features))
    return X.astype("float32"), y


# --------------------------------------------------------------------------- the spaces table


@pytest.mark.parametrize("family", FAMILIES)
def test_space_table_names_real_factory_arguments(family):
    space = SPACES[family]
    entry = nnzoo.get_entry(family)
    args = set(factory_arguments(entry.builder))
    stacked = {name for stack in space.stacks for name in stack.params}
    for param in space.params:
        assert param.name in args or param.name in stacked, f"{family}: {param.name} maps to no argument"
        assert param.kind in ("int", "float", "choice", "bool")
    for stack in space.stacks:
        assert stack.target in args


@pytest.mark.parametrize("family", FAMILIES)
def test_hypermodel_default_space_builds(family):
    entry = nnzoo.get_entry(family)
    context = {} if not entry.supervised else {"task": "multiclass", "num_classes": 3}
    hm = hypermodel(family, entry.example_input_shape, **context)
    assert isinstance(hm, keras_tuner.HyperModel)
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)
    assert set(hm.space.names) <= set(hp.values)
    expected = (None, 3) if entry.supervised else (None, *entry.example_input_shape)
    assert tuple(model.output_shape) == expected


def test_fixed_values_leave_the_space_and_reach_the_factory():
    hm = hypermodel("cnn", (8, 8, 1), num_classes=4, kernel_size=5, dropout=0.2, padding="same")
    assert "kernel_size" not in hm.space.names and "dropout" not in hm.space.names
    assert "blocks" in hm.space.names and "filters" in hm.space.names
    kwargs = hm.build_kwargs({"blocks": 2, "filters": 8, "dense_units": 0})
    assert kwargs["filters"] == (8, 16)  # doubling per block
    assert kwargs["dense_units"] == ()
    assert kwargs["kernel_size"] == 5 and kwargs["dropout"] == 0.2 and kwargs["padding"] == "same"

    # A tuple for a stack fixes the whole stack (width and depth leave the space).
    hm = hypermodel("ffnn", (6,), num_classes=3, hidden_units=(16, 8))
    assert "units" not in hm.space.names and "depth" not in hm.space.names
    model = hm.build(keras_tuner.HyperParameters())
    assert [layer.units for layer in model.layers if layer.name.startswith("dense_")] == [16, 8]


def test_cnn_blocks_are_capped_by_the_image_size():
    hm = hypermodel("cnn", (4, 4, 1), num_classes=2)
    blocks = next(p for p in hm.space.params if p.name == "blocks")
    assert blocks.high == 2  # 4 -> 2 -> 1: a third pooled block would not fit


def test_keras_tuner_overrides_narrow_and_extend():
    hp = keras_tuner.HyperParameters()
    hp.Choice("units", [8, 16])
    hp.Choice("optimizer", ["adam", "sgd"])
    hm = hypermodel("ffnn", (6,), num_classes=3, hyperparameters=hp, depth=1)
    assert "optimizer" in hm.space.names
    units = next(p for p in hm.space.params if p.name == "units")
    assert units.values == (8, 16)
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)  # declares the space, with its defaults
    assert model.get_layer("dense_1").units == 8 and hp.values["optimizer"] == "adam"
    hp.values.update(units=16, optimizer="sgd")
    model = hm.build(hp)
    assert model.get_layer("dense_1").units == 16
    assert type(model.optimizer).__name__ == "SGD"


def test_unknown_hyperparameter_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        hypermodel("ffnn", (6,), num_classes=3, unitz=32)
    text = str(info.value)
    assert "Did you mean 'units'?" in text
    for name in ("depth", "units", "learning_rate", "hidden_units", "optimizer"):
        assert name in text
    assert text.endswith("Received: unitz=32")


@pytest.mark.parametrize("algorithm", ["random", "hyperband", "bayesian", "grid"])
def test_a_seed_fixes_the_oracle_even_when_it_is_zero(algorithm):
    from nnzoo.tuning._search import _make_oracle

    seeds = {_make_oracle(algorithm, "val_loss", 3, 2, seed=0).seed for _ in range(3)}
    assert len(seeds) == 1


# --------------------------------------------------------------------------- data handling


def test_task_is_inferred_from_the_targets():
    assert infer_task(np.array([0.5, 1.5])) == "regression"
    assert infer_task(np.array([0, 1, 1])) == "binary"
    assert infer_task(np.array(["x", "y", "z"])) == "multiclass"
    assert infer_task(np.array([[0, 1], [1, 1]])) == "multilabel"


def test_validation_split_is_shuffled_and_stratified():
    X = np.arange(40, dtype="float32").reshape(20, 2)
    y = np.repeat([0, 1], 10)  # sorted labels: a tail split would hold one class
    data = prepare(nnzoo.get_entry("ffnn"), X, y, task=None, validation_split=0.2, validation_data=None, cv=None,
                   seed=None)
    (train_idx, val_idx), = data.folds
    assert sorted(np.bincount(data.y[val_idx].astype(int))) == [2, 2]
    assert set(val_idx) != set(range(16, 20))
    assert len(set(train_idx) | set(val_idx)) == 20 and not set(train_idx) & set(val_idx)


def _error(**kwargs):
    X, y = blobs(24)
    args = dict(X=X, y=y, max_trials=1, directory=kwargs.pop("directory"), verbose=0)
    args.update(kwargs)
    name = args.pop("name", "ffnn")
    with pytest.raises(ValueError) as info:
        tune(name, **args)
    return str(info.value)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"name": "fnn"}, "Unknown model name"),
        ({"unitz": 8}, "Unknown hyperparameter"),
        ({"cv": 1}, "`cv` must be at least 2"),
        ({"y": np.zeros(24, dtype=int)}, "single class"),
        ({"X": np.full((24, 4), np.nan)}, "NaN or infinite"),
        ({"y": np.r_[np.ones(23), np.inf]}, "NaN or infinite"),
        ({"y": np.array(["a", "b"] * 10)}, "different numbers of samples"),
        ({"algorithm": "genetic"}, "Unknown `algorithm`"),
        ({"objective": "accuracy"}, "Did you mean 'val_accuracy'?"),
        ({"cv": 20}, "more folds than the smallest class"),
        ({"validation_split": 1.5}, "validation_split"),
        ({"name": "autoencoder"}, "reconstructs X"),
    ],
)
def test_bad_input_fails_before_any_training(tmp_path, kwargs, fragment):
    text = _error(directory=tmp_path, **kwargs)
    assert fragment in text
    assert "Received:" in text
    assert not any(tmp_path.iterdir()), "nothing may be written before the input is checked"


# --------------------------------------------------------------------------- searches


def test_tune_with_cv_returns_model_table_and_csv(tmp_path, capsys):
    X, y = blobs(60)
    result = tune("ffnn", X, y, cv=2, max_trials=2, directory=tmp_path, seed=3, **{**TINY, "verbose": 1})
    assert isinstance(result, TuneResult)
    out = capsys.readouterr().out.strip().splitlines()
    # One header, one line per trial, one summary; no keras-tuner display.
    assert len(out) == 4, out
    assert out[1].startswith("trial 1/2 |") and "val_accuracy=" in out[1] and "best" in out[1]
    assert not any("Search:" in line or "Best val_accuracy So Far" in line for line in out)

    table = result.trials
    assert isinstance(table, pd.DataFrame)
    assert len(table) == 2 and set(table["status"]) == {"COMPLETED"}
    for column in ("trial", "score", "activation", "dropout", "learning_rate", "val_accuracy", "val_loss",
                   "best_epoch", "seconds", "tuner_id", "starts"):
        assert column in table.columns
    assert "units" not in table.columns  # fixed, so not a hyperparameter
    assert table["epochs_run"].max() <= 2 * 2  # 2 folds, at most 2 epochs each
    saved = pd.read_csv(result.table_path)
    assert list(saved.columns) == list(table.columns) and len(saved) == 2
    assert os.path.dirname(result.table_path) == result.project_dir == os.path.join(str(tmp_path), "ffnn")

    assert result.objective == "val_accuracy" and result.task == "multiclass"
    assert result.best_score == table["score"].max()
    assert set(result.best_hyperparameters) == {"activation", "dropout", "batch_norm", "l2", "learning_rate"}
    assert list(result.classes) == ["a", "b", "c"]
    probs = np.asarray(result.model(X[:5], training=False))
    assert probs.shape == (5, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    rebuilt = nnzoo.build(result.name, result.input_shape, **result.build_kwargs)
    assert rebuilt.count_params() == result.model.count_params()
    assert 1 <= result.refit_epochs <= 2


@pytest.mark.parametrize("cv_mode, weights_file", [("sequential", "fold0.weights.h5"), ("stacked", "folds.weights.h5")])
def test_hyperband_continues_from_earlier_rounds_quietly(tmp_path, capsys, recwarn, cv_mode, weights_file):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 3)).astype("float32")
    y = X @ np.array([1.0, -2.0, 0.5], dtype="float32")  # floats: regression
    gradients_before = _custom_gradients()
    result = tune("ffnn", X, y, algorithm="hyperband", max_trials=4, epochs=3, refit=False, directory=tmp_path,
                  seed=0, batch_size=16, depth=1, units=8, steps_per_execution=1, verbose=0, cv_mode=cv_mode)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]  # e.g. no skipped-variable warnings
    assert result.task == "regression" and result.objective == "val_loss" and result.model is None
    table = result.trials
    assert len(table) == 4 and set(table["status"]) == {"COMPLETED"}
    # Hyperband's first round trains 1 epoch; the next round continues the best for epochs 2-3.
    assert list(table["budget_epochs"]) == [1, 1, 1, 3]
    last = table.iloc[-1]
    assert last["warm_start_trial"] in (0, 1, 2)
    assert last["epochs_run"] <= 2  # started from epoch 1, not from scratch
    assert os.path.exists(os.path.join(result.project_dir, f"trial_{int(last['warm_start_trial'])}",
                                       weights_file))
    # Trials leave no gradient functions behind in TensorFlow's global registry
    # (each would keep a dead train graph alive; tensorflow/tensorflow#61791).
    assert _custom_gradients() == gradients_before


# --------------------------------------------------------------------------- folds trained together


def _separate_and_stacked(X, y, folds, *, lr, epochs, patience, seed=0):
    """Per-fold outcomes of k separate `fit_model` runs and of one stacked run, from the same initial weights."""
    import keras

    from nnzoo.tuning._fit import fit_model
    from nnzoo.tuning._stacked import StackedFolds

    def build(k):
        keras.utils.set_random_seed(seed + k)
        return nnzoo.build("ffnn", X.shape[1:], (16,), num_classes=3, learning_rate=lr, steps_per_execution=1,
                           name=f"fold{k}")

    separate, initial = [], []
    for k, (train, val) in enumerate(folds):
        model = build(k)
        initial.append(model.get_weights())
        separate.append(fit_model(model, X[train], y[train], epochs=epochs, batch_size=len(X),
                                  validation_data=(X[val], y[val]), patience=patience))
    stacked = StackedFolds([build(k) for k in range(len(folds))])
    for model, weights in zip(stacked.models, initial):
        model.set_weights(weights)
    together = stacked.fit(X, y, folds, epochs=epochs, batch_size=len(X), patience=patience, seed=seed)
    return separate, together, stacked


def test_stacked_folds_train_as_separate_trainings_do():
    # One full batch per epoch: the order of the rows cannot matter, so the two must agree to float error.
    X, labels = blobs(61, features=4, seed=2)
    X = X + np.random.default_rng(1).normal(scale=2.5, size=X.shape).astype("float32")  # overlap: val_loss turns
    y = np.searchsorted(np.unique(labels), labels)
    data = prepare(nnzoo.get_entry("ffnn"), X, y, task=None, validation_split=0.2, validation_data=None, cv=3, seed=0)
    separate, together, stacked = _separate_and_stacked(data.X, data.y, data.folds, lr=0.3, epochs=12, patience=1)
    assert len({len(v) for _, v in data.folds}) > 1, "folds of different sizes exercise the padding"
    for one, both in zip(separate, together):
        assert both.epochs_run == one.epochs_run and both.best_epoch == one.best_epoch
        for key in ("val_loss", "val_accuracy", "loss"):
            np.testing.assert_allclose(both.history[key], one.history[key], rtol=2e-4, atol=2e-5, err_msg=key)
        assert both.validation_scores() == pytest.approx(one.validation_scores(), rel=2e-4, abs=2e-5)
    runs = [o.epochs_run for o in separate]
    assert min(runs) < 12 and len(set(runs)) > 1, f"each fold must stop on its own epoch: {runs}"
    # Every fold holds its best epoch's weights: its val_loss now is the best one.
    for model, outcome, (_, val) in zip(stacked.models, together, data.folds):
        loss = model.evaluate(data.X[val], data.y[val], verbose=0, return_dict=True)["loss"]
        assert loss == pytest.approx(min(outcome.history["val_loss"]), rel=1e-4)


def test_stacked_folds_run_with_the_fold_models_execution_settings():
    """The backend's settings live on the model, not in its portable compile config (which says 1)."""
    from nnzoo.tuning._stacked import StackedFolds

    models = [nnzoo.build("ffnn", (4,), (8,), num_classes=3, name=f"fold{k}") for k in range(2)]
    assert models[0].get_compile_config()["steps_per_execution"] == 1 < models[0].steps_per_execution
    stacked = StackedFolds(models)
    assert stacked.model.steps_per_execution == models[0].steps_per_execution
    assert stacked.model.jit_compile == models[0].jit_compile


def test_stacked_search_matches_sequential_and_keeps_its_graph(tmp_path, monkeypatch):
    from nnzoo.tuning import _stacked

    # Binary (one output unit): the stacked targets take the output's rank. Two trials: the second reuses the graph.
    X, labels = blobs(60, classes=("a", "b"), features=4, seed=3)
    X = X + np.random.default_rng(0).normal(scale=2.0, size=X.shape).astype("float32")
    common = dict(cv=2, max_trials=2, epochs=4, patience=1, batch_size=64, seed=0, refit=False, depth=1, units=8,
                  activation="relu", dropout=0.0, batch_norm=False, l2=0.0, steps_per_execution=1, verbose=0)
    gradients_before = _custom_gradients()
    seq = tune("ffnn", X, labels, directory=tmp_path / "seq", cv_mode="sequential", **common)
    graphs = []
    init = _stacked.StackedFolds.__init__
    monkeypatch.setattr(_stacked.StackedFolds, "__init__", lambda self, models: (graphs.append(1), init(self, models))[1])
    stk = tune("ffnn", X, labels, directory=tmp_path / "stk", cv_mode="stacked", **common)
    assert len(graphs) == 1  # only the rate differs: the second trial trains on the first one's graph
    assert list(seq.trials["learning_rate"]) == list(stk.trials["learning_rate"])  # the same trials
    np.testing.assert_allclose(stk.trials["score"], seq.trials["score"], atol=1e-6)
    np.testing.assert_allclose(stk.trials["val_loss"], seq.trials["val_loss"], rtol=1e-3)
    assert list(stk.trials["epochs_run"]) == list(seq.trials["epochs_run"])
    assert _custom_gradients() == gradients_before


def test_stacked_mode_refuses_what_it_cannot_stack(tmp_path):
    import keras

    text = _error(directory=tmp_path, cv=2, cv_mode="stacked", callbacks=[keras.callbacks.TerminateOnNaN()])
    assert "`cv_mode='stacked'` cannot run here" in text and "cv_mode='sequential'" in text
    assert "Received: cv_mode='stacked', callbacks=['TerminateOnNaN']" in text
    assert "Unknown `cv_mode`" in _error(directory=tmp_path, cv=2, cv_mode="fast")
    assert not any(tmp_path.iterdir())


def test_auto_mode_falls_back_when_stacking_would_not_fit(tmp_path, monkeypatch, capsys):
    from nnzoo.tuning import _stacked

    monkeypatch.setattr(_stacked, "available_bytes", lambda: 1000)
    X, y = blobs(24)
    assert "stacked data within 25% of the memory" in _error(directory=tmp_path, cv=2, cv_mode="stacked")
    tune("ffnn", X, y, cv=2, max_trials=1, directory=tmp_path, refit=False, **{**TINY, "epochs": 1, "verbose": 1})
    assert "folds train one after the other (cv_mode='sequential')" in capsys.readouterr().out


@pytest.mark.parametrize("cv_mode", ["sequential", "stacked"])
def test_pruning_stops_a_clearly_worse_trial_and_counts_it(tmp_path, capsys, cv_mode):
    # A grid over two rates, in order: 0.05 learns; 1e-7 stays at its initial loss, clearly worse.
    X, y = blobs(48)
    hp = keras_tuner.HyperParameters()
    hp.Choice("learning_rate", [0.05, 1e-7])
    result = tune("ffnn", X, y, algorithm="grid", hyperparameters=hp, objective="val_loss", cv=2, max_trials=2,
                  patience=None, prune=0.05, directory=tmp_path, refit=False, seed=0, cv_mode=cv_mode,
                  activation="relu", dropout=0.0, batch_norm=False, l2=0.0, **{**TINY, "verbose": 1})
    table = result.trials
    assert list(table["learning_rate"]) == [0.05, 1e-7]
    assert list(table["pruned"]) == [0, 1] and result.pruned == 1
    # Unpruned: 2 folds x 2 epochs. Pruned: sequential skips fold 2; stacked stops both folds at epoch 1 of 2.
    assert list(table["epochs_run"]) == [4, 2]
    assert table["score"].iloc[1] > table["score"].iloc[0] + 0.05  # scored on what it trained: still the worse
    assert result.best_hyperparameters["learning_rate"] == 0.05
    assert "1 of 2 trials pruned" in capsys.readouterr().out.splitlines()[-1]


def test_n_jobs_is_checked_before_any_work(tmp_path, monkeypatch):
    import keras
    import tensorflow as tf

    from nnzoo.tuning import _parallel

    monkeypatch.setattr(_parallel, "available_cores", lambda: 2)
    text = _error(directory=tmp_path, n_jobs=3)
    assert "larger than the 2 CPU core(s)" in text and text.endswith("Received: n_jobs=3, cores=2")
    assert "`n_jobs` is too small" in _error(directory=tmp_path, n_jobs=0)
    with pytest.raises(TypeError, match="`n_jobs` must be an integer"):
        _error(directory=tmp_path, n_jobs="2")
    text = _error(directory=tmp_path, n_jobs=2, strategy=tf.distribute.OneDeviceStrategy("/cpu:0"))
    assert "does not combine with `strategy`" in text
    # A worker process cannot import what the running script defines.
    local = type("LocalCallback", (keras.callbacks.Callback,), {"__module__": "__main__"})
    text = _error(directory=tmp_path, n_jobs=2, max_trials=2, callbacks=[local()])
    assert "define them in a module the workers can import" in text and "defined_in_main=['LocalCallback']" in text
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    assert "already part of a distributed search" in _error(directory=tmp_path, n_jobs=2)
    assert not any(tmp_path.iterdir())


def _custom_gradients():
    from tensorflow.python.framework import ops as tf_ops

    return {k for k in tf_ops._gradient_registry._registry if str(k).startswith("CustomGradient-")}


def test_autoencoder_tunes_without_targets(tmp_path):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(40, 2)) @ rng.normal(size=(2, 8))).astype("float32")
    result = tune("autoencoder", X, max_trials=1, epochs=1, directory=tmp_path, encoding_dim=2, depth=0,
                  steps_per_execution=1,
                  verbose=0)
    assert result.task == "reconstruction" and result.objective == "val_loss"
    assert result.model.output_shape == (None, 8)


# --------------------------------------------------------------------------- damaged or hostile state

SEARCH = dict(algorithm="random", max_trials=2, refit=False, seed=0, **TINY)


@pytest.fixture(scope="module")
def finished_search(tmp_path_factory):
    """The files of a finished two-trial search: {relative path: bytes}."""
    X, y = blobs(40)
    folder = tmp_path_factory.mktemp("search")
    tune("ffnn", X, y, directory=folder, project_name="p", **SEARCH)
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _write_tree(folder, files):
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _trial_file(files):
    return sorted(k for k in files if k.endswith("trial.json"))[0]


@pytest.mark.parametrize(
    "damage, names, fragment",
    [
        ("truncate", "oracle.json", "truncated or not JSON"),
        ("truncate", "tuner0.json", "truncated or not JSON"),
        ("truncate", "trial", "truncated or not JSON"),
        ("binary", "oracle.json", "not text"),
        ("binary", "trial", "not text"),
        ("list", "tuner0.json", "not an object"),
        ("delete trial folder", "trial", "its file is missing"),
    ],
)
def test_damaged_state_names_the_file_and_keeps_the_rest(damage, names, fragment, finished_search, tmp_path):
    _write_tree(tmp_path, finished_search)
    rel = _trial_file(finished_search) if names == "trial" else os.path.join("p", names)
    path = tmp_path / rel
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif damage == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif damage == "list":
        path.write_text("[1, 2]")
    else:
        for p in sorted(path.parent.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        path.parent.rmdir()
    before = _tree(tmp_path)
    X, y = blobs(40)
    with pytest.raises(ValueError, match=fragment) as info:
        tune("ffnn", X, y, directory=tmp_path, project_name="p", **SEARCH)
    text = str(info.value)
    assert str(path) in text and "overwrite=True" in text and "--overwrite" in text
    assert _tree(tmp_path) == before  # nothing else was touched
    # put the file back: the search resumes whole, with nothing left to run
    _write_tree(tmp_path, finished_search)
    result = tune("ffnn", X, y, directory=tmp_path, project_name="p", **SEARCH)
    assert len(result.trials) == 2 and set(result.trials["status"]) == {"COMPLETED"}


@pytest.mark.parametrize(
    "kwargs, env, fragment",
    [
        ({"project_name": "../../x"}, {}, "plain name that stays inside"),
        ({"project_name": "/tmp/x"}, {}, "plain name that stays inside"),
        ({"project_name": ".."}, {}, "plain name that stays inside"),
        ({"project_name": ""}, {}, "non-empty string"),
        ({}, {"KERASTUNER_TUNER_ID": "../../evil"}, "KERASTUNER_TUNER_ID"),
        ({}, {"KERASTUNER_TUNER_ID": "a/b"}, "KERASTUNER_TUNER_ID"),
    ],
)
def test_names_that_leave_the_directory_are_refused(kwargs, env, fragment, tmp_path, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    X, y = blobs(20)
    with pytest.raises((ValueError, TypeError), match=fragment) as info:
        tune("ffnn", X, y, directory=tmp_path / "search", **{**SEARCH, **kwargs})
    assert "Received:" in str(info.value)
    assert not (tmp_path / "search").exists() and not (tmp_path.parent / "x").exists()


def test_a_directory_that_is_a_file_or_read_only_is_refused(tmp_path):
    X, y = blobs(20)
    afile = tmp_path / "state"
    afile.write_text("not a folder")
    with pytest.raises(ValueError, match="tuning directory is a file"):
        tune("ffnn", X, y, directory=afile, **SEARCH)
    with pytest.raises(ValueError, match="tuning directory is inside a file"):
        tune("ffnn", X, y, directory=afile / "sub", **SEARCH)
    if os.path.isdir("/proc/self"):  # read-only even for root
        with pytest.raises(ValueError, match="tuning directory is not writable"):
            tune("ffnn", X, y, directory="/proc/self/nnzoo_search", **SEARCH)
