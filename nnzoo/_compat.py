"""Every use of another library's private internals, in one version-guarded place.

nnzoo otherwise uses public TensorFlow, Keras, keras-tuner and scikit-learn
APIs only. The few private internals it relies on are reached through this
module, listed in `INTERNALS` with the versions each was checked on, and
covered by `tests/test_compat.py`, which fails when one of them moves.
`REQUIREMENTS` is the single source of nnzoo's install requirements:
`setup.cfg`'s `install_requires` must equal it (a test checks), its upper
bounds stop a release nnzoo was not checked on from installing, and
`supported_versions()` lets `nnzoo doctor` report them.

| internal | touches | checked on |
|---|---|---|
| `gradient_registry` | `tensorflow.python.framework.ops._gradient_registry._registry` | tensorflow 2.21.0 |
| `backend_optimizer_module` | the `module` Keras's PyTorch backend records for its optimizers in a `.keras` file (`keras.src.backend.torch.optimizers.torch_adam`) | keras 3.15.1 |
| `oracle_files` | `Oracle._get_oracle_fname()`, `Oracle._get_trial_dir()`, `Oracle._project_dir`, `Oracle._save_trial()` | keras-tuner 1.4.8 |
| `oracle_retry_queue` | `Oracle._retry_queue` | keras-tuner 1.4.8 |
| `tuner_files` | `BaseTuner._get_tuner_fname()`, `BaseTuner._is_worker()` | keras-tuner 1.4.8 |
| `hyperband_max_trials` | `HyperbandOracle.max_trials` (set after the constructor, which does not take it) | keras-tuner 1.4.8 |
| `tuner_reload_message` | the `print` in `BaseTuner.__init__` when it resumes | keras-tuner 1.4.8 |
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from dataclasses import dataclass


#: nnzoo's install requirements, `{distribution: specifier}`; `setup.cfg`'s
#: `install_requires` holds the same lines. Upper bounds sit where nnzoo relies
#: on a private internal (see `INTERNALS`): a new minor release must be
#: checked by `tests/test_compat.py` before the bound moves.
REQUIREMENTS: dict[str, str] = {
    "tensorflow": ">=2.16,<2.22",
    # `backend_optimizer_module` (a .keras file's private optimizer modules).
    "keras": ">=3.8,<3.16",
    "scikit-learn": ">=1.6",
    "pandas": ">=2.0",
    "numpy": ">=1.26",
    "keras-tuner": ">=1.4.7,<1.5",
    # keras-tuner imports tensorboard during a search on the TensorFlow
    # backend, and tensorflow >= 2.21 no longer installs it.
    "tensorboard": ">=2.16",
}


@dataclass(frozen=True)
class Internal:
    """One private internal nnzoo relies on.

    Attributes:
        name: Short key, used in messages and tests.
        package: The distribution it belongs to (a key of `REQUIREMENTS`).
        touches: The private names reached.
        used_for: What nnzoo does with it, and what happens if it moves.
        checked: The versions it was checked on.
    """

    name: str
    package: str
    touches: str
    used_for: str
    checked: str


INTERNALS: tuple[Internal, ...] = (
    Internal(
        "gradient_registry",
        "tensorflow",
        "tensorflow.python.framework.ops._gradient_registry._registry",
        "release_memory() and tune() unregister the 'CustomGradient-<n>' entries of finished models; "
        "if it moves, nothing is freed (a warning says so) and memory grows per model",
        "2.21.0",
    ),
    Internal(
        "backend_optimizer_module",
        "keras",
        "the `module` of a built-in optimizer in a .keras file saved on the PyTorch backend: Keras swaps "
        "keras.optimizers.Adam (SGD, ...) for a private subclass, keras.src.backend.torch.optimizers.torch_adam.Adam, "
        "and records that",
        "nnzoo.save_model, nnzoo's checkpoints and nnzoo.load_model write and read the public keras.optimizers class "
        "instead, so a file saved on PyTorch trains on TensorFlow and JAX (Keras would rebuild PyTorch's optimizer "
        "there and fail at the first step, or not load at all without torch); if the name moves, such files load "
        "as keras.saving.load_model loads them",
        "3.15.1",
    ),
    Internal(
        "oracle_files",
        "keras-tuner",
        "Oracle._get_oracle_fname(), Oracle._get_trial_dir(), Oracle._project_dir, Oracle._save_trial()",
        "tune() writes oracle.json and trial.json atomically, so a killed search resumes",
        "1.4.8",
    ),
    Internal(
        "oracle_retry_queue",
        "keras-tuner",
        "Oracle._retry_queue",
        "tune() re-queues a trial killed between two of keras-tuner's state writes",
        "1.4.8",
    ),
    Internal(
        "tuner_files",
        "keras-tuner",
        "BaseTuner._get_tuner_fname(), BaseTuner._is_worker()",
        "tune() writes tuner0.json atomically; a distributed worker skips the oracle's file",
        "1.4.8",
    ),
    Internal(
        "hyperband_max_trials",
        "keras-tuner",
        "HyperbandOracle.max_trials (the constructor does not take it; the base Oracle reads it)",
        "tune(algorithm='hyperband', max_trials=n) stops after n trials",
        "1.4.8",
    ),
    Internal(
        "tuner_reload_message",
        "keras-tuner",
        "the print(f'Reloading Tuner from ...') in BaseTuner.__init__",
        "tune() says it resumes in its own words; stdout is captured around the constructor only",
        "1.4.8",
    ),
)


def supported_versions() -> dict[str, str]:
    """The install requirements nnzoo was checked with, `{distribution: specifier}`.

    Returns:
        A copy of `REQUIREMENTS`, the same data as `setup.cfg`'s
        `install_requires`.

    Example:

    >>> from nnzoo._compat import supported_versions
    >>> supported_versions()["keras-tuner"]
    '>=1.4.7,<1.5'
    """
    return dict(REQUIREMENTS)


def version_problems() -> list[str]:
    """Installed distributions outside `REQUIREMENTS`, one line each (empty if all fit)."""
    from importlib import metadata

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    problems = []
    for package, spec in REQUIREMENTS.items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            problems.append(f"{package}: not installed (nnzoo needs {package}{spec})")
            continue
        if Version(installed) not in SpecifierSet(spec):
            problems.append(f"{package}: {installed} installed, nnzoo was checked with {package}{spec}")
    return problems


class InternalMoved(RuntimeError):
    """A private internal nnzoo relies on is not where it was (a newer release moved it)."""


def _moved(name: str, err: Exception) -> InternalMoved:
    internal = next(i for i in INTERNALS if i.name == name)
    from importlib import metadata

    try:
        installed = metadata.version(internal.package)
    except metadata.PackageNotFoundError:
        installed = "unknown"
    return InternalMoved(
        f"nnzoo relies on {internal.package}'s private {internal.touches} ({internal.used_for}); "
        f"it was checked on {internal.package} {internal.checked}, and {installed} is installed, where it moved "
        f"({type(err).__name__}: {err}). Install {internal.package}{REQUIREMENTS[internal.package]}."
    )


# --------------------------------------------------------------------------- tensorflow


def gradient_registry() -> dict | None:
    """TensorFlow's global gradient-function registry (a dict), or None if it moved."""
    try:
        from tensorflow.python.framework import ops as tf_ops

        registry = tf_ops._gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


_CUSTOM_GRADIENT = "CustomGradient-"
_warned_registry = False


def _registry_or_warn() -> dict | None:
    global _warned_registry
    registry = gradient_registry()
    if registry is None and not _warned_registry:
        _warned_registry = True
        warnings.warn(
            "nnzoo cannot reach TensorFlow's gradient registry (checked on tensorflow 2.21); "
            "memory held by finished models' gradient functions is not freed.",
            RuntimeWarning,
            stacklevel=3,
        )
    return registry


def drop_custom_gradients(keep: set | frozenset = frozenset()) -> int:
    """Unregisters TensorFlow's `"CustomGradient-<n>"` entries, except those in `keep`.

    Each traced `tf.custom_gradient` (Keras's TensorFlow optimizer wraps its
    gradient all-reduce in one) registers a new entry that is never removed
    and keeps its whole train graph alive (tensorflow/tensorflow#61791). A
    function already traced keeps working without its entry, and a retrace
    registers a new one.

    Returns:
        The number of entries removed.
    """
    registry = _registry_or_warn()
    if registry is None:
        return 0
    names = [k for k in list(registry) if str(k).startswith(_CUSTOM_GRADIENT) and k not in keep]
    for name in names:
        registry.pop(name, None)
    return len(names)


@contextlib.contextmanager
def release_gradient_functions():
    """Unregisters the gradient functions TensorFlow registers while the block runs."""
    registry = _registry_or_warn()
    before = frozenset(registry) if registry is not None else frozenset()
    try:
        yield
    finally:
        if registry is not None:
            drop_custom_gradients(keep=before)


# --------------------------------------------------------------------------- keras

#: Where Keras's backends keep the private classes a `.keras` file may name.
_BACKEND_MODULES = "keras.src.backend."


def portable_optimizer_config(config):
    """`config` (a `.keras` file's `config.json`) with every optimizer under its public class.

    On the PyTorch backend, `keras.optimizers.Adam(...)` builds a private
    subclass (`keras.src.backend.torch.optimizers.torch_adam.Adam`), and
    `model.save` records its module. Loaded on TensorFlow or JAX, that file
    builds PyTorch's optimizer, whose first update fails ("expected Tensor
    ... but got ResourceVariable"); without torch installed it does not load.
    Each such entry becomes the public `keras.optimizers.<Name>` (the one the
    PyTorch backend swaps in again when the file is loaded there); the
    optimizer's variables are stored the same way for both classes.

    Args:
        config: The parsed `config.json` (not changed).

    Returns:
        `(config, changed)`: a new structure where something was rewritten
        (`changed=True`), else `config` itself.
    """
    import keras

    def public(node):
        if isinstance(node, list):
            items = [public(v) for v in node]
            return items if any(a is not b for a, b in zip(items, node)) else node
        if not isinstance(node, dict):
            return node
        items = {k: public(v) for k, v in node.items()}
        module, name = node.get("module"), node.get("class_name")
        if isinstance(module, str) and module.startswith(_BACKEND_MODULES) and isinstance(name, str):
            cls = getattr(keras.optimizers, name, None)
            if isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer):
                items.update(module="keras.optimizers", registered_name=None)
        return items if any(items[k] is not node.get(k) for k in items) else node

    fixed = public(config)
    return fixed, fixed is not config


# --------------------------------------------------------------------------- keras-tuner


def oracle_state_path(oracle) -> str:
    """The path of a keras-tuner oracle's `oracle.json`."""
    try:
        return oracle._get_oracle_fname()
    except AttributeError as err:
        raise _moved("oracle_files", err) from err


def oracle_project_dir(oracle) -> str:
    """The project folder a keras-tuner oracle keeps its files in."""
    try:
        return oracle._project_dir
    except AttributeError as err:
        raise _moved("oracle_files", err) from err


def trial_dir(oracle, trial_id: str) -> str:
    """The folder keras-tuner keeps a trial's files in."""
    try:
        return oracle._get_trial_dir(trial_id)
    except AttributeError as err:
        raise _moved("oracle_files", err) from err


def retry_queue(oracle) -> list:
    """The oracle's queue of trial ids to run again (the list itself, to mutate)."""
    try:
        return oracle._retry_queue
    except AttributeError as err:
        raise _moved("oracle_retry_queue", err) from err


def set_retry_queue(oracle, trial_ids: list) -> None:
    """Replaces the oracle's queue of trial ids to run again."""
    retry_queue(oracle)  # fails loudly if the attribute moved
    oracle._retry_queue = list(trial_ids)


def tuner_state_path(tuner) -> str:
    """The path of a keras-tuner tuner's `tuner0.json` (or its worker's file)."""
    try:
        return tuner._get_tuner_fname()
    except AttributeError as err:
        raise _moved("tuner_files", err) from err


def is_worker(tuner) -> bool:
    """Whether a keras-tuner tuner is a distributed worker (not the chief or a local run)."""
    try:
        return bool(tuner._is_worker())
    except AttributeError as err:
        raise _moved("tuner_files", err) from err


def set_max_trials(oracle, max_trials: int) -> None:
    """Caps a Hyperband oracle's trials; its constructor has no `max_trials` argument."""
    if not hasattr(oracle, "max_trials"):
        raise _moved("hyperband_max_trials", AttributeError("Oracle has no attribute 'max_trials'"))
    oracle.max_trials = max_trials


@contextlib.contextmanager
def quiet_tuner_construction():
    """Captures what keras-tuner prints while a tuner is constructed ("Reloading Tuner from ...")."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


class AtomicTrialFiles:
    """Oracle mixin: keras-tuner's private `_save_trial` hook, writing `trial.json` atomically.

    keras-tuner writes each trial's state in place, so a kill mid-write
    leaves a truncated file; this writes a temporary file and renames it.
    """

    def _save_trial(self, trial) -> None:
        from nnzoo._io import atomic_write_text

        path = os.path.join(trial_dir(self, trial.trial_id), "trial.json")
        atomic_write_text(path, json.dumps(trial.get_state()))



# --------------------------------------------------------------------------- public helper


def release_memory() -> int:
    """Frees what finished models leave behind in this process, as `nnzoo.tune` does per trial.

    Runs `keras.backend.clear_session()` (which also runs the garbage
    collector) and unregisters TensorFlow's `"CustomGradient-<n>"` gradient
    functions, which keep every traced train graph alive after its model is
    gone (tensorflow/tensorflow#61791). Call it between models in a
    long-running process: a hand-written CV loop, a notebook that builds
    model after model. Models still in use keep working (their traced
    functions no longer need the entries; a retrace registers new ones),
    but layer names restart from the beginning, as after any
    `clear_session()`.

    Returns:
        The number of gradient functions released.

    Example:

    >>> import nnzoo
    >>> for fold in range(2):
    ...     model = nnzoo.build("ffnn", (4,), task="binary")
    ...     nnzoo.release_memory() >= 0
    True
    True
    """
    import keras

    keras.backend.clear_session()
    return drop_custom_gradients()
