"""Transfer learning: a VGG16 convolutional base with a new head."""

from __future__ import annotations

import os
from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._registry import register_family
from nnzoo._validation import check_choice, check_input_shape, check_int, check_units, fail, fail_type

#: File name Keras caches the notop ImageNet weights under (~/.keras/models/).
IMAGENET_NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
#: VGG16's "caffe" preprocessing: RGB -> BGR, then subtract these BGR means.
_BGR_MEAN = (103.939, 116.779, 123.68)
_VGG16_CONV_LAYERS = 13
POOLINGS = ("avg", "max", "flatten")


def imagenet_weights_path() -> str:
    """Where Keras keeps the VGG16 notop ImageNet weights, if they are cached."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models", IMAGENET_NOTOP_FILE)


def _resolve_weights(weights):
    """Returns a local weights file path, or None; never downloads."""
    if weights is None:
        return None
    if not isinstance(weights, (str, os.PathLike)):
        fail_type("`weights` must be None, 'imagenet' or a file path", "None, 'imagenet' or a path", weights=weights)
    weights = os.fspath(weights)
    if weights == "imagenet":
        path = imagenet_weights_path()
        if not os.path.isfile(path):
            fail(
                "VGG16 ImageNet weights are not available offline, and nnzoo never downloads at run time. "
                "On a machine with network access, run `keras.applications.VGG16(weights='imagenet', "
                f"include_top=False)` once: Keras caches {IMAGENET_NOTOP_FILE} in that machine's "
                f"~/.keras/models/. Copy the file here to {path}, or pass weights='/path/to/{IMAGENET_NOTOP_FILE}'",
                f"the file {path}",
                weights=weights,
            )
        return path
    if not os.path.isfile(weights):
        fail("The VGG16 weights file does not exist", "'imagenet', None, or the path of an existing .h5 file", weights=weights)
    return weights


@register_family(
    "vgg16_transfer",
    input_kind="image",
    example_input_shape=(32, 32, 3),
    tasks=("binary", "multiclass", "multilabel"),
    descriptions={"vgg16_transfer": "VGG16 base (frozen, optional fine-tuning) + new classifier head; takes raw 0-255 RGB"},
)
def build_vgg16_transfer(
    input_shape=(224, 224, 3),
    num_classes: int | None = None,
    *,
    weights: str | None = None,
    trainable_layers: int = 0,
    pooling: str = "avg",
    dense_units=(256,),
    dropout: float = 0.5,
    task: str = "multiclass",
    activation: str = "relu",
    batch_norm: bool = False,
    l1: float = 0.0,
    l2: float = 0.0,
    **options: Any,
):
    """Builds a VGG16 transfer-learning classifier.

    The model is `preprocess -> vgg16 -> head`:

    - `"vgg16_preprocess"` does VGG16's own input preprocessing (RGB to BGR,
      ImageNet mean subtracted) as a frozen `Dense(3)` on the channel axis,
      so the model takes raw 0-255 RGB and needs no custom objects;
    - `"vgg16"` is the convolutional base (`keras.applications.VGG16`,
      `include_top=False`), frozen except its top `trainable_layers` conv
      layers;
    - `"head"` is a nested model (pooling, dense layers, output) that can be
      trained alone on cached base features.

    Args:
        input_shape: `(height, width, 3)`, each side at least 32.
        num_classes: Number of classes (multiclass) or labels (multilabel).
        weights: `None` (random init), `"imagenet"` (from the local Keras
            cache only; nothing is downloaded), or a path to a weights file.
        trainable_layers: Number of VGG16 conv layers, counted from the top,
            left trainable for fine-tuning (0 to 13).
        pooling: `"avg"`, `"max"` or `"flatten"` over the base's feature map.
        dense_units: Dense layers of the head.
        dropout: Dropout after each head dense layer (and after pooling).
        task: `"multiclass"` (default), `"binary"` or `"multilabel"`.
        activation: Activation of the head's dense layers.
        batch_norm: Batch normalisation in the head.
        l1: L1 penalty on head kernels.
        l2: L2 penalty on head kernels.
        **options: Common options (optimizer, learning_rate, ...).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument, an image smaller than 32x32 or
            not RGB, or `weights="imagenet"` when the file is not cached.

    Example:

    >>> from nnzoo import build_vgg16_transfer
    >>> model = build_vgg16_transfer((64, 64, 3), 5, weights=None)
    >>> model.output_shape
    (None, 5)
    """
    shape = check_input_shape(input_shape, ranks=(3,), family="build_vgg16_transfer", hint="(height, width, 3)")
    if shape[0] < 32 or shape[1] < 32 or shape[2] != 3:
        fail(
            "VGG16 needs RGB images of at least 32x32",
            "input_shape=(height, width, 3) with height, width >= 32",
            input_shape=input_shape,
        )
    trainable_layers = check_int("trainable_layers", trainable_layers, minimum=0)
    if trainable_layers > _VGG16_CONV_LAYERS:
        fail("`trainable_layers` exceeds VGG16's conv layers", f"0 to {_VGG16_CONV_LAYERS}", trainable_layers=trainable_layers)
    pooling = check_choice("pooling", pooling, POOLINGS)
    dense_units = check_units("dense_units", dense_units)
    if task == "regression":
        fail("build_vgg16_transfer is a classifier", "task='multiclass', 'binary' or 'multilabel'", task=task)
    head_spec = resolve_head(task, num_classes)
    opts = parse_options("build_vgg16_transfer", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)
    weights_path = _resolve_weights(weights)

    def graph():
        import keras
        import numpy as np

        inputs = keras.Input(shape=shape, name="image")
        # Frozen Dense on the channel axis: y = x @ P - mean, with P swapping R and B.
        preprocess = keras.layers.Dense(3, name="vgg16_preprocess", trainable=False)
        x = preprocess(inputs)
        perm = np.zeros((3, 3), dtype="float32")
        perm[0, 2] = perm[1, 1] = perm[2, 0] = 1.0
        preprocess.set_weights([perm, -np.asarray(_BGR_MEAN, dtype="float32")])

        base = keras.applications.VGG16(include_top=False, weights=None, input_shape=shape, name="vgg16")
        if weights_path is not None:
            base.load_weights(weights_path)
        _freeze(base, trainable_layers)
        x = base(x)

        feat = keras.Input(shape=base.output_shape[1:], name="features")
        y = {
            "avg": keras.layers.GlobalAveragePooling2D(name="global_avg_pool"),
            "max": keras.layers.GlobalMaxPooling2D(name="global_max_pool"),
            "flatten": keras.layers.Flatten(name="flatten"),
        }[pooling](feat)
        if hidden.dropout:
            y = keras.layers.Dropout(hidden.dropout, name="pool_dropout")(y)
        for i, u in enumerate(dense_units, start=1):
            y = hidden.dense(y, u, name=f"dense_{i}")
        head = keras.Model(feat, head_spec.layer("predictions")(y), name="head")
        return keras.Model(inputs, head(x), name=opts.name or f"vgg16_transfer_{head_spec.task}")

    return finish(graph, opts, loss=head_spec.loss, metrics=head_spec.metrics)


def _freeze(base, trainable_layers: int) -> None:
    """Freezes the base, then unfreezes its top `trainable_layers` conv layers."""
    convs = [layer for layer in base.layers if layer.weights]
    for layer in base.layers:
        layer.trainable = False
    for layer in convs[len(convs) - trainable_layers :] if trainable_layers else []:
        layer.trainable = True
