"""Benchmark nnzoo.export: file sizes, single-sample latency, int8 accuracy.

Not a test. For each registered family (its default model, on the
family's example shape; `--quick` leaves out the families whose `Family`
says `slow_export`):

- the `.tflite` size as float32, dynamic-range and full-int8;
- the mean single-sample latency of the LiteRT interpreter beside
  `model.predict(x)` and `model(x, training=False)`;
- the bytes the embedded TFLite Metadata (and labels.txt) add, whether
  MediaPipe's `ImageClassifier` loads the file (image families: the float32
  file and the camera-input file, `camera=True`), and MediaPipe's
  per-image latency beside the raw interpreter's;

- text models (`textcnn`, `lstm`, trained briefly on generated reviews and
  exported with `vectorizer=`): file size, the bytes the metadata (tokenizer
  and vocabulary) adds, whether MediaPipe's `TextClassifier` loads the file,
  its per-string latency beside the raw interpreter's, and how often its
  class equals Keras's on the test strings;

then, on scikit-learn's bundled digits (8x8x1 images, pixels / 16), the
accuracy of a briefly trained CNN as Keras, as a float32 file and as an
int8 file, and the int8 drop in percentage points.

Targets (issue 4): CNN int8 file <= 30% of float32; interpreter >= 100x
faster than `model.predict` on one sample; int8 drop on digits <= 0.5
points. The script prints markdown tables and marks each target met or not.

Usage:

    python benchmarks/bench_export.py            # full: ~5 min on 2 CPU cores
    python benchmarks/bench_export.py --quick    # tiny settings, a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import numpy as np  # noqa: E402


def benchmarked(quick: bool) -> list[str]:
    """Registry names of the models benchmarked: each family's default model, asked of the registry."""
    from nnzoo._registry import families

    return [family.name for family in families() if not (quick and family.slow_export)]


def mediapipe_latency(path: Path, frames: np.ndarray, runs: int) -> tuple[str, float | None]:
    """Whether MediaPipe's ImageClassifier loads `path` ("yes" or why not) and its ms per image."""
    try:
        import mediapipe as mp
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core import base_options
    except ImportError:
        return "not installed", None
    options = vision.ImageClassifierOptions(base_options=base_options.BaseOptions(model_asset_path=str(path)))
    try:
        classifier = vision.ImageClassifier.create_from_options(options)
    except Exception as exc:  # MediaPipe raises ValueError/RuntimeError with its reason
        reason = str(exc).splitlines()[0]
        return "no: " + (reason if len(reason) < 70 else reason[:67] + "..."), None
    with classifier:
        images = [mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(f)) for f in frames]
        classifier.classify(images[0])
        start = time.perf_counter()
        for i in range(runs):
            classifier.classify(images[i % len(images)])
        return "yes", (time.perf_counter() - start) / runs * 1e3


def _mediapipe_row(model, X, folder: Path, name: str, float_path: Path, runs: int) -> dict:
    """MediaPipe on an image family: the float32 file as it is, then the camera-input file."""
    from nnzoo.export import to_tflite
    from nnzoo.export._camera import is_image_shape, to_pixels

    if not is_image_shape(tuple(X.shape[1:])):
        return {"mp_float": "n/a (no MediaPipe task)", "mp_camera": "n/a", "mp_ms": None, "mp_raw_ms": None}
    low, high = float(X.min()), float(X.max())
    frames = to_pixels(X, low, high)
    loads, _ = mediapipe_latency(float_path, frames, 1)
    camera = to_tflite(model, folder / f"{name}_camera.tflite", sample_data=X, camera=True,
                       input_range=(low, high), latency_runs=runs)
    cam_loads, ms = mediapipe_latency(folder / f"{name}_camera.tflite", frames, runs)
    return {"mp_float": loads, "mp_camera": cam_loads, "mp_ms": ms, "mp_raw_ms": camera.latency_ms.get("tflite")}


def bench_families(folder: Path, quick: bool, runs: int) -> list[dict]:
    import nnzoo
    from nnzoo.export import to_tflite

    rows = []
    for name in benchmarked(quick):
        entry = nnzoo.get_entry(name)
        family = entry.family
        kwargs = {"task": "multiclass", "num_classes": 3} if entry.supervised else {}
        model = nnzoo.build(name, entry.example_input_shape, **kwargs)
        X = entry.example_inputs(16 if quick else 64, 0)  # as the family's models expect them
        sizes = {}
        float_report = None
        for mode in (None, "dynamic", "int8"):
            report = to_tflite(
                model,
                folder / f"{name}_{mode or 'float32'}.tflite",
                mode,
                representative_data=X,
                latency_runs=runs if mode is None else 0,
            )
            sizes[mode or "float32"] = report.file_size_bytes
            float_report = float_report or report
        lat = float_report.latency_ms
        mp_row = _mediapipe_row(model, X, folder, name, Path(float_report.path), runs)
        rows.append(
            {
                "family": family,
                "model": name,
                "input": entry.example_input_shape,
                **sizes,
                "tflite_ms": lat["tflite"],
                "call_ms": lat["model_call"],
                "predict_ms": lat["model_predict"],
                "metadata": float_report.metadata_size_bytes,
                **mp_row,
            }
        )
        print(f"  done {name}", file=sys.stderr, flush=True)
    return rows


#: Generated reviews: filler words plus one to three words of one polarity (the label).
_FILLER = "the a film movie plot actor scene was is and very story music ending cast it of this".split()
_POLARITY = ("dull awful boring clumsy tedious".split(), "great superb lovely brilliant moving".split())


def reviews(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` texts (an object array: Keras refuses lists and unicode arrays of strings) and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    texts = []
    for label in labels:
        words = list(rng.choice(_FILLER, int(rng.integers(4, 10))))
        for _ in range(int(rng.integers(1, 4))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(_POLARITY[label])))
        texts.append(" ".join(words).capitalize() + rng.choice([".", "!"]))
    return np.array(texts, dtype=object), labels.astype("int32")


def mediapipe_text(path: Path, texts, runs: int) -> tuple[str, float | None, list[int] | None]:
    """Whether MediaPipe's TextClassifier loads `path`, its ms per string and its top class per string."""
    try:
        from mediapipe.tasks.python import text as mp_text
        from mediapipe.tasks.python.core import base_options
    except ImportError:
        return "not installed", None, None
    options = mp_text.TextClassifierOptions(base_options=base_options.BaseOptions(model_asset_path=str(path)))
    try:
        classifier = mp_text.TextClassifier.create_from_options(options)
    except Exception as exc:
        reason = str(exc).splitlines()[0]
        return "no: " + (reason if len(reason) < 70 else reason[:67] + "..."), None, None
    with classifier:
        top = [classifier.classify(t).classifications[0].categories[0].index for t in texts]
        start = time.perf_counter()
        for i in range(runs):
            classifier.classify(texts[i % len(texts)])
        return "yes", (time.perf_counter() - start) / runs * 1e3, top


def bench_text(folder: Path, quick: bool, runs: int) -> list[dict]:
    import keras
    import nnzoo
    from nnzoo.export import to_tflite

    (X, y), (X_test, _) = reviews(200 if quick else 1000, 0), reviews(32 if quick else 200, 1)
    vec = nnzoo.text.make_vectorizer(X, max_tokens=100, sequence_length=16)
    rows = []
    for name, options in (("textcnn", {"filters": (16,)}), ("lstm", {"units": (16,)})):
        keras.utils.set_random_seed(0)
        ids_model = nnzoo.build(name, (16,), vocab_size=vec.vocabulary_size(), task="multiclass", num_classes=2,
                                embedding_dim=16, learning_rate=1e-2, **options)
        model = nnzoo.text.string_model(ids_model, vec)
        nnzoo.fit(model, X, y, epochs=2 if quick else 8, batch_size=32, verbose=0)
        path = folder / f"text_{name}.tflite"
        report = to_tflite(model, path, class_names=["negative", "positive"], sample_data=X_test, latency_runs=runs)
        loads, ms, top = mediapipe_text(path, X_test, runs)
        want = model.predict(X_test, verbose=0).argmax(-1)
        rows.append({
            "model": name, "size": report.file_size_bytes, "metadata": report.metadata_size_bytes, "mp": loads,
            "mp_ms": ms, "tflite_ms": report.latency_ms.get("tflite"),
            "agreement": None if top is None else float(np.mean(np.array(top) == want)), "n_test": len(X_test),
        })
        print(f"  done text {name}", file=sys.stderr, flush=True)
    return rows


def bench_digits(folder: Path, quick: bool, runs: int) -> dict:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    import keras
    import nnzoo
    from nnzoo.export import to_tflite

    digits = load_digits()
    X = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    keras.utils.set_random_seed(0)
    model = nnzoo.build("cnn", (8, 8, 1), num_classes=10, learning_rate=3e-3)
    epochs = 1 if quick else 30
    n_fit = 400 if quick else len(X_train)
    model.fit(
        X_train[:n_fit],
        y_train[:n_fit],
        epochs=epochs,
        batch_size=32,
        validation_split=0.1,
        verbose=0,
        callbacks=[] if quick else [keras.callbacks.EarlyStopping(patience=6, restore_best_weights=True)],
    )
    common = {"sample_data": X_test, "labels": y_test, "latency_runs": runs}
    f32 = to_tflite(model, folder / "digits_float32.tflite", **common)
    i8 = to_tflite(model, folder / "digits_int8.tflite", "int8", representative_data=X_train[:200], **common)
    names = [str(i) for i in range(10)]
    camera = to_tflite(model, folder / "digits_camera.tflite", camera=True, input_range=(0, 1), class_names=names, **common)
    mp_loads, mp_ms = mediapipe_latency(folder / "digits_camera.tflite", _camera_frames(X_test), runs)
    return {
        "camera_accuracy": camera.tflite_metric,
        "camera_mp": mp_loads,
        "camera_mp_ms": mp_ms,
        "camera_tflite_ms": camera.latency_ms.get("tflite"),
        "epochs": epochs,
        "n_test": len(X_test),
        "keras": f32.keras_metric,
        "float32": f32.tflite_metric,
        "int8": i8.tflite_metric,
        "drop": i8.metric_drop,
        "agreement": i8.agreement,
        "float32_size": f32.file_size_bytes,
        "int8_size": i8.file_size_bytes,
        "int8_tflite_ms": i8.latency_ms.get("tflite"),
    }


def _camera_frames(X: np.ndarray) -> np.ndarray:
    from nnzoo.export._camera import to_pixels

    return to_pixels(X, 0.0, 1.0)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.3f} ms"


def _kib(n: int) -> str:
    return f"{n / 1024:,.1f} KiB" if n < 1024**2 else f"{n / 1024**2:,.1f} MiB"


def render(rows: list[dict], digits: dict, quick: bool, seconds: float, text_rows: list[dict] = ()) -> str:
    import ai_edge_litert
    import keras
    import tensorflow as tf

    lines = [
        f"### nnzoo.export benchmark{' (--quick)' if quick else ''}",
        "",
        f"tensorflow {tf.__version__}, keras {keras.__version__}, ai-edge-litert "
        f"{getattr(ai_edge_litert, '__version__', '?')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores",
        "",
        "| family | input | float32 | dynamic | int8 | int8 / float32 | metadata | tflite (1 sample) | model(x) | "
        "model.predict | vs predict | vs model(x) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["int8"] / r["float32"]
        lines.append(
            f"| {r['family']} | {r['input']} | {_kib(r['float32'])} | {_kib(r['dynamic'])} | {_kib(r['int8'])} | "
            f"{100 * ratio:.1f}% | {r['metadata']:,} B | {r['tflite_ms']:.3f} ms | {r['call_ms']:.2f} ms | {r['predict_ms']:.1f} ms | "
            f"{r['predict_ms'] / r['tflite_ms']:,.0f}x | {r['call_ms'] / r['tflite_ms']:,.0f}x |"
        )
    lines += [
        "",
        "MediaPipe Tasks `ImageClassifier` (image families; the camera file takes uint8 RGB, `camera=True`):",
        "",
        "| family | float32 file loads | camera file loads | MediaPipe (1 image) | raw interpreter (1 image) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['family']} | {r['mp_float']} | {r['mp_camera']} | {_ms(r['mp_ms'])} | {_ms(r['mp_raw_ms'])} |")
    lines += [
        "",
        "MediaPipe Tasks `TextClassifier` on raw strings (token-id files with the vocabulary and regex tokenizer "
        "in their metadata, `vectorizer=`; 16 ids, 2 classes):",
        "",
        "| model | file | metadata | MediaPipe loads | MediaPipe (1 string) | raw interpreter (1 sample of ids) "
        "| MediaPipe class = Keras |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in text_rows:
        agree = "-" if r["agreement"] is None else f"{100 * r['agreement']:.1f}% of {r['n_test']}"
        lines.append(f"| {r['model']} | {_kib(r['size'])} | {r['metadata']:,} B | {r['mp']} | {_ms(r['mp_ms'])} | "
                     f"{_ms(r['tflite_ms'])} | {agree} |")
    lines += [
        "",
        f"Digits (scikit-learn, 8x8x1, pixels / 16), `cnn` trained {digits['epochs']} epochs max, "
        f"{digits['n_test']} test images:",
        "",
        "| Keras | float32 file | int8 file | int8 drop | int8 agreement with Keras | float32 size | int8 size |",
        "|---|---|---|---|---|---|---|",
        f"| {100 * digits['keras']:.2f}% | {100 * digits['float32']:.2f}% | {100 * digits['int8']:.2f}% | "
        f"{digits['drop']:+.2f} points | {100 * digits['agreement']:.1f}% | {_kib(digits['float32_size'])} | "
        f"{_kib(digits['int8_size'])} |",
        "",
        f"Digits camera file (uint8 RGB in, grayscale and /255 inside): accuracy "
        f"{100 * digits['camera_accuracy']:.2f}%, MediaPipe loads: {digits['camera_mp']}, "
        f"MediaPipe {_ms(digits['camera_mp_ms'])} per image vs interpreter {_ms(digits['camera_tflite_ms'])}.",
        "",
    ]
    cnn = next((r for r in rows if r["family"] == "cnn"), None)
    checks = []
    if cnn:
        checks.append(("CNN int8 file <= 30% of float32", cnn["int8"] / cnn["float32"] <= 0.30))
    slow = [r["family"] for r in rows if r["predict_ms"] / r["tflite_ms"] < 100]
    checks.append((
        "interpreter >= 100x faster than model.predict on one sample"
        + (f" (below for {', '.join(slow)}: compute-bound, not overhead-bound)" if slow else ", every family"),
        not slow,
    ))
    checks.append(("int8 accuracy drop on digits <= 0.5 points", digits["drop"] <= 0.5))
    lines += [f"- {'met' if ok else 'NOT met'}: {what}" for what, ok in checks]
    lines.append(f"\nTotal time {seconds:.0f} s.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings for a smoke run (ffnn, cnn, lstm; 1 epoch on 400 digits)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runs = 2 if args.quick else 30
    with tempfile.TemporaryDirectory(prefix="nnzoo_bench_export_") as tmp:
        folder = Path(tmp)
        rows = bench_families(folder, args.quick, runs)
        digits = bench_digits(folder, args.quick, runs)
        text_rows = bench_text(folder, args.quick, runs)
    print(render(rows, digits, args.quick, time.perf_counter() - started, text_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
