"""`nnzoo.fit` and the steps_per_execution default: same meaning as `model.fit`, epoch by epoch."""

import math

import keras
import numpy as np
import pytest

import nnzoo
from nnzoo import callbacks as cb
from nnzoo._compile import DEFAULT_STEPS_PER_EXECUTION, FACTORY_STEPS_PER_EXECUTION


def _data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))  # float64 on purpose: cast like model.fit does
    y = X @ rng.normal(size=(d,)) + 0.1 * rng.normal(size=(n,))
    return X, y.astype("float32")


def _frozen_regressor(d=4):
    """A model whose weights barely move, so every epoch's mean loss is the data set's loss."""
    return nnzoo.build_ffnn((d,), (8,), task="regression", optimizer="sgd", learning_rate=1e-12,
                            loss="mean_absolute_error")


def test_steps_per_execution_defaults():
    assert nnzoo.build_ffnn((4,), task="binary").steps_per_execution == FACTORY_STEPS_PER_EXECUTION["build_ffnn"]
    assert nnzoo.build_cnn((8, 8, 1), num_classes=3).steps_per_execution == DEFAULT_STEPS_PER_EXECUTION
    assert nnzoo.build_ffnn((4,), task="binary", steps_per_execution=1).steps_per_execution == 1


@pytest.mark.parametrize("how", ["nnzoo.fit", "model.fit"])
def test_every_epoch_sees_each_sample_once_when_steps_are_fewer_than_steps_per_execution(how):
    """40 samples, batch 16: 3 steps per epoch, fewer than the default steps_per_execution."""
    X, y = _data()
    model = _frozen_regressor()
    assert model.steps_per_execution > 3
    fit = (lambda *a, **k: nnzoo.fit(model, *a, **k)) if how == "nnzoo.fit" else model.fit
    hist = fit(X, y, batch_size=16, epochs=4, verbose=0)
    assert int(model.optimizer.iterations) == 4 * math.ceil(40 / 16)
    assert len(hist.history["loss"]) == 4
    # Each epoch's running mean is over every sample once: a missing or repeated batch would change it.
    full = model.evaluate(X, y, batch_size=40, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(hist.history["loss"], full, rtol=1e-5)


@pytest.mark.parametrize("how", ["nnzoo.fit", "model.fit"])
def test_validation_split_and_validation_data_match_evaluate(how):
    X, y = _data(n=50)
    model = _frozen_regressor()
    fit = (lambda *a, **k: nnzoo.fit(model, *a, **k)) if how == "nnzoo.fit" else model.fit
    split_at = int(math.floor(50 * (1 - 0.3)))  # model.fit's rule: the last 30% validate
    hist = fit(X, y, validation_split=0.3, batch_size=8, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == 2 * math.ceil(split_at / 8)
    val = model.evaluate(X[split_at:], y[split_at:], verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(hist.history["val_loss"], val, rtol=1e-5)
    hist = fit(X[:20], y[:20], validation_data=(X[20:], y[20:]), batch_size=8, epochs=2, verbose=0)
    val = model.evaluate(X[20:], y[20:], verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(hist.history["val_loss"], val, rtol=1e-5)


def test_fit_and_model_fit_agree_on_unshuffled_data():
    """Same batches in the same order: the same weights, whatever the input pipeline."""
    X, y = _data(n=45)
    models = [nnzoo.build_ffnn((4,), (8,), task="regression", learning_rate=0.01) for _ in range(2)]
    models[1].set_weights(models[0].get_weights())
    h1 = nnzoo.fit(models[0], X, y, batch_size=8, epochs=3, shuffle=False, validation_split=0.2, verbose=0)
    h2 = models[1].fit(X, y, batch_size=8, epochs=3, shuffle=False, validation_split=0.2, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(h1.history["val_loss"], h2.history["val_loss"], rtol=1e-4)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_epoch_level_callbacks_act_per_epoch():
    X, y = _data(n=64)
    model = nnzoo.build_ffnn((4,), (8,), task="regression", learning_rate=0.01)
    cbs = cb.standard_callbacks(patience=2, schedule="step", epochs=6)  # StepDecay(0.5, every=2)
    hist = nnzoo.fit(model, X, y, validation_split=0.25, batch_size=16, epochs=6, verbose=0, callbacks=cbs)
    lrs = hist.history["learning_rate"]
    assert len(lrs) == len(hist.history["val_loss"]) <= 6
    np.testing.assert_allclose(lrs[:2], [0.01, 0.01], rtol=1e-6)
    if len(lrs) > 2:
        assert lrs[2] <= 0.005 * 1.0001


def test_sample_weight_class_weight_and_pandas():
    pd = pytest.importorskip("pandas")
    X, y = _data(n=32)
    labels = (y > 0).astype("int32")
    model = nnzoo.build_ffnn((4,), (8,), task="binary")
    frame = pd.DataFrame(X, columns=list("abcd"))
    hist = nnzoo.fit(model, frame, pd.Series(labels), sample_weight=np.linspace(0.5, 1.5, 32),
                     epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    hist = nnzoo.fit(model, X, labels, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])


def test_multi_input_dict_and_dataset_pass_through():
    import tensorflow as tf

    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    model = keras.Model({"a": a, "b": b}, out)
    model.compile(optimizer="adam", loss="mse", steps_per_execution=4)
    rng = np.random.default_rng(0)
    x = {"a": rng.normal(size=(20, 3)), "b": rng.normal(size=(20, 2))}
    y = rng.normal(size=(20, 1))
    hist = nnzoo.fit(model, x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    assert int(model.optimizer.iterations) == 2 * 2
    assert len(hist.history["val_loss"]) == 2
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(5)
    nnzoo.fit(model, ds, epochs=1, verbose=0, shuffle=False)
    assert int(model.optimizer.iterations) == 4 + 4


def test_fit_errors_in_house_style():
    X, y = _data(n=10)
    with pytest.raises(ValueError, match="not compiled"):
        nnzoo.fit(nnzoo.build_ffnn((4,), task="regression", compile=False), X, y)
    model = nnzoo.build_ffnn((4,), task="regression")
    with pytest.raises(ValueError, match=r"different numbers of samples.*Received: x_samples=10, y_samples=9"):
        nnzoo.fit(model, X, y[:9])
    with pytest.raises(ValueError, match="exclusive"):
        nnzoo.fit(model, X, y, validation_split=0.2, validation_data=(X, y))
    with pytest.raises(ValueError, match="leaves no training sample"):
        nnzoo.fit(model, X[:1], y[:1], validation_split=0.5)
    with pytest.raises(ValueError, match="out of range"):
        nnzoo.fit(model, X, y, validation_split=1.0)
    with pytest.raises(TypeError, match="Received: batch_size=2.5"):
        nnzoo.fit(model, X, y, batch_size=2.5)
    assert int(model.optimizer.iterations) == 0


def test_train_recipe_starts_a_regression_head_at_the_targets_scale():
    from nnzoo.training import _init_regression_head, train

    X, y = _data(n=64)
    y = 100.0 + 20.0 * y
    model = nnzoo.build_ffnn((4,), (8,), task="regression")
    kernel = model.get_layer("head").get_weights()[0].copy()
    assert _init_regression_head(model, y)
    new_kernel, bias = model.get_layer("head").get_weights()
    np.testing.assert_allclose(bias, [y.mean()], rtol=1e-5)
    np.testing.assert_allclose(new_kernel, kernel * y.std(), rtol=1e-5)
    classifier = nnzoo.build_ffnn((4,), (8,), task="binary")
    assert not _init_regression_head(classifier, (y > 100).astype("int32"))  # a sigmoid head is left alone

    # With validation data the recipe watches val_loss and splits nothing off; without, the training loss.
    hist = train(model, X[:48], y[:48], validation_data=(X[48:], y[48:]), epochs=2, seed=0, verbose=0)
    assert set(hist.history) >= {"loss", "val_loss"}
    assert int(model.optimizer.iterations) == 2 * math.ceil(48 / 32)
    hist = train(model, X, y, validation_split=0.0, epochs=2, seed=0, verbose=0)
    assert "val_loss" not in hist.history
    with pytest.raises(TypeError, match="Received: init_head='yes'"):
        train(model, X, y, init_head="yes")


def test_as_sequential_keeps_a_chain_s_layers_and_predictions_and_leaves_branches():
    """The PyTorch rule, checked here by naming the backend: same layers, names and outputs."""
    import keras

    from nnzoo._eager import as_sequential

    chain = nnzoo.build_cnn((8, 8, 1), num_classes=3, compile=False)
    X = np.random.default_rng(0).normal(size=(4, 8, 8, 1)).astype("float32")
    expected = np.asarray(chain(X, training=False))
    seq = as_sequential(chain, backend="torch")
    assert isinstance(seq, keras.Sequential) and seq.name == chain.name
    assert [layer.name for layer in seq.layers] == [layer.name for layer in chain.layers[1:]]
    np.testing.assert_allclose(np.asarray(seq(X, training=False)), expected, atol=1e-6)
    assert as_sequential(chain, backend="tensorflow") is chain
    branched = nnzoo.build("resnet1d", (16, 1), num_classes=3, compile=False)
    assert as_sequential(branched, backend="torch") is branched


def _graph_outputs(model, X):
    """`model`'s outputs through Keras's own call (each layer's `__call__`)."""
    return np.asarray(type(model).call(model, X, training=False))


def test_direct_chain_calls_each_layer_with_the_same_outputs_and_training():
    """The PyTorch rule, checked here by naming the backend: outputs and a training epoch as through `__call__`."""
    import keras

    from nnzoo._eager import direct_chain

    X = np.random.default_rng(0).normal(size=(16, 8, 8, 1))  # float64: cast as `__call__` casts
    y = np.arange(16) % 3
    twins = []
    for direct in (True, False):
        keras.utils.set_random_seed(0)
        model = nnzoo.build_cnn((8, 8, 1), num_classes=3, steps_per_execution=1)
        if direct:
            assert direct_chain(model, backend="torch") is model and "call" in vars(model)
            np.testing.assert_allclose(np.asarray(model(X, training=False)), _graph_outputs(model, X), atol=1e-6)
        nnzoo.fit(model, X, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        twins.append(model.get_weights())
    for a, b in zip(*twins):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # Symbolic inputs take the model's graph.
    assert tuple(model(keras.Input((8, 8, 1))).shape) == (None, 3)
    # A layer added later is not skipped: the model runs its graph again.
    seq = direct_chain(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), backend="torch")
    seq.add(keras.layers.Dense(2))
    assert np.asarray(seq(np.ones((2, 4), "float32"))).shape == (2, 2)


def test_direct_chain_leaves_masks_mixed_precision_branches_and_traced_backends_alone():
    import keras

    from nnzoo._eager import direct_chain

    def untouched(model, backend="torch"):
        return direct_chain(model, backend=backend) is model and "call" not in vars(model)

    assert untouched(nnzoo.build_cnn((8, 8, 1), num_classes=3, compile=False), backend="tensorflow")
    assert untouched(nnzoo.build("resnet1d", (16, 1), num_classes=3, compile=False))
    masked = keras.Sequential([keras.Input((5,)), keras.layers.Embedding(10, 4, mask_zero=True),
                               keras.layers.LSTM(3), keras.layers.Dense(1)])
    assert untouched(masked)
    # Under a mixed policy only the float32 output layer goes direct, its input cast as `__call__` casts it.
    mixed = nnzoo.build_ffnn((4,), task="binary", dtype="mixed_bfloat16", compile=False)
    X = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    direct_chain(mixed, backend="torch")
    np.testing.assert_array_equal(np.asarray(mixed(X, training=False)), _graph_outputs(mixed, X))
    # A nested model and an activity regularizer keep their `__call__`; the Dense layers around them go direct.
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(4, activity_regularizer="l2"),
                              keras.layers.Dense(1)])
    X = np.ones((2, 4), "float32")
    assert direct_chain(outer, backend="torch") is outer and "call" in vars(outer)
    np.testing.assert_allclose(np.asarray(outer(X)), _graph_outputs(outer, X), atol=1e-6)
    outer(X, training=True)
    assert len(outer.losses) == 1  # the activity regularizer still adds its loss
