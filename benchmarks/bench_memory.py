"""Memory benchmark: process RSS while one process builds and fits many small models.

A hand-written CV loop or a notebook builds model after model in one
process. Each configuration below runs in a fresh interpreter, builds and
fits `models` CNNs (on 8x8x1 images) or FFNNs (on the 64 flat pixels) on
scikit-learn's bundled digits (one epoch each),
drops its reference to each, and reports the process RSS after the first
`early` models and after all of them; the growth per model is the
difference divided by the models in between.

Contenders: nnzoo (`nnzoo.build(family, ...)` + `nnzoo.fit`) and plain Keras
(a hand-written model of the same shape + `model.fit`). After each model:
nothing, `keras.backend.clear_session()`, or `nnzoo.release_memory()`.

Prints a markdown table.

    python benchmarks/bench_memory.py            # full run: RSS after 3 and 30 models (a few minutes)
    python benchmarks/bench_memory.py --quick    # smoke test: 2 and 4 models on 128 samples
    python benchmarks/bench_memory.py --models 15 --jobs 2   # fewer models, two rows at a time
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FULL = dict(early=3, models=30, samples=None)
QUICK = dict(early=2, models=4, samples=128)
FAMILIES = ("cnn", "ffnn")
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


def plain_keras_ffnn(num_classes: int):
    """A hand-written Keras FFNN the size of nnzoo's default `ffnn` on 64 features."""
    import keras

    inputs = keras.Input(shape=(64,))
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def worker(family: str, contender: str, release: str, early: int, models: int, samples: int | None) -> dict:
    """One configuration, in this process: RSS after `early` and after `models` models."""
    import keras
    from sklearn.datasets import load_digits

    import nnzoo

    X, y = load_digits(return_X_y=True)
    shape = (8, 8, 1) if family == "cnn" else (64,)
    X = (X / 16.0).astype("float32").reshape(-1, *shape)
    if samples:
        X, y = X[:samples], y[:samples]
    marks = {}
    for i in range(1, models + 1):
        if contender == "nnzoo":
            model = nnzoo.build(family, shape, num_classes=10)
            nnzoo.fit(model, X, y, epochs=1, batch_size=32, verbose=0)
        else:
            model = (plain_keras_cnn if family == "cnn" else plain_keras_ffnn)(10)
            model.fit(X, y, epochs=1, batch_size=32, verbose=0)
        del model
        if release == "clear_session":
            keras.backend.clear_session()
        elif release == "release_memory":
            nnzoo.release_memory()
        if i in (early, models):
            marks[i] = rss_mb()
    return {"early": marks[early], "late": marks[models]}


def one_row(family: str, contender: str, release: str, early: int, models: int, samples: int | None) -> dict:
    """Runs one configuration in a fresh interpreter and returns its table row."""
    args = json.dumps([family, contender, release, early, models, samples])
    code = (f"import json, sys; sys.path.insert(0, {os.path.join(ROOT, 'benchmarks')!r}); "
            "import bench_memory as b; "
            f"print('RESULT=' + json.dumps(b.worker(*json.loads({args!r}))))")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    result = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT="))[7:])
    per_model = (result["late"] - result["early"]) / (models - early)
    return {"family": family, "contender": contender, "release": release, **result, "per_model": per_model}


def run(early: int, models: int, samples: int | None, jobs: int = 1) -> list[dict]:
    """All rows, `jobs` fresh interpreters at a time (RSS is per process, so rows do not mix)."""
    configs = [(f, c, r) for f in FAMILIES for c in CONTENDERS for r in RELEASES]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda cfg: one_row(*cfg, early, models, samples), configs))


def table(rows: list[dict], early: int, models: int) -> str:
    lines = [f"| family | contender | after each model | RSS after {early} (MB) | RSS after {models} (MB) "
             "| growth per model (MB) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['family']} | {r['contender']} | {r['release']} | {r['early']:.0f} | {r['late']:.0f} "
                     f"| {r['per_model']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: few models, small data")
    parser.add_argument("--models", type=int, default=None, help="models per row (default 30; 4 with --quick)")
    parser.add_argument("--jobs", type=int, default=1, help="rows run at the same time (default 1)")
    args = parser.parse_args(argv)
    settings = dict(QUICK if args.quick else FULL)
    if args.models is not None:
        if args.models <= settings["early"]:
            parser.error(f"--models must be greater than {settings['early']}. Received: models={args.models}")
        settings["models"] = args.models
    rows = run(**settings, jobs=args.jobs)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _common import machine

    import keras  # noqa: F401 - so machine() names its version
    import tensorflow  # noqa: F401

    print(f"Machine: {machine()}")
    print(table(rows, settings["early"], settings["models"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
