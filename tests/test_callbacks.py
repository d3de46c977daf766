import copy
import pickle

import keras
import numpy as np
import pytest

import nnzoo
from nnzoo import callbacks as cb


@pytest.mark.parametrize("schedule", [cb.StepDecay(0.5, 2), cb.ExponentialDecay(0.2), cb.CosineAnnealing(6, 0.1, 1)])
def test_schedules_are_copyable_picklable_and_configurable(schedule):
    for clone in (copy.deepcopy(schedule), pickle.loads(pickle.dumps(schedule)), type(schedule).from_config(schedule.get_config())):
        assert clone == schedule
        assert [clone(e, 0.1) for e in range(5)] == [schedule(e, 0.1) for e in range(5)]


def test_schedule_values():
    assert cb.StepDecay(0.5, 2).rates(1.0, 6) == [1, 1, 0.5, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(cb.ExponentialDecay(0.1).rates(1.0, 3), np.exp([0, -0.1, -0.2]))
    rates = cb.CosineAnnealing(epochs=5, alpha=0.0, warmup=1).rates(1.0, 7)
    np.testing.assert_allclose(rates, [0.5, 1.0, 0.5 * (1 + np.cos(np.pi / 4)), 0.5, 0.5 * (1 + np.cos(3 * np.pi / 4)), 0.0, 0.0], atol=1e-12)


def test_schedule_is_multiplicative_when_chained():
    sched = cb.StepDecay(0.5, 1)
    lr = 1.0
    lr = sched(0, lr)        # 1.0
    lr = sched(1, lr) * 0.1  # 0.5, then a plateau cut to 0.05
    assert sched(2, lr) == pytest.approx(0.025)  # the cut carries forward


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="Received: drop=0.0"):
        cb.StepDecay(drop=0.0)
    with pytest.raises(ValueError, match="warmup < epochs=3"):
        cb.CosineAnnealing(epochs=3, warmup=3)
    with pytest.raises(ValueError, match="Unknown `schedule`. Did you mean 'cosine'"):
        cb.standard_callbacks(schedule="cosin")


def test_standard_callbacks_contents(tmp_path):
    cbs = cb.standard_callbacks(patience=4, schedule="cosine", epochs=20, checkpoint_path=str(tmp_path / "best.keras"))
    kinds = [type(c).__name__ for c in cbs]
    assert kinds == ["TerminateOnNaN", "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "SafeModelCheckpoint"]
    assert cbs[1].restore_best_weights and cbs[1].patience == 4 and cbs[2].patience == 2
    copy.deepcopy(cbs)  # keras-tuner deep-copies callbacks for each trial


def test_schedule_and_plateau_in_one_fit(tmp_path):
    """Step decay and ReduceLROnPlateau both act on the rate in the same fit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype("float32")
    y = rng.normal(size=(64,)).astype("float32")  # noise: validation loss plateaus at once
    model = nnzoo.build_ffnn((4,), (8,), task="regression", learning_rate=0.01)
    cbs = [cb.step_decay(0.5, every=2),
           cb.reduce_lr_on_plateau(factor=0.1, patience=1, min_lr=0.0, min_delta=10.0)]
    hist = model.fit(X, y, validation_split=0.25, epochs=6, batch_size=16, verbose=0, callbacks=cbs)
    lrs = hist.history["learning_rate"]
    # Step decay alone would give 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025: plateau cuts come on top.
    assert lrs[-1] < 0.0025 * 0.1
    assert all(b <= a * 1.0001 for a, b in zip(lrs, lrs[1:]))


def test_early_stopping_restores_and_checkpoint_is_atomic(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3)).astype("float32")
    y = (X[:, 0] > 0).astype("float32")
    path = tmp_path / "best.keras"
    model = nnzoo.build_ffnn((3,), (8,), task="binary", learning_rate=0.05)
    model.fit(X, y, validation_split=0.25, epochs=15, batch_size=16, verbose=0,
              callbacks=cb.standard_callbacks(patience=3, schedule="step", epochs=15, checkpoint_path=str(path)))
    assert path.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["best.keras"]  # no temporary left behind
    loaded = keras.saving.load_model(path)
    assert loaded.output_shape == (None, 1)


def test_checkpoint_keeps_good_file_when_save_fails(tmp_path):
    path = tmp_path / "best.keras"
    path.write_bytes(b"good")

    class Broken:
        def save(self, filepath):
            with open(filepath, "wb") as fh:
                fh.write(b"partial")
            raise OSError("disk full")

    ckpt = cb.SafeModelCheckpoint(str(path), monitor="val_loss")
    ckpt.set_model(Broken())
    with pytest.raises(OSError):
        ckpt.on_epoch_end(0, {"val_loss": 1.0})
    assert path.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["best.keras"]


def test_checkpoint_path_must_be_keras():
    with pytest.raises(ValueError, match="Received: filepath='best.h5'"):
        cb.SafeModelCheckpoint("best.h5")


@pytest.mark.parametrize("monitor, values, saved_at, best", [
    ("val_precision", [0.5, 0.7, 0.6, 0.9], [0, 1, 3], 0.9),  # Precision goes up: Keras knows, the name does not say
    ("val_loss", [1.0, 0.8, 0.9, 0.5], [0, 1, 3], 0.5),
    ("val_accuracy", [0.5, float("nan"), 0.4, 0.6], [0, 3], 0.6),  # NaN epochs are skipped, not taken as best
])
def test_checkpoint_takes_the_direction_from_the_compiled_metric(tmp_path, monitor, values, saved_at, best):
    X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (X[:, 0] > 0).astype("float32")
    model = nnzoo.build_ffnn((3,), (4,), task="binary")
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Precision(name="precision")])
    model.fit(X, y, validation_split=0.25, epochs=1, verbose=0)  # builds the metrics, as in a real fit
    path = tmp_path / "best.keras"
    ckpt = cb.SafeModelCheckpoint(str(path), monitor=monitor)
    ckpt.set_model(model)
    ckpt.on_train_begin()
    saved = []
    for epoch, value in enumerate(values):
        ckpt.on_epoch_end(epoch, {monitor: value})
        if path.exists():
            saved.append(epoch)
            path.unlink()
    assert saved == saved_at
    assert ckpt.best == pytest.approx(best)


def test_checkpoint_asks_for_a_mode_when_keras_cannot_tell(tmp_path):
    model = nnzoo.build_ffnn((3,), (4,), task="binary")
    ckpt = cb.SafeModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_custom_score")
    ckpt.set_model(model)
    ckpt.on_train_begin()
    with pytest.raises(ValueError, match="mode='max'"):
        ckpt.on_epoch_end(0, {"val_custom_score": 1.0})
    maximise = cb.SafeModelCheckpoint(str(tmp_path / "best.keras"), monitor="val_custom_score", mode="max")
    maximise.set_model(model)
    maximise.on_train_begin()
    for epoch, value in enumerate([1.0, 2.0, 1.5]):
        maximise.on_epoch_end(epoch, {"val_custom_score": value})
    assert maximise.best == 2.0
