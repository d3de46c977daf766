"""Named Transformer variants: presets over `build_transformer`'s defaults."""

from nnzoo._registry import Variant

PRESETS = {
    "transformer": Variant({}, "Transformer encoder: 2 blocks, d_model 64, 4 heads, learned positions, average pooling"),
    "transformer_sinusoidal": Variant({"positions": "sinusoidal"},
                                      "Transformer encoder with the fixed sinusoidal positions of Vaswani et al. 2017"),
}
