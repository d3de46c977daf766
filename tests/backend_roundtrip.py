"""Files saved on one Keras backend, loaded on the others, for `tests/test_backends.py`.

Each backend's process trains the models in `MODELS` (the FFNN, the CNN
and the LSTM: weights and batch-norm statistics off their start) and
`save`s them into a shared folder as `<backend>-<name>.keras`, with the
inputs and the predictions it made; `load` then reads every file another
backend saved, checks its predictions within 1e-5 with both loaders
(`keras.saving.load_model` and `nnzoo.load_model`), trains it one epoch
with the plain Keras load (a file's optimizer must work on this backend,
whatever backend wrote it), and checks that `nnzoo.load_model` set this
backend's execution settings. It is not collected on its own (its name
does not start with `test_`).
"""

from __future__ import annotations

import json
import os

import keras
import numpy as np

import nnzoo
from harness import check_roundtrip, check_trains, example_data, run

#: One FFNN, one CNN and one sequence model cross every pair of backends; the
#: other families round-trip on their own backend (`check_and_save`).
MODELS = ("ffnn", "cnn_small", "lstm")
TOLERANCE = 1e-5


def main_task(name: str) -> str:
    return "multiclass" if nnzoo.get_entry(name).supervised else "reconstruction"


def check_and_save(name: str, tmp_path, folder: str | None = None):
    """The harness on `name` (trains, round-trips on this backend); the file kept in `folder` for `MODELS`."""
    model = check_trains(name, main_task(name))
    X, _ = example_data(nnzoo.get_entry(name), main_task(name), n=8)
    check_roundtrip(model, X, tmp_path)
    if folder is not None and name in MODELS:
        save(model, name, X, folder)
    return model


def save(model, name: str, X, folder: str) -> str:
    stem = os.path.join(folder, f"{keras.backend.backend()}-{name}")
    np.save(stem + ".x.npy", X)
    np.save(stem + ".pred.npy", run(model, X))
    return nnzoo.save_model(model, stem + ".keras")


def files_from(folder: str, backends) -> list[str]:
    """The `.keras` files in `folder` saved on one of `backends`."""
    return sorted(f for f in os.listdir(folder) if f.endswith(".keras") and f.split("-", 1)[0] in backends)


def load(folder: str, backends) -> list[dict]:
    """Loads, checks and trains every file from `backends`; returns one row per file and loader."""
    from nnzoo._compile import execution_defaults

    rows = []
    for file in files_from(folder, backends):
        stem = os.path.join(folder, file[: -len(".keras")])
        name = file[: -len(".keras")].split("-", 1)[1]
        X, want = np.load(stem + ".x.npy"), np.load(stem + ".pred.npy")
        _, y = example_data(nnzoo.get_entry(name), main_task(name), n=len(X))
        for loader, load_model in (("keras", keras.saving.load_model), ("nnzoo", nnzoo.load_model)):
            model = load_model(stem + ".keras")
            diff = float(np.max(np.abs(run(model, X) - want)))
            assert diff <= TOLERANCE, (file, loader, diff)
            if loader == "keras":
                loss = model.fit(X, y, epochs=1, batch_size=4, verbose=0).history["loss"][0]
                assert np.isfinite(loss), (file, loader, loss)
            else:
                want_settings = execution_defaults()
                assert (model.steps_per_execution, model.jit_compile) == (
                    want_settings["steps_per_execution"], want_settings["jit_compile"]), file
            rows.append({"file": file, "loader": loader, "on": keras.backend.backend(), "max_abs_diff": diff})
    return rows


def write_rows(folder: str, rows: list[dict]) -> None:
    with open(os.path.join(folder, f"{keras.backend.backend()}.{os.getpid()}.rows.json"), "w") as fh:
        json.dump(rows, fh)


def read_rows(folder: str) -> list[dict]:
    rows = []
    for f in sorted(os.listdir(folder)):
        if f.endswith(".rows.json"):
            with open(os.path.join(folder, f)) as fh:
                rows += json.load(fh)
    return rows
