"""1-D convolutional networks for sequences: time series (FCN, ResNet, InceptionTime) and text (Kim 2014)."""

from nnzoo._registry import Family
from nnzoo.models.conv1d.builder import build_conv1d
from nnzoo.models.conv1d.examples import INPUTS
from nnzoo.models.conv1d.presets import PRESETS
from nnzoo.models.conv1d.space import SPACE

FAMILY = Family("conv1d", build_conv1d, PRESETS, SPACE, INPUTS)

__all__ = ["FAMILY", "build_conv1d"]
