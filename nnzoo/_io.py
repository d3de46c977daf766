"""Atomic file writes: nothing half-written ever stands at a final path.

Every file nnzoo writes (models, checkpoints, exports, tuning tables) goes to
a temporary path in the same folder first and is renamed into place only
once it is complete, with `os.replace` (atomic on POSIX and Windows). An
interrupted run leaves the previous good file untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yields a temporary path beside `path`; renames it into place on success.

    The temporary name keeps the suffix of `path` (Keras checks suffixes such
    as `.keras` and `.tflite`). If the body raises, the temporary file is
    removed and `path` is left as it was.

    Example:

    ```python
    with atomic_path("model.keras") as tmp:
        model.save(tmp)
    ```
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    base = os.path.basename(path)
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix}" if dot and stem else ""
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=f".tmp{suffix}", dir=folder)
    os.close(fd)
    # mkstemp makes the file private (0600); give the final file the mode a
    # plain open() would: the old file's mode, or 0666 minus the umask.
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    os.chmod(tmp, mode)
    try:
        yield tmp
        with open(tmp, "rb") as fh:  # make sure the bytes are on disk before the rename
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)


def save_model(model, path: str | os.PathLike) -> str:
    """Saves a Keras model to a `.keras` file atomically.

    Args:
        model: A `keras.Model`.
        path: Destination ending in `.keras`.

    Returns:
        The path written.

    Raises:
        ValueError: If `path` does not end in `.keras`, is a folder, lies
            under a file, or is in a folder that is not writable (checked
            before anything is written).
        TypeError: If `model` is not a Keras model or `path` not a path.
    """
    from nnzoo._validation import check_output_path, fail_type

    if not callable(getattr(model, "save", None)):
        fail_type("`model` must be a Keras model", "a keras.Model, e.g. from nnzoo.build(...)",
                  model_type=type(model).__name__)
    path = check_output_path(path, suffix=".keras")
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path
