"""Tuning benchmark: Hyperband against random search on digits, and memory over many trials.

Data: scikit-learn's bundled digits, flattened, pixels / 16. Model: `ffnn`.

1. Search quality at equal budget. Hyperband runs first; its budget is the
   number of training epochs it used (summed over trials and folds). Random
   search then gets the same budget: it resumes its own project with more
   trials until it has trained at least as many epochs. Both score each trial
   by stratified k-fold CV accuracy; the table gives the best trial's CV
   accuracy, the epochs used, the trials run and the wall time.
2. Memory: one random search in this process, 3 trials then resumed to 30;
   process RSS after each (the growth must stay within 100 MB: each trial
   frees the previous model's graph).

Prints markdown tables; exits 1 if the memory growth exceeds the limit.

    python benchmarks/bench_tuning.py            # full run
    python benchmarks/bench_tuning.py --quick    # smoke test (small data, few trials)
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Run from a checkout without installing: the repository root holds the nnzoo package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

MEMORY_LIMIT_MB = 100.0

FULL = dict(samples=None, cv=3, epochs=9, patience=3, hyperband_trials=20, memory_trials=(3, 30), memory_epochs=3,
            fixed={})
# One graph call per batch is cheaper than the default 8 for these few, tiny batches.
QUICK = dict(samples=150, cv=2, epochs=2, patience=1, hyperband_trials=2, memory_trials=(1, 2), memory_epochs=1,
             fixed={"steps_per_execution": 1})


def load(samples: int | None, seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype("float32")
    if samples is not None:
        X, _, y, _ = train_test_split(X, y, train_size=samples, stratify=y, random_state=seed)
    return X, y


def rss_mb() -> float:
    import psutil

    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def search_quality(X, y, cfg: dict, directory: str, seed: int) -> list[dict]:
    from nnzoo.tuning import tune

    common = dict(cv=cfg["cv"], epochs=cfg["epochs"], patience=cfg["patience"], batch_size=32, seed=seed,
                  refit=False, verbose=0, directory=directory, **cfg["fixed"])
    rows = []
    start = time.perf_counter()
    hb = tune("ffnn", X, y, algorithm="hyperband", max_trials=cfg["hyperband_trials"], project_name="hyperband",
              overwrite=True, **common)
    rows.append(_row("Hyperband (factor 3)", hb, time.perf_counter() - start))
    budget = float(hb.trials["epochs_run"].sum())

    start, trials, used = time.perf_counter(), 1, 0.0
    while True:  # resume the same project with more trials until the epoch budget is spent
        rs = tune("ffnn", X, y, algorithm="random", max_trials=trials, project_name="random",
                  overwrite=trials == 1, **common)
        used = float(rs.trials["epochs_run"].sum())
        if used >= budget:
            break
        per_trial = used / len(rs.trials)
        trials = len(rs.trials) + max(1, math.ceil((budget - used) / per_trial))
    rows.append(_row("Random search", rs, time.perf_counter() - start))
    return rows


def _row(name: str, result, seconds: float) -> dict:
    done = result.trials[result.trials["status"] == "COMPLETED"]
    return {
        "algorithm": name,
        "trials": len(result.trials),
        "epochs": int(result.trials["epochs_run"].sum()),
        "best_cv_accuracy": float(done["score"].max()),
        "best": result.best_hyperparameters,
        "seconds": seconds,
    }


def memory_growth(X, y, cfg: dict, directory: str, seed: int) -> dict:
    from nnzoo.tuning import tune

    first, last = cfg["memory_trials"]
    common = dict(algorithm="random", epochs=cfg["memory_epochs"], patience=None, batch_size=32, seed=seed,
                  refit=False, verbose=0, directory=directory, project_name="memory", **cfg["fixed"])
    tune("ffnn", X, y, max_trials=first, overwrite=True, **common)
    after_first = rss_mb()
    result = tune("ffnn", X, y, max_trials=last, **common)  # resumes: trials first+1 .. last
    after_last = rss_mb()
    if len(result.trials) != last:
        raise RuntimeError(f"expected {last} trials after resuming, found {len(result.trials)}")
    return {"first": first, "last": last, "rss_first": after_first, "rss_last": after_last,
            "growth": after_last - after_first}


def report(quality: list[dict], memory: dict, cfg: dict, n: int, quick: bool) -> str:
    lines = [
        f"Digits ({n} samples, 64 features / 16), `ffnn`, {cfg['cv']}-fold stratified CV per trial, "
        f"at most {cfg['epochs']} epochs per fold (early-stopping patience {cfg['patience']}); "
        "random search gets Hyperband's epoch budget." + (" QUICK settings." if quick else ""),
        "",
        "| search | trials | epochs trained | best CV accuracy | wall time (s) |",
        "|---|---|---|---|---|",
    ]
    for r in quality:
        lines.append(f"| {r['algorithm']} | {r['trials']} | {r['epochs']} | {r['best_cv_accuracy']:.4f} | "
                     f"{r['seconds']:.0f} |")
    lines += ["", *(f"- best {r['algorithm']}: {r['best']}" for r in quality), ""]
    verdict = "OK" if memory["growth"] <= MEMORY_LIMIT_MB else "TOO MUCH"
    lines += [
        f"Memory: one process, random search resumed from {memory['first']} to {memory['last']} trials.",
        "",
        "| after trials | process RSS (MB) |",
        "|---|---|",
        f"| {memory['first']} | {memory['rss_first']:.0f} |",
        f"| {memory['last']} | {memory['rss_last']:.0f} |",
        f"| growth | {memory['growth']:+.0f} (limit {MEMORY_LIMIT_MB:.0f}: {verdict}) |",
        "",
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPU(s).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data and few trials (a smoke test)")
    parser.add_argument("--directory", default=None, help="where to keep the searches (default: a temp folder)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    X, y = load(cfg["samples"], args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.directory or tmp
        quality = search_quality(X, y, cfg, directory, args.seed)
        memory = memory_growth(X, y, cfg, directory, args.seed)
    print(report(quality, memory, cfg, len(X), args.quick), flush=True)
    return 0 if memory["growth"] <= MEMORY_LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
