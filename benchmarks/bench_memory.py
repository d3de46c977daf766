"""Memory benchmark: process RSS while one process builds and fits many small CNNs.

A hand-written CV loop or a notebook builds model after model in one
process. Each configuration below runs in a fresh interpreter, builds and
fits `models` CNNs on scikit-learn's bundled digits (8x8x1, one epoch each),
drops its reference to each, and reports the process RSS after the first
`early` models and after all of them; the growth per model is the
difference divided by the models in between.

Contenders: nnzoo (`nnzoo.build("cnn", ...)` + `nnzoo.fit`) and plain Keras
(a hand-written CNN of the same shape + `model.fit`). After each model:
nothing, `keras.backend.clear_session()`, or `nnzoo.release_memory()`.

Prints a markdown table.

    python benchmarks/bench_memory.py            # full run: RSS after 3 and 30 models (a few minutes)
    python benchmarks/bench_memory.py --quick    # smoke test: 2 and 4 models on 128 samples
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FULL = dict(early=3, models=30, samples=None)
QUICK = dict(early=2, models=4, samples=128)
CONTENDERS = ("nnzoo", "keras")
RELEASES = ("none", "clear_session", "release_memory")


def rss_mb() -> float:
    """The process's resident set size in MB (from /proc, else psutil)."""
    try:
        with open("/proc/self/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def plain_keras_cnn(num_classes: int):
    """A hand-written Keras CNN the size of nnzoo's default `cnn` on 8x8x1 inputs."""
    import keras

    inputs = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def worker(contender: str, release: str, early: int, models: int, samples: int | None) -> dict:
    """One configuration, in this process: RSS after `early` and after `models` models."""
    import keras
    from sklearn.datasets import load_digits

    import nnzoo

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    if samples:
        X, y = X[:samples], y[:samples]
    marks = {}
    for i in range(1, models + 1):
        if contender == "nnzoo":
            model = nnzoo.build("cnn", (8, 8, 1), num_classes=10)
            nnzoo.fit(model, X, y, epochs=1, batch_size=32, verbose=0)
        else:
            model = plain_keras_cnn(10)
            model.fit(X, y, epochs=1, batch_size=32, verbose=0)
        del model
        if release == "clear_session":
            keras.backend.clear_session()
        elif release == "release_memory":
            nnzoo.release_memory()
        if i in (early, models):
            marks[i] = rss_mb()
    return {"early": marks[early], "late": marks[models]}


def run(early: int, models: int, samples: int | None) -> list[dict]:
    rows = []
    for contender in CONTENDERS:
        for release in RELEASES:
            args = json.dumps([contender, release, early, models, samples])
            code = (f"import json, sys; sys.path.insert(0, {os.path.join(ROOT, 'benchmarks')!r}); "
                    "import bench_memory as b; "
                    f"print('RESULT=' + json.dumps(b.worker(*json.loads({args!r}))))")
            env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            result = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT="))[7:])
            per_model = (result["late"] - result["early"]) / (models - early)
            rows.append({"contender": contender, "release": release, **result, "per_model": per_model})
    return rows


def table(rows: list[dict], early: int, models: int) -> str:
    lines = [f"| contender | after each model | RSS after {early} (MB) | RSS after {models} (MB) | growth per model (MB) |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['contender']} | {r['release']} | {r['early']:.0f} | {r['late']:.0f} | {r['per_model']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: few models, small data")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    rows = run(**settings)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import machine

    import keras  # noqa: F401 - so machine() names its version
    import tensorflow  # noqa: F401

    print(f"Machine: {machine()}")
    print(table(rows, settings["early"], settings["models"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
