"""Feed-forward networks (multilayer perceptrons) for tabular data."""

from nnzoo._registry import Family
from nnzoo.models.ffnn.builder import build_ffnn
from nnzoo.models.ffnn.examples import INPUTS
from nnzoo.models.ffnn.presets import PRESETS
from nnzoo.models.ffnn.space import SPACE

FAMILY = Family("ffnn", build_ffnn, PRESETS, SPACE, INPUTS)

__all__ = ["FAMILY", "build_ffnn"]
