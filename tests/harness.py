"""Shared test harness: checks every registered model the same way.

`example_data(entry, task)` makes a tiny *learnable* problem for any
registry entry from its family's example inputs; the `check_*` helpers
assert behaviour, and test files parametrise them over `list_models()`.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np

import nnzoo

TASK_KWARGS = {
    "regression": {"task": "regression"},
    "binary": {"task": "binary"},
    "multiclass": {"task": "multiclass", "num_classes": 3},
    "multilabel": {"task": "multilabel", "num_classes": 4},
}


def supervised_cases():
    """(name, task) for every registered model and every task it supports."""
    cases = []
    for name in nnzoo.list_models():
        entry = nnzoo.get_entry(name)
        for task in entry.tasks:
            cases.append((name, task))
    return cases


def estimated_params(entry, task):
    """The parameter count the size limit works out for `entry` and `task`, with no layer made.

    Read from the factory's refusal at `max_params=1` (the count it quotes
    is exact: tests/test_bad_input.py checks it against Keras's).
    """
    import re

    try:
        entry.build(entry.example_input_shape, compile=False, max_params=1, **build_kwargs(entry, task))
    except ValueError as err:
        return int(re.search(r"would have ([\d,]+) parameters", str(err)).group(1).replace(",", ""))
    raise AssertionError(f"{entry.name} built with max_params=1")


def smallest_of_each_kind():
    """The supervised model with the fewest parameters, for each input kind in the registry."""
    smallest = {}
    for name in nnzoo.list_models():
        entry = nnzoo.get_entry(name)
        if entry.supervised:
            size = estimated_params(entry, entry.tasks[0])
            if entry.input_kind not in smallest or size < smallest[entry.input_kind][0]:
                smallest[entry.input_kind] = (size, name)
    return sorted(name for _, name in smallest.values())


def build_kwargs(entry, task):
    return {} if task == "reconstruction" else dict(TASK_KWARGS[task])


def example_data(entry, task, n=64, seed=0):
    """A small learnable dataset for `entry` and `task`: (X, y).

    The inputs come from the entry's family (`entry.example_inputs`), through
    `nnzoo.datasets.example_data`, the one generator the package has.
    """
    from nnzoo.datasets import example_data as make

    data = make(entry.name, n, task=task, seed=seed)
    return data.X, data.y


def run(model, X):
    """`model(X)` in inference mode as a NumPy array, on any Keras backend."""
    import keras

    return keras.ops.convert_to_numpy(model(X, training=False))


def expected_output_shape(entry, task):
    if task == "reconstruction":
        return (None, *entry.example_input_shape)
    units = {"regression": 1, "binary": 1, "multiclass": 3, "multilabel": 4}[task]
    return (None, units)


def check_builds(name, task):
    entry = nnzoo.get_entry(name)
    model = nnzoo.build(name, entry.example_input_shape, **build_kwargs(entry, task))
    assert tuple(model.output_shape) == expected_output_shape(entry, task)
    X, _ = example_data(entry, task, n=4)
    out = run(model, X)
    assert out.shape == (4, *expected_output_shape(entry, task)[1:])
    assert np.all(np.isfinite(out))
    return model


def declared_constraints(entry) -> dict:
    """The constraints a registry entry's factory declares: shared tables it takes, then its family's own.

    The family's own table is the `CONSTRAINTS` of its builder's module.
    """
    from nnzoo import _compile, _layers
    from nnzoo._validation import OneOf

    params = inspect.signature(entry.builder).parameters
    found = {k: c for k, c in _layers.CONSTRAINTS.items() if k in params}
    found.update(_compile.CONSTRAINTS)  # the common options: every factory takes **options
    if "task" in params:
        found["task"] = OneOf(entry.tasks)
    found.update(getattr(sys.modules[entry.builder.__module__], "CONSTRAINTS", {}))
    return found


def check_trains(name, task, epochs=None, **build_overrides):
    """A few epochs on a learnable problem lower the training loss.

    The family's `quick_fit` (its epochs and build overrides) applies, then
    `epochs` and `build_overrides`. The loss is read from the history
    (training mode): with batch norm, the inference-mode loss after a
    handful of steps still reflects moving statistics that have barely left
    their initial values.
    """
    entry = nnzoo.get_entry(name)
    quick = dict(entry.quick_fit)
    epochs = epochs or quick.pop("epochs", 8)
    quick.pop("epochs", None)
    kwargs = {**build_kwargs(entry, task), "learning_rate": 3e-3, **quick, **build_overrides}
    model = nnzoo.build(name, entry.example_input_shape, **kwargs)
    X, y = example_data(entry, task)
    losses = model.fit(X, y, epochs=epochs, batch_size=16, verbose=0, shuffle=False).history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.9 * losses[0], f"{name}/{task}: loss {losses[0]:.4f} -> {losses[-1]:.4f}"
    return model


def move_weights(model, seed=0):
    """Moves every float weight of `model` (batch-norm statistics included) off its initial value.

    A round trip then compares weights that differ from what a fresh build
    makes, as a fit would leave them, with no training (a frozen base costs
    a pass through all its layers per step). Scaling by a factor in [0.5, 1.5]
    keeps positive weights (moving variances) positive. A compiled model's
    optimizer is built, so its variables are saved as after a fit.
    """
    if getattr(model, "optimizer", None) is not None:
        model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(seed)
    model.set_weights([
        w * rng.uniform(0.5, 1.5, w.shape) + 0.01 * rng.normal(size=w.shape) if np.issubdtype(w.dtype, np.floating)
        else w
        for w in model.get_weights()
    ])
    return model


def check_roundtrip(model, X, tmp_path):
    """`.keras` and JSON-config round trips reproduce the model."""
    import keras

    path = nnzoo.save_model(model, tmp_path / "model.keras")
    loaded = keras.saving.load_model(path)  # safe_mode on, no custom_objects
    np.testing.assert_allclose(run(model, X), run(loaded, X), rtol=1e-6, atol=1e-6)
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(run(model, X), run(clone, X), rtol=1e-6, atol=1e-6)
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    return loaded


def check_tflite(model, X, tmp_path, *, name="model.tflite", **kwargs):
    """Exports `model` with `nnzoo.export.to_tflite` and checks the written file.

    The export must verify (the file ran in the LiteRT interpreter and matched
    the model within the report's tolerance), use builtin ops only unless
    `builtins_only=False` is passed, leave no temporary files, write its
    sidecar, and `TFLiteModel(path).predict(X)` must reproduce `model(X)`.
    Extra keyword arguments go to `to_tflite`; `sample_data` defaults to `X`
    and `latency_runs` to 0 (timing is slow and not what most tests check).

    Returns:
        The `ExportReport`.
    """
    import json

    from nnzoo.export import TFLiteModel, to_tflite

    path = tmp_path / name
    kwargs.setdefault("sample_data", X)
    kwargs.setdefault("latency_runs", 0)
    report = to_tflite(model, path, **kwargs)
    assert path.is_file() and report.file_size_bytes == path.stat().st_size
    assert report.verified, report.verification
    assert report.max_abs_diff <= report.tolerance
    if kwargs.get("builtins_only", True):
        assert report.flex_ops == [], report.flex_ops
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}")]
    assert leftovers == [], leftovers
    if kwargs.get("sidecar", True):
        meta = json.loads((path.parent / f"{path.name}.json").read_text())
        assert meta["file"] == path.name and meta["ops"] == report.ops
    got = TFLiteModel(path).predict(X)
    ref = run(model, X)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=report.tolerance)
    return report
