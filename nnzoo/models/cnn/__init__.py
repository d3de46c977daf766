"""Convolutional networks for images."""

from nnzoo._registry import Family
from nnzoo.models.cnn.builder import build_cnn
from nnzoo.models.cnn.examples import INPUTS
from nnzoo.models.cnn.presets import PRESETS
from nnzoo.models.cnn.space import SPACE, SPACE_LIMITS

FAMILY = Family("cnn", build_cnn, PRESETS, SPACE, INPUTS, space_limits=SPACE_LIMITS)

__all__ = ["FAMILY", "build_cnn"]
