"""`fit`: `model.fit` on in-memory arrays, with a fast input pipeline; `train`: the recipe.

For NumPy (or pandas) inputs, Keras 3 on TensorFlow wraps the arrays in a
`tf.data` pipeline whose iterator is rebuilt twice per epoch, plus twice
more for the validation data; each rebuild costs tens of milliseconds, which
on small data sets is more than the epoch's compute (see
`benchmarks/run.py --only throughput`). `fit` builds a plain pipeline
(`from_tensor_slices -> shuffle -> batch -> prefetch`) whose iterators cost
well under a millisecond, and otherwise calls `model.fit` unchanged: the
same epochs, batches, shuffling, `validation_split`, callbacks and History.

`train` is nnzoo's training recipe: `fit` with `standard_callbacks` (early
stopping, plateau cuts, an optional schedule), seeded, with a regression
head started at the targets' scale. The command line (`nnzoo train`,
`nnzoo quickstart`), the notebooks and the benchmarks all call it, so the
same data and seed give the same model everywhere.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from nnzoo._inputs import check_shuffle, check_training_data
from nnzoo._validation import check_bool, check_float, check_int, fail, fail_type

__all__ = ["fit", "train"]

#: `model.fit` arguments whose meaning for arrays `fit` cannot keep with a
#: finite per-epoch dataset; when given, `fit` calls `model.fit` on the arrays.
_PASS_THROUGH_KWARGS = ("steps_per_epoch", "validation_steps")


def fit(
    model,
    x: Any = None,
    y: Any = None,
    *,
    batch_size: int | None = None,
    epochs: int = 1,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool | str = True,
    sample_weight: Any = None,
    stratify: bool = False,
    validation_seed: int = 0,
    **fit_kwargs: Any,
):
    """Trains a compiled model on arrays like `model.fit`, only faster.

    Arrays (NumPy, pandas, lists, or dicts/tuples of them for multi-input
    models) are fed through a `tf.data` pipeline built once for the whole
    `fit`: the training set is reshuffled every epoch, batched and
    prefetched; the validation set is batched and prefetched. Each epoch
    sees every sample exactly once, whatever the model's
    `steps_per_execution` (also when an epoch has fewer steps than that).
    `validation_split` takes the last fraction of the samples before
    shuffling, exactly as `model.fit` does; with `stratify=True` it is a
    shuffled, stratified hold-out instead (scikit-learn's
    `train_test_split(..., stratify=y)`), which sorted data needs: when the
    last rows miss a class of a classification model (its loss is a
    cross-entropy), `fit` warns and points to `stratify=True`.

    Anything that is not an array (a `tf.data.Dataset`, a
    `keras.utils.PyDataset`, a generator), a non-TensorFlow backend,
    `shuffle="batch"`, `steps_per_epoch` or `validation_steps` goes to
    `model.fit` unchanged.

    Args:
        model: A compiled `keras.Model`.
        x: Input data.
        y: Targets (`None` when `x` is a dataset).
        batch_size: Samples per step (default 32, as in `model.fit`).
        epochs: Number of epochs.
        validation_split: Fraction of the training data, taken from the end,
            held out for validation, in [0, 1).
        validation_data: `(x_val, y_val)` or `(x_val, y_val,
            sample_weight_val)` arrays, or a dataset.
        shuffle: Reshuffle the training data every epoch.
        sample_weight: Per-sample weights for the training data.
        stratify: With `validation_split`, hold out a shuffled validation set
            in which every class keeps its share (classes from `y`: labels,
            or one-hot rows); needs array inputs.
        validation_seed: Seed of the stratified hold-out.
        **fit_kwargs: Other `model.fit` arguments (`callbacks`, `verbose`,
            `class_weight`, `initial_epoch`, `validation_freq`,
            `validation_batch_size`, ...).

    Returns:
        The `keras.callbacks.History` of `model.fit`.

    Raises:
        ValueError: For an uncompiled model, arrays of different lengths, a
            `validation_split` outside [0, 1) or one that leaves no training
            or validation sample, or both `validation_split` and
            `validation_data`; for NaN or infinite values in the arrays,
            negative sample weights, samples of another shape than the
            model's input, or targets that do not fit its head (class ids
            outside `[0, num_classes)`, a multilabel matrix of the wrong
            width); for `stratify=True` without `validation_split`, or a
            class too small to stratify.
        TypeError: For a `batch_size` or `epochs` that is not an integer,
            complex inputs, text labels for a numeric head, or a `shuffle`
            or `stratify` that is not a bool.

    Warns:
        UserWarning: When a plain `validation_split` leaves a class out of
            the validation slice (data sorted by class).

    Example:

    >>> import numpy as np
    >>> import nnzoo
    >>> from nnzoo.callbacks import standard_callbacks
    >>> X = np.random.rand(200, 8).astype("float32")
    >>> y = (X.sum(axis=1) > 4).astype("int32")
    >>> model = nnzoo.build_ffnn((8,), task="binary")
    >>> history = nnzoo.fit(model, X, y, epochs=3, validation_split=0.2,
    ...                     callbacks=standard_callbacks(patience=10), verbose=0)
    >>> len(history.history["val_loss"])
    3
    """
    if not getattr(model, "compiled", False):
        fail("The model is not compiled", "a model from an nnzoo factory or one after `model.compile(...)`", model=model)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size)
    epochs = check_int("epochs", epochs, minimum=0)
    validation_split = check_float("validation_split", validation_split, low=0.0, high=1.0, high_inclusive=False)
    if validation_split and validation_data is not None:
        fail(
            "`validation_split` and `validation_data` are exclusive",
            "one of them",
            validation_split=validation_split,
            validation_data=type(validation_data).__name__,
        )
    check_shuffle(shuffle)
    check_training_data(model, x, y, sample_weight)
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        check_training_data(model, *validation_data, names=("x_val", "y_val", "sample_weight_val"))
    if not isinstance(stratify, bool):
        fail_type("`stratify` must be a bool", "True or False", stratify=stratify)
    if stratify:
        if not validation_split:
            fail("`stratify=True` needs a `validation_split` to stratify", "e.g. validation_split=0.2",
                 stratify=stratify, validation_split=validation_split)
        if not (_is_array_like(x) and _is_array_like(y)):
            fail_type("`stratify=True` needs arrays", "x and y as arrays (not a dataset or generator)",
                      x=type(x).__name__, y=type(y).__name__)
        (x, y, sample_weight), validation_data = _stratified_split(
            x, y, sample_weight, validation_split, check_int("validation_seed", validation_seed, minimum=0))
        validation_split = 0.0
    elif validation_split and _is_array_like(x) and _is_array_like(y):
        _warn_missing_classes(model, y, validation_split)
    kwargs = dict(batch_size=batch_size, epochs=epochs, validation_split=validation_split,
                  validation_data=validation_data, shuffle=shuffle, sample_weight=sample_weight, **fit_kwargs)
    if not _fast_path_applies(x, y, validation_data, shuffle, fit_kwargs):
        return model.fit(x, y, **kwargs)

    import keras

    train = _as_arrays(x, y, sample_weight, "x", "y", "sample_weight")
    n = _num_samples(train, "x")
    if validation_split:
        split_at = int(math.floor(n * (1.0 - validation_split)))
        if split_at in (0, n):
            fail(
                f"`validation_split` leaves no {'training' if split_at == 0 else 'validation'} sample "
                f"out of {n}",
                "more samples or another validation_split",
                validation_split=validation_split,
            )
        val = keras.tree.map_structure(lambda a: a[split_at:], train)
        train = keras.tree.map_structure(lambda a: a[:split_at], train)
    elif validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            fail("`validation_data` must be a pair or a triple of arrays", "(x_val, y_val) or (x_val, y_val, sample_weight_val)",
                 validation_data=type(validation_data).__name__)
        val = _as_arrays(*validation_data, *([None] * (3 - len(validation_data))), "x_val", "y_val", "sample_weight_val")
        _num_samples(val, "x_val")
    else:
        val = None

    batch_size = batch_size or 32
    val_batch_size = fit_kwargs.pop("validation_batch_size", None) or batch_size
    train_ds = _dataset(train, batch_size, shuffle=bool(shuffle))
    val_ds = _dataset(val, val_batch_size, shuffle=False) if val is not None else None
    return model.fit(train_ds, epochs=epochs, validation_data=val_ds, shuffle=False, **fit_kwargs)


def _fast_path_applies(x, y, validation_data, shuffle, fit_kwargs) -> bool:
    """Whether `fit` can build its own pipeline and keep `model.fit`'s meaning."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    if not isinstance(shuffle, bool) or any(fit_kwargs.get(k) is not None for k in _PASS_THROUGH_KWARGS):
        return False
    if not _is_array_like(x) or (y is not None and not _is_array_like(y)):
        return False
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)):
            return False
        if not all(v is None or _is_array_like(v) for v in validation_data):
            return False
    return True


def _is_array_like(data) -> bool:
    """Arrays, array-likes and dicts/lists/tuples of them; not datasets or generators."""
    if isinstance(data, dict):
        return bool(data) and all(_is_array_like(v) for v in data.values())
    if isinstance(data, (list, tuple)):
        if data and all(isinstance(v, numbers.Number) or _is_array_like(v) for v in data):
            return True
        return False
    if isinstance(data, (str, bytes)) or data is None:
        return False
    # NumPy arrays, pandas objects, tensors: all have a shape and a dtype.
    return hasattr(data, "shape") and (hasattr(data, "dtype") or hasattr(data, "dtypes"))


def _to_array(a):
    """An array with floats in `keras.config.floatx()`, as `model.fit` would cast them."""
    import keras
    import numpy as np

    if hasattr(a, "numpy") and not isinstance(a, np.ndarray):  # eager tensors
        a = a.numpy()
    a = np.asarray(a)
    if a.dtype.kind == "U":  # NumPy unicode strings: TensorFlow takes them as objects
        a = a.astype(object)
    if np.issubdtype(a.dtype, np.floating) and a.dtype != np.dtype(keras.config.floatx()):
        a = a.astype(keras.config.floatx())
    return a


def _as_arrays(x, y, sample_weight, x_name, y_name, w_name):
    """`(x, y, sample_weight)` as a tuple of array structures, `None`s dropped."""
    import keras

    def convert(data):
        if isinstance(data, dict):
            return {k: _to_array(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)) and data and not isinstance(data[0], numbers.Number):
            return tuple(_to_array(v) for v in data)
        return _to_array(data)

    parts = [convert(x)]
    if y is not None:
        parts.append(convert(y))
    if sample_weight is not None:
        if y is None:
            fail("`sample_weight` needs targets", f"`{y_name}` beside `{w_name}`", **{y_name: None})
        parts.append(_to_array(sample_weight))
    lengths = {}
    for name, part in zip((x_name, y_name, w_name), parts):
        for a in keras.tree.flatten(part):
            if a.ndim == 0:
                fail_type(f"`{name}` must hold arrays with a sample axis", "arrays of shape (n_samples, ...)", **{name: a})
            lengths.setdefault(name, set()).add(int(a.shape[0]))
    sizes = {k: sorted(v) for k, v in lengths.items()}
    if len({n for v in sizes.values() for n in v}) > 1:
        fail("The arrays have different numbers of samples", "the same first dimension everywhere",
             **{f"{k}_samples": v[0] if len(v) == 1 else v for k, v in sizes.items()})
    # Always a tuple: `(x,)` keeps a multi-input `x` from being read as `(x, y)`.
    return tuple(parts)


def _num_samples(arrays, name: str) -> int:
    import keras

    n = int(keras.tree.flatten(arrays)[0].shape[0])
    if n == 0:
        fail(f"`{name}` holds no samples", "at least one sample", **{f"{name}_samples": n})
    return n


def _dataset(arrays, batch_size: int, *, shuffle: bool):
    """A finite, batched, prefetched `tf.data.Dataset`; reshuffled per epoch if asked."""
    import keras
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle:
        n = int(keras.tree.flatten(arrays)[0].shape[0])
        ds = ds.shuffle(n, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _class_labels(model, y):
    """1-D class labels of `y` if the model is a single-output classifier, else `None`."""
    import numpy as np

    loss = getattr(model, "loss", None)
    loss_name = loss if isinstance(loss, str) else getattr(loss, "name", type(loss).__name__)
    if "crossentropy" not in str(loss_name).lower().replace("_", ""):
        return None
    if isinstance(y, (dict, list, tuple)) and not (isinstance(y, (list, tuple)) and y and isinstance(y[0], numbers.Number)):
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if "categorical" not in str(loss_name).lower() or "sparse" in str(loss_name).lower():
            return None  # multilabel rows
        return y.argmax(axis=1)
    return y.reshape(len(y), -1)[:, 0] if y.ndim == 2 else (y if y.ndim == 1 else None)


def _warn_missing_classes(model, y, validation_split: float) -> None:
    """Warns when the last-rows validation slice misses a class of the training data."""
    import warnings

    import numpy as np

    labels = _class_labels(model, y)
    if labels is None:
        return
    n = len(labels)
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at in (0, n):
        return  # `fit` fails on this split with its own message
    missing = sorted(set(np.unique(labels).tolist()) - set(np.unique(labels[split_at:]).tolist()))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (", ..." if len(missing) > 10 else "")
        warnings.warn(
            f"validation_split={validation_split:g} holds out the last {n - split_at} of {n} samples, and they "
            f"miss {len(missing)} of {len(np.unique(labels))} classes ({shown}): the data is probably sorted by "
            "class, so the validation scores (and early stopping on them) see only part of the problem. "
            "Pass stratify=True for a shuffled, stratified validation set, or shuffle the data first.",
            UserWarning,
            stacklevel=3,
        )


def _stratified_split(x, y, sample_weight, validation_split: float, seed: int):
    """`(x, y, w)` for training and `(x_val, y_val[, w_val])`: a shuffled, stratified hold-out."""
    import keras
    import numpy as np
    from sklearn.model_selection import train_test_split

    train = _as_arrays(x, y, sample_weight, "x", "y", "sample_weight")
    y_arr = train[1]
    labels = np.asarray(y_arr)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1) if np.all((labels == 0) | (labels == 1)) and np.all(labels.sum(1) == 1) else None
    elif labels.ndim == 2:
        labels = labels[:, 0]
    if labels is None or labels.ndim != 1:
        fail("`stratify=True` needs class labels", "y of shape (n,) or (n, 1) labels, or one-hot rows",
             y_shape=np.shape(y_arr))
    n = len(labels)
    try:
        tr, va = train_test_split(np.arange(n), test_size=validation_split, random_state=seed, shuffle=True,
                                  stratify=labels)
    except ValueError as err:
        fail(f"Cannot hold out a stratified validation set: {err}",
             "at least two samples of every class, and a validation_split with room for one sample of each class",
             validation_split=validation_split, n_samples=n, n_classes=len(np.unique(labels)))
    tr, va = np.sort(tr), np.sort(va)
    take = [keras.tree.map_structure(lambda a, i=idx: a[i], train) for idx in (tr, va)]
    parts = list(take[0]) + [None] * (3 - len(take[0]))
    return tuple(parts), tuple(take[1])


def train(
    model,
    x: Any,
    y: Any = None,
    *,
    epochs: int = 50,
    batch_size: int = 32,
    validation_split: float | None = None,
    validation_data: Any = None,
    patience: int = 10,
    schedule: Any = None,
    monitor: str | None = None,
    seed: int | None = None,
    init_head: bool = True,
    callbacks: Any = None,
    verbose: Any = "auto",
    **fit_kwargs: Any,
):
    """Trains a compiled model with nnzoo's recipe: `fit` plus `standard_callbacks`.

    The recipe: `nnzoo.fit` with `standard_callbacks(monitor, patience,
    schedule, epochs=epochs)` (stop on NaN, early stopping with the best
    weights restored, learning-rate cuts on plateaus, and a schedule when
    asked). It watches `val_loss` when there is validation data and `loss`
    otherwise. With `seed`, the batches' order is seeded
    (`keras.utils.set_random_seed(seed)` just before fitting); seed before
    building the model too for reproducible initial weights.

    With `init_head=True`, a regression model (a linear output `Dense`, as
    every nnzoo factory builds; the task is read by `nnzoo._tasks.read_head`) starts
    at the targets' scale: its bias is set to the targets' mean and its
    kernel scaled by their standard deviation. Raw targets such as prices sit
    far from the zero a fresh head outputs; without this most epochs go into
    learning the offset. On diabetes it scores as standardising the targets
    does (5-fold CV R² 0.429 both), and stops early after 18-50 epochs where a
    fresh head needs 108-140. Other heads are left alone.

    Args:
        model: A compiled `keras.Model`, e.g. from `nnzoo.build`.
        x: Input data (arrays, or anything `nnzoo.fit` takes).
        y: Targets.
        epochs: Most epochs; early stopping may end sooner.
        batch_size: Samples per step.
        validation_split: Fraction of the training data, taken from the end,
            watched for overfitting, in [0, 1); 0 watches the training loss.
            Default 0.1, or 0 when `validation_data` is given.
        validation_data: `(x_val, y_val)` to watch instead of a split.
        patience: Early-stopping patience in epochs (plateau patience is
            half of it).
        schedule: `"cosine"`, `"step"`, `"exponential"`, a schedule object
            from `nnzoo.callbacks`, or `None` (plateau cuts only).
        monitor: Quantity the callbacks watch (default `"val_loss"` with
            validation data, else `"loss"`).
        seed: Seed of the batches' order, or `None`.
        init_head: Start a regression head at the targets' scale.
        callbacks: Extra Keras callbacks, run after the recipe's.
        verbose: As in `model.fit`.
        **fit_kwargs: Other `nnzoo.fit` arguments (`sample_weight`,
            `class_weight`, ...).

    Returns:
        The `keras.callbacks.History` of the fit.

    Raises:
        ValueError: For invalid numbers, an unknown schedule, or anything
            `nnzoo.fit` refuses.
        TypeError: For a `seed` or `init_head` of the wrong type.

    Example:

    >>> import numpy as np
    >>> import keras
    >>> import nnzoo
    >>> from nnzoo.training import train
    >>> X = np.random.rand(200, 8).astype("float32")
    >>> y = 100 + 10 * X.sum(axis=1)
    >>> keras.utils.set_random_seed(0)
    >>> model = nnzoo.build_ffnn((8,), task="regression")
    >>> history = train(model, X, y, epochs=5, seed=0, verbose=0)
    >>> len(history.history["val_loss"]) <= 5
    True
    """
    import keras

    from nnzoo.callbacks import standard_callbacks

    check_bool("init_head", init_head)
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    epochs = check_int("epochs", epochs, minimum=1)
    if validation_split is None:
        validation_split = 0.0 if validation_data is not None else 0.1
    if monitor is None:
        monitor = "val_loss" if validation_split or validation_data is not None else "loss"
    recipe = standard_callbacks(monitor=monitor, patience=patience, schedule=schedule, epochs=epochs)
    if init_head and y is not None:
        _init_regression_head(model, y)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return fit(model, x, y, batch_size=batch_size, epochs=epochs, validation_split=validation_split,
               validation_data=validation_data, callbacks=[*recipe, *(callbacks or ())], verbose=verbose,
               **fit_kwargs)


def _init_regression_head(model, y) -> bool:
    """Sets a regression model's output Dense to bias = mean(y), kernel x std(y); returns whether it did."""
    import numpy as np

    from nnzoo._tasks import output_layer, read_head

    if read_head(model).task != "regression":
        return False
    head = output_layer(model)
    weights = head.get_weights()
    if len(weights) != 2:
        return False
    kernel, bias = weights
    try:
        y = np.asarray(y, dtype="float64")
    except (TypeError, ValueError):
        return False
    y = y.reshape(len(y), -1)
    if bias.shape[0] != y.shape[1] or not np.all(np.isfinite(y)):
        return False
    std = y.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    head.set_weights([kernel * std.astype(kernel.dtype), y.mean(axis=0).astype(bias.dtype)])
    return True
