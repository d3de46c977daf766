"""Bad arguments fail at build time, in one message style, before Keras runs."""

import pytest

import nnzoo

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
    (nnzoo.build_autoencoder, ((6, 6, 1), 4), {"architecture": "conv", "filters": (8, 16)}, ValueError, "divisible by 4"),
    (nnzoo.build_autoencoder, ((16,), 0), {}, ValueError, "Received: encoding_dim=0"),
    (nnzoo.build_autoencoder, ((16,), 4), {"output_activation": "softmax"}, ValueError, "Unknown `output_activation`"),
    (nnzoo.build_vgg16_transfer, ((16, 16, 3),), {"num_classes": 5}, ValueError, "at least 32x32"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 1),), {"num_classes": 5}, ValueError, "RGB"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 3),), {"num_classes": 5, "trainable_layers": 14}, ValueError, "0 to 13"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 3),), {"num_classes": 5, "weights": "/no/such/file.h5"}, ValueError, "does not exist"),
    (nnzoo.build_vgg16_transfer, ((32, 32, 3),), {"num_classes": 5, "task": "regression"}, ValueError, "is a classifier"),
]


@pytest.mark.parametrize("factory,args,kwargs,error,fragment", CASES,
                         ids=[f"{c[0].__name__}-{c[4][:25]}" for c in CASES])
def test_bad_argument_message(factory, args, kwargs, error, fragment):
    with pytest.raises(error) as err:
        factory(*args, **kwargs)
    text = str(err.value)
    assert fragment in text
    assert "Received: " in text
    assert "Expected " in text


def test_imagenet_without_cached_file_fails_fast(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(ValueError) as err:
        nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=5, weights="imagenet")
    assert time.perf_counter() - start < 1.0
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
