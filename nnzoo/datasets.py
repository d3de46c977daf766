"""Data for the zoo: bundled sets, tables, time-series windows and examples.

Every loader returns a `Dataset`: the arrays a model trains on (`X`, `y`)
with what a practitioner needs beside them (feature and class names, the
task, the input kind, and the fitted `Preprocessor` for new data).

| name | X | task |
|---|---|---|
| `"digits"` | 1797 images `(8, 8, 1)`, pixels / 16 in [0, 1] (`flat=True`: rows of 64) | multiclass (10) |
| `"breast_cancer"` | 569 rows x 30 features | binary |
| `"wine"` | 178 rows x 13 features | multiclass (3) |
| `"iris"` | 150 rows x 4 features | multiclass (3) |
| `"diabetes"` | 442 rows x 10 features | regression |
| `"sines"` | 1000 noisy sine windows `(30, 1)` | regression (next value) |

All of them are offline: the first five are scikit-learn's bundled sets and
`"sines"` is generated. Tabular features are standardised by a
`Preprocessor` fitted on the training rows only.

Splits: `load(name, test_size=0.2)` (and `from_dataframe` / `from_csv` with
`test_size`) return a `(train, test)` pair, stratified for classification,
with any scaling fitted on the train part. `Dataset.split()` splits rows of
a dataset that is already encoded.

`import nnzoo.datasets` is cheap: scikit-learn and pandas load when a
function needs them, and TensorFlow never does.
"""

from __future__ import annotations

import math
import numbers
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nnzoo._tasks import CLASSIFICATION, check_task, infer_task, task_arguments
from nnzoo._validation import check_bool, check_choice, check_float, check_int, fail, fail_type, message, suggest

__all__ = [
    "DATASETS",
    "Dataset",
    "Preprocessor",
    "example_data",
    "from_csv",
    "from_dataframe",
    "load",
    "load_ucr",
    "make_sines",
    "make_windows",
]

#: Tasks a single target column can have.
COLUMN_TASKS = ("regression", *CLASSIFICATION)

#: Digits' pixels are 0..16; the models see them in [0, 1].
DIGITS_SCALE = 1.0 / 16.0

#: Bundled datasets: name -> one-line description.
DATASETS = {
    "digits": "8x8 handwritten digits, 1797 images (8, 8, 1) in [0, 1]; multiclass (10)",
    "breast_cancer": "Breast cancer Wisconsin, 569 rows x 30 features; binary",
    "wine": "Wine cultivars, 178 rows x 13 features; multiclass (3)",
    "iris": "Iris flowers, 150 rows x 4 features; multiclass (3)",
    "diabetes": "Diabetes progression, 442 rows x 10 features; regression",
    "sines": "Noisy sine waves, 1000 windows (30, 1); regression (next value)",
}


@dataclass(eq=False)
class Dataset:
    """Arrays to train on, with the facts needed to build and read a model.

    Attributes:
        X: Features, `float32`, shape `(n, *input_shape)`.
        y: Targets: `int32` class codes (multiclass), `0/1` codes (binary),
            `float32` values (regression), `X` itself (reconstruction), or
            `None` for unlabelled rows.
        feature_names: Names of the features (the encoded columns for tables).
        target_names: Class names in code order (`target_names[k]` is class
            `k`); `None` for regression.
        task: `"regression"`, `"binary"`, `"multiclass"`, `"multilabel"` or
            `"reconstruction"`.
        kind: What one sample is: `"tabular"`, `"image"` or `"sequence"`.
        name: Where the data came from, e.g. `"wine"` or a file name.
        preprocessor: The fitted `Preprocessor` that encoded `X` (tables
            only), to encode new rows the same way; else `None`.
        input_normalization: How raw inputs became `X`, as JSON-ready data
            for code that cannot run Python (a phone app; `nnzoo export`
            writes it to the TFLite sidecar): digits
            `{"formula": "x * scale", "scale": 0.0625}`, tables
            `Preprocessor.normalization()`; `None` for generated data.

    Example:

    >>> from nnzoo import datasets
    >>> data = datasets.load("iris")
    >>> data.X.shape, data.task, data.num_classes
    ((150, 4), 'multiclass', 3)
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...] | None
    task: str
    kind: str = "tabular"
    name: str = ""
    preprocessor: Preprocessor | None = field(default=None, repr=False)
    input_normalization: dict[str, Any] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.X)

    def __repr__(self) -> str:
        y_shape = None if self.y is None else self.y.shape
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, kind={self.kind!r}, "
            f"X.shape={self.X.shape}, y.shape={y_shape}, num_classes={self.num_classes})"
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, without the batch axis: a factory's `input_shape`.

        For variable-length sequences (an object array of `(timesteps_i,
        channels)` arrays) it is `(None, channels)`.
        """
        if self.X.dtype == object and self.X.ndim == 1 and len(self.X):
            return (None, *(int(d) for d in np.shape(self.X[0])[1:]))
        return tuple(int(d) for d in self.X.shape[1:])

    @property
    def num_classes(self) -> int | None:
        """Number of classes (labels for multilabel); `None` for regression."""
        return None if self.target_names is None else len(self.target_names)

    def build_kwargs(self) -> dict[str, Any]:
        """Keyword arguments that fit a zoo factory's head to this data.

        Returns:
            E.g. `{"task": "multiclass", "num_classes": 10}`; `{}` for
            reconstruction (autoencoders take no task).

        Example:

        >>> import nnzoo
        >>> data = nnzoo.datasets.load("wine")
        >>> model = nnzoo.build("ffnn", data.input_shape, **data.build_kwargs())
        """
        return task_arguments(self.task, self.y, num_classes=self.num_classes)

    def split(self, test_size: float = 0.2, *, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Splits the rows into shuffled train and test parts.

        Classification splits are stratified: each class keeps its share in
        both parts. The preprocessor (if any) is shared as it was fitted; to
        fit scaling on the train rows only, pass `test_size` to `load`,
        `from_dataframe` or `from_csv` instead.

        Args:
            test_size: Fraction of rows for the test part, in (0, 1).
            seed: Seed of the shuffle.

        Returns:
            `(train, test)` Datasets.

        Raises:
            ValueError: If `test_size` is out of range, or a class has too
                few rows to stratify.

        Example:

        >>> train, test = nnzoo.datasets.load("digits").split(0.2, seed=0)
        """
        test_size = _check_test_size(test_size, allow_none=False)
        strat = self.y if self.task in CLASSIFICATION and self.y is not None else None
        train_idx, test_idx = _split_indices(len(self), strat, test_size, seed)
        return self._take(train_idx), self._take(test_idx)

    def _take(self, idx: np.ndarray) -> Dataset:
        return replace(self, X=self.X[idx], y=None if self.y is None else self.y[idx])


# ---------------------------------------------------------------------------
# Bundled data


def load(
    name: str,
    *,
    test_size: float | None = None,
    seed: int = 0,
    flat: bool = False,
    scale: bool = True,
) -> Dataset | tuple[Dataset, Dataset]:
    """Loads a bundled dataset (offline) ready for a zoo model.

    Args:
        name: One of `DATASETS`: `"digits"`, `"breast_cancer"`, `"wine"`,
            `"iris"`, `"diabetes"` or `"sines"`.
        test_size: If given, a fraction in (0, 1): returns a stratified
            `(train, test)` pair instead of one Dataset, with the feature
            scaling fitted on the train rows only.
        seed: Seed of the split (and of the generated `"sines"`).
        flat: Each sample as one flat row: digits become `(64,)` rows
            (pixels / 16), sines `(30,)` rows. Tables are already flat.
        scale: Standardise tabular features (mean 0, variance 1) with a
            fitted `Preprocessor`. Digits are always pixels / 16.

    Returns:
        A `Dataset`, or `(train, test)` Datasets when `test_size` is given.

    Raises:
        ValueError: For an unknown name (with the closest match) or a
            `test_size` outside (0, 1).

    Example:

    >>> from nnzoo import datasets
    >>> train, test = datasets.load("digits", test_size=0.2, seed=0)
    >>> train.X.shape, test.X.shape
    ((1437, 8, 8, 1), (360, 8, 8, 1))
    """
    if not isinstance(name, str):
        fail_type("A dataset name must be a string", "one of " + ", ".join(map(repr, DATASETS)), name=name)
    name = check_choice("name", name, tuple(DATASETS))
    test_size = _check_test_size(test_size)
    seed = _check_seed(seed)
    check_bool("flat", flat)
    check_bool("scale", scale)

    if name == "sines":
        data = make_sines(seed=seed)
    elif name == "digits":
        data = _load_digits()
    else:
        return _load_table(name, test_size=test_size, seed=seed, flat=flat, scale=scale)
    if flat:
        # Digits keep scikit-learn's pixel names; sine steps are named t0, t1, ...
        names = data.feature_names if data.kind == "image" else tuple(f"t{i}" for i in range(data.X.shape[1]))
        data = replace(data, X=data.X.reshape(len(data), -1), kind="tabular", feature_names=names)
    return data if test_size is None else data.split(test_size, seed=seed)


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (bunch.images * DIGITS_SCALE).astype("float32")[..., None]
    return Dataset(
        X=X,
        y=bunch.target.astype("int32"),
        feature_names=tuple(bunch.feature_names),
        target_names=tuple(str(t) for t in bunch.target_names),
        task="multiclass",
        kind="image",
        name="digits",
        input_normalization={"formula": "x * scale", "scale": DIGITS_SCALE},
    )


def _load_table(name: str, *, test_size, seed, flat, scale):
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.drop(columns=["target"])
    if name == "diabetes":
        y = bunch.target.to_numpy(dtype="float32")
        target_names, task = None, "regression"
    else:
        y = bunch.target.to_numpy().astype("int32")
        target_names = tuple(str(t) for t in bunch.target_names)
        task = "binary" if len(target_names) == 2 else "multiclass"
    base = Dataset(X=np.empty((0,)), y=y, feature_names=(), target_names=target_names, task=task, name=name)
    strat = y if task != "regression" else None
    parts = [np.arange(len(y))] if test_size is None else list(_split_indices(len(y), strat, test_size, seed))
    pre = Preprocessor(scale=scale).fit(frame.iloc[parts[0]])
    out = tuple(
        replace(base, X=pre.transform(frame.iloc[idx]), y=y[idx], feature_names=pre.feature_names_out_, preprocessor=pre,
                input_normalization=pre.normalization())
        for idx in parts
    )
    return out[0] if test_size is None else out


def make_sines(
    n: int = 1000,
    window: int = 30,
    horizon: int = 1,
    *,
    noise: float = 0.1,
    seed: int = 0,
) -> Dataset:
    """Generates noisy sine windows with a forecasting target.

    Each sample is an independent sine, `amplitude * sin(2 pi t / period +
    phase) + noise`, with amplitude in [0.5, 1.5], period in [8, 40] steps
    and a random phase. `X` holds `window` steps and `y` the next `horizon`
    (noisy) values, so samples never overlap and any split is clean.

    Args:
        n: Number of samples.
        window: Time steps in each input window.
        horizon: Future steps to predict.
        noise: Standard deviation of the Gaussian noise (also the best
            reachable RMSE).
        seed: Random seed.

    Returns:
        A regression `Dataset` with `X` of shape `(n, window, 1)` and `y` of
        shape `(n,)` (`(n, horizon)` when `horizon > 1`), kind `"sequence"`.

    Raises:
        ValueError: For a non-positive size or a negative `noise`.

    Example:

    >>> data = make_sines(200, window=20)
    >>> data.X.shape, data.y.shape
    ((200, 20, 1), (200,))
    """
    n = check_int("n", n)
    window = check_int("window", window)
    horizon = check_int("horizon", horizon)
    noise = check_float("noise", noise, low=0.0)
    rng = np.random.default_rng(_check_seed(seed))
    t = np.arange(window + horizon, dtype="float64")[None, :]
    amplitude = rng.uniform(0.5, 1.5, size=(n, 1))
    period = rng.uniform(8.0, 40.0, size=(n, 1))
    phase = rng.uniform(0.0, 2 * math.pi, size=(n, 1))
    series = amplitude * np.sin(2 * math.pi * t / period + phase) + rng.normal(0.0, noise, size=(n, t.shape[1]))
    series = series.astype("float32")
    y = series[:, window:]
    return Dataset(
        X=series[:, :window, None],
        y=y[:, 0] if horizon == 1 else y,
        feature_names=("value",),
        target_names=None,
        task="regression",
        kind="sequence",
        name="sines",
    )


def make_windows(series, window: int, horizon: int = 1, *, target: int = 0, stride: int = 1):
    """Cuts a time series into (input window, future values) pairs.

    Window `i` is `series[i*stride : i*stride + window]` and its target is
    the next `horizon` values of column `target`.

    Args:
        series: Array of shape `(T,)` or `(T, n_features)`, numeric and finite.
        window: Time steps in each input window.
        horizon: Future steps to predict.
        target: Column of `series` to forecast (multivariate series).
        stride: Steps between the starts of consecutive windows.

    Returns:
        `(X, y)`: `X` of shape `(n_windows, window, n_features)` (`float32`,
        `n_features = 1` for a 1-D series) and `y` of shape `(n_windows,)`
        for `horizon=1`, else `(n_windows, horizon)`.

    Raises:
        ValueError: For a series of the wrong rank, too short for one
            window, non-finite values, or an out-of-range `target`.
        TypeError: For non-numeric values or non-integer sizes.

    Example:

    >>> X, y = make_windows(np.arange(10.0), window=3)
    >>> X.shape, y[:2]
    ((7, 3, 1), array([3., 4.], dtype=float32))
    """
    window = check_int("window", window)
    horizon = check_int("horizon", horizon)
    stride = check_int("stride", stride)
    try:
        values = np.asarray(series, dtype="float32")
    except (TypeError, ValueError):
        fail_type("`series` must be numeric", "an array of numbers, shape (T,) or (T, n_features)", series=series)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        fail("`series` has the wrong rank", "shape (T,) or (T, n_features)", series_shape=np.shape(series))
    if not np.all(np.isfinite(values)):
        fail("`series` holds NaN or infinite values", "finite numbers (fill or drop the gaps first)",
             non_finite=int(np.sum(~np.isfinite(values))))
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        fail_type("`target` must be a column index", f"an int in [0, {values.shape[1] - 1}]", target=target)
    if not 0 <= target < values.shape[1]:
        fail("`target` is out of range", f"a column index in [0, {values.shape[1] - 1}]", target=target)
    length = values.shape[0]
    if length < window + horizon:
        fail(
            "`series` is too short for one window",
            f"at least window + horizon = {window + horizon} time steps",
            series_length=length,
            window=window,
            horizon=horizon,
        )
    starts = np.arange(0, length - window - horizon + 1, stride)
    steps = np.arange(window)
    X = values[starts[:, None] + steps[None, :]]
    y = values[starts[:, None] + window + np.arange(horizon)[None, :], target]
    return X, (y[:, 0] if horizon == 1 else y)


# ---------------------------------------------------------------------------
# Tables


class Preprocessor:
    """Encodes a table for a neural network, and new rows the same way.

    Numeric columns get median imputation and standard scaling; the other
    columns (strings, categories, booleans) get one-hot encoding, with
    missing values as their own category and unseen categories encoded as
    all zeros. `fit` learns with scikit-learn's `SimpleImputer`,
    `StandardScaler` and `OneHotEncoder`; what they learned is kept as plain
    numbers and strings, so `save` writes JSON (no pickle: loading a file
    never runs code) and a loaded preprocessor encodes exactly as the fitted
    one. The target column
    is encoded too: class labels to codes `0..k-1` (`LabelEncoder`, names
    kept), regression values to `float32`.

    Args:
        target: The target column, or `None` for features only.
        features: Feature columns; default: every column but the target.
        task: `"binary"`, `"multiclass"` or `"regression"`; default:
            inferred from the target (strings and booleans, or at most 20
            distinct integer values, are classes).
        scale: Standardise numeric columns; `False` only imputes them.

    Attributes (after `fit`):
        feature_names_in_: The feature columns, in order.
        numeric_features_: The numeric ones (scaled).
        categorical_features_: The others (one-hot encoded).
        feature_names_out_: Names of the encoded columns, e.g. `"city_Paris"`.
        task_: The target's task, or `None` without a target.
        classes_: Class labels in code order (classification), else `None`.
        fill_missing_: Median of each numeric column (replaces missing values).
        mean_, scale_: The scaling of each numeric column (`None` when
            `scale=False`); `scale_` is 1 for a constant column.
        categories_: The categories of each categorical column, as strings
            (`None` for "missing", when the training rows had it).

    Example:

    >>> pre = Preprocessor(target="species").fit(train_frame)
    >>> X_new = pre.transform(new_frame)   # same columns, same scaling
    """

    def __init__(self, target: str | None = None, *, features: Sequence[str] | None = None,
                 task: str | None = None, scale: bool = True):
        self.target = target
        self.features = features
        self.task = task
        self.scale = scale

    def __repr__(self) -> str:
        fitted = hasattr(self, "fill_missing_")
        detail = (
            f", n_features_out={len(self.feature_names_out_)}, task_={self.task_!r}" if fitted else ", unfitted"
        )
        return f"Preprocessor(target={self.target!r}{detail})"

    # -- fitting

    def fit(self, frame) -> Preprocessor:
        """Learns the encoding from `frame` (a pandas DataFrame).

        Returns:
            `self`.

        Raises:
            ValueError: For an empty frame, an unknown column (with the
                closest match), no feature columns, date/time columns, or a
                target with missing values or a single class.
            TypeError: If `frame` is not a DataFrame.
        """
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        frame = _check_frame(frame)
        check_bool("scale", self.scale)
        columns = list(frame.columns)
        if self.target is not None:
            _check_column(self.target, columns, "target")
        if self.features is None:
            features = [c for c in columns if c != self.target]
        else:
            if isinstance(self.features, str) or not isinstance(self.features, Sequence):
                fail_type("`features` must be a list of column names", "e.g. ['age', 'city']", features=self.features)
            features = [str(c) for c in self.features]
            for c in features:
                _check_column(c, columns, "feature")
            if self.target in features:
                fail("The target column is also listed as a feature", "features without the target", target=self.target)
        if not features:
            fail("The table has no feature columns", "at least one column besides the target", columns=columns)

        import pandas as pd

        numeric, categorical = [], []
        for c in features:
            dtype = frame[c].dtype
            if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
                fail(
                    f"Column {c!r} holds dates or times, which have no default encoding",
                    "numeric or categorical columns: convert it (e.g. to a day count) or drop it",
                    column=c,
                    dtype=str(dtype),
                )
            if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
                numeric.append(c)
            else:
                categorical.append(c)

        steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
        if self.scale:
            steps.append(("scale", StandardScaler()))
        transformer = ColumnTransformer(
            [
                ("numeric", Pipeline(steps), numeric),
                ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ],
            verbose_feature_names_out=False,
        )
        transformer.fit(_features_frame(frame, numeric, categorical))
        fitted = transformer.named_transformers_

        self.feature_names_in_ = tuple(features)
        self.numeric_features_ = tuple(numeric)
        self.categorical_features_ = tuple(categorical)
        self.feature_names_out_ = tuple(str(n) for n in transformer.get_feature_names_out())
        self.mean_ = self.scale_ = None
        if numeric:
            num_steps = fitted["numeric"].named_steps
            self.fill_missing_ = num_steps["impute"].statistics_.astype("float64")
            if self.scale:
                self.mean_ = num_steps["scale"].mean_.astype("float64")
                self.scale_ = num_steps["scale"].scale_.astype("float64")
        else:
            self.fill_missing_ = np.zeros(0)
            if self.scale:
                self.mean_, self.scale_ = np.zeros(0), np.ones(0)
        cats = fitted["categorical"].categories_ if categorical else []
        self.categories_ = tuple(
            tuple(None if isinstance(v, float) and math.isnan(v) else str(v) for v in c) for c in cats
        )
        self.task_ = None
        self.classes_ = None
        if self.target is not None:
            self._fit_target(frame[self.target])
        return self

    def _fit_target(self, values) -> None:
        missing = int(values.isna().sum())
        if missing:
            fail(
                "The target column has missing values",
                "a value in every row (drop or fill those rows first)",
                target=self.target,
                missing=missing,
            )
        task = _infer_task(values) if self.task is None else check_task(self.task, COLUMN_TASKS)
        if task == "regression":
            try:
                values.to_numpy(dtype="float64")
            except (TypeError, ValueError):
                fail("task='regression' needs a numeric target", "numbers in the target column",
                     target=self.target, dtype=str(values.dtype))
            self.task_, self.classes_ = task, None
            return
        classes = np.unique(_labels(values))
        if len(classes) < 2:
            fail("The target has a single class", "at least two distinct values", target=self.target,
                 classes=list(classes))
        if task == "binary" and len(classes) != 2:
            fail("task='binary' needs exactly two classes", "task='multiclass' for more",
                 target=self.target, num_classes=len(classes))
        self.task_, self.classes_ = task, classes

    # -- transforming

    def _check_fitted(self) -> None:
        if not hasattr(self, "fill_missing_"):
            fail("This Preprocessor is not fitted yet", "a call to fit(frame) first", preprocessor=self)

    def transform(self, frame) -> np.ndarray:
        """Encodes the feature columns of `frame` (the target, if present, is ignored).

        Returns:
            A `float32` array of shape `(len(frame), len(feature_names_out_))`.

        Raises:
            ValueError: If a feature column is missing (with the closest match).
        """
        self._check_fitted()
        frame = _check_frame(frame)
        for c in self.feature_names_in_:
            _check_column(c, list(frame.columns), "feature")
        parts = [self._encode_numeric(frame)]
        parts += [_one_hot(frame[c], cats) for c, cats in zip(self.categorical_features_, self.categories_)]
        return np.concatenate(parts, axis=1).astype("float32")

    def _encode_numeric(self, frame) -> np.ndarray:
        """Imputed (and scaled) numeric columns, in float64 as scikit-learn computes them."""
        columns = []
        for c in self.numeric_features_:
            try:
                columns.append(frame[c].to_numpy(dtype="float64", na_value=np.nan))
            except (TypeError, ValueError):
                fail(f"Column {c!r} was numeric in training but holds non-numeric values", "numbers (or empty cells)",
                     column=c, dtype=str(frame[c].dtype))
        x = np.stack(columns, axis=1) if columns else np.zeros((len(frame), 0))
        if np.isinf(x).any():
            bad = [c for c, col in zip(self.numeric_features_, columns) if np.isinf(col).any()]
            fail("The table holds infinite values", "finite numbers or empty cells (missing values are filled)",
                 columns=bad)
        x = np.where(np.isnan(x), self.fill_missing_, x)
        if self.scale_ is not None:
            x = (x - self.mean_) / self.scale_
        return x

    def normalization(self) -> dict[str, Any]:
        """What `transform` does, as JSON-ready data for code without scikit-learn.

        A phone app fed with raw rows must encode them as the model saw
        them; `nnzoo export` writes this dict into the TFLite sidecar.
        Output columns are the numeric features (missing values replaced
        by `fill_missing`, then `(x - mean) / std` when scaled), followed
        by one 0/1 column per category of each categorical feature, in the
        order of `one_hot`. Categories are compared as strings (`str(value)`,
        so `True` is `"True"`); `None` (JSON `null`) is the category of a
        missing value, when the training rows had one; an unseen category
        gives all zeros.

        Returns:
            `{"formula", "columns", "features", "fill_missing", "mean",
            "std", "one_hot"}`; `mean` and `std` are absent when
            `scale=False`, and `one_hot` is `{}` without categorical
            features.

        Raises:
            ValueError: If the preprocessor is not fitted.

        Example:

        >>> data = nnzoo.datasets.load("iris")
        >>> norm = data.preprocessor.normalization()
        >>> norm["formula"], len(norm["mean"])
        ('(x - mean) / std', 4)
        """
        self._check_fitted()
        out: dict[str, Any] = {
            "formula": "(x - mean) / std" if self.scale else "x",
            "columns": list(self.feature_names_out_),
            "features": list(self.numeric_features_),
            "fill_missing": self.fill_missing_.tolist(),
        }
        if self.scale:
            out["mean"], out["std"] = self.mean_.tolist(), self.scale_.tolist()
        out["one_hot"] = {c: list(cats) for c, cats in zip(self.categorical_features_, self.categories_)}
        return out

    def encode_target(self, values) -> np.ndarray:
        """Encodes target values: class labels to `int32` codes, or regression values to `float32`.

        Raises:
            ValueError: For a label not seen in `fit`, or missing values.
        """
        self._check_fitted()
        if self.task_ is None:
            fail("This Preprocessor was fitted without a target", "Preprocessor(target=...)", target=None)
        import pandas as pd

        values = pd.Series(np.asarray(values).ravel() if not isinstance(values, pd.Series) else values)
        if values.isna().any():
            fail("The target has missing values", "a value in every row", missing=int(values.isna().sum()))
        if self.task_ == "regression":
            return values.to_numpy(dtype="float32")
        labels = _labels(values)
        try:
            codes = np.clip(np.searchsorted(self.classes_, labels), 0, len(self.classes_) - 1)
            unseen = labels[self.classes_[codes] != labels]
        except TypeError:  # e.g. string labels against numeric classes
            codes, unseen = None, labels
        if len(unseen):
            fail(
                "The target has labels the model was not trained on",
                "one of " + ", ".join(map(repr, self.classes_.tolist())),
                unseen=sorted(set(unseen.tolist()))[:5],
            )
        return codes.astype("int32")

    def decode_target(self, codes) -> np.ndarray:
        """Maps class codes back to the original labels (classification only)."""
        self._check_fitted()
        if self.classes_ is None:
            fail("Only class codes can be decoded", "a classification target", task=self.task_)
        return self.classes_[np.asarray(codes, dtype="int64")]

    # -- persistence

    def to_json(self) -> str:
        """The fitted preprocessor as JSON text: plain numbers and strings, no code.

        `Preprocessor.from_json` reads it back into a preprocessor that
        encodes exactly as this one. The document carries
        `"format": "nnzoo.preprocessor"` and a `schema_version`.

        Raises:
            ValueError: If the preprocessor is not fitted.
        """
        self._check_fitted()
        classes = None
        if self.classes_ is not None:
            kind = "str" if self.classes_.dtype == object else ("int" if self.classes_.dtype.kind in "iu" else "float")
            classes = {"kind": kind, "values": self.classes_.tolist()}
        doc = {
            "format": PREPROCESSOR_FORMAT,
            "schema_version": PREPROCESSOR_SCHEMA,
            "params": {"target": self.target, "features": None if self.features is None else list(self.features),
                       "task": self.task, "scale": self.scale},
            "feature_names_in": list(self.feature_names_in_),
            "numeric_features": list(self.numeric_features_),
            "categorical_features": list(self.categorical_features_),
            "feature_names_out": list(self.feature_names_out_),
            "fill_missing": self.fill_missing_.tolist(),
            "mean": None if self.mean_ is None else self.mean_.tolist(),
            "scale": None if self.scale_ is None else self.scale_.tolist(),
            "categories": [list(c) for c in self.categories_],
            "task": self.task_,
            "classes": classes,
        }
        return json.dumps(doc, indent=1, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> Preprocessor:
        """Rebuilds a fitted preprocessor from `to_json` text.

        Args:
            text: The JSON document.
            source: Where the text came from (a path), named in errors.

        Raises:
            ValueError: If the text is not a preprocessor document of a known
                schema version, or its facts do not fit together.
        """
        where = {"path": source} if source else {}
        expected = "a file written by Preprocessor.save (JSON, format 'nnzoo.preprocessor')"
        try:
            doc = json.loads(text)
        except ValueError as err:
            fail(f"The preprocessor file is not valid JSON ({err})", expected + "; retrain or re-save it", **where)
        if not isinstance(doc, dict) or doc.get("format") != PREPROCESSOR_FORMAT:
            fail("The document is not a saved Preprocessor", expected, **where)
        version = doc.get("schema_version")
        if version != PREPROCESSOR_SCHEMA:
            fail("The preprocessor file has an unknown schema version",
                 f"schema_version {PREPROCESSOR_SCHEMA} (a newer nnzoo may have written it: upgrade nnzoo)",
                 schema_version=version, **where)
        try:
            return cls._from_doc(doc)
        except (KeyError, TypeError, ValueError) as err:
            fail(f"The preprocessor file is damaged ({type(err).__name__}: {err})",
                 expected + "; retrain or re-save it", **where)

    @classmethod
    def _from_doc(cls, doc: dict) -> Preprocessor:
        def names(key):
            value = doc[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"{key!r} must be a list of strings")
            return tuple(value)

        def numbers(key, n, optional=False):
            value = doc[key]
            if value is None and optional:
                return None
            arr = np.asarray(value, dtype="float64")
            if arr.shape != (n,) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{key!r} must hold {n} finite numbers")
            return arr

        params = doc["params"]
        features = params.get("features") if isinstance(params, dict) else None
        if not isinstance(params, dict) or not isinstance(params.get("scale"), bool) or not all(
            params.get(k) is None or isinstance(params[k], str) for k in ("target", "task")
        ) or not (features is None or isinstance(features, list) and all(isinstance(f, str) for f in features)):
            raise TypeError("'params' must hold a bool 'scale', string (or null) 'target' and 'task', "
                            "and a list of strings (or null) 'features'")
        pre = cls(params.get("target"), features=params.get("features"), task=params.get("task"),
                  scale=params["scale"])
        pre.feature_names_in_ = names("feature_names_in")
        pre.numeric_features_ = names("numeric_features")
        pre.categorical_features_ = names("categorical_features")
        pre.feature_names_out_ = names("feature_names_out")
        if sorted(pre.numeric_features_ + pre.categorical_features_) != sorted(pre.feature_names_in_):
            raise ValueError("numeric and categorical features must split feature_names_in")
        n = len(pre.numeric_features_)
        pre.fill_missing_ = numbers("fill_missing", n)
        pre.mean_ = numbers("mean", n, optional=not pre.scale)
        pre.scale_ = numbers("scale", n, optional=not pre.scale)
        if (pre.mean_ is None) != (pre.scale_ is None) or (pre.scale_ is not None and np.any(pre.scale_ <= 0)):
            raise ValueError("'mean' and 'scale' go together, with positive scales")
        cats = doc["categories"]
        if not isinstance(cats, list) or len(cats) != len(pre.categorical_features_) or not all(
            isinstance(c, list) and all(v is None or isinstance(v, str) for v in c) for c in cats
        ):
            raise TypeError("'categories' must hold one list of strings (or null) per categorical feature")
        pre.categories_ = tuple(tuple(c) for c in cats)
        if len(pre.feature_names_out_) != n + sum(map(len, cats)):
            raise ValueError("feature_names_out does not match the numeric features and categories")
        pre.task_ = doc["task"]
        if pre.task_ not in (None, *COLUMN_TASKS):
            raise ValueError(f"unknown task {pre.task_!r}")
        classes = doc["classes"]
        pre.classes_ = None
        if classes is not None:
            kind, values = classes["kind"], classes["values"]
            dtype = {"str": object, "int": "int64", "float": "float64"}[kind]
            if not isinstance(values, list) or len(values) < 2 or not all(
                isinstance(v, str) if kind == "str" else isinstance(v, (int, float)) and not isinstance(v, bool)
                for v in values
            ):
                raise TypeError("'classes' must list at least two labels of its kind")
            pre.classes_ = np.asarray(values, dtype=dtype)
        if (pre.classes_ is None) != (pre.task_ in (None, "regression")):
            raise ValueError("'classes' must be given exactly for a classification task")
        return pre

    def save(self, path: str | os.PathLike) -> str:
        """Saves the fitted preprocessor as JSON (`to_json`), atomically.

        A `.preprocessor.json` name is the convention (`nnzoo train` writes
        `<model>.preprocessor.json`).

        Returns:
            The path written.
        """
        from nnzoo._io import atomic_write_text

        atomic_write_text(path, self.to_json())
        return os.fspath(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Preprocessor:
        """Loads a preprocessor written by `save`.

        The file is JSON: loading it runs no code. Pickles written by older
        nnzoo versions (`.preprocessor.pkl`) are refused, never loaded.

        Raises:
            FileNotFoundError: If `path` does not exist.
            ValueError: If the file is not a saved Preprocessor (a pickle,
                damaged JSON, an unknown schema version).
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(message("The preprocessor file does not exist", "a file written by Preprocessor.save", path=path))
        with open(path, "rb") as fh:
            data = fh.read(MAX_PREPROCESSOR_BYTES + 1)
        if path.endswith(".pkl") or data[:1] == b"\x80":
            fail(LEGACY_PICKLE, "a .preprocessor.json file: retrain the model (nnzoo train) or refit and save the "
                 "Preprocessor", path=path)
        if len(data) > MAX_PREPROCESSOR_BYTES:
            fail("The preprocessor file is too large", f"at most {MAX_PREPROCESSOR_BYTES} bytes", path=path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            fail("The preprocessor file is not text", "a JSON file written by Preprocessor.save", path=path)
        return cls.from_json(text, source=path)


#: Marks a preprocessor JSON document, and its layout's version.
PREPROCESSOR_FORMAT, PREPROCESSOR_SCHEMA = "nnzoo.preprocessor", 1
#: A preprocessor file larger than this is refused unread (real ones are kilobytes).
MAX_PREPROCESSOR_BYTES = 64 * 2**20
LEGACY_PICKLE = ("The preprocessor file is a pickle from an older nnzoo; a pickle can run code when loaded, so "
                 "nnzoo does not load it")


def from_dataframe(
    frame,
    target: str | None = None,
    *,
    features: Sequence[str] | None = None,
    task: str | None = None,
    test_size: float | None = None,
    seed: int = 0,
    scale: bool = True,
    preprocessor: Preprocessor | None = None,
    name: str = "dataframe",
) -> Dataset | tuple[Dataset, Dataset]:
    """Turns a pandas DataFrame into a Dataset for a zoo model.

    Numeric features are imputed and standardised, the other columns one-hot
    encoded, and the target encoded with its class names kept (see
    `Preprocessor`). The task is inferred unless given. `frame` itself is
    never changed.

    Args:
        frame: A `pandas.DataFrame`.
        target: The target column. May be omitted when `preprocessor` is
            given (its target is used).
        features: Feature columns; default: all but the target.
        task: `"binary"`, `"multiclass"` or `"regression"`; default inferred.
        test_size: If given, a fraction in (0, 1): returns a `(train, test)`
            pair, stratified for classification, with the preprocessor fitted
            on the train rows only.
        seed: Seed of the split.
        scale: Standardise numeric features.
        preprocessor: An already fitted `Preprocessor` (e.g. `train.preprocessor`)
            to encode new rows exactly as the training rows were. Without the
            target column the result has `y=None`.
        name: Name recorded on the Dataset.

    Returns:
        A tabular `Dataset`, or `(train, test)` Datasets when `test_size` is given.

    Raises:
        ValueError: For an empty frame, an unknown column (with the closest
            match), or a target that cannot be used (see `Preprocessor.fit`).
        TypeError: If `frame` is not a DataFrame.

    Example:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "color": ["r", "g", "r", "g"],
    ...                       "label": ["a", "b", "a", "b"]})
    >>> data = from_dataframe(frame, target="label")
    >>> data.task, data.target_names, data.feature_names
    ('binary', ('a', 'b'), ('size', 'color_g', 'color_r'))
    """
    frame = _check_frame(frame)
    test_size = _check_test_size(test_size)
    seed = _check_seed(seed)
    if preprocessor is not None:
        if not isinstance(preprocessor, Preprocessor):
            fail_type("`preprocessor` must be a fitted Preprocessor", "e.g. train.preprocessor", preprocessor=preprocessor)
        preprocessor._check_fitted()
        if preprocessor.target is None:
            fail("This preprocessor encodes features only, so it cannot make a labelled Dataset",
                 "preprocessor.transform(frame) for the features", preprocessor=preprocessor)
        if target is not None and target != preprocessor.target:
            fail("`target` differs from the preprocessor's target", f"target={preprocessor.target!r} or None",
                 target=target)
        target = preprocessor.target
    elif target is None:
        fail("`target` is required", "the name of the target column, e.g. target='label'", target=target)
    elif not isinstance(target, str):
        fail_type("`target` must be a column name", "a string", target=target)

    labelled = target is not None and target in frame.columns
    if preprocessor is None:
        _check_column(target, list(frame.columns), "target")
        task = _infer_task(frame[target]) if task is None else check_task(task, COLUMN_TASKS)
    else:
        task = preprocessor.task_
    strat = None
    if test_size is not None and labelled and task in CLASSIFICATION:
        strat = _labels(frame[target])
    parts = [np.arange(len(frame))] if test_size is None else list(_split_indices(len(frame), strat, test_size, seed))

    pre = preprocessor
    if pre is None:
        pre = Preprocessor(target, features=features, task=task, scale=scale).fit(frame.iloc[parts[0]])
    out = []
    for idx in parts:
        rows = frame.iloc[idx]
        y = pre.encode_target(rows[target]) if labelled else None
        out.append(
            Dataset(
                X=pre.transform(rows),
                y=y,
                feature_names=pre.feature_names_out_,
                target_names=None if pre.classes_ is None else tuple(str(c) for c in pre.classes_),
                task=pre.task_,
                kind="tabular",
                name=name,
                preprocessor=pre,
                input_normalization=pre.normalization(),
            )
        )
    return out[0] if test_size is None else tuple(out)


def from_csv(
    path: str | os.PathLike,
    target: str | None = None,
    *,
    features: Sequence[str] | None = None,
    task: str | None = None,
    test_size: float | None = None,
    seed: int = 0,
    scale: bool = True,
    preprocessor: Preprocessor | None = None,
    **read_csv_kwargs: Any,
) -> Dataset | tuple[Dataset, Dataset]:
    """Reads a CSV file into a Dataset (see `from_dataframe`).

    Args:
        path: The CSV file.
        target: The target column.
        features: Feature columns; default: all but the target.
        task: `"binary"`, `"multiclass"` or `"regression"`; default inferred.
        test_size: If given, returns a `(train, test)` pair.
        seed: Seed of the split.
        scale: Standardise numeric features.
        preprocessor: A fitted `Preprocessor` to encode the rows with.
        **read_csv_kwargs: Passed to `pandas.read_csv` (e.g. `sep=";"`).

    Returns:
        A `Dataset`, or `(train, test)` Datasets when `test_size` is given.

    Raises:
        FileNotFoundError: If `path` does not exist.
        ValueError: For an empty or unreadable file, a directory, duplicated
            column names in the header, or any error of `from_dataframe`.

    Example:

    >>> train, test = from_csv("houses.csv", target="price", test_size=0.2)
    """
    import pandas as pd

    path = os.fspath(path)
    if os.path.isdir(path):
        fail("The CSV path is a directory, not a file", "the path of a .csv file", path=path)
    if not os.path.isfile(path):
        raise FileNotFoundError(message("The CSV file does not exist", "the path of an existing file", path=path))
    try:
        _check_csv_header(pd, path, read_csv_kwargs)
        frame = pd.read_csv(path, **read_csv_kwargs)
    except pd.errors.EmptyDataError:
        fail("The CSV file is empty", "a header row and at least one data row", path=path)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        fail(f"Could not parse the CSV file ({type(err).__name__}: {str(err).strip().splitlines()[0]})",
             "a comma-separated text file with a header row (pass sep=... for other separators)", path=path)
    return from_dataframe(frame, target, features=features, task=task, test_size=test_size, seed=seed,
                          scale=scale, preprocessor=preprocessor, name=os.path.basename(path))


def _check_csv_header(pd, path: str, read_csv_kwargs: dict) -> None:
    """Refuses duplicated column names, which pandas renames silently (`y`, `y.1`)."""
    if any(k in read_csv_kwargs for k in ("header", "names")):
        return  # the caller names the columns
    kwargs = {k: v for k, v in read_csv_kwargs.items() if k not in ("usecols", "index_col", "dtype", "converters",
                                                                      "parse_dates", "nrows")}
    raw = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **kwargs)
    names = [str(v) for v in raw.iloc[0].tolist()] if len(raw) else []
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    duplicated = [n for n, count in seen.items() if count > 1]
    if duplicated:
        fail(
            f"The CSV header repeats column name(s) {duplicated}: pandas would rename the copies "
            f"({duplicated[0]!r} -> {duplicated[0] + '.1'!r}) and a copy of the target would leak into the features",
            "unique column names in the header row",
            path=path,
            columns=names,
        )


# ---------------------------------------------------------------------------
# Examples for any registry entry


def example_data(name: str, n: int = 64, *, task: str | None = None, seed: int = 0) -> Dataset:
    """Small learnable data fitting a registered model's `example_input_shape`.

    Inputs come from the model's family (`ModelEntry.example_inputs`: e.g.
    Gaussian noise, raw 0-255 RGB for a model that preprocesses inside, or
    low-rank data for an autoencoder), and the target is a function of the
    mean input value, so a few epochs lower the loss (the test harness uses
    this function). Meant for smoke tests and benchmarks, not for accuracy.

    Args:
        name: A name from `nnzoo.list_models()`.
        n: Number of samples.
        task: One of the model's tasks; default: the factory's default task
            (`"reconstruction"` for autoencoders).
        seed: Random seed.

    Returns:
        A `Dataset` whose `input_shape` is the entry's example shape; three
        classes for multiclass, four labels for multilabel.

    Raises:
        ValueError: For an unknown model name, or a task the model does not take.

    Example:

    >>> import nnzoo
    >>> data = example_data("lstm", n=32)
    >>> model = nnzoo.build("lstm", data.input_shape, **data.build_kwargs())
    >>> model.fit(data.X, data.y, epochs=1, verbose=0)
    """
    from nnzoo._registry import get_entry

    entry = get_entry(name)
    n = check_int("n", n)
    if task is None:
        task = _default_task(entry)
    else:
        task = check_task(task, entry.tasks)
    rng = np.random.default_rng(_check_seed(seed))
    shape = tuple(entry.example_input_shape)
    common = dict(feature_names=_step_names(math.prod(shape)), kind=entry.input_kind, name=f"example:{entry.name}")
    X = entry.example_inputs(n, rng)  # the family's own generator
    if task == "reconstruction":
        return Dataset(X=X, y=X, target_names=None, task=task, **common)
    signal = X.reshape(n, -1).mean(axis=1)
    if task == "regression":
        return Dataset(X=X, y=signal.astype("float32"), target_names=None, task=task, **common)
    if task == "binary":
        y = (signal > np.median(signal)).astype("int32")
        return Dataset(X=X, y=y, target_names=("0", "1"), task=task, **common)
    if task == "multiclass":
        y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3])).astype("int32")
        return Dataset(X=X, y=y, target_names=("0", "1", "2"), task=task, **common)
    cuts = np.quantile(signal, np.linspace(0.2, 0.8, 4))
    y = (signal[:, None] > cuts[None, :]).astype("float32")
    return Dataset(X=X, y=y, target_names=tuple(f"label_{k}" for k in range(4)), task=task, **common)


def _default_task(entry) -> str:
    """The task a registry entry builds when none is given."""
    import inspect

    if not entry.supervised:
        return "reconstruction"
    param = inspect.signature(entry.builder).parameters.get("task")
    task = entry.preset.get("task", param.default if param is not None else None)
    return task if task in entry.tasks else entry.tasks[0]


# ---------------------------------------------------------------------------
# Helpers


def _check_frame(frame):
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        fail_type("Expected a pandas DataFrame", "a pandas.DataFrame", frame_type=type(frame).__name__)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        fail("The table is empty", "at least one row and one column", shape=frame.shape)
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)  # a new frame; the caller's is left alone
    if frame.columns.duplicated().any():
        dupes = sorted(set(frame.columns[frame.columns.duplicated()]))
        fail("The table has duplicate column names", "unique column names", duplicates=dupes)
    return frame


def _check_column(name, columns: list[str], what: str) -> None:
    if not isinstance(name, str):
        fail_type(f"A {what} column name must be a string", "a column name", **{what: name})
    if name not in columns:
        shown = ", ".join(map(repr, columns[:20])) + (", ..." if len(columns) > 20 else "")
        fail(f"Unknown {what} column.{suggest(name, columns)}", f"one of {shown}", **{what: name})


def _features_frame(frame, numeric, categorical):
    """The feature columns, with categorical ones as plain objects and NaN for missing."""
    import pandas as pd

    cols = {c: frame[c] for c in numeric}
    for c in categorical:
        col = frame[c]
        values = col.astype(object).where(col.notna(), np.nan)
        cols[c] = values.map(lambda v: v if isinstance(v, float) and np.isnan(v) else str(v))
    return pd.DataFrame(cols, index=frame.index)


def _one_hot(column, categories: tuple) -> np.ndarray:
    """0/1 columns, one per category (strings; `None` for missing); other values give all zeros."""
    index = {c: i for i, c in enumerate(categories)}
    missing = column.isna().to_numpy()
    codes = np.array([-1 if m else index.get(str(v), -1) for v, m in zip(column.tolist(), missing)], dtype="int64")
    if None in index:
        codes[missing] = index[None]
    out = np.zeros((len(codes), len(categories)))
    rows = np.flatnonzero(codes >= 0)
    out[rows, codes[rows]] = 1.0
    return out


def _labels(values) -> np.ndarray:
    """Target labels as comparable values: numbers stay numbers, anything else becomes str."""
    import pandas as pd

    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        arr = series.to_numpy()
        return arr.astype("int64") if np.all(np.mod(arr, 1) == 0) else arr
    return series.astype(str).to_numpy(dtype=object)


def _infer_task(values) -> str:
    """binary / multiclass / regression from a target column, by `nnzoo._tasks.infer_task`."""
    import pandas as pd

    series = pd.Series(values).dropna()
    if series.nunique() < 2:
        fail("The target has a single distinct value", "at least two classes or a varying number",
             target=getattr(values, "name", None), values=series.unique()[:3].tolist())
    numeric = pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
    return infer_task(series if numeric else series.astype(str), name="target")


def _check_test_size(test_size, *, allow_none: bool = True):
    if test_size is None and allow_none:
        return None
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        fail_type("`test_size` must be a fraction", "a float in (0, 1)" + (" or None" if allow_none else ""),
                  test_size=test_size)
    return check_float("test_size", test_size, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _check_seed(seed) -> int:
    return check_int("seed", seed, minimum=0)


def _split_indices(n: int, strat, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    n_test = math.ceil(test_size * n)
    if n_test < 1 or n - n_test < 1:
        fail("Too few rows to split", f"enough rows for a test part of {test_size:g} and a non-empty train part",
             n_rows=n, test_size=test_size)
    try:
        return train_test_split(np.arange(n), test_size=test_size, random_state=seed, shuffle=True, stratify=strat)
    except ValueError as err:
        fail(f"Cannot make a stratified split: {err}", "at least two rows of every class, and a test part "
             "with room for one row of each class", n_rows=n, test_size=test_size)


def _step_names(k: int) -> tuple[str, ...]:
    return tuple(f"x{i}" for i in range(k))


# ---------------------------------------------------------------------------
# UCR/UEA time-series classification sets (bundled in the optional `aeon`)

#: UCR/UEA sets that ship inside the `aeon` wheel: name -> one-line description.
UCR_DATASETS = {
    "gunpoint": "GunPoint, 50 train / 150 test series of length 150, 1 channel; binary",
    "italy_power_demand": "ItalyPowerDemand, 67 train / 1029 test series of length 24, 1 channel; binary",
    "basic_motions": "BasicMotions, 40 train / 40 test series of length 100, 6 channels; multiclass (4)",
    "japanese_vowels": "JapaneseVowels, 270 train / 370 test series of length 7-29, 12 channels; multiclass (9)",
}

#: How `load_ucr` makes series of unequal length fit one array.
UCR_LENGTHS = ("pad", "resample", "variable")


def load_ucr(name: str, split: str | None = None, *, length: str = "pad") -> Dataset | tuple[Dataset, Dataset]:
    """Loads a UCR/UEA time-series classification set with its official split.

    The data ships inside the `aeon` package (offline); install it with
    `pip install "nnzoo[timeseries]"`. Series come as Keras expects them,
    `(n, timesteps, channels)` `float32`, raw (not normalised: build the
    model with `normalize="series"` to z-normalise each series inside the
    model). Labels are coded `0..k-1` in sorted order of the original string
    labels, which `target_names` keeps.

    Unequal-length sets (JapaneseVowels) fit one array in one of three ways,
    the same for both splits so one model takes both:

    - `length="pad"` (default): zeros appended up to the longest series of
      the train and test splits;
    - `length="resample"`: each series linearly interpolated to that length
      (the protocol of Fawaz et al. 2019 for the multivariate archive);
    - `length="variable"`: `X` is an object array of `(timesteps_i,
      channels)` arrays, for a model built with `input_shape=(None,
      channels)` and fed one series (or one equal-length batch) at a time.

    Args:
        name: One of `UCR_DATASETS`: `"gunpoint"`, `"italy_power_demand"`,
            `"basic_motions"`, `"japanese_vowels"`.
        split: `"train"` or `"test"` for one split; `None` (default) returns
            both, `(train, test)`.
        length: `"pad"`, `"resample"` or `"variable"` (see above); equal-length
            sets are the same under all three.

    Returns:
        A `Dataset` (`kind="sequence"`, `task="binary"` or `"multiclass"`),
        or `(train, test)` Datasets when `split` is `None`.

    Raises:
        ValueError: For an unknown name (with the closest match), split or
            length.
        ImportError: If `aeon` is not installed.

    Example:

    >>> import nnzoo
    >>> train, test = nnzoo.datasets.load_ucr("gunpoint")
    >>> train.X.shape, test.X.shape, train.target_names
    ((50, 150, 1), (150, 150, 1), ('1', '2'))
    >>> model = nnzoo.build("conv1d", train.input_shape, **train.build_kwargs())
    """
    if not isinstance(name, str):
        fail_type("A dataset name must be a string", "one of " + ", ".join(map(repr, UCR_DATASETS)), name=name)
    name = check_choice("name", name, tuple(UCR_DATASETS))
    if split is not None:
        split = check_choice("split", split, ("train", "test"))
    if not isinstance(length, str):
        fail_type("`length` must be a string", "one of " + ", ".join(map(repr, UCR_LENGTHS)), length=length)
    length = check_choice("length", length, UCR_LENGTHS)
    try:
        import aeon.datasets
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"nnzoo.datasets.load_ucr needs the optional package `aeon`, which ships the UCR/UEA sets "
            f'offline. Install it with `pip install "nnzoo[timeseries]"` (or `pip install aeon`). '
            f"Received: name={name!r} ({err})"
        ) from None

    loader = getattr(aeon.datasets, f"load_{name}")
    raw = {s: loader(split=s) for s in ("train", "test")}
    series = {s: [np.asarray(x, dtype="float32").T for x in raw[s][0]] for s in raw}  # each (T_i, C)
    labels = {s: np.asarray(raw[s][1]).astype(str) for s in raw}
    classes = tuple(str(c) for c in sorted(set(labels["train"]) | set(labels["test"])))
    code = {c: k for k, c in enumerate(classes)}
    longest = max(len(x) for s in series for x in series[s])
    channels = series["train"][0].shape[1]

    def make(s: str) -> Dataset:
        return Dataset(
            X=_fit_length(series[s], longest, length),
            y=np.array([code[c] for c in labels[s]], dtype="int32"),
            feature_names=tuple(f"channel_{c}" for c in range(channels)),
            target_names=classes,
            task="binary" if len(classes) == 2 else "multiclass",
            kind="sequence",
            name=f"{name}:{s}",
        )

    return make(split) if split is not None else (make("train"), make("test"))


def _fit_length(series: list[np.ndarray], longest: int, length: str) -> np.ndarray:
    """`(n, longest, C)` float32 by padding or resampling, or an object array of the series."""
    if length == "variable":
        out = np.empty(len(series), dtype=object)
        for i, x in enumerate(series):
            out[i] = x
        if len({len(x) for x in series}) == 1:
            return np.stack(series).astype("float32")
        return out
    X = np.zeros((len(series), longest, series[0].shape[1]), dtype="float32")
    for i, x in enumerate(series):
        if len(x) == longest:
            X[i] = x
        elif length == "pad":
            X[i, : len(x)] = x
        else:  # resample: linear interpolation of each channel onto `longest` points
            old = np.linspace(0.0, 1.0, len(x))
            new = np.linspace(0.0, 1.0, longest)
            X[i] = np.stack([np.interp(new, old, x[:, c]) for c in range(x.shape[1])], axis=1)
    return X
