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
  side in one graph, kept for the next trial while only the rate changes
  (one process, TensorFlow's default threads: all cores for one trial);
- `nnzoo stacked, N jobs`: the same with `n_jobs=N` (N = the cores): N
  trials at once, one worker process each with cores // N threads; against
  `nnzoo stacked` this is the split between threads per trial and trials
  at once;
- `nnzoo stacked, pruned`: the same with `prune=PRUNE` (a trial stops at
  half its epochs when every fold's best accuracy so far is more than
  PRUNE below the best trial's); the table counts the trials it pruned;
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
PRUNE = 0.05
JOBS = max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def load(samples, seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    if samples is not None:
        X, _, y, _ = train_test_split(X, y, train_size=samples, stratify=y, random_state=seed)
    return X, y


# --------------------------------------------------------------------------- nnzoo


def run_nnzoo(X, y, cfg, seed, directory, *, cv_mode: str, reuse: bool = True, n_jobs: int = 1,
              prune: float | None = None) -> tuple[float, float, int]:
    from nnzoo.tuning import _stacked, tune

    _stacked.KEEP_GRAPH = reuse
    try:
        start = time.perf_counter()
        result = tune("ffnn", X, y, algorithm="random", max_trials=cfg["trials"], cv=cfg["cv"], epochs=cfg["epochs"],
                      patience=cfg["patience"], batch_size=cfg["batch_size"], hidden_units=cfg["hidden"],
                      activation="relu", dropout=0.0, batch_norm=False, l2=0.0, seed=seed, refit=False, verbose=0,
                      directory=directory, overwrite=True, cv_mode=cv_mode, n_jobs=n_jobs, prune=prune)
        return time.perf_counter() - start, float(result.best_score), result.pruned
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


def run_keras_tuner(X, y, cfg, seed, directory) -> tuple[float, float, int]:
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
    return time.perf_counter() - start, float(best), 0


def run_optuna(X, y, cfg, seed, directory) -> tuple[float, float, int]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folds = _folds(X, y, cfg, seed)
    start = time.perf_counter()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: plain_cv_score(X, y, folds, t.suggest_float("learning_rate", *LR_RANGE, log=True),
                                            cfg, seed), n_trials=cfg["trials"])
    return time.perf_counter() - start, float(study.best_value), 0


CONTENDERS = {
    "nnzoo sequential": lambda *a: run_nnzoo(*a, cv_mode="sequential"),
    "nnzoo stacked, no reuse": lambda *a: run_nnzoo(*a, cv_mode="stacked", reuse=False),
    "nnzoo stacked": lambda *a: run_nnzoo(*a, cv_mode="stacked"),
    f"nnzoo stacked, {JOBS} jobs": lambda *a: run_nnzoo(*a, cv_mode="stacked", n_jobs=JOBS),
    "nnzoo stacked, pruned": lambda *a: run_nnzoo(*a, cv_mode="stacked", prune=PRUNE),
    "keras-tuner hand-written": run_keras_tuner,
    "optuna": run_optuna,
}


def measure(cfg, directory) -> dict[str, list[tuple[float, float, int]]]:
    names = list(CONTENDERS)
    results: dict[str, list] = {n: [] for n in names}
    for r in range(cfg["rounds"]):
        X, y = load(cfg["samples"], seed=r)
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            results[name].append(CONTENDERS[name](X, y, cfg, r, os.path.join(directory, f"{r}_{len(results[name])}")))
            seconds, score, pruned = results[name][-1]
            print(f"round {r + 1} | {name} | {seconds:.1f} s | best {score:.3f} | pruned {pruned} | "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        if r < cfg["rounds"] - 1:
            print(f"after round {r + 1}:\n{report(results, cfg)}\n", flush=True)  # a long run's partial result
    return results


def _spread(values) -> float:
    return max(values) - min(values)


def report(results, cfg) -> str:
    med = {n: statistics.median(row[0] for row in rows) for n, rows in results.items()}
    seq = med["nnzoo sequential"]
    lines = [
        f"Digits ({'all' if cfg['samples'] is None else cfg['samples']} samples), FFNN {cfg['hidden']}, learning rate "
        f"only, random search, {cfg['trials']} trials, {cfg['cv']}-fold CV, <= {cfg['epochs']} epochs, patience "
        f"{cfg['patience']}; {cfg['rounds']} interleaved round(s); {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| contender | median s | min-max s | best CV accuracy (per round) | pruned trials | x faster than sequential |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        times = [t for t, _, _ in rows]
        scores = " ".join(f"{s:.3f}" for _, s, _ in rows)
        pruned = " ".join(str(p) for _, _, p in rows) if "pruned" in name else "-"
        lines.append(f"| {name} | {med[name]:.1f} | {min(times):.1f}-{max(times):.1f} | {scores} | {pruned} | "
                     f"{seq / med[name]:.2f} |")
    jobs = next(n for n in results if n.endswith(" jobs"))
    levers = [("folds in one graph (lever 1)", "nnzoo sequential", "nnzoo stacked, no reuse"),
              ("the kept graph (lever 1, no tracing again)", "nnzoo stacked, no reuse", "nnzoo stacked"),
              (f"trials at once: {jobs[len('nnzoo stacked, '):]} x 1 thread instead of 1 x all (lever 2)",
               "nnzoo stacked", jobs),
              (f"pruning, margin {PRUNE} (lever 4)", "nnzoo stacked", "nnzoo stacked, pruned")]
    lines += ["", "Each lever's share (seconds saved by switching it on, as a share of the sequential time; "
                  "negative: it costs time here):"]
    for what, before, after in levers:
        saved = med[before] - med[after]
        lines.append(f"- {what}: {saved:+.1f} s ({saved / seq:+.0%})")
    nnzoo = [n for n in results if n.startswith("nnzoo stacked")]
    best = min(nnzoo, key=med.get)
    seq_scores = [s for _, s, _ in results["nnzoo sequential"]]
    best_scores = [s for _, s, _ in results[best]]
    spread = max(_spread(seq_scores), _spread(best_scores), 0.005)
    same = abs(statistics.median(best_scores) - statistics.median(seq_scores)) <= spread
    lines += ["", f"Fastest nnzoo setting: {best} ({med[best]:.1f} s); its median best score "
                  f"{statistics.median(best_scores):.3f} against sequential's {statistics.median(seq_scores):.3f} "
                  f"(seed spread {spread:.3f}): {'the same' if same else 'NOT the same'} within the spread."]
    for goal, other in (("at most a third of the sequential time", "nnzoo sequential"),
                        ("at least 3x faster than a hand-written keras-tuner CV loop", "keras-tuner hand-written"),
                        ("at least 3x faster than Optuna over a plain-Keras CV loop", "optuna")):
        ratio = med[other] / med[best]
        lows = [t for t, _, _ in results[other]]
        highs = [t for t, _, _ in results[best]]
        worst, luckiest = min(lows) / max(highs), max(lows) / min(highs)
        verdict = ("met" if worst >= 3 else "met on the medians only (not in every round)" if ratio >= 3
                   else "not met")
        lines.append(f"- Goal {goal}: {ratio:.2f}x (range over rounds {worst:.2f}-{luckiest:.2f}x): {verdict}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: small data, few trials")
    parser.add_argument("--directory", default=None, help="folder for search state (default: a temporary one)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3; 1 with --quick)")
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.rounds is not None:
        cfg["rounds"] = args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(cfg, args.directory or tmp)
    print(report(results, cfg), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
