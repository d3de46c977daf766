"""Export from a model trained on JAX or PyTorch: convert under TensorFlow in a child process.

The TFLite converter needs a TensorFlow graph. On the JAX and PyTorch
backends `to_tflite` cannot trace the model itself (on JAX an LSTM fails on
its `seed_generator_state`, on torch every model fails in `ExportArchive.track`),
so it hands the conversion to a child process:

1. the model is saved to a temporary `.keras` file (weights and config, no
   code), with the samples as `.npy` files (no pickle) and the other
   arguments as JSON;
2. a child Python with `KERAS_BACKEND=tensorflow` loads it in Keras safe
   mode and runs `to_tflite` there, into the same temporary folder (so it
   converts, embeds the metadata and verifies against the reloaded model);
3. back here, the file is copied to a temporary path beside `path`, run in
   the LiteRT interpreter and compared with the *original* model's outputs
   on the same samples, and only then renamed into place with its sidecar.

Keras loads a `.keras` file across backends exactly (to 1e-6), so the
second verification checks the whole route, not only the conversion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

from nnzoo._io import atomic_paths
from nnzoo._validation import message

#: Arrays passed to the child as .npy files.
ARRAYS = ("representative_data", "sample_data", "labels")
_ERRORS = {"ValueError": ValueError, "TypeError": TypeError, "RuntimeError": RuntimeError, "ImportError": ImportError}


def export_in_tensorflow(model, path: str, options: dict[str, Any], reference, file_samples, verify_args) -> dict:
    """Converts `model` in a TensorFlow child process and verifies the file against `reference`.

    Args:
        model: The user's model, on a non-TensorFlow backend.
        path: The final `.tflite` path.
        options: `to_tflite` keyword arguments for the child (arrays among
            `ARRAYS` are passed as files, the rest as JSON).
        reference: A callable from file inputs to the original model's
            outputs (the camera wrapper for camera files).
        file_samples: The samples as the file takes them.
        verify_args: `(labels, quantize, tolerance, activation)` for `_verify`.

    Returns:
        `{"report": child's report dict, "check": the verification here}`.
    """
    from nnzoo.export._runtime import TFLiteModel, sidecar_path
    from nnzoo.export._tflite import _verify

    with tempfile.TemporaryDirectory(prefix="nnzoo_export_tf_") as folder:
        model.save(os.path.join(folder, "model.keras"))
        plain = {}
        for key, value in options.items():
            if key in ARRAYS:
                if value is not None:
                    np.save(os.path.join(folder, f"{key}.npy"), np.asarray(value), allow_pickle=False)
            else:
                plain[key] = list(value) if isinstance(value, tuple) else value
        with open(os.path.join(folder, "options.json"), "w", encoding="utf-8") as fh:
            json.dump(plain, fh)
        env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
        done = subprocess.run(
            [sys.executable, "-m", "nnzoo.export._backend", folder], env=env, capture_output=True, text=True
        )
        _raise_child_error(folder, done)
        with open(os.path.join(folder, "report.json"), encoding="utf-8") as fh:
            report = json.load(fh)
        child_file = os.path.join(folder, "model.tflite")
        check: dict[str, Any] = {}
        child_side = sidecar_path(child_file)
        pair = [path, sidecar_path(path)] if os.path.isfile(child_side) else [path]
        with atomic_paths(*pair) as tmps:  # the file and its sidecar change together or not at all
            tmp = tmps[0]
            shutil.copyfile(child_file, tmp)
            if report["verified"]:
                tfl = TFLiteModel(tmp)
                labels, quantize, tolerance, activation = verify_args
                check = _verify(reference, tfl, file_samples, labels, quantize, tolerance, activation)
            if len(tmps) == 2:
                with open(child_side, encoding="utf-8") as fh:
                    doc = json.load(fh)
                doc["file"] = os.path.basename(path)
                doc["converted_from_backend"] = _backend_name(model)
                if check:
                    doc["verification"].update(
                        {"max_abs_diff": check["max_abs_diff"], "tolerance": check["tolerance"],
                         "agreement": check.get("agreement"),
                         "against": f"the original {_backend_name(model)} model"}
                    )
                with open(tmps[1], "w", encoding="utf-8") as fh:
                    json.dump(doc, fh, indent=2)
                    fh.write("\n")
    return {"report": report, "check": check}


def _backend_name(model) -> str:
    import keras

    return keras.backend.backend()


def _raise_child_error(folder: str, done: subprocess.CompletedProcess) -> None:
    error_file = os.path.join(folder, "error.json")
    if os.path.isfile(error_file):
        with open(error_file, encoding="utf-8") as fh:
            error = json.load(fh)
        raise _ERRORS.get(error["type"], RuntimeError)(error["message"])
    if done.returncode != 0:
        raise RuntimeError(
            message(
                "The TensorFlow child process that converts this model failed",
                "a model that saves to .keras and loads under the TensorFlow backend (Keras safe mode)",
                returncode=done.returncode,
                stderr=done.stderr[-600:],
            )
        )


def _child(folder: str) -> int:
    """Runs in the child: load the .keras file under TensorFlow and export it."""
    try:
        import keras

        from nnzoo.export import to_tflite

        with open(os.path.join(folder, "options.json"), encoding="utf-8") as fh:
            options = json.load(fh)
        for key in ARRAYS:
            file = os.path.join(folder, f"{key}.npy")
            if os.path.isfile(file):
                options[key] = np.load(file, allow_pickle=False)
        model = keras.saving.load_model(os.path.join(folder, "model.keras"), safe_mode=True, compile=False)
        report = to_tflite(model, os.path.join(folder, "model.tflite"), **options)
        with open(os.path.join(folder, "report.json"), "w", encoding="utf-8") as fh:
            json.dump(report.to_dict(), fh)
    except Exception as exc:  # handed to the parent, which raises it as the same type
        with open(os.path.join(folder, "error.json"), "w", encoding="utf-8") as fh:
            json.dump({"type": type(exc).__name__, "message": str(exc)}, fh)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
