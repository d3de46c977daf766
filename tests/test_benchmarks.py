"""The benchmark suite runs (`--quick`, tiny settings; nothing is timed here)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")
SECTIONS = ("throughput", "levers", "transfer", "startup", "baselines")


#: Makes `import torch` fail as if torch were not installed.
HIDE_TORCH = """
import importlib.abc, sys
class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoTorch())
"""


def _run(args, hide_torch=False):
    code = (HIDE_TORCH if hide_torch else "import sys\n") + (
        f"import runpy\nsys.argv = ['run.py'] + {args!r}\nrunpy.run_path({RUN!r}, run_name='__main__')\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
def test_suite_runs_quick_without_torch():
    """What CI sees: every section runs, and the PyTorch rows say they were skipped."""
    out = _run(["--quick"], hide_torch=True)
    for section in SECTIONS:
        assert f"## {section}" in out
    assert "skipped, torch is not installed" in out
    assert out.count("|---|") >= len(SECTIONS)


def _import_run():
    """benchmarks/run.py as a module (it puts its folder on sys.path; put it back)."""
    saved = list(sys.path)
    sys.path[:0] = [os.path.join(ROOT, "benchmarks")]
    try:
        import run
    finally:
        sys.path[:] = saved
    return run


@pytest.mark.slow
def test_throughput_quick_with_torch():
    pytest.importorskip("torch")
    run = _import_run()
    out = run.section_throughput(**run.SETTINGS["throughput"]["quick"])
    assert "PyTorch" in out and "skipped" not in out
    assert out.count("\n| FFNN") == 4  # against model.fit, plain Keras, and PyTorch twice


def test_twins_have_the_zoo_architecture():
    """The plain-Keras and PyTorch twins in the benchmark are the zoo's default models."""
    run = _import_run()
    for kind in ("ffnn", "cnn"):
        zoo = run.zoo_model(kind)
        plain = run.plain_keras_model(kind)
        assert plain.count_params() == zoo.count_params()
        assert [type(l).__name__ for l in plain.layers if l.weights] == [
            type(l).__name__ for l in zoo.layers if l.weights]
        torch = run.C.torch_or_none()
        if torch is not None:
            twin = run.torch_model(torch, kind)
            # Keras counts batch norm's moving mean and variance as (non-trainable) parameters.
            buffers = sum(b.numel() for name, b in twin.named_buffers() if "running" in name)
            assert sum(p.numel() for p in twin.parameters()) + buffers == zoo.count_params()


def _bench_sequences():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_sequences", os.path.join(ROOT, "benchmarks", "bench_sequences.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.parametrize("n_train, expected", [(5, 1), (40, 4), (50, 5), (67, 6), (270, 16), (10000, 16)])
def test_sequence_benchmark_batch_size_is_the_published_rule(n_train, expected):
    assert _bench_sequences().auto_batch_size(n_train) == expected


@pytest.mark.slow
def test_sequence_benchmark_runs_quick_with_the_published_batch_size(tmp_path, capsys):
    pytest.importorskip("aeon")
    bench = _bench_sequences()
    path = tmp_path / "seq.json"
    assert bench.main(["--quick", "--models", "lstm", "--datasets", "italy_power_demand", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| nnzoo `lstm` |" in out and "a tenth of the training split per batch, at most 16" in out
    import json

    row = json.loads(path.read_text())["italy_power_demand"]["lstm"]
    assert row["batch_size"] == [6] and 0.0 <= row["accuracy"][0] <= 100.0


@pytest.mark.slow
def test_cpu_paths_child_measures_both_dtypes_and_torch():
    """`bench_cpu_paths.py`'s child: nnzoo in float32 and mixed bfloat16, and PyTorch at 1 and 2 threads."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_cpu_paths", os.path.join(ROOT, "benchmarks", "bench_cpu_paths.py"))
    bench = importlib.util.module_from_spec(spec)
    saved = list(sys.path)  # the script puts its folder first, as run.py does
    try:
        spec.loader.exec_module(bench)
        got = bench.child("ffnn", epochs=2, rounds=1, n=200)
    finally:
        sys.path[:] = saved
    expected = {"float32", "mixed_bfloat16"} | ({"torch_1", "torch_2"} if bench.C.torch_or_none() else set())
    assert set(got) == expected
    for runs in got.values():
        assert len(runs) == 1 and runs[0]["wall"] > 0 and 0.0 <= runs[0]["acc"] <= 1.0
    assert bench.label((None, None)).endswith("(default)") and bench.label((1, 1)) == "intra 1, inter 1"
    # The parent leaves TensorFlow to its children and names the versions from their metadata.
    import keras

    assert f"keras {keras.__version__}" in bench.C.machine(installed=("keras",))
    assert "no-such-dist not installed" in bench.C.machine(installed=("no-such-dist",))
