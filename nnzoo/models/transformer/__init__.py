"""A small Transformer encoder for sequences and text."""

from nnzoo._registry import Family
from nnzoo.models.transformer.builder import build_transformer
from nnzoo.models.transformer.examples import INPUTS
from nnzoo.models.transformer.presets import PRESETS
from nnzoo.models.transformer.space import SPACE

FAMILY = Family("transformer", build_transformer, PRESETS, SPACE, INPUTS)

__all__ = ["FAMILY", "build_transformer"]
