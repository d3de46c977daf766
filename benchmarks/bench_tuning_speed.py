"""Tuning speed: `tune(..., cv=3)` before and after its levers, and against what users write instead.

Data: scikit-learn's bundled digits, flattened, pixels / 16. Model: the
two-layer FFNN (64, 32), only the learning rate searched (log-uniform
1e-4 .. 1e-2), 3 stratified folds per trial, at most `epochs` epochs per
fold, early stopping on `val_loss` with the best weights restored; a
trial's score is its mean validation accuracy over the folds.

Contenders, run interleaved (each round runs every contender once, in a
rotated order, with the round's seed), so a loaded machine slows all alike:

- `nnzoo sequential`: `tune(..., cv_mode="sequential")`, one model per
  fold, one after the other (the search as it was before the levers);
- `nnzoo stacked, no reuse`: `cv_mode="stacked"` with the kept graph
  switched off (every trial builds and traces again): lever 1 alone;
- `nnzoo stacked`: `cv_mode="stacked"` (the default): the folds side by
  side in one graph, kept for the next trial while only the rate changes;
- `keras-tuner hand-written`: a `keras_tuner.Tuner` whose `run_trial` loops
  over the folds with plain Keras models and `model.fit` on arrays;
- `optuna`: Optuna's default sampler driving the same plain-Keras CV loop.

Prints a markdown table (median wall time and its spread over rounds, the
best CV accuracy, and each contender's time as a ratio of `nnzoo stacked`)
and each lever's share of the time saved.

    python benchmarks/bench_tuning_speed.py            # full run
    python benchmarks/bench_tuning_speed.py --quick    # smoke test (small data, few trials)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FULL = dict(samples=None, cv=3, trials=6, epochs=9, patience=3, rounds=3, hidden=(64, 32), batch_size=32)
QUICK = dict(samples=120, cv=2, trials=2, epochs=2, patience=1, rounds=1, hidden=(8,), batch_size=32)
LR_RANGE = (1e-4, 1e-2)


def load(samples, seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    if samples is not None:
        X, _, y, _ = train_test_split(X, y, train_size=samples, stratify=y, random_state=seed)
    return X, y


# --------------------------------------------------------------------------- nnzoo


def run_nnzoo(X, y, cfg, seed, directory, *, cv_mode: str, reuse: bool = True) -> tuple[float, float]:
    from nnzoo.tuning import _stacked, tune

    _stacked.KEEP_GRAPH = reuse
    try:
        start = time.perf_counter()
        result = tune("ffnn", X, y, algorithm="random", max_trials=cfg["trials"], cv=cfg["cv"], epochs=cfg["epochs"],
                      patience=cfg["patience"], batch_size=cfg["batch_size"], hidden_units=cfg["hidden"],
                      activation="relu", dropout=0.0, batch_norm=False, l2=0.0, seed=seed, refit=False, verbose=0,
                      directory=directory, overwrite=True, cv_mode=cv_mode)
        return time.perf_counter() - start, float(result.best_score)
    finally:
        _stacked.KEEP_GRAPH = True


# --------------------------------------------------------------------------- plain Keras


def plain_cv_score(X, y, folds, lr: float, cfg, seed: int) -> float:
    """Mean validation accuracy over the folds of a plain Keras FFNN, early stopping with best weights."""
    import keras
    import numpy as np

    scores = []
    for k, (train, val) in enumerate(folds):
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed + k)
        layers = [keras.Input(X.shape[1:])] + [keras.layers.Dense(u, activation="relu") for u in cfg["hidden"]]
        model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg["patience"], restore_best_weights=True)
        model.fit(X[train], y[train], validation_data=(X[val], y[val]), epochs=cfg["epochs"],
                  batch_size=cfg["batch_size"], callbacks=[stop], verbose=0)
        scores.append(model.evaluate(X[val], y[val], verbose=0, return_dict=True)["accuracy"])
    return float(np.mean(scores))


def _folds(X, y, cfg, seed):
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(cfg["cv"], shuffle=True, random_state=seed).split(X, y))


def run_keras_tuner(X, y, cfg, seed, directory) -> tuple[float, float]:
    import contextlib
    import io

    import keras_tuner

    folds = _folds(X, y, cfg, seed)

    class CVTuner(keras_tuner.Tuner):
        def run_trial(self, trial, *args, **kwargs):
            lr = trial.hyperparameters.Float("learning_rate", *LR_RANGE, sampling="log")
            return {"val_accuracy": plain_cv_score(X, y, folds, lr, cfg, seed)}

    oracle = keras_tuner.oracles.RandomSearchOracle(objective=keras_tuner.Objective("val_accuracy", "max"),
                                                    max_trials=cfg["trials"], seed=seed + 1)
    start = time.perf_counter()
    tuner = CVTuner(oracle=oracle, directory=directory, project_name="kt", overwrite=True)
    tuner.oracle.verbose = 0
    with contextlib.redirect_stdout(io.StringIO()):
        tuner.search()
    best = tuner.oracle.get_best_trials(1)[0].score
    return time.perf_counter() - start, float(best)


def run_optuna(X, y, cfg, seed, directory) -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folds = _folds(X, y, cfg, seed)
    start = time.perf_counter()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: plain_cv_score(X, y, folds, t.suggest_float("learning_rate", *LR_RANGE, log=True),
                                            cfg, seed), n_trials=cfg["trials"])
    return time.perf_counter() - start, float(study.best_value)


CONTENDERS = {
    "nnzoo sequential": lambda *a: run_nnzoo(*a, cv_mode="sequential"),
    "nnzoo stacked, no reuse": lambda *a: run_nnzoo(*a, cv_mode="stacked", reuse=False),
    "nnzoo stacked": lambda *a: run_nnzoo(*a, cv_mode="stacked"),
    "keras-tuner hand-written": run_keras_tuner,
    "optuna": run_optuna,
}


def measure(cfg, directory) -> dict[str, list[tuple[float, float]]]:
    names = list(CONTENDERS)
    results: dict[str, list] = {n: [] for n in names}
    for r in range(cfg["rounds"]):
        X, y = load(cfg["samples"], seed=r)
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            results[name].append(CONTENDERS[name](X, y, cfg, r, os.path.join(directory, f"{r}_{len(results[name])}")))
    return results


def report(results, cfg) -> str:
    med = {n: statistics.median(t for t, _ in rows) for n, rows in results.items()}
    ref = med["nnzoo stacked"]
    lines = [
        f"Digits ({'all' if cfg['samples'] is None else cfg['samples']} samples), FFNN {cfg['hidden']}, learning rate "
        f"only, {cfg['trials']} trials, {cfg['cv']}-fold CV, <= {cfg['epochs']} epochs, patience {cfg['patience']}; "
        f"{cfg['rounds']} interleaved round(s); {platform.processor() or platform.machine()}, {os.cpu_count()} cores.",
        "",
        "| contender | median s | min-max s | best CV accuracy (per round) | x nnzoo stacked |",
        "|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        times = [t for t, _ in rows]
        scores = " ".join(f"{s:.3f}" for _, s in rows)
        lines.append(f"| {name} | {med[name]:.1f} | {min(times):.1f}-{max(times):.1f} | {scores} | "
                     f"{med[name] / ref:.2f} |")
    saved = med["nnzoo sequential"] - ref
    if saved > 0:
        stack = med["nnzoo sequential"] - med["nnzoo stacked, no reuse"]
        lines += ["", f"Time saved against sequential: {saved:.1f} s; folds in one graph: {stack / saved:.0%}, "
                      f"the kept graph (no tracing again): {(saved - stack) / saved:.0%}."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: small data, few trials")
    parser.add_argument("--directory", default=None, help="folder for search state (default: a temporary one)")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(cfg, args.directory or tmp)
    print(report(results, cfg), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
