"""`fit_cached`: the frozen VGG16 base runs once, the head trains, the full model keeps the head."""

import keras
import numpy as np
import pytest

import nnzoo
from nnzoo.models import fit_cached as fit_cached_from_models
from harness import example_data

SHAPE = (32, 32, 3)


def _data(n=48, seed=0):
    return example_data(nnzoo.get_entry("vgg16_transfer"), "multiclass", n=n, seed=seed)


def _model(**kw):
    return nnzoo.build_vgg16_transfer(SHAPE, num_classes=3, weights=None, dropout=0.0, learning_rate=3e-3, **kw)


def _features(model, X):
    pre, base = model.get_layer("vgg16_preprocess"), model.get_layer("vgg16")
    return np.asarray(base(pre(X), training=False))


def test_fit_cached_trains_the_head_the_full_model_uses():
    assert fit_cached_from_models is nnzoo.fit_cached
    X, y = _data()
    model = _model()
    head = model.get_layer("classifier")
    base_before = [w.copy() for w in model.get_layer("vgg16").get_weights()]
    head_before = [w.copy() for w in head.get_weights()]
    hist = nnzoo.fit_cached(model, X, y, batch_size=16, epochs=8, verbose=0, shuffle=False)
    losses = hist.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.9 * losses[0], losses
    # The head changed, the base did not; and the full model predicts through the trained head.
    assert any(not np.allclose(a, b) for a, b in zip(head_before, head.get_weights()))
    for a, b in zip(base_before, model.get_layer("vgg16").get_weights()):
        np.testing.assert_array_equal(a, b)
    full = np.asarray(model(X, training=False))
    np.testing.assert_allclose(full, np.asarray(head(_features(model, X), training=False)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(full, model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    # One optimizer: its step count is the head's training, as if `model.fit` had run.
    assert int(model.optimizer.iterations) == 8 * 3


def test_fit_cached_validation_and_a_loadable_model(tmp_path):
    X, y = _data(n=40)
    model = _model()
    hist = fit_cached_from_models(model, X[:32], y[:32], validation_data=(X[32:], y[32:]), epochs=2, verbose=0)
    assert len(hist.history["val_loss"]) == 2
    expected = model.evaluate(X[32:], y[32:], verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(hist.history["val_loss"][-1], expected, rtol=1e-4)
    hist = nnzoo.fit_cached(model, X, y, validation_split=0.25, epochs=1, verbose=0)
    assert "val_accuracy" in hist.history
    # The nested head was not compiled, so the saved model is the plain model.
    assert not model.get_layer("classifier").compiled
    loaded = keras.saving.load_model(nnzoo.save_model(model, tmp_path / "m.keras"))
    np.testing.assert_allclose(np.asarray(loaded(X, training=False)), np.asarray(model(X, training=False)),
                               rtol=1e-5, atol=1e-6)


def test_fit_cached_rejects_a_trainable_base():
    X, y = _data(n=8)
    with pytest.raises(ValueError, match=r"frozen VGG16 base.*2 of its layers.*trainable_layers=0.*"
                                         r"Received: trainable_base_layers=\['block5_conv2', 'block5_conv3'\]"):
        nnzoo.fit_cached(_model(trainable_layers=2), X, y)
    model = _model()
    model.get_layer("vgg16").get_layer("block1_conv1").trainable = True  # unfrozen by hand after building
    with pytest.raises(ValueError, match=r"frozen VGG16 base, but 1 of its layers.*\['block1_conv1'\]"):
        nnzoo.fit_cached(model, X, y)


def test_fit_cached_rejects_other_models_and_bad_input():
    X, y = _data(n=8)
    with pytest.raises(ValueError, match="needs a model from build_vgg16_transfer"):
        nnzoo.fit_cached(nnzoo.build_ffnn((4,), task="binary"), X, y)
    with pytest.raises(ValueError, match="not compiled"):
        nnzoo.fit_cached(_model(compile=False), X, y)
    with pytest.raises(ValueError, match=r"does not match the model's input.*Received: x.shape=\(8, 16, 16, 3\)"):
        nnzoo.fit_cached(_model(), X[:, :16, :16], y)
