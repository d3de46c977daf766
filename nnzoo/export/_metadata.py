"""TFLite Metadata inside the exported file, as mobile runtimes read it.

MediaPipe Tasks (and the Android Task Library before it) read a model's
inputs, normalisation and class labels from the file itself, never from a
sidecar. The format is the TFLite Metadata schema (`metadata_schema.fbs`,
file identifier `M001`): a `ModelMetadata` flatbuffer stored as one more
buffer of the `Model` flatbuffer, named by a `TFLITE_METADATA` entry of its
`metadata` list, with associated files (`labels.txt`) packed as a zip
appended to the file, which is how the TFLite metadata populator writes it.

The writer is nnzoo's own, with `flatbuffers.Builder` calls for the tables it
fills (about a tenth of the schema), because the generated module is 120 KB
and the packages that ship one are heavy (`mediapipe`, which pulls OpenCV)
or superseded and pinned (`tflite-support`, `protobuf<4`). The field slots
below are those of schema version 1.5.0; `min_parser_version` is 1.0.0, as
no field used here is newer. The tests read the files back with MediaPipe's
generated module and run them in MediaPipe's `ImageClassifier`.

`describe` builds one JSON-ready description; `embed` writes it into the
file and the sidecar stores the same dict, so both say the same thing.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import numpy as np

METADATA_NAME = "TFLITE_METADATA"
METADATA_IDENTIFIER = b"M001"
MIN_PARSER_VERSION = "1.0.0"
LABELS_FILE = "labels.txt"
VOCAB_DESCRIPTION = "Vocabulary: one 'token id' pair a line; <PAD> and <UNKNOWN> name the padding and OOV ids."

#: Enum values of metadata_schema.fbs.
COLOR_SPACES = {"RGB": 1, "GRAYSCALE": 2}
FILE_TYPES = {"DESCRIPTIONS": 1, "TENSOR_AXIS_LABELS": 2, "VOCABULARY": 5}
_FEATURE_PROPERTIES, _IMAGE_PROPERTIES = 1, 2  # ContentProperties union
_NORMALIZATION_OPTIONS, _REGEX_TOKENIZER_OPTIONS = 1, 6  # ProcessUnitOptions union

#: Keys a `metadata=` dict may hold.
MODEL_FIELDS = ("name", "description", "version", "author", "license")


def describe(
    *,
    model_name: str,
    info: dict[str, Any],
    input_name: str,
    input_kind: str,
    input_description: str,
    color_space: str | None,
    normalization: dict[str, list[float]] | None,
    input_range: tuple[list[float], list[float]] | None,
    output_name: str,
    output_description: str,
    output_range: tuple[list[float], list[float]] | None,
    class_names: list[str] | None,
    tokenizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Returns the JSON-ready description that `embed` writes (and the sidecar keeps).

    `info` holds the user's `metadata=` fields (`MODEL_FIELDS`); `input_range`
    and `output_range` are `(min, max)` lists per channel, stored as `Stats`.
    `tokenizer` (a text model's, `nnzoo.export._text.check_vectorizer`) becomes
    the input's `RegexTokenizerOptions` process unit, with its vocabulary file.
    """
    import nnzoo

    def stats(value):
        return None if value is None else {"min": [float(v) for v in value[0]], "max": [float(v) for v in value[1]]}

    files = []
    if class_names is not None:
        files.append({"name": LABELS_FILE, "description": "Class labels, one per output unit.", "type": "TENSOR_AXIS_LABELS"})
    return {
        "name": info.get("name") or model_name,
        "description": info.get("description") or f"{model_name}, exported by nnzoo.",
        "version": info.get("version"),
        "author": info.get("author") or f"nnzoo {nnzoo.__version__}",
        "license": info.get("license"),
        "min_parser_version": MIN_PARSER_VERSION,
        "inputs": [
            {
                "name": input_name,
                "description": input_description,
                "content": input_kind,
                "color_space": color_space,
                "normalization": normalization,
                "stats": stats(input_range),
                "tokenizer": None if tokenizer is None else {
                    "type": "regex",
                    "delimiter": tokenizer["delimiter"],
                    "vocab_file": {"name": tokenizer["vocabulary_file"], "description": VOCAB_DESCRIPTION,
                                   "type": "VOCABULARY"},
                },
                "associated_files": [],
            }
        ],
        "outputs": [
            {
                "name": output_name,
                "description": output_description,
                "content": "features",
                "color_space": None,
                "normalization": None,
                "stats": stats(output_range),
                "tokenizer": None,
                "associated_files": files,
            }
        ],
    }


def associated_files(class_names: list[str] | None, tokenizer: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The files packed into the `.tflite` beside the metadata: labels, and a text model's vocabulary."""
    from nnzoo.export import _text

    files = {}
    if class_names is not None:
        files[LABELS_FILE] = "".join(f"{name}\n" for name in class_names).encode("utf-8")
    if tokenizer is not None:
        files[tokenizer["vocabulary_file"]] = _text.vocab_file(tokenizer)
    return files


def metadata_flatbuffer(desc: dict[str, Any]) -> bytes:
    """Serializes a `describe` dict as a `ModelMetadata` flatbuffer (identifier `M001`)."""
    import flatbuffers

    b = flatbuffers.Builder(1024)

    def string(value):
        return None if value is None else b.CreateString(str(value))

    def offsets(items):
        b.StartVector(4, len(items), 4)
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        return b.EndVector()

    def floats(values):
        b.StartVector(4, len(values), 4)
        for value in reversed(values):
            b.PrependFloat32(float(value))
        return b.EndVector()

    def table(slots: int, fields) -> int:
        """fields: (slot, kind, value); values None or 0 are left out (the schema default)."""
        b.StartObject(slots)
        for slot, kind, value in fields:
            if value is None:
                continue
            if kind == "offset":
                b.PrependUOffsetTRelativeSlot(slot, value, 0)
            elif kind == "byte":
                b.PrependInt8Slot(slot, value, 0)
            elif kind == "ubyte":
                b.PrependUint8Slot(slot, value, 0)
        return b.EndObject()

    def files(items):
        tables = []
        for f in items:
            name, text = string(f["name"]), string(f.get("description"))
            tables.append(table(5, [(0, "offset", name), (1, "offset", text), (2, "byte", FILE_TYPES[f["type"]])]))
        return offsets(tables) if tables else None

    def unit(kind, options):
        return table(2, [(0, "ubyte", kind), (1, "offset", options)])  # ProcessUnit

    def tensor(t):
        name, text = string(t["name"]), string(t.get("description"))
        if t["content"] == "image":
            props = table(2, [(0, "byte", COLOR_SPACES[t["color_space"]])])  # ImageProperties
            kind = _IMAGE_PROPERTIES
        else:
            props = table(0, [])  # FeatureProperties
            kind = _FEATURE_PROPERTIES
        content = table(3, [(0, "ubyte", kind), (1, "offset", props)])
        units = []
        if t.get("normalization"):
            mean, std = floats(t["normalization"]["mean"]), floats(t["normalization"]["std"])
            options = table(2, [(0, "offset", mean), (1, "offset", std)])  # NormalizationOptions
            units.append(unit(_NORMALIZATION_OPTIONS, options))
        if t.get("tokenizer"):
            vocab = files([t["tokenizer"]["vocab_file"]])
            delimiter = string(t["tokenizer"]["delimiter"])
            options = table(2, [(0, "offset", delimiter), (1, "offset", vocab)])  # RegexTokenizerOptions
            units.append(unit(_REGEX_TOKENIZER_OPTIONS, options))
        units = offsets(units) if units else None
        stats = None
        if t.get("stats"):
            high, low = floats(t["stats"]["max"]), floats(t["stats"]["min"])
            stats = table(2, [(0, "offset", high), (1, "offset", low)])  # Stats: max, min
        attached = files(t.get("associated_files", []))
        return table(7, [(0, "offset", name), (1, "offset", text), (3, "offset", content), (4, "offset", units),
                         (5, "offset", stats), (6, "offset", attached)])

    inputs = offsets([tensor(t) for t in desc["inputs"]])
    outputs = offsets([tensor(t) for t in desc["outputs"]])
    subgraph = table(10, [(2, "offset", inputs), (3, "offset", outputs)])
    subgraphs = offsets([subgraph])
    fields = [string(desc.get(key)) for key in ("name", "description", "version", "author", "license", "min_parser_version")]
    name, text, version, author, licence, parser = fields
    root = table(8, [(0, "offset", name), (1, "offset", text), (2, "offset", version), (3, "offset", subgraphs),
                     (4, "offset", author), (5, "offset", licence), (7, "offset", parser)])
    b.Finish(root, file_identifier=METADATA_IDENTIFIER)
    return bytes(b.Output())


def embed(path: str, desc: dict[str, Any], files: dict[str, bytes]) -> int:
    """Writes the metadata (and associated files) into the `.tflite` at `path`, in place.

    Called on the export's temporary file, before verification and the
    rename, so a failure leaves any previous file as it was.

    Returns:
        The bytes the metadata and files added to the file.
    """
    import flatbuffers

    from nnzoo.export._schema import MODEL_IDENTIFIER, model_schema

    schema = model_schema()
    with open(path, "rb") as fh:
        content = fh.read()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(content, 0))
    if any(_name(m.name) == METADATA_NAME for m in (model.metadata or [])):
        raise RuntimeError(f"{path} already carries {METADATA_NAME}; nnzoo writes it once, on a fresh conversion")
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(metadata_flatbuffer(desc), dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    builder = flatbuffers.Builder(len(content) + len(buffer.data) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=MODEL_IDENTIFIER)
    out = io.BytesIO(bytes(builder.Output()))
    if files:
        out.seek(0, io.SEEK_END)
        # Stored, not deflated: the metadata extractor reads files in place.
        with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_STORED) as zf:
            for name, data in files.items():
                zf.writestr(name, data)
    data = out.getvalue()
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data) - len(content)


def read_associated_files(path: str) -> dict[str, bytes]:
    """Returns the files packed into a `.tflite` file (an empty dict if none)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    except zipfile.BadZipFile:
        return {}


def _name(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
