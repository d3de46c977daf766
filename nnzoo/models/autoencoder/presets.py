"""Named autoencoder variants: presets over `build_autoencoder`'s defaults."""

from nnzoo._registry import Variant
from nnzoo.models.autoencoder.space import CONV_SPACE

PRESETS = {
    "autoencoder": Variant({}, "Dense autoencoder (64 -> encoding -> 64)"),
    "conv_autoencoder": Variant(
        {"architecture": "conv", "filters": (16, 32)},
        "Convolutional autoencoder for images (16, 32 filters)",
        example_input_shape=(8, 8, 1),
        input_kind="image",
        space=CONV_SPACE,
    ),
}
