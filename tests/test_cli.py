import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnzoo import cli

ROOT = Path(__file__).resolve().parents[1]



def _python(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return proc, time.perf_counter() - start


def _main_json(capsys, *argv):
    code = cli.main([*argv, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


@pytest.fixture(scope="module")
def churn_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.normal(50_000, 15_000, n),
        "city": rng.choice(["Paris", "Lyon", "Nice"], n),
    })
    score = (frame.age - 50) / 15 + (frame.income - 50_000) / 15_000 + (frame.city == "Paris")
    frame["churn"] = np.where(score > 0.3, "yes", "no")
    path = tmp_path_factory.mktemp("csv") / "churn.csv"
    frame.to_csv(path, index=False)
    return path


# -- start-up cost


def test_help_answers_without_tensorflow():
    proc, _ = _python("-X", "importtime", "-m", "nnzoo", "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: nnzoo")
    for name in ("list", "train", "evaluate", "doctor", "quickstart"):
        assert f"    {name}" in proc.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert imported and not [m for m in imported if m.split(".")[0] in ("tensorflow", "keras", "sklearn", "pandas")]
    # How fast it answers is measured in benchmarks/run.py (startup section), not here.


def test_library_modules_import_without_heavy_dependencies():
    code = ("import sys, nnzoo.datasets, nnzoo.evaluation, nnzoo.plots, nnzoo.cli, nnzoo.__main__; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'tensorflow', 'keras', 'pandas', 'sklearn', 'matplotlib'}))")
    proc, _ = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path):
    (tmp_path / "fake.keras").write_text("not a model")
    proc, _ = _python("-m", "nnzoo", "evaluate", str(tmp_path / "fake.keras"), "--data", "digits")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines == [lines[-1]] and "Traceback" not in proc.stderr
    assert lines[0].startswith("nnzoo evaluate: error:") and "is not a Keras model file" in lines[0]


# -- commands in-process


def test_list(capsys):
    assert cli.main(["list", "cnn*"]) == 0
    out = capsys.readouterr().out
    assert "cnn_small" in out and "ffnn " not in out and "digits" in out
    code, payload = _main_json(capsys, "list")
    assert code == 0
    names = [m["name"] for m in payload["models"]]
    assert "lstm" in names and "vgg16_transfer" in names
    assert {d["name"] for d in payload["datasets"]} >= {"digits", "iris", "sines"}
    assert cli.main(["list", "zzz*"]) == 2
    assert "no model matches" in capsys.readouterr().err


def test_doctor_reports_versions_and_problems(capsys, monkeypatch):
    from importlib import metadata

    code, payload = _main_json(capsys, "doctor")
    assert code == 0 and payload["problems"] == 0
    by_name = {p["package"]: p for p in payload["packages"]}
    assert by_name["keras"]["installed"] == metadata.version("keras")
    assert set(by_name) >= {"tensorflow", "keras", "keras-tuner", "scikit-learn", "pandas", "ai-edge-litert",
                            "matplotlib"}

    real = metadata.version

    def fake_version(dist):
        if dist == "pandas":
            raise metadata.PackageNotFoundError(dist)
        if dist == "keras":
            return "3.2.0"
        if dist == "matplotlib":
            raise metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(metadata, "version", fake_version)
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "MISSING (required)" in out and "TOO OLD: needs >= 3.8" in out
    assert "not installed (optional: plots)" in out


def test_train_then_evaluate_round_trip(tmp_path, capsys):
    out = tmp_path / "models" / "iris.keras"
    code, trained = _main_json(capsys, "train", "ffnn_small", "--data", "iris", "--epochs", "3", "--seed", "3",
                               "--test-size", "0.3", "--learning-rate", "0.01", "--schedule", "cosine",
                               "--out", str(out))
    assert code == 0
    assert trained["task"] == "multiclass" and (trained["train_rows"], trained["test_rows"]) == (105, 45)
    assert trained["epochs_run"] == 3 and len(trained["history"]["loss"]) == 3
    files = trained["files"]
    assert files["model"] == str(out) and out.is_file()
    assert Path(files["preprocessor"]).is_file() and Path(files["metadata"]).is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["iris.keras", "iris.nnzoo.json", "iris.preprocessor.json"]
    meta = json.loads(Path(files["metadata"]).read_text())
    assert meta["target_names"] == ["setosa", "versicolor", "virginica"] and meta["seed"] == 3

    # evaluate reads the split from the metadata: the same 45 held-out rows, the same scores
    code, scored = _main_json(capsys, "evaluate", str(out), "--data", "iris")
    assert code == 0 and scored["n_samples"] == 45
    assert scored["accuracy"] == pytest.approx(trained["test"]["accuracy"])
    assert scored["confusion_matrix"] == trained["test"]["confusion_matrix"]

    assert cli.main(["evaluate", str(out), "--data", "iris"]) == 0
    text = capsys.readouterr().out
    assert "Confusion matrix" in text and "virginica" in text and "macro avg" in text


def test_export_int8_from_training_metadata(tmp_path, capsys):
    pytest.importorskip("ai_edge_litert")
    model_path = tmp_path / "iris.keras"
    assert cli.main(["train", "ffnn_small", "--data", "iris", "--epochs", "3", "--out", str(model_path)]) == 0
    capsys.readouterr()
    # --data defaults to what train recorded: int8 calibrates on its training rows
    code, report = _main_json(capsys, "export", str(model_path), "--quantize", "int8")
    assert code == 0
    tflite = tmp_path / "iris.tflite"
    assert report["path"] == str(tflite) and tflite.is_file()
    assert report["quantize"] == "int8" and report["verified"] and not report["flex_ops"]
    assert report["metric"] == "accuracy" and report["num_samples"] == 30
    sidecar = json.loads((tmp_path / "iris.tflite.json").read_text())
    assert sidecar["class_names"] == ["setosa", "versicolor", "virginica"]
    # an app feeds raw measurements: the sidecar holds the scaling fitted on train's rows
    from nnzoo.datasets import load

    train, _ = load("iris", test_size=0.2, seed=0)
    norm = sidecar["input"]["normalization"]
    assert norm == train.input_normalization and norm["formula"] == "(x - mean) / std"
    assert norm["columns"] == list(train.feature_names) and len(norm["mean"]) == 4


def test_export_camera_takes_uint8_frames_in_the_training_range(tmp_path, capsys):
    pytest.importorskip("ai_edge_litert")
    model_path = tmp_path / "digits.keras"
    assert cli.main(["train", "cnn_small", "--data", "digits", "--epochs", "1", "--out", str(model_path)]) == 0
    capsys.readouterr()
    code, report = _main_json(capsys, "export", str(model_path), "--camera")
    assert code == 0 and report["camera"] and report["verified"]
    assert report["input_dtype"] == "uint8" and report["input_shape"] == [None, 8, 8, 3]
    assert any("scaled to [0, 1] and converted to grayscale" in note for note in report["notes"])
    sidecar = json.loads((tmp_path / "digits.tflite.json").read_text())
    assert sidecar["tflite_metadata"]["inputs"][0]["color_space"] == "RGB"
    assert sidecar["tflite_metadata"]["outputs"][0]["associated_files"][0]["name"] == "labels.txt"


@pytest.mark.parametrize("argv,fragment", [
    (["export", "missing.keras"], "does not exist"),
    (["export", "{model}", "--out", "model.bin"], "--out must end in `.tflite`"),
])
def test_export_bad_input(argv, fragment, tmp_path, capsys):
    model_path = tmp_path / "m.keras"
    model_path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip: passes the cheap file check
    argv = [a.format(model=model_path) for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_train_and_evaluate_a_csv(tmp_path, capsys, churn_csv):
    model = tmp_path / "churn.keras"
    assert cli.main(["train", "ffnn_small", "--data", str(churn_csv), "--target", "churn", "--epochs", "2",
                     "--out", str(model)]) == 0
    text = capsys.readouterr().out
    assert "Epoch 2/2" in text and "Summary" in text and "test accuracy" in text
    code, scored = _main_json(capsys, "evaluate", str(model), "--data", str(churn_csv))
    assert code == 0 and scored["task"] == "binary" and scored["labels"] == ["no", "yes"]
    assert scored["n_samples"] == 24

    # new rows only, encoded with the saved preprocessor, every row scored
    new = tmp_path / "new.csv"
    pd.read_csv(churn_csv).head(10).to_csv(new, index=False)
    code, scored = _main_json(capsys, "evaluate", str(model), "--data", str(new), "--test-size", "0")
    assert code == 0 and scored["n_samples"] == 10


@pytest.mark.parametrize(
    "argv, error",
    [
        (["train", "cnnn", "--data", "digits"], "Unknown model name. Did you mean 'cnn'?"),
        (["train", "lstm", "--data", "digits"], "model 'lstm' takes sequence input, but --data digits is image data"),
        (["train", "ffnn", "--data", "{csv}", "--target", "chrun"], "Unknown target column. Did you mean 'churn'?"),
        (["train", "ffnn", "--data", "{csv}"], "--target COL is required with a CSV file"),
        (["train", "ffnn", "--data", "{tmp}/missing.csv", "--target", "y"], "does not exist"),
        (["train", "ffnn", "--data", "wines"], "unknown dataset 'wines'. Did you mean 'wine'?"),
        (["train", "ffnn", "--data", "iris", "--out", "model.h5"], "--out must end in `.keras`"),
        (["train", "ffnn", "--data", "iris", "--test-size", "1"], "--test-size must be in [0, 1)"),
        (["evaluate", "{tmp}/missing.keras", "--data", "digits"], "does not exist"),
        (["evaluate", "{csv}", "--data", "digits"], "is not a Keras model file"),
        (["evaluate", "{tmp}/empty.keras", "--data", "digits"], "is not a loadable Keras model"),
    ],
)
def test_bad_input(argv, error, tmp_path, capsys, churn_csv):
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("readme.txt", "a zip, not a model")
    argv = [a.format(csv=churn_csv, tmp=tmp_path) for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and error in err
    assert err.startswith(f"nnzoo {argv[0]}: error:")


def test_traceback_flag_and_usage_errors(capsys):
    with pytest.raises(ValueError, match="Unknown model name"):
        cli.main(["--traceback", "train", "cnnn", "--data", "digits"])
    with pytest.raises(SystemExit) as info:
        cli.main(["train"])  # argparse: MODEL and --data missing
    assert info.value.code == 2
    assert cli.main([]) == 2
    assert "usage: nnzoo" in capsys.readouterr().err


def test_quickstart_reaches_097(tmp_path, capsys):
    folder = tmp_path / "qs"
    code, payload = _main_json(capsys, "quickstart", "--out-dir", str(folder))
    assert code == 0
    assert payload["test_accuracy"] >= 0.97, payload["test_accuracy"]
    assert payload["fit_seconds"] > 0
    assert payload["test"]["n_samples"] == 360
    for key in ("model", "metadata", "history plot", "confusion plot"):
        assert Path(payload["files"][key]).is_file()
    assert sorted(p.name for p in folder.iterdir()) == [
        "cnn_digits.keras", "cnn_digits.nnzoo.json", "confusion_matrix.png", "history.png"]
    code, scored = _main_json(capsys, "evaluate", payload["files"]["model"], "--data", "digits")
    assert scored["accuracy"] == pytest.approx(payload["test_accuracy"])


def test_tune_saves_best_and_resumes(tmp_path, capsys):
    out = tmp_path / "best.keras"
    argv = ["tune", "ffnn_small", "--data", "iris", "--algorithm", "random", "--max-trials", "2",
            "--epochs", "2", "--directory", str(tmp_path / "search"), "--out", str(out)]
    code, first = _main_json(capsys, *argv)
    assert code == 0 and first["trials"] == 2 and first["task"] == "multiclass"
    assert out.is_file() and Path(first["files"]["trials"]).is_file()
    assert 0.0 <= first["test"]["accuracy"] <= 1.0
    # Same command again: the finished search resumes with nothing left to run.
    code, again = _main_json(capsys, *argv)
    assert code == 0 and again["trials"] == 2
    assert again["best_hyperparameters"] == first["best_hyperparameters"]
    code, scored = _main_json(capsys, "evaluate", str(out), "--data", "iris")
    assert code == 0 and scored["accuracy"] == pytest.approx(first["test"]["accuracy"])
    # A damaged state file: one line naming it and what to do; the rest of the search is kept.
    oracle = tmp_path / "search" / "ffnn_small" / "oracle.json"
    oracle.write_text(oracle.read_text()[:50])
    kept = sorted(p.name for p in (tmp_path / "search" / "ffnn_small").iterdir())
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(oracle) in err and "--overwrite" in err, err
    assert sorted(p.name for p in (tmp_path / "search" / "ffnn_small").iterdir()) == kept


@pytest.mark.parametrize("directory, fragment", [
    ("afile", "tuning directory is a file"),
    ("afile/sub", "tuning directory is inside a file"),
    ("/proc/self/nnzoo_search", "tuning directory is not writable"),
])
def test_tune_refuses_a_bad_directory_before_tensorflow_loads(directory, fragment, tmp_path):
    if directory.startswith("/proc") and not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux's read-only /proc")
    (tmp_path / "afile").write_text("not a folder")
    script = ("import sys; from nnzoo import cli; "
              f"code = cli.main(['tune', 'ffnn_small', '--data', 'iris', '--directory', {directory!r}]); "
              "print(code, 'tensorflow' in sys.modules)")
    proc, _ = _python("-c", script, cwd=tmp_path)
    assert proc.stdout.split() == ["2", "False"], proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and fragment in proc.stderr, proc.stderr


# -- one recipe, one set of options, a clean stderr


@pytest.mark.parametrize("data", ["diabetes", "wine"])
def test_train_gives_the_model_of_the_library_recipe(tmp_path, capsys, data):
    """`nnzoo train` is `nnzoo.training.train` on the same split and seed: the same weights."""
    import keras

    import nnzoo
    from nnzoo import datasets
    from nnzoo.training import train

    path = tmp_path / "m.keras"
    code, _ = _main_json(capsys, "train", "ffnn", "--data", data, "--epochs", "3", "--seed", "1", "--out", str(path))
    assert code == 0
    cli_weights = keras.saving.load_model(path).get_weights()

    train_part, _ = datasets.load(data, test_size=0.2, seed=1)
    keras.utils.set_random_seed(1)
    model = nnzoo.build("ffnn", train_part.input_shape, **train_part.build_kwargs())
    train(model, train_part.X, train_part.y, epochs=3, seed=1, verbose=0)
    lib_weights = model.get_weights()
    assert len(cli_weights) == len(lib_weights)
    for a, b in zip(cli_weights, lib_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_option_lists_and_defaults_come_from_the_library():
    import inspect

    from nnzoo import _options
    from nnzoo.tuning import tune

    parser = cli.build_parser()
    base = ["tune", "ffnn", "--data", "wine"]
    assert parser.parse_args(base).algorithm == inspect.signature(tune).parameters["algorithm"].default
    for flag, argv, options in (("--algorithm", base, _options.ALGORITHMS),
                                ("--quantize", ["export", "m.keras"], _options.QUANTIZE_MODES),
                                ("--schedule", ["train", "ffnn", "--data", "wine"], _options.SCHEDULES)):
        for option in options:
            parsed = parser.parse_args([*argv, flag, "none" if option is None else option])
            assert cli._option(getattr(parsed, flag[2:])) == option
        with pytest.raises(SystemExit):
            parser.parse_args([*argv, flag, "no-such-choice"])


def test_doctor_ranges_are_the_package_requirements(capsys, monkeypatch):
    from importlib import metadata

    from nnzoo import _compat

    code, payload = _main_json(capsys, "doctor")
    by_name = {p["package"]: p for p in payload["packages"]}
    # The required packages are the one table (_compat.REQUIREMENTS, which setup.cfg equals), with its bounds.
    assert [p["package"] for p in payload["packages"] if p["required"]] == list(_compat.REQUIREMENTS)
    for name, spec in _compat.REQUIREMENTS.items():
        assert by_name[name]["minimum"] == spec.partition(">=")[2].split(",")[0]
    assert by_name["ai-edge-litert"]["minimum"] == "2.3" and not by_name["ai-edge-litert"]["required"]
    # Every package a private internal pins reports its upper bound and the internals behind it.
    for internal in _compat.INTERNALS:
        row = by_name[internal.package]
        assert row["upper_bound"] and row["upper_bound"].startswith("<")
        assert internal.name in row["pinned_by_internals"]
    # A package no internal pins has no upper bound (scikit-learn), and the table says so.
    assert by_name["scikit-learn"]["upper_bound"] is None and by_name["scikit-learn"]["pinned_by_internals"] == []
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "tensorflow < 2.22: gradient_registry" in out and "keras-tuner < 1.5: oracle_files" in out

    # Installed metadata that predates the table does not hide its bounds; extras still come from it.
    monkeypatch.setattr(metadata, "requires", lambda dist: ["tensorflow>=2.16", 'pytest>=7; extra == "test"'])
    monkeypatch.setitem(_compat.REQUIREMENTS, "keras", ">=3.8,<3.10")
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "UNSUPPORTED: needs < 3.10" in out and "pytest" not in out and ">= 2.16, < 2.22" in out


def _quiet_env():
    """The user's environment: no TF_CPP_MIN_LOG_LEVEL of our own."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return {**env, "PYTHONPATH": str(ROOT)}


def test_json_output_is_clean_and_errors_are_one_line(tmp_path):
    """TensorFlow's start-up notices never reach the user; errors still do, in one line."""
    def run(*argv):
        return subprocess.run([sys.executable, "-m", "nnzoo", *argv], cwd=tmp_path, env=_quiet_env(),
                              capture_output=True, text=True, timeout=300)

    proc = run("train", "ffnn", "--data", "wine", "--epochs", "1", "--out", "m.keras", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["command"] == "train"
    assert proc.stderr == ""
    proc = run("export", "m.keras", "--quantize", "int8", "--json")  # the converter's and LiteRT's notices too
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["quantize"] == "int8"
    assert proc.stderr == ""
    proc = run("--json", "train", "ffnn", "--data", "no_such_data", "--epochs", "1")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("nnzoo train: error: unknown dataset 'no_such_data'")


def test_stderr_filter_drops_only_the_known_notices():
    code = (
        "import os\n"
        "from nnzoo._startup import filtered_stderr\n"
        "with filtered_stderr():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1796112124.877781    9866 cudart_stub.cc:31] Could not find cuda drivers on '\n"
        "                b'your machine, GPU will not be used.\\n')\n"
        "    os.write(2, b'E0000 00:00:1796112124.8 9866 cuda_platform.cc:52] failed call to cuInit: INTERNAL\\n')\n"
        "    os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
        "    os.write(2, b'E0000 00:00:1796112124.8 9866 kernel.cc:7] a real error\\nImportError: real')\n"
        "    os.write(2, b' too\\nunfinished')\n"
        "os.write(2, b'|after\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=_quiet_env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stderr == ("E0000 00:00:1796112124.8 9866 kernel.cc:7] a real error\nImportError: real too\n"
                           "unfinished|after\n")


def test_tune_jobs_and_prune_reach_the_library_before_training(tmp_path, capsys, monkeypatch):
    from nnzoo.tuning import _parallel

    monkeypatch.setattr(_parallel, "available_cores", lambda: 2)
    base = ["tune", "ffnn_small", "--data", "iris", "--directory", str(tmp_path / "search"),
            "--out", str(tmp_path / "best.keras")]
    for extra, fragment in ((["--jobs", "3"], "larger than the 2 CPU core(s)"), (["--prune", "-0.1"], "`prune`")):
        assert cli.main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert fragment in err and "Received:" in err, err
    assert not (tmp_path / "search").exists() and not (tmp_path / "best.keras").exists()
