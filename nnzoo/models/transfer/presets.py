"""Named transfer variants: presets over `build_vgg16_transfer`'s defaults."""

from nnzoo._registry import Variant

PRESETS = {
    "vgg16_transfer": Variant(
        {}, "VGG16 base (frozen, optional fine-tuning) + new classifier head; takes raw 0-255 RGB"
    ),
}
