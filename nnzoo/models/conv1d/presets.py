"""Named 1-D conv variants: the published networks as presets over `build_conv1d`."""

from nnzoo._registry import Variant

PRESETS = {
    "conv1d": Variant({}, "1-D conv net for sequences: FCN (128/8, 256/5, 128/3) with per-series z-normalisation inside"),
    "fcn": Variant(
        {"normalize": None},
        "FCN of Wang et al. 2017: Conv1D 128/8, 256/5, 128/3, each BN+ReLU, global average pooling",
    ),
    "resnet1d": Variant(
        {"architecture": "resnet", "filters": (64, 128, 128), "kernel_size": (8, 5, 3), "normalize": None},
        "ResNet of Wang et al. 2017: three residual blocks of three convs (64, 128, 128 filters; kernels 8, 5, 3)",
    ),
    "inception_time": Variant(
        {"architecture": "inception", "filters": (32,) * 6, "kernel_size": (40, 20, 10), "bottleneck": 32,
         "residual_every": 3, "normalize": None},
        "InceptionTime network (Ismail Fawaz et al. 2020): 6 inception modules, bottleneck 32, kernels 40/20/10",
    ),
    "textcnn": Variant(
        {"architecture": "parallel", "filters": (100,), "kernel_size": (3, 4, 5), "global_pooling": "max",
         "dropout": 0.5, "batch_norm": False, "vocab_size": 20000, "embedding_dim": 128},
        "Text CNN of Kim 2014 on token ids: 100 filters of widths 3, 4, 5, max over time, dropout 0.5",
        example_input_shape=(20,),
    ),
}
