"""nnzoo on JAX and PyTorch, each in its own process (the rest of the suite runs on TensorFlow).

Skipped for a backend whose package is not installed (`pip install
"nnzoo[jax]"`, `pip install "nnzoo[torch]" torch==2.13.0`).
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
BACKENDS = ["tensorflow", "jax", "torch"]


def _installed(backend):
    return importlib.util.find_spec(backend) is not None


def _run(backend, *args, timeout=600):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS.parent), env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=timeout,
                          cwd=TESTS.parent)
    assert done.returncode == 0, f"{backend}: {' '.join(args)}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_checks_pass(backend):
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    out = _run(backend, "-m", "pytest", str(TESTS / "backend_checks.py"), "-q", "-p", "no:cacheprovider")
    assert " passed" in out and "failed" not in out


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason="known bug, issue 13 open: a file saved on PyTorch loads and predicts on "
                   "TensorFlow, but training it there fails in torch's no_grad wrapper ('expected Tensor ... got "
                   "ResourceVariable')")
def test_files_load_predict_and_train_on_every_other_backend(tmp_path):
    backends = [b for b in BACKENDS if _installed(b)]
    if len(backends) < 2:
        pytest.skip("needs a second Keras backend (jax or torch)")
    for backend in backends:
        _run(backend, str(TESTS / "backend_roundtrip.py"), "save", str(tmp_path))
    for backend in backends:
        rows = [json.loads(line) for line in _run(backend, str(TESTS / "backend_roundtrip.py"), "load", str(tmp_path)).splitlines()
                if line.startswith("{")]
        others = {f for f in os.listdir(tmp_path) if f.endswith(".keras") and not f.startswith(f"{backend}-")}
        assert {r["file"] for r in rows} == others and len(rows) == 2 * len(others)
        assert all(r["max_abs_diff"] <= 1e-5 for r in rows)
