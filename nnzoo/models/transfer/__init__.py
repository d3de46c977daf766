"""Transfer learning: a VGG16 convolutional base with a new classifier."""

from nnzoo._registry import Family
from nnzoo.models.transfer.builder import build_vgg16_transfer, fit_cached, imagenet_weights_path
from nnzoo.models.transfer.examples import INPUTS
from nnzoo.models.transfer.presets import PRESETS
from nnzoo.models.transfer.space import SPACE

FAMILY = Family(
    "vgg16_transfer", build_vgg16_transfer, PRESETS, SPACE, INPUTS, tasks=("binary", "multiclass", "multilabel"),
    slow_export=True, exports=(fit_cached,),
    # A frozen, randomly initialised base gives weak features: a quick fit trains the head without dropout.
    quick_fit={"epochs": 8, "dropout": 0.0, "learning_rate": 1e-2},
)

__all__ = ["FAMILY", "build_vgg16_transfer", "fit_cached", "imagenet_weights_path"]
