"""1-D convolutional networks for sequences: time series and text."""

from nnzoo._registry import register_family
from nnzoo.models.conv1d.builder import build_conv1d
from nnzoo.models.conv1d.presets import PRESETS

register_family(
    "conv1d",
    input_kind="sequence",
    example_input_shape=(16, 2),
    variants={k: v[0] for k, v in PRESETS.items() if k != "conv1d"},
    descriptions={k: v[1] for k, v in PRESETS.items()},
)(build_conv1d)

__all__ = ["build_conv1d"]
