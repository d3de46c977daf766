"""Named CNN variants: presets over `build_cnn`'s defaults."""

from nnzoo._registry import Variant

PRESETS = {
    "cnn": Variant({}, "CNN: two conv blocks (32, 64) with batch norm, global average pooling, dropout"),
    "cnn_textbook": Variant(
        {
            "filters": (32,),
            "padding": "valid",
            "pool": "max",
            "dense_units": (128,),
            "global_pooling": None,
            "batch_norm": False,
            "dropout": 0.0,
            "conv_dropout": 0.0,
            "convs_per_block": 1,
        },
        "Textbook CNN: Conv2D(32, 3) -> MaxPool -> Flatten -> Dense(128)",
        example_input_shape=(12, 12, 1),
    ),
    "cnn_small": Variant({"filters": (16, 32), "dense_units": (64,)}, "Small CNN (16, 32) for tiny images and fast runs"),
    "cnn_large": Variant({"filters": (32, 64, 128), "dense_units": (256,)}, "Larger CNN, three conv blocks (32, 64, 128)"),
}
