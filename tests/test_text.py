"""Text: token-id models, a string model that saves with its vocabulary, and the rule for phones."""

import json

import numpy as np
import pytest

import nnzoo
from nnzoo import text

FILLER = ("the", "a", "film", "movie", "plot", "actor", "scene", "was", "is", "and", "very", "story", "music",
          "ending", "cast", "it", "of", "this", "quite", "really")
POSITIVE = ("great", "superb", "lovely", "brilliant", "moving")
NEGATIVE = ("dull", "awful", "boring", "clumsy", "tedious")


def make_reviews(n, seed=0):
    """Texts of filler words with one to three words of one polarity; the label is that polarity."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(FILLER, size=int(rng.integers(4, 10))))
        for _ in range(int(rng.integers(1, 4))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(POSITIVE if label else NEGATIVE)))
        sentence = " ".join(words)
        texts.append(sentence.capitalize() + ("!" if rng.random() < 0.3 else "."))
        labels.append(label)
    # dtype=object: Keras's own predict/evaluate refuse NumPy unicode arrays ("Invalid dtype: str...").
    return np.array(texts, dtype=object), np.array(labels, dtype="int32")


LENGTH = 16
MODELS = {
    "textcnn": {"filters": (16,), "embedding_dim": 16},
    "lstm": {"units": (16,), "embedding_dim": 16},
    "gru": {"units": (16,), "embedding_dim": 16},
    "transformer": {"num_layers": 1, "d_model": 16, "num_heads": 2, "ff_dim": 32},
}


@pytest.fixture(scope="module")
def reviews():
    train = make_reviews(300, seed=0)
    test = make_reviews(200, seed=1)
    return train, test, text.make_vectorizer(train[0], max_tokens=100, sequence_length=LENGTH)


@pytest.fixture(scope="module")
def trained(reviews):
    """`trained(name)`: the family's string model, trained once per module on the reviews."""
    import keras

    (X, y), _, vec = reviews
    cache = {}

    def get(name):
        if name not in cache:
            keras.utils.set_random_seed(0)
            ids_model = nnzoo.build(name, (LENGTH,), vocab_size=vec.vocabulary_size(), task="binary",
                                    learning_rate=1e-2, **MODELS[name])
            cache[name] = text.string_model(ids_model, vec)
            nnzoo.fit(cache[name], X, y, epochs=8, batch_size=32, verbose=0)
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(MODELS))
def test_text_classifier_learns_the_rule_and_round_trips_on_strings(name, reviews, trained, tmp_path):
    import keras

    _, (X_test, y_test), vec = reviews
    model = trained(name)
    assert model.input_shape == (None,) and model.output_shape == (None, 1)
    assert model.evaluate(X_test, y_test, verbose=0)[1] > 0.9

    path = nnzoo.save_model(model, tmp_path / "reviews.keras")
    loaded = keras.saving.load_model(path)  # safe mode: the vocabulary travels in the file
    probe = np.array(["a great film", "a dull film", "The ending was BRILLIANT!"], dtype=object)
    got = loaded.predict(probe, verbose=0)[:, 0]
    np.testing.assert_allclose(got, model.predict(probe, verbose=0)[:, 0], atol=1e-6)
    assert got[0] > 0.5 > got[1] and got[2] > 0.5


@pytest.mark.parametrize("name", ["lstm", "textcnn", "transformer"])  # gru exports as the lstm does (unrolled)
def test_text_model_exports_for_phones_and_mediapipe_classifies_raw_strings_like_keras(name, reviews, trained, tmp_path):
    from nnzoo.export import TFLiteModel, to_tflite

    _, (X_test, _), vec = reviews
    model = trained(name)  # on strings: to_tflite splits it into its vectorizer and token-id model
    texts = [*X_test[:24], "a great film", "a dull film", "The ending was BRILLIANT!", "GREAT, great... great!!"]
    path = tmp_path / "reviews.tflite"
    report = to_tflite(model, path, class_names=["negative", "positive"], sample_data=texts, latency_runs=0)
    assert report.signature == {"key": "serving_default", "input": "tokens", "output": "probabilities"}
    assert report.input_dtype == "int32" and report.flex_ops == [] and report.verified
    want = model.predict(np.array(texts, dtype=object), verbose=0)[:, 0]
    assert 0.2 < np.mean(want > 0.5) < 0.8  # both classes among the strings: a real check of the class
    # An app without MediaPipe: the sidecar's rule in plain Python feeds the file.
    ids = text.tokenize(texts, text.tokenizer_spec(vec))
    np.testing.assert_allclose(TFLiteModel(path).predict(ids)[:, 0], want, atol=report.tolerance)

    pytest.importorskip("mediapipe")
    from test_mobile import text_classify

    rows = text_classify(path, texts)  # one sigmoid unit: one category, "positive"
    assert all(list(row) == [0] and row[0][1] == "positive" for row in rows)
    got = np.array([row[0][0] for row in rows])
    np.testing.assert_array_equal(got > 0.5, want > 0.5)
    np.testing.assert_allclose(got, want, atol=report.tolerance)


def test_tokenizer_spec_reproduces_the_vectorizer_in_plain_python(reviews, tmp_path):
    (X, _), (X_test, _), vec = reviews
    spec = text.tokenizer_spec(vec)
    assert spec["vocabulary"][:2] == ["", "[UNK]"] and spec["sequence_length"] == LENGTH
    odd = np.array(["GREAT, great... great!!", "unknown words only", "the " * 40, "It's (very) dull; the end"], dtype=object)
    for batch in (X_test[:50], odd):
        np.testing.assert_array_equal(text.tokenize(batch, spec), np.asarray(vec(batch)))
    vocab_path, spec_path = text.write_tokenizer(vec, tmp_path)
    lines = open(vocab_path, encoding="utf-8").read().split("\n")[:-1]
    assert lines == spec["vocabulary"]
    written = json.loads(open(spec_path, encoding="utf-8").read())
    assert written["vocabulary_file"] == "vocab.txt" and written["strip_regex"] == spec["strip_regex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokenizer.json", "vocab.txt"]


def test_textcnn_is_kim_2014():
    model = nnzoo.build("textcnn", (50,), num_classes=2)
    assert model.get_layer("embedding").input_dim == 20000 and model.get_layer("embedding").output_dim == 128
    assert [model.get_layer(f"conv{k}").filters for k in (3, 4, 5)] == [100, 100, 100]
    assert [model.get_layer(f"conv{k}").kernel_size[0] for k in (3, 4, 5)] == [3, 4, 5]
    assert model.get_layer("head_dropout").rate == 0.5
    assert {"conv3_pool", "conv4_pool", "conv5_pool"} <= {layer.name for layer in model.layers}


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: text.make_vectorizer("one string"), TypeError, "sequence of strings"),
        (lambda: text.make_vectorizer([]), ValueError, "empty"),
        (lambda: text.make_vectorizer(["a", 3]), TypeError, "strings only"),
        (lambda: nnzoo.build("lstm", (10,), vocab_size=0), ValueError, "vocab_size"),
    ],
)
def test_text_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_string_model_checks_the_length(reviews):
    *_, vec = reviews
    ids_model = nnzoo.build("textcnn", (LENGTH + 1,), vocab_size=vec.vocabulary_size(), filters=(4,), task="binary")
    with pytest.raises(ValueError, match="sequence length does not match"):
        text.string_model(ids_model, vec)


def test_string_model_keeps_the_id_model_s_execution_settings(reviews):
    *_, vec = reviews
    ids_model = nnzoo.build("textcnn", (LENGTH,), vocab_size=vec.vocabulary_size(), filters=(4,), task="binary")
    wrapped = text.string_model(ids_model, vec)
    assert (wrapped.steps_per_execution, wrapped.jit_compile) == (ids_model.steps_per_execution, ids_model.jit_compile)
    assert wrapped.get_compile_config()["steps_per_execution"] == 1  # the file stays portable
