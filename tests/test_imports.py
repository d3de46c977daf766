"""`import nnzoo` stays cheap: heavy and optional modules load only where they are needed."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Modules nnzoo must not pull in on import (keras and tensorflow load on the first build).
HEAVY = ("keras", "tensorflow", "keras_tuner", "tensorboard", "sklearn", "sklearn.model_selection", "pandas",
         "matplotlib", "scipy", "torch", "ai_edge_litert")
#: Optional parts only their own modules may import, even after keras has loaded.
OPTIONAL = ("keras_tuner", "tensorboard", "torch", "ai_edge_litert")


def _loaded_after(code: str) -> dict:
    """`{label: [heavy modules loaded]}` at each `_mark(label)` of `code`, in a fresh interpreter."""
    script = (
        "import json, sys\n"
        f"HEAVY = {HEAVY!r}\n"
        "marks = {}\n"
        "def _mark(label):\n"
        "    marks[label] = [m for m in HEAVY if m in sys.modules]\n"
        f"{code}\n"
        "print('MARKS=' + json.dumps(marks))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("MARKS="))
    return json.loads(line[len("MARKS="):])


def _run_all(codes: dict) -> dict:
    """Runs the snippets concurrently (each in its own interpreter)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(codes)) as pool:
        futures = {name: pool.submit(_loaded_after, code) for name, code in codes.items()}
        return {name: f.result() for name, f in futures.items()}


def test_heavy_modules_load_only_where_needed():
    marks = _run_all({
        # nnzoo imports nothing heavy, so what `import keras` adds next is keras's own share.
        "nnzoo": "import nnzoo\n_mark('nnzoo')\nimport keras\n_mark('keras')\n"
                 "nnzoo.build_ffnn((4,), task='binary')\n_mark('build')\n",
        "callbacks": "import nnzoo.callbacks\n_mark('callbacks')\n",
        "evaluate": "import nnzoo\nnnzoo.evaluate\n_mark('evaluate')\n",
    })
    # `nnzoo.evaluate` is a function, loaded on first use; scikit-learn waits until it scores.
    assert marks["evaluate"]["evaluate"] == []
    # `import nnzoo` loads none of them, not even keras.
    assert marks["nnzoo"]["nnzoo"] == []
    # `import keras` itself imports some (pandas, scikit-learn, matplotlib, scipy when installed):
    # nnzoo adds none beyond those, and never the optional parts.
    keras_own = set(marks["nnzoo"]["keras"])
    for label, loaded in (("import nnzoo.callbacks", marks["callbacks"]["callbacks"]),
                          ("nnzoo.build_ffnn", marks["nnzoo"]["build"])):
        extra = set(loaded) - keras_own
        assert not extra, f"{label} imports {sorted(extra)} beyond what `import keras` imports"
        assert not set(loaded) & set(OPTIONAL), f"{label} imports {sorted(set(loaded) & set(OPTIONAL))}"
    assert "keras" in marks["callbacks"]["callbacks"]
