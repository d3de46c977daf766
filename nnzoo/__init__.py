"""nnzoo: well-built Keras 3 neural networks in one call.

`import nnzoo` is cheap: Keras (and TensorFlow) load on the first build, and
the optional parts (`nnzoo.callbacks`, `nnzoo.tuning`, `nnzoo.export`, ...)
load when first used.

Save with `nnzoo.save_model` and load on any Keras backend with
`nnzoo.load_model`. Train with `nnzoo.fit(model, X, y, ...)` (`model.fit` with a faster input
pipeline for arrays), and a frozen-base transfer model with
`nnzoo.fit_cached` (the base runs once). Score it with
`nnzoo.evaluate(model, X, y)` (from `nnzoo.evaluation`, loaded on first use).

Example:

>>> from nnzoo import build_cnn, list_models
>>> model = build_cnn((8, 8, 1), num_classes=10)
"""

from __future__ import annotations

import importlib

from nnzoo._compat import release_memory
from nnzoo._io import load_model, save_model
from nnzoo._registry import build, get_entry, list_models
from nnzoo.models import EXPORTS as _FAMILY_EXPORTS
from nnzoo.training import fit

# Each family's public functions (`build_cnn`, `fit_cached`, ...), as its folder declares them.
globals().update(_FAMILY_EXPORTS)

__version__ = "0.1.0.dev0"

__all__ = sorted([
    "build",
    "evaluate",
    "fit",
    "get_entry",
    "list_models",
    "load_model",
    "release_memory",
    "save_model",
    *_FAMILY_EXPORTS,
])

_SUBMODULES = ("callbacks", "datasets", "evaluation", "export", "plots", "text", "tuning")
#: Public functions of lazily loaded modules: name -> module.
_LAZY_FUNCTIONS = {"evaluate": "nnzoo.evaluation"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"nnzoo.{name}")
    if name in _LAZY_FUNCTIONS:
        value = getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(f"module 'nnzoo' has no attribute {name!r}")
