"""Transfer learning: a VGG16 convolutional base with a new classifier."""

from __future__ import annotations

import os
from typing import Any

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._validation import (
    Integer,
    OneOf,
    Widths,
    check_float,
    check_input_shape,
    check_int,
    check_params,
    fail,
    fail_type,
)

#: File name Keras caches the notop ImageNet weights under (~/.keras/models/).
IMAGENET_NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
#: VGG16's "caffe" preprocessing: RGB -> BGR, then subtract these BGR means.
BGR_MEAN = (103.939, 116.779, 123.68)
#: The frozen layer that runs that preprocessing inside the model.
PREPROCESS_LAYER = "vgg16_preprocess"
_VGG16_CONV_LAYERS = 13
POOLINGS = ("avg", "max", "flatten")
#: What build_vgg16_transfer's own arguments accept (the hidden-layer and common ones are shared tables);
#: `trainable_layers` is also at most the base's conv layers.
CONSTRAINTS = {
    "trainable_layers": Integer(minimum=0),
    "pooling": OneOf(POOLINGS),
    "dense_units": Widths(),
}


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


def build_vgg16_transfer(
    input_shape=(224, 224, 3),
    *,
    num_classes: int | None = None,
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

    The model is `preprocess -> vgg16 -> classifier`:

    - `"vgg16_preprocess"` does VGG16's own input preprocessing (RGB to BGR,
      ImageNet mean subtracted) as a frozen `Dense(3)` on the channel axis,
      so the model takes raw 0-255 RGB and needs no custom objects;
    - `"vgg16"` is the convolutional base (`keras.applications.VGG16`,
      `include_top=False`), frozen except its top `trainable_layers` conv
      layers;
    - `"classifier"` is a nested model (pooling, dense layers, and the
      output `Dense` named `"head"`, as in every family) that can be trained
      alone on cached base features.

    Args:
        input_shape: `(height, width, 3)`, each side at least 32.
        num_classes: Number of classes (multiclass) or labels (multilabel).
        weights: `None` (random init), `"imagenet"` (from the local Keras
            cache only; nothing is downloaded), or a path to a weights file.
        trainable_layers: Number of VGG16 conv layers, counted from the top,
            left trainable for fine-tuning (0 to 13).
        pooling: `"avg"`, `"max"` or `"flatten"` over the base's feature map.
        dense_units: Dense layers of the classifier.
        dropout: Dropout after each classifier dense layer (and after pooling).
        task: `"multiclass"` (default), `"binary"` or `"multilabel"`.
        activation: Activation of the classifier's dense layers.
        batch_norm: Batch normalisation in the classifier.
        l1: L1 penalty on classifier kernels.
        l2: L2 penalty on classifier kernels.
        **options: Common options (optimizer, learning_rate, ...).

    Returns:
        A `keras.Model`, compiled unless `compile=False`.

    Raises:
        ValueError: For an invalid argument, an image smaller than 32x32 or
            not RGB, or `weights="imagenet"` when the file is not cached.

    Example:

    >>> from nnzoo import build_vgg16_transfer
    >>> model = build_vgg16_transfer((64, 64, 3), num_classes=5, weights=None)
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
    trainable_layers, pooling, dense_units = check_params(
        {"trainable_layers": trainable_layers, "pooling": pooling, "dense_units": dense_units}, CONSTRAINTS
    ).values()
    if trainable_layers > _VGG16_CONV_LAYERS:
        fail("`trainable_layers` exceeds VGG16's conv layers", f"0 to {_VGG16_CONV_LAYERS}", trainable_layers=trainable_layers)
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
        preprocess = keras.layers.Dense(3, name=PREPROCESS_LAYER, trainable=False)
        x = preprocess(inputs)
        perm = np.zeros((3, 3), dtype="float32")
        perm[0, 2] = perm[1, 1] = perm[2, 0] = 1.0
        preprocess.set_weights([perm, -np.asarray(BGR_MEAN, dtype="float32")])

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
        classifier = keras.Model(feat, head_spec.layer()(y), name="classifier")
        return keras.Model(inputs, classifier(x), name=opts.name or f"vgg16_transfer_{head_spec.task}")

    params = _count_params(shape, pooling, dense_units, hidden, head_spec)
    return finish(graph, opts, loss=head_spec.loss, metrics=head_spec.metrics, params=params, input_shape=shape,
                  pooling=pooling, dense_units=dense_units)


#: Parameters of `keras.applications.VGG16(include_top=False)`, whatever the input size.
_VGG16_BASE_PARAMS = 14_714_688


def _count_params(shape, pooling, dense_units, hidden, head_spec) -> int:
    """The model's parameter count, from the arguments alone (no layer is made)."""
    n = 512 if pooling != "flatten" else (shape[0] // 32) * (shape[1] // 32) * 512
    total = 3 * 3 + 3 + _VGG16_BASE_PARAMS  # the preprocessing Dense(3), then the base
    for u in dense_units:
        total, n = total + hidden.dense_params(n, u), u
    return total + head_spec.params(n)


def _freeze(base, trainable_layers: int) -> None:
    """Freezes the base, then unfreezes its top `trainable_layers` conv layers."""
    convs = [layer for layer in base.layers if layer.weights]
    for layer in base.layers:
        layer.trainable = False
    for layer in convs[len(convs) - trainable_layers :] if trainable_layers else []:
        layer.trainable = True


def fit_cached(model, x, y, *, batch_size: int | None = None, validation_data=None, validation_split: float = 0.0,
               **fit_kwargs: Any):
    """Trains the classifier of a frozen-base transfer model on cached base features.

    With the VGG16 base frozen, every epoch of `model.fit` runs the images
    through the same fixed base again. `fit_cached` runs the preprocessing
    and the base once over `x` (and the validation images), then trains only
    the `"classifier"` sub-model on those features. Its layers are the
    model's own, so afterwards `model` predicts, saves and exports with the
    trained classifier, and its optimizer state carries over to a later
    `model.fit` (for example for fine-tuning).

    The features are held in memory: `len(x)` times the base's output size
    (512 floats per image with 32x32 inputs; 7x7x512 with 224x224).

    Args:
        model: A compiled model from `build_vgg16_transfer` with
            `trainable_layers=0`.
        x: Raw 0-255 RGB images, shape `(n, height, width, 3)`.
        y: Targets, as for `model.fit`.
        batch_size: Samples per step, for the base pass and the classifier's
            training (default 32).
        validation_data: `(x_val, y_val)` images and targets, or `None`.
        validation_split: Fraction of `x`, taken from the end, held out for
            validation (as in `model.fit`).
        **fit_kwargs: Other `fit` arguments (`epochs`, `callbacks`,
            `verbose`, `class_weight`, ...). Callbacks see the classifier
            (`callback.model` is a model over the classifier's layers), so a
            checkpoint callback saves the classifier; save `model` afterwards for
            the full model.

    Returns:
        The `keras.callbacks.History` of the classifier's training.

    Raises:
        ValueError: If `model` is not a compiled `build_vgg16_transfer` model,
            or if its base is not fully frozen (`trainable_layers > 0`:
            fine-tuning changes the base, so its features cannot be cached;
            use `nnzoo.fit` or `model.fit`); for NaN or infinite pixels,
            images of another shape than the model's input, or targets that
            do not fit its head. All before the base runs.

    Example:

    >>> import numpy as np
    >>> from nnzoo import build_vgg16_transfer, fit_cached
    >>> x = np.random.uniform(0, 255, size=(16, 32, 32, 3)).astype("float32")
    >>> y = np.arange(16) % 2
    >>> model = build_vgg16_transfer((32, 32, 3), num_classes=2, weights=None)
    >>> history = fit_cached(model, x, y, epochs=2, verbose=0)
    >>> len(history.history["loss"])
    2
    """
    import keras

    from nnzoo._inputs import check_training_data
    from nnzoo.training import fit

    preprocess, base, classifier = _transfer_parts(model)
    batch_size = 32 if batch_size is None else check_int("batch_size", batch_size)
    validation_split = check_float("validation_split", validation_split, low=0.0, high=1.0, high_inclusive=False)
    if validation_split and validation_data is not None:
        fail("`validation_split` and `validation_data` are exclusive", "one of them",
             validation_split=validation_split, validation_data=type(validation_data).__name__)

    check_training_data(model, x, y, fit_kwargs.get("sample_weight"))
    if isinstance(validation_data, (tuple, list)) and len(validation_data) == 2:
        check_training_data(model, *validation_data, names=("x_val", "y_val", "sample_weight_val"))

    def features(images, name):
        return _base_features(preprocess, base, images, batch_size, name, model.input_shape[1:])

    feats = features(x, "x")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            fail("`validation_data` must be a pair", "(x_val, y_val) with raw images", validation_data=type(validation_data).__name__)
        validation_data = (features(validation_data[0], "x_val"), validation_data[1])
    # A model over the classifier's own graph: the same layers and weights, without
    # compiling (and so changing the saved config of) the nested `classifier`.
    trainer = keras.Model(classifier.inputs, classifier.outputs, name=f"{model.name}_classifier")
    config = model.get_compile_config()
    trainer.compile(
        optimizer=model.optimizer,  # shared: its state carries over to `model`
        loss=model.loss,
        metrics=config.get("metrics"),
        loss_weights=config.get("loss_weights"),
        weighted_metrics=config.get("weighted_metrics"),
        steps_per_execution=model.steps_per_execution,
        jit_compile=model.jit_compile,
    )
    return fit(trainer, feats, y, batch_size=batch_size, validation_data=validation_data,
               validation_split=validation_split, **fit_kwargs)


def _transfer_parts(model):
    """`(preprocess, base, classifier)` of a compiled, fully frozen transfer model; fails otherwise."""
    names = [layer.name for layer in getattr(model, "layers", ())]
    if not all(n in names for n in (PREPROCESS_LAYER, "vgg16", "classifier")):
        fail(
            "fit_cached needs a model from build_vgg16_transfer",
            "a model with the layers 'vgg16_preprocess', 'vgg16' and 'classifier'",
            layers=names,
        )
    if not getattr(model, "compiled", False):
        fail("The model is not compiled", "a model from build_vgg16_transfer with compile=True", model=model.name)
    preprocess, base, classifier = (model.get_layer(n) for n in (PREPROCESS_LAYER, "vgg16", "classifier"))
    if base.trainable_weights or preprocess.trainable_weights:
        trainable = [layer.name for layer in base.layers if layer.trainable_weights]
        fail(
            f"fit_cached needs a frozen VGG16 base, but {len(trainable)} of its layers are trainable "
            "(trainable_layers > 0, or the base was unfrozen): their features change at every step, so they "
            "cannot be cached. Fine-tune with nnzoo.fit or model.fit instead",
            "a model built with trainable_layers=0",
            trainable_base_layers=trainable,
        )
    return preprocess, base, classifier


def _base_features(preprocess, base, images, batch_size: int, name: str, input_shape):
    """Runs preprocessing and the base over `images` once, in batches; returns a NumPy array."""
    import keras
    import numpy as np

    if not hasattr(images, "shape"):
        images = np.asarray(images)
    if tuple(images.shape[1:]) != tuple(input_shape):
        fail(f"`{name}` does not match the model's input", f"images of shape (n, {', '.join(map(str, input_shape))})",
             **{f"{name}.shape": tuple(images.shape)})
    images = np.asarray(images, dtype=keras.config.floatx())
    if not len(images):
        fail(f"`{name}` holds no images", "at least one image", **{f"{name}.shape": tuple(images.shape)})
    # Eager calls, one per batch: the convolutions dominate, and nothing is traced (tracing VGG16 costs seconds).
    chunks = [keras.ops.convert_to_numpy(base(preprocess(images[i : i + batch_size]), training=False))
              for i in range(0, len(images), batch_size)]
    return np.concatenate(chunks)
