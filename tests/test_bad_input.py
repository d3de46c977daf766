"""Bad arguments fail at build time, in one message style, before Keras runs."""

import contextlib
import functools
import io
import re

import numpy as np
import pandas as pd
import pytest

import nnzoo
from nnzoo.datasets import example_data

CASES = [
    # (factory, args, kwargs, error, fragment)
    (nnzoo.build_ffnn, ((4,),), {"task": "clasify"}, ValueError, "Unknown `task`"),
    (nnzoo.build_ffnn, ((4,),), {"task": "multiclass", "num_classes": 3, "activation": "relux"}, ValueError, "Did you mean 'relu'?"),
    (nnzoo.build_ffnn, ((4,), (32, 0)), {"task": "regression"}, ValueError, "positive ints"),
    (nnzoo.build_ffnn, ((4,), (32, -1)), {"task": "regression"}, ValueError, "Received: hidden_units=(32, -1)"),
    (nnzoo.build_ffnn, ((4,),), {"task": "multiclass", "num_classes": 1}, ValueError, "num_classes >= 2"),
    (nnzoo.build_ffnn, ((4,),), {"task": "multiclass"}, ValueError, "needs `num_classes`"),
    (nnzoo.build_ffnn, ((4,),), {"task": "binary", "num_classes": 3}, ValueError, "exactly two classes"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "num_classes": 3}, ValueError, "num_outputs"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "dropout": 1.0}, ValueError, "Received: dropout=1.0"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "dropout": -0.1}, ValueError, "[0.0, 1.0)"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "l2": -1}, ValueError, "Received: l2=-1.0"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "optimizer": "adamm"}, ValueError, "Did you mean 'adam'?"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "learning_rate": 0}, ValueError, "Received: learning_rate=0.0"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "clipnorm": 1.0, "clipvalue": 1.0}, ValueError, "exclusive"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "optimizr": "adam"}, TypeError, "Did you mean 'optimizer'?"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "batch_norm": "yes"}, TypeError, "Received: batch_norm='yes'"),
    (nnzoo.build_ffnn, ("abc",), {"task": "regression"}, TypeError, "input_shape"),
    (nnzoo.build_ffnn, ((0,),), {"task": "regression"}, ValueError, "positive ints"),
    (nnzoo.build_cnn, ((28, 28),), {"num_classes": 10}, ValueError, "wrong rank for build_cnn"),
    (nnzoo.build_cnn, ((8, 8, 1), (16, 32, 64, 128)), {"num_classes": 10}, ValueError, "too small for 4 conv block(s)"),
    (nnzoo.build_cnn, ((5, 5, 1),), {"num_classes": 10, "padding": "valid", "convs_per_block": 1, "filters": (8,), "kernel_size": 7}, ValueError, "too small"),
    (nnzoo.build_cnn, ((8, 8, 1),), {"num_classes": 10, "pool": "min"}, ValueError, "Unknown `pool`"),
    (nnzoo.build_cnn, ((8, 8, 1),), {"num_classes": 10, "kernel_size": 0}, ValueError, "Received: kernel_size=0"),
    (nnzoo.build_lstm, ((10,),), {}, ValueError, "wrong rank for build_lstm"),
    (nnzoo.build_lstm, ((10, 2),), {"cell": "transformer"}, ValueError, "Unknown `cell`"),
    (nnzoo.build_lstm, ((None, 2),), {"unroll": True}, ValueError, "fixed number of timesteps"),
    (nnzoo.build_lstm, ((20,),), {"vocab_size": 50, "patch_size": 4}, ValueError, "`patch_size` > 1 needs"),
    (nnzoo.build_lstm, ((20, 2),), {"return_sequences": True, "patch_size": 4}, ValueError, "return_sequences=True"),
    (nnzoo.build_lstm, ((20, 2),), {"patch_size": 0}, ValueError, "patch_size"),
    (nnzoo.build_autoencoder, ((6, 6, 1), 4), {"architecture": "conv", "filters": (8, 16)}, ValueError, "divisible by 4"),
    (nnzoo.build_autoencoder, ((16,), 0), {}, ValueError, "Received: encoding_dim=0"),
    (nnzoo.build_autoencoder, ((16,), 4), {"output_activation": "softmax"}, ValueError, "Unknown `output_activation`"),
    (nnzoo.build_vgg16_transfer, ((16, 16, 3),), {"num_classes": 5}, ValueError, "at least 32x32"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 1),), {"num_classes": 5}, ValueError, "RGB"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 3),), {"num_classes": 5, "trainable_layers": 14}, ValueError, "0 to 13"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 3),), {"num_classes": 5, "weights": "/no/such/file.h5"}, ValueError, "does not exist"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 3),), {"num_classes": 5, "task": "regression"}, ValueError, "is a classifier"),
    # Sizes that cannot fit: refused from the arguments, before any layer is made.
    (nnzoo.build_ffnn, ((4,), (10**12,)), {"task": "regression"}, ValueError, "would have 6,000,000,000,001 parameters"),
    (nnzoo.build_ffnn, ((4,), (10**5,)), {"task": "regression", "max_params": 10**5}, ValueError, "more than max_params=100,000"),
    (nnzoo.build_ffnn, ((4,),), {"task": "regression", "max_params": "big"}, TypeError, "Received: max_params='big'"),
    (nnzoo.build_cnn, ((4096, 4096, 3),), {"num_classes": 2, "global_pooling": None}, ValueError, "of float32 weights"),
    (nnzoo.build_lstm, ((10, 2), (10**5,)), {}, ValueError, "more than max_params=100,000,000"),
    (nnzoo.build_autoencoder, ((10**6,), 8, (1000,)), {}, ValueError, "float32 weights"),
    (nnzoo.build_vgg16_transfer, ((4096, 4096, 3),), {"num_classes": 2, "pooling": "flatten"}, ValueError, "would have"),
    (nnzoo.build, ("ffnn", (10**7,), (10**3,)), {"task": "regression"}, ValueError, "Received: params=10000002001"),
]


def _ids(rows):
    return [f"{getattr(r[0], '__name__', r[0])}-{i}-{r[4][:25]}" for i, r in enumerate(rows)]


@pytest.mark.parametrize("factory,args,kwargs,error,fragment", CASES, ids=_ids(CASES))
def test_bad_argument_message(factory, args, kwargs, error, fragment):
    with pytest.raises(error) as err:
        factory(*args, **kwargs)
    text = str(err.value)
    assert fragment in text
    assert "Received: " in text
    assert "Expected " in text


def test_size_limit_refuses_before_any_layer_exists(monkeypatch):
    import keras

    def no_layers(*args, **kwargs):
        raise AssertionError("a layer was created before the size check")

    # Worked out from the arguments: the refusal comes before any Keras object is made.
    monkeypatch.setattr(keras, "Input", no_layers)
    monkeypatch.setattr(keras.layers, "Dense", no_layers)
    with pytest.raises(ValueError, match="24.0 TB of float32 weights"):
        nnzoo.build_ffnn((4,), (10**12,), task="regression")
    monkeypatch.undo()
    model = nnzoo.build_ffnn((4,), (10**5,), task="regression", max_params=None, compile=False)
    assert model.count_params() == 4 * 10**5 + 10**5 + 10**5 + 1


@pytest.mark.parametrize("name", nnzoo.list_models())
def test_parameter_estimate_is_exact(name):
    """The count the limit uses equals Keras's, for every registered model (so it never under-counts)."""
    entry = nnzoo.get_entry(name)
    kwargs = example_data(name, n=8).build_kwargs()  # the factory's default task, with its head
    model = nnzoo.build(name, entry.example_input_shape, compile=False, **kwargs)
    with pytest.raises(ValueError) as err:
        nnzoo.build(name, entry.example_input_shape, compile=False, max_params=model.count_params() - 1, **kwargs)
    count = re.search(r"would have ([\d,]+) parameters", str(err.value)).group(1)
    assert int(count.replace(",", "")) == model.count_params()


def test_imagenet_without_cached_file_fails_before_building(tmp_path, monkeypatch):
    import keras

    def no_vgg(*args, **kwargs):
        raise AssertionError("VGG16 was built (or downloaded) before the weights check")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.applications, "VGG16", no_vgg)
    with pytest.raises(ValueError) as err:
        nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=5, weights="imagenet")
    text = str(err.value)
    assert "never downloads" in text
    assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in text
    assert "Received: weights='imagenet'" in text


def _write_legacy_h5(base, path):
    """Writes weights in the legacy Keras HDF5 layout the ImageNet files use."""
    import h5py

    layers = [layer for layer in base.layers if layer.weights]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in layers]
        for layer in layers:
            g = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0".encode() for w in layer.weights]
            g.attrs["weight_names"] = names
            for name, value in zip(names, layer.get_weights()):
                g.create_dataset(name.decode(), data=value)


def test_imagenet_uses_cached_file_and_local_path(tmp_path, monkeypatch):
    """A weights file found offline (Keras cache or explicit path) is loaded."""
    import numpy as np

    import keras

    src = nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=2, compile=False).get_layer("vgg16")
    (tmp_path / "models").mkdir()
    cached = tmp_path / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    _write_legacy_h5(src, cached)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    keras.utils.set_random_seed(123)  # a different init, so equality proves loading
    for weights in ("imagenet", str(cached)):
        model = nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=2, weights=weights, compile=False)
        for a, b in zip(model.get_layer("vgg16").get_weights(), src.get_weights()):
            np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- #
# Bad data across the public API and the command line: refused before any work.
#
# Each row is (callable, args, kwargs, error, fragment). `Make(fn)` in args or
# kwargs stands for a value built per test from `tmp_path` (files, folders)
# or taken from the small cached models below.


class Make:
    def __init__(self, fn):
        self.fn = fn


class CLIError(Exception):
    """`nnzoo ...` exited 2; the message is its stderr."""


def _cli(*argv):
    import contextlib
    import io

    from nnzoo import cli

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(list(argv))
    text = err.getvalue()
    if code == 2:
        assert text.count("\n") == 1, f"one line on stderr, not: {text!r}"
        raise CLIError(text)
    raise AssertionError(f"exit {code}, not 2; stderr: {text!r}")


_RNG = np.random.default_rng(0)
X = _RNG.random((40, 4)).astype("float32")
Y = np.arange(40) % 3
X_NAN = X.copy()
X_NAN[[1, 2, 5], 0] = np.nan
X_NAN[3, 2] = np.inf
Y_NAN = _RNG.random(40)
Y_NAN[4] = np.nan
IMAGES = _RNG.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
IMAGES_NAN = IMAGES.copy()
IMAGES_NAN[0, 1, 2, 0] = np.nan


@functools.cache
def _models():
    import keras

    keras.utils.set_random_seed(0)
    return {
        "multiclass": nnzoo.build_ffnn((4,), (8,), num_classes=3),
        "binary": nnzoo.build_ffnn((4,), (8,), task="binary"),
        "multilabel": nnzoo.build_ffnn((4,), (8,), task="multilabel", num_classes=3),
        "regression": nnzoo.build_ffnn((4,), (8,), task="regression"),
        "cnn": nnzoo.build_cnn((8, 8, 1), (4,), num_classes=3, dense_units=()),
        "vgg": nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=2, dense_units=()),
    }


def M(kind):
    return Make(lambda tmp: _models()[kind])


@functools.cache
def _fitted(kind):
    from nnzoo.tuning import ZooAutoencoder, ZooClassifier

    if kind == "classifier":
        return ZooClassifier("ffnn_small", epochs=1, random_state=0).fit(X, Y)
    return ZooAutoencoder("autoencoder", epochs=1, random_state=0).fit(X)


def _file(name, text):
    def make(tmp):
        path = tmp / name
        path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
        return str(path)
    return Make(make)


def _folder(name):
    def make(tmp):
        (tmp / name).mkdir()
        return str(tmp / name)
    return Make(make)


def _under_a_file(name):
    def make(tmp):
        (tmp / "plain.txt").write_text("a file, not a folder")
        return str(tmp / "plain.txt" / name)
    return Make(make)


_DUP_CSV = _file("dup.csv", "a,y,y\n" + "".join(f"{i},{i % 2},{i % 2}\n" for i in range(20)))
_FRAME_NAN = Make(lambda tmp: pd.DataFrame(X_NAN, columns=["a", "b", "c", "d"]))
_SAVED = Make(lambda tmp: _saved_model(tmp))


def _saved_model(tmp):
    path = tmp / "m4.keras"
    nnzoo.save_model(nnzoo.build_ffnn((4,), (8,), num_classes=3, compile=False), path)
    return str(path)


def _tune(name, X_, y_, **kwargs):
    from nnzoo.tuning import tune

    return tune(name, X_, y_, max_trials=1, epochs=1, directory=kwargs.pop("directory"), verbose=0, **kwargs)


def _adapter(cls_name, *args, **kwargs):
    from nnzoo import tuning

    return getattr(tuning, cls_name)(args[0], epochs=1, random_state=0).fit(*args[1:], **kwargs)


def _evaluate(*args, **kwargs):
    from nnzoo.evaluation import evaluate

    return evaluate(*args, **kwargs)


def _to_tflite(*args, **kwargs):
    from nnzoo.export import to_tflite

    return to_tflite(*args, **kwargs)


def _tflite_model(path):
    from nnzoo.export import TFLiteModel

    return TFLiteModel(path)


def _datasets(fn, *args, **kwargs):
    from nnzoo import datasets

    return getattr(datasets, fn)(*args, **kwargs)


TMP = Make(lambda tmp: str(tmp / "search"))
NOT_FINITE = "Received: x with 3 NaN values in columns [0] and 1 infinite value in columns [2]"

DATA_CASES = [
    # registry doors
    (nnzoo.list_models, (123,), {}, TypeError, "Received: pattern=123"),
    (nnzoo.get_entry, (5,), {}, TypeError, "Received: name=5"),
    (nnzoo.build, ("cnnn", (8, 8, 1)), {}, ValueError, "Did you mean 'cnn'?"),
    # fit: values
    (nnzoo.fit, (M("multiclass"), X_NAN, Y), {}, ValueError, NOT_FINITE),
    (nnzoo.fit, (M("multiclass"), _FRAME_NAN, Y), {}, ValueError, "3 NaN values in columns ['a'] and 1 infinite value in columns ['c']"),
    (nnzoo.fit, (M("multiclass"), X.astype(complex), Y), {}, TypeError, "Complex data not supported"),
    (nnzoo.fit, (M("multiclass"), X, Y), {"shuffle": "maybe"}, TypeError, "Received: shuffle='maybe'"),
    (nnzoo.fit, (M("multiclass"), X, Y), {"sample_weight": np.r_[np.nan, np.ones(39)]}, ValueError, "Received: sample_weight with 1 NaN value at rows [0]"),
    (nnzoo.fit, (M("multiclass"), X, Y), {"sample_weight": -np.ones(40)}, ValueError, "`sample_weight` must not be negative"),
    (nnzoo.fit, (M("multiclass"), X, Y), {"validation_data": (X_NAN, Y)}, ValueError, "Received: x_val with 3 NaN values"),
    (nnzoo.fit, (M("regression"), X, Y_NAN), {}, ValueError, "Received: y with 1 NaN value at rows [4]"),
    # fit: labels that do not fit the head, inputs that do not fit the model
    (nnzoo.fit, (M("multiclass"), X, np.array(["a", "b"] * 20)), {}, TypeError, "but the model's head is a softmax over 3 classes"),
    (nnzoo.fit, (M("regression"), X, np.array(["a", "b"] * 20)), {}, TypeError, "holds 'text' labels"),
    (nnzoo.fit, (M("multiclass"), X, Y + 1), {}, ValueError, "class ids outside [0, 3)"),
    (nnzoo.fit, (M("multiclass"), X, Y - 1), {}, ValueError, "Received: y with 14 value(s) outside [0, 3): [-1]"),
    (nnzoo.fit, (M("multiclass"), X, np.zeros((40, 2))), {}, ValueError, "one-hot rows of shape (n, 3)"),
    (nnzoo.fit, (M("binary"), X, Y), {}, ValueError, "targets outside [0, 1]"),
    (nnzoo.fit, (M("binary"), X, np.zeros((40, 3))), {}, ValueError, "one 0/1 label per sample"),
    (nnzoo.fit, (M("multilabel"), X, Y % 2), {}, ValueError, "a 0/1 matrix of shape (n, 3)"),
    (nnzoo.fit, (M("multilabel"), X, np.zeros((40, 2), "int32")), {}, ValueError, "Received: y.shape=(40, 2)"),
    (nnzoo.fit, (M("regression"), X, np.zeros((40, 2))), {}, ValueError, "1 target value(s) per sample"),
    (nnzoo.fit, (M("multiclass"), X[:, :3], Y), {}, ValueError, "3 features, but the model takes 4"),
    (nnzoo.fit, (M("cnn"), X, Y), {}, ValueError, "samples of shape (4,), but the model takes (8, 8, 1)"),
    # fit_cached: checked before the VGG16 base runs
    (nnzoo.fit_cached, (M("vgg"), IMAGES_NAN, np.arange(4) % 2), {}, ValueError, "Received: x with 1 NaN value at feature indices [102]"),
    (nnzoo.fit_cached, (M("vgg"), IMAGES, np.arange(4) + 1), {}, ValueError, "class ids outside [0, 2)"),
    (nnzoo.fit_cached, (M("vgg"), IMAGES, np.arange(4) % 2), {"sample_weight": -np.ones(4)}, ValueError, "must not be negative"),
    # evaluate
    (_evaluate, (M("multiclass"), X[:, :3], Y), {}, ValueError, "Received: X.shape=(40, 3)"),
    (_evaluate, (M("multiclass"), X_NAN, Y), {}, ValueError, "Received: X with 3 NaN values in columns [0]"),
    (_evaluate, (M("multiclass"), X.astype(complex), Y), {}, TypeError, "Complex data not supported"),
    # save_model: paths checked before the model is written
    (nnzoo.save_model, ("model", "s.keras"), {}, TypeError, "Received: model_type='str'"),
    (nnzoo.save_model, (M("multiclass"), _folder("folder.keras")), {}, ValueError, "is a folder"),
    (nnzoo.save_model, (M("multiclass"), _under_a_file("m.keras")), {}, ValueError, "lies under a file"),
    (nnzoo.save_model, (M("multiclass"), "m.h5"), {}, ValueError, "must end in `.keras`"),
    # datasets
    (_datasets, ("load", "irs"), {}, ValueError, "Did you mean 'iris'?"),
    (_datasets, ("load", 5), {}, TypeError, "Received: name=5"),
    (_datasets, ("from_csv", _DUP_CSV, "y"), {}, ValueError, "repeats column name(s) ['y']"),
    (_datasets, ("from_csv", _folder("data.csv"), "y"), {}, ValueError, "is a directory"),
    (_datasets, ("from_dataframe", pd.DataFrame({"a": [1, 2], "y": [0, 1]}), "z"), {}, ValueError, "Unknown target column"),
    # tune: checked before anything is written
    (_tune, ("cnn", X, Y), {"directory": TMP}, ValueError, "takes images of shape (height, width, channels)"),
    (_tune, ("lstm", X, Y), {"directory": TMP}, ValueError, "Received: X_shape=(40, 4)"),
    (_tune, ("ffnn", X_NAN, Y), {"directory": TMP}, ValueError, "Received: X with 3 NaN values in columns [0]"),
    (_tune, ("ffnn", X, Y_NAN), {"directory": TMP}, ValueError, "Received: y with 1 NaN value"),
    (_tune, ("ffnn", X.astype(complex), Y), {"directory": TMP}, TypeError, "Complex data not supported"),
    # the scikit-learn adapters
    (_adapter, ("ZooClassifier", "ffnn", X_NAN, Y), {}, ValueError, "Received: X with 3 NaN values in columns [0]"),
    (_adapter, ("ZooRegressor", "ffnn", X, Y_NAN), {}, ValueError, "Received: y with 1 NaN value at rows [4]"),
    (_adapter, ("ZooAutoencoder", "autoencoder", X_NAN), {}, ValueError, "1 infinite value in columns [2]"),
    (_adapter, ("ZooClassifier", "cnn", X, Y), {}, ValueError, "takes images of shape (height, width, channels)"),
    (_adapter, ("ZooClassifier", "ffnn", X, Y), {"sample_weight": -np.ones(40)}, ValueError, "must not be negative"),
    (lambda X_: _fitted("classifier").predict(X_), (X_NAN,), {}, ValueError, "Received: X with 3 NaN values"),
    (lambda X_: _fitted("autoencoder").transform(X_), (X_NAN,), {}, ValueError, "Received: X with 3 NaN values"),
    # export
    (_to_tflite, (M("multiclass"), _under_a_file("m.tflite")), {}, ValueError, "lies under a file"),
    (_to_tflite, (M("multiclass"), _folder("out.tflite")), {}, ValueError, "is a folder"),
    (_tflite_model, (_file("text.tflite", "hello world\n"),), {}, ValueError, "not a TFLite model"),
    (_tflite_model, (_file("cut.tflite", b"\x00\x00\x00\x00TFL3\x00\x01"),), {}, ValueError, "damaged"),
    # the command line: exit 2, one line on stderr
    (_cli, ("train", "ffnn", "--data", _DUP_CSV, "--target", "y"), {}, CLIError, "repeats column name(s) ['y']"),
    (_cli, ("train", "ffnn", "--data", _folder("d.csv"), "--target", "y"), {}, CLIError, "is a folder"),
    (_cli, ("train", "ffnn", "--data", "iris", "--out", "model.h5"), {}, CLIError, "--out must end in `.keras`"),
    (_cli, ("train", "ffnn", "--data", "iris", "--out", _folder("m")), {}, CLIError, "--out must end in `.keras`"),
    (_cli, ("train", "ffnn", "--data", "iris", "--out", _folder("m.keras")), {}, CLIError, "The --out is a folder"),
    (_cli, ("train", "ffnn", "--data", "iris", "--out", _under_a_file("m.keras")), {}, CLIError, "lies under a file"),
    (_cli, ("quickstart", "--out-dir", _under_a_file("qs")), {}, CLIError, "The --out-dir lies under a file"),
    (_cli, ("export", _SAVED, "--out", _folder("m.tflite")), {}, CLIError, "The --out is a folder"),
    (_cli, ("train", "lstm", "--data", "digits"), {}, CLIError, "takes sequence input"),
    (_cli, ("evaluate", _SAVED, "--data", "wine"), {}, CLIError, "the model takes inputs of shape (4,), but --data wine gives (13,)"),
    (_cli, ("evaluate", _file("x.keras", "not a zip"), "--data", "iris"), {}, CLIError, "nnzoo evaluate: error:"),
    (_cli, ("export", _SAVED, "--out", _under_a_file("m.tflite")), {}, CLIError, "lies under a file"),
    (_cli, ("tune", "cnn", "--data", "iris", "--max-trials", "1", "--epochs", "1", "--directory", TMP), {}, CLIError, "image"),
    (_cli, ("tune", "ffnn", "--data", _DUP_CSV, "--target", "y", "--directory", TMP), {}, CLIError, "repeats column"),
    (_cli, ("tune", "ffnn", "--data", "iris", "--directory", TMP, "--out", _folder("best.keras")), {}, CLIError, "The --out is a folder"),
    (_cli, ("tune", "ffnn", "--data", "iris", "--directory", TMP, "--out", _under_a_file("b.keras")), {}, CLIError, "lies under a file"),
    (_cli, ("list", "--nope"), {}, SystemExit, "2"),
]


def _resolve(value, tmp):
    if isinstance(value, Make):
        return value.fn(tmp)
    if isinstance(value, tuple):
        return tuple(_resolve(v, tmp) for v in value)
    if isinstance(value, dict):
        return {k: _resolve(v, tmp) for k, v in value.items()}
    return value


@pytest.mark.parametrize("fn,args,kwargs,error,fragment", DATA_CASES, ids=_ids(DATA_CASES))
def test_bad_data_is_refused_before_any_work(fn, args, kwargs, error, fragment, tmp_path):
    args, kwargs = _resolve(args, tmp_path), _resolve(kwargs, tmp_path)
    before = {p.name for p in tmp_path.iterdir()}
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(error) as err:
        fn(*args, **kwargs)
    text = str(err.value)
    assert fragment in text
    if error in (ValueError, TypeError):
        assert "Received: " in text and "Expected " in text
    after = {p.name for p in tmp_path.iterdir()}
    assert after == before, f"nothing may be written before the input is checked: {sorted(after - before)}"
