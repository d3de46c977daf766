"""A quiet TensorFlow start-up for the command line.

TensorFlow's C++ side writes a few notices straight to file descriptor 2
while it loads, before its log settings apply: absl's "All log messages
before absl::InitializeLog() ..." line, "Could not find cuda drivers",
"failed call to cuInit" on a machine without a GPU, the CPU-instructions and
oneDNN notices. `TF_CPP_MIN_LOG_LEVEL` cannot silence them, and they are
noise to a command-line user (and break "stderr is empty" for scripts).

`load_keras_quietly()` imports Keras (and with it TensorFlow) with fd 2
routed through a filter that drops only these known notices (`NOTICES`
after a log prefix, and the whole lines in `_BARE_LINES`); every other
byte, such as a real import error, reaches stderr unchanged. The filter is
in place only during the import and device discovery, and around
`nnzoo export`'s conversion and LiteRT runs (the "Created TensorFlow Lite
XNNPACK delegate" line, the int8 quantizer's settings line). Only the
command line calls this: the library leaves stderr alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence

#: The start-up notices dropped, as patterns on one line of stderr. The
#: glog/absl prefix (`I0000 00:00:1796112124.877781    9866 cudart_stub.cc:31] `
#: or `2024-01-01 12:00:00.000000: I tensorflow/core/util/port.cc:113] `) is
#: matched by `_LOG_PREFIX`; the text after it must start with one of these.
NOTICES = (
    r"Could not find cuda drivers on your machine, GPU will not be used",
    r"failed call to cuInit",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"oneDNN custom operations are on",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"TF-TRT Warning: Could not find TensorRT",
    r"Failed to load the TensorRT",
)

_LOG_PREFIX = r"(?:[IWE]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|\d{4}-\d\d-\d\d [\d:.]+: [IWE] \S+:\d+\])\s*"
#: Whole lines dropped as they are (they carry no log prefix).
_BARE_LINES = (
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    # The second line of the CPU-instructions notice.
    r"To enable the following instructions: .*, in other operations, rebuild TensorFlow with the appropriate "
    r"compiler flags\.",
    # LiteRT, each time an interpreter starts (export verification).
    r"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.",
    # The TFLite quantizer's settings line (int8 export).
    r"fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+",
)
_DROP = re.compile(
    "|".join([f"{_LOG_PREFIX}(?:{'|'.join(NOTICES)}).*", *_BARE_LINES])
)


def is_notice(line: str) -> bool:
    """Whether one stderr line (without its newline) is a known start-up notice."""
    return _DROP.fullmatch(line.rstrip("\r\n")) is not None


@contextlib.contextmanager
def filtered_stderr(drop=is_notice) -> Iterator[None]:
    """Routes file descriptor 2 through a line filter for the `with` block.

    Lines for which `drop(line)` is true are discarded; everything else is
    written to the real stderr, in order, when its line ends (and any
    unfinished last line when the block ends). Python's `sys.stderr` is
    flushed on entry and exit, so its output keeps its place.
    """
    try:
        sys.stderr.flush()
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (embedded, captured): nothing to filter
        yield
        return
    saved = os.dup(fd)
    read_end, write_end = os.pipe()
    os.dup2(write_end, fd)
    os.close(write_end)

    def pump() -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            for chunk in iter(lambda: pipe.read(65536), b""):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                _forward(lines, saved, drop, complete=True)
        _forward([pending] if pending else [], saved, drop, complete=False)

    reader = threading.Thread(target=pump, name="nnzoo-stderr-filter", daemon=True)
    reader.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, fd)  # closes the pipe's last write end: the reader sees EOF
        reader.join()
        os.close(saved)


def _forward(lines: Sequence[bytes], fd: int, drop, *, complete: bool) -> None:
    kept = [line for line in lines if not drop(line.decode("utf-8", "replace"))]
    if kept:
        data = b"\n".join(kept) + (b"\n" if complete else b"")
        while data:
            data = data[os.write(fd, data):]


def load_keras_quietly() -> None:
    """Imports Keras (and TensorFlow, on its backend) without the start-up notices.

    Sets `TF_CPP_MIN_LOG_LEVEL=2` unless the user set it (TensorFlow's C++
    errors still show; its info and warning lines do not), quiets
    TensorFlow's Python warnings (retracing notes), then imports Keras and
    lists TensorFlow's devices (where the CUDA notices are printed) with
    stderr filtered. `TF_ENABLE_ONEDNN_OPTS` is left alone: it changes
    numerics, and only its notice is dropped.
    """
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return
    import logging

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with filtered_stderr():
        import keras  # noqa: F401

        tf = sys.modules.get("tensorflow")
        if tf is not None:
            tf.config.list_physical_devices()
