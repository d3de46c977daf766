"""Exported files as mobile apps run them: TFLite Metadata read back, MediaPipe Tasks, signature runners.

MediaPipe (`pip install mediapipe`, the `test` and `mobile` extras) is the
runtime Android and iOS apps use through MediaPipe Tasks; its
`ImageClassifier` reads the colour space, normalisation and labels from the
file's metadata and refuses a float image model without them.
"""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest

import nnzoo
from harness import check_tflite
from nnzoo.export import TFLiteModel, _camera, _metadata, _schema, to_tflite

mp = pytest.importorskip("mediapipe")
from mediapipe.tasks.metadata import metadata_schema_py_generated as mfb  # noqa: E402
from mediapipe.tasks.python import vision  # noqa: E402
from mediapipe.tasks.python.core import base_options  # noqa: E402


# ------------------------------------------------------------------ helpers
def read_metadata(path) -> dict:
    """The file's TFLITE_METADATA, read with MediaPipe's generated schema, as a `describe` dict."""
    content = open(path, "rb").read()
    schema = _schema.model_schema()
    model = schema.Model.GetRootAs(content, 0)
    entries = [model.Metadata(i) for i in range(model.MetadataLength())]
    found = [m for m in entries if m.Name() == b"TFLITE_METADATA"]
    assert len(found) == 1
    buf = model.Buffers(found[0].Buffer()).DataAsNumpy().tobytes()
    assert mfb.ModelMetadata.ModelMetadataBufferHasIdentifier(buf, 0)
    meta = mfb.ModelMetadataT.InitFromObj(mfb.ModelMetadata.GetRootAs(buf, 0))
    colours = {v: k for k, v in vars(mfb.ColorSpaceType).items() if not k.startswith("_")}
    kinds = {v: k for k, v in vars(mfb.AssociatedFileType).items() if not k.startswith("_")}

    def text(value):
        return None if value is None else value.decode("utf-8")

    def tensor(t):
        image = t.content.contentPropertiesType == mfb.ContentProperties.ImageProperties
        assert image or t.content.contentPropertiesType == mfb.ContentProperties.FeatureProperties
        norm = tokenizer = None
        for unit in t.processUnits or []:
            if unit.optionsType == mfb.ProcessUnitOptions.RegexTokenizerOptions:
                (vocab,) = unit.options.vocabFile
                tokenizer = {"type": "regex", "delimiter": text(unit.options.delimRegexPattern),
                             "vocab_file": {"name": text(vocab.name), "description": text(vocab.description),
                                            "type": kinds[vocab.type]}}
                continue
            assert unit.optionsType == mfb.ProcessUnitOptions.NormalizationOptions
            norm = {"mean": [float(v) for v in unit.options.mean], "std": [float(v) for v in unit.options.std]}
        stats = None if t.stats is None else {"min": [float(v) for v in t.stats.min], "max": [float(v) for v in t.stats.max]}
        return {
            "name": text(t.name),
            "description": text(t.description),
            "content": "image" if image else "features",
            "color_space": colours[t.content.contentProperties.colorSpace] if image else None,
            "normalization": norm,
            "stats": stats,
            "tokenizer": tokenizer,
            "associated_files": [
                {"name": text(f.name), "description": text(f.description), "type": kinds[f.type]}
                for f in t.associatedFiles or []
            ],
        }

    (subgraph,) = meta.subgraphMetadata
    return {
        "name": text(meta.name),
        "description": text(meta.description),
        "version": text(meta.version),
        "author": text(meta.author),
        "license": text(meta.license),
        "min_parser_version": text(meta.minParserVersion),
        "inputs": [tensor(t) for t in subgraph.inputTensorMetadata],
        "outputs": [tensor(t) for t in subgraph.outputTensorMetadata],
    }


def export(model, X, tmp_path, **options):
    """`check_tflite`, and for camera files the same checks on X turned into pixels."""
    if not options.get("camera"):
        return check_tflite(model, X, tmp_path, **options)
    options.setdefault("sample_data", X)
    options.setdefault("latency_runs", 0)
    report = to_tflite(model, tmp_path / "model.tflite", **options)
    assert report.verified and report.flex_ops == [] and report.camera
    low, high = options["input_range"]
    frames = _camera.to_pixels(X, low, high)
    seen = low + np.round((X - low) / (high - low) * 255) / 255 * (high - low)
    got = TFLiteModel(tmp_path / "model.tflite").predict(frames)
    np.testing.assert_allclose(got, np.asarray(model(seen.astype("float32"))), atol=1e-5)
    return report


def _close(a, b):
    """Dicts equal, floats to float32 precision (the flatbuffer stores float32)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return np.isclose(a, b, rtol=1e-6)
    return a == b


def classify(path, images: np.ndarray) -> np.ndarray:
    """MediaPipe ImageClassifier scores, shape (n, classes), from uint8 RGB frames."""
    options = vision.ImageClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(path)), max_results=-1
    )
    rows = []
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for frame in images:
            result = classifier.classify(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame)))
            (head,) = result.classifications
            row = {c.index: (c.score, c.category_name) for c in head.categories}
            rows.append(row)
    return rows


def _colour_images(n, size=32, seed=0):
    """Images whose class is the dominant colour channel (0 red, 1 green, 2 blue), as uint8 pixels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    px = rng.uniform(0, 110, (n, size, size, 3))
    px[np.arange(n), :, :, y] += 140
    return px.round().astype(np.uint8), y


# ------------------------------------------------------- MediaPipe Tasks
def _rgb_cnn():
    keras.utils.set_random_seed(0)
    px, y = _colour_images(96)
    model = nnzoo.build("cnn", (32, 32, 3), num_classes=3, filters=(8, 16), dense_units=(16,), batch_norm=False)
    model.fit(px / 255.0, y, epochs=3, batch_size=16, verbose=0)
    test, _ = _colour_images(12, seed=1)
    # MediaPipe feeds (pixel - 0) / 255 per the metadata; Keras sees the same floats.
    return model, test, (test / np.float32(255)).astype("float32"), {"input_range": (0, 1)}, ["red", "green", "blue"]


def _vgg16_head():
    from nnzoo.models.transfer import build_vgg16_transfer

    keras.utils.set_random_seed(0)
    model = build_vgg16_transfer((32, 32, 3), num_classes=3, weights=None)
    test, _ = _colour_images(6, seed=2)
    return model, test, test.astype("float32"), {}, ["a", "b", "c"]


def _digits_camera():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.images / 16.0).astype("float32")[..., None]
    keras.utils.set_random_seed(0)
    model = nnzoo.build("cnn", (8, 8, 1), num_classes=10, learning_rate=3e-3)
    model.fit(X[:800], digits.target[:800], epochs=8, batch_size=32, verbose=0)
    frames = _camera.to_pixels(X[800:830], 0.0, 1.0)  # what a camera gives: RGB uint8
    seen = np.round(X[800:830] * 255) / 255  # what the model sees after the conversion inside the file
    return model, frames, seen.astype("float32"), {"camera": True, "input_range": (0, 1), "sample_data": X[800:830]}, \
        [str(i) for i in range(10)]


CLASSIFIERS = {
    "rgb_cnn": _rgb_cnn,
    "vgg16_head": pytest.param(_vgg16_head, marks=pytest.mark.slow),
    "digits_camera": _digits_camera,
}


@pytest.mark.parametrize("make", list(CLASSIFIERS.values()), ids=list(CLASSIFIERS))
def test_mediapipe_classifies_like_keras(make, tmp_path):
    model, frames, keras_inputs, options, names = make()
    options.setdefault("sample_data", keras_inputs)
    report = export(model, options.pop("sample_data"), tmp_path, class_names=names, **options)
    assert report.signature == {"key": "serving_default", "input": "image", "output": "probabilities"}
    assert report.metadata_size_bytes > 0
    ref = np.asarray(model(keras_inputs, training=False))
    rows = classify(tmp_path / "model.tflite", frames)
    for want, row in zip(ref, rows):
        top = max(row, key=lambda i: row[i][0])
        assert top == want.argmax() and row[top][1] == names[top]
        got = np.array([row[i][0] for i in range(len(names))])
        np.testing.assert_allclose(got, want, atol=report.tolerance)
    if options.get("camera"):
        assert report.input_dtype == "uint8" and report.input_shape == (None, 8, 8, 3)
        accuracy = np.mean(ref.argmax(-1) == np.asarray(
            __import__("sklearn.datasets", fromlist=["load_digits"]).load_digits().target[800:830]))
        assert accuracy > 0.8  # a real digits classifier, not a constant one


def test_mediapipe_refuses_a_float_image_file_without_normalisation(tmp_path):
    model = nnzoo.build("cnn_small", (16, 16, 3), num_classes=2)
    X = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype("float32")
    report = check_tflite(model, X, tmp_path)
    assert any("NormalizationOptions" in note for note in report.notes)
    with pytest.raises(Exception, match="NormalizationOptions"):
        classify(tmp_path / "model.tflite", np.zeros((1, 16, 16, 3), np.uint8))


# ------------------------------------------------------------ the metadata
CASES = {
    "image_rgb": ("cnn_small", (8, 8, 3), dict(input_range=(-1, 1), class_names=["a", "b", "c"],
                                               metadata={"version": "2", "license": "Apache-2.0"})),
    "image_gray": ("cnn_small", (8, 8, 1), dict(input_normalization={"mean": [0.5], "std": [0.25]})),
    "camera": ("cnn_small", (8, 8, 1), dict(camera=True, input_range=(0, 16), class_names=list("abc"))),
    "features": ("ffnn_small", (5,), dict(input_normalization={"mean": [0.0] * 5, "std": [2.0] * 5})),
    "int8": ("ffnn_small", (5,), dict(quantize="int8", int8_io=True, class_names=["x", "y", "z"])),
    "binary": ("ffnn_small", (5,), dict(class_names=["no", "yes"])),  # one sigmoid unit: labels.txt is "yes"
}


@pytest.mark.parametrize("case", list(CASES))
def test_metadata_round_trips_and_matches_the_sidecar(case, tmp_path):
    name, shape, options = CASES[case]
    model = nnzoo.build(name, shape, task="binary") if case == "binary" else nnzoo.build(name, shape, num_classes=3)
    X = np.random.default_rng(0).uniform(0, 16 if case == "camera" else 1, (12, *shape)).astype("float32")
    if options.get("quantize"):
        options = {**options, "representative_data": X}
    report = export(model, X, tmp_path, **options)
    path = tmp_path / "model.tflite"
    meta = read_metadata(path)
    side = json.loads((tmp_path / "model.tflite.json").read_text())
    assert _close(side["tflite_metadata"], meta), (side["tflite_metadata"], meta)
    assert meta["author"] == f"nnzoo {nnzoo.__version__}" and meta["min_parser_version"] == "1.0.0"
    (inp,), (out,) = meta["inputs"], meta["outputs"]
    assert (inp["name"], out["name"]) == (report.signature["input"], report.signature["output"])
    assert side["signature"] == report.signature
    files = _metadata.read_associated_files(path)
    names = options.get("class_names")
    names = names[1:] if case == "binary" else names
    assert files == ({} if names is None else {"labels.txt": "".join(n + "\n" for n in names).encode()})
    if names:
        assert out["associated_files"][0]["type"] == "TENSOR_AXIS_LABELS"
        with zipfile.ZipFile(path) as zf:  # stored, so the extractor reads it in place
            assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    if case == "image_rgb":
        assert meta["version"] == "2" and meta["license"] == "Apache-2.0"
        assert inp["color_space"] == "RGB" and inp["normalization"] == {"mean": [127.5], "std": [127.5]}
        assert inp["stats"] == {"min": [-1.0], "max": [1.0]}
        assert out["stats"] == {"min": [0.0], "max": [1.0]}
    elif case == "image_gray":
        assert inp["color_space"] == "GRAYSCALE" and inp["normalization"] == {"mean": [0.5], "std": [0.25]}
    elif case == "camera":
        assert inp["color_space"] == "RGB" and inp["normalization"] is None  # uint8 pixels need none
        assert inp["stats"] == {"min": [0.0], "max": [255.0]} and report.camera
    elif case == "features":
        assert inp["content"] == "features" and inp["name"] == "features" and len(inp["normalization"]["std"]) == 5
    elif case == "int8":
        scale, zero = TFLiteModel(path).output_quantization
        assert out["stats"]["min"] == pytest.approx([scale * (-128 - zero)])
        assert out["stats"]["max"] == pytest.approx([scale * (127 - zero)])
        assert "int8 quantized" in out["description"]
    elif case == "binary":
        assert "of class 'yes' (against 'no'" in out["description"]


def test_metadata_false_writes_none(tmp_path):
    model = nnzoo.build("ffnn_small", (5,), num_classes=3)
    report = check_tflite(model, np.zeros((4, 5), "float32"), tmp_path, metadata=False, class_names=list("abc"))
    content = (tmp_path / "model.tflite").read_bytes()
    schema = _schema.model_schema()
    fb = schema.Model.GetRootAs(content, 0)
    assert b"TFLITE_METADATA" not in [fb.Metadata(i).Name() for i in range(fb.MetadataLength())]
    assert report.metadata_size_bytes == 0 and _metadata.read_associated_files(tmp_path / "model.tflite") == {}
    assert json.loads((tmp_path / "model.tflite.json").read_text())["tflite_metadata"] is None


# -------------------------------------------- tabular and sequence models
@pytest.mark.parametrize(
    "name, shape, task, output",
    [("ffnn_small", (6,), "multiclass", "probabilities"), ("ffnn_small", (6,), "regression", "values"),
     ("lstm", (10, 3), "binary", "probabilities")],
)
def test_signature_runner_by_name(name, shape, task, output, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    kwargs = {"num_classes": 3} if task == "multiclass" else {}
    model = nnzoo.build(name, shape, task=task, **kwargs)
    X = np.random.default_rng(0).normal(size=(5, *shape)).astype("float32")
    check_tflite(model, X, tmp_path)
    interpreter = Interpreter(model_path=str(tmp_path / "model.tflite"))
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": ["features"], "outputs": [output]}}
    runner = interpreter.get_signature_runner("serving_default")
    got = runner(features=X)[output]
    np.testing.assert_allclose(got, np.asarray(model(X)), atol=1e-5)
    tfl = TFLiteModel(tmp_path / "model.tflite")
    assert (tfl.signature_key, tfl.input_name, tfl.output_name) == ("serving_default", "features", output)


# ------------------------------------------------------------ the schema
def test_schema_module_is_found_and_checked(monkeypatch):
    schema = _schema.model_schema()
    assert all(hasattr(schema, attr) for attr in _schema._NEEDED)
    monkeypatch.setattr(_schema, "_cached", None)
    monkeypatch.setattr(_schema, "_CANDIDATES", ("json", "nnzoo_no_such_module"))
    with pytest.raises(ImportError, match=r"json: lacks Model.*nnzoo_no_such_module.*nnzoo\[litert\]"):
        _schema.model_schema()


# ------------------------------------------------------------ text models
from nnzoo import text as nztext  # noqa: E402
from nnzoo.export import _text  # noqa: E402
from test_text import make_reviews  # noqa: E402

TEXT_LENGTH = 12
#: Strings where the file's rule and Keras's give the same ids: case as word / Word / WORD, punctuation
#: around words, runs of whitespace, more words than ids, nothing at all.
SAME = ["GREAT, great... great!!", "Great film", "unknown words only", "the " * 40, "", "  spaced\tout\nlines  ",
        "(very) dull; the end.", "Film: \"DULL\" - [awful]!"]
#: Where they differ, as `_text` documents: punctuation inside a word, mixed case.
DIFFERENT = ["It's dull", "gREAT film", "a well-made plot"]


@pytest.fixture(scope="module")
def text_vectorizer():
    texts, _ = make_reviews(60)
    return nztext.make_vectorizer(texts, max_tokens=60, sequence_length=TEXT_LENGTH)


def text_classify(path, texts) -> list[dict]:
    """MediaPipe TextClassifier results on raw strings: {index: (score, label)} per string."""
    from mediapipe.tasks.python import text as mp_text

    options = mp_text.TextClassifierOptions(
        base_options=base_options.BaseOptions(model_asset_path=str(path)), max_results=-1
    )
    rows = []
    with mp_text.TextClassifier.create_from_options(options) as classifier:
        for sentence in texts:
            (head,) = classifier.classify(sentence).classifications
            rows.append({c.index: (c.score, c.category_name) for c in head.categories})
    return rows


@pytest.fixture(scope="module")
def id_echo(text_vectorizer, tmp_path_factory):
    """A file whose outputs are its input ids: MediaPipe's scores then show the ids its tokenizer fed."""
    inputs = keras.Input((TEXT_LENGTH,), name="ids")
    model = keras.Model(inputs, keras.layers.Activation("linear", name="echo")(inputs))
    path = tmp_path_factory.mktemp("echo") / "echo.tflite"
    report = to_tflite(model, path, vectorizer=text_vectorizer, sample_data=SAME, latency_runs=0)
    return path, report


def test_mediapipe_tokenizes_text_as_textvectorization(text_vectorizer, id_echo):
    path, report = id_echo
    assert report.verified and report.input_dtype == "int32" and report.signature["input"] == "tokens"
    spec = _text.check_vectorizer(text_vectorizer)
    reviews, _ = make_reviews(20, seed=3)
    texts = [*reviews, *SAME, *DIFFERENT]
    rows = text_classify(path, texts)
    fed = np.array([[row[i][0] for i in range(TEXT_LENGTH)] for row in rows]).astype("int32")
    np.testing.assert_array_equal(fed, _text.regex_tokenize(texts, spec))  # the rule as documented
    keras_ids = np.asarray(text_vectorizer(np.array(texts, dtype=object)))
    same = len(reviews) + len(SAME)
    np.testing.assert_array_equal(fed[:same], keras_ids[:same])
    assert all((fed[same:] != keras_ids[same:]).any(axis=1))  # the documented differences are real
    assert fed[len(reviews) + SAME.index("")].tolist() == [0] * TEXT_LENGTH  # "" -> padding only


def test_text_metadata_round_trips_and_matches_the_sidecar(text_vectorizer, id_echo):
    from ai_edge_litert.interpreter import Interpreter

    path, report = id_echo
    meta = read_metadata(path)
    side = json.loads(open(f"{path}.json", encoding="utf-8").read())
    assert _close(side["tflite_metadata"], meta), (side["tflite_metadata"], meta)
    (inp,), (out,) = meta["inputs"], meta["outputs"]
    spec = side["text"]
    assert inp["name"] == "tokens" and inp["content"] == "features" and inp["normalization"] is None
    assert inp["tokenizer"] == {"type": "regex", "delimiter": spec["delimiter"], "vocab_file": {
        "name": "vocab.txt", "description": _metadata.VOCAB_DESCRIPTION, "type": "VOCABULARY"}}
    assert inp["stats"] == {"min": [0.0], "max": [float(len(spec["vocabulary"]) - 1)]}
    assert out["tokenizer"] is None and out["name"] == "values"
    assert spec["vocabulary"] == text_vectorizer.get_vocabulary() and spec["sequence_length"] == TEXT_LENGTH
    assert all(d in inp["description"] for d in spec["differences"]) and len(spec["differences"]) == 2
    lines = _metadata.read_associated_files(path)["vocab.txt"].decode("utf-8").splitlines()
    pairs = [line.rsplit(" ", 1) for line in lines]
    assert pairs[:2] == [["<PAD>", "0"], ["<UNKNOWN>", "1"]]
    ids = {token: int(i) for token, i in pairs}
    for i, word in enumerate(spec["vocabulary"][2:], start=2):  # each word, and as Word and WORD
        assert ids[word] == ids[word.capitalize()] == ids[word.upper()] == i
    assert len(ids) == len(pairs)  # no spelling listed twice
    interpreter = Interpreter(model_path=str(path))
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": ["tokens"], "outputs": ["values"]}}
    assert interpreter.get_input_details()[0]["dtype"] == np.int32


def _vectorizer(**options):
    layer = keras.layers.TextVectorization(**{"max_tokens": 20, "output_sequence_length": TEXT_LENGTH, **options})
    layer.adapt(["a great film", "a dull <PAD> film"])
    return layer


def _ids_model(length=TEXT_LENGTH):
    return nnzoo.build("textcnn", (length,), vocab_size=20, filters=(2,), embedding_dim=2, task="binary")


TEXT_REFUSED = {
    "split": (lambda: (_ids_model(), _vectorizer(split="character")),
              r"only the whitespace split.*Received: split='character'"),
    "ngrams": (lambda: (_ids_model(), _vectorizer(ngrams=2)), r"without n-grams.*Received: output_mode='int', ngrams=2"),
    "no_length": (lambda: (_ids_model(), _vectorizer(output_sequence_length=None)),
                  r"fixed number of ids.*Received: output_sequence_length=None"),
    "callable": (lambda: (_ids_model(), _vectorizer(standardize=lambda x: x)),
                 r"cannot run this standardisation.*Received: standardize=<function"),
    "special_token": (lambda: (_ids_model(), _vectorizer(standardize=None)),
                      r"clash with MediaPipe's special tokens.*Received: tokens=\['<PAD>'\]"),
    "length": (lambda: (_ids_model(TEXT_LENGTH + 1), _vectorizer()),
               r"sequence length does not match.*Received: model_input_shape=\(13,\)"),
    "not_a_layer": (lambda: (_ids_model(), "not a layer"), r"adapted keras.layers.TextVectorization.*Received: vectorizer='str'"),
}


@pytest.mark.parametrize("case", list(TEXT_REFUSED))
def test_text_export_refuses_what_the_regex_tokenizer_cannot_say(case, tmp_path, monkeypatch):
    from nnzoo.export import _converter

    call, match = TEXT_REFUSED[case]
    model, vectorizer = call()
    monkeypatch.setattr(_converter, "convert", lambda *a, **k: pytest.fail("conversion started"))
    with pytest.raises((ValueError, TypeError), match=match):
        to_tflite(model, tmp_path / "text.tflite", vectorizer=vectorizer)
    assert list(tmp_path.iterdir()) == []


def test_text_export_refuses_camera_and_other_string_models(tmp_path):
    vec = _vectorizer()
    with pytest.raises(ValueError, match=r"camera and int8_io do not apply.*Received: camera=True"):
        to_tflite(_ids_model(), tmp_path / "t.tflite", vectorizer=vec, camera=True)
    inputs = keras.Input((), dtype="string")
    ids = vec(inputs)
    odd = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(2)(keras.ops.cast(ids, "float32"))))
    with pytest.raises(ValueError, match=r"TextVectorization followed by a token-id model.*Received: layers="):
        to_tflite(odd, tmp_path / "t.tflite")
