import json

import numpy as np
import pandas as pd
import pytest

import nnzoo
from nnzoo import datasets
from nnzoo.datasets import Dataset, Preprocessor, example_data, from_csv, from_dataframe, load, make_sines, make_windows

BUNDLED = {
    # name: (X shape, task, number of classes, kind)
    "digits": ((1797, 8, 8, 1), "multiclass", 10, "image"),
    "breast_cancer": ((569, 30), "binary", 2, "tabular"),
    "wine": ((178, 13), "multiclass", 3, "tabular"),
    "iris": ((150, 4), "multiclass", 3, "tabular"),
    "diabetes": ((442, 10), "regression", None, "tabular"),
    "sines": ((1000, 30, 1), "regression", None, "sequence"),
}



def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n).astype(float),
        "city": rng.choice(["Paris", "Lyon", "Nice"], n),
        "member": rng.choice([True, False], n),
        "label": np.where(np.arange(n) % 2 == 0, "yes", "no"),
    })
    frame.loc[1, "age"] = np.nan
    frame.loc[2, "city"] = None
    return frame


# -- bundled data


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_load_bundled(name):
    shape, task, k, kind = BUNDLED[name]
    data = load(name)
    assert isinstance(data, Dataset)
    assert data.X.shape == shape and data.X.dtype == np.float32
    assert data.y.shape == (shape[0],)
    assert np.all(np.isfinite(data.X))
    assert (data.task, data.num_classes, data.kind, data.name) == (task, k, kind, name)
    assert data.input_shape == shape[1:]
    if k is not None:
        assert data.y.dtype == np.int32 and set(np.unique(data.y)) == set(range(k))
        assert len(data.target_names) == k


def test_digits_are_pixels_over_16_as_images_or_flat_rows():
    from sklearn.datasets import load_digits

    raw = load_digits()
    images = load("digits")
    flat = load("digits", flat=True)
    np.testing.assert_allclose(images.X[..., 0], raw.images / 16.0, rtol=1e-6)
    assert images.X.min() == 0.0 and images.X.max() == 1.0
    assert flat.X.shape == (1797, 64) and flat.kind == "tabular"
    np.testing.assert_array_equal(flat.X, images.X.reshape(1797, 64))
    assert images.target_names == tuple(str(d) for d in range(10))


def test_tabular_sets_are_standardised_unless_scale_false():
    data = load("wine")
    np.testing.assert_allclose(data.X.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.X.std(axis=0), 1, atol=1e-4)
    raw = load("wine", scale=False)
    assert raw.X.max() > 100  # proline, unscaled
    assert data.feature_names == raw.feature_names and "proline" in data.feature_names


def test_breast_cancer_keeps_scikit_learn_class_codes():
    data = load("breast_cancer")
    assert data.target_names == ("malignant", "benign")
    assert data.build_kwargs() == {"task": "binary"}


def test_split_is_stratified_and_scaling_is_fitted_on_train_only():
    train, test = load("wine", test_size=0.25, seed=3)
    assert len(train) + len(test) == 178 and len(test) == 45
    full = np.bincount(load("wine").y) / 178
    np.testing.assert_allclose(np.bincount(test.y) / len(test), full, atol=0.03)
    np.testing.assert_allclose(train.X.mean(axis=0), 0, atol=1e-5)
    assert np.abs(test.X.mean(axis=0)).max() > 1e-3  # test rows were not used to fit the scaler
    assert train.preprocessor is test.preprocessor
    raw = pd.DataFrame(load("wine", scale=False).X, columns=train.feature_names)
    assert train.preprocessor.transform(raw).shape == (178, 13)


def test_split_is_reproducible_and_seeded():
    a_train, a_test = load("digits", test_size=0.2, seed=0)
    b_train, b_test = load("digits", test_size=0.2, seed=0)
    c_train, _ = load("digits", test_size=0.2, seed=1)
    np.testing.assert_array_equal(a_test.X, b_test.X)
    assert a_train.X.shape == (1437, 8, 8, 1) and a_test.X.shape == (360, 8, 8, 1)
    assert not np.array_equal(a_train.y, c_train.y)
    np.testing.assert_allclose(np.bincount(a_test.y), np.bincount(load("digits").y) * 0.2, atol=1)


def test_dataset_split_method():
    train, test = load("iris").split(0.2, seed=0)
    assert (len(train), len(test)) == (120, 30)
    assert list(np.bincount(test.y)) == [10, 10, 10]
    assert train.target_names == ("setosa", "versicolor", "virginica")


def test_build_kwargs_fit_the_factories():
    data = load("wine")
    model = nnzoo.build("ffnn_small", data.input_shape, **data.build_kwargs())
    assert model.output_shape == (None, 3)
    assert load("diabetes").build_kwargs() == {"task": "regression"}
    assert make_sines(20, window=5, horizon=3).build_kwargs() == {"task": "regression", "num_outputs": 3}


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"name": "wines"}, "Did you mean 'wine'?"),
        ({"name": "iris", "test_size": 1.0}, "`test_size` is out of range"),
        ({"name": "iris", "test_size": 0}, "`test_size` is out of range"),
        ({"name": "iris", "seed": -1}, "`seed` is too small"),
    ],
)
def test_load_errors(kwargs, error):
    with pytest.raises(ValueError, match=error) as info:
        load(**kwargs)
    assert "Received:" in str(info.value)


def test_load_type_errors():
    with pytest.raises(TypeError, match="must be a string"):
        load(3)
    with pytest.raises(TypeError, match="`flat` must be a bool"):
        load("digits", flat="yes")


# -- sequences


def test_make_sines_shapes_and_determinism():
    data = make_sines(50, window=12, horizon=1, seed=1)
    assert data.X.shape == (50, 12, 1) and data.y.shape == (50,)
    assert (data.kind, data.task) == ("sequence", "regression")
    np.testing.assert_array_equal(data.X, make_sines(50, window=12, seed=1).X)
    multi = make_sines(10, window=8, horizon=4, noise=0.0)
    assert multi.y.shape == (10, 4)
    assert np.abs(multi.X).max() <= 1.5 + 1e-6  # amplitude in [0.5, 1.5], no noise


def test_make_windows_values():
    X, y = make_windows(np.arange(10.0), window=3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    np.testing.assert_array_equal(X[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))
    X, y = make_windows(np.arange(10.0), window=3, horizon=2, stride=3)
    np.testing.assert_array_equal(X[:, 0, 0], [0, 3])
    np.testing.assert_array_equal(y, [[3, 4], [6, 7]])


def test_make_windows_multivariate_target_column():
    series = np.stack([np.arange(10.0), 100 + np.arange(10.0)], axis=1)
    X, y = make_windows(series, window=4, target=1)
    assert X.shape == (6, 4, 2)
    np.testing.assert_array_equal(y, 100 + np.arange(4.0, 10.0))


@pytest.mark.parametrize(
    "series, kwargs, exc, error",
    [
        (np.arange(4.0), {"window": 4}, ValueError, "too short for one window"),
        (np.zeros((3, 3, 3)), {"window": 1}, ValueError, "wrong rank"),
        (np.array([1.0, np.nan, 3.0, 4.0]), {"window": 2}, ValueError, "NaN or infinite"),
        (np.zeros((10, 2)), {"window": 2, "target": 2}, ValueError, "`target` is out of range"),
        (np.arange(10.0), {"window": 0}, ValueError, "`window` is too small"),
        (np.arange(10.0), {"window": 2.5}, TypeError, "`window` must be an integer"),
        (["a", "b", "c"], {"window": 1}, TypeError, "`series` must be numeric"),
    ],
)
def test_make_windows_errors(series, kwargs, exc, error):
    with pytest.raises(exc, match=error):
        make_windows(series, **kwargs)


# -- tables


def test_from_dataframe_encodes_and_infers():
    frame = _frame()
    before = frame.copy()
    data = from_dataframe(frame, target="label")
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    assert data.task == "binary" and data.target_names == ("no", "yes")
    assert data.feature_names[0] == "age"
    assert {"city_Lyon", "city_Nice", "city_Paris", "city_nan", "member_False", "member_True"} <= set(data.feature_names)
    assert data.X.shape == (40, len(data.feature_names)) and data.X.dtype == np.float32
    assert np.all(np.isfinite(data.X))  # the missing age was imputed
    np.testing.assert_allclose(data.X[:, 0].mean(), 0, atol=1e-5)
    np.testing.assert_array_equal(data.y, (frame["label"] == "yes").astype(int))
    assert data.preprocessor.categorical_features_ == ("city", "member")


@pytest.mark.parametrize(
    "values, task",
    [
        (["a", "b", "c", "a"] * 5, "multiclass"),
        ([0, 1] * 10, "binary"),
        ([0, 1, 2, 3] * 5, "multiclass"),
        (list(np.linspace(0, 1, 20)), "regression"),
        (list(range(20)), "multiclass"),  # integers are classes, however many (scikit-learn's rule)
        ([float(v) for v in range(20)], "regression"),  # floats are values, even whole ones
        ([True, False] * 10, "binary"),
    ],
)
def test_task_inference(values, task):
    frame = pd.DataFrame({"x": np.arange(len(values), dtype=float), "t": values})
    assert from_dataframe(frame, target="t").task == task


def test_explicit_task_and_regression_target():
    frame = pd.DataFrame({"x": np.arange(20.0), "t": [0, 1, 2, 3] * 5})
    data = from_dataframe(frame, target="t", task="regression")
    assert data.task == "regression" and data.y.dtype == np.float32 and data.target_names is None
    with pytest.raises(ValueError, match="task='binary' needs exactly two classes"):
        from_dataframe(frame, target="t", task="binary")


def test_from_dataframe_split_fits_on_train_rows():
    frame = _frame(60)
    train, test = from_dataframe(frame, target="label", test_size=0.25, seed=0)
    assert (len(train), len(test)) == (45, 15)
    np.testing.assert_allclose(train.X[:, 0].mean(), 0, atol=1e-6)  # fitted on the 45 train rows only
    assert abs(float(test.X[:, 0].mean())) > 1e-6
    np.testing.assert_array_equal(np.bincount(test.y), [8, 7][:: 1 if np.bincount(test.y)[0] == 8 else -1])


def test_preprocessor_encodes_new_rows_the_same_way(tmp_path):
    frame = _frame()
    data = from_dataframe(frame, target="label")
    new = pd.DataFrame({"member": [True], "city": ["Berlin"], "age": [30.0]})  # other order, unseen city
    X = data.preprocessor.transform(new)
    assert X.shape == (1, len(data.feature_names))
    city = [i for i, n in enumerate(data.feature_names) if n.startswith("city_")]
    assert X[0, city].sum() == 0  # an unseen category is all zeros
    unlabelled = from_dataframe(new, preprocessor=data.preprocessor)
    assert unlabelled.y is None and unlabelled.target_names == ("no", "yes")
    features_only = load("wine").preprocessor
    with pytest.raises(ValueError, match="encodes features only"):
        from_dataframe(new, preprocessor=features_only)
    path = data.preprocessor.save(tmp_path / "pre.preprocessor.json")
    loaded = Preprocessor.load(path)
    np.testing.assert_array_equal(loaded.transform(frame), data.X)
    np.testing.assert_array_equal(loaded.decode_target([0, 1]), ["no", "yes"])
    assert list(tmp_path.iterdir()) == [tmp_path / "pre.preprocessor.json"]  # no temporary file left behind


def _apply_normalization(norm, frame):
    """Encodes raw rows from `normalization()` alone: what an app without scikit-learn would do."""
    x = frame[norm["features"]].to_numpy(dtype="float64")
    x = np.where(np.isnan(x), np.asarray(norm["fill_missing"]), x)
    if norm["formula"] == "(x - mean) / std":
        x = (x - np.asarray(norm["mean"])) / np.asarray(norm["std"])
    one_hot = [np.array([[float((None if pd.isna(v) else str(v)) == cat) for cat in cats] for v in frame[c]]).reshape(len(frame), -1)
               for c, cats in norm["one_hot"].items()]
    return np.concatenate([x, *one_hot], axis=1)


@pytest.mark.parametrize("scale", [True, False])
def test_preprocessor_normalization_reproduces_transform(scale):
    frame = _frame()
    data = from_dataframe(frame, target="label", scale=scale)
    norm = json.loads(json.dumps(data.input_normalization))  # JSON-ready, as the sidecar stores it
    assert norm == data.preprocessor.normalization()
    assert norm["columns"] == list(data.feature_names)
    assert ("mean" in norm) is scale
    assert norm["one_hot"] == {"city": ["Lyon", "Nice", "Paris", None], "member": ["False", "True"]}
    new = pd.DataFrame({"age": [np.nan, 50.0], "city": ["Berlin", "Nice"], "member": [True, False]})
    for rows in (frame, new):
        np.testing.assert_allclose(_apply_normalization(norm, rows), data.preprocessor.transform(rows), atol=1e-5)


@pytest.mark.parametrize("name", ["wine", "diabetes"])
def test_bundled_tables_carry_their_normalization(name):
    from sklearn import datasets as sk

    train, test = load(name, test_size=0.25, seed=1)
    raw = getattr(sk, f"load_{name}")(as_frame=True).frame.drop(columns=["target"])
    norm = test.input_normalization
    assert norm == train.input_normalization and norm["one_hot"] == {}
    x = (raw.to_numpy() - np.asarray(norm["mean"])) / np.asarray(norm["std"])
    assert x.shape[1] == test.X.shape[1]
    # every row of train and test is a raw row encoded this way
    np.testing.assert_allclose(np.sort(x, axis=0), np.sort(np.concatenate([train.X, test.X]), axis=0), atol=1e-5)


def test_digits_normalization_maps_raw_pixels_to_x():
    from sklearn.datasets import load_digits

    for data in (load("digits"), load("digits", flat=True), load("digits", test_size=0.2)[1]):
        assert data.input_normalization == {"formula": "x * scale", "scale": 1 / 16}
    np.testing.assert_allclose(load_digits().images * (1 / 16), load("digits").X[..., 0], rtol=1e-6)
    assert load("sines").input_normalization is None


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda f: from_dataframe(f, target="lable"), "Unknown target column. Did you mean 'label'?"),
        (lambda f: from_dataframe(f, target="label", features=["agee"]), "Unknown feature column. Did you mean 'age'?"),
        (lambda f: from_dataframe(f.iloc[:0], target="label"), "The table is empty"),
        (lambda f: from_dataframe(f[["label"]], target="label"), "no feature columns"),
        (lambda f: from_dataframe(f.assign(label="same"), target="label"), "single distinct value"),
        (lambda f: from_dataframe(f.assign(label=None), target="label"), "single distinct value"),
        (lambda f: from_dataframe(f.assign(when=pd.Timestamp("2024-01-01")), target="label"), "dates or times"),
        (lambda f: from_dataframe(f, target=None), "`target` is required"),
    ],
)
def test_from_dataframe_errors(call, error):
    with pytest.raises(ValueError, match=error) as info:
        call(_frame())
    assert "Received:" in str(info.value)


def test_missing_target_values_and_unseen_labels():
    frame = _frame()
    frame.loc[0, "label"] = None
    with pytest.raises(ValueError, match="missing values"):
        from_dataframe(frame, target="label")
    data = from_dataframe(_frame(), target="label")
    with pytest.raises(ValueError, match="labels the model was not trained on"):
        data.preprocessor.encode_target(["maybe"])
    with pytest.raises(ValueError, match="Unknown feature column"):
        data.preprocessor.transform(_frame().drop(columns=["city"]))
    with pytest.raises(TypeError, match="pandas DataFrame"):
        from_dataframe({"a": [1]}, target="a")


def test_from_csv_round_trip_and_errors(tmp_path):
    path = tmp_path / "people.csv"
    _frame().to_csv(path, index=False)
    train, test = from_csv(path, target="label", test_size=0.25)
    assert train.name == "people.csv" and (len(train), len(test)) == (30, 10)
    np.testing.assert_array_equal(np.bincount(test.y), [5, 5])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        from_csv(tmp_path / "nope.csv", target="label")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="The CSV file is empty"):
        from_csv(tmp_path / "empty.csv", target="label")
    (tmp_path / "header.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="The table is empty"):
        from_csv(tmp_path / "header.csv", target="a")


# -- examples for the registry


@pytest.mark.parametrize("name", nnzoo.list_models())
def test_example_data_fits_each_entry(name):
    entry = nnzoo.get_entry(name)
    data = example_data(name, n=16)
    assert data.input_shape == tuple(entry.example_input_shape)
    assert len(data) == 16 and np.all(np.isfinite(data.X))
    if entry.supervised:
        assert data.task in entry.tasks
    else:
        assert data.task == "reconstruction" and data.build_kwargs() == {}
        np.testing.assert_array_equal(data.X, data.y)


def test_example_data_default_tasks_follow_the_factories():
    assert example_data("lstm").task == "regression"
    assert example_data("cnn").task == "multiclass"
    data = example_data("ffnn", n=32, task="multilabel", seed=1)
    assert data.y.shape == (32, 4) and data.build_kwargs() == {"task": "multilabel", "num_classes": 4}
    model = nnzoo.build("lstm", example_data("lstm").input_shape, **example_data("lstm").build_kwargs())
    assert model.output_shape == (None, 1)
    with pytest.raises(ValueError, match="Unknown `task`"):
        example_data("autoencoder", task="binary")


def test_registry_names_in_module_docs():
    assert set(datasets.DATASETS) == set(BUNDLED)
