"""nnzoo's benchmark suite: one entry point, markdown tables.

Sections (all run by default, in this order):

- `throughput`: epoch time after the first epoch, batch 32, of the default
  FFNN and CNN on digits: nnzoo's default path (`build_*` + `nnzoo.fit`)
  against the same architecture in plain Keras (`compile` defaults,
  `model.fit` on NumPy) and in PyTorch eager on CPU (same layers, same
  initialiser family, Adam, `torch.set_num_threads` = TensorFlow's threads).
- `levers`: what each lever is worth on its own (`steps_per_execution`,
  `jit_compile`, the `nnzoo.fit` pipeline), with the price of
  `steps_per_execution` on a model's first `predict` calls: the evidence
  behind the defaults in `nnzoo/_compile.py`.
- `transfer`: `fit_cached` (the VGG16 base runs once, then only the head
  trains) against a naive `nnzoo.fit` of the frozen-base model.
- `startup`: `import nnzoo` against `import keras`, and a first model.
- `baselines`: 5-fold CV accuracy (R² for diabetes) and time of the zoo
  defaults against scikit-learn's MLP, SVM, linear model and
  HistGradientBoosting on the same folds.

Every timed row names both sides and gives their ratio; contenders run in
interleaved rounds in one process and each figure is a median over rounds,
so the ratios hold on a busy machine even when the absolute times do not.
The PyTorch rows are skipped when torch is not installed
(`pip install torch`, CPU build; the `bench` extra).

    python benchmarks/run.py                         # everything (about 20 min on 2 cores)
    python benchmarks/run.py --quick                 # tiny settings: checks it runs
    python benchmarks/run.py --only throughput --only startup
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
# The checkout this script lives in is the nnzoo it measures (installed or not).
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]

import _common as C  # noqa: E402

from nnzoo._compile import DEFAULT_STEPS_PER_EXECUTION, FACTORY_STEPS_PER_EXECUTION  # noqa: E402


def default_spe(kind: str) -> int:
    """The zoo's default steps_per_execution for `build_<kind>`."""
    return FACTORY_STEPS_PER_EXECUTION.get(f"build_{kind}", DEFAULT_STEPS_PER_EXECUTION)

SECTIONS = ("throughput", "levers", "transfer", "startup", "baselines")

#: Full and quick settings of each section.
SETTINGS = {
    "throughput": {"full": dict(rounds=6, epochs=10, n=None, kinds=("ffnn", "cnn")),
                   "quick": dict(rounds=1, epochs=2, n=160, kinds=("ffnn",))},
    "levers": {"full": dict(rounds=5, epochs=4, n=None, spes=(1, 4, 8, 16, 32, 64), kinds=("ffnn", "cnn"), jit=True),
               "quick": dict(rounds=1, epochs=2, n=160, spes=(8,), kinds=("ffnn",), jit=False)},
    "transfer": {"full": dict(rounds=3, epochs=8, n=600, size=32), "quick": dict(rounds=1, epochs=2, n=48, size=32)},
    "startup": {"full": dict(rounds=7, cases=3), "quick": dict(rounds=1, cases=1)},
    "baselines": {"full": dict(folds=5, epochs=200, n=None, patience=10,
                               datasets=("digits", "breast_cancer", "wine", "diabetes")),
                  "quick": dict(folds=2, epochs=2, n=None, patience=10, datasets=("wine", "diabetes"))},
}


# ---------------------------------------------------------------------------
# Models: the zoo's defaults rebuilt in plain Keras and in PyTorch.
# ---------------------------------------------------------------------------


def plain_keras_model(kind: str):
    """The zoo's default FFNN / CNN for digits, written out in plain Keras, compiled with defaults."""
    import keras
    from keras import layers

    if kind == "ffnn":
        model = keras.Sequential([
            keras.Input((64,)),
            layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
            layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
            layers.Dense(10, activation="softmax"),
        ])
    else:
        def conv_bn(f):
            return [layers.Conv2D(f, 3, padding="same", use_bias=False, kernel_initializer="he_normal"),
                    layers.BatchNormalization(), layers.Activation("relu")]

        model = keras.Sequential([
            keras.Input((8, 8, 1)),
            *conv_bn(32), *conv_bn(32), layers.MaxPooling2D(2), layers.Dropout(0.1),
            *conv_bn(64), *conv_bn(64), layers.MaxPooling2D(2), layers.Dropout(0.1),
            layers.GlobalAveragePooling2D(),
            layers.Dense(128, use_bias=False, kernel_initializer="he_normal"),
            layers.BatchNormalization(), layers.Activation("relu"), layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def zoo_model(kind: str, **options):
    import nnzoo

    if kind == "ffnn":
        return nnzoo.build_ffnn((64,), num_classes=10, **options)
    return nnzoo.build_cnn((8, 8, 1), num_classes=10, **options)


def torch_model(torch, kind: str):
    """The same architecture in PyTorch, Keras's initialisers and batch-norm settings."""
    nn = torch.nn

    def he(layer):
        fan_in = layer.weight[0].numel()
        std = math.sqrt(2.0 / fan_in) / 0.87962566103423978  # Keras's truncated he_normal
        nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
        return layer

    def glorot(layer):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        return layer

    if kind == "ffnn":
        return nn.Sequential(he(nn.Linear(64, 64)), nn.ReLU(), he(nn.Linear(64, 32)), nn.ReLU(), glorot(nn.Linear(32, 10)))

    def conv_bn(cin, cout):
        return [he(nn.Conv2d(cin, cout, 3, padding=1, bias=False)), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]

    return nn.Sequential(
        *conv_bn(1, 32), *conv_bn(32, 32), nn.MaxPool2d(2), nn.Dropout(0.1),
        *conv_bn(32, 64), *conv_bn(64, 64), nn.MaxPool2d(2), nn.Dropout(0.1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        he(nn.Linear(64, 128, bias=False)), nn.BatchNorm1d(128, eps=1e-3, momentum=0.01), nn.ReLU(), nn.Dropout(0.3),
        glorot(nn.Linear(128, 10)),
    )


def torch_run(torch, kind: str, data, epochs: int, seed: int, batch_size: int = 32) -> dict:
    """Trains the PyTorch twin eagerly; returns per-epoch wall/CPU seconds and test accuracy."""
    X_tr, X_te, y_tr, y_te = data
    torch.manual_seed(seed)
    to_t = (lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).contiguous()) if kind == "cnn" else torch.from_numpy
    X, y, Xt, yt = to_t(X_tr), torch.from_numpy(y_tr), to_t(X_te), torch.from_numpy(y_te)
    model = torch_model(torch, kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's Adam epsilon
    loss_fn = torch.nn.CrossEntropyLoss()
    walls, cpus = [], []
    n = len(X)
    for _ in range(epochs):
        with C.Stopwatch() as sw:
            model.train()
            total_loss = torch.zeros(())
            correct = torch.zeros((), dtype=torch.int64)
            perm = torch.randperm(n)
            for i in range(0, n, batch_size):
                idx = perm[i:i + batch_size]
                xb, yb = X[idx], y[idx]
                opt.zero_grad(set_to_none=True)
                out = model(xb)
                loss = loss_fn(out, yb)
                loss.backward()
                opt.step()
                # The running loss and accuracy Keras keeps for its logs.
                total_loss += loss.detach() * len(idx)
                correct += (out.detach().argmax(1) == yb).sum()
            _ = float(total_loss) / n, int(correct) / n
        walls.append(sw.wall)
        cpus.append(sw.cpu)
    model.eval()
    with torch.no_grad():
        acc = float((model(Xt).argmax(1) == yt).float().mean())
    return {"wall": C.after_first(walls), "cpu": C.after_first(cpus), "acc": acc}


def keras_run(build, fit_with: str, data, epochs: int, seed: int, measure_predict: bool = False) -> dict:
    """Trains a fresh Keras model; returns per-epoch wall/CPU seconds and test accuracy.

    With `measure_predict`, first times the model's first `predict` on the
    test set and then on one sample (before training: the price of tracing).
    """
    import keras
    import numpy as np

    import nnzoo

    X_tr, X_te, y_tr, y_te = data
    keras.utils.set_random_seed(seed)
    model = build()
    result = {}
    if measure_predict:
        with C.Stopwatch() as first:
            model.predict(X_te, verbose=0)
        with C.Stopwatch() as one:
            model.predict(X_te[:1], verbose=0)
        result.update(predict_first=first.wall, predict_one=one.wall)
    timer = C.epoch_timer()
    if fit_with == "nnzoo.fit":
        nnzoo.fit(model, X_tr, y_tr, batch_size=32, epochs=epochs, verbose=0, callbacks=[timer])
    else:
        model.fit(X_tr, y_tr, batch_size=32, epochs=epochs, verbose=0, callbacks=[timer])
    result["acc"] = float(np.mean(np.argmax(model(X_te, training=False), axis=1) == y_te))
    result["steps"] = int(model.optimizer.iterations)
    result.update(wall=C.after_first(timer.wall), cpu=C.after_first(timer.cpu), first_epoch=timer.wall[0])
    keras.backend.clear_session()
    return result


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def paired(res: dict, slow: str, fast: str, key: str) -> float:
    """Median over rounds of `res[slow][r][key] / res[fast][r][key]`."""
    return C.paired_ratio([m[key] for m in res[slow]], [m[key] for m in res[fast]])


def section_throughput(rounds: int, epochs: int, n: int | None, kinds) -> str:
    torch = C.torch_or_none()
    threads = C.tf_threads()
    out = [f"Digits ({'all' if n is None else n} samples, 80/20 split), batch 32, Adam 1e-3, {epochs} epochs, "
           f"{rounds} interleaved rounds. ms/epoch: each round's fastest epoch after the first, median over "
           f"rounds. Speed-up: other side's time / nnzoo's time in the same round, median over rounds (> 1: "
           f"nnzoo faster); the CPU column does the same with process CPU time, which a busy machine disturbs "
           f"less than wall time. Test accuracy after the last epoch, mean ± std over rounds (each round has "
           f"its own seed), so equal accuracy means equal within that spread."]
    if torch is not None:
        out.append(f"PyTorch runs twice: with TensorFlow's intra-op thread count ({threads}), as specified, and with "
                   "one thread, which can be faster for small models on a busy machine (OpenMP threads wait for "
                   "each other at every op); nnzoo must beat the faster of the two.")

    def torch_contender(kind, data, num_threads):
        def run(r):
            torch.set_num_threads(num_threads)
            return torch_run(torch, kind, data, epochs, r)
        return run

    rows = []
    labels = {"ffnn": "FFNN (64, 32) on 64 features", "cnn": "CNN (32, 64) on 8x8x1"}
    for kind in kinds:
        label = labels[kind]
        data = C.digits("image" if kind == "cnn" else "flat", n=n)
        contenders = {
            "nnzoo": lambda r, k=kind, d=data: keras_run(lambda: zoo_model(k), "nnzoo.fit", d, epochs, r),
            "nnzoo_modelfit": lambda r, k=kind, d=data: keras_run(lambda: zoo_model(k), "model.fit", d, epochs, r),
            "keras": lambda r, k=kind, d=data: keras_run(lambda: plain_keras_model(k), "model.fit", d, epochs, r),
        }
        if torch is not None:
            contenders["torch_matched"] = torch_contender(kind, data, threads)
            if threads != 1:
                contenders["torch_1"] = torch_contender(kind, data, 1)
        res = C.interleave(contenders, rounds)
        med = {name: {key: C.median([m[key] for m in ms]) for key in ("wall", "cpu", "acc")} for name, ms in res.items()}
        nz = med["nnzoo"]
        version = getattr(torch, "__version__", "")
        others = [
            ("nnzoo_modelfit", "same nnzoo model, `model.fit` on NumPy (the steps_per_execution default alone)"),
            ("keras", "plain Keras: `compile` defaults (steps_per_execution=1, jit_compile auto = off on CPU), "
                      "`model.fit` on NumPy"),
            ("torch_matched", f"PyTorch {version} eager, {threads} threads (= TensorFlow's)"),
            ("torch_1", f"PyTorch {version} eager, 1 thread"),
        ]
        for name, desc in others:
            if name not in med:
                if torch is None:
                    rows.append([label, f"`build_{kind}` + `nnzoo.fit`", "PyTorch eager: skipped, torch is not installed",
                                 C.ms(nz["wall"]), "-", "-", "-", C.spread(res["nnzoo"], "acc"), "-"])
                    break
                continue
            o = med[name]
            rows.append([label, f"`build_{kind}` + `nnzoo.fit`", desc, C.ms(nz["wall"]), C.ms(o["wall"]),
                         C.times(paired(res, name, "nnzoo", "wall")), C.times(paired(res, name, "nnzoo", "cpu")),
                         C.spread(res["nnzoo"], "acc"), C.spread(res[name], "acc")])
    out.append(C.table(["model", "nnzoo side", "other side", "nnzoo ms/epoch", "other ms/epoch",
                        "speed-up (wall)", "speed-up (CPU)", "nnzoo acc", "other acc"], rows))
    return "\n\n".join(out)


def section_levers(rounds: int, epochs: int, n: int | None, spes, kinds, jit: bool) -> str:
    out = [f"Each lever alone on the zoo's default models, digits, batch 32, {epochs} epochs, {rounds} "
           "interleaved rounds, figures as in the throughput table. Speed-up is against `model.fit` on NumPy "
           "with steps_per_execution=1 (plain Keras's default), in the same round. "
           "The predict columns are the price of steps_per_execution: Keras unrolls it in `predict` and "
           "traces again for each new number of batches (first `predict` on the test set, then on one sample)."]
    rows = []
    for kind in kinds:
        data = C.digits("image" if kind == "cnn" else "flat", n=n)
        configs = [("model.fit", 1, False)] + [("nnzoo.fit", spe, False) for spe in spes]
        if jit:
            configs.append(("nnzoo.fit", default_spe(kind), True))
        contenders = {
            cfg: (lambda r, cfg=cfg, kind=kind, data=data: keras_run(
                lambda: zoo_model(kind, steps_per_execution=cfg[1], jit_compile=cfg[2]),
                cfg[0], data, epochs, r, measure_predict=True))
            for cfg in configs
        }
        res = C.interleave(contenders, rounds)
        for cfg, ms in res.items():
            fit_with, spe, jit = cfg
            med = {key: C.median([m[key] for m in ms])
                   for key in ("wall", "cpu", "acc", "first_epoch", "predict_first", "predict_one")}
            is_default = fit_with == "nnzoo.fit" and not jit and spe == default_spe(kind)
            rows.append([kind.upper(), f"`{fit_with}`", f"**{spe}** (default)" if is_default else spe, jit,
                         C.ms(med["wall"]), C.times(paired(res, configs[0], cfg, "wall")),
                         C.times(paired(res, configs[0], cfg, "cpu")), f"{med['first_epoch']:.2f}", f"{med['acc']:.3f}",
                         C.ms(med["predict_first"]), C.ms(med["predict_one"])])
    out.append(C.table(["model", "fit", "steps_per_execution", "jit_compile", "ms/epoch", "speed-up (wall)",
                        "speed-up (CPU)", "first epoch (s)", "test acc", "first predict, test set (ms)",
                        "then predict, 1 sample (ms)"], rows))
    return "\n\n".join(out)


def section_transfer(rounds: int, epochs: int, n: int, size: int) -> str:
    import keras
    import numpy as np

    import nnzoo

    data = C.digits_rgb(size, n=n)
    X_tr, X_te, y_tr, y_te = data

    def build(seed):
        keras.utils.set_random_seed(seed)
        return nnzoo.build_vgg16_transfer((size, size, 3), num_classes=10, weights=None, dropout=0.2, learning_rate=3e-3)

    def acc(model):
        return float(np.mean(np.argmax(model.predict(X_te, verbose=0, batch_size=64), axis=1) == y_te))

    def timed(fit_fn):
        """One round of training with `fit_fn` (`nnzoo.fit` or `nnzoo.fit_cached`)."""
        def run(r):
            model = build(r)
            timer = C.epoch_timer()
            with C.Stopwatch() as total:
                fit_fn(model, X_tr, y_tr, batch_size=32, epochs=epochs, verbose=0, callbacks=[timer])
            # Everything but the epochs: fit's set-up, plus (cached) running the base once.
            result = {"epoch": C.after_first(timer.wall), "total": total.wall, "acc": acc(model),
                      "extract": total.wall - sum(timer.wall)}
            keras.backend.clear_session()
            return result
        return run

    res = C.interleave({"naive": timed(nnzoo.fit), "cached": timed(nnzoo.fit_cached)}, rounds)
    med = {k: {key: C.median([m[key] for m in v]) for key in ("epoch", "total", "acc", "extract")} for k, v in res.items()}
    nv, ca = med["naive"], med["cached"]
    speed = {key: C.times(paired(res, "naive", "cached", key)) for key in ("epoch", "total")}
    head = (f"`build_vgg16_transfer(({size}, {size}, 3), num_classes=10, weights=None)` (base frozen), digits upscaled to "
            f"{size}x{size} RGB, {len(X_tr)} training and {len(X_te)} test images, batch 32, {epochs} epochs, "
            f"{rounds} interleaved rounds; epoch time = each round's fastest epoch after the first, speed-ups = "
            f"median of the per-round ratios. Naive = `nnzoo.fit` of the full model: the frozen base runs "
            f"every epoch, and the input pipeline, shuffling and seeds are the same as for the cache, so the only "
            f"difference is the cache (and the accuracies agree); cached = `nnzoo.fit_cached` (the base runs once: {ca['extract']:.2f} s with fit's set-up, "
            f"included in its total).")
    rows = [
        ["epoch time after the first (s)", "`fit_cached`", "`nnzoo.fit` of the full model", f"{ca['epoch']:.3f}",
         f"{nv['epoch']:.3f}", speed["epoch"]],
        [f"total for {epochs} epochs (s)", "`fit_cached`", "`nnzoo.fit` of the full model", f"{ca['total']:.2f}",
         f"{nv['total']:.2f}", speed["total"]],
        ["test accuracy", "`fit_cached`", "`nnzoo.fit` of the full model", f"{ca['acc']:.3f}", f"{nv['acc']:.3f}", "-"],
    ]
    return head + "\n\n" + C.table(["measure", "nnzoo side", "other side", "nnzoo", "other", "speed-up"], rows)


_STARTUP_CASES = [
    ("`import nnzoo`", "import nnzoo", "`import keras`", "import keras"),
    ("`import nnzoo; nnzoo.build_ffnn((64,), num_classes=10)` (compiled)",
     "import nnzoo; nnzoo.build_ffnn((64,), num_classes=10)",
     "`import keras; keras.Sequential(same layers)` + `compile`",
     "import keras; m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation='relu'), "
     "keras.layers.Dense(32, activation='relu'), keras.layers.Dense(10, activation='softmax')]); "
     "m.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])"),
    ("`import nnzoo.callbacks`", "import nnzoo.callbacks", "`import keras`", "import keras"),
]


def _run_python(code: str) -> float:
    """Wall seconds of a fresh interpreter running `code`."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def section_startup(rounds: int, cases: int) -> str:
    rows = []
    baseline = _run_python("pass")
    for nz_label, nz_code, other_label, other_code in _STARTUP_CASES[:cases]:
        res = C.interleave({"nnzoo": lambda r, c=nz_code: _run_python(c), "other": lambda r, c=other_code: _run_python(c)},
                           rounds)
        nz, other = C.median(res["nnzoo"]), C.median(res["other"])
        rows.append([nz_label, other_label, f"{nz:.2f}", f"{other:.2f}", f"{nz / other:.2f}"])
    head = (f"Fresh interpreter per run, wall seconds including interpreter start-up ({baseline:.2f} s for `pass`), "
            f"median of {rounds} interleaved rounds. Ratio = nnzoo / other (target: at most 1.10).")
    return head + "\n\n" + C.table(["nnzoo side", "other side", "nnzoo (s)", "other (s)", "ratio"], rows)


def zoo_recipe(kind, X_tr, y_tr, X_te, task, seed, epochs=200, patience=10):
    """nnzoo's training recipe (`nnzoo.training.train`); returns predictions for `X_te`.

    Inputs standardised on the training data (the CNN takes digits' pixels
    / 16), 10% of the training data held out (stratified) for early stopping,
    then `train`: `nnzoo.fit` with `standard_callbacks`, a regression head
    started at the targets' scale.
    """
    import keras
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    import nnzoo
    from nnzoo.training import train

    keras.utils.set_random_seed(seed)
    regression = task == "regression"
    X_fit, X_val, y_fit, y_val = train_test_split(X_tr, y_tr, test_size=0.1, stratify=None if regression else y_tr,
                                                  random_state=seed)
    if kind == "cnn":
        X_fit, X_val, X_te = (a.reshape(len(a), 8, 8, 1) / 16.0 for a in (X_fit, X_val, X_te))
        model = nnzoo.build_cnn((8, 8, 1), num_classes=int(y_tr.max()) + 1)
    else:
        scaler = StandardScaler().fit(X_fit)
        X_fit, X_val, X_te = (scaler.transform(a) for a in (X_fit, X_val, X_te))
        if regression:
            model = nnzoo.build_ffnn((X_fit.shape[1],), task="regression")
        else:
            model = nnzoo.build_ffnn((X_fit.shape[1],), task="multiclass", num_classes=int(y_tr.max()) + 1)
    train(model, X_fit, y_fit, validation_data=(X_val, y_val), epochs=epochs, batch_size=32,
          patience=patience, seed=seed, verbose=0)
    pred = np.asarray(model(np.asarray(X_te, dtype="float32"), training=False))
    keras.backend.clear_session()
    return pred[:, 0] if regression else np.argmax(pred, axis=1)


def section_baselines(folds: int, epochs: int, n: int | None, patience: int, datasets) -> str:
    import numpy as np
    from sklearn import datasets as sklearn_datasets
    from sklearn.base import clone
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR

    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # the MLPs at max_iter
    tasks = {"digits": "multiclass", "breast_cancer": "multiclass", "wine": "multiclass", "diabetes": "regression"}
    rows = []
    for name in datasets:
        task = tasks[name]
        X, y = getattr(sklearn_datasets, f"load_{name}")(return_X_y=True)
        X = X.astype("float32")
        if n is not None:
            X, y = X[:n], y[:n]
        regression = task == "regression"
        splitter = (KFold if regression else StratifiedKFold)(n_splits=folds, shuffle=True, random_state=0)

        def score(y_true, y_pred):
            if regression:
                return 1.0 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)
            return float(np.mean(y_true == y_pred))

        def sk(est, scale_y=False):
            model = make_pipeline(StandardScaler(), est)
            if scale_y:
                model = TransformedTargetRegressor(model, transformer=StandardScaler())
            return lambda X_tr, y_tr, X_te, seed: clone(model).fit(X_tr, y_tr).predict(X_te)

        def zoo(kind, task=task):
            return lambda X_tr, y_tr, X_te, seed: zoo_recipe(kind, X_tr, y_tr, X_te, task, seed, epochs, patience)

        models = {"nnzoo build_ffnn (default)": zoo("ffnn")}
        if name == "digits":
            models["nnzoo build_cnn (default)"] = zoo("cnn")
        if regression:  # each with raw and with standardised targets; the better one is reported
            for label, est in (("MLPRegressor", MLPRegressor(max_iter=2000, random_state=0)), ("SVR", SVR()),
                               ("Ridge", Ridge()), ("HistGradientBoostingRegressor",
                                                    HistGradientBoostingRegressor(random_state=0))):
                models[label] = sk(est)
                models[f"{label}, targets standardised"] = sk(est, scale_y=True)
        else:
            models.update({
                "MLPClassifier": sk(MLPClassifier(max_iter=1000, random_state=0)),
                "SVC": sk(SVC()),
                "LogisticRegression": sk(LogisticRegression(max_iter=1000)),
                "HistGradientBoostingClassifier": sk(HistGradientBoostingClassifier(random_state=0)),
            })
        scores = {m: [] for m in models}
        seconds = dict.fromkeys(models, 0.0)
        for k, (tr, te) in enumerate(splitter.split(X, y)):
            for m, fit_predict in models.items():
                with C.Stopwatch() as sw:
                    pred = fit_predict(X[tr], y[tr], X[te], k)
                seconds[m] += sw.wall
                scores[m].append(score(y[te], pred))
        if regression:  # keep the better target treatment of each scikit-learn model
            for m in [m for m in models if m.endswith(", targets standardised")]:
                raw = m[: -len(", targets standardised")]
                worse = m if np.mean(scores[m]) <= np.mean(scores[raw]) else raw  # ties: raw
                del models[worse]
        best_sk = max((m for m in models if not m.startswith("nnzoo")), key=lambda m: np.mean(scores[m]))
        for m in models:
            rows.append([name, m, f"{np.mean(scores[m]):.3f} ± {np.std(scores[m]):.3f}",
                         f"{np.mean(scores[m]) - np.mean(scores[best_sk]):+.3f}" if m.startswith("nnzoo") else "",
                         f"{seconds[m]:.1f}"])
    head = (f"{folds}-fold CV (stratified for classification), the same shuffled folds for every model, "
            f"inputs standardised on each training fold (digits pixels / 16 for the CNN). Score: accuracy, "
            f"R² for diabetes. nnzoo recipe: 10% of each training fold held out for early stopping, "
            f"`nnzoo.training.train(..., epochs={epochs}, batch_size=32, patience={patience})` (`nnzoo.fit` with "
            f"`standard_callbacks`; a regression head starts at the targets' scale). scikit-learn models: defaults (MLP max_iter raised) after a "
            f"StandardScaler; each regressor ran with raw and with standardised targets and shows the better. 'vs best' = nnzoo minus the best scikit-learn model on that data set.")
    return head + "\n\n" + C.table(["data", "model", "score (mean ± std)", "vs best", "total time (s)"], rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings: checks that every section runs")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    chosen = [s for s in SECTIONS if not args.only or s in args.only]
    import keras  # noqa: F401  (so that the machine line names its version)
    import sklearn  # noqa: F401

    import nnzoo  # noqa: F401

    C.torch_or_none()
    print(f"# nnzoo benchmarks{' (--quick: tiny settings, figures mean nothing)' if args.quick else ''}\n")
    print(f"Machine: {C.machine()}\n")
    functions = {"throughput": section_throughput, "levers": section_levers, "transfer": section_transfer,
                 "startup": section_startup, "baselines": section_baselines}
    for name in chosen:
        start = time.perf_counter()
        body = functions[name](**SETTINGS[name][mode])
        print(f"## {name}\n\n{body}\n\n({time.perf_counter() - start:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
