"""The CPU's fast paths: bfloat16 and TensorFlow's thread settings, against PyTorch eager.

For the zoo's default FFNN and CNN on digits (the models and data of
`run.py`'s throughput section), this measures two settings a user can
choose and nnzoo could make a default:

- `dtype="mixed_bfloat16"` (a factory option): oneDNN runs convolutions and
  matrix products in bfloat16, with AVX-512 BF16 or AMX where the CPU has
  them;
- TensorFlow's intra-op and inter-op thread counts, which must be set
  before TensorFlow starts, so each setting runs in its own process
  (`TF_NUM_INTRAOP_THREADS`, `TF_NUM_INTEROP_THREADS`).

Each child process trains nnzoo's model (float32 and mixed bfloat16) and
the PyTorch twin (1 and 2 threads) in interleaved rounds, so every ratio is
taken inside one process under one load; the parent runs the settings one
after the other and repeats that `--rounds` times. A figure is each side's
fastest epoch after the first; ratios are medians over the child rounds of
the per-round ratios, with their range.

    python benchmarks/bench_cpu_paths.py                  # about 5 minutes on 2 cores
    python benchmarks/bench_cpu_paths.py --quick          # checks that it runs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _common as C  # noqa: E402

#: (intra-op, inter-op) threads; None leaves TensorFlow's default (the core count).
SETTINGS = [(None, None), (1, None), (1, 1)]
DTYPES = ("float32", "mixed_bfloat16")


def cpu_flags() -> str:
    """The CPU's AVX-512, bfloat16 and AMX flags, as Linux reports them."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line.split(":", 1)[1].split() for line in fh if line.startswith("flags")), [])
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    wanted = [f for f in flags if f in ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_vnni")]
    return ", ".join(wanted) or "none of avx512f, avx512_bf16, amx_bf16"


def child(kind: str, epochs: int, rounds: int, n: int | None) -> dict:
    """Runs in a child process: the contenders of one thread setting, interleaved."""
    import run

    torch = C.torch_or_none()
    data = C.digits("image" if kind == "cnn" else "flat", n=n)
    contenders = {
        dtype: (lambda r, d=dtype: run.keras_run(lambda: run.zoo_model(kind, dtype=d), "nnzoo.fit", data, epochs, r))
        for dtype in DTYPES
    }
    if torch is not None:
        for threads in (1, 2):
            def torch_side(r, t=threads):
                torch.set_num_threads(t)
                return run.torch_run(torch, kind, data, epochs, r)
            contenders[f"torch_{threads}"] = torch_side
    res = C.interleave(contenders, rounds)
    return {name: [{k: m[k] for k in ("wall", "cpu", "acc")} for m in ms] for name, ms in res.items()}


def run_child(kind, setting, epochs, rounds, n) -> dict:
    intra, inter = setting
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for key, value in (("TF_NUM_INTRAOP_THREADS", intra), ("TF_NUM_INTEROP_THREADS", inter)):
        env.pop(key, None)
        if value is not None:
            env[key] = str(value)
    args = [sys.executable, os.path.abspath(__file__), "--child", kind, "--epochs", str(epochs),
            "--child-rounds", str(rounds)] + (["--n", str(n)] if n else [])
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"child {kind} {setting} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def label(setting) -> str:
    intra, inter = setting
    cores = os.cpu_count() or 1
    return f"intra {intra or cores}, inter {inter or cores}" + (" (default)" if setting == (None, None) else "")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=2, help="times the parent runs every setting")
    p.add_argument("--child-rounds", type=int, default=2, help="interleaved rounds inside each child")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--n", type=int, default=None, help="digits samples (default: all)")
    p.add_argument("--kinds", nargs="+", default=["ffnn", "cnn"], choices=["ffnn", "cnn"])
    p.add_argument("--quick", action="store_true", help="tiny settings: checks that it runs")
    p.add_argument("--child", choices=["ffnn", "cnn"], help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.child, a.epochs, a.child_rounds, a.n)))
        return 0
    if a.quick:
        a.rounds, a.child_rounds, a.epochs, a.n = 1, 1, 2, 200
    results = {}  # (kind, setting) -> {contender: [measurement per child round, over all parent rounds]}
    for _ in range(a.rounds):
        for kind in a.kinds:
            for setting in SETTINGS:
                got = run_child(kind, setting, a.epochs, a.child_rounds, a.n)
                slot = results.setdefault((kind, setting), {})
                for name, ms in got.items():
                    slot.setdefault(name, []).extend(ms)
    print("# CPU fast paths: bfloat16 and thread settings\n")
    print(f"Machine: {C.machine(installed=('tensorflow', 'keras', 'torch'))}; CPU flags: {cpu_flags()}\n")
    print(f"Digits ({'all' if a.n is None else a.n} samples, 80/20 split), batch 32, Adam 1e-3, {a.epochs} epochs; "
          f"{a.rounds} process(es) per setting x {a.child_rounds} interleaved rounds each. "
          "x float32 and x PyTorch: the other side's epoch time / this row's, median over rounds (range); "
          "> 1: this row faster. PyTorch's columns are the faster of its 1- and 2-thread runs in the same process.\n")
    rows = []
    for (kind, setting), res in results.items():
        torch_best = None
        if "torch_1" in res:
            torch_best = [min(t1["wall"], t2["wall"]) for t1, t2 in zip(res["torch_1"], res["torch_2"])]
        for dtype in DTYPES:
            mine = [m["wall"] for m in res[dtype]]
            vs32 = [f["wall"] / m for f, m in zip(res["float32"], mine)]
            row = [kind.upper(), label(setting), dtype, C.ms(C.median(mine)), C.spread(res[dtype], "acc"),
                   f"{C.median(vs32):.2f}x ({min(vs32):.2f}-{max(vs32):.2f})"]
            if torch_best is not None:
                vst = [t / m for t, m in zip(torch_best, mine)]
                row += [C.ms(C.median(torch_best)), C.spread(res["torch_1"], "acc"),
                        f"{C.median(vst):.2f}x ({min(vst):.2f}-{max(vst):.2f})"]
            else:
                row += ["skipped, torch is not installed", "-", "-"]
            rows.append(row)
    print(C.table(["model", "TensorFlow threads", "dtype", "nnzoo ms/epoch", "nnzoo acc", "x float32",
                   "PyTorch ms/epoch (faster)", "PyTorch acc", "x PyTorch"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
