"""Smoke test: benchmarks/bench_export.py runs end to end with --quick."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_export.py"


@pytest.mark.slow
def test_bench_export_quick_prints_its_tables():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "| family | input | float32 | dynamic | int8 |" in out
    for family in ("ffnn", "cnn", "lstm"):
        assert f"| {family} |" in out
    assert "Digits (scikit-learn" in out
    assert "| family | float32 file loads | camera file loads | MediaPipe (1 image) |" in out
    assert "| cnn | no: " in out  # a one-channel float file: MediaPipe refuses it; the camera file loads
    assert "MediaPipe loads: yes" in out
    assert "CNN int8 file <= 30% of float32" in out
    assert "| model | file | metadata | MediaPipe loads |" in out
    for name in ("textcnn", "lstm"):  # MediaPipe's TextClassifier loads both text files
        assert re.search(rf"^\| {name} \| [^|]+ \| [\d,]+ B \| yes \|", out, re.M), out
