"""Safe files: nothing half-written at a final path, nothing left behind, nothing read from outside.

Every file nnzoo writes (models, checkpoints, exports, tuning tables) goes to
a temporary path in the same folder first and is renamed into place only
once it is complete, with `os.replace` (atomic on POSIX and Windows). An
interrupted run leaves the previous good file untouched.

Temporary files are named `.<name>.nnzoo-tmp-<pid>-<random><suffix>` beside
their target, so they are recognisable; one left by a process that no
longer runs (a killed save) is removed by the next write to the same path.

Files that must change together (an exported `.tflite` and its JSON
sidecar) are written with `atomic_paths`: all temporaries first, then the
renames; if a rename fails, the files already renamed are put back, so an
old file is never paired with a new companion.

`resolve_inside` turns a file name read from a file (a sidecar) into a
path, refusing names that leave the folder they must stay in.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

#: Marks nnzoo's temporary files: `.<name>` + TMP_MARK + `<pid>-<random>` + suffix.
TMP_MARK = ".nnzoo-tmp-"
_OLD_MARK = ".nnzoo-old-"
_WEIGHTS = ".weights.h5"


def _split(path: str) -> tuple[str, str, str]:
    """(folder, base name, suffix kept for the temporary file) of `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    if base.endswith(_WEIGHTS) and len(base) > len(_WEIGHTS):  # Keras checks the whole suffix
        return folder, base, _WEIGHTS
    stem, dot, suffix = base.rpartition(".")
    return folder, base, (f".{suffix}" if dot and stem else "")


def temp_name(path: str | os.PathLike, mark: str = TMP_MARK) -> str:
    """A fresh recognisable temporary path beside `path` (not created)."""
    folder, base, suffix = _split(os.fspath(path))
    return os.path.join(folder, f".{base}{mark}{os.getpid()}-{os.urandom(4).hex()}{suffix}")


def _pid_running(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process: keep the file
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such pid at all)
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:
        return True  # unknown (e.g. Windows without the permission): keep the file
    return True


def stale_temporaries(path: str | os.PathLike) -> list[str]:
    """nnzoo temporary files for `path` left by processes that no longer run."""
    folder, base, _ = _split(os.fspath(path))
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in names:
        for mark in (TMP_MARK, _OLD_MARK):
            prefix = f".{base}{mark}"
            if name.startswith(prefix):
                pid = name[len(prefix):].split("-", 1)[0]
                if pid.isdigit() and not _pid_running(int(pid)):
                    found.append(os.path.join(folder, name))
    return sorted(found)


def remove_stale_temporaries(path: str | os.PathLike) -> list[str]:
    """Removes what `stale_temporaries` finds; returns the paths removed."""
    import shutil

    removed = []
    for tmp in stale_temporaries(path):
        with contextlib.suppress(OSError):
            if os.path.isdir(tmp) and not os.path.islink(tmp):
                shutil.rmtree(tmp)
            else:
                os.remove(tmp)
            removed.append(tmp)
    return removed


def _new_file_mode(path: str) -> int:
    """The mode a plain open() would give: the old file's mode, or 0666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _make_temp(path: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    remove_stale_temporaries(path)
    while True:
        tmp = temp_name(path)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        os.chmod(tmp, _new_file_mode(path))
        return tmp


def _fsync(tmp: str) -> None:
    with open(tmp, "rb") as fh:  # make sure the bytes are on disk before the rename
        os.fsync(fh.fileno())


def _backup(path: str) -> str | None:
    """A hard link (or copy) of the current file at `path`, to put back on failure; None if none."""
    if not os.path.isfile(path):
        return None
    backup = temp_name(path, _OLD_MARK)
    try:
        os.link(path, backup)
    except OSError:
        import shutil

        shutil.copy2(path, backup)
    return backup


def _replace_together(pairs: list[tuple[str, str]]) -> None:
    """Renames each `tmp` onto its `path`; on failure puts every renamed path back as it was."""
    if len(pairs) == 1:
        os.replace(*pairs[0])
        return
    backups = [_backup(path) for _, path in pairs]
    done = 0
    try:
        for tmp, path in pairs:
            os.replace(tmp, path)
            done += 1
    except BaseException:
        for (_, path), backup in reversed(list(zip(pairs[:done], backups))):
            with contextlib.suppress(OSError):
                if backup is None:
                    os.remove(path)
                else:
                    os.replace(backup, path)
        raise
    finally:
        for backup in backups:
            if backup is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(backup)


@contextlib.contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[str]]:
    """Yields temporary paths beside `paths`; renames them all into place on success.

    The renames happen only once the body has finished and every temporary
    file is on disk. If the body raises, the temporaries are removed and the
    targets are left as they were; if a rename fails part-way, the targets
    already renamed are restored (or removed, when they did not exist), so
    the files change together or not at all.

    Example:

    ```python
    with atomic_paths("m.tflite", "m.tflite.json") as (model_tmp, side_tmp):
        ...  # write both
    ```
    """
    paths = [os.fspath(p) for p in paths]
    tmps: list[str] = []
    try:
        for path in paths:
            tmps.append(_make_temp(path))
        yield list(tmps)
        for tmp in tmps:
            _fsync(tmp)
        _replace_together(list(zip(tmps, paths)))
    except BaseException:
        for tmp in tmps:
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yields a temporary path beside `path`; renames it into place on success.

    The temporary name keeps the suffix of `path` (Keras checks suffixes such
    as `.keras`, `.weights.h5` and `.tflite`). If the body raises, the temporary file is
    removed and `path` is left as it was. Temporaries left for `path` by a
    killed process are removed first.

    Example:

    ```python
    with atomic_path("model.keras") as tmp:
        model.save(tmp)
    ```
    """
    with atomic_paths(path) as (tmp,):
        yield tmp


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)


def resolve_inside(folder: str | os.PathLike, name, *, what: str = "file") -> str:
    """The path of `name` inside `folder`, for a file name read from a file.

    Args:
        folder: The folder the file must stay in (e.g. the model's folder).
        name: A relative file name, as a sidecar records it.
        what: What the file is, for the error message.

    Returns:
        The joined path.

    Raises:
        ValueError: If `name` is not a non-empty string, is absolute, or
            leads outside `folder` (`..`, or a symbolic link out of it).
    """
    from nnzoo._validation import fail

    expected = f"a {what} name relative to the folder {os.fspath(folder)!r}, inside it"
    if not isinstance(name, str) or not name or "\0" in name:
        fail(f"The {what} name is not a usable file name", expected, name=name)
    if os.path.isabs(name) or os.path.splitdrive(name)[0]:
        fail(f"The {what} name is an absolute path, which could point anywhere", expected, name=name)
    root = os.path.realpath(folder)
    path = os.path.join(os.fspath(folder), name)
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root or real == root:
        fail(f"The {what} name leads outside its folder", expected, name=name)
    return path


def check_writable_folder(folder: str | os.PathLike, *, what: str = "folder") -> str:
    """Checks that `folder` is (or can be made) a folder nnzoo can write in, before any work.

    The nearest existing folder is probed by creating and removing a small
    temporary file, so read-only mounts and access lists count too.

    Raises:
        ValueError: If `folder` (or a parent) is a file, or is not writable.
    """
    from nnzoo._validation import fail

    folder = os.fspath(folder)
    key = what.replace(" ", "_")
    probe = os.path.abspath(folder)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        problem = f"The {what} is a file" if probe == os.path.abspath(folder) else f"The {what} is inside a file ({probe!r})"
        fail(problem, "a folder path (or one that can be created)", **{key: folder})
    test = os.path.join(probe, f".nnzoo-write-test{TMP_MARK}{os.getpid()}-{os.urandom(4).hex()}")
    try:
        os.close(os.open(test, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.remove(test)
    except OSError as err:
        fail(f"The {what} is not writable ({err.strerror or err})", "a folder you can write to", **{key: folder})
    return folder


#: The member of a `.keras` file (a zip) that holds the model's and compile config.
_CONFIG = "config.json"


def _copy_zip(src: str, dst: str, replace: dict[str, bytes]) -> None:
    """Copies the zip `src` to `dst` member by member, with the members in `replace` rewritten."""
    import shutil
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in replace:
                zout.writestr(info, replace[info.filename])
                continue
            with zin.open(info) as fin, zout.open(info, "w", force_zip64=info.file_size >= 2**31) as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)


def _portable_config(path: str) -> bytes | None:
    """The `config.json` of the `.keras` file at `path` rewritten to load on every backend; None if it does."""
    import json
    import zipfile

    from nnzoo._compat import portable_optimizer_config

    with zipfile.ZipFile(path) as zf:
        config, changed = portable_optimizer_config(json.loads(zf.read(_CONFIG)))
    return json.dumps(config).encode("utf-8") if changed else None


def write_model(model, path: str) -> None:
    """`model.save(path)` for a `.keras` path, writing a file every Keras backend trains.

    A model compiled on PyTorch records its optimizer under a private
    PyTorch class (see `nnzoo._compat.portable_optimizer_config`); the file
    then names the public `keras.optimizers` class instead. `path` should
    be a temporary path (`atomic_path`).
    """
    model.save(path)
    config = _portable_config(path) if path.endswith(".keras") else None
    if config is not None:
        with atomic_path(path) as fixed:
            _copy_zip(path, fixed, {_CONFIG: config})


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
        write_model(model, tmp)
    return path


def load_model(path: str | os.PathLike, *, compile: bool = True, steps_per_execution: int | None = None,
               jit_compile: bool | None = None):
    """Loads a `.keras` file in safe mode, ready to run on the active Keras backend.

    The file may come from any backend. It is loaded with
    `keras.saving.load_model` (safe mode, no custom objects beyond nnzoo's
    registered ones), keeping its optimizer state, loss and metrics; a
    compiled model then gets the active backend's execution settings
    (`steps_per_execution`, `jit_compile`: see `nnzoo._compile`), or the
    ones passed. That also repairs files whose compile config holds a
    setting the backend refuses (`steps_per_execution=8` saved by an
    earlier nnzoo on TensorFlow, loaded on PyTorch), and files whose
    optimizer is PyTorch's private class (saved with `model.save` on
    PyTorch), which would fail at the first training step elsewhere: they
    load with the public `keras.optimizers` class, from a repaired copy in
    a temporary folder (the file itself is left as it is).

    Args:
        path: A `.keras` file.
        compile: Restore the optimizer, loss and metrics (as in
            `keras.saving.load_model`).
        steps_per_execution: Steps per compiled call; defaults to the
            backend's general default (8 on TensorFlow, 1 on PyTorch).
        jit_compile: Compile the train step; defaults to the backend's
            (True on JAX, False on TensorFlow and PyTorch).

    Returns:
        The `keras.Model`.

    Raises:
        ValueError: If `path` does not end in `.keras`, or for
            `steps_per_execution > 1` on PyTorch.

    Example:

    >>> import os, tempfile
    >>> import nnzoo
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> _ = nnzoo.save_model(nnzoo.build_ffnn((4,), task="binary"), path)
    >>> nnzoo.load_model(path).output_shape
    (None, 1)
    """
    import keras

    from nnzoo._compile import set_execution
    from nnzoo._eager import direct_chain
    from nnzoo._validation import fail

    path = os.fspath(path)
    if not path.endswith(".keras"):
        fail("The model path must end in `.keras`", "a path like 'model.keras'", path=path)
    config = _portable_config(path) if compile else None
    if config is None:
        model = keras.saving.load_model(path, compile=compile, safe_mode=True)
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="nnzoo_load_") as folder:
            fixed = os.path.join(folder, "model.keras")
            _copy_zip(path, fixed, {_CONFIG: config})
            model = keras.saving.load_model(fixed, compile=compile, safe_mode=True)
    if getattr(model, "compiled", False):
        set_execution(model, steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return direct_chain(model)
