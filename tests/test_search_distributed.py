"""Tuning past one process: resume after SIGKILL, parallel and distributed search, multi-worker training.

Each test starts real Python processes on 127.0.0.1 and bounds them with
timeouts, so a hang fails the test instead of stalling the suite.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 240  # seconds for any one process; generous for a loaded 2-core machine

SCRIPT = r'''
import json, os, sys, time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
mode, directory = sys.argv[1], sys.argv[2]
if mode == "mwms":
    import tensorflow as tf  # the strategy must exist before any other TensorFlow work
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
import numpy as np

from nnzoo.tuning import tune
from slow_epochs import SlowEpochs  # a module beside this script: n_jobs workers import it too

rng = np.random.default_rng(0)
X = rng.normal(size=(48, 4)).astype("float32")
y = (X[:, 0] + X[:, 1] > 0).astype("int32")
common = dict(directory=directory, seed=0, epochs=2, patience=None, batch_size=16, depth=1, units=8,
              steps_per_execution=1)
if mode == "search":
    max_trials, slow, refit = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "refit"
    jobs = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    result = tune("ffnn", X, y, max_trials=max_trials, callbacks=[SlowEpochs(slow)], refit=refit, n_jobs=jobs,
                  **common)
    print("RESULT " + json.dumps({"role": result.role, "trials": result.trials["trial"].tolist(),
                                  "has_model": result.model is not None}), flush=True)
else:
    result = tune("ffnn", X, y, max_trials=1, strategy=strategy, verbose=0, batch_norm=False, **common)
    np.savez(os.path.join(directory, "weights.npz"), *result.model.get_weights())
    print("RESULT " + json.dumps({"replicas": strategy.num_replicas_in_sync}), flush=True)
'''


SLOW_EPOCHS = r'''
import time

import keras


class SlowEpochs(keras.callbacks.Callback):
    """Stretches each epoch, so the parent can act while a trial runs."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_epoch_end(self, epoch, logs=None):
        time.sleep(self.seconds)
'''


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "tuning_process.py"
    path.write_text(SCRIPT)
    (tmp_path / "slow_epochs.py").write_text(SLOW_EPOCHS)
    return str(path)


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_") and k != "TF_CONFIG"}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.update(extra)
    return env


def _start(script, *args, **env):
    env = _env(**env)
    env["PYTHONPATH"] += os.pathsep + os.path.dirname(script)
    return subprocess.Popen([sys.executable, script, *map(str, args)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)


def _finish(procs, timeout=TIMEOUT):
    """Waits for every process (all within `timeout`); kills them all on a hang."""
    deadline = time.monotonic() + timeout
    outputs = []
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs.append(out)
    except subprocess.TimeoutExpired:
        for proc in procs:
            proc.kill()
        pytest.fail("a tuning process hung:\n" + "\n---\n".join(p.communicate()[0][-3000:] for p in procs))
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out[-3000:]
    return outputs


def _result(output):
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(project, trial):
    path = os.path.join(project, f"trial_{trial}", "trial.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)["status"]  # written atomically: never half a file


def test_search_killed_mid_trial_resumes_without_rerunning(script, tmp_path):
    directory = tmp_path / "search"
    project = os.path.join(directory, "ffnn")
    proc = _start(script, "search", directory, 3, 0.5, "refit")
    deadline = time.monotonic() + TIMEOUT
    try:
        while not (_status(project, 0) == "COMPLETED" and _status(project, 1) == "RUNNING"):
            assert proc.poll() is None, "the search ended before it could be killed:\n" + proc.communicate()[0]
            assert time.monotonic() < deadline, "trial 1 never started"
            time.sleep(0.05)
        time.sleep(0.3)  # well inside trial 1 (>= 1 s with the slow epochs)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        first_output = proc.communicate()[0]
    assert proc.returncode == -signal.SIGKILL
    assert "trial 1/3" in first_output and "trial 2/3" not in first_output
    with open(os.path.join(project, "trial_0", "trial.json"), "rb") as fh:
        finished_before = fh.read()
    with open(os.path.join(project, "trial_1", "trial.json")) as fh:
        interrupted = json.load(fh)["hyperparameters"]["values"]

    output, = _finish([_start(script, "search", directory, 3, 0.0, "refit")])
    assert "resuming: 1 trial(s) already done" in output
    assert "trial 1/3" not in output  # the finished trial is not rerun ...
    assert "trial 2/3" in output and "trial 3/3" in output  # ... the killed one is, then the last
    with open(os.path.join(project, "trial_0", "trial.json"), "rb") as fh:
        assert fh.read() == finished_before

    table = pd.read_csv(os.path.join(project, "trials.csv"))
    assert list(table["trial"]) == [0, 1, 2]
    assert list(table["status"]) == ["COMPLETED"] * 3
    assert list(table["starts"]) == [1, 2, 1]  # only the killed trial started twice
    row = table.iloc[1]
    assert all(row[k] == v or np.isclose(row[k], v) for k, v in interrupted.items())  # same values rerun
    assert _result(output)["has_model"]


def _workers_of(pid):
    """Pids of the live n_jobs worker processes started by process `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as fh:
                zombie = fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            continue
        if b"nnzoo.tuning._parallel" in args and str(pid).encode() in args and not zombie:
            found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc") or len(os.sched_getaffinity(0)) < 2, reason="needs 2 cores and /proc")
def test_parallel_search_killed_mid_trial_resumes_without_loss_or_rerun(script, tmp_path):
    directory = tmp_path / "parallel"
    project = os.path.join(directory, "ffnn")
    trials = 3
    proc = _start(script, "search", directory, trials, 0.5, "refit", 2)
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            states = [_status(project, t) for t in range(trials)]
            if "COMPLETED" in states and "RUNNING" in states:
                break
            assert proc.poll() is None, "the search ended before it could be killed:\n" + proc.communicate()[0]
            assert time.monotonic() < deadline, f"no trial finished while another ran: {states}"
            time.sleep(0.05)
        time.sleep(0.3)
        workers = _workers_of(proc.pid)
        assert len(workers) == 2, workers
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 20
    while _workers_of(proc.pid):  # the workers follow their chief
        assert time.monotonic() < deadline, "worker processes outlived the killed search"
        time.sleep(0.1)
    states = {t: _status(project, t) for t in range(trials)}
    done = [t for t, s in states.items() if s == "COMPLETED"]
    killed = [t for t, s in states.items() if s == "RUNNING"]
    assert done and killed, states
    finished_before = {}
    for t in done:
        with open(os.path.join(project, f"trial_{t}", "trial.json"), "rb") as fh:
            finished_before[t] = fh.read()

    output, = _finish([_start(script, "search", directory, trials, 0.0, "refit", 2)])
    assert f"resuming: {len(done)} trial(s) already done" in output and "2 trials at once" in output
    for t in range(trials):
        assert (f"trial {t + 1}/{trials} |" in output) == (t not in done), output  # only what was left runs
    for t, data in finished_before.items():
        with open(os.path.join(project, f"trial_{t}", "trial.json"), "rb") as fh:
            assert fh.read() == data
    table = pd.read_csv(os.path.join(project, "trials.csv"))
    assert list(table["trial"]) == list(range(trials))  # none lost ...
    assert list(table["status"]) == ["COMPLETED"] * trials
    assert list(table["starts"]) == [2 if t in killed else 1 for t in range(trials)]  # ... none run twice
    assert set(table["tuner_id"]) <= {"tuner1", "tuner2"}
    result = _result(output)
    assert result["role"] == "local" and result["has_model"] and result["trials"] == list(range(trials))


def test_distributed_search_with_a_chief_and_two_workers(script, tmp_path):
    directory = tmp_path / "shared"
    port = _free_port()
    common = dict(KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=str(port))
    args = ("search", directory, 3, 0.5, "refit")
    chief = _start(script, *args, KERASTUNER_TUNER_ID="chief", **common)
    workers = [_start(script, *args, KERASTUNER_TUNER_ID=f"tuner{i}", **common) for i in (1, 2)]
    chief_out, *worker_outs = _finish([chief, *workers])

    project = os.path.join(directory, "ffnn")
    table = pd.read_csv(os.path.join(project, "trials.csv"))  # written by the chief
    assert list(table["trial"]) == [0, 1, 2]
    assert set(table["status"]) == {"COMPLETED"}
    assert set(table["tuner_id"]) == {"tuner1", "tuner2"}  # both workers ran trials
    assert list(table["starts"]) == [1, 1, 1]  # none ran twice
    chief_result = _result(chief_out)
    assert chief_result["role"] == "chief" and chief_result["has_model"]
    assert chief_out.count("] trial ") == 3  # the chief reports every trial

    ran = []
    for i, out in zip((1, 2), worker_outs):
        result = _result(out)
        assert result["role"] == "worker" and not result["has_model"] and result["trials"]
        own = pd.read_csv(os.path.join(project, f"trials_tuner{i}.csv"))
        assert sorted(own["trial"]) == sorted(result["trials"])
        assert set(table.loc[table["trial"].isin(result["trials"]), "tuner_id"]) == {f"tuner{i}"}
        ran += result["trials"]
    assert sorted(ran) == [0, 1, 2]


def test_multi_worker_mirrored_strategy_trains_identical_weights(script, tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in (0, 1):
        directory = tmp_path / f"worker{index}"
        directory.mkdir()
        config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        procs.append(_start(script, "mwms", directory, TF_CONFIG=config))
    outputs = _finish(procs)
    assert all(_result(out)["replicas"] == 2 for out in outputs)
    first, second = (np.load(tmp_path / f"worker{i}" / "weights.npz") for i in (0, 1))
    assert len(first.files) == len(second.files) > 0
    for key in first.files:
        np.testing.assert_array_equal(first[key], second[key])
