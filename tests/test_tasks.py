"""One task rule: `tune`, `evaluate`, the datasets and the adapters agree on every target."""

import keras
import numpy as np
import pandas as pd
import pytest

import nnzoo
from nnzoo import _tasks
from nnzoo._tasks import read_head
from nnzoo._registry import get_entry
from nnzoo.datasets import from_dataframe
from nnzoo.tuning._data import prepare
from nnzoo.tuning._sklearn import ZooClassifier, ZooRegressor

N = 300
_rng = np.random.default_rng(0)
_bits = _rng.integers(0, 2, size=(N, 3))

#: name -> (targets, the task every caller infers, scikit-learn's type_of_target).
TARGETS = {
    "floats": (_rng.normal(size=N), "regression", "continuous"),
    "whole-valued floats": (np.arange(N, dtype="float64") % 7, "regression", "multiclass"),
    "0.0/1.0 floats": ((np.arange(N) % 2).astype("float32"), "regression", "binary"),
    "two integers": (np.arange(N) % 2, "binary", "binary"),
    "few integers": (np.arange(N) % 4, "multiclass", "multiclass"),
    "many integers": (np.arange(N) % 97, "multiclass", "multiclass"),
    "integer column": ((np.arange(N) % 3).reshape(-1, 1), "multiclass", "multiclass"),
    "two strings": (np.where(np.arange(N) % 2, "yes", "no"), "binary", "binary"),
    "strings": (np.array(["a", "b", "c"])[np.arange(N) % 3], "multiclass", "multiclass"),
    "bools": (np.arange(N) % 3 == 0, "binary", "binary"),
    "0/1 matrix": (_bits, "multilabel", "multilabel-indicator"),
    "bool matrix": (_bits.astype(bool), "multilabel", "multilabel-indicator"),
    "2-D floats": (_rng.normal(size=(N, 3)), "regression", "continuous-multioutput"),
}
X = _rng.normal(size=(N, 4)).astype("float32")


class Echo:
    """An estimator-like object whose predictions are the true targets."""

    def __init__(self, y):
        self.y = np.asarray(y)

    def predict(self, X):
        return self.y


def _adapter_task(y):
    """The task the scikit-learn adapters build a head for (without training)."""
    est = ZooRegressor() if _tasks.infer_task(y) == "regression" else ZooClassifier()
    est._targets(y, None, warm=False, partial=False, classes=None)
    return est._head_kwargs()["task"]


@pytest.mark.parametrize("name", list(TARGETS))
def test_every_caller_infers_the_same_task(name):
    y, task, target_type = TARGETS[name]
    from sklearn.utils.multiclass import type_of_target

    assert type_of_target(y) == target_type  # the reference the rule reads
    assert _tasks.infer_task(y) == task
    # tune (checked with validation_data: 97 classes are too many for a stratified split of 300 rows)
    prepared = prepare(get_entry("ffnn"), X, y, task=None, validation_split=0.2, validation_data=(X, y),
                       cv=None, seed=0)
    assert prepared.task == task
    assert nnzoo.evaluate(Echo(y), X, y).task == task
    assert _adapter_task(y) == task
    if np.ndim(y) == 1 or np.shape(y)[1] == 1:  # a table's target is one column
        frame = pd.DataFrame({"x": X[:, 0], "t": np.ravel(y)})
        data = from_dataframe(frame, target="t")
        assert data.task == task
        assert data.build_kwargs() == prepared.context == _tasks.task_arguments(task, data.y)


def test_the_classifier_reads_whole_valued_floats_as_labels_as_scikit_learn_does():
    y = (np.arange(N) % 2).astype("float32")
    assert _tasks.infer_task(y) == "regression"
    assert _tasks.infer_task(y, labels=True) == "binary"
    clf = ZooClassifier()
    clf._targets(y, None, warm=False, partial=False, classes=None)
    assert clf._head_kwargs() == {"task": "binary"}
    with pytest.raises(ValueError, match="Unknown label type"):
        ZooClassifier()._targets(_rng.normal(size=N), None, warm=False, partial=False, classes=None)


def test_pandas_targets_follow_the_same_rule():
    assert _tasks.infer_task(pd.Series([1, 2, None, 3] * 10, dtype="Int64").dropna()) == "multiclass"
    assert _tasks.infer_task(pd.Series(["a", "b"] * 10, dtype="category")) == "binary"
    assert _tasks.infer_task(pd.Series([0.5, 1.5] * 10, dtype="Float64")) == "regression"
    frame = pd.DataFrame({"a": [0, 1] * 10, "b": [1, 1] * 10})
    assert _tasks.infer_task(frame) == "multilabel"


@pytest.mark.parametrize(
    "y, error",
    [
        (np.zeros((4, 2, 2)), r"must be a vector of targets.*Received: y_shape=\(4, 2, 2\)"),
        (np.array([[0, 2], [1, 0], [2, 1]]), r"Unknown label type.*'multiclass-multioutput'.*Received: y_shape"),
        (np.array([[1, 3], [3, 1], [1, 1]]), r"must hold 0/1 indicators.*Received: y_values=\[1, 3\]"),
        (np.array(["a", 1, 2.5], dtype=object), r"Unknown label type.*'unknown'|cannot be compared"),
    ],
)
def test_targets_no_head_fits_fail_in_the_house_voice(y, error):
    with pytest.raises((ValueError, TypeError), match=error):
        _tasks.infer_task(y)


def test_task_arguments_table():
    assert _tasks.task_arguments("reconstruction") == {}
    assert _tasks.task_arguments("binary", np.array([0, 1, 1])) == {"task": "binary"}
    assert _tasks.task_arguments("multiclass", np.array([0, 2, 5, 2])) == {"task": "multiclass", "num_classes": 3}
    assert _tasks.task_arguments("multiclass", np.array([0, 1]), num_classes=10) == {"task": "multiclass",
                                                                                    "num_classes": 10}
    assert _tasks.task_arguments("multilabel", _bits) == {"task": "multilabel", "num_classes": 3}
    assert _tasks.task_arguments("multiclass") == {"task": "multiclass"}  # nothing to count: the factory asks
    assert _tasks.task_arguments("regression", np.zeros(5)) == {"task": "regression"}
    assert _tasks.task_arguments("regression", np.zeros((5, 1))) == {"task": "regression"}
    assert _tasks.task_arguments("regression", np.zeros((5, 3))) == {"task": "regression", "num_outputs": 3}


def test_the_head_table_builds_every_task():
    for task in _tasks.TASKS:
        kwargs = _tasks.task_arguments(task, TARGETS[{"regression": "2-D floats", "binary": "two integers",
                                                      "multiclass": "few integers",
                                                      "multilabel": "0/1 matrix"}[task]][0])
        model = nnzoo.build_ffnn((4,), (4,), **kwargs)
        activation, loss, metrics = _tasks.HEADS[task]
        assert read_head(model).activation == activation and read_head(model).task == task
        assert model.loss == loss
    assert set(_tasks.HEADS) == set(_tasks.TASKS)


def test_a_nested_head_is_read_through():
    model = nnzoo.build_vgg16_transfer((32, 32, 3), num_classes=3, weights=None, compile=False)
    assert isinstance(model.layers[-1], keras.Model)  # VGG's head is a nested model
    assert read_head(model).activation == "softmax" and read_head(model).task == "multiclass"
    images = np.random.default_rng(0).uniform(0, 255, size=(6, 32, 32, 3)).astype("float32")
    result = nnzoo.evaluate(model, images, np.array([0, 1, 2, 0, 1, 2]))
    assert result.task == "multiclass" and result.confusion_matrix.shape == (3, 3)


def test_softmax_layers_and_autoencoders_are_read():
    inputs = keras.Input((3,))
    softmax = keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(3)(inputs)))
    assert read_head(softmax).activation == "softmax" and read_head(softmax).task == "multiclass"
    auto = nnzoo.build_autoencoder((6,), compile=False)
    assert read_head(auto).task == "reconstruction"
    assert read_head(keras.Model(inputs, keras.layers.Dense(2, activation="relu")(inputs))).task is None


def test_task_names_type_check_themselves():
    with pytest.raises(TypeError, match=r"`task` must be a string.*Received: task=3"):
        _tasks.check_task(3)
    with pytest.raises(ValueError, match=r"Unknown `task`. Did you mean 'multiclass'\?.*Received: task='multiclas'"):
        _tasks.check_task("multiclas")
    assert _tasks.check_task("Binary") == "binary"
    assert _tasks.ALL_TASKS == (*_tasks.TASKS, "reconstruction")
