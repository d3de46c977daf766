"""nnzoo on every Keras backend: its default path against plain Keras and PyTorch eager.

Per backend (TensorFlow, JAX, PyTorch; each in its own process, since the
backend is fixed at the first `import keras`) and per family (the default
FFNN, CNN and LSTM on digits), three contenders run in interleaved rounds
in that one process:

- `nnzoo`: the zoo's model with its defaults for the backend, trained with
  `nnzoo.fit` (what a user gets);
- `keras`: the same architecture in plain Keras, compiled with Keras's
  defaults (`jit_compile="auto"`, `steps_per_execution=1`), `model.fit`;
- `torch eager`: the same architecture in PyTorch, a hand-written loop
  (Keras's initialisers, Adam epsilon and batch-norm settings).

Each round's figure is its fastest epoch after the first; a ratio is the
median over rounds of the per-round ratios (> 1: nnzoo faster), with the
lowest and highest round beside it. Test accuracy is the mean ± std over
rounds (each round has its own seed).

    python benchmarks/bench_backends.py            # 3 rounds, 6 epochs, all of digits
    python benchmarks/bench_backends.py --quick    # 1 round, 2 epochs, 300 samples
    python benchmarks/bench_backends.py --backends jax torch --families cnn
    python benchmarks/bench_backends.py --rounds 2 --epochs 4   # a shorter full-size run
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]

import _common as C  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
FAMILIES = ("ffnn", "cnn", "lstm")
SETTINGS = {"full": dict(rounds=3, epochs=6, n=None), "quick": dict(rounds=1, epochs=2, n=300)}


def _data(family, n):
    X_tr, X_te, y_tr, y_te = C.digits("image" if family == "cnn" else "flat", n=n)
    if family == "lstm":  # each image row is one time step
        X_tr, X_te = X_tr.reshape(-1, 8, 8), X_te.reshape(-1, 8, 8)
    return X_tr, X_te, y_tr, y_te


def _keras_lstm():
    import keras

    model = keras.Sequential([keras.Input((8, 8)), keras.layers.LSTM(64), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _torch_lstm(torch):
    nn = torch.nn

    class LSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 64, batch_first=True)
            self.out = nn.Linear(64, 10)

        def forward(self, x):
            return self.out(self.lstm(x)[0][:, -1])

    return LSTM()


def worker(families, rounds, epochs, n) -> dict:
    """Runs in a process whose KERAS_BACKEND is set; returns the measurements."""
    import keras

    import nnzoo
    import run as R  # benchmarks/run.py: the plain Keras and PyTorch twins of the zoo's models

    torch = C.torch_or_none()
    out = {"backend": keras.backend.backend(), "machine": C.machine(), "families": {}}
    for family in families:
        data = _data(family, n)
        if family == "lstm":
            zoo = lambda: nnzoo.build_lstm((8, 8), num_classes=10, task="multiclass")  # noqa: E731
            plain = _keras_lstm
        else:
            zoo = lambda f=family: R.zoo_model(f)  # noqa: E731
            plain = lambda f=family: R.plain_keras_model(f)  # noqa: E731
        contenders = {
            "nnzoo": lambda r, b=zoo, d=data: R.keras_run(b, "nnzoo.fit", d, epochs, r),
            "keras": lambda r, b=plain, d=data: R.keras_run(b, "model.fit", d, epochs, r),
        }
        if torch is not None:
            if family == "lstm":
                original = R.torch_model
                R.torch_model = lambda t, kind: _torch_lstm(t) if kind == "lstm" else original(t, kind)
            contenders["torch_eager"] = lambda r, f=family, d=data: R.torch_run(torch, f, d, epochs, r)
        out["families"][family] = C.interleave(contenders, rounds)
    return out


def _ratio_cell(res, slow, fast="nnzoo"):
    ratios = sorted(s["wall"] / f["wall"] for s, f in zip(res[slow], res[fast]))
    mid = C.paired_ratio([m["wall"] for m in res[slow]], [m["wall"] for m in res[fast]])
    return f"{mid:.2f}x" + (f" ({ratios[0]:.2f}-{ratios[-1]:.2f})" if len(ratios) > 1 else "")


def report(results: list[dict], rounds: int, epochs: int, n) -> str:
    lines = [f"# nnzoo on every Keras backend ({rounds} round(s), {epochs} epochs, "
             f"{'all of' if n is None else n} digits, batch 32, Adam 1e-3)", "", results[0]["machine"], ""]
    for res in results:
        rows = []
        for family, fam in res["families"].items():
            row = [family, C.ms(C.median([m["wall"] for m in fam["nnzoo"]])), C.spread(fam["nnzoo"], "acc"),
                   C.ms(C.median([m["wall"] for m in fam["keras"]])), C.spread(fam["keras"], "acc"),
                   _ratio_cell(fam, "keras")]
            if "torch_eager" in fam:
                row += [C.ms(C.median([m["wall"] for m in fam["torch_eager"]])), C.spread(fam["torch_eager"], "acc"),
                        _ratio_cell(fam, "torch_eager")]
            rows.append(row)
        lines += [f"## {res['backend']}", "", C.table(
            ["family", "nnzoo ms/epoch", "nnzoo acc", "keras ms/epoch", "keras acc", "keras / nnzoo",
             "torch eager ms/epoch", "torch acc", "torch / nnzoo"], rows), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round, 2 epochs, 300 samples")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    parser.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--epochs", type=int, help="epochs per run, the first not counted (default 6; 2 with --quick)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cfg = dict(SETTINGS["quick" if args.quick else "full"])
    cfg.update({k: v for k, v in (("rounds", args.rounds), ("epochs", args.epochs)) if v is not None})
    if cfg["rounds"] < 1 or cfg["epochs"] < 2:
        parser.error("--rounds must be at least 1 and --epochs at least 2 (the first epoch compiles)")
    if args.worker:
        print(json.dumps(worker(args.families, **cfg)))
        return 0
    results = []
    for backend in args.backends:
        if importlib.util.find_spec(backend) is None:
            print(f"skipping {backend}: not installed", file=sys.stderr)
            continue
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--families", *args.families]
        cmd += ["--quick"] if args.quick else []
        cmd += ["--rounds", str(cfg["rounds"]), "--epochs", str(cfg["epochs"])]
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(report(results[-1:], cfg["rounds"], cfg["epochs"], cfg["n"]), flush=True)  # as each backend ends
    return 0


if __name__ == "__main__":
    sys.exit(main())
