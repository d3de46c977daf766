"""Nothing runs from files beside a model; sidecar names stay in their folder; saves leave no debris."""

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnzoo import _io, cli
from nnzoo.datasets import Preprocessor

ROOT = Path(__file__).resolve().parents[1]


class _Payload:
    """The issue's exploit: unpickling it runs `touch PWNED`."""

    def __init__(self, folder):
        self.marker = os.path.join(folder, "PWNED")

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _plant_pickle(path, folder):
    with open(path, "wb") as fh:
        pickle.dump(_Payload(str(folder)), fh)


def _mixed_frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n).astype(float),
        "visits": rng.integers(0, 5, n),
        "const": np.full(n, 7.0),
        "empty": np.full(n, np.nan),
        "city": rng.choice(["Paris", "Lyon", "Nice"], n).astype(object),
        "member": rng.choice([True, False], n),
        "label": rng.choice(["no", "yes", "maybe"], n),
    })
    frame.loc[[1, 5], "age"] = np.nan
    frame.loc[[2, 9], "city"] = None
    return frame


def _reference_transform(pre):
    """The scikit-learn pipeline Preprocessor was before it kept plain numbers."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from nnzoo.datasets import _features_frame

    steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if pre.scale:
        steps.append(("scale", StandardScaler()))
    ct = ColumnTransformer([
        ("numeric", Pipeline(steps), list(pre.numeric_features_)),
        ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(pre.categorical_features_)),
    ], verbose_feature_names_out=False)
    return ct, _features_frame


# -- Preprocessor as JSON


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("target", ["label", "visits", "age", None])
def test_preprocessor_json_round_trip_encodes_identically(scale, target, tmp_path):
    frame = _mixed_frame()
    if target == "age":
        frame = frame.dropna(subset=["age"])
    csv = tmp_path / "t.csv"
    frame.to_csv(csv, index=False)
    raw = pd.read_csv(csv)  # as a user's CSV arrives: strings, NaN for empty cells
    train_rows = raw.iloc[:40]
    pre = Preprocessor(target, scale=scale).fit(train_rows)
    new = raw.iloc[40:].copy()
    new.loc[new.index[0], "city"] = "Berlin"  # unseen category: all zeros
    new.loc[new.index[1], "age"] = np.nan

    path = pre.save(tmp_path / "t.preprocessor.json")
    loaded = Preprocessor.load(path)
    doc = json.loads(Path(path).read_text())
    assert doc["format"] == "nnzoo.preprocessor" and doc["schema_version"] == 1
    for rows in (train_rows, new):
        np.testing.assert_array_equal(loaded.transform(rows), pre.transform(rows))
    # and both encode exactly as the scikit-learn pipeline does
    ct, features = _reference_transform(pre)
    ct.fit(features(train_rows, pre.numeric_features_, pre.categorical_features_))
    expected = ct.transform(features(new, pre.numeric_features_, pre.categorical_features_)).astype("float32")
    np.testing.assert_array_equal(loaded.transform(new), expected)
    city = [i for i, n in enumerate(pre.feature_names_out_) if n.startswith("city_")]
    assert loaded.transform(new)[0, city].sum() == 0
    assert loaded.normalization() == pre.normalization()
    for name in ("feature_names_in_", "numeric_features_", "categorical_features_", "feature_names_out_", "task_"):
        assert getattr(loaded, name) == getattr(pre, name)
    if pre.classes_ is not None:
        assert loaded.classes_.dtype == pre.classes_.dtype
        np.testing.assert_array_equal(loaded.classes_, pre.classes_)
        np.testing.assert_array_equal(loaded.encode_target(new[target]), pre.encode_target(new[target]))
    assert loaded.to_json() == pre.to_json()


def _doc():
    frame = _mixed_frame()
    return json.loads(Preprocessor("label").fit(frame).to_json())


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda d: d.update(format="pickle"), "not a saved Preprocessor"),
        (lambda d: d.update(schema_version=99), "unknown schema version"),
        (lambda d: d.pop("mean"), "damaged"),
        (lambda d: d.update(mean=d["mean"][:-1]), "damaged"),
        (lambda d: d.update(scale=[0.0] * len(d["scale"])), "damaged"),
        (lambda d: d.update(categories=[[1, 2]] * len(d["categories"])), "damaged"),
        (lambda d: d.update(feature_names_out=d["feature_names_out"][:-1]), "damaged"),
        (lambda d: d.update(classes={"kind": "exec", "values": ["a", "b"]}), "damaged"),
        (lambda d: d.update(classes=None), "damaged"),
        (lambda d: d.update(task="rm -rf"), "damaged"),
        (lambda d: d["params"].update(target={"a": 1}), "damaged"),
        (lambda d: d["params"].update(scale="yes"), "damaged"),
        (lambda d: d.update(fill_missing=[float("nan")] * len(d["fill_missing"])), "damaged"),
    ],
)
def test_damaged_preprocessor_json_is_refused(change, fragment, tmp_path):
    doc = _doc()
    change(doc)
    path = tmp_path / "p.preprocessor.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=fragment) as info:
        Preprocessor.load(path)
    assert "Received:" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"{\"format\": \"nnzoo.prepro", b"\xff\xfe\x00garbage", b""])
def test_truncated_or_binary_preprocessor_file_is_refused(content, tmp_path):
    path = tmp_path / "p.preprocessor.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="retrain or re-save|not text"):
        Preprocessor.load(path)


@pytest.mark.parametrize("name", ["old.preprocessor.pkl", "renamed.preprocessor.json"])
def test_pickles_are_refused_unread(name, tmp_path):
    path = tmp_path / name
    _plant_pickle(path, tmp_path)
    with pytest.raises(ValueError, match="pickle.*does not load it.*retrain"):
        Preprocessor.load(path)
    assert not (tmp_path / "PWNED").exists()


#: The one place nnzoo unpickles, and why it is safe: the parallel-tuning worker reads its call's
#: arguments from its chief's pipe, signed with a key that lives only in the chief and its workers'
#: environment, and checks the signature before unpickling (test below).
SIGNED_PIPES = {"nnzoo/tuning/_parallel.py"}


def test_no_pickle_loading_anywhere_in_the_package():
    """No module of nnzoo can unpickle a file: the unsafe loaders are not even named, but for signed pipes."""
    pattern = re.compile(r"pickle\.loads?\b|Unpickler|\bjoblib\b|\bcloudpickle\b|\bdill\b|allow_pickle\s*=\s*True")
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
            for p in (ROOT / "nnzoo").rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert [h for h in hits if h.split(":")[0] not in SIGNED_PIPES] == []
    for path in SIGNED_PIPES:
        assert "hmac.compare_digest" in (ROOT / path).read_text(encoding="utf-8")


@pytest.mark.parametrize("key", [None, "00" * 32])
def test_a_planted_file_fed_to_the_tuning_worker_runs_nothing(key, tmp_path):
    """`python -m nnzoo.tuning._parallel < planted.pkl` refuses the bytes unread, with or without a key."""
    import os
    import subprocess
    import sys

    path = tmp_path / "planted.pkl"
    _plant_pickle(path, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "NNZOO_TUNING_WORKER_KEY"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    if key is not None:
        env["NNZOO_TUNING_WORKER_KEY"] = key
    planted = path.read_bytes()
    for data in (planted, b"\0" * 32 + planted):  # bare, and behind a forged signature
        done = subprocess.run([sys.executable, "-m", "nnzoo.tuning._parallel", str(os.getpid())], input=data,
                              capture_output=True, cwd=tmp_path, env=env, timeout=120)
        assert done.returncode == 2 and b"refusing it unread" in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "PWNED").exists()


# -- names read from sidecars


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("../evil.json", "leads outside"),
        ("sub/../../evil.json", "leads outside"),
        ("/etc/passwd", "absolute path"),
        ("", "not a usable file name"),
        (None, "not a usable file name"),
        (".", "leads outside"),
        ("link/evil.json", "leads outside"),
    ],
)
def test_resolve_inside_refuses_names_that_leave_the_folder(name, fragment, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)  # a link out of the folder
    with pytest.raises(ValueError, match=fragment) as info:
        _io.resolve_inside(folder, name, what="preprocessor file")
    assert "Received: name=" in str(info.value)


def test_resolve_inside_accepts_names_in_the_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    assert _io.resolve_inside(tmp_path, "m.json") == os.path.join(str(tmp_path), "m.json")
    assert _io.resolve_inside(tmp_path, "sub/m.json") == os.path.join(str(tmp_path), "sub/m.json")


@pytest.fixture(scope="module")
def trained_csv_model(tmp_path_factory):
    """A model trained by `nnzoo train` on a CSV file: (folder, model path, csv path, pristine files)."""
    folder = tmp_path_factory.mktemp("trained")
    frame = _mixed_frame(80).drop(columns=["empty"])
    csv = folder / "t.csv"
    frame.to_csv(csv, index=False)
    model = folder / "m.keras"
    assert cli.main(["train", "ffnn_small", "--data", str(csv), "--target", "label", "--epochs", "1",
                     "--out", str(model), "--json"]) == 0
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert "m.preprocessor.json" in files and not [n for n in files if n.endswith(".pkl")]
    return folder, model, csv, files


def _restore(folder, files):
    for p in folder.iterdir():
        if p.name not in files:
            if p.is_symlink() or p.is_file():
                p.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _set_meta_preprocessor(folder, name):
    meta_path = folder / "m.nnzoo.json"
    meta = json.loads(meta_path.read_text())
    meta["preprocessor"] = name
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize("command", ["evaluate", "export"])
@pytest.mark.parametrize(
    "attack, fragment",
    [
        ("pickle beside the model", "pickle"),
        ("pickle under the json name", "pickle"),
        ("../evil", "leads outside"),
        ("absolute path", "absolute path"),
        ("symlink out", "leads outside"),
    ],
)
def test_planted_payloads_never_run(command, attack, fragment, trained_csv_model, tmp_path, capsys):
    folder, model, csv, files = trained_csv_model
    _restore(folder, files)
    evil = tmp_path / "evil.preprocessor.pkl"
    _plant_pickle(evil, tmp_path)
    if attack == "pickle beside the model":  # the reproduction, with the old sidecar name
        _plant_pickle(folder / "m.preprocessor.pkl", tmp_path)
        _set_meta_preprocessor(folder, "m.preprocessor.pkl")
    elif attack == "pickle under the json name":
        _plant_pickle(folder / "m.preprocessor.json", tmp_path)
    elif attack == "../evil":
        _set_meta_preprocessor(folder, os.path.relpath(evil, folder))
    elif attack == "absolute path":
        _set_meta_preprocessor(folder, str(evil))
    else:
        (folder / "link.json").symlink_to(evil)
        _set_meta_preprocessor(folder, "link.json")
    argv = [command, str(model), "--data", str(csv)] + (["--out", str(tmp_path / "m.tflite")] if command == "export" else [])
    try:
        code = cli.main(argv)
        err = capsys.readouterr().err
    finally:
        _restore(folder, files)
    assert not (tmp_path / "PWNED").exists()
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and fragment in err, err
    assert not (tmp_path / "m.tflite").exists()


def test_evaluate_reads_the_json_preprocessor(trained_csv_model, capsys):
    folder, model, csv, files = trained_csv_model
    _restore(folder, files)
    code = cli.main(["evaluate", str(model), "--data", str(csv), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["n_samples"] == 16


# -- temporary files: recognisable, and removed when stale


def _dead_pid():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_temporaries_are_recognisable_and_removed_on_the_next_write(tmp_path):
    target = tmp_path / "m.keras"
    seen = []
    with _io.atomic_path(target) as tmp:
        seen.append(os.path.basename(tmp))
        Path(tmp).write_text("x")
    assert re.fullmatch(rf"\.m\.keras\.nnzoo-tmp-{os.getpid()}-[0-9a-f]{{8}}\.keras", seen[0])
    dead = _dead_pid()
    stale = tmp_path / f".m.keras.nnzoo-tmp-{dead}-0123abcd.keras"
    stale.write_bytes(b"\0" * 1_000_000)
    live = tmp_path / f".m.keras.nnzoo-tmp-{os.getpid()}-0123abcd.keras"  # this process may still write it
    live.write_bytes(b"x")
    other = tmp_path / f".other.keras.nnzoo-tmp-{dead}-0123abcd.keras"  # another target's
    other.write_bytes(b"x")
    impossible = tmp_path / f".m.keras.nnzoo-tmp-{2**70}-0123abcd.keras"  # beyond any pid
    impossible.write_bytes(b"x")
    _io.atomic_write_text(target, "new")
    assert not stale.exists() and not impossible.exists() and live.exists() and other.exists()
    assert target.read_text() == "new"


def test_a_killed_save_leaves_no_debris_after_the_next_save(tmp_path):
    target = tmp_path / "big.keras"
    script = (
        "import os, sys\n"
        "from nnzoo import _io\n"
        f"with _io.atomic_path({str(target)!r}) as tmp:\n"
        "    open(tmp, 'wb').write(b'\\0' * 20_000_000)\n"
        "    os._exit(9)\n"  # killed mid-save
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", script], env=env).returncode == 9
    debris = [p for p in tmp_path.iterdir() if ".nnzoo-tmp-" in p.name]
    assert len(debris) == 1 and debris[0].stat().st_size == 20_000_000 and not target.exists()
    _io.atomic_write_text(target, "saved")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.keras"]


# -- files that change together


def _failing_replace(monkeypatch, fail_on: int):
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == fail_on:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return calls


@pytest.mark.parametrize("existed", [True, False])
def test_atomic_paths_change_together_or_not_at_all(existed, tmp_path, monkeypatch):
    a, b = tmp_path / "m.tflite", tmp_path / "m.tflite.json"
    if existed:
        a.write_text("old model")
        b.write_text("old sidecar")
    _failing_replace(monkeypatch, fail_on=2)
    with pytest.raises(OSError, match="No space"):
        with _io.atomic_paths(a, b) as (ta, tb):
            Path(ta).write_text("new model")
            Path(tb).write_text("new sidecar")
    if existed:
        assert (a.read_text(), b.read_text()) == ("old model", "old sidecar")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.json"]
    else:
        assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    with _io.atomic_paths(a, b) as (ta, tb):
        Path(ta).write_text("new model")
        Path(tb).write_text("new sidecar")
    assert (a.read_text(), b.read_text()) == ("new model", "new sidecar")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.json"]


def test_a_failed_last_rename_never_pairs_the_old_tflite_with_a_new_sidecar(tmp_path, monkeypatch):
    import keras

    from nnzoo import build
    from nnzoo.export import TFLiteModel, to_tflite

    keras.utils.set_random_seed(0)
    model = build("ffnn_small", (4,), num_classes=3)
    path = tmp_path / "m.tflite"
    to_tflite(model, path, class_names=["a", "b", "c"], latency_runs=0)
    old, old_side = path.read_bytes(), (tmp_path / "m.tflite.json").read_bytes()
    assert json.loads(old_side)["sha256"] == __import__("hashlib").sha256(old).hexdigest()
    model.set_weights([w + 0.5 for w in model.get_weights()])
    calls = _failing_replace(monkeypatch, fail_on=2)  # the second rename: the sidecar
    with pytest.raises(OSError, match="No space"):
        to_tflite(model, path, class_names=["x", "y", "z"], latency_runs=0)
    assert [os.path.basename(c) for c in calls[:2]] == ["m.tflite", "m.tflite.json"]
    assert path.read_bytes() == old and (tmp_path / "m.tflite.json").read_bytes() == old_side
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.json"]
    monkeypatch.undo()
    # a pair left mismatched (as by a crash between the renames) is detected, not trusted
    side = json.loads(old_side)
    side["sha256"] = "0" * 64
    (tmp_path / "m.tflite.json").write_text(json.dumps(side))
    with pytest.warns(UserWarning, match="sha256 differs"):
        assert TFLiteModel(path).metadata is None


def test_keras_weights_temporaries_keep_their_whole_suffix(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    target = tmp_path / "fold0.weights.h5"
    with _io.atomic_path(target) as tmp:
        assert os.path.basename(tmp).startswith(".fold0.weights.h5.nnzoo-tmp-") and tmp.endswith(".weights.h5")
        model.save_weights(tmp)
    model.load_weights(target)
    assert [p.name for p in tmp_path.iterdir()] == ["fold0.weights.h5"]


def test_a_model_file_with_code_is_refused_in_safe_mode(tmp_path, capsys):
    import keras

    marker = tmp_path / "PWNED"
    touch = f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]"
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(eval(touch)), keras.layers.Dense(3)])
    model.save(tmp_path / "m.keras")
    marker.unlink()  # building the model ran the lambda once; loading it must not
    assert cli.main(["evaluate", str(tmp_path / "m.keras"), "--data", "iris", "--test-size", "0"]) == 2
    err = capsys.readouterr().err
    assert not marker.exists()
    assert len(err.strip().splitlines()) == 1 and "Lambda" in err, err
