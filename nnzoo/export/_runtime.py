"""Running and inspecting `.tflite` files with the LiteRT interpreter.

`TFLiteModel` runs an exported file from Python on a batch of any size, so
what ships can be tested; `list_ops` reads the op table straight from the
flatbuffer (no interpreter needed, so it works for files with Flex ops too).
Both import `ai_edge_litert` lazily.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np

from nnzoo._validation import fail, fail_type

SIDECAR_SUFFIX = ".json"


def sidecar_path(path: str | os.PathLike) -> str:
    """The JSON sidecar beside a `.tflite` file: `model.tflite` -> `model.tflite.json`."""
    return os.fspath(path) + SIDECAR_SUFFIX


def list_ops(content: bytes) -> list[str]:
    """Returns the sorted op names in a TFLite flatbuffer.

    Builtin ops appear by their schema name (`"FULLY_CONNECTED"`); custom ops
    by their custom code. Flex ops (TensorFlow ops run by the Flex delegate)
    are custom ops whose code starts with `"Flex"`, e.g. `"FlexCumprod"`.
    """
    from nnzoo.export._schema import model_schema

    schema = model_schema()
    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = schema.Model.GetRootAs(content, 0)
    ops = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = code.CustomCode()
            ops.add(custom.decode("utf-8", "replace") if custom else "CUSTOM")
        else:
            ops.add(names.get(builtin, f"BUILTIN_{builtin}"))
    return sorted(ops)


def flex_ops(ops: list[str]) -> list[str]:
    """The Flex (SELECT_TF_OPS) ops among `ops`."""
    return [op for op in ops if op.startswith("Flex")]


def read_sidecar(path: str | os.PathLike, content: bytes | None = None) -> dict | None:
    """Reads the JSON sidecar of a `.tflite` file; `None` if there is none.

    A sidecar records the sha256 of the file it describes. One that does not
    match the file (`content`, or the file read from `path`) describes
    another export: it is ignored with a warning, and `None` returned.
    """
    side = sidecar_path(path)
    if not os.path.isfile(side):
        return None
    with open(side, encoding="utf-8") as fh:
        doc = json.load(fh)
    digest = doc.get("sha256") if isinstance(doc, dict) else None
    if digest is not None:
        import hashlib
        import warnings

        if content is None:
            with open(path, "rb") as fh:
                content = fh.read()
        if hashlib.sha256(content).hexdigest() != digest:
            warnings.warn(f"Ignoring the sidecar {side}: it describes another version of {os.fspath(path)} "
                          "(its sha256 differs). Export the model again to write a matching pair.", UserWarning,
                          stacklevel=2)
            return None
    return doc


#: The FlatBuffers file identifier of a TFLite model, at bytes 4..8.
TFLITE_IDENTIFIER = b"TFL3"


def _check_tflite_bytes(content: bytes, path: str) -> None:
    """Refuses a file that is not a TFLite FlatBuffer before anything parses it."""
    if len(content) < 8 or content[4:8] != TFLITE_IDENTIFIER:
        head = content[:8]
        fail(
            "The file is not a TFLite model (no 'TFL3' FlatBuffers identifier at bytes 4-8)",
            "a .tflite file written by nnzoo.export.to_tflite or a TFLite converter",
            path=path,
            size_bytes=len(content),
            first_bytes=head,
        )


class TFLiteModel:
    """Runs an exported `.tflite` file from Python, on a batch of any size.

    Uses the LiteRT interpreter (`ai_edge_litert.interpreter.Interpreter`),
    the runtime apps ship. A file with a dynamic batch axis is resized to the
    batch; a file with a fixed batch (recurrent models exported with
    `recurrent="loop"`, or graphs that only lower with static shapes) is run
    chunk by chunk. Int8 input and output tensors are quantized and
    dequantized with the file's own scale and zero point, so `predict` takes
    and returns floats either way.

    The input and output tensors are found through the file's signature, by
    name (`signature_key`, `input_name`, `output_name`: `serving_default`,
    `"image"`, `"probabilities"` for an nnzoo image classifier), as an app's
    signature runner finds them; files without a signature use their only
    input and output.

    The JSON sidecar written by `to_tflite` (`model.tflite.json`), if present,
    is read into `metadata`; `class_names` comes from it.

    Args:
        path: A `.tflite` file.
        num_threads: Interpreter threads; `None` lets LiteRT choose.

    Raises:
        ValueError: If the file does not exist, is not a TFLite FlatBuffer
            (no `TFL3` identifier) or is damaged, or needs Flex ops (the
            LiteRT Python interpreter has no Flex delegate).
        ImportError: If `ai-edge-litert` is not installed
            (`pip install nnzoo[litert]`).

    Example:

    >>> from nnzoo.export import TFLiteModel
    >>> tfl = TFLiteModel("model.tflite")
    >>> probs = tfl.predict(X_test)          # any number of rows
    >>> tfl.class_names                      # from model.tflite.json
    ['cat', 'dog']
    """

    def __init__(self, path: str | os.PathLike, *, num_threads: int | None = None) -> None:
        if not isinstance(path, (str, os.PathLike)):
            fail_type("`path` must be a file path", "a path like 'model.tflite'", path=path)
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            fail("The TFLite file does not exist", "the path of an exported .tflite file", path=self.path)
        with open(self.path, "rb") as fh:
            self._content = fh.read()
        _check_tflite_bytes(self._content, self.path)
        try:
            self.ops = list_ops(self._content)
        except Exception as err:  # noqa: BLE001 - any parse failure means a damaged file
            fail(f"The TFLite file is damaged ({type(err).__name__}: {err})",
                 "a complete .tflite file; export it again", path=self.path, size_bytes=len(self._content))
        self.flex_ops = flex_ops(self.ops)
        if self.flex_ops:
            fail(
                "This file needs Flex (SELECT_TF_OPS) ops, which the LiteRT Python interpreter cannot run: "
                + ", ".join(self.flex_ops),
                "a file exported with builtins_only=True, or an app linked with the Flex delegate",
                path=self.path,
            )
        self.metadata = read_sidecar(self.path, self._content)
        interpreter_cls = _litert("interpreter").Interpreter
        try:
            self._interpreter = interpreter_cls(model_content=self._content, num_threads=num_threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as err:
            fail(f"The TFLite file is damaged ({' '.join(str(err).split())})", "a complete .tflite file; export it again",
                 path=self.path, size_bytes=len(self._content))
        self.signature_key, inputs, outputs = _signature_tensors(self._interpreter)
        if len(inputs) != 1 or len(outputs) != 1:
            fail(
                "TFLiteModel runs files with one input and one output",
                "a single-input, single-output model",
                inputs=len(inputs),
                outputs=len(outputs),
            )
        (self.input_name, self._in), = inputs.items()
        (self.output_name, self._out), = outputs.items()
        self._shape = tuple(int(d) for d in self._in["shape"])

    # ------------------------------------------------------------------ facts
    @property
    def input_shape(self) -> tuple:
        """Input shape with the batch axis; `None` marks a dynamic axis."""
        return tuple(None if d < 0 else int(d) for d in self._in["shape_signature"])

    @property
    def output_shape(self) -> tuple:
        """Output shape with the batch axis; `None` marks a dynamic axis."""
        return tuple(None if d < 0 else int(d) for d in self._out["shape_signature"])

    @property
    def input_dtype(self) -> str:
        return np.dtype(self._in["dtype"]).name

    @property
    def output_dtype(self) -> str:
        return np.dtype(self._out["dtype"]).name

    @property
    def input_quantization(self) -> tuple[float, int] | None:
        """`(scale, zero_point)` of an integer input tensor, else `None`."""
        return _quant(self._in)

    @property
    def output_quantization(self) -> tuple[float, int] | None:
        """`(scale, zero_point)` of an integer output tensor, else `None`."""
        return _quant(self._out)

    @property
    def class_names(self) -> list[str] | None:
        """Class names from the sidecar, if it has them."""
        return (self.metadata or {}).get("class_names")

    @property
    def size_bytes(self) -> int:
        return len(self._content)

    def __repr__(self) -> str:
        return (
            f"TFLiteModel({self.path!r}, input={self.input_shape} {self.input_dtype}, "
            f"output={self.output_shape} {self.output_dtype}, ops={len(self.ops)})"
        )

    # ------------------------------------------------------------- inference
    def predict(self, X, batch_size: int = 32) -> np.ndarray:
        """Runs the file on `X` and returns the outputs as floats.

        Args:
            X: Samples with the batch axis first, shape `(n, *input_shape)`.
                Floats are quantized for an int8 input; an int8 array is
                passed through as already quantized.
            batch_size: Rows per interpreter call when the file's batch axis
                is dynamic (a fixed-batch file runs its own batch size).

        Returns:
            A float32 array of shape `(n, *output_shape)`.

        Raises:
            ValueError: If `X` does not match the file's input shape, or
                `batch_size` is not a positive int.

        Example:

        >>> TFLiteModel("model.tflite").predict(X_test[:1000], batch_size=64).shape
        (1000, 10)
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            fail("`batch_size` must be a positive int", "an int >= 1", batch_size=batch_size)
        X = self._check_input(X)
        fixed = self.input_shape[0]
        step = int(fixed) if fixed is not None else int(batch_size)
        outs = []
        for start in range(0, len(X), step):
            chunk = X[start : start + step]
            n = len(chunk)
            if fixed is not None and n < fixed:  # pad the last chunk of a fixed-batch file
                pad = np.zeros((fixed - n, *chunk.shape[1:]), dtype=chunk.dtype)
                chunk = np.concatenate([chunk, pad])
            outs.append(self._invoke(chunk)[:n])
        if not outs:
            return np.zeros((0, *[d or 0 for d in self.output_shape[1:]]), dtype="float32")
        return np.concatenate(outs).astype("float32", copy=False)

    def _check_input(self, X) -> np.ndarray:
        X = np.asarray(X)
        expected = self.input_shape[1:]
        if X.ndim != len(expected) + 1 or any(e is not None and e != d for e, d in zip(expected, X.shape[1:])):
            shown = ", ".join("None" if d is None else str(d) for d in expected)
            fail("`X` does not match the TFLite file's input shape", f"an array of shape (n, {shown})", X_shape=X.shape)
        if X.dtype.kind not in "fiub":
            fail_type("`X` must be numeric", "a float array", X_dtype=str(X.dtype))
        return X

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        it = self._interpreter
        index = self._in["index"]
        self._resize(batch.shape)
        it.set_tensor(index, self._encode(batch))
        it.invoke()
        return self._decode(it.get_tensor(self._out["index"]))

    def _resize(self, shape: tuple) -> None:
        if self._shape != tuple(shape):
            self._interpreter.resize_tensor_input(self._in["index"], shape, strict=False)
            self._interpreter.allocate_tensors()
            self._shape = tuple(shape)

    def _encode(self, batch: np.ndarray) -> np.ndarray:
        dtype = np.dtype(self._in["dtype"])
        quant = self.input_quantization
        if quant is None or batch.dtype == dtype:
            return batch.astype(dtype, copy=False)
        scale, zero = quant
        info = np.iinfo(dtype)
        q = np.round(batch.astype("float64") / scale) + zero
        return np.clip(q, info.min, info.max).astype(dtype)

    def _decode(self, out: np.ndarray) -> np.ndarray:
        quant = self.output_quantization
        if quant is None:
            return np.array(out, dtype="float32")
        scale, zero = quant
        return ((out.astype("float32") - zero) * scale).astype("float32")

    def _latency_ms(self, sample: np.ndarray, runs: int) -> float:
        """Mean wall time in ms of set_tensor + invoke + get_tensor on `sample`.

        `sample` holds one sample with its batch axis, shape `(1, ...)`; one
        warm-up call runs first.
        """
        x = self._encode(np.asarray(sample))
        it = self._interpreter
        self._resize(x.shape)
        index, out = self._in["index"], self._out["index"]
        it.set_tensor(index, x)
        it.invoke()
        start = time.perf_counter()
        for _ in range(runs):
            it.set_tensor(index, x)
            it.invoke()
            it.get_tensor(out)
        return (time.perf_counter() - start) / runs * 1e3


def _signature_tensors(interpreter) -> tuple[str | None, dict, dict]:
    """`(signature key, {input name: details}, {output name: details})` of a file's one signature."""
    signatures = interpreter.get_signature_list()
    if len(signatures) == 1:
        key = next(iter(signatures))
        runner = interpreter.get_signature_runner(key)
        return key, runner.get_input_details(), runner.get_output_details()
    inputs = {d["name"]: d for d in interpreter.get_input_details()}
    outputs = {d["name"]: d for d in interpreter.get_output_details()}
    return None, inputs, outputs


def _quant(detail: dict[str, Any]) -> tuple[float, int] | None:
    if not np.issubdtype(np.dtype(detail["dtype"]), np.integer):
        return None
    scale, zero = detail.get("quantization", (0.0, 0))
    if not scale:
        return None
    return float(scale), int(zero)


def _litert(module: str):
    """Imports `ai_edge_litert.<module>`, with an install hint if it is missing."""
    import importlib

    try:
        return importlib.import_module(f"ai_edge_litert.{module}")
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "nnzoo.export runs and inspects .tflite files with LiteRT, from the `ai-edge-litert` "
            "package. Install it with `pip install nnzoo[litert]` (or `pip install ai-edge-litert`)."
        ) from exc
