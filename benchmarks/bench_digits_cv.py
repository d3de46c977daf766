"""Quality bar: the default CNN on digits, against scikit-learn, on the same folds.

Stratified 5-fold CV on scikit-learn's bundled digits (8x8x1, pixels / 16).
nnzoo's default `build_cnn` trains with the library's recipe
(`nnzoo.training.train`: `nnzoo.fit` with `standard_callbacks`) on an inner
validation split (10% of each training fold); SVC and MLPClassifier use
scikit-learn defaults on the same folds. Prints a markdown table.

    python benchmarks/bench_digits_cv.py            # full run
    python benchmarks/bench_digits_cv.py --quick    # smoke test (2 folds, 2 epochs)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np


def run(folds: int = 5, epochs: int = 100, seed: int = 0) -> list[dict]:
    import keras
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    import nnzoo
    from nnzoo.training import train

    digits = load_digits()
    X = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    flat = X.reshape(len(X), -1)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores: dict[str, list[float]] = {"nnzoo build_cnn (default)": [], "sklearn SVC": [], "sklearn MLPClassifier": []}
    times: dict[str, float] = dict.fromkeys(scores, 0.0)
    for k, (tr, te) in enumerate(splitter.split(flat, y)):
        keras.utils.set_random_seed(seed + k)
        start = time.perf_counter()
        X_tr, X_val, y_tr, y_val = train_test_split(X[tr], y[tr], test_size=0.1, stratify=y[tr], random_state=seed + k)
        model = nnzoo.build_cnn(X.shape[1:], num_classes=10)
        train(model, X_tr, y_tr, validation_data=(X_val, y_val), epochs=epochs, batch_size=32,
              patience=12, seed=seed + k, verbose=0)
        acc = float(np.mean(np.argmax(model.predict(X[te], verbose=0), axis=1) == y[te]))
        scores["nnzoo build_cnn (default)"].append(acc)
        times["nnzoo build_cnn (default)"] += time.perf_counter() - start
        keras.backend.clear_session()
        for name, est in (("sklearn SVC", SVC()), ("sklearn MLPClassifier", MLPClassifier(max_iter=1000, random_state=seed))):
            start = time.perf_counter()
            scores[name].append(float(est.fit(flat[tr], y[tr]).score(flat[te], y[te])))
            times[name] += time.perf_counter() - start
    return [
        {"model": name, "mean_accuracy": float(np.mean(s)), "std": float(np.std(s)), "seconds": times[name]}
        for name, s in scores.items()
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 folds, 2 epochs: checks the script runs")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args(argv)
    folds, epochs = (2, 2) if args.quick else (args.folds, args.epochs)
    rows = run(folds=folds, epochs=epochs)
    print(f"Digits, stratified {folds}-fold CV, same folds; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print("| model | mean accuracy | std | total fit time (s) |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['mean_accuracy']:.4f} | {r['std']:.4f} | {r['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
