"""The tuning benchmark runs end to end in its --quick form."""

import importlib.util
import os

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "bench_tuning.py")


@pytest.mark.slow
def test_bench_tuning_quick(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_tuning", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| Hyperband (factor 3) |" in out and "| Random search |" in out
    assert "| growth |" in out and "OK" in out


SPEED = os.path.join(os.path.dirname(BENCH), "bench_tuning_speed.py")


@pytest.mark.slow
def test_bench_tuning_speed_quick(tmp_path, capsys):
    pytest.importorskip("optuna")
    spec = importlib.util.spec_from_file_location("bench_tuning_speed", SPEED)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("nnzoo sequential", "nnzoo stacked, no reuse", "nnzoo stacked", f"nnzoo stacked, {bench.JOBS} jobs",
                 "nnzoo stacked, pruned", "keras-tuner hand-written", "optuna"):
        assert f"| {name} |" in out
    assert out.count("(lever ") == 4 and out.count("- Goal ") == 3
    from nnzoo.tuning import _stacked

    assert _stacked.KEEP_GRAPH is True  # the benchmark's switch is put back
