"""`to_tflite`: one call from a Keras model to a verified `.tflite` file.

What the call does, in order:

1. Checks every argument, cheaply, before any conversion work.
2. Prepares the model for builtin ops (recurrent layers, below).
3. Converts (`nnzoo.export._converter`, the only module that touches
   `tf.lite.TFLiteConverter`): dynamic batch first, then a fixed batch of 1.
4. Writes the bytes to a temporary file beside `path`, runs that file in the
   LiteRT interpreter (`ai_edge_litert`) on sample inputs, compares it with
   the Keras model, times it, writes the JSON sidecar (with the file's
   sha256) to a temporary too, and only then renames both into place,
   together (`nnzoo._io.atomic_paths`: if the second rename fails, the first
   is undone). An export that fails, is interrupted, or does not match the
   Keras model leaves any previous file and its sidecar byte-identical.

Recurrent layers (LSTM, GRU, SimpleRNN, Bidirectional)
-------------------------------------------------------
On Keras 3.15 / TF 2.21 the recurrence is a `tf.while_loop` over a
`TensorList`. Converted as it is, with a dynamic batch, it needs the Flex op
`FlexTensorListReserve` (what `model.export(format="litert")` produces, and
what the LiteRT interpreter refuses). Two ways give builtin ops only:

| `recurrent=` | how | file | batch | int8 |
|---|---|---|---|---|
| `"unroll"` | rebuild from the config with `unroll=True`, copy the weights | grows with timesteps (LSTM 64 units: 103 KB at 10 steps, 372 KB at 100) | any (resized) | yes |
| `"loop"` | keep the loop; export with a fixed batch of 1, so the TensorList has a static shape and lowers to a builtin `WHILE` | constant (80 KB) | 1 (`TFLiteModel` loops over rows) | no |

`"auto"` (default) unrolls when the number of timesteps is fixed and keeps
the loop when it is `None` (variable length, which only the loop supports).
Measured on a 2-core CPU: unrolled is faster for short sequences (0.018 vs
0.028 ms at 10 steps), the loop for long ones (0.20 vs 0.39 ms at 100 steps)
and converts faster (0.8 s vs 4.3 s at 100 steps). Full-integer calibration
of the `WHILE` form crashes the TensorFlow calibrator (segmentation fault)
on TF 2.21, so `quantize="int8"` requires the unrolled form.

TFLite's fused `UNIDIRECTIONAL_SEQUENCE_LSTM` is not produced (tensorflow#58668).
The converter fuses a function marked `api_implements="lstm_..."` (what
tf_keras's LSTM emits) only with a static batch: on TF 2.21 a tf_keras 2.21
LSTM fuses at `batch_size=1` and fails on `TensorListReserve` with a
dynamic batch. Re-expressing a Keras 3 LSTM's weights in such a
`tf.function(experimental_attributes=...)` was tried (batch 1): the
function is inlined into a `WHILE` loop (SavedModel and concrete-function
routes, with or without a registered second implementation); with
`_noinline` and constant weights the fusion pass fires but conversion fails
("'arith.constant' op failed to verify that all of {value, result} have
same type"); with variable weights, "ERROR_STATEFUL_PARTITIONED_CALL_IN_FINAL_IR".

A fixed batch of 1 through a concrete function (`from_concrete_functions`)
is *not* used: with Keras 3 variables it leaves `READ_VARIABLE` ops that
fail at invoke, or drops the weights altogether. The SavedModel route
freezes them.

Verification tolerances
-----------------------
The file passes if `max|tflite - keras| <= t * max(1, max|keras|)` over all
samples and outputs, with `t` = 1e-5 for float32, 1e-2 for float16 weights,
0.1 for dynamic range and 0.2 for full int8. Float32 files differ from Keras
only by summation order (XNNPACK kernels), about 1e-7 relative, so 1e-5 of
the output scale (absolute 1e-5 for outputs within [-1, 1], such as
probabilities) catches any real error without flagging large regression
outputs for rounding. The quantized bounds are sanity bounds measured on
the zoo's models (worst seen: 4e-4, 1.6e-2, 3.1e-2); the real quality
measures are `agreement` and, given `labels`, the accuracy of the file
against the float model. Pass `tolerance=` to set the absolute bound.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nnzoo._io import atomic_paths
from nnzoo._tasks import read_head
from nnzoo._options import QUANTIZE_MODES
from nnzoo._validation import check_bool, check_choice, check_float, check_int, fail, fail_type, message
from nnzoo.export import _camera, _converter, _metadata, _text
from nnzoo.export._report import ExportReport
from nnzoo.export._runtime import TFLiteModel, flex_ops, list_ops, sidecar_path

RECURRENT_MODES = ("auto", "unroll", "loop")
#: Verification tolerance per mode, times max(1, max|keras output|).
TOLERANCES = {None: 1e-5, "float16": 1e-2, "dynamic": 0.1, "int8": 0.2}
#: Samples generated for verification when none are given.
DEFAULT_SAMPLES = 16
#: Length used for a variable (None) axis in generated samples.
GENERATED_AXIS_LENGTH = 8
SIDECAR_FORMAT = "nnzoo.tflite-sidecar"


def to_tflite(
    model,
    path: str | os.PathLike,
    quantize: str | None = None,
    representative_data=None,
    *,
    verify: bool = True,
    builtins_only: bool = True,
    labels=None,
    class_names: Sequence[str] | None = None,
    sample_data=None,
    int8_io: bool = False,
    input_normalization: Mapping[str, Any] | None = None,
    recurrent: str = "auto",
    tolerance: float | None = None,
    latency_runs: int = 10,
    sidecar: bool = True,
    metadata: bool | Mapping[str, str] = True,
    camera: bool = False,
    input_range: Sequence[float] | None = None,
    vectorizer=None,
) -> ExportReport:
    """Exports a Keras model to a verified `.tflite` file and reports on it.

    The file is written to a temporary path beside `path`, run in the LiteRT
    interpreter and compared with the Keras model, and renamed into place
    only then: a failed or interrupted export never leaves a broken file and
    never replaces a good one. Recurrent models (LSTM, GRU, SimpleRNN,
    bidirectional) export with builtin ops only (see `recurrent`).

    A JSON sidecar, `<path>.json` (e.g. `model.tflite.json`), is written
    with the file (atomically). It holds what an app needs and the flatbuffer
    does not: `class_names`, the input's expected form (`input.normalization`
    as given, plus any preprocessing that runs inside the file, such as the
    VGG16 transfer model's, whose file takes raw RGB in [0, 255]), the
    input/output quantization, the ops, and the verification result.

    The same facts go into the file itself as standard TFLite Metadata
    (`metadata=True`, the default), which mobile runtimes read: MediaPipe
    Tasks' `ImageClassifier` takes the input's colour space and
    `NormalizationOptions`, and the class labels (a `labels.txt` packed into
    the file), from it. The sidecar's `tflite_metadata` holds what was
    embedded. The signature names its tensors: `image` (an input of shape
    `(height, width, 1 or 3)`) or `features` in; `probabilities` (softmax or
    sigmoid), `scores` (other classifier outputs) or `values` out.

    For an image model, MediaPipe feeds pixels in [0, 255]; the metadata's
    `NormalizationOptions` say how they become the model's input: from
    `input_range` (the range the model was trained on: pixel 0 -> low, 255
    -> high), else `[0, 255]` for a model with preprocessing inside (VGG16),
    else `input_normalization`'s `mean`/`std` or `scale`/`offset` taken as
    applying to pixels. Without any of these a float image file carries no
    normalisation (a note says so), and MediaPipe refuses it.

    A model on the JAX or PyTorch backend exports too: it is saved to a
    temporary `.keras` file, converted under TensorFlow in a child process
    (loaded in safe mode), and the file is verified here against the
    original model's outputs before the rename (`nnzoo.export._backend`).

    Args:
        model: A built, single-input, single-output `keras.Model`.
        path: Destination; must end in `.tflite`. Folders are created.
        quantize: `None` (float32), `"dynamic"` (int8 weights, float
            activations), `"float16"` (float16 weights) or `"int8"` (full
            integer; needs `representative_data`).
        representative_data: Calibration samples for `"int8"`, shape
            `(n, *input_shape)`; a few hundred typical inputs are plenty.
            Also used as verification samples when `sample_data` is None.
        verify: Run the written file on samples and compare it with the
            model (and time it) before it is renamed into place.
        builtins_only: Refuse files that need Flex (SELECT_TF_OPS) ops. If
            False, Flex ops are allowed; such a file cannot be verified here
            (the LiteRT Python interpreter has no Flex delegate), which the
            report states.
        labels: Targets for `sample_data` (or for `representative_data` when
            `sample_data` is None); the report then gives the accuracy (MAE
            for non-classifiers) of the file beside the Keras model's.
        class_names: Class names for the sidecar: one per output unit (two
            for a single sigmoid unit).
        sample_data: Inputs to verify on, shape `(n, *input_shape)`.
            Default: the first 16 of `representative_data`, else 16 generated
            samples (standard normal, or uniform in [0, 255] for a model
            with VGG16 preprocessing inside).
        int8_io: With `quantize="int8"`, make the input and output tensors
            int8 too (fully integer). `TFLiteModel` quantizes and dequantizes
            for you; apps use the scale and zero point in the sidecar.
        input_normalization: What an app must do to raw inputs before
            feeding the file, stored in the sidecar as given, e.g.
            `{"mean": [0.5], "std": [0.25]}` or `{"scale": 1 / 255}`. Must be
            JSON-serializable.
        recurrent: `"auto"`, `"unroll"` or `"loop"`; how recurrent layers
            become builtin ops (the module docstring has the trade-off).
        tolerance: Absolute bound on `max|tflite - keras|`; default depends
            on `quantize` (float32: 1e-5 x max(1, max|output|)).
        latency_runs: Invocations per latency measurement; 0 skips timing.
        sidecar: Write the JSON sidecar (an old nnzoo sidecar is removed if
            False, so it cannot describe the wrong file).
        metadata: Embed TFLite Metadata (True), not (False), or a dict of
            model fields to embed: `name`, `description`, `version`,
            `author` (default `nnzoo <version>`), `license`.
        camera: For an image model (input `(height, width, 1 or 3)`), export
            a file that takes camera frames: `(height, width, 3)` uint8 RGB
            pixels, scaled to `input_range` (and converted to grayscale for
            a one-channel model) inside the file, with standard layers
            (`Rescaling`, a fixed 1x1 `Conv2D`). `sample_data`,
            `representative_data` and `labels` stay in the model's own
            input space; the file is verified against the model with the
            conversion in front, on the samples turned into pixels.
        input_range: `(low, high)`, the range of the model's input values
            in training (the digits CNN: `(0, 1)`), for the metadata's
            normalisation and value range, and for `camera`. With `camera`
            and no range: `(0, 255)` for a model with preprocessing inside,
            else the min and max of `representative_data` or `sample_data`.
        vectorizer: For a text model on token ids, the adapted
            `TextVectorization` it was trained with (`nnzoo.text.make_vectorizer`).
            The file then takes int32 ids (signature input `tokens`) and its
            metadata carries the vocabulary (`vocab.txt`, type `VOCABULARY`)
            and MediaPipe's regex tokenizer (`RegexTokenizerOptions`), so
            MediaPipe's `TextClassifier` classifies raw strings with it;
            `sample_data` and `representative_data` may then be raw texts.
            A model on strings (`nnzoo.text.string_model`) is split into its
            vectorizer and id model the same way. The sidecar's `text` says
            where the file's rule differs from Keras's (`nnzoo.export._text`).

    Returns:
        An `ExportReport`: file size, ops and Flex ops, verification
        (max difference, tolerance met, class agreement, accuracy on
        labels) and single-sample latency of the interpreter beside
        `model(x)` and `model.predict(x)`.

    Raises:
        ValueError: Before any conversion, for a path not ending in
            `.tflite`, an unknown `quantize` or `recurrent` mode, `"int8"`
            without `representative_data`, data of the wrong shape, labels
            or class names that do not fit, `int8_io` without `"int8"`, or a
            model that is not built. For the metadata and camera input:
            class names for an output that is not a vector (metadata
            labels an axis), a normalisation whose `mean`/`std` length
            differs from the channels, unknown `metadata` fields,
            `camera=True` for a model whose input is not an image, or with
            no range to scale pixels to. For a text model: a vectorizer
            option the regex tokenizer cannot express (another split,
            n-grams, no fixed sequence length, a callable), a vectorizer that
            does not fit the model, or `camera` / `int8_io` with it. After conversion, if the model needs
            Flex ops and `builtins_only` is True (the message names them).
        TypeError: For a `model` that is not a `keras.Model`, or an argument
            of the wrong type.
        RuntimeError: If the written file does not match the Keras model
            within the tolerance (nothing is renamed into place), or the
            converter fails for another reason.
        ImportError: If `ai-edge-litert` is missing (`pip install nnzoo[litert]`).

    Example:

    >>> import nnzoo
    >>> from nnzoo.export import to_tflite, TFLiteModel
    >>> model = nnzoo.build("cnn_small", (8, 8, 1), num_classes=10)
    >>> report = to_tflite(model, "digits.tflite", class_names=[str(i) for i in range(10)])
    >>> print(report)            # size, ops, max difference, latency
    >>> report = to_tflite(model, "digits_int8.tflite", "int8", representative_data=X_train[:200],
    ...                    sample_data=X_test, labels=y_test)
    >>> report.metric_drop       # accuracy points lost to int8
    >>> TFLiteModel("digits_int8.tflite").predict(X_test).argmax(-1)
    """
    started = time.perf_counter()
    keras = _keras()
    model, vectorizer = _split_string_model(keras, model, vectorizer)
    _check_model(keras, model)
    path = _check_path(path)
    if quantize is not None and not isinstance(quantize, str):
        fail_type("`quantize` must be None or a string", "None, 'dynamic', 'float16' or 'int8'", quantize=quantize)
    quantize = check_choice("quantize", quantize, QUANTIZE_MODES)
    for flag, value in (
        ("verify", verify), ("builtins_only", builtins_only), ("int8_io", int8_io), ("sidecar", sidecar)
    ):
        check_bool(flag, value)
    if int8_io and quantize != "int8":
        fail("`int8_io=True` needs full-integer quantization", "quantize='int8'", int8_io=int8_io, quantize=quantize)
    recurrent = check_choice("recurrent", recurrent, RECURRENT_MODES)
    if tolerance is not None:
        tolerance = check_float("tolerance", tolerance, low=0.0, low_inclusive=False)
    latency_runs = check_int("latency_runs", latency_runs, minimum=0)
    info = _check_metadata(metadata)
    check_bool("camera", camera)
    input_range = _check_range(input_range)

    in_shape = tuple(model.inputs[0].shape)[1:]
    out_shape = tuple(model.outputs[0].shape)[1:]
    activation = read_head(model).activation
    text_spec = None
    if vectorizer is not None:
        text_spec = _check_text(keras, model, vectorizer, in_shape, camera, int8_io)
        representative_data, sample_data = (
            _text_ids(vectorizer, value) for value in (representative_data, sample_data)
        )
    rep = None if representative_data is None else _check_samples("representative_data", representative_data, in_shape)
    if quantize == "int8" and rep is None:
        fail(
            "Full-integer quantization (quantize='int8') needs `representative_data` to calibrate activation ranges",
            "representative_data=X_train[:200] (typical inputs, shape (n, "
            + ", ".join(map(str, in_shape))
            + "))",
            representative_data=None,
        )
    samples = None if sample_data is None else _check_samples("sample_data", sample_data, in_shape)
    if labels is not None:
        labeled = samples if samples is not None else rep
        if labeled is None:
            fail(
                "`labels` need the inputs they belong to",
                "sample_data=X with labels=y (or representative_data=X when sample_data is None)",
                labels_shape=np.shape(labels),
            )
        labels = _check_labels(labels, len(labeled), out_shape, activation)
        samples = labeled
    class_names = _check_class_names(class_names, out_shape)
    normalization = _check_normalization(input_normalization)
    image = _camera.is_image_shape(in_shape)
    if info is not None and class_names is not None and len(out_shape) != 1:
        fail(
            "TFLite Metadata labels the class axis of a vector output; this model's output is not a vector",
            "class_names only for an output of shape (batch, classes), or metadata=False",
            output_shape=out_shape,
        )
    preprocessing = _preprocessing_inside(keras, model)
    if camera:
        input_range = _camera_range(in_shape, int8_io, input_range, preprocessing, rep, samples)
    norm_options = _normalization_options(image and not camera, in_shape, normalization, input_range, preprocessing)
    if keras.backend.backend() != "tensorflow":
        if text_spec is not None:
            fail(
                "A text model's file with its tokenizer is exported on the TensorFlow backend only",
                "save the string model (nnzoo.text.string_model) as .keras and export it in a process with "
                "KERAS_BACKEND=tensorflow",
                backend=keras.backend.backend(),
            )
        options = dict(
            quantize=quantize, representative_data=rep, verify=verify, builtins_only=builtins_only, labels=labels,
            class_names=class_names, sample_data=samples, int8_io=int8_io, input_normalization=normalization,
            recurrent=recurrent, tolerance=tolerance, latency_runs=latency_runs, sidecar=sidecar,
            metadata=False if info is None else info, camera=camera, input_range=input_range,
        )
        return _export_elsewhere(keras, model, path, options, preprocessing, in_shape, activation, started)

    export_model, batch_sizes, notes = _prepare_recurrent(keras, model, recurrent, quantize, in_shape)
    if info is not None and normalization and normalization.get("one_hot"):
        notes.append("no NormalizationOptions in the metadata: the input's one-hot encoding is only in the sidecar")
    if samples is None:
        if rep is not None:
            samples = rep[:DEFAULT_SAMPLES]
        elif text_spec is not None:
            samples = np.random.default_rng(0).integers(0, len(text_spec["vocabulary"]), (DEFAULT_SAMPLES, *in_shape))
            samples = samples.astype("float32")
        else:
            samples = _generated_samples(in_shape, preprocessing)
            if None in in_shape:
                notes.append(f"generated samples use length {GENERATED_AXIS_LENGTH} for the variable axis")
    reference = model
    if camera:  # the file takes pixels; it is checked against the model with the same conversion in front
        export_model = reference = _camera.camera_model(keras, export_model, *input_range)
        samples = _camera.to_pixels(samples, *input_range)
        rep = None if rep is None else _camera.to_pixels(rep, *input_range)
        notes.append(
            f"camera input: uint8 RGB pixels scaled to [{input_range[0]:g}, {input_range[1]:g}]"
            + (" and converted to grayscale" if in_shape[-1] == 1 else "")
            + " inside the file; verified on the samples as pixels"
        )
    elif text_spec is not None:  # the file takes int32 ids; checked against the model on the same ids
        export_model = _text_model(keras, export_model)
        notes.extend(f"text: the file's tokenizer differs from Keras's for {d}" for d in text_spec["differences"])
    elif info is not None and image and norm_options is None:
        notes.append(
            "no NormalizationOptions in the metadata (no input_range, input_normalization or preprocessing "
            "inside): MediaPipe's ImageClassifier refuses a float image input without them"
        )
    names = {"input": "tokens" if text_spec else "image" if image else "features",
             "output": _output_name(activation, class_names)}

    conversion = _converter.convert(
        export_model,
        quantize=quantize,
        representative_data=rep,
        builtins_only=builtins_only,
        int8_io=int8_io,
        batch_sizes=batch_sizes,
        input_name=names["input"],
        output_name=names["output"],
    )
    if conversion.batch_size == 1 and batch_sizes[0] is None:
        notes.append("exported with a fixed batch of 1 (no builtin form with a dynamic batch); TFLiteModel runs rows one by one")
    ops = list_ops(conversion.content)
    flex = flex_ops(ops)

    check: dict[str, Any] = {}
    desc, metadata_size = None, 0
    side = sidecar_path(path) if sidecar else None
    # The file and its sidecar are written to temporaries and renamed together
    # (`atomic_paths` puts the first back if the second rename fails); the
    # sidecar also records the file's sha256, so a reader can tell a pair that
    # a crash between the two renames left mismatched.
    with atomic_paths(path, *([side] if side else [])) as tmps:
        tmp = tmps[0]
        with open(tmp, "wb") as fh:
            fh.write(conversion.content)
        if info is not None:
            io_facts = None if flex else TFLiteModel(tmp)
            desc = _describe(
                model, info, names, image, camera, in_shape, out_shape, norm_options, input_range, preprocessing,
                activation, class_names, io_facts, text_spec,
            )
            metadata_size = _write_metadata(tmp, desc, _axis_labels(class_names, out_shape), text_spec)
        tfl = None if flex else TFLiteModel(tmp)
        if flex:
            verification = (
                "skipped: the file needs Flex ops (" + ", ".join(flex) + "), which the LiteRT Python "
                "interpreter cannot run; an app must link the Flex delegate"
            )
            notes.append("Flex ops allowed by builtins_only=False")
            if verify:
                warnings.warn(
                    f"{path} was written but not verified: it needs Flex ops ({', '.join(flex)}), which the "
                    "LiteRT Python interpreter cannot run. Test it in an app linked with the Flex delegate.",
                    UserWarning,
                    stacklevel=2,
                )
        elif not verify:
            verification = "skipped: verify=False"
        else:
            check = _verify(reference, tfl, samples, labels, quantize, tolerance, activation)
            verification = "passed"
            if latency_runs:
                check["latency_ms"] = _latencies(reference, tfl, samples[:1], latency_runs)
        if side is not None:
            with open(tmp, "rb") as fh:
                written = fh.read()
            doc = _sidecar(
                model, path, tfl, conversion, written, quantize, int8_io, in_shape, out_shape, activation,
                class_names, normalization, preprocessing, ops, flex, verification, check,
            )
            doc["signature"] = _signature(tfl, names)
            doc["camera"] = camera
            doc["text"] = text_spec
            if text_spec is not None:
                doc["input"]["feed"] = (f"token ids of {vectorizer.name} (sidecar `text`; the file's "
                                        "RegexTokenizerOptions and vocab.txt say the same)")
            doc["tflite_metadata"] = desc
            with open(tmps[1], "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
                fh.write("\n")
    if not sidecar:
        _remove_stale_sidecar(path, notes)

    return ExportReport(
        path=path,
        sidecar_path=side,
        file_size_bytes=len(conversion.content) + metadata_size,
        quantize=quantize,
        int8_io=int8_io,
        batch_size=conversion.batch_size,
        ops=ops,
        flex_ops=flex,
        input_shape=tfl.input_shape if tfl else (conversion.batch_size, *in_shape),
        input_dtype=tfl.input_dtype if tfl else ("int8" if int8_io else "float32"),
        output_shape=tfl.output_shape if tfl else (conversion.batch_size, *out_shape),
        output_dtype=tfl.output_dtype if tfl else ("int8" if int8_io else "float32"),
        verified=verification == "passed",
        verification=verification,
        num_samples=check.get("num_samples", 0),
        max_abs_diff=check.get("max_abs_diff"),
        output_scale=check.get("output_scale"),
        tolerance=check.get("tolerance"),
        tolerance_rule=check.get("tolerance_rule", ""),
        agreement=check.get("agreement"),
        agreement_rule=check.get("agreement_rule"),
        metric=check.get("metric"),
        keras_metric=check.get("keras_metric"),
        tflite_metric=check.get("tflite_metric"),
        latency_ms=check.get("latency_ms", {}),
        signature=_signature(tfl, names),
        metadata_size_bytes=metadata_size,
        camera=camera,
        notes=notes,
        seconds=time.perf_counter() - started,
    )


def _export_elsewhere(keras, model, path, options, preprocessing, in_shape, activation, started) -> ExportReport:
    """A JAX / PyTorch model: converted under TensorFlow in a child process (`_backend`), verified here."""
    import dataclasses

    from nnzoo.export import _backend

    samples = options["sample_data"]
    if samples is None:
        rep = options["representative_data"]
        samples = rep[:DEFAULT_SAMPLES] if rep is not None else _generated_samples(in_shape, preprocessing)
        options["sample_data"] = samples
    reference, file_samples = model, samples
    if options["camera"]:
        reference = _camera.camera_model(keras, model, *options["input_range"])
        file_samples = _camera.to_pixels(samples, *options["input_range"])
    verify_args = (options["labels"], options["quantize"], options["tolerance"], activation)
    done = _backend.export_in_tensorflow(model, path, options, reference, file_samples, verify_args)
    fields = {f.name for f in dataclasses.fields(ExportReport)}
    data = {k: v for k, v in done["report"].items() if k in fields}
    data["input_shape"], data["output_shape"] = tuple(data["input_shape"]), tuple(data["output_shape"])
    data["path"] = path
    data["sidecar_path"] = sidecar_path(path) if options["sidecar"] else None
    check = done["check"]
    if check:
        for key in ("max_abs_diff", "tolerance", "agreement", "keras_metric", "tflite_metric"):
            if key in check:
                data[key] = check[key]
    backend = keras.backend.backend()
    data["notes"] = [
        *data["notes"],
        f"trained on the {backend} backend: converted under TensorFlow in a child process from a .keras file "
        f"(safe mode)" + (f", then verified against the original {backend} model" if check else ""),
    ]
    data["seconds"] = time.perf_counter() - started
    if not options["sidecar"]:
        _remove_stale_sidecar(path, data["notes"])
    return ExportReport(**data)


# ---------------------------------------------------------------- validation
def _keras():
    import keras

    return keras


def _check_model(keras, model) -> None:
    if not isinstance(model, keras.Model):
        fail_type("`model` must be a keras.Model", "a model from nnzoo.build(...) or any built keras.Model", model=type(model).__name__)
    inputs = getattr(model, "inputs", None) if model.built else None
    if not inputs:
        fail(
            "The model is not built, so its input shape is unknown",
            "a built model: a Functional or Sequential model with an Input "
            "(nnzoo builders return one), or call `model.build(input_shape)` first",
            model=model.name,
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        fail(
            "to_tflite exports models with one input and one output",
            "a single-input, single-output model",
            inputs=len(model.inputs),
            outputs=len(model.outputs),
        )
    dtype = str(getattr(model.inputs[0], "dtype", "float32"))
    if "float" not in dtype:
        fail("to_tflite exports models with a float input", "an input of dtype float32", input_dtype=dtype)


def _check_text(keras, model, vectorizer, in_shape, camera, int8_io) -> dict[str, Any]:
    """The text model's tokenizer (`_text.check_vectorizer`), checked against the model."""
    from nnzoo.text import _check_pair

    spec = _text.check_vectorizer(vectorizer)
    _check_pair(model, vectorizer)
    if in_shape != (spec["sequence_length"],):
        fail("A text model's file takes a fixed number of ids: the vectorizer's sequence length",
             f"a model on ({spec['sequence_length']},) token ids", model_input_shape=in_shape)
    if camera or int8_io:
        fail("camera and int8_io do not apply to a text model's token ids", "camera=False, int8_io=False",
             camera=camera, int8_io=int8_io)
    return spec


def _text_ids(vectorizer, value):
    """Raw texts as the vectorizer's ids (float32, as the model takes them); arrays of ids as they are."""
    if value is None:
        return None
    try:
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    except ValueError:  # ragged: `_check_samples` says so
        return value
    if arr.dtype.kind in "OUS":
        from nnzoo.text import _check_texts

        return np.asarray(vectorizer(np.asarray(_check_texts(arr, "texts"), dtype=object))).astype("float32")
    return value


def _check_path(path) -> str:
    from nnzoo._validation import check_output_path

    if not isinstance(path, (str, os.PathLike)):
        fail_type("`path` must be a file path", "a path like 'model.tflite'", path=path)
    path = os.fspath(path)
    if not path.endswith(".tflite"):
        fail("The TFLite path must end in `.tflite`", "a path like 'model.tflite'", path=path)
    if os.path.isdir(path):
        fail("The TFLite path is a folder", "a file path like 'out/model.tflite'", path=path)
    return check_output_path(path, suffix=".tflite")  # before the conversion: a file as parent, no write access


def _check_samples(name: str, value, in_shape: tuple) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception:  # ragged lists and the like
        fail_type(f"`{name}` must be an array", f"a float array of shape (n, {_dims(in_shape)})", **{name: type(value).__name__})
    if arr.dtype.kind not in "fiub":
        fail_type(f"`{name}` must be numeric", f"a float array of shape (n, {_dims(in_shape)})", **{f"{name}_dtype": str(arr.dtype)})
    if arr.ndim != len(in_shape) + 1 or any(e is not None and e != d for e, d in zip(in_shape, arr.shape[1:])):
        fail(
            f"`{name}` does not match the model's input shape (samples first, then the input shape)",
            f"an array of shape (n, {_dims(in_shape)})",
            **{f"{name}_shape": arr.shape},
        )
    if len(arr) == 0:
        fail(f"`{name}` is empty", "at least one sample", **{f"{name}_shape": arr.shape})
    arr = arr.astype("float32", copy=False)
    if not np.all(np.isfinite(arr)):
        fail(f"`{name}` holds NaN or infinite values", "finite numbers", **{f"{name}_shape": arr.shape})
    return arr


def _check_labels(labels, n: int, out_shape: tuple, activation: str | None) -> np.ndarray:
    y = np.asarray(labels)
    if y.dtype.kind not in "fiub":
        fail_type("`labels` must be numeric", "class indices, one-hot rows or targets", labels_dtype=str(y.dtype))
    if y.ndim == 0 or len(y) != n:
        fail("`labels` must have one row per sample", f"{n} rows", labels_shape=y.shape)
    full = (n, *out_shape)
    if activation == "softmax":
        ok = y.shape == full or y.shape == full[:-1] or (len(out_shape) == 1 and y.shape == (n, 1))
    else:
        ok = y.size == math.prod(d for d in full if d is not None) if None not in out_shape else True
    if not ok:
        fail("`labels` do not fit the model's output", f"labels of shape {full[:-1]} (class indices) or {full}", labels_shape=y.shape)
    return y


def _check_class_names(class_names, out_shape: tuple) -> list[str] | None:
    if class_names is None:
        return None
    if isinstance(class_names, (str, bytes)) or not hasattr(class_names, "__iter__"):
        fail_type("`class_names` must be a list of strings", "e.g. ['cat', 'dog']", class_names=class_names)
    names = list(class_names)
    if not all(isinstance(c, str) for c in names):
        fail_type("`class_names` must hold strings only", "e.g. ['cat', 'dog']", class_names=class_names)
    units = out_shape[-1] if out_shape else None
    if units is not None and len(names) != units and not (units == 1 and len(names) == 2):
        fail(
            "`class_names` does not fit the model's output",
            f"{units} names (one per output unit)" + (", or 2 for a single sigmoid unit" if units == 1 else ""),
            class_names=names,
        )
    return names


def _check_normalization(value) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        fail_type("`input_normalization` must be a dict", "e.g. {'mean': [0.5], 'std': [0.25]}", input_normalization=value)
    try:
        return json.loads(json.dumps(dict(value)))  # a JSON-clean copy; the caller's dict is untouched
    except (TypeError, ValueError):
        fail_type(
            "`input_normalization` must be JSON-serializable",
            "plain numbers, strings and lists, e.g. {'scale': 1 / 255}",
            input_normalization=value,
        )


def _check_metadata(value) -> dict[str, str] | None:
    """`metadata=` as the model fields to embed, or None for no metadata."""
    if isinstance(value, bool):
        return {} if value else None
    if not isinstance(value, Mapping):
        fail_type("`metadata` must be a bool or a dict", "True, False or e.g. {'description': '...', 'version': '1'}", metadata=value)
    unknown = [k for k in value if k not in _metadata.MODEL_FIELDS]
    if unknown:
        fail("Unknown `metadata` fields", "keys among " + ", ".join(_metadata.MODEL_FIELDS), metadata=dict(value))
    if not all(isinstance(v, str) for v in value.values()):
        fail_type("`metadata` values must be strings", "e.g. {'version': '1.0'}", metadata=dict(value))
    return dict(value)


def _check_range(value) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        fail_type("`input_range` must be two numbers", "(low, high), e.g. (0, 1)", input_range=value)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        fail("`input_range` must be finite with low < high", "(low, high), e.g. (0, 1)", input_range=value)
    return low, high


def _camera_range(in_shape, int8_io, input_range, preprocessing, rep, samples) -> tuple[float, float]:
    """The model-space range camera pixels [0, 255] map to (checks `camera=True` first)."""
    if not _camera.is_image_shape(in_shape):
        fail(
            "camera=True needs an image model: camera frames are (height, width, 3) pixels",
            "a model whose input shape is (height, width, 1) or (height, width, 3)",
            input_shape=in_shape,
        )
    if int8_io:
        fail("camera=True takes uint8 pixels, so int8 input tensors do not apply", "int8_io=False", int8_io=int8_io)
    if input_range is not None:
        return input_range
    if _inside_range(preprocessing) is not None:
        return _inside_range(preprocessing)
    data = rep if rep is not None else samples
    if data is not None and float(data.max()) > float(data.min()):
        return float(data.min()), float(data.max())
    fail(
        "camera=True needs the range the model was trained on, to scale pixels [0, 255] to it",
        "input_range=(low, high), e.g. (0, 1) for the digits CNN, or representative_data / sample_data to take it from",
        input_range=None,
    )


def _normalization_options(image, in_shape, normalization, input_range, preprocessing) -> dict | None:
    """The metadata's NormalizationOptions ((x - mean) / std per channel) for a float input, or None.

    For an image input the raw values are pixels in [0, 255], as MediaPipe feeds them.
    """
    channels = in_shape[-1] if in_shape and in_shape[-1] is not None else 1
    norm = normalization or {}
    if norm.get("one_hot"):  # a table's encoding (nnzoo.datasets): only the sidecar can say it all
        return None
    if "mean" in norm or "std" in norm:
        mean, std = norm.get("mean", [0.0]), norm.get("std", [1.0])
        mean, std = ([v] if isinstance(v, (int, float)) else v for v in (mean, std))
        bad = [n for n, v in (("mean", mean), ("std", std)) if not isinstance(v, list) or len(v) not in (1, channels)]
        if bad or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in [*mean, *std]):
            fail(
                "`input_normalization` mean and std need one number, or one per channel (the input's last axis)",
                f"lists of 1 or {channels} numbers",
                mean=norm.get("mean"),
                std=norm.get("std"),
            )
        if any(v == 0 for v in std):
            fail("`input_normalization` std must not be zero", "non-zero std", std=std)
        if not image or input_range is None:
            return {"mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    if not image:
        return None
    input_range = input_range or _inside_range(preprocessing)
    if input_range is not None:  # pixels [0, 255] to [low, high]; VGG16's raw pixels: mean 0, std 1
        low, high = input_range
        std = 255.0 / (high - low)
        return {"mean": [-low * std], "std": [std]}
    scale = norm.get("scale")
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale > 0:
        offset = norm.get("offset", 0.0)
        offset = offset if isinstance(offset, (int, float)) else 0.0
        return {"mean": [-offset / scale], "std": [1.0 / scale]}
    return None


def _inside_range(preprocessing) -> tuple[float, float] | None:
    """The raw value range a model with preprocessing inside takes (VGG16: [0, 255]), or None."""
    found = next((p["value_range"] for p in preprocessing if p.get("value_range")), None)
    return None if found is None else (float(found[0]), float(found[1]))


def _output_name(activation, class_names) -> str:
    if activation in ("softmax", "sigmoid"):
        return "probabilities"
    return "scores" if class_names is not None else "values"


def _describe(model, info, names, image, camera, in_shape, out_shape, norm_options, input_range, preprocessing,
              activation, class_names, io_facts, text_spec=None) -> dict[str, Any]:
    """The TFLite Metadata description of this export (see `_metadata.describe`)."""
    channels = in_shape[-1] if image else None
    if text_spec is not None:
        color, in_stats = None, ([0.0], [float(len(text_spec["vocabulary"]) - 1)])
        text = (f"Token ids, {text_spec['sequence_length']} per text: the text split at the regex tokenizer's "
                f"delimiter, each piece's id from {text_spec['vocabulary_file']} (<UNKNOWN> if absent), padded "
                "with <PAD> at the end."
                + "".join(f" Differs from Keras for {d}." for d in text_spec["differences"]))
    elif camera:
        color, in_stats = "RGB", ([0.0], [255.0])
        text = (f"Camera frame: RGB uint8 pixels in [0, 255], {in_shape[0]}x{in_shape[1]}; scaled to "
                f"[{input_range[0]:g}, {input_range[1]:g}]" + (" and converted to grayscale" if channels == 1 else "")
                + " inside the model.")
    else:
        color = ("GRAYSCALE" if channels == 1 else "RGB") if image else None
        feed = next((p["feed"] for p in preprocessing if p.get("feed")), None)
        value_range = input_range or _inside_range(preprocessing)
        in_stats = None if value_range is None else ([value_range[0]], [value_range[1]])
        shape = "x".join("?" if d is None else str(d) for d in in_shape)
        text = (f"{'Image' if image else 'Features'}, shape {shape}" + (f": {feed}" if feed else "")
                + ("; normalized as (x - mean) / std" if norm_options else "") + ".")
    out_stats = ([0.0], [1.0]) if activation in ("softmax", "sigmoid") else None
    out_text = {"probabilities": "Class probabilities" if activation == "softmax" else "Probabilities",
                "scores": "Class scores", "values": "Output values"}[names["output"]]
    quant = io_facts.output_quantization if io_facts is not None else None
    if quant is not None:
        scale, zero = quant
        info_ = np.iinfo(np.dtype(io_facts.output_dtype))
        out_stats = ([scale * (info_.min - zero)], [scale * (info_.max - zero)])
        out_text += f", {io_facts.output_dtype} quantized (real = scale * (q - zero_point), scale {scale:g}, zero point {zero})"
    labels = _axis_labels(class_names, out_shape)
    if labels is not None and len(labels) < len(class_names):
        out_text += f" of class {class_names[1]!r} (against {class_names[0]!r}; labels.txt names it)"
    elif class_names is not None:
        out_text += f", one per class ({len(class_names)}, in labels.txt)"
    return _metadata.describe(
        model_name=model.name,
        info=info,
        input_name=names["input"],
        input_kind="image" if image else "features",
        input_description=text,
        color_space=color,
        normalization=norm_options,
        input_range=in_stats,
        output_name=names["output"],
        output_description=out_text + ".",
        output_range=out_stats,
        class_names=labels,
        tokenizer=text_spec,
    )


def _axis_labels(class_names, out_shape) -> list[str] | None:
    """The labels of the output's class axis: one sigmoid unit with two names labels only the second."""
    if class_names is not None and out_shape and out_shape[-1] == 1 and len(class_names) == 2:
        return class_names[1:]
    return class_names


def _write_metadata(tmp: str, desc: dict[str, Any], class_names, text_spec=None) -> int:
    """Embeds the metadata into the temporary file, before verification and the rename."""
    return _metadata.embed(tmp, desc, _metadata.associated_files(class_names, text_spec))


def _signature(tfl, names) -> dict[str, str]:
    if tfl is None:
        return {"key": "serving_default", **names}
    return {"key": tfl.signature_key, "input": tfl.input_name, "output": tfl.output_name}


def _dims(shape: tuple) -> str:
    return ", ".join("None" if d is None else str(d) for d in shape)


# ------------------------------------------------------------ model surgery
def _text_model(keras, model):
    """Wraps a token-id model so the file takes int32 ids, as MediaPipe's text preprocessing writes them."""
    tokens = keras.Input(tuple(model.inputs[0].shape)[1:], dtype="int32", name="tokens")
    return keras.Model(tokens, model(tokens), name=model.name)


def _split_string_model(keras, model, vectorizer):
    """A model on strings (`nnzoo.text.string_model`) as (id model, its vectorizer); others unchanged."""
    inputs = getattr(model, "inputs", None) if isinstance(model, keras.Model) and model.built else None
    if not inputs or "string" not in str(inputs[0].dtype):
        return model, vectorizer
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if (len(layers) != 2 or not isinstance(layers[0], keras.layers.TextVectorization)
            or not isinstance(layers[1], keras.Model) or vectorizer not in (None, layers[0])):
        fail(
            "to_tflite exports a model on strings only as TextVectorization followed by a token-id model "
            "(TFLite has no builtin string ops)",
            "a model from nnzoo.text.string_model(ids_model, vectorizer), or the id model with vectorizer=",
            layers=[type(layer).__name__ for layer in layers],
        )
    return layers[1], layers[0]
def _walk(keras, layer):
    """Yields `layer` and every layer nested in it (models, then wrappers)."""
    yield layer
    if isinstance(layer, keras.Model):
        for sub in layer.layers:
            yield from _walk(keras, sub)
    elif isinstance(layer, keras.layers.Bidirectional):
        yield from _walk(keras, layer.forward_layer)
        yield from _walk(keras, layer.backward_layer)
    elif isinstance(layer, keras.layers.Wrapper):
        yield from _walk(keras, layer.layer)


def _rolled_recurrent_names(keras, model) -> list[str]:
    """Names of the recurrent layers (or their Bidirectional wrappers) that loop."""
    names: list[str] = []
    inside: set[int] = set()
    for layer in _walk(keras, model):
        if isinstance(layer, keras.layers.Bidirectional):
            inside.update((id(layer.forward_layer), id(layer.backward_layer)))
            if not layer.forward_layer.unroll or not layer.backward_layer.unroll:
                names.append(layer.name)
        elif isinstance(layer, keras.layers.RNN) and not layer.unroll and id(layer) not in inside:
            names.append(layer.name)
    return names


def _prepare_recurrent(keras, model, recurrent: str, quantize, in_shape):
    """Returns (model to convert, batch sizes to try, notes)."""
    names = _rolled_recurrent_names(keras, model)
    if not names:
        return model, (None, 1), []
    variable = None in in_shape
    mode = recurrent if recurrent != "auto" else ("loop" if variable else "unroll")
    if mode == "loop":
        if quantize == "int8":
            fail(
                "quantize='int8' cannot calibrate a recurrent loop (the TensorFlow calibrator crashes on the "
                "WHILE form); it needs the unrolled form, which needs a fixed number of timesteps",
                "recurrent='unroll' (or 'auto') and a model with fixed timesteps, e.g. rebuilt with "
                "input_shape=(timesteps, features) and the weights copied with set_weights",
                recurrent=recurrent,
                input_shape=in_shape,
            )
        note = (
            f"recurrent layers ({', '.join(names)}) kept as a builtin WHILE loop with a fixed batch of 1"
            + ("; the time axis stays variable" if variable else "")
            + "; TFLiteModel runs rows one by one"
        )
        return model, (1,), [note]
    if variable:
        fail(
            "recurrent='unroll' needs a fixed number of timesteps",
            "recurrent='loop' for variable-length input, or a model built with input_shape=(timesteps, features)",
            recurrent=recurrent,
            input_shape=in_shape,
        )
    clone = _unrolled_clone(keras, model)
    steps = in_shape[0] if in_shape else "?"
    note = f"recurrent layers ({', '.join(names)}) unrolled over {steps} timesteps for builtin ops (weights copied)"
    return clone, (None, 1), [note]


def _unrolled_clone(keras, model):
    try:
        config = model.get_config()
        _set_unroll(config)
        clone = type(model).from_config(config)
        clone.set_weights(model.get_weights())
    except Exception as exc:  # subclassed models without a usable config, custom cells, ...
        raise ValueError(
            message(
                "Could not rebuild the model with unrolled recurrent layers from its config",
                "a Functional or Sequential model, or recurrent='loop', or a model built with unroll=True",
                error=f"{type(exc).__name__}: {exc}",
            )
        ) from exc
    return clone


def _set_unroll(config) -> None:
    """Sets `unroll=True` in every recurrent layer config (any dict whose layer
    config has both `unroll` and `return_sequences`), nested models included."""
    if isinstance(config, dict):
        inner = config.get("config")
        if "class_name" in config and isinstance(inner, dict) and "unroll" in inner and "return_sequences" in inner:
            inner["unroll"] = True
        for value in config.values():
            _set_unroll(value)
    elif isinstance(config, list):
        for value in config:
            _set_unroll(value)


def _preprocessing_inside(keras, model) -> list[dict]:
    from nnzoo._registry import preprocessing_layers

    inside = preprocessing_layers()  # the input facts of each family that preprocesses inside its models
    found = []
    for layer in _walk(keras, model):
        if layer.name in inside:
            facts = inside[layer.name]
            found.append({"layer": layer.name, "does": facts.preprocessing, "feed": facts.feed,
                          "value_range": list(facts.value_range) if facts.value_range else None, "channel_order": facts.channel_order})
        elif isinstance(layer, keras.layers.Rescaling):
            found.append({"layer": layer.name, "does": f"x * {layer.scale} + {layer.offset}"})
        elif isinstance(layer, keras.layers.Normalization):
            found.append({"layer": layer.name, "does": "feature-wise (x - mean) / sqrt(variance), adapted statistics"})
    return found


def _generated_samples(in_shape: tuple, preprocessing: list[dict]) -> np.ndarray:
    rng = np.random.default_rng(0)
    shape = (DEFAULT_SAMPLES, *[GENERATED_AXIS_LENGTH if d is None else d for d in in_shape])
    value_range = next((p["value_range"] for p in preprocessing if p.get("value_range")), None)
    if value_range is not None:
        return rng.uniform(*value_range, size=shape).astype("float32")
    return rng.normal(size=shape).astype("float32")


# ------------------------------------------------------------- verification
def _keras_outputs(model, X: np.ndarray, chunk: int = 64) -> np.ndarray:
    from keras import ops  # convert_to_numpy: also for torch tensors that require grad

    return np.concatenate([ops.convert_to_numpy(model(X[i : i + chunk], training=False)) for i in range(0, len(X), chunk)])


def _verify(model, tfl: TFLiteModel, samples, labels, quantize, tolerance, activation) -> dict[str, Any]:
    ref = _keras_outputs(model, samples).astype("float32")
    got = tfl.predict(samples)
    if got.shape != ref.shape:
        raise RuntimeError(
            message("The exported file's output shape differs from the Keras model's", str(ref.shape), output_shape=got.shape)
        )
    scale = float(max(1.0, np.max(np.abs(ref)))) if ref.size else 1.0
    diff = float(np.max(np.abs(got - ref))) if ref.size else 0.0
    if tolerance is None:
        tol = TOLERANCES[quantize] * scale
        rule = f"{TOLERANCES[quantize]:g} x max(1, max abs keras output)"
    else:
        tol, rule = tolerance, "given"
    if not math.isfinite(diff) or diff > tol:
        raise RuntimeError(
            message(
                "The exported file does not match the Keras model, so it was not written "
                "(any previous file is untouched)",
                f"max abs difference <= {tol:.3g} ({rule}); pass `tolerance=` to accept more",
                max_abs_diff=diff,
                quantize=quantize,
            )
        )
    out: dict[str, Any] = {
        "num_samples": int(len(samples)),
        "max_abs_diff": diff,
        "output_scale": scale,
        "tolerance": float(tol),
        "tolerance_rule": rule,
    }
    if activation == "softmax":
        out["agreement"] = float(np.mean(ref.argmax(-1) == got.argmax(-1)))
        out["agreement_rule"] = "argmax"
    elif activation == "sigmoid":
        out["agreement"] = float(np.mean((ref > 0.5) == (got > 0.5)))
        out["agreement_rule"] = "threshold 0.5"
    if labels is not None:
        out.update(_label_metric(labels, ref, got, activation))
    return out


def _label_metric(labels, ref, got, activation) -> dict[str, Any]:
    y = np.asarray(labels)
    if activation == "softmax":
        if y.shape == ref.shape:
            y = y.argmax(-1)
        y = y.reshape(ref.shape[:-1])
        return {
            "metric": "accuracy",
            "keras_metric": float(np.mean(ref.argmax(-1) == y)),
            "tflite_metric": float(np.mean(got.argmax(-1) == y)),
        }
    y = y.reshape(ref.shape).astype("float32")
    if activation == "sigmoid":
        truth = y > 0.5
        return {
            "metric": "accuracy",
            "keras_metric": float(np.mean((ref > 0.5) == truth)),
            "tflite_metric": float(np.mean((got > 0.5) == truth)),
        }
    return {
        "metric": "mae",
        "keras_metric": float(np.mean(np.abs(ref - y))),
        "tflite_metric": float(np.mean(np.abs(got - y))),
    }


def _latencies(model, tfl: TFLiteModel, x1: np.ndarray, runs: int) -> dict[str, float]:
    lat = {"tflite": tfl._latency_ms(x1, runs)}
    model(x1, training=False)
    start = time.perf_counter()
    for _ in range(runs):
        model(x1, training=False)
    lat["model_call"] = (time.perf_counter() - start) / runs * 1e3
    model.predict(x1, verbose=0)
    start = time.perf_counter()
    for _ in range(runs):
        model.predict(x1, verbose=0)
    lat["model_predict"] = (time.perf_counter() - start) / runs * 1e3
    return lat


# ------------------------------------------------------------------ sidecar
def _sidecar(
    model, path, tfl, conversion, content, quantize, int8_io, in_shape, out_shape, activation,
    class_names, normalization, preprocessing, ops, flex, verification, check,
) -> dict[str, Any]:
    import nnzoo

    def tensor(shape, quant, dtype):
        return {
            "shape": list(shape),
            "dtype": dtype,
            "quantization": None if quant is None else {"scale": quant[0], "zero_point": quant[1]},
        }

    batch = conversion.batch_size
    inp = tensor(
        tfl.input_shape if tfl else (batch, *in_shape),
        tfl.input_quantization if tfl else None,
        tfl.input_dtype if tfl else ("int8" if int8_io else "float32"),
    )
    inp["preprocessing_in_model"] = preprocessing
    inp["normalization"] = normalization
    if preprocessing:
        inp["feed"] = next((p["feed"] for p in preprocessing if "feed" in p), "raw inputs; the preprocessing listed runs inside the file")
    elif normalization is not None:
        inp["feed"] = "inputs normalized as in `normalization`"
    else:
        inp["feed"] = "inputs as the Keras model took them"
    out = tensor(
        tfl.output_shape if tfl else (batch, *out_shape),
        tfl.output_quantization if tfl else None,
        tfl.output_dtype if tfl else ("int8" if int8_io else "float32"),
    )
    out["activation"] = activation
    tf = sys.modules.get("tensorflow")
    return {
        "format": SIDECAR_FORMAT,
        "format_version": 1,
        "file": os.path.basename(path),
        "sha256": hashlib.sha256(content).hexdigest(),  # the file as written: metadata included
        "model_name": model.name,
        "created_by": f"nnzoo {nnzoo.__version__}",
        "tensorflow": getattr(tf, "__version__", None),
        "quantize": quantize,
        "int8_io": int8_io,
        "batch_size": batch,
        "input": inp,
        "output": out,
        "class_names": class_names,
        "ops": ops,
        "flex_ops": flex,
        "verification": {
            "status": verification,
            "samples": check.get("num_samples", 0),
            "max_abs_diff": check.get("max_abs_diff"),
            "tolerance": check.get("tolerance"),
            "agreement": check.get("agreement"),
        },
    }


def _remove_stale_sidecar(path: str, notes: list[str]) -> None:
    side = sidecar_path(path)
    try:
        with open(side, encoding="utf-8") as fh:
            is_ours = json.load(fh).get("format") == SIDECAR_FORMAT
    except (OSError, ValueError, AttributeError):
        return
    if is_ours:
        os.remove(side)
        notes.append(f"removed the old sidecar {side}: it described a previous export")
