"""Shared test harness: checks every registered model the same way.

`example_data(entry, task)` makes a tiny *learnable* problem for any
registry entry from its family's example inputs; the `check_*` helpers
assert behaviour, and test files parametrise them over `list_models()`.
"""

from __future__ import annotations

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
    out = np.asarray(model(X, training=False))
    assert out.shape == (4, *expected_output_shape(entry, task)[1:])
    assert np.all(np.isfinite(out))
    return model


def check_trains(name, task, epochs=8, **build_overrides):
    """A few epochs on a learnable problem lower the training loss.

    The loss is read from the history (training mode): with batch norm, the
    inference-mode loss after a handful of steps still reflects moving
    statistics that have barely left their initial values.
    """
    entry = nnzoo.get_entry(name)
    kwargs = {**build_kwargs(entry, task), "learning_rate": 3e-3, **build_overrides}
    model = nnzoo.build(name, entry.example_input_shape, **kwargs)
    X, y = example_data(entry, task)
    losses = model.fit(X, y, epochs=epochs, batch_size=16, verbose=0, shuffle=False).history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < 0.9 * losses[0], f"{name}/{task}: loss {losses[0]:.4f} -> {losses[-1]:.4f}"
    return model


def check_roundtrip(model, X, tmp_path):
    """`.keras` and JSON-config round trips reproduce the model."""
    import keras

    path = nnzoo.save_model(model, tmp_path / "model.keras")
    loaded = keras.saving.load_model(path)  # safe_mode on, no custom_objects
    np.testing.assert_allclose(np.asarray(model(X, training=False)), np.asarray(loaded(X, training=False)), rtol=1e-6, atol=1e-6)
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(model(X, training=False)), np.asarray(clone(X, training=False)), rtol=1e-6, atol=1e-6)
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
    ref = np.asarray(model(X, training=False))
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=0, atol=report.tolerance)
    return report
