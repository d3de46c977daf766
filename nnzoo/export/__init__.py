"""Mobile export: a Keras model to a verified `.tflite` file in one call.

`to_tflite(model, "model.tflite")` converts with builtin ops only (recurrent
layers included), optionally quantizes (`"dynamic"`, `"float16"`, `"int8"`),
runs the written file in the LiteRT interpreter against the Keras model, and
returns an `ExportReport` (size, ops, max difference, class agreement,
latency). `TFLiteModel(path).predict(X)` runs an exported file on a batch of
any size. The file carries standard TFLite Metadata (labels, normalisation,
colour space), so MediaPipe Tasks run it as it is; `camera=True` makes an
image model take uint8 RGB camera frames.

TensorFlow and `ai_edge_litert` load only when these are called;
`ai-edge-litert` is the optional extra `nnzoo[litert]`.

Example:

>>> import nnzoo
>>> from nnzoo.export import to_tflite, TFLiteModel
>>> model = nnzoo.build("lstm", (10, 3), task="binary")
>>> report = to_tflite(model, "lstm.tflite")
>>> report.flex_ops
[]
>>> TFLiteModel("lstm.tflite").predict(X).shape
(100, 1)
"""

from __future__ import annotations

from nnzoo.export._report import ExportReport
from nnzoo.export._runtime import TFLiteModel
from nnzoo.export._tflite import to_tflite

__all__ = ["ExportReport", "TFLiteModel", "to_tflite"]
