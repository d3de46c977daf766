"""Sequence classification on UCR/UEA sets: nnzoo's sequence models beside published results.

Data: GunPoint, ItalyPowerDemand, BasicMotions and JapaneseVowels, the
official train/test splits bundled in `aeon` (`nnzoo.datasets.load_ucr`,
JapaneseVowels zero-padded to its longest series). Every nnzoo model is
built with its registry defaults and trained with nnzoo's one documented
recipe, `nnzoo.fit(..., validation_split=0.2, stratify=True)` with
`nnzoo.callbacks.standard_callbacks(patience=...)` (best weights restored):
the validation set is carved from the training split only, and the test
split is used once, for the score. Each model runs over several seeds
(model initialisation, shuffling and the validation hold-out); the table
gives the test accuracy as mean ± std and the CPU wall time per run
(fit + predict).

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


def load(name: str):
    import nnzoo

    return nnzoo.datasets.load_ucr(name)


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


def train_once(model_name: str, train, test, *, seed: int, epochs: int, patience: int, batch_size: int) -> dict:
    """One seed of one model: the recipe, then the test score; wall time of fit + predict."""
    import keras

    import nnzoo
    from nnzoo.callbacks import standard_callbacks

    keras.utils.set_random_seed(seed)
    model = nnzoo.build(model_name, train.input_shape, **train.build_kwargs())
    start = time.perf_counter()
    history = nnzoo.fit(
        model, train.X, train.y, epochs=epochs, batch_size=batch_size, validation_split=0.2, stratify=True,
        validation_seed=seed, callbacks=standard_callbacks(patience=patience), verbose=0,
    )
    proba = np.asarray(model.predict(test.X, batch_size=256, verbose=0))
    wall = time.perf_counter() - start
    pred = (proba[:, 0] > 0.5).astype(int) if proba.shape[1] == 1 else proba.argmax(axis=1)
    return {"accuracy": 100.0 * float(np.mean(pred == test.y)), "wall_s": wall, "epochs": len(history.history["loss"])}


def run(models=MODELS, datasets=tuple(DATASETS), seeds: int = 5, epochs: int = 500, patience: int = 50,
        batch_size: int = 16, baselines: bool = True, log=print) -> dict:
    """Runs the protocol; returns `{dataset: {row: {...}}}`."""
    results: dict = {}
    for name in datasets:
        train, test = load(name)
        rows: dict = {}
        if baselines:
            rows["1-NN Euclidean"] = {"accuracy": [one_nn_euclidean(train, test)]}
            start = time.perf_counter()
            rows["1-NN DTW (aeon)"] = {"accuracy": [one_nn_dtw(name)], "wall_s": [time.perf_counter() - start]}
        for model_name in models:
            runs = [train_once(model_name, train, test, seed=s, epochs=epochs, patience=patience, batch_size=batch_size)
                    for s in range(seeds)]
            rows[model_name] = {k: [r[k] for r in runs] for k in runs[0]}
            acc = rows[model_name]["accuracy"]
            log(f"{DATASETS[name]:>16} {model_name:>15}: {np.mean(acc):5.1f} ± {np.std(acc):4.1f} "
                f"({np.mean(rows[model_name]['wall_s']):.0f} s/run, epochs {rows[model_name]['epochs']})")
        results[name] = rows
    return results


def markdown(results: dict, *, seeds: int, epochs: int, patience: int) -> str:
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

    rows = [[f"nnzoo `{r}`" if not r.startswith("1-NN") else r] + [cell(results[n].get(r)) for n in names]
            for r in model_rows]
    for label, figures in PUBLISHED.items():
        rows.append([f"published {label} (Fawaz et al. 2019, 10 runs)"]
                    + [f"{figures[n]:.1f}" if n in figures else "–" for n in names])
    headers = ["test accuracy % (CPU s per run)"] + [DATASETS[n] for n in names]
    note = (f"{seeds} seed(s) per nnzoo model, at most {epochs} epochs, early stopping patience {patience} on a "
            f"stratified 20% validation split of the training set; {machine()}")
    return table(headers, rows) + "\n\n" + note


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 seed, 2 epochs, no DTW")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--patience", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated registry names")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated: " + ", ".join(DATASETS))
    parser.add_argument("--json", help="also write the raw results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.patience = 1, 2, 2
    models = tuple(m for m in args.models.split(",") if m)
    names = tuple(d for d in args.datasets.split(",") if d)
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; choose from {sorted(DATASETS)}")
    results = run(models, names, seeds=args.seeds, epochs=args.epochs, patience=args.patience,
                  batch_size=args.batch_size, baselines=not args.quick)
    print(markdown(results, seeds=args.seeds, epochs=args.epochs, patience=args.patience))
    if args.json:
        from pathlib import Path

        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
