import math
import sys

import keras
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

from nnzoo import plots  # noqa: E402
from nnzoo.evaluation import evaluate  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HISTORY = {
    "loss": [1.0, 0.6, 0.4, 0.35],
    "val_loss": [1.1, 0.7, 0.5, 0.55],
    "accuracy": [0.5, 0.7, 0.8, 0.85],
    "val_accuracy": [0.5, 0.65, 0.75, 0.74],
    "learning_rate": [1e-3, 1e-3, 5e-4, 5e-4],
}



def _is_png(path):
    with open(path, "rb") as fh:
        return fh.read(8) == PNG_MAGIC


def test_plot_history_panels_lines_and_png(tmp_path):
    path = tmp_path / "history.png"
    fig = plots.plot_history(HISTORY, path=path)
    assert isinstance(fig, Figure) and _is_png(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.png"]  # no temporary file left
    loss, accuracy = fig.axes
    assert (loss.get_title(), accuracy.get_title()) == ("loss", "accuracy")  # learning rate left out
    lines = {line.get_label(): line for line in loss.get_lines()}
    np.testing.assert_array_equal(lines["train"].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(lines["validation"].get_ydata(), HISTORY["val_loss"])
    assert lines["best epoch 3"].get_xdata()[0] == 3  # lowest val_loss


def test_plot_history_takes_a_keras_history_and_a_metric_choice():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(np.ones((8, 2)), np.ones(8), epochs=2, validation_split=0.25, verbose=0)
    fig = plots.plot_history(history, metrics=["mae"])
    assert [ax.get_title() for ax in fig.axes] == ["mae"]
    assert len(fig.axes[0].get_lines()) == 2


def test_plot_confusion_matrix_from_array_and_evaluation(tmp_path):
    cm = np.array([[5, 1], [2, 7]])
    fig = plots.plot_confusion_matrix(cm, ["no", "yes"], path=tmp_path / "cm.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["no", "yes"]
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "5", "7"]
    assert _is_png(tmp_path / "cm.png")

    class Stub:
        def predict(self, X):
            return np.array([0, 1, 1, 2])

    result = evaluate(Stub(), np.zeros((4, 1)), [0, 1, 2, 2], target_names=["a", "b", "c"])
    fig = plots.plot_confusion_matrix(result, normalize=True)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.get_title() == "accuracy 0.750"
    assert "0.50" in [t.get_text() for t in ax.texts]


def test_plot_learning_rate_from_schedule_callback_and_history(tmp_path):
    def halve_every_two(epoch, lr):
        return lr * 0.5 if epoch and epoch % 2 == 0 else lr

    assert plots.learning_rates(halve_every_two, 5, initial_lr=0.1) == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert plots.learning_rates(lambda epoch: 1.0 / (epoch + 1), 3) == [1.0, 0.5, 1.0 / 3]  # one-argument form
    callback = keras.callbacks.LearningRateScheduler(halve_every_two)
    assert plots.learning_rates(callback, 3, initial_lr=0.1) == [0.1, 0.1, 0.05]
    assert plots.learning_rates(HISTORY) == HISTORY["learning_rate"]

    def cosine(epoch, lr):
        return 0.01 * 0.5 * (1 + math.cos(math.pi * epoch / 20))

    fig = plots.plot_learning_rate(cosine, 20, path=tmp_path / "lr.png")
    ax = fig.axes[0]
    ys = ax.get_lines()[0].get_ydata()
    assert len(ys) == 20 and ys[0] == pytest.approx(0.01) and ax.get_yscale() == "log"
    assert _is_png(tmp_path / "lr.png")
    assert plots.plot_learning_rate(HISTORY).axes[0].get_yscale() == "linear"


def test_plot_reconstruction_error_threshold_line(tmp_path):
    errors = np.concatenate([np.full(95, 0.01), np.full(5, 0.5)])
    fig = plots.plot_reconstruction_error(errors, 0.1, path=tmp_path / "errors.png")
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    assert line.get_xdata()[0] == 0.1
    assert "5 above (5.0%)" in line.get_label()
    assert sum(p.get_height() for p in ax.patches) == 100
    assert _is_png(tmp_path / "errors.png")
    assert plots.plot_reconstruction_error(errors).axes[0].get_lines() == []


@pytest.mark.parametrize(
    "call, exc, error",
    [
        (lambda: plots.plot_history({}), ValueError, "no loss or metric values"),
        (lambda: plots.plot_history(HISTORY, metrics=["acuracy"]), ValueError, "Did you mean 'accuracy'?"),
        (lambda: plots.plot_history([1, 2]), TypeError, "Keras History or a dict"),
        (lambda: plots.plot_confusion_matrix(np.ones((2, 3))), ValueError, "must be square"),
        (lambda: plots.plot_confusion_matrix(np.eye(2), ["a"]), ValueError, "`labels` do not match"),
        (lambda: plots.plot_learning_rate(lambda e, lr: lr), ValueError, "`epochs` is required"),
        (lambda: plots.plot_learning_rate({"loss": [1.0]}), ValueError, "no learning-rate logs"),
        (lambda: plots.plot_learning_rate(lambda e, lr: float("nan"), 3), ValueError, "finite and non-negative"),
        (lambda: plots.plot_reconstruction_error([]), ValueError, "`errors` is empty"),
        (lambda: plots.plot_reconstruction_error([1.0, np.nan]), ValueError, "NaN or infinite"),
        (lambda: plots.plot_reconstruction_error([1.0], threshold="high"), TypeError, "must be a number"),
    ],
)
def test_errors(call, exc, error):
    with pytest.raises(exc, match=error) as info:
        call()
    assert "Received:" in str(info.value)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install nnzoo\[plots\]"):
        plots.plot_reconstruction_error([0.1, 0.2])
