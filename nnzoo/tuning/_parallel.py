"""Trials in parallel on one machine: `tune(..., n_jobs=n)`.

The calling process becomes keras-tuner's chief on loopback (127.0.0.1, a
free port): it holds the oracle, writes the state files and the table, and
retrains the best model. `n` worker processes (`python -m
nnzoo.tuning._parallel`) each run the same `tune` call as keras-tuner
workers, one trial at a time, so `n` trials train at once. This is the
distributed search nnzoo already has (`KERASTUNER_TUNER_ID` ...), started
for the user on one machine; resume, the per-trial memory cleanup and the
kept stacked graph (one per worker) work as in one process.

Each worker gets its share of the cores: `cores // n` TensorFlow intra-op
and inter-op threads, set before TensorFlow starts. The workers receive the
call's arguments through a pipe (pickled in memory; no file is read), so
callbacks and objects passed to `tune` must be importable by a fresh
process: defined in a module, not in the script run as `__main__`. The
payload is signed (HMAC-SHA256) with a random key made for the search and
handed to the workers in their environment; a worker checks the signature
before it unpickles anything, so bytes fed to `python -m
nnzoo.tuning._parallel` from anywhere else (a planted file) are refused
unread, the way `multiprocessing` authenticates its connections.

A worker ends with its chief: it watches its parent process and exits when
the parent is gone (e.g. killed), so a SIGKILL of the search leaves no
process behind, and the next `tune` call resumes from the state files.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from nnzoo._validation import fail, fail_type

#: Environment variables a worker gets (and the chief sets while it serves).
_ROLE_VARS = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
_LOOPBACK = "127.0.0.1"
#: The environment variable holding the search's signing key (hex), set only for its workers.
_KEY_VAR = "NNZOO_TUNING_WORKER_KEY"


def _sign(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def check_jobs(n_jobs: Any) -> int:
    """`n_jobs` as a count of worker processes; -1 means one per core; more than the cores is a ValueError."""
    cores = available_cores()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int):
        fail_type("`n_jobs` must be an integer", f"an int from 1 to {cores} (the cores here), or -1 for all",
                  n_jobs=n_jobs)
    if n_jobs == -1:
        return cores
    if n_jobs < 1:
        fail("`n_jobs` is too small", f"an int from 1 to {cores}, or -1 for one trial per core", n_jobs=n_jobs)
    if n_jobs > cores:
        fail(f"`n_jobs` is larger than the {cores} CPU core(s) this process may use; trials would share cores "
             "and each run slower", f"n_jobs <= {cores} (or -1 for one trial per core)", n_jobs=n_jobs,
             cores=cores)
    return n_jobs


def threads_per_job(n_jobs: int) -> int:
    """TensorFlow threads (intra-op and inter-op) each of `n_jobs` workers gets."""
    return max(1, available_cores() // n_jobs)


class _FindMain(pickle.Pickler):
    """A pickler that records objects whose class or function lives in `__main__`."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.found: list[str] = []

    def reducer_override(self, obj):
        target = obj if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__") else type(obj)
        if getattr(target, "__module__", None) == "__main__":
            self.found.append(getattr(target, "__qualname__", repr(target)))
        return NotImplemented


def payload(kwargs: Mapping[str, Any], n_jobs: int) -> bytes:
    """The worker's `tune` arguments as bytes; a ValueError names what a fresh process could not rebuild."""
    import io

    buffer = io.BytesIO()
    pickler = _FindMain(buffer)
    try:
        pickler.dump(dict(kwargs))
    except Exception as err:  # noqa: BLE001 - any failure means the same thing
        if not pickler.found:
            fail(f"With `n_jobs` > 1 every argument of `tune` goes to worker processes, and one cannot be copied "
                 f"({type(err).__name__}: {err})", "plain values, arrays and importable objects, or n_jobs=1",
                 n_jobs=n_jobs)
    if pickler.found:
        fail("With `n_jobs` > 1 every argument of `tune` goes to worker processes, which cannot import "
             "classes or functions defined in the script run as __main__",
             "define them in a module the workers can import, or n_jobs=1", n_jobs=n_jobs,
             defined_in_main=sorted(set(pickler.found)))
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((_LOOPBACK, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def chief_environment(port: int) -> Iterator[None]:
    """keras-tuner's chief variables in this process while the block runs (keras-tuner reads them there)."""
    saved = {k: os.environ.get(k) for k in _ROLE_VARS}
    os.environ.update(KERASTUNER_TUNER_ID="chief", KERASTUNER_ORACLE_IP=_LOOPBACK, KERASTUNER_ORACLE_PORT=str(port))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Workers:
    """`n` worker processes running `tune(**kwargs)` against the chief on `port`.

    Each worker's output goes to `<project_dir>/worker_tuner<i>.log`, which
    a failure message quotes.
    """

    def __init__(self, n: int, data: bytes, port: int, project_dir: str):
        self.logs = [os.path.join(project_dir, f"worker_tuner{i}.log") for i in range(1, n + 1)]
        threads = threads_per_job(n)
        env = {k: v for k, v in os.environ.items() if k not in _ROLE_VARS and k != "TF_CONFIG"}
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        key = secrets.token_bytes(32)
        env.update(KERASTUNER_ORACLE_IP=_LOOPBACK, KERASTUNER_ORACLE_PORT=str(port),
                   TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads),
                   **{_KEY_VAR: key.hex()})
        data = _sign(key, data) + data
        os.makedirs(project_dir, exist_ok=True)
        self.procs: list[subprocess.Popen] = []
        for i, log in enumerate(self.logs, start=1):
            with open(log, "wb") as out:
                proc = subprocess.Popen([sys.executable, "-m", "nnzoo.tuning._parallel", str(os.getpid())],
                                        stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                        env={**env, "KERASTUNER_TUNER_ID": f"tuner{i}"})
            self.procs.append(proc)
            threading.Thread(target=_feed, args=(proc, data), daemon=True).start()

    def alive(self) -> bool:
        return any(p.poll() is None for p in self.procs)

    def failure(self) -> str | None:
        """A message for the first worker that exited with an error, or None."""
        for proc, log in zip(self.procs, self.logs):
            if proc.poll() not in (None, 0):
                with open(log, errors="replace") as fh:
                    tail = fh.read()[-2000:]
                return f"tuning worker {os.path.basename(log)[7:-4]} exited with status {proc.returncode}:\n{tail}"
        return None

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            proc.wait()


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        proc.stdin.write(data)
        proc.stdin.close()


def _exit_with_parent(parent: int) -> None:
    """Ends this process as soon as `parent` is gone (this process is then re-parented)."""

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(3)

    threading.Thread(target=watch, name="nnzoo-parent-watch", daemon=True).start()


def _verified(data: bytes) -> bytes:
    """The payload without its signature; refuses (SystemExit 2) bytes the chief did not sign."""
    key = os.environ.get(_KEY_VAR, "")
    try:
        key_bytes = bytes.fromhex(key)
    except ValueError:
        key_bytes = b""
    digest, payload_bytes = data[:32], data[32:]
    if not key_bytes or not hmac.compare_digest(digest, _sign(key_bytes, payload_bytes)):
        sys.stderr.write("nnzoo tuning worker: the input on stdin is not signed by a tune(n_jobs=...) chief "
                         f"({_KEY_VAR} missing or the signature differs); refusing it unread.\n")
        raise SystemExit(2)
    return payload_bytes


def _worker_main(parent: int) -> int:
    _exit_with_parent(parent)
    data = _verified(sys.stdin.buffer.read())  # before TensorFlow loads or anything is unpickled
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    threads = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))
    import tensorflow as tf  # threads are set before anything (unpickling included) starts TensorFlow

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from nnzoo.tuning import tune

    kwargs = pickle.loads(data)  # signed by the chief (checked above), from its pipe, never from a file

    tune(**kwargs)
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(int(sys.argv[1])))
