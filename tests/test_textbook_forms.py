"""The seed texts' snippets, reproduced exactly by the factories."""

import numpy as np

import nnzoo


def layer_summary(model):
    out = []
    for layer in model.layers[1:]:
        cfg = layer.get_config()
        out.append((type(layer).__name__, cfg.get("units") or cfg.get("filters"), cfg.get("activation")))
    return out


def test_textbook_ffnn():
    # Dense(16, relu, input_shape=(10,)) -> Dense(8, relu) -> Dense(1, sigmoid)
    model = nnzoo.build_ffnn((10,), (16, 8), task="binary", kernel_initializer="glorot_uniform")
    assert layer_summary(model) == [("Dense", 16, "relu"), ("Dense", 8, "relu"), ("Dense", 1, "sigmoid")]
    assert model.loss == "binary_crossentropy"
    assert model.count_params() == 10 * 16 + 16 + 16 * 8 + 8 + 8 + 1


def test_textbook_mnist_dense_with_dropout():
    # Flatten(28, 28) -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax)
    model = nnzoo.build_ffnn((28, 28), (128,), num_classes=10, dropout=0.2)
    assert [type(l).__name__ for l in model.layers[1:]] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert model.layers[-2].rate == 0.2
    assert model.count_params() == 784 * 128 + 128 + 128 * 10 + 10


def test_textbook_cnn():
    # Conv2D(32, (3, 3), relu, input (64, 64, 3)) -> MaxPooling2D((2, 2)) -> Flatten -> Dense(128) -> Dense(10, softmax)
    model = nnzoo.build("cnn_textbook", (64, 64, 3), num_classes=10)
    assert layer_summary(model) == [
        ("Conv2D", 32, "relu"), ("MaxPooling2D", None, None), ("Flatten", None, None),
        ("Dense", 128, "relu"), ("Dense", 10, "softmax"),
    ]
    assert model.get_layer("block1_conv").get_config()["padding"] == "valid"
    assert model.count_params() == (3 * 3 * 3 * 32 + 32) + (31 * 31 * 32 * 128 + 128) + (128 * 10 + 10)


def test_textbook_lstm():
    # LSTM(50, input_shape=(100, 10)) -> Dense(1, sigmoid)
    model = nnzoo.build_lstm((100, 10), units=(50,), task="binary", pooling="last", patch_size=1, dense_units=())
    assert [type(l).__name__ for l in model.layers[1:]] == ["LSTM", "Dense"]
    assert model.count_params() == 4 * (50 * (10 + 50) + 50) + 51


def test_textbook_autoencoder():
    # Input(100) -> Dense(32, relu) -> Dense(100, sigmoid)
    model = nnzoo.build_autoencoder((100,), 32, hidden_units=(), output_activation="sigmoid")
    enc, dec = model.get_layer("encoder"), model.get_layer("decoder")
    assert layer_summary(enc) == [("Dense", 32, "relu")]
    assert layer_summary(dec) == [("Dense", 100, "sigmoid")]
    assert model.count_params() == 100 * 32 + 32 + 32 * 100 + 100


def test_textbook_vgg16_base_frozen():
    model = nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=4)
    base = model.get_layer("vgg16")
    assert not any(layer.trainable for layer in base.layers)
    assert base.count_params() == 14_714_688  # VGG16 notop
    tuned = nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=4, trainable_layers=3)
    trainable = [l.name for l in tuned.get_layer("vgg16").layers if l.trainable and l.weights]
    assert trainable == ["block5_conv1", "block5_conv2", "block5_conv3"]


def test_vgg16_preprocessing_matches_keras():
    import keras

    model = nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=2, compile=False)
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    ours = np.asarray(model.get_layer("vgg16_preprocess")(x))
    ref = keras.applications.vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_autoencoder_parts_and_reconstruction_error():
    model = nnzoo.build_autoencoder((8, 8, 1), 6, architecture="conv", filters=(4, 8))
    assert model.get_layer("encoder").output_shape == (None, 6)
    assert model.get_layer("decoder").output_shape == (None, 8, 8, 1)
    X = np.random.default_rng(0).random((5, 8, 8, 1)).astype("float32")
    errors = nnzoo.reconstruction_error(model, X)
    recon = np.asarray(model.predict(X, verbose=0))
    np.testing.assert_allclose(errors, ((X - recon) ** 2).reshape(5, -1).mean(1), rtol=1e-5)


def test_reconstruction_error_rejects_wrong_shape():
    import pytest

    model = nnzoo.build_autoencoder((16,), 4)
    with pytest.raises(ValueError, match=r"Received: X_shape=\(3, 8\)"):
        nnzoo.reconstruction_error(model, np.zeros((3, 8)))


def test_many_to_many_and_activation_initializers():
    model = nnzoo.build_lstm((7, 2), units=(8, 4), cell="gru", bidirectional=True, return_sequences=True,
                             task="multiclass", num_classes=3)
    assert model.output_shape == (None, 7, 3)
    for act, init in [("relu", "HeNormal"), ("selu", "LecunNormal"), ("tanh", "GlorotUniform"), ("gelu", "HeNormal")]:
        m = nnzoo.build_ffnn((4,), (5,), task="regression", activation=act)
        layer = m.get_layer("dense_1")
        assert layer.get_config()["activation"] == act
        assert type(layer.kernel_initializer).__name__ == init


def test_optimizers_and_clipping():
    import keras

    m = nnzoo.build_ffnn((4,), task="regression", optimizer="sgd_momentum", learning_rate=0.05, clipnorm=1.0)
    assert isinstance(m.optimizer, keras.optimizers.SGD)
    assert m.optimizer.momentum == 0.9 and m.optimizer.clipnorm == 1.0
    assert float(m.optimizer.learning_rate) == np.float32(0.05)
    m = nnzoo.build_ffnn((4,), task="regression", optimizer="adamw", clipvalue=0.5)
    assert isinstance(m.optimizer, keras.optimizers.AdamW) and m.optimizer.clipvalue == 0.5
    m = nnzoo.build_ffnn((4,), task="regression", optimizer=keras.optimizers.RMSprop(1e-4))
    assert isinstance(m.optimizer, keras.optimizers.RMSprop)
