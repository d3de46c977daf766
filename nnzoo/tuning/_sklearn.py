"""scikit-learn adapters: any zoo model as a classifier, regressor or transformer.

`ZooClassifier`, `ZooRegressor` and `ZooAutoencoder` wrap a registry name
(`"ffnn"`, `"cnn"`, `"lstm"`, `"autoencoder"`, ...) or a build callable in
the scikit-learn estimator contract, so a zoo model works in `Pipeline`,
`cross_val_score`, `GridSearchCV` and the rest.

Parameters are routed by prefix, as scikeras does:

| prefix | goes to |
|---|---|
| `model__hidden_units=(32,)` | the factory: `build(name, input_shape, hidden_units=(32,))` |
| `optimizer__learning_rate=1e-2` | the optimizer that `optimizer=` names (nnzoo's common options, or any keyword of the Keras optimizer class) |
| `compile__loss="huber"` | `model.compile` (`loss`, `metrics`, `steps_per_execution`, `jit_compile`, `run_eagerly`, ...) |
| `fit__epochs=20` | `model.fit` (overrides the plain `epochs`, `batch_size`, ... parameters) |
| `predict__batch_size=256` | prediction |

Everything the data decides is inferred in `fit`: the input shape, the task
(binary, multiclass or multilabel classification; the number of regression
targets) and the number of classes, so one estimator fits any data set.

Design notes:

- Sample weights are frequency weights. The training objective is the
  weighted mean loss `sum(w * loss) / sum(w)`, so a weight of 2 is the same
  as repeating a row, and scaling all weights changes nothing. Keras's batch
  loss is `sum(w * loss) / batch_size`; the adapter scales the weights by
  `n_samples / sum(w)` (in float64), which makes every mini-batch loss an
  unbiased estimate of that objective, and makes it exact when a batch
  holds the whole data set (`batch_size >= n_samples`). With
  `dtype="float64"` as well, weighting and repeating agree to round-off
  (about 1e-15), which is what scikit-learn's
  `check_sample_weight_equivalence_on_dense_data` asks for. `class_weight`
  is folded into the sample weights first.
- The data reach `model.fit` as `tf.data` pipelines in the model's own
  float dtype (Keras's array adapter would round float64 to
  `keras.config.floatx()`), shuffled each epoch with an operation-level
  seed; `validation_split` holds out the last rows, as Keras does.
- `dtype` is a Keras dtype policy given to every layer (the factories'
  `dtype` option); the loss computes in the policy's variable dtype. No
  global setting (`keras.config.floatx()`, the global dtype policy) is
  read for the model or changed.
- `random_state` seeds what the estimator owns and nothing else: the
  model is created with Python's `random` seeded under a lock and restored
  afterwards (Keras 3 draws each initializer's and Dropout layer's default
  seed from it), and the training data are shuffled with a seed derived
  from it (one per fit). NumPy's and TensorFlow's global random states are
  never touched. An int gives reproducible fits on CPU.
- Fitted estimators pickle and deep-copy: `__getstate__` saves `model_` to
  a temporary `.keras` file and keeps its bytes (weights and optimizer
  state); `__setstate__` loads it back. Keras is never patched.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import numbers
import os
import random
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from nnzoo._compile import execution_of
from nnzoo._inputs import check_finite, check_sample_weight, check_shuffle
from nnzoo._registry import INPUT_RANKS, check_input_rank
from nnzoo._tasks import RECONSTRUCTION, infer_task, loss_for, task_arguments
from nnzoo._layers import check_dtype_policy, with_dtype_policy
from nnzoo._validation import check_float, check_int, fail, fail_type, suggest

__all__ = ["ZooAutoencoder", "ZooClassifier", "ZooRegressor"]

#: Routing prefixes, in the order the docs list them.
PREFIXES = ("model", "optimizer", "compile", "fit", "predict")
#: nnzoo's common optimizer options (see `nnzoo._compile`).
_OPTIMIZER_OPTIONS = ("learning_rate", "momentum", "weight_decay", "clipnorm", "clipvalue")
#: `model.fit` arguments the adapter sets itself.
_FIT_MANAGED = ("x", "y", "sample_weight", "class_weight", "validation_data")
#: Factory arguments the adapter infers from the data.
_MODEL_MANAGED = ("input_shape", "task", "num_classes", "num_outputs")
#: Shapes each registry input kind takes, without the batch axis.
_DEFAULT_PREDICT_BATCH = 32
#: Rows scikit-learn 1.9's check_sample_weight_equivalence fits at once: 15
#: weighted rows against their 27 repetitions.
_SAMPLE_WEIGHT_CHECK_ROWS = 27


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #


#: Serialises the few milliseconds in which a model is created under a seed.
_BUILD_SEED_LOCK = threading.Lock()


@contextlib.contextmanager
def _layer_seeds(seed: int | None):
    """Creates the block's layers with seeds drawn from `seed`; touches nothing after it.

    Keras 3 gives every initializer and seed generator (Dropout, noise
    layers) created without a seed one drawn from Python's `random` module
    at creation time. The block runs with `random` seeded from `seed`, under
    a lock, and `random`'s previous state is restored when it ends, so the
    process's random streams continue as if nothing had happened.
    """
    if seed is None:
        yield
        return
    with _BUILD_SEED_LOCK:
        state = random.getstate()
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(state)


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether `fn` takes a keyword argument `name` (or **kwargs)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _loss_in(loss: Any, dtype: str):
    """The loss computing in `dtype`: a `Loss` re-created from its config, a name or function wrapped.

    Keras creates a loss in `keras.config.floatx()` unless told otherwise; a
    float64 model needs its loss in float64, or the gradients lose precision
    at the output. A `Loss` subclass whose config takes no `dtype` is
    returned unchanged.
    """
    import keras

    if loss is None:
        return None
    if not isinstance(loss, keras.losses.Loss):
        fn = keras.losses.get(loss)
        if not isinstance(fn, keras.losses.Loss):
            # Keras's own wrapper class (what its built-in loss classes derive from), by its public config.
            config = {"fn": keras.saving.serialize_keras_object(fn), "name": getattr(fn, "__name__", None),
                      "reduction": "sum_over_batch_size", "dtype": dtype}
            return keras.losses.deserialize({"class_name": "LossFunctionWrapper", "config": config})
        loss = fn
    if loss.dtype == dtype:
        return loss
    try:
        return type(loss).from_config({**loss.get_config(), "dtype": dtype})
    except (TypeError, ValueError):
        return loss


def _datasets(X, y, sw, fit_kwargs: dict, seed: int | None) -> dict:
    """`tf.data` pipelines for `model.fit`, taking `batch_size`, `shuffle`, `validation_split` out of `fit_kwargs`.

    The estimator shuffles with an operation-level seed (no global seed is
    set), holds out the last `validation_split` of the rows as Keras does,
    and keeps the arrays' dtypes (Keras's array adapter would round float64
    to `keras.config.floatx()`).
    """
    import tensorflow as tf

    batch_size = fit_kwargs.pop("batch_size", None) or 32
    shuffle = fit_kwargs.pop("shuffle", True)
    split = fit_kwargs.pop("validation_split", 0.0) or 0.0
    out = {}
    if split:
        at = int(math.floor(len(X) * (1.0 - split)))
        if at in (0, len(X)):
            fail("`validation_split` leaves no training or no validation rows",
                 f"a fraction that splits the {len(X)} rows into two non-empty parts", validation_split=split)
        val = (X[at:], y[at:]) if sw is None else (X[at:], y[at:], sw[at:])
        out["validation_data"] = tf.data.Dataset.from_tensor_slices(val).batch(batch_size)
        X, y, sw = X[:at], y[:at], None if sw is None else sw[:at]
    ds = tf.data.Dataset.from_tensor_slices((X, y) if sw is None else (X, y, sw))
    if shuffle and shuffle != "batch":
        ds = ds.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if shuffle == "batch":
        ds = ds.shuffle(-(-len(X) // batch_size), seed=seed, reshuffle_each_iteration=True)
    out["x"] = ds.prefetch(tf.data.AUTOTUNE)
    return out


def _as_numpy(x) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x))


# --------------------------------------------------------------------------- #
# The shared base
# --------------------------------------------------------------------------- #


class _ZooEstimator(BaseEstimator):
    """What the three adapters share: routing, building, fitting, pickling.

    Subclasses put their scikit-learn mixins before this class and define
    `__init__` (explicit parameters, as scikit-learn requires), `_targets`
    and the prediction methods.
    """

    #: "classification", "regression" or "reconstruction".
    _kind: str = ""

    # ----------------------------------------------------------- parameters

    def __getattr__(self, name: str):
        # Routed parameters read like attributes: `est.fit__epochs`.
        if "__" in name.strip("_"):
            routed = self.__dict__.get("_routed_params") or {}
            if name in routed:
                return routed[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_params(self, deep: bool = True) -> dict:
        """Gets the parameters, routed ones (`model__...`, `fit__...`) included.

        Args:
            deep: Also return the parameters of contained estimators.

        Returns:
            A dict from parameter name to value.
        """
        params = super().get_params(deep=deep)
        params.update(self.__dict__.get("_routed_params") or {})
        return params

    def set_params(self, **params: Any):
        """Sets parameters; routed names (`model__filters`, ...) may be new.

        Returns:
            The estimator.
        """
        routed = {k: v for k, v in params.items() if k.partition("__")[0] in PREFIXES and "__" in k}
        plain = {k: v for k, v in params.items() if k not in routed}
        if plain:
            super().set_params(**plain)
        if routed:
            # Rebind rather than update in place: a shallow copy shares nothing.
            self._routed_params = {**(self.__dict__.get("_routed_params") or {}), **routed}
        return self

    def _route(self) -> dict[str, dict[str, Any]]:
        """Splits the routed parameters by prefix, validating their names."""
        out: dict[str, dict[str, Any]] = {p: {} for p in PREFIXES}
        for key, value in (self.__dict__.get("_routed_params") or {}).items():
            prefix, sep, name = key.partition("__")
            if not sep or prefix not in PREFIXES or not name:
                hint = f" Did you mean 'model__{key}'?" if not sep else suggest(prefix, PREFIXES)
                fail_type(
                    f"{type(self).__name__} got an unknown parameter.{hint}",
                    "one of its own parameters, or a routed one starting with "
                    + ", ".join(f"{p}__" for p in PREFIXES),
                    **{key: value},
                )
            out[prefix][name] = value
        for name in _MODEL_MANAGED:
            if name in out["model"]:
                fail(
                    f"`model__{name}` is inferred from the data in fit",
                    "no model__input_shape/task/num_classes/num_outputs (use `input_shape=` to reshape flat rows)",
                    **{f"model__{name}": out["model"][name]},
                )
        for name in _FIT_MANAGED:
            if name in out["fit"]:
                fail(
                    f"`fit__{name}` is managed by the adapter",
                    "fit(X, y, sample_weight=...), the `class_weight` parameter, or `validation_split`",
                    **{f"fit__{name}": out["fit"][name]},
                )
        return out

    def _fit_kwargs(self, routed: dict, *, partial: bool) -> dict[str, Any]:
        epochs = check_int("epochs", self.epochs)
        batch_size = None if self.batch_size is None else check_int("batch_size", self.batch_size)
        validation_split = check_float("validation_split", self.validation_split, high=1.0, high_inclusive=False)
        check_shuffle(self.shuffle)
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            fail_type(
                "`callbacks` must be a list of keras callbacks",
                "e.g. [keras.callbacks.EarlyStopping()]",
                callbacks=self.callbacks,
            )
        kwargs = {
            "epochs": epochs,
            "batch_size": batch_size,
            "verbose": self.verbose,
            "validation_split": validation_split,
            "shuffle": self.shuffle,
            "callbacks": self.callbacks,
            **routed["fit"],
        }
        # Copies, so fitting never mutates a parameter (Keras attaches the
        # model to each callback) and clones share no state.
        kwargs["callbacks"] = copy.deepcopy(list(kwargs["callbacks"] or []))
        if partial:
            kwargs["epochs"] = 1
        return kwargs

    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool):
            return int(self.random_state) % (2**32)
        if isinstance(self.random_state, np.random.RandomState):
            return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        fail_type(
            "`random_state` must be None, an int or a numpy RandomState",
            "e.g. random_state=0",
            random_state=self.random_state,
        )

    def _check_dtype(self):
        """The `keras.DTypePolicy` from `dtype`, or None for the model's own."""
        return check_dtype_policy(self.dtype)

    def _float_dtype(self) -> str:
        """The dtype X and float targets are fed in: the policy's variable dtype, or floatx."""
        import keras

        policy = self._check_dtype()
        return policy.variable_dtype if policy is not None else keras.config.floatx()

    # ---------------------------------------------------------------- input

    def _validate_X(self, X, y="no_validation", *, reset: bool):
        """scikit-learn validation, then the reshape to the model's input shape.

        Without `y` returns X; with `y` (even None, which supervised
        estimators reject) returns `(X, y)`.
        """
        import keras

        common = dict(
            reset=reset,
            accept_sparse=False,
            dtype=[np.float32, np.float64],
            allow_nd=True,
            ensure_all_finite=False,  # checked below, in nnzoo's voice (how many, which columns)
        )
        no_y = isinstance(y, str) and y == "no_validation"
        if no_y:
            X = validate_data(self, X, **common)
        else:
            if y is not None and np.asarray(y).dtype.kind == "f":  # complex: scikit-learn says so itself
                check_finite("y", y)
            X, y = validate_data(
                self, X, y, multi_output=True, y_numeric=self._kind == "regression", **common
            )
        check_finite("X", X)
        shape = self._input_shape_for(X) if reset else self.input_shape_
        if tuple(X.shape[1:]) != tuple(shape):
            if int(np.prod(X.shape[1:])) != int(np.prod(shape)):
                fail(
                    "X does not match the input shape seen in fit",
                    f"samples of shape {tuple(shape)} or {int(np.prod(shape))} flat features",
                    X_shape=X.shape,
                )
            X = X.reshape((X.shape[0], *shape))
        # What the model's inputs hold; the same in fit and predict.
        X = np.asarray(X, dtype=self._float_dtype())
        return X if no_y else (X, y)

    def _input_shape_for(self, X) -> tuple:
        """The model's input shape (no batch axis) for data X."""
        if self.input_shape is not None:
            if isinstance(self.input_shape, numbers.Integral):
                shape = (int(self.input_shape),)
            elif isinstance(self.input_shape, (tuple, list)) and all(
                isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1 for d in self.input_shape
            ):
                shape = tuple(int(d) for d in self.input_shape)
            else:
                fail_type(
                    "`input_shape` must be a tuple of positive ints",
                    "e.g. input_shape=(8, 8, 1)",
                    input_shape=self.input_shape,
                )
            if int(np.prod(shape)) != int(np.prod(X.shape[1:])):
                fail(
                    "`input_shape` does not hold the features of one sample",
                    f"a shape whose product is {int(np.prod(X.shape[1:]))} (the features per sample in X)",
                    input_shape=self.input_shape,
                    X_shape=X.shape,
                )
        else:
            shape = tuple(int(d) for d in X.shape[1:])
        entry = self._entry()
        if entry is not None:
            form = INPUT_RANKS.get(entry.input_kind, (0, ""))[1]
            check_input_rank(entry, shape, hint=f", or flat rows with input_shape={form}", X_shape=X.shape,
                             input_shape=self.input_shape)
        return shape

    @staticmethod
    def _sample_weight(sample_weight, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        sw = np.asarray(sample_weight, dtype=np.float64)
        if sw.ndim == 0:
            sw = np.full(n, float(sw))
        if sw.shape != (n,):
            fail("`sample_weight` does not match X", f"a 1-D array of length {n}", sample_weight_shape=sw.shape)
        check_sample_weight(sw)
        if not np.any(sw > 0):
            fail("All sample weights are zero", "at least one weight above zero", sample_weight=sw)
        return sw

    # ---------------------------------------------------------------- model

    def _entry(self):
        """The registry entry for a model name; None for a build callable."""
        if isinstance(self.model, str):
            from nnzoo._registry import get_entry

            return get_entry(self.model)
        if callable(self.model):
            return None
        fail_type(
            "`model` must be a registry name or a build callable",
            "e.g. 'ffnn' or a function returning a keras.Model",
            model=self.model,
        )

    def _head_kwargs(self) -> dict[str, Any]:
        """Factory arguments the data decided (task, classes, outputs)."""
        return {}

    def _make_optimizer(self, routed: dict):
        """An optimizer from `optimizer` and `optimizer__*`, or None for the model's own."""
        import keras

        from nnzoo._compile import make_optimizer, parse_options

        spec, kw = self.optimizer, dict(routed["optimizer"])
        if spec is None and not kw:
            return None
        if inspect.isclass(spec) and issubclass(spec, keras.optimizers.Optimizer):
            return spec(**kw)
        if isinstance(spec, keras.optimizers.Optimizer):
            # A fresh copy each fit: an optimizer is bound to one model's variables.
            return type(spec).from_config({**spec.get_config(), **kw})
        if spec is not None and not isinstance(spec, str):
            fail_type(
                "`optimizer` must be a name, a keras optimizer class or instance",
                "e.g. 'adam', keras.optimizers.SGD or keras.optimizers.SGD(0.1)",
                optimizer=spec,
            )
        from nnzoo._compile import OPTIMIZERS

        name = "adam" if spec is None else spec.lower()
        common = {k: kw.pop(k) for k in _OPTIMIZER_OPTIONS if k in kw}
        if name in OPTIMIZERS:
            opt = make_optimizer(parse_options(type(self).__name__, {"optimizer": name, **common}))
        else:
            try:
                opt = keras.optimizers.get(name)
            except ValueError:
                fail(
                    f"Unknown optimizer.{suggest(name, OPTIMIZERS)}",
                    "one of " + ", ".join(map(repr, OPTIMIZERS)) + ", or any keras optimizer name",
                    optimizer=spec,
                )
            kw.update(common)
        if kw:
            opt = type(opt).from_config({**opt.get_config(), **kw})
        return opt

    def _build(self, input_shape: tuple, routed: dict):
        """Builds and compiles a fresh model for the data."""
        import keras

        entry = self._entry()
        head = self._head_kwargs()
        policy = self._check_dtype()
        if "dtype" in routed["model"]:
            fail("Pass the dtype policy as `dtype=`", "dtype='float64' (or another policy), not model__dtype",
                 model__dtype=routed["model"]["dtype"])
        if entry is not None:
            task = head.get("task", RECONSTRUCTION)
            if task not in entry.tasks:
                fail(
                    f"Model {entry.name!r} does not support task={task!r}",
                    "a model whose tasks include it: " + ", ".join(self._models_for(task)),
                    model=self.model,
                )
            model = entry.build(input_shape, **head, **routed["model"], **({"dtype": policy} if policy else {}))
        else:
            kwargs = {k: v for k, v in head.items() if _accepts(self.model, k)}
            takes_dtype = policy is not None and _accepts(self.model, "dtype")
            if takes_dtype:
                kwargs["dtype"] = policy
            model = self.model(input_shape, **kwargs, **routed["model"])
            if not isinstance(model, keras.Model):
                fail_type("The build callable must return a keras.Model", "a keras.Model", returned=model)
            if policy is not None and not takes_dtype:
                compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
                model = with_dtype_policy(model, policy)
                if compiled is not None:
                    model.compile(**keras.saving.deserialize_keras_object(compiled))
        self._check_output(model)
        optimizer = self._make_optimizer(routed)
        compile_kwargs = {}
        # A zoo model's execution settings live on the model, not in its compile
        # config (nnzoo._compile): carry them over unless compile__ sets them.
        live = {}
        if getattr(model, "compiled", False):
            live = {k: v for k, v in execution_of(model).items() if k not in routed["compile"]}
            config = model.get_compile_config()
            if optimizer is not None:
                config.pop("optimizer", None)  # replaced: don't build it
            compile_kwargs = keras.saving.deserialize_keras_object(config)
        compile_kwargs.update(routed["compile"])
        if optimizer is not None:
            compile_kwargs["optimizer"] = optimizer
        compile_kwargs.setdefault("optimizer", "adam")
        if compile_kwargs.get("loss") is None:
            compile_kwargs["loss"] = self._default_loss()
        if policy is not None:
            compile_kwargs["loss"] = _loss_in(compile_kwargs["loss"], policy.variable_dtype)
        model.compile(**compile_kwargs)
        for key, value in live.items():
            setattr(model, key, value)
        return model

    @staticmethod
    def _models_for(task: str) -> list[str]:
        from nnzoo._registry import get_entry, list_models

        return [n for n in list_models() if task in get_entry(n).tasks]

    def _default_loss(self):
        """Loss for an uncompiled model from a build callable."""
        return loss_for(self._head_kwargs().get("task", RECONSTRUCTION))

    def _check_output(self, model) -> None:
        """Fails if the model's output does not fit the inferred task."""

    # ------------------------------------------------------------------ fit

    def _fit(self, X, y, sample_weight=None, *, partial: bool = False, classes=None):
        routed = self._route()
        warm = hasattr(self, "model_") and (partial or self.warm_start)
        fit_kwargs = self._fit_kwargs(routed, partial=partial)
        seed = self._seed()
        if self._kind == "reconstruction":
            X = y = self._validate_X(X, reset=not warm)
        else:
            X, y = self._validate_X(X, y, reset=not warm)
        sw = self._sample_weight(sample_weight, X.shape[0])
        y_fit, sw = self._targets(y, sw, warm=warm, partial=partial, classes=classes)
        if sw is not None:
            # Frequency weights: scaled to mean 1, so that Keras's batch loss
            # sum(w * loss) / batch_size estimates the weighted mean loss.
            sw = sw * (len(sw) / sw.sum())
        with _layer_seeds(seed):
            if not warm:
                self.input_shape_ = tuple(X.shape[1:])
                self.model_ = self._build(self.input_shape_, routed)
                self.history_ = {}
                self._fits = 0
        # A different, reproducible shuffle for each fit of one model.
        shuffle_seed = None if seed is None else (seed + getattr(self, "_fits", 0)) % (2**31)
        self._fits = getattr(self, "_fits", 0) + 1
        data = _datasets(X, y_fit, None if sw is None else sw.astype(self._float_dtype()), fit_kwargs, shuffle_seed)
        history = self.model_.fit(**data, **fit_kwargs, shuffle=False)  # the dataset shuffles
        for key, values in history.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        return self

    def _predict_raw(self, X) -> np.ndarray:
        """Model outputs for validated X, as float64."""
        kwargs = dict(self._route()["predict"])
        batch_size = kwargs.pop("batch_size", None) or self.batch_size or _DEFAULT_PREDICT_BATCH
        if kwargs:
            out = self.model_.predict(X, batch_size=batch_size, **{"verbose": 0, **kwargs})
            return np.asarray(out, dtype=np.float64)
        # A direct call per batch: no tf.function to trace, ~50x faster than
        # model.predict on small inputs.
        parts = [_as_numpy(self.model_(X[i : i + batch_size], training=False)) for i in range(0, len(X), batch_size)]
        if not parts:
            return np.zeros((0, *self.model_.output_shape[1:]))
        return np.concatenate(parts).astype(np.float64)

    # -------------------------------------------------------------- pickling

    def __getstate__(self):
        state = dict(super().__getstate__())
        model = state.pop("model_", None)
        if model is not None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.keras")
                model.save(path)
                with open(path, "rb") as fh:
                    state["_model_bytes"] = fh.read()
        return state

    def __setstate__(self, state):
        state = dict(state)
        data = state.pop("_model_bytes", None)
        super().__setstate__(state)
        if data is not None:
            import keras

            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.keras")
                with open(path, "wb") as fh:
                    fh.write(data)
                self.model_ = keras.saving.load_model(path)

    # ------------------------------------------------------------------ tags

    def expected_failed_checks(self) -> dict[str, str]:
        """scikit-learn's estimator checks this configuration cannot pass, with the reason.

        For `check_estimator(est, expected_failed_checks=est.expected_failed_checks())`
        or `parametrize_with_checks([...], expected_failed_checks=lambda e:
        e.expected_failed_checks())`, as scikit-learn declares them for its
        own stochastic estimators. `dtype="float64"` with a batch that holds
        the check's data set (`batch_size >= 27`) passes every check.

        Returns:
            `{check_name: reason}`; empty where every check holds.
        """
        policy = self._check_dtype()
        exact = policy is not None and policy.compute_dtype == "float64"
        fit = self._route()["fit"]
        batch_size = fit.get("batch_size", self.batch_size) or 32
        failing = {}
        if not exact or batch_size < _SAMPLE_WEIGHT_CHECK_ROWS:
            failing["check_sample_weight_equivalence_on_dense_data"] = (
                "Mini-batch training: a row of weight k takes one step inside one batch, while k repeated rows "
                "spread over several batches and steps, so the two fits differ; and float32 sums round "
                "differently. Weights equal repetition for full-batch training in float64 "
                "(dtype='float64', batch_size >= n_samples)."
            )
        if not exact:
            reason = (
                "float32 matrix products on CPU can round a row differently depending on its position in the "
                "batch (rows are computed in blocks, and the last rows of a batch by another kernel): about one "
                "float32 ulp, 6e-8 relative, which exceeds the check's tolerance (rtol=1e-7 with atol=1e-9, or "
                "atol=1e-7) for some rows. Whether it does depends on the CPU's kernels (an AVX2 machine fails "
                "the check, an AVX-512 one passed it). dtype='float64' passes."
            )
            failing["check_methods_subset_invariance"] = reason
            failing["check_methods_sample_order_invariance"] = reason
        return failing


    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags


_SHARED_ARGS = """\
        model: A registry name (`"ffnn"`, `"cnn"`, `"lstm"`, ...; see
            `nnzoo.list_models()`) or a build callable
            `fn(input_shape, **kwargs) -> keras.Model`. A callable receives
            the `model__*` parameters plus, where it accepts them, the
            inferred `task`, `num_classes` / `num_outputs`. If it returns an
            uncompiled model, the task's default loss and Adam are used.
        epochs: Training epochs per `fit` (`partial_fit` runs one).
        batch_size: Samples per gradient step, and per prediction batch.
            `None` uses Keras's 32. A batch size of at least the number of
            samples trains full-batch, where sample weights are exactly
            equivalent to repeated rows.
        verbose: Keras verbosity (0 silent, 1 progress bar, 2 one line per epoch).
        validation_split: Fraction of the (last) training rows Keras holds
            out for `val_*` metrics, e.g. for `keras.callbacks.EarlyStopping`.
        shuffle: Shuffle the training rows each epoch.
        callbacks: A list of Keras callbacks. They are deep-copied for each
            fit, so the parameters are never mutated; read results from
            `history_` and `model_`.
        optimizer: `None` (the model's own: Adam), a name (`"adam"`,
            `"sgd_momentum"`, `"rmsprop"`, any Keras optimizer name), a Keras
            optimizer class or instance (copied for each fit). Configure it
            with `optimizer__learning_rate=...`, `optimizer__clipnorm=...`
            or any keyword of the optimizer class.
        input_shape: The model's input shape without the batch axis, used to
            reshape flat rows, e.g. `(8, 8, 1)` for 64 pixel columns and
            `"cnn"`, or `(30, 1)` for `"lstm"` on 30-step windows. `None`
            uses X's own shape: 2-D X for tabular models, 4-D
            `(n, height, width, channels)` for image models, 3-D
            `(n, timesteps, features)` for sequence models.
        dtype: `None` keeps the model's dtypes (Keras's global policy,
            float32 by default); a Keras dtype policy name or
            `keras.DTypePolicy` is given to every layer: `"float64"` trains
            in double precision (slower; results reproducible to round-off,
            e.g. for exact sample-weight equivalence), `"mixed_bfloat16"`
            in bfloat16 with float32 weights and output.
        random_state: `None`, an int, or a `numpy.random.RandomState`;
            seeds weight initialisation, dropout and shuffling, and no
            global random state.
        warm_start: If True, `fit` continues training the fitted model
            instead of building a new one.
        **kwargs: Routed parameters: `model__*` (factory arguments),
            `optimizer__*`, `compile__*` (`model.compile`), `fit__*`
            (`model.fit`, overriding the plain parameters above) and
            `predict__*` (`batch_size`; any other key, such as `verbose`,
            makes prediction use `model.predict`)."""


def _init_docs(cls):
    cls.__doc__ = cls.__doc__.replace("{shared_args}", _SHARED_ARGS)
    return cls


# --------------------------------------------------------------------------- #
# Classifier
# --------------------------------------------------------------------------- #


@_init_docs
class ZooClassifier(ClassifierMixin, _ZooEstimator):
    """A zoo model as a scikit-learn classifier.

    The task is inferred from `y` in `fit`: two classes train a binary
    sigmoid head, more a softmax head, and a 2-D 0/1 indicator matrix a
    multilabel sigmoid head. Labels may be strings or integers.

    Args:
{shared_args}
        class_weight: `None`, `"balanced"` or a dict `{label: weight}`,
            folded into the sample weights (binary and multiclass only).

    Attributes:
        model_: The fitted `keras.Model`.
        history_: `{metric: [value per epoch]}` over all fits so far.
        classes_: Class labels (`np.arange(n_labels)` for multilabel).
        n_classes_: Number of classes (labels, for multilabel).
        target_type_: `"binary"`, `"multiclass"` or `"multilabel-indicator"`.
        input_shape_: The model's input shape, without the batch axis.
        n_features_in_: Number of features (columns) of X in `fit`.
        feature_names_in_: Column names, when X was a DataFrame with string names.

    Example:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from nnzoo.tuning import ZooClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     ZooClassifier("ffnn", model__hidden_units=(16,), epochs=30,
    ...                   optimizer__learning_rate=1e-2, random_state=0),
    ... )
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _kind = "classification"

    def __init__(
        self,
        model="ffnn",
        *,
        epochs=100,
        batch_size=32,
        verbose=0,
        validation_split=0.0,
        shuffle=True,
        callbacks=None,
        optimizer=None,
        input_shape=None,
        dtype=None,
        random_state=None,
        warm_start=False,
        class_weight=None,
        **kwargs,
    ):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.optimizer = optimizer
        self.input_shape = input_shape
        self.dtype = dtype
        self.random_state = random_state
        self.warm_start = warm_start
        self.class_weight = class_weight
        self._routed_params = kwargs

    def fit(self, X, y, sample_weight=None):
        """Trains the classifier (continuing, if `warm_start` and fitted).

        Args:
            X: Array-like or DataFrame, `(n_samples, n_features)` or already
                shaped for the model (see `input_shape`).
            y: Labels `(n_samples,)` (strings or ints), or a 0/1 indicator
                matrix `(n_samples, n_labels)` for multilabel.
            sample_weight: Optional non-negative weights `(n_samples,)`.

        Returns:
            The fitted estimator.

        Raises:
            ValueError: For NaN/inf, mismatched lengths, a single class, a
                continuous target, or sparse X (a TypeError).
        """
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Trains one epoch on a batch, building the model on the first call.

        Args:
            X: A batch of samples.
            y: Its labels.
            classes: All labels, required on the first call for binary or
                multiclass targets (a batch may not hold every class).
            sample_weight: Optional weights for the batch.

        Returns:
            The estimator.
        """
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _targets(self, y, sw, *, warm: bool, partial: bool, classes):
        y = np.asarray(y) if not hasattr(y, "shape") else y
        if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if infer_task(y, labels=True) == "multilabel":
            target_type = "multilabel-indicator"
            y = np.asarray(y)
            if self.class_weight is not None:
                fail(
                    "`class_weight` does not apply to multilabel targets",
                    "class_weight=None, or sample_weight",
                    class_weight=self.class_weight,
                )
            n_labels = y.shape[1]
            if warm:
                if self.target_type_ != "multilabel-indicator" or self.n_classes_ != n_labels:
                    fail(
                        "y does not match the targets seen in the first fit",
                        f"{self.n_classes_} labels ({self.target_type_})",
                        y_shape=y.shape,
                    )
            else:
                self.classes_ = np.arange(n_labels)
                self.n_classes_ = n_labels
                self.target_type_ = target_type
                self._y_dtype = y.dtype
            return y.astype("float32"), sw

        y = column_or_1d(y)
        if warm:
            if self.target_type_ == "multilabel-indicator":
                fail("y does not match the targets seen in the first fit", "a 0/1 indicator matrix", y_shape=np.shape(y))
            unseen = np.setdiff1d(y, self.classes_)
            if unseen.size:
                fail(
                    "y holds labels not seen in the first fit",
                    "labels from classes_ (pass classes= to the first partial_fit)",
                    unseen=unseen[:5],
                )
        else:
            if partial:
                if classes is None:
                    fail(
                        "`classes` must be passed on the first call to partial_fit",
                        "classes=np.unique(y_all), every label the model will see",
                        classes=classes,
                    )
                all_classes = np.unique(np.asarray(classes))
                unseen = np.setdiff1d(y, all_classes)
                if unseen.size:
                    fail("y holds labels missing from `classes`", "classes that include every label", unseen=unseen[:5])
            else:
                all_classes = np.unique(y)
            if len(all_classes) < 2:
                fail(
                    "y has one class only; a classifier needs at least two classes",
                    "labels of two or more classes",
                    classes=all_classes,
                )
            self.classes_ = all_classes
            self.n_classes_ = len(all_classes)
            self.target_type_ = "binary" if self.n_classes_ == 2 else "multiclass"
        y_index = np.searchsorted(self.classes_, y)
        if self.class_weight is not None:
            if partial and isinstance(self.class_weight, str):
                fail(
                    "class_weight='balanced' is not supported by partial_fit",
                    "a dict {label: weight}, or sample_weight",
                    class_weight=self.class_weight,
                )
            cw = compute_sample_weight(self.class_weight, y)
            sw = cw if sw is None else sw * cw
        if sw is not None:
            if not partial and np.unique(y_index[sw > 0]).size < 2:
                fail(
                    "Only one class has a positive total sample weight",
                    "sample weights that keep at least two classes",
                    classes_with_weight=np.unique(y[sw > 0]),
                )
            if not np.any(sw > 0):
                fail(
                    "All sample weights are zero after applying class_weight",
                    "at least one weight above zero",
                    class_weight=self.class_weight,
                )
        dtype = "float32" if self.target_type_ == "binary" else "int32"
        return y_index.astype(dtype), sw

    def _head_kwargs(self) -> dict[str, Any]:
        task = "multilabel" if self.target_type_ == "multilabel-indicator" else self.target_type_
        return task_arguments(task, num_classes=self.n_classes_)

    def _check_output(self, model) -> None:
        units = 1 if self.target_type_ == "binary" else self.n_classes_
        if tuple(model.output_shape) != (None, units):
            fail(
                "The model's output does not fit the classification task",
                f"output shape (None, {units}) for {self.target_type_} targets",
                output_shape=model.output_shape,
            )

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Args:
            X: Samples, shaped as in `fit`.

        Returns:
            `(n_samples, n_classes)`; columns follow `classes_`. For
            multilabel, each column is the probability of that label.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = self._predict_raw(X)
        if self.target_type_ == "binary":
            p = out[:, 0]
            return np.stack([1.0 - p, p], axis=1)
        return out

    def predict(self, X) -> np.ndarray:
        """Predicted labels (a 0/1 matrix of y's dtype for multilabel).

        Args:
            X: Samples, shaped as in `fit`.

        Returns:
            `(n_samples,)` labels from `classes_`, or `(n_samples, n_labels)`.
        """
        proba = self.predict_proba(X)
        if self.target_type_ == "multilabel-indicator":
            return (proba > 0.5).astype(self._y_dtype)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


# --------------------------------------------------------------------------- #
# Regressor
# --------------------------------------------------------------------------- #


@_init_docs
class ZooRegressor(RegressorMixin, _ZooEstimator):
    """A zoo model as a scikit-learn regressor.

    The number of outputs is inferred from `y` in `fit`: 1-D `y` gives one
    output and 1-D predictions, `(n_samples, k)` gives k outputs.

    Args:
{shared_args}

    Attributes:
        model_: The fitted `keras.Model`.
        history_: `{metric: [value per epoch]}` over all fits so far.
        n_outputs_: Number of regression targets.
        input_shape_: The model's input shape, without the batch axis.
        n_features_in_: Number of features (columns) of X in `fit`.
        feature_names_in_: Column names, when X was a DataFrame with string names.

    Example:

    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from nnzoo.tuning import ZooRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(StandardScaler(), ZooRegressor(
    ...     "ffnn", model__hidden_units=(32,), model__l2=1e-3, epochs=50,
    ...     optimizer__learning_rate=1e-2, random_state=0))
    >>> scores = cross_val_score(reg, X, y / 100, cv=3)
    """

    _kind = "regression"

    def __init__(
        self,
        model="ffnn",
        *,
        epochs=100,
        batch_size=32,
        verbose=0,
        validation_split=0.0,
        shuffle=True,
        callbacks=None,
        optimizer=None,
        input_shape=None,
        dtype=None,
        random_state=None,
        warm_start=False,
        **kwargs,
    ):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.optimizer = optimizer
        self.input_shape = input_shape
        self.dtype = dtype
        self.random_state = random_state
        self.warm_start = warm_start
        self._routed_params = kwargs

    def fit(self, X, y, sample_weight=None):
        """Trains the regressor (continuing, if `warm_start` and fitted).

        Args:
            X: Array-like or DataFrame, `(n_samples, n_features)` or already
                shaped for the model (see `input_shape`).
            y: Targets `(n_samples,)` or `(n_samples, n_outputs)`.
            sample_weight: Optional non-negative weights `(n_samples,)`.

        Returns:
            The fitted estimator.

        Raises:
            ValueError: For NaN/inf, mismatched lengths or non-numeric y.
        """
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """Trains one epoch on a batch, building the model on the first call.

        Returns:
            The estimator.
        """
        return self._fit(X, y, sample_weight, partial=True)

    def _targets(self, y, sw, *, warm: bool, partial: bool, classes):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (1, 2):
            fail("y must be 1-D or 2-D", "targets of shape (n_samples,) or (n_samples, n_outputs)", y_shape=y.shape)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if warm:
            if n_outputs != self.n_outputs_:
                fail("y does not match the targets seen in the first fit", f"{self.n_outputs_} output(s)", y_shape=y.shape)
        else:
            self.n_outputs_ = n_outputs
            self._y_ndim = y.ndim
        return y.reshape(len(y), -1).astype(self._float_dtype()), sw

    def _head_kwargs(self) -> dict[str, Any]:
        return task_arguments("regression", num_outputs=self.n_outputs_)

    def _check_output(self, model) -> None:
        if tuple(model.output_shape) != (None, self.n_outputs_):
            fail(
                "The model's output does not fit the regression targets",
                f"output shape (None, {self.n_outputs_})",
                output_shape=model.output_shape,
            )

    def predict(self, X) -> np.ndarray:
        """Predicted targets, float64.

        Args:
            X: Samples, shaped as in `fit`.

        Returns:
            `(n_samples,)` if `y` was 1-D in `fit`, else `(n_samples, n_outputs)`.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        out = self._predict_raw(X)
        return out[:, 0] if self._y_ndim == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


# --------------------------------------------------------------------------- #
# Autoencoder transformer
# --------------------------------------------------------------------------- #


@_init_docs
class ZooAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _ZooEstimator):
    """A zoo autoencoder as a scikit-learn transformer.

    `fit` trains the model to reconstruct X; `transform` returns the code
    from the nested `"encoder"` model, `inverse_transform` decodes it with
    `"decoder"`, and `score` is the negative mean squared reconstruction
    error (higher is better, as `GridSearchCV` expects).
    `score_samples(X)` gives per-sample reconstruction errors, the
    anomaly scores.

    Args:
{shared_args}

    Attributes:
        model_: The fitted `keras.Model` with nested `"encoder"` / `"decoder"`.
        history_: `{metric: [value per epoch]}` over all fits so far.
        input_shape_: The model's input shape, without the batch axis.
        n_features_in_: Number of features (columns) of X in `fit`.
        feature_names_in_: Column names, when X was a DataFrame with string names.

    Example:

    >>> import numpy as np
    >>> from nnzoo.tuning import ZooAutoencoder
    >>> X = np.random.default_rng(0).normal(size=(200, 2)) @ np.ones((2, 12))
    >>> ae = ZooAutoencoder(model__encoding_dim=2, epochs=20, random_state=0)
    >>> ae.fit(X).transform(X).shape
    (200, 2)
    """

    _kind = "reconstruction"

    def __init__(
        self,
        model="autoencoder",
        *,
        epochs=100,
        batch_size=32,
        verbose=0,
        validation_split=0.0,
        shuffle=True,
        callbacks=None,
        optimizer=None,
        input_shape=None,
        dtype=None,
        random_state=None,
        warm_start=False,
        **kwargs,
    ):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.optimizer = optimizer
        self.input_shape = input_shape
        self.dtype = dtype
        self.random_state = random_state
        self.warm_start = warm_start
        self._routed_params = kwargs

    def fit(self, X, y=None, sample_weight=None):
        """Trains the autoencoder to reconstruct X (`y` is ignored).

        Returns:
            The fitted estimator.
        """
        return self._fit(X, None, sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Trains one epoch on a batch, building the model on the first call.

        Returns:
            The estimator.
        """
        return self._fit(X, None, sample_weight, partial=True)

    def _targets(self, y, sw, *, warm: bool, partial: bool, classes):
        if not warm:
            # inverse_transform answers in the layout X had: flat rows or shaped samples.
            self._flat_rows = self.input_shape is not None or len(y.shape) == 2
        return y, sw

    def _check_output(self, model) -> None:
        names = [layer.name for layer in model.layers]
        if "encoder" not in names or tuple(model.output_shape[1:]) != tuple(self.input_shape_):
            fail(
                "The model is not an autoencoder",
                "a model with a nested 'encoder' layer whose output shape equals its input shape "
                f"{tuple(self.input_shape_)}",
                layers=names,
                output_shape=model.output_shape,
            )
        encoder = model.get_layer("encoder")
        self._n_features_out = int(np.prod(encoder.output_shape[1:]))

    def transform(self, X) -> np.ndarray:
        """The encoding of X from `model_.get_layer("encoder")`.

        Returns:
            `(n_samples, encoding_dim)` float64.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        encoder = self.model_.get_layer("encoder")
        codes = self._run(encoder, X)
        return codes.reshape(len(codes), -1)

    def inverse_transform(self, X) -> np.ndarray:
        """Decodes codes with `model_.get_layer("decoder")`.

        Returns:
            Reconstructions, `(n_samples, *input_shape_)`; flattened to
            `(n_samples, n_features_in_)` when X was 2-D in `fit`.
        """
        check_is_fitted(self)
        import keras

        Z = np.asarray(X, dtype=self._float_dtype())
        if Z.ndim != 2 or Z.shape[1] != self._n_features_out:
            fail("Codes do not match the encoder", f"an array of shape (n_samples, {self._n_features_out})", X_shape=Z.shape)
        out = self._run(self.model_.get_layer("decoder"), Z)
        return out.reshape(len(out), -1) if self._flat_rows else out

    def _run(self, model, X) -> np.ndarray:
        batch_size = self._route()["predict"].get("batch_size") or self.batch_size or _DEFAULT_PREDICT_BATCH
        parts = [_as_numpy(model(X[i : i + batch_size], training=False)) for i in range(0, len(X), batch_size)]
        return np.concatenate(parts).astype(np.float64)

    def score_samples(self, X) -> np.ndarray:
        """Per-sample mean squared reconstruction error (the anomaly score).

        Returns:
            `(n_samples,)` float64; larger means more anomalous.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        recon = self._predict_raw(X)
        return np.mean(np.square(X.astype(np.float64) - recon).reshape(len(X), -1), axis=1)

    def score(self, X, y=None, sample_weight=None) -> float:
        """Negative mean reconstruction error: higher is better.

        Returns:
            `-mean(score_samples(X))`, weighted by `sample_weight` if given.
        """
        return -float(np.average(self.score_samples(X), weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
