"""The TFLite model schema (`schema.fbs`) as generated flatbuffers code, from one place.

Adding the TFLite Metadata to a converted file means editing its `Model`
flatbuffer: one more buffer and one more `metadata` entry. The generated
Python code for that schema (with its object API: `ModelT`, `BufferT`,
`MetadataT`) ships with `ai-edge-litert` as `ai_edge_litert.schema_py_generated`
and with TensorFlow as `tensorflow.lite.python.schema_py_generated`. Neither
is documented API, so this module is the only one that imports them, checks
that what nnzoo uses is there, and names the versions it was written
against. Tested in tests/test_mobile.py.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Where the generated schema lives, tried in order.
_CANDIDATES = ("ai_edge_litert.schema_py_generated", "tensorflow.lite.python.schema_py_generated")
#: What nnzoo uses from it.
_NEEDED = ("Model", "ModelT", "BufferT", "MetadataT", "BuiltinOperator")
#: Written against ai-edge-litert 2.x and TensorFlow 2.16 - 2.21.
TESTED = "ai-edge-litert 2.x, tensorflow 2.16-2.21"
#: The `Model` flatbuffer's file identifier.
MODEL_IDENTIFIER = b"TFL3"

_cached: ModuleType | None = None


def model_schema() -> ModuleType:
    """Returns the generated `schema.fbs` module (with its object API).

    Raises:
        ImportError: If neither `ai-edge-litert` nor TensorFlow provides a
            schema module with the classes nnzoo needs.
    """
    global _cached
    if _cached is not None:
        return _cached
    tried = []
    for name in _CANDIDATES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            tried.append(f"{name}: {exc}")
            continue
        missing = [attr for attr in _NEEDED if not hasattr(module, attr)]
        if missing:
            tried.append(f"{name}: lacks {', '.join(missing)}")
            continue
        _cached = module
        return module
    raise ImportError(
        "nnzoo.export reads and edits .tflite flatbuffers with the generated TFLite schema from "
        f"`ai-edge-litert` (or TensorFlow); none usable was found (tested with {TESTED}): "
        + "; ".join(tried)
        + ". Install it with `pip install nnzoo[litert]`."
    )
