"""nnzoo on JAX and PyTorch, each in its own process (the rest of the suite runs on TensorFlow).

One child process per backend runs `tests/backend_checks.py` (the registry
harness and the rest of the package on that backend); the same processes,
and this one for TensorFlow, save the FFNN, CNN and LSTM into one folder and
load what the other backends saved (`tests/backend_roundtrip.py`). PyTorch
runs in two processes, so that it loads JAX's files as JAX loads its own:

1. TensorFlow (here) saves;
2. PyTorch trains and saves its families, and loads TensorFlow's files;
3. JAX runs every check, saves, and loads TensorFlow's and PyTorch's files;
4. PyTorch runs the other checks and loads JAX's files;
5. TensorFlow (here) loads JAX's and PyTorch's files.

A backend whose package is not installed is left out (`pip install
"nnzoo[jax]"`, `pip install "nnzoo[torch]" torch==2.13.0`); its process
then runs every check alone. JAX's child compiles with XLA's backend
optimisation level 0: its checks are dominated by compiling many tiny
programs (each initializer shape, each op run eagerly, each train step),
which that makes about 2.5x cheaper, and what they assert does not depend
on how fast the compiled code runs.
"""

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).parent
OTHERS = [b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None]


def _child(backend, folder, load_from, select=None, timeout=1800):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "NNZOO_BACKEND_FILES": str(folder), "NNZOO_LOAD_FROM": ",".join(load_from)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS.parent), str(TESTS), env.get("PYTHONPATH")) if p)
    if backend == "jax":
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()
    args = [sys.executable, "-m", "pytest", str(TESTS / "backend_checks.py"), "-q", "-p", "no:cacheprovider"]
    args += ["-k", select] if select else []
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout, cwd=TESTS.parent)
    except subprocess.TimeoutExpired as err:  # a hang: reported by the tests that need this child
        return {"backend": backend, "select": select, "rc": None, "out": f"{backend} -k {select!r}: {err}"}
    return {"backend": backend, "select": select, "rc": done.returncode,
            "out": f"{backend} -k {select!r}:\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"}


def _plan():
    """`(backend, tests selected, backends whose files it loads)` per child, in order."""
    if OTHERS == ["torch", "jax"]:
        return [("torch", "family or other_backends", ["tensorflow"]), ("jax", None, ["tensorflow", "torch"]),
                ("torch", "not family", ["jax"])]
    return [(b, None, ["tensorflow"]) for b in OTHERS]


@pytest.fixture(scope="module")
def backend_runs(tmp_path_factory):
    """Runs the plan once: TensorFlow saves here, the children check, save and load."""
    import backend_roundtrip

    folder = tmp_path_factory.mktemp("backend_files")
    for name in backend_roundtrip.MODELS:
        backend_roundtrip.check_and_save(name, tmp_path_factory.mktemp(name), str(folder))
    runs = [_child(b, folder, load_from, select) for b, select, load_from in _plan()]
    rows = backend_roundtrip.load(str(folder), OTHERS) if OTHERS else []
    backend_roundtrip.write_rows(str(folder), rows)
    return folder, runs


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_checks_pass(backend, backend_runs):
    if backend not in OTHERS:
        pytest.skip(f"{backend} is not installed")
    _, runs = backend_runs
    mine = [r for r in runs if r["backend"] == backend]
    for r in mine:
        assert r["rc"] == 0 and " passed" in r["out"] and " failed" not in r["out"], r["out"]


@pytest.mark.slow
def test_files_load_predict_and_train_on_every_other_backend(backend_runs):
    import backend_roundtrip

    if not OTHERS:
        pytest.skip("needs a second Keras backend (jax or torch)")
    folder, runs = backend_runs
    backends = ["tensorflow", *OTHERS]
    saved = {f"{b}-{name}.keras" for b in backends for name in backend_roundtrip.MODELS}
    assert set(backend_roundtrip.files_from(folder, backends)) == saved, [r["out"] for r in runs if r["rc"]]
    rows = backend_roundtrip.read_rows(folder)
    loaded = {(r["file"], r["on"], r["loader"]) for r in rows}
    want = {(f, b, loader) for f in saved for b in backends if not f.startswith(f"{b}-") for loader in ("keras", "nnzoo")}
    assert loaded == want and len(rows) == len(want), [r["out"] for r in runs if r["rc"]]
    assert all(r["max_abs_diff"] <= backend_roundtrip.TOLERANCE for r in rows)


def _optimizer_entry(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))["compile_config"]["optimizer"]


def test_load_model_repairs_a_file_with_pytorchs_private_optimizer(tmp_path):
    """A `model.save` file from PyTorch names `keras.src.backend.torch...`; nnzoo.load_model trains it here."""
    import keras

    import nnzoo
    from nnzoo._io import _copy_zip

    X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = (X[:, 0] > 0).astype("int32")
    model = nnzoo.build_ffnn((4,), task="binary", learning_rate=0.005)
    model.fit(X, y, epochs=1, batch_size=8, verbose=0)
    plain = tmp_path / "plain.keras"
    model.save(plain)
    with zipfile.ZipFile(plain) as zf:
        config = json.loads(zf.read("config.json"))
    config["compile_config"]["optimizer"].update(module="keras.src.backend.torch.optimizers.torch_adam",
                                                 registered_name="Adam")
    torch_file = tmp_path / "torch.keras"
    _copy_zip(str(plain), str(torch_file), {"config.json": json.dumps(config).encode()})
    before = torch_file.read_bytes()

    loaded = nnzoo.load_model(torch_file)
    assert type(loaded.optimizer) is keras.optimizers.Adam
    assert int(loaded.optimizer.iterations) == 2 and np.isclose(float(loaded.optimizer.learning_rate), 0.005)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    assert np.isfinite(loaded.fit(X, y, epochs=1, batch_size=8, verbose=0).history["loss"][0])
    assert torch_file.read_bytes() == before  # the file itself is left alone
    # nnzoo.save_model writes the public class whatever the model holds.
    assert _optimizer_entry(nnzoo.save_model(loaded, tmp_path / "again.keras"))["module"] == "keras.optimizers"
