"""`ExportReport`: what `to_tflite` wrote, how it was checked, how fast it runs."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExportReport:
    """The result of `nnzoo.export.to_tflite`.

    Prints as a markdown table (`print(report)`, or just `report` in a
    notebook) and converts to a plain, JSON-ready dict with `to_dict()`.

    Attributes:
        path: The `.tflite` file written.
        sidecar_path: The JSON sidecar beside it, or `None`.
        file_size_bytes: Size of the `.tflite` file.
        quantize: `None` (float32), `"dynamic"`, `"float16"` or `"int8"`.
        int8_io: Whether the input and output tensors are int8.
        batch_size: Batch size of the file's input; `None` means dynamic
            (any batch after a resize).
        ops: Op names in the file (builtin schema names; Flex ops start with
            `"Flex"`).
        flex_ops: The Flex (`SELECT_TF_OPS`) ops among `ops`; empty means the
            file runs on the builtin LiteRT runtime alone.
        input_shape: The file's input shape (`None` for dynamic axes).
        input_dtype: The file's input dtype.
        output_shape: The file's output shape.
        output_dtype: The file's output dtype.
        verified: Whether the written file ran in the LiteRT interpreter and
            matched the Keras model within `tolerance`.
        verification: `"passed"`, or why verification was skipped.
        num_samples: Samples compared.
        max_abs_diff: Max absolute difference, file vs Keras, over all
            samples and outputs.
        output_scale: `max(1, max|keras output|)`, the scale tolerances are
            relative to.
        tolerance: The bound `max_abs_diff` had to meet.
        tolerance_rule: How `tolerance` was set, in words.
        agreement: For classifiers: share of samples where the file and the
            Keras model predict the same class (argmax; for sigmoid outputs,
            the same side of 0.5 per output). `None` otherwise.
        agreement_rule: `"argmax"` or `"threshold 0.5"`, or `None`.
        metric: With `labels`: `"accuracy"` for classifiers, `"mae"` otherwise.
        keras_metric: `metric` of the Keras (float) model on the labels.
        tflite_metric: `metric` of the exported file on the labels.
        latency_ms: Mean single-sample latency in milliseconds: `"tflite"`
            (interpreter invoke), `"model_call"` (`model(x, training=False)`)
            and `"model_predict"` (`model.predict(x)`). Empty if not timed.
        signature: `{"key": ..., "input": ..., "output": ...}`: the file's
            signature and its tensor names (`"image"` in, `"probabilities"`
            out), which apps and `TFLiteModel` run by.
        metadata_size_bytes: Bytes the embedded TFLite Metadata and its
            associated files (`labels.txt`) add to the file; 0 without.
        camera: Whether the file takes camera frames (RGB uint8 pixels)
            with the conversion inside (`to_tflite(..., camera=True)`).
        notes: What the export changed or chose (unrolled recurrences, fixed
            batch, skipped checks, ...).
        seconds: Wall time of the whole export.

    Example:

    >>> report = to_tflite(model, "model.tflite", "int8", representative_data=X_train[:200],
    ...                    sample_data=X_test, labels=y_test)
    >>> print(report)                   # a markdown table
    >>> report.metric_drop              # accuracy points lost to int8
    >>> report.speedup("model_predict") # interpreter vs model.predict, one sample
    >>> json.dumps(report.to_dict())
    """

    path: str
    sidecar_path: str | None
    file_size_bytes: int
    quantize: str | None
    int8_io: bool
    batch_size: int | None
    ops: list[str]
    flex_ops: list[str]
    input_shape: tuple
    input_dtype: str
    output_shape: tuple
    output_dtype: str
    verified: bool
    verification: str
    num_samples: int = 0
    max_abs_diff: float | None = None
    output_scale: float | None = None
    tolerance: float | None = None
    tolerance_rule: str = ""
    agreement: float | None = None
    agreement_rule: str | None = None
    metric: str | None = None
    keras_metric: float | None = None
    tflite_metric: float | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    signature: dict[str, str] = field(default_factory=dict)
    metadata_size_bytes: int = 0
    camera: bool = False
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    # ---------------------------------------------------------------- derived
    @property
    def needs_flex(self) -> bool:
        """True if the file needs the Flex delegate (SELECT_TF_OPS)."""
        return bool(self.flex_ops)

    @property
    def metric_drop(self) -> float | None:
        """How much worse the file is than the Keras model on the labels.

        Accuracy drop in percentage points (positive = the file is worse), or
        the MAE increase; `None` without labels.
        """
        if self.keras_metric is None or self.tflite_metric is None:
            return None
        if self.metric == "accuracy":
            return 100.0 * (self.keras_metric - self.tflite_metric)
        return self.tflite_metric - self.keras_metric

    def speedup(self, baseline: str = "model_predict") -> float | None:
        """How many times faster the interpreter is than `baseline` on one sample.

        Args:
            baseline: `"model_predict"` or `"model_call"`.

        Returns:
            The ratio, or `None` if latencies were not measured.
        """
        base, mine = self.latency_ms.get(baseline), self.latency_ms.get("tflite")
        if not base or not mine:
            return None
        return base / mine

    def to_dict(self) -> dict[str, Any]:
        """Returns the report as a plain dict (lists, floats, strings; JSON-ready)."""
        data = dataclasses.asdict(self)
        data["input_shape"] = list(self.input_shape)
        data["output_shape"] = list(self.output_shape)
        data["needs_flex"] = self.needs_flex
        data["metric_drop"] = self.metric_drop
        data["speedup_vs_predict"] = self.speedup("model_predict")
        data["speedup_vs_call"] = self.speedup("model_call")
        return data

    # --------------------------------------------------------------- display
    def rows(self) -> list[tuple[str, str]]:
        """The (item, value) rows of the printed table."""
        quant = {None: "none (float32)", "dynamic": "dynamic range (int8 weights)",
                 "float16": "float16 weights", "int8": "full integer (int8)"}[self.quantize]
        if self.quantize == "int8":
            quant += ", int8 input/output" if self.int8_io else ", float input/output"
        rows = [
            ("file", f"{self.path} ({_size(self.file_size_bytes)})"),
            ("quantization", quant),
            ("input", f"{_shape(self.input_shape)} {self.input_dtype}"),
            ("output", f"{_shape(self.output_shape)} {self.output_dtype}"),
            ("signature", _signature(self.signature)),
            ("TFLite Metadata", f"embedded ({_size(self.metadata_size_bytes)})" if self.metadata_size_bytes else "none"),
            ("batch", "dynamic (any batch size)" if self.batch_size is None else f"fixed at {self.batch_size}"),
            (f"ops ({len(self.ops)})", ", ".join(self.ops)),
            ("Flex ops", ", ".join(self.flex_ops) + " (needs the Flex delegate)" if self.flex_ops else "none: builtin ops only"),
        ]
        if self.verified:
            rows.append(
                (
                    "verified",
                    f"yes, {self.num_samples} samples: max abs difference {self.max_abs_diff:.2e}"
                    f" <= tolerance {self.tolerance:.2e} ({self.tolerance_rule})",
                )
            )
        else:
            rows.append(("verified", f"no: {self.verification}"))
        if self.agreement is not None:
            rows.append(("class agreement", f"{100 * self.agreement:.1f}% ({self.agreement_rule})"))
        if self.metric is not None and self.keras_metric is not None:
            if self.metric == "accuracy":
                text = (
                    f"keras {100 * self.keras_metric:.2f}%, tflite {100 * self.tflite_metric:.2f}%"
                    f" (drop {self.metric_drop:+.2f} points)"
                )
            else:
                text = f"keras {self.keras_metric:.4g}, tflite {self.tflite_metric:.4g} (increase {self.metric_drop:+.3g})"
            rows.append((f"{self.metric} on labels", text))
        if self.latency_ms:
            lat = self.latency_ms
            parts = [f"tflite {_ms(lat['tflite'])}"]
            if "model_call" in lat:
                parts.append(f"model(x) {_ms(lat['model_call'])} ({self.speedup('model_call'):.0f}x)")
            if "model_predict" in lat:
                parts.append(f"model.predict {_ms(lat['model_predict'])} ({self.speedup('model_predict'):.0f}x)")
            rows.append(("latency, one sample", "; ".join(parts)))
        rows.append(("sidecar", self.sidecar_path or "none"))
        for note in self.notes:
            rows.append(("note", note))
        rows.append(("export time", f"{self.seconds:.1f} s"))
        return rows

    def __str__(self) -> str:
        lines = [f"TFLite export: {os.path.basename(self.path)}", "", "| item | value |", "|---|---|"]
        lines += [f"| {k} | {v.replace('|', '/')} |" for k, v in self.rows()]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython / Jupyter
        printer.text("ExportReport(...)" if cycle else str(self))

    def _repr_markdown_(self) -> str:  # Jupyter renders the table
        return str(self)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _signature(sig: dict[str, str]) -> str:
    if not sig:
        return "unknown"
    return f"{sig.get('key')}: {sig.get('input')} -> {sig.get('output')}"


def _ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"


def _shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
