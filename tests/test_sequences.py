"""Sequences: the UCR/UEA loaders, stratified validation in `fit`, and the 1-D conv family."""

import warnings

import numpy as np
import pytest

import nnzoo
from nnzoo import datasets

# name: (train X shape, test X shape, task, class names)
UCR = {
    "gunpoint": ((50, 150, 1), (150, 150, 1), "binary", ("1", "2")),
    "italy_power_demand": ((67, 24, 1), (1029, 24, 1), "binary", ("1", "2")),
    "basic_motions": ((40, 100, 6), (40, 100, 6), "multiclass", ("badminton", "running", "standing", "walking")),
    "japanese_vowels": ((270, 29, 12), (370, 29, 12), "multiclass", tuple("123456789")),
}


# ---------------------------------------------------------------------------
# Loaders


@pytest.mark.parametrize("name", sorted(UCR))
def test_load_ucr_official_splits_as_keras_arrays(name):
    pytest.importorskip("aeon")
    train_shape, test_shape, task, classes = UCR[name]
    train, test = datasets.load_ucr(name)
    assert train.X.shape == train_shape and test.X.shape == test_shape
    assert train.X.dtype == np.float32 and train.y.dtype == np.int32
    assert train.task == test.task == task and train.kind == "sequence"
    assert train.target_names == test.target_names == classes
    assert all(isinstance(c, str) and type(c) is str for c in train.target_names)
    assert set(np.unique(train.y)) == set(range(len(classes)))
    assert train.input_shape == train_shape[1:]
    assert datasets.load_ucr(name, "test").X.shape == test_shape


def test_load_ucr_labels_and_values_match_aeon():
    aeon_datasets = pytest.importorskip("aeon.datasets")
    X, y = aeon_datasets.load_basic_motions(split="train")
    train = datasets.load_ucr("basic_motions", "train")
    np.testing.assert_allclose(train.X, np.transpose(X, (0, 2, 1)), rtol=1e-6)
    assert [train.target_names[k] for k in train.y] == list(y)


def test_load_ucr_unequal_lengths_pad_resample_variable():
    aeon_datasets = pytest.importorskip("aeon.datasets")
    raw, _ = aeon_datasets.load_japanese_vowels(split="train")
    first = np.asarray(raw[0], dtype="float32").T  # (T_0, 12), shorter than 29
    assert len(first) < 29
    padded = datasets.load_ucr("japanese_vowels", "train", length="pad").X[0]
    np.testing.assert_allclose(padded[: len(first)], first)
    assert np.all(padded[len(first):] == 0)
    resampled = datasets.load_ucr("japanese_vowels", "train", length="resample").X[0]
    np.testing.assert_allclose(resampled[[0, -1]], first[[0, -1]], rtol=1e-5)
    variable = datasets.load_ucr("japanese_vowels", "train", length="variable")
    assert variable.X.dtype == object and variable.X.shape == (270,)
    np.testing.assert_allclose(variable.X[0], first)
    assert variable.input_shape == (None, 12)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"name": "gun_point"}, ValueError, "Did you mean 'gunpoint'"),
        ({"name": 3}, TypeError, "must be a string"),
        ({"name": "gunpoint", "split": "validation"}, ValueError, "split"),
        ({"name": "gunpoint", "length": "truncate"}, ValueError, "length"),
    ],
)
def test_load_ucr_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        datasets.load_ucr(**kwargs)


# ---------------------------------------------------------------------------
# Validation in fit


def _sorted_by_class(n=40, k=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n // k).astype("int32")
    X = (rng.normal(size=(n, 6)) + y[:, None]).astype("float32")
    return X, y


def _model(k=4):
    return nnzoo.build("ffnn", (6,), hidden_units=(8,), task="multiclass", num_classes=k)


def test_plain_validation_split_on_sorted_data_warns_and_names_the_fix():
    X, y = _sorted_by_class()
    with pytest.warns(UserWarning, match=r"miss 3 of 4 classes \(0, 1, 2\).*stratify=True"):
        nnzoo.fit(_model(), X, y, epochs=1, validation_split=0.2, verbose=0)


def test_validation_split_with_every_class_or_a_regressor_does_not_warn():
    X, y = _sorted_by_class()
    order = np.arange(40).reshape(4, 10).T.ravel()  # classes interleaved
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        nnzoo.fit(_model(), X[order], y[order], epochs=1, validation_split=0.25, verbose=0)
        reg = nnzoo.build("ffnn", (6,), hidden_units=(8,), task="regression")
        nnzoo.fit(reg, X, y.astype("float32"), epochs=1, validation_split=0.2, verbose=0)


@pytest.mark.parametrize("one_hot", [False, True])
def test_stratified_validation_keeps_every_class_share(one_hot, monkeypatch):
    X, y = _sorted_by_class(n=40, k=4)
    seen = {}
    import nnzoo.training as training

    real = training._stratified_split

    def spy(*args):
        out = real(*args)
        seen["train"], seen["val"] = out
        return out

    monkeypatch.setattr(training, "_stratified_split", spy)
    targets = np.eye(4, dtype="float32")[y] if one_hot else y
    model = _model()
    if one_hot:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        history = nnzoo.fit(model, X, targets, epochs=2, validation_split=0.2, stratify=True, verbose=0)
    assert len(history.history["val_loss"]) == 2
    val_y = np.asarray(seen["val"][1])
    val_labels = val_y.argmax(1) if one_hot else val_y
    assert np.bincount(val_labels, minlength=4).tolist() == [2, 2, 2, 2]
    assert len(seen["train"][0]) == 32 and seen["train"][2] is None
    # The hold-out is disjoint from the training rows and covers the data.
    rows = {tuple(r) for r in np.asarray(seen["train"][0])} | {tuple(r) for r in np.asarray(seen["val"][0])}
    assert len(rows) == 40


def test_stratified_validation_is_seeded_and_carries_sample_weight(monkeypatch):
    import nnzoo.training as training

    X, y = _sorted_by_class()
    w = np.arange(40, dtype="float32")
    a = training._stratified_split(X, y, w, 0.2, 0)
    b = training._stratified_split(X, y, w, 0.2, 0)
    c = training._stratified_split(X, y, w, 0.2, 1)
    np.testing.assert_array_equal(a[1][2], b[1][2])
    assert not np.array_equal(a[1][2], c[1][2])
    np.testing.assert_array_equal(X[a[1][2].astype(int)], a[1][0])  # weights travel with their rows


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"stratify": True}, ValueError, "needs a `validation_split`"),
        ({"stratify": "yes", "validation_split": 0.2}, TypeError, "must be a bool"),
        ({"stratify": True, "validation_split": 0.05}, ValueError, "Cannot hold out a stratified validation set"),
    ],
)
def test_stratify_bad_arguments(kwargs, error, match):
    X, y = _sorted_by_class()
    with pytest.raises(error, match=match):
        nnzoo.fit(_model(), X, y, epochs=1, verbose=0, **kwargs)


# ---------------------------------------------------------------------------
# The 1-D conv family


def _conv_layers(model):
    import keras

    return [(layer.filters, layer.kernel_size[0]) for layer in model.layers if isinstance(layer, keras.layers.Conv1D)]


def test_fcn_is_wang_et_al_exactly():
    import keras

    model = nnzoo.build("fcn", (150, 1), task="binary")
    assert _conv_layers(model) == [(128, 8), (256, 5), (128, 3)]
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["InputLayer"] + ["Conv1D", "BatchNormalization", "Activation"] * 3 + ["GlobalAveragePooling1D", "Dense"]
    assert all(layer.get_config()["activation"] == "relu" for layer in model.layers if isinstance(layer, keras.layers.Activation))


def test_resnet1d_blocks_and_shortcuts():
    model = nnzoo.build("resnet1d", (64, 1), task="binary")
    convs = _conv_layers(model)
    body = [c for c, layer in zip(convs, [layer for layer in model.layers if type(layer).__name__ == "Conv1D"])
            if "shortcut" not in layer.name]
    assert body == [(64, 8), (64, 5), (64, 3), (128, 8), (128, 5), (128, 3), (128, 8), (128, 5), (128, 3)]
    names = {layer.name for layer in model.layers}
    # 1x1 conv + BN where the width changes (blocks 1 and 2), BN only in block 3.
    assert {"block1_shortcut_conv", "block2_shortcut_conv", "block3_shortcut_bn"} <= names
    assert "block3_shortcut_conv" not in names
    assert sum(1 for n in names if n.endswith("_add")) == 3


def test_inception_time_modules():
    model = nnzoo.build("inception_time", (64, 3), num_classes=4)
    names = {layer.name for layer in model.layers}
    assert {f"inception{m}_concat" for m in range(1, 7)} <= names
    assert {"residual1_add", "residual2_add"} <= names and "residual3_add" not in names
    assert model.get_layer("inception1_bottleneck").filters == 32
    assert model.get_layer("inception2_concat").output.shape[-1] == 4 * 32
    assert sorted(model.get_layer(f"inception1_conv{k}").kernel_size[0] for k in (40, 20, 10)) == [10, 20, 40]


def test_series_normalisation_inside_the_model_is_z_normalisation():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(4, 30, 2)) * [3.0, 0.1] + [10.0, -5.0]).astype("float32")
    model = nnzoo.build("conv1d", (None, 2), num_classes=3, normalize="series")
    norm = model.get_layer("series_norm_over_time")
    import keras

    z = np.asarray(keras.Model(model.input, model.get_layer("series_norm").output)(X))
    expected = (X - X.mean(axis=1, keepdims=True)) / np.sqrt(X.var(axis=1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(z, expected, atol=1e-4)
    assert norm.get_config()["axis"] in (-1, [-1]) and not norm.weights  # over time, after the transpose
    # Scale and offset of each series do not change the prediction.
    np.testing.assert_allclose(np.asarray(model(X * 7 + 3)), np.asarray(model(X)), atol=1e-4)
    assert "series_norm" not in {layer.name for layer in nnzoo.build("fcn", (30, 2), num_classes=3).layers}


def test_normalize_auto_z_normalises_univariate_series_only():
    """The published protocol: univariate series z-normalised each, multivariate ones (levels can be the signal) not."""
    def names(factory, **kwargs):
        return {layer.name for layer in factory(task="multiclass", **kwargs).layers}

    for factory in (nnzoo.build_conv1d, nnzoo.build_transformer, nnzoo.build_lstm):
        assert "series_norm" in names(factory=factory, input_shape=(30, 1), num_classes=3)
        assert "series_norm" in names(factory=factory, input_shape=(20, 1), num_classes=5)
        assert "series_norm" not in names(factory=factory, input_shape=(30, 12), num_classes=3)
        assert "series_norm" in names(factory=factory, input_shape=(30, 12), num_classes=3, normalize="series")
        assert "series_norm" not in names(factory=factory, input_shape=(30,), num_classes=3, vocab_size=50)
        # A regressor (a forecaster) keeps the level the z-normalisation would remove.
        regressor = factory(input_shape=(30, 1), task="regression")
        assert not {"series_norm", "input_noise"} & {layer.name for layer in regressor.layers}, factory.__name__


def test_variable_length_series():
    model = nnzoo.build("conv1d", (None, 3), filters=(8, 8), kernel_size=(3, 3), task="regression")
    for steps in (5, 17, 40):
        assert model(np.zeros((2, steps, 3), "float32")).shape == (2, 1)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"input_shape": (8, 8, 1)}, ValueError, "wrong rank for build_conv1d"),
        ({"input_shape": (20, 2), "filters": (8, 8), "kernel_size": (3, 5, 7)}, ValueError, "same length"),
        ({"input_shape": (20, 2), "architecture": "unet"}, ValueError, "architecture"),
        ({"input_shape": (20,), "vocab_size": 1}, ValueError, "vocab_size"),
        ({"input_shape": (20,), "vocab_size": 50, "normalize": "series"}, ValueError, "not to token ids"),
        ({"input_shape": (20, 2), "normalize": "minmax"}, ValueError, "normalize"),
        ({"input_shape": (20, 2), "vocab_size": "big"}, TypeError, "vocab_size"),
    ],
)
def test_conv1d_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        nnzoo.build_conv1d(num_classes=3, **kwargs)


@pytest.mark.slow
def test_conv1d_default_learns_gunpoint():
    """The default model, the documented recipe, a real data set: well above chance."""
    pytest.importorskip("aeon")
    import keras

    from nnzoo.callbacks import standard_callbacks

    keras.utils.set_random_seed(0)
    train, test = datasets.load_ucr("gunpoint")
    model = nnzoo.build("conv1d", train.input_shape, filters=(32, 64, 32), **train.build_kwargs())
    nnzoo.fit(model, train.X, train.y, epochs=60, batch_size=16, validation_split=0.2, stratify=True,
              callbacks=standard_callbacks(patience=60), verbose=0)
    assert model.evaluate(test.X, test.y, verbose=0)[1] > 0.8


def test_lstm_reads_long_series_in_patches():
    """`patch_size=None`: timesteps // 16 steps per patch, a linear embedding, 1 where patches do not apply."""
    model = nnzoo.build_lstm((150, 1), task="binary")
    patch = model.get_layer("patch_embedding")
    assert (patch.kernel_size, patch.strides, patch.filters, patch.get_config()["activation"]) == ((9,), (9,), 64, "linear")
    assert tuple(model.get_layer("lstm_1").input.shape) == (None, 17, 64)  # ceil(150 / 9) patches
    assert model.count_params() == (9 * 64 + 64) + 4 * (64 * (64 + 64) + 64) + (64 * 32 + 32) + 33
    assert model.predict(np.zeros((2, 150, 1), "float32"), verbose=0).shape == (2, 1)
    assert nnzoo.build_lstm((150, 3), patch_size=5).get_layer("patch_embedding").kernel_size == (5,)
    step_by_step = [
        nnzoo.build_lstm((24, 1), task="binary"),  # short: under 2 * 16 steps
        nnzoo.build_lstm((150, 1), task="binary", patch_size=1),
        nnzoo.build_lstm((None, 1), task="binary"),
        nnzoo.build_lstm((150,), task="binary", vocab_size=50),
        nnzoo.build_lstm((150, 1), return_sequences=True),
    ]
    for m in step_by_step:
        assert "patch_embedding" not in [layer.name for layer in m.layers], m.name


def test_lstm_pooling_auto_reads_the_final_state_of_series_and_the_mean_of_words():
    series = nnzoo.build_lstm((24, 1), task="binary")
    assert not any("pool" in layer.name for layer in series.layers)
    assert series.get_layer("lstm_1").return_sequences is False
    text = nnzoo.build_lstm((20,), task="binary", vocab_size=50)
    assert text.get_layer("global_avg_pool")


def test_lstm_adds_training_noise_to_z_normalised_series_only():
    """`input_noise=None`: GaussianNoise(0.1) after the z-normalisation, active in training, the identity at inference."""
    import keras

    model = nnzoo.build_lstm((24, 1), task="binary")
    names = [layer.name for layer in model.layers]
    assert names.index("series_norm") + 1 == names.index("input_noise") < names.index("lstm_1")
    noise = model.get_layer("input_noise")
    assert isinstance(noise, keras.layers.GaussianNoise) and noise.stddev == pytest.approx(0.1)
    X = np.random.default_rng(0).normal(size=(4, 24, 1)).astype("float32")
    infer = np.asarray(model(X, training=False))
    np.testing.assert_array_equal(infer, np.asarray(model(X, training=False)))
    np.testing.assert_allclose(infer, model.predict(X, verbose=0), atol=1e-6)
    assert np.abs(np.asarray(model(X, training=True)) - infer).max() > 1e-4
    # Series fed as they are (several channels, normalize=None) and token ids get none by default.
    for quiet in (nnzoo.build_lstm((24, 3), task="binary"), nnzoo.build_lstm((24, 1), task="binary", normalize=None),
                  nnzoo.build_lstm((24, 1), task="binary", input_noise=0),
                  nnzoo.build_lstm((20,), task="binary", vocab_size=50)):
        assert "input_noise" not in [layer.name for layer in quiet.layers], quiet.name
    assert nnzoo.build_lstm((24, 3), input_noise=0.3).get_layer("input_noise").stddev == pytest.approx(0.3)
    with pytest.raises(ValueError, match=r"not to token ids.*Received: input_noise=0.1, vocab_size=50"):
        nnzoo.build_lstm((20,), vocab_size=50, input_noise=0.1)
    with pytest.raises(ValueError, match=r"Received: input_noise=-0.5"):
        nnzoo.build_lstm((24, 1), input_noise=-0.5)


@pytest.mark.slow
def test_lstm_default_learns_gunpoint():
    """The issue's case: the default LSTM sat at chance on GunPoint (150 steps, 50 series); read in patches it learns.

    Patience 50 as in the sequence benchmark: on 50 series an epoch is 4 steps, and the loss sits near
    ln 2 for its first 30-70 epochs before it falls.
    """
    pytest.importorskip("aeon")
    import keras

    from nnzoo.training import train as recipe

    keras.utils.set_random_seed(0)
    train, test = datasets.load_ucr("gunpoint")
    model = nnzoo.build("lstm", train.input_shape, **train.build_kwargs())
    recipe(model, train.X, train.y, epochs=150, batch_size=16, patience=50, validation_split=0.0, seed=0, verbose=0)
    assert model.evaluate(test.X, test.y, verbose=0)[1] > 0.85  # chance is 0.5; 1-NN Euclidean 0.913


def test_lstm_default_learns_italy_power_demand():
    """The default recurrent model, the recipe, a real data set (short: 24 steps, 67 series): well above chance."""
    pytest.importorskip("aeon")
    import keras

    from nnzoo.training import train as recipe

    keras.utils.set_random_seed(0)
    train, test = datasets.load_ucr("italy_power_demand")
    model = nnzoo.build("lstm", train.input_shape, **train.build_kwargs())
    recipe(model, train.X, train.y, epochs=25, batch_size=16, validation_split=0.0, seed=0, verbose=0)
    assert model.evaluate(test.X, test.y, verbose=0)[1] > 0.85  # chance is 0.5; 0.95 here


# ---------------------------------------------------------------------------
# The Transformer


def test_transformer_blocks_and_positions():
    from nnzoo.models.transformer.layers import sinusoidal_table

    model = nnzoo.build("transformer_sinusoidal", (24, 3), num_classes=4)
    names = {layer.name for layer in model.layers}
    assert {"input_projection", "positions", "encoder1_attention", "encoder2_attention", "global_avg_pool"} <= names
    attention = model.get_layer("encoder1_attention")
    assert attention.num_heads == 4 and attention.key_dim == 16
    table = np.asarray(model.get_layer("positions").table)
    np.testing.assert_allclose(table, sinusoidal_table(24, 64), atol=1e-6)
    np.testing.assert_allclose(table[0, ::2], 0.0, atol=1e-7)  # sin(0) on even features
    np.testing.assert_allclose(table[0, 1::2], 1.0, atol=1e-7)  # cos(0) on odd ones
    assert not model.get_layer("positions").trainable_weights
    assert nnzoo.build("transformer", (24, 3), num_classes=4).get_layer("positions").trainable_weights


def test_transformer_takes_any_length():
    model = nnzoo.build("transformer", (None,), vocab_size=30, max_length=20, task="binary")
    for steps in (3, 20):
        assert model(np.ones((2, steps), "float32")).shape == (2, 1)
    series = nnzoo.build("transformer", (None, 2), max_length=50, task="regression")
    assert series(np.zeros((3, 37, 2), "float32")).shape == (3, 1)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"input_shape": (10, 2), "d_model": 30, "num_heads": 4}, "divisible"),
        ({"input_shape": (None, 2)}, "needs `max_length`"),
        ({"input_shape": (30, 2), "max_length": 20}, "shorter than the input"),
        ({"input_shape": (10, 2), "positions": "rotary"}, "positions"),
    ],
)
def test_transformer_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nnzoo.build_transformer(num_classes=3, **kwargs)
