"""Tests for nnzoo.export: every registered model to a verified .tflite file."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import nnzoo
from harness import build_kwargs, check_tflite, example_data
from nnzoo.export import ExportReport, TFLiteModel, to_tflite
from nnzoo.export import _converter, _tflite


def _model_and_data(name, n=8):
    entry = nnzoo.get_entry(name)
    task = "multiclass" if entry.supervised else "reconstruction"
    model = nnzoo.build(name, entry.example_input_shape, **build_kwargs(entry, task))
    X, y = example_data(entry, task, n=n)
    return model, X, y


@pytest.fixture
def no_conversion(monkeypatch):
    """Fails the test if a conversion starts: bad input must be caught first."""

    def refuse(*args, **kwargs):
        raise AssertionError("conversion started before the bad input was rejected")

    monkeypatch.setattr(_converter, "convert", refuse)


# ------------------------------------------------------------------ families
FAST = [n for n in nnzoo.list_models() if n != "vgg16_transfer"]


@pytest.mark.parametrize("name", FAST)
def test_every_model_exports_float32_with_builtin_ops(name, tmp_path):
    model, X, _ = _model_and_data(name)
    report = check_tflite(model, X, tmp_path)
    assert report.quantize is None
    if name == "conv_autoencoder":  # UpSampling2D -> Conv2D lowers to builtins only with static shapes
        assert report.batch_size == 1
    entry = nnzoo.get_entry(name)
    if entry.family == "lstm":
        # No Flex TensorList ops, no loop: the recurrence is unrolled and any batch size runs.
        assert "WHILE" not in report.ops and report.batch_size is None
        steps = entry.inputs.example_shape[0]
        assert any(f"unrolled over {steps} timesteps" in note for note in report.notes)
        assert not any(getattr(layer, "unroll", False) for layer in model.layers)  # the user's model is untouched
    assert report.tolerance == pytest.approx(1e-5 * report.output_scale)
    if nnzoo.get_entry(name).supervised:
        assert report.agreement == 1.0 and report.agreement_rule == "argmax"


@pytest.mark.slow
def test_vgg16_transfer_exports_with_preprocessing_inside(tmp_path):
    model, X, _ = _model_and_data("vgg16_transfer", n=4)
    assert X.min() >= 0 and X.max() > 100  # raw RGB pixels
    report = check_tflite(model, X, tmp_path, class_names=["a", "b", "c"])
    meta = json.loads((tmp_path / "model.tflite.json").read_text())
    assert meta["input"]["feed"] == "raw RGB pixels in [0, 255]"
    assert meta["input"]["preprocessing_in_model"][0]["layer"] == "vgg16_preprocess"
    assert meta["class_names"] == ["a", "b", "c"]
    assert report.input_shape[1:] == (32, 32, 3)


def test_default_lstm_on_univariate_series_exports_its_normalisation_without_its_noise(tmp_path):
    """The default for a univariate series: z-normalised inside, GaussianNoise in training (gone at inference)."""
    model = nnzoo.build("lstm", (24, 1), units=(8,), task="binary")
    assert {"series_norm", "input_noise"} <= {layer.name for layer in model.layers}
    rng = np.random.default_rng(0)
    X = (3.0 + 2.0 * rng.normal(size=(16, 24, 1))).astype("float32")  # raw levels: the model normalises
    model.fit(X, (X.mean(axis=(1, 2)) > 3.0).astype("float32"), epochs=1, batch_size=8, verbose=0)
    report = check_tflite(model, X, tmp_path)
    assert "WHILE" not in report.ops and not any("Flex" in op for op in report.ops)
    meta = json.loads((tmp_path / "model.tflite.json").read_text())
    assert [p["layer"] for p in meta["input"]["preprocessing_in_model"]] == ["series_norm"]


def test_variable_length_lstm_keeps_a_builtin_loop(tmp_path):
    model = nnzoo.build("gru", (None, 3), units=(8,), task="binary")
    X = np.random.default_rng(0).normal(size=(5, 7, 3)).astype("float32")
    report = check_tflite(model, X, tmp_path)
    assert "WHILE" in report.ops and report.batch_size == 1
    assert report.input_shape == (1, None, 3)
    longer = np.random.default_rng(1).normal(size=(3, 12, 3)).astype("float32")
    np.testing.assert_allclose(
        TFLiteModel(tmp_path / "model.tflite").predict(longer), np.asarray(model(longer)), atol=1e-5
    )


def test_int8_refuses_the_recurrent_loop(tmp_path, no_conversion):
    model = nnzoo.build("lstm", (None, 3), units=(4,))
    X = np.zeros((4, 6, 3), "float32")
    with pytest.raises(ValueError, match="int8.*unrolled form"):
        to_tflite(model, tmp_path / "m.tflite", "int8", representative_data=X)


# --------------------------------------------------------------- quantizing
def test_quantized_cnn_is_smaller_and_meets_its_tolerance(tmp_path):
    model, X, y = _model_and_data("cnn_small", n=32)
    base = check_tflite(model, X, tmp_path, name="float.tflite")
    for quantize in ("dynamic", "float16", "int8"):
        report = check_tflite(
            model, X, tmp_path, name=f"{quantize}.tflite", quantize=quantize, representative_data=X, labels=y
        )
        assert report.quantize == quantize
        assert report.tolerance == pytest.approx(_tflite.TOLERANCES[quantize] * report.output_scale)
        assert report.file_size_bytes < 0.8 * base.file_size_bytes
        assert report.metric == "accuracy" and report.metric_drop is not None
        assert 0.0 <= report.agreement <= 1.0
        assert f"{report.tolerance:.2e}" in str(report)  # the report states the tolerance it met


def test_int8_io_lstm_quantizes_inputs_and_outputs(tmp_path):
    model, X, y = _model_and_data("lstm", n=32)
    report = check_tflite(model, X, tmp_path, quantize="int8", representative_data=X, int8_io=True, labels=y)
    assert report.input_dtype == "int8" and report.output_dtype == "int8"
    tfl = TFLiteModel(tmp_path / "model.tflite")
    scale, zero = tfl.input_quantization
    meta = json.loads((tmp_path / "model.tflite.json").read_text())
    assert meta["input"]["quantization"] == {"scale": scale, "zero_point": zero}


def test_int8_without_representative_data_is_a_clear_error(tmp_path, no_conversion):
    model, _, _ = _model_and_data("ffnn_small")
    with pytest.raises(ValueError, match="representative_data"):
        to_tflite(model, tmp_path / "m.tflite", quantize="int8")
    assert not (tmp_path / "m.tflite").exists()


# ---------------------------------------------------------------- bad input
def test_bad_input_fails_before_any_conversion(tmp_path, no_conversion):
    model, X, y = _model_and_data("ffnn_small")
    out = tmp_path / "m.tflite"
    with pytest.raises(ValueError, match=r"end in `\.tflite`.*Received: path="):
        to_tflite(model, tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Did you mean 'float16'"):
        to_tflite(model, out, quantize="float61")
    with pytest.raises(ValueError, match=r"representative_data.*shape.*Received: representative_data_shape=\(8, 5\)"):
        to_tflite(model, out, "int8", representative_data=np.zeros((8, 5)))
    with pytest.raises(ValueError, match="sample_data"):
        to_tflite(model, out, sample_data=np.zeros((12,)))
    with pytest.raises(ValueError, match="int8_io"):
        to_tflite(model, out, int8_io=True)
    with pytest.raises(ValueError, match="class_names"):
        to_tflite(model, out, class_names=["a", "b"])
    with pytest.raises(ValueError, match="one row per sample"):
        to_tflite(model, out, sample_data=X, labels=y[:3])
    with pytest.raises(ValueError, match="recurrent"):
        to_tflite(model, out, recurrent="unrol")
    with pytest.raises(TypeError, match="keras.Model"):
        to_tflite("model", out)
    with pytest.raises(TypeError, match="input_normalization"):
        to_tflite(model, out, input_normalization={"mean": object()})
    assert list(tmp_path.iterdir()) == []


BAD_METADATA = [
    # (model, options, error, message): metadata and camera input, refused before conversion
    ("ffnn_small", {"class_names": ["a", "b"]}, ValueError, r"class_names.*3 names"),
    ("cnn_small", {"input_normalization": {"mean": [0.5, 0.5], "std": [0.2, 0.2]}}, ValueError,
     r"mean and std.*lists of 1 or 1 numbers.*Received: mean=\[0\.5, 0\.5\]"),
    ("ffnn_small", {"input_normalization": {"mean": [0.0] * 3, "std": [1.0] * 3}}, ValueError, "lists of 1 or 4 numbers"),
    ("ffnn_small", {"input_normalization": {"mean": [0.0], "std": [0.0]}}, ValueError, "std must not be zero"),
    ("ffnn_small", {"metadata": {"auther": "me"}}, ValueError, r"Unknown `metadata` fields.*Received: metadata="),
    ("ffnn_small", {"metadata": {"version": 2}}, TypeError, "metadata` values must be strings"),
    ("ffnn_small", {"metadata": "yes"}, TypeError, "bool or a dict"),
    ("ffnn_small", {"camera": True, "input_range": (0, 1)}, ValueError, r"camera=True needs an image model.*input_shape=\(4,\)"),
    ("cnn_small", {"camera": True, "input_range": (0, 1), "int8_io": True, "quantize": "int8",
                   "representative_data": np.zeros((2, 8, 8, 1))}, ValueError, "int8_io=False"),
    ("cnn_small", {"camera": True}, ValueError, r"needs the range.*input_range=\(low, high\)"),
    ("cnn_small", {"camera": 1}, TypeError, "`camera` must be a bool"),
    ("cnn_small", {"input_range": (1, 0)}, ValueError, "low < high"),
    ("cnn_small", {"input_range": (0, 1, 2)}, TypeError, "two numbers"),
    ("conv_autoencoder", {"class_names": [str(i) for i in range(1)]}, ValueError, "not a vector"),
]


@pytest.mark.parametrize("name, options, error, match", BAD_METADATA)
def test_bad_metadata_fails_before_any_conversion(name, options, error, match, tmp_path, no_conversion):
    entry = nnzoo.get_entry(name)
    shape = (4,) if name == "ffnn_small" else (8, 8, 1)
    kwargs = build_kwargs(entry, "multiclass" if entry.supervised else "reconstruction")
    model = nnzoo.build(name, shape, **kwargs)
    with pytest.raises(error, match=match):
        to_tflite(model, tmp_path / "m.tflite", **options)
    assert list(tmp_path.iterdir()) == []


def test_a_model_that_is_not_built_is_refused(tmp_path, no_conversion):
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        to_tflite(unbuilt, tmp_path / "m.tflite")

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    sub = Sub()
    sub(np.zeros((1, 3), "float32"))  # built, but has no Input to export from
    with pytest.raises(ValueError, match="not built"):
        to_tflite(sub, tmp_path / "m.tflite")


# --------------------------------------------------------------- Flex ops
class _Cumprod(keras.layers.Layer):
    """A layer whose op (Cumprod) has no TFLite builtin."""

    def call(self, x):
        return keras.ops.cumprod(x, axis=-1)


def _flex_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, _Cumprod()(keras.layers.Dense(4)(inputs)))


def test_flex_ops_are_named_or_allowed(tmp_path):
    model = _flex_model()
    with pytest.raises(ValueError, match="Flex.*Cumprod.*builtins_only=False"):
        to_tflite(model, tmp_path / "m.tflite")
    assert not (tmp_path / "m.tflite").exists()

    with pytest.warns(UserWarning, match="not verified.*Flex"):
        report = to_tflite(model, tmp_path / "m.tflite", builtins_only=False)
    assert report.flex_ops == ["FlexCumprod"] and report.needs_flex
    assert not report.verified and "Flex" in report.verification
    with pytest.raises(ValueError, match="FlexCumprod"):
        TFLiteModel(tmp_path / "m.tflite")


# ---------------------------------------------------------------- atomicity
@pytest.fixture(scope="module")
def good_file(tmp_path_factory):
    """The bytes of a good export and its sidecar, made once for the atomicity tests."""
    model, _, _ = _model_and_data("ffnn_small")
    path = tmp_path_factory.mktemp("good") / "m.tflite"
    to_tflite(model, path, class_names=["a", "b", "c"], latency_runs=0)
    assert b"TFLITE_METADATA" in path.read_bytes()
    return path.read_bytes(), (path.parent / "m.tflite.json").read_bytes()


def _good_export(tmp_path, good_file):
    model, X, _ = _model_and_data("ffnn_small")
    path = tmp_path / "m.tflite"
    path.write_bytes(good_file[0])
    (tmp_path / "m.tflite.json").write_bytes(good_file[1])
    return model, X, path, *good_file


def _unchanged(tmp_path, path, old, old_side):
    assert path.read_bytes() == old
    assert (tmp_path / "m.tflite.json").read_bytes() == old_side
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.json"]


def test_failed_verification_keeps_the_old_file(tmp_path, monkeypatch, good_file):
    model, X, path, old, old_side = _good_export(tmp_path, good_file)
    other, _, _ = _model_and_data("ffnn_small")  # same shapes, other weights
    other.set_weights([w + 1.0 for w in other.get_weights()])
    real = _converter.convert
    monkeypatch.setattr(_converter, "convert", lambda m, **kw: real(other, **kw))
    with pytest.raises(RuntimeError, match="does not match the Keras model"):
        to_tflite(model, path, latency_runs=0)
    _unchanged(tmp_path, path, old, old_side)


@pytest.mark.parametrize("where", ["sidecar", "interrupt", "metadata"])
def test_an_error_midway_keeps_the_old_file(where, tmp_path, monkeypatch, good_file):
    model, X, path, old, old_side = _good_export(tmp_path, good_file)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt if where == "interrupt" else OSError("disk full")

    if where == "sidecar":
        monkeypatch.setattr(_tflite.json, "dump", boom)
    elif where == "metadata":  # the metadata is written into the temporary file, before the rename
        monkeypatch.setattr(_tflite._metadata, "metadata_flatbuffer", boom)
    else:
        monkeypatch.setattr(_tflite.TFLiteModel, "predict", boom)
    with pytest.raises((OSError, KeyboardInterrupt)):
        to_tflite(model, path, latency_runs=0)
    _unchanged(tmp_path, path, old, old_side)


# ----------------------------------------------------- TFLiteModel, report
def test_tflite_model_predicts_any_batch_size(tmp_path):
    model, X, _ = _model_and_data("cnn_small", n=37)
    check_tflite(model, X[:4], tmp_path, class_names=["a", "b", "c"])
    tfl = TFLiteModel(tmp_path / "model.tflite")
    ref = np.asarray(model(X, training=False))
    for n, batch_size in [(1, 32), (5, 2), (37, 16)]:
        np.testing.assert_allclose(tfl.predict(X[:n], batch_size=batch_size), ref[:n], atol=1e-5)
    assert tfl.class_names == ["a", "b", "c"] and tfl.input_shape == (None, 8, 8, 1)
    with pytest.raises(ValueError, match="input shape"):
        tfl.predict(X[0])
    assert "TFLiteModel(" in repr(tfl)


def test_report_prints_converts_and_times(tmp_path):
    model, X, y = _model_and_data("ffnn_small", n=16)
    report = check_tflite(
        model, X, tmp_path, labels=y, latency_runs=3, input_normalization={"mean": [0.0], "std": [1.0]}
    )
    assert isinstance(report, ExportReport)
    assert set(report.latency_ms) == {"tflite", "model_call", "model_predict"}
    assert report.speedup("model_predict") > 1
    data = report.to_dict()
    json.dumps(data)  # JSON-ready
    assert data["file_size_bytes"] == report.file_size_bytes and data["needs_flex"] is False
    text = str(report)
    for row in ("| file |", "| ops (", "| Flex ops | none", "| verified | yes", "| latency, one sample |",
                "| accuracy on labels |"):
        assert row in text

    class Printer:
        def text(self, value):
            self.value = value

    printer = Printer()
    report._repr_pretty_(printer, cycle=False)
    assert printer.value == text
    meta = json.loads((tmp_path / "model.tflite.json").read_text())
    assert meta["input"]["normalization"] == {"mean": [0.0], "std": [1.0]}
    assert meta["verification"]["status"] == "passed"


def test_sidecar_false_removes_a_stale_sidecar(tmp_path, good_file):
    model, X, path, _, _ = _good_export(tmp_path, good_file)
    report = to_tflite(model, path, sidecar=False, latency_runs=0)
    assert report.sidecar_path is None and not (tmp_path / "m.tflite.json").exists()
    assert any("old sidecar" in note for note in report.notes)
    assert TFLiteModel(path).metadata is None


# ------------------------------------------------- models on JAX / PyTorch
def test_another_backend_converts_in_a_tensorflow_child_and_verifies_here(tmp_path, monkeypatch):
    model, X, y = _model_and_data("ffnn_small", n=12)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")  # what to_tflite sees on JAX
    path = tmp_path / "m.tflite"
    report = to_tflite(model, path, sample_data=X, labels=y, class_names=["a", "b", "c"], latency_runs=0)
    assert report.verified and report.path == str(path) and report.file_size_bytes == path.stat().st_size
    assert any("converted under TensorFlow in a child process" in n and "original jax model" in n for n in report.notes)
    assert report.signature["input"] == "features" and report.metadata_size_bytes > 0
    np.testing.assert_allclose(TFLiteModel(path).predict(X), np.asarray(model(X)), atol=report.tolerance)
    side = json.loads((tmp_path / "m.tflite.json").read_text())
    assert side["file"] == "m.tflite" and side["converted_from_backend"] == "jax"
    assert side["verification"]["against"] == "the original jax model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.json"]


def test_another_backend_reports_the_childs_error_and_keeps_the_old_file(tmp_path, monkeypatch, good_file):
    _, _, path, old, old_side = _good_export(tmp_path, good_file)
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises((TypeError, ValueError), match="_Cumprod"):  # safe mode: no unregistered code loads
        to_tflite(_flex_model(), path, latency_runs=0)
    _unchanged(tmp_path, path, old, old_side)


JAX_SCRIPT = """
import json, numpy as np, nnzoo
from nnzoo.export import to_tflite, TFLiteModel
model = nnzoo.build("lstm", (10, 3), units=(8,), task="binary")
X = np.random.default_rng(0).normal(size=(8, 10, 3)).astype("float32")
report = to_tflite(model, "{path}", sample_data=X, latency_runs=0)
import keras
diff = float(np.max(np.abs(TFLiteModel("{path}").predict(X) - keras.ops.convert_to_numpy(model(X)))))
print(json.dumps({{"verified": report.verified, "notes": report.notes, "diff": diff, "tol": report.tolerance}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_model_trained_on_jax_or_torch_exports(backend, tmp_path):
    import importlib.util
    import os
    import subprocess
    import sys

    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", JAX_SCRIPT.format(path=tmp_path / "m.tflite")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["verified"] and out["diff"] <= out["tol"]
    assert any(f"original {backend} model" in note for note in out["notes"])
