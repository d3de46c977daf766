"""Named feed-forward variants: presets over `build_ffnn`'s defaults."""

from nnzoo._registry import Variant

PRESETS = {
    "ffnn": Variant({}, "Feed-forward network, two hidden layers (64, 32)"),
    "ffnn_small": Variant({"hidden_units": (16, 8)}, "Feed-forward network, textbook size (16, 8)"),
    "ffnn_large": Variant(
        {"hidden_units": (256, 128, 64), "dropout": 0.2, "batch_norm": True},
        "Feed-forward network (256, 128, 64) with batch norm and dropout",
    ),
}
