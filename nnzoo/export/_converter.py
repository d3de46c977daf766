"""The one place that touches the TFLite converter API.

`tf.lite.TFLiteConverter` is in maintenance mode: the TF 2.20 notes move
`tf.lite` to LiteRT. Every call to it lives here, so following that move is a
change to this file only.

The path is the one Keras itself takes (`keras.export.ExportArchive` ->
SavedModel in a temporary folder -> `TFLiteConverter.from_saved_model`),
with two differences from `model.export(format="litert")`:

- Flex (`SELECT_TF_OPS`) is off unless the caller allows it, so a file that
  would need the Flex delegate fails here, with the ops named, instead of
  failing later on the phone.
- The batch axis of the input signature is chosen: dynamic first, then a
  fixed batch of 1 (some graphs, such as `UpSampling2D` followed by `Conv2D`,
  or a recurrent loop, only lower to builtin ops with static shapes).

Nothing here writes to the destination path; it returns bytes.
"""

from __future__ import annotations

import functools
import re
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnzoo._validation import fail, message

#: Converter error lines that name the ops the builtins lack.
_SELECT_LINE = re.compile(r"TF Select ops:\s*(.+)")
_CUSTOM_LINE = re.compile(r"Custom ops:\s*(.+)")


@dataclass(frozen=True)
class Conversion:
    """What one successful conversion produced.

    Attributes:
        content: The `.tflite` flatbuffer.
        batch_size: The input signature's batch size; `None` is dynamic.
        failed_attempts: One line per attempt that failed before this one.
    """

    content: bytes
    batch_size: int | None
    failed_attempts: tuple[str, ...] = ()


def convert(
    model,
    *,
    quantize: str | None,
    representative_data: np.ndarray | None,
    builtins_only: bool,
    int8_io: bool,
    batch_sizes: Sequence[int | None] = (None, 1),
    input_name: str = "input",
    output_name: str | None = None,
) -> Conversion:
    """Converts a built, single-input Keras model to TFLite bytes.

    Attempts run in order: every batch size with builtin ops only, then (if
    `builtins_only` is False) every batch size with Flex allowed. The first
    success wins.

    Args:
        model: A built `keras.Model` with one input.
        quantize: `None`, `"dynamic"`, `"float16"` or `"int8"`.
        representative_data: Calibration samples for `"int8"`, shape
            `(n, *input_shape)`; fed one sample at a time.
        builtins_only: Refuse Flex (`SELECT_TF_OPS`) ops.
        int8_io: With `"int8"`, make the input and output tensors int8.
        batch_sizes: Batch sizes of the input signature to try.
        input_name: The signature's input name (`"image"`, `"features"`).
        output_name: The signature's output name (`"probabilities"`);
            `None` leaves TensorFlow's `output_0`.

    Returns:
        A `Conversion`.

    Raises:
        ValueError: If the model needs Flex ops and `builtins_only` is True
            (the message names them), or uses ops no TFLite runtime has.
        RuntimeError: If every attempt failed for another reason; the
            converter's own message is attached.
    """
    failed: list[tuple[int | None, bool, BaseException]] = []
    for flex in (False,) if builtins_only else (False, True):
        for batch in batch_sizes:
            try:
                content = _convert_once(model, batch, flex, quantize, representative_data, int8_io, input_name, output_name)
            except Exception as exc:  # the converter raises several types (ConverterError, ValueError, ...)
                failed.append((batch, flex, exc))
                continue
            notes = tuple(_attempt_line(b, f, e) for b, f, e in failed)
            return Conversion(content, batch, notes)

    # The last builtins-only attempt has the most static shapes, so its list of
    # missing ops is the honest one (a dynamic batch can make Conv2D look missing).
    builtin_errors = [str(e) for _, f, e in failed if not f]
    last_builtin = builtin_errors[-1] if builtin_errors else ""
    select_ops = _ops_in(_SELECT_LINE, last_builtin)
    custom_ops = _ops_in(_CUSTOM_LINE, str(failed[-1][2])) or _ops_in(_CUSTOM_LINE, last_builtin)
    if custom_ops:
        fail(
            "The model uses ops that neither the TFLite builtins nor Flex (SELECT_TF_OPS) provide: "
            + ", ".join(custom_ops),
            "a model built from layers TFLite supports",
            ops=custom_ops,
        )
    if builtins_only and select_ops:
        fail(
            "The model needs TensorFlow ops outside the TFLite builtins (Flex / SELECT_TF_OPS ops): "
            + ", ".join(select_ops)
            + ". An app can run such a file only with the Flex delegate linked in",
            "builtins_only=False to allow Flex ops, or a model without these ops",
            ops=select_ops,
        )
    last = failed[-1][2]
    raise RuntimeError(
        message(
            "TFLite conversion failed in every attempt ("
            + "; ".join(_attempt_line(b, f, e) for b, f, e in failed)
            + ")",
            "a model the TFLite converter supports; the converter's message is attached",
            error=_tail(str(last)),
        )
    ) from last


def _convert_once(model, batch, flex, quantize, representative_data, int8_io, input_name, output_name) -> bytes:
    import keras
    import tensorflow as tf

    shape = (batch, *tuple(model.inputs[0].shape)[1:])
    dtype = tf.as_dtype(str(model.inputs[0].dtype))  # float32, or uint8 for camera pixels
    if output_name is None:
        serve = functools.partial(model.__call__, training=False)
    else:

        def serve(x):
            return {output_name: model(x, training=False)}

    with tempfile.TemporaryDirectory(prefix="nnzoo_tflite_") as folder:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", serve, input_signature=[tf.TensorSpec(shape, dtype, name=input_name)])
        archive.write_out(folder, verbose=False)

        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if quantize == "int8" else tf.lite.OpsSet.TFLITE_BUILTINS]
        if flex:
            ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
        converter.target_spec.supported_ops = ops
        if quantize is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "float16":
            converter.target_spec.supported_types = [tf.float16]
        if quantize == "int8":
            samples = np.asarray(representative_data, dtype=dtype.as_numpy_dtype)

            def representative_dataset():
                for sample in samples:
                    yield [sample[None]]

            converter.representative_dataset = representative_dataset
            if int8_io:
                converter.inference_input_type = tf.int8
                converter.inference_output_type = tf.int8
        with warnings.catch_warnings():
            # "Statistics for quantized inputs were expected" is noise for float inputs.
            warnings.simplefilter("ignore", UserWarning)
            return bytes(converter.convert())


def _ops_in(pattern: re.Pattern, text: str) -> list[str]:
    names: list[str] = []
    for match in pattern.finditer(text):
        for name in match.group(1).split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return names


def _attempt_line(batch, flex, exc) -> str:
    where = "dynamic batch" if batch is None else f"batch {batch}"
    ops = "builtins + Flex" if flex else "builtins"
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return f"{where}, {ops}: {_tail(first, 160)}"


def _tail(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
