"""Tuning: scikit-learn adapters and keras-tuner search over every zoo model.

Names load lazily, so `import nnzoo.tuning` stays cheap; keras-tuner is
imported only when a search starts.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # scikit-learn adapters
    "ZooClassifier": "nnzoo.tuning._sklearn",
    "ZooRegressor": "nnzoo.tuning._sklearn",
    "ZooAutoencoder": "nnzoo.tuning._sklearn",
    # keras-tuner search
    "hypermodel": "nnzoo.tuning._search",
    "tune": "nnzoo.tuning._search",
    "TuneResult": "nnzoo.tuning._search",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nnzoo.tuning' has no attribute {name!r}")
