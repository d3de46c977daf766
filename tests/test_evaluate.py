import json

import keras
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression, Ridge

import nnzoo
from nnzoo.datasets import load
from nnzoo.evaluation import Evaluation, evaluate



class FixedModel:
    """Any object with predict: returns what it was given."""

    def __init__(self, pred):
        self.pred = np.asarray(pred)

    def predict(self, X):
        return self.pred


def _dense_model(units, activation, n_features=2):
    """A tiny Keras model with fixed weights: output = activation(x @ ones)."""
    inputs = keras.Input((n_features,))
    outputs = keras.layers.Dense(units, activation=activation, kernel_initializer="ones", bias_initializer="zeros")(inputs)
    return keras.Model(inputs, outputs)


def test_sklearn_classifier_matches_sklearn_metrics():
    train, test = load("iris", test_size=0.3, seed=0)
    clf = LogisticRegression(max_iter=500).fit(train.X, train.y)
    result = evaluate(clf, test)
    pred = clf.predict(test.X)
    assert isinstance(result, Evaluation) and result.task == "multiclass" and result.n_samples == 45
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(test.y, pred))
    assert result["f1"] == pytest.approx(skm.f1_score(test.y, pred, average="macro"))
    assert result["precision"] == pytest.approx(skm.precision_score(test.y, pred, average="macro"))
    assert result["recall"] == pytest.approx(skm.recall_score(test.y, pred, average="macro"))
    np.testing.assert_array_equal(result.confusion_matrix, skm.confusion_matrix(test.y, pred))
    assert result.labels == ("setosa", "versicolor", "virginica")
    assert "versicolor" in result.report and "macro avg" in result.report


def test_result_as_dict_frame_and_text():
    result = evaluate(FixedModel([0, 1, 1, 0]), np.zeros((4, 2)), [0, 1, 0, 0], task="binary")
    as_dict = result.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["accuracy"] == 0.75 and as_dict["confusion_matrix"] == [[2, 1], [0, 1]]
    assert as_dict["labels"] == ["0", "1"] and as_dict["n_samples"] == 4
    frame = result.to_frame("stub")
    assert list(frame.index) == ["stub"] and list(frame.columns) == ["accuracy", "precision", "recall", "f1"]
    assert frame.loc["stub", "accuracy"] == 0.75
    assert "accuracy" in str(result)
    with pytest.raises(ValueError, match="No metric 'r2'"):
        result["r2"]


def test_regressor_matches_sklearn_and_is_not_mistaken_for_classes():
    # diabetes targets are whole numbers stored as floats; the estimator says regression
    train, test = load("diabetes", test_size=0.2, seed=0)
    reg = Ridge().fit(train.X, train.y)
    result = evaluate(reg, test.X, test.y)
    pred = reg.predict(test.X)
    assert result.task == "regression" and result.confusion_matrix is None and result.report is None
    assert result["mse"] == pytest.approx(skm.mean_squared_error(test.y, pred))
    assert result["mae"] == pytest.approx(skm.mean_absolute_error(test.y, pred))
    assert result["r2"] == pytest.approx(skm.r2_score(test.y, pred))
    assert set(result.to_dict()) == {"task", "n_samples", "mse", "mae", "r2"}


def test_task_read_from_a_keras_output_layer():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [0.2, 0.1], [-0.3, 0.1]], dtype="float32")
    binary = evaluate(_dense_model(1, "sigmoid"), X, [1, 0, 1, 1])
    assert binary.task == "binary" and binary["accuracy"] == 0.75  # sigmoid(-0.2) < 0.5
    np.testing.assert_array_equal(binary.y_pred, [1, 0, 1, 0])
    strict = evaluate(_dense_model(1, "sigmoid"), X, [1, 0, 1, 1], threshold=0.7)
    np.testing.assert_array_equal(strict.y_pred, [1, 0, 0, 0])
    regression = evaluate(_dense_model(1, "linear"), X, [2.0, -2.0, 0.3, -0.2])
    assert regression.task == "regression" and regression["mse"] == pytest.approx(0.0, abs=1e-10)


def test_keras_probabilities_become_labels_by_argmax():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(3, kernel_initializer="identity", use_bias=False)(inputs)))
    X = np.eye(3, dtype="float32")[[0, 1, 2, 2]]
    result = evaluate(model, X, [0, 1, 2, 1], target_names=["a", "b", "c"])
    assert result.task == "multiclass" and result["accuracy"] == 0.75
    assert result.labels == ("a", "b", "c")
    np.testing.assert_array_equal(result.confusion_matrix, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


def test_zoo_model_on_a_dataset():
    train, test = load("breast_cancer", test_size=0.3, seed=0)
    model = nnzoo.build("ffnn_small", train.input_shape, **train.build_kwargs(), learning_rate=1e-2)
    model.fit(train.X, train.y, epochs=10, batch_size=32, verbose=0)
    result = evaluate(model, test)
    assert result.task == "binary" and result.labels == ("malignant", "benign")
    assert result["accuracy"] > 0.9
    assert result.confusion_matrix.sum() == len(test)


def test_multilabel_and_probability_rows_from_any_predict():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    probs = np.array([[0.9, 0.2], [0.1, 0.8], [0.7, 0.3]])
    result = evaluate(FixedModel(probs), np.zeros((3, 1)), y, task="multilabel", target_names=["x", "y"])
    assert result["accuracy"] == pytest.approx(2 / 3) and result.confusion_matrix is None
    assert "x" in result.report
    rows = evaluate(FixedModel([[0.8, 0.2], [0.3, 0.7]]), np.zeros((2, 1)), [0, 1], task="multiclass")
    assert rows["accuracy"] == 1.0


def test_string_labels_from_an_estimator():
    result = evaluate(FixedModel(["cat", "dog", "dog"]), np.zeros((3, 1)), ["cat", "dog", "cat"])
    assert result.task == "binary" and result.labels == ("cat", "dog")
    assert result["accuracy"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "call, exc, error",
    [
        (lambda: evaluate(FixedModel([0, 1]), np.zeros((2, 1)), [0, 1, 1]), ValueError, "different numbers of rows"),
        (lambda: evaluate(object(), np.zeros((2, 1)), [0, 1]), TypeError, "must have a predict method"),
        (lambda: evaluate(FixedModel([0, 1]), np.zeros((2, 1))), TypeError, "`y` is required"),
        (lambda: evaluate(FixedModel([0, 1]), np.zeros((2, 1)), [0, 1], task="multiclas"), ValueError,
         "Did you mean 'multiclass'?"),
        (lambda: evaluate(FixedModel([0.5, 1.5]), np.zeros((2, 1)), [0, 1], task="multiclass"), ValueError,
         "Multiclass predictions must be labels"),
        (lambda: evaluate(FixedModel([1.0, 2.0]), np.zeros((2, 1)), [1.0], task="regression"), ValueError,
         "different numbers of rows"),
    ],
)
def test_errors(call, exc, error):
    with pytest.raises(exc, match=error) as info:
        call()
    assert "Received:" in str(info.value)


def test_evaluate_is_a_function_at_the_top_level():
    import nnzoo.evaluation

    assert nnzoo.evaluate is nnzoo.evaluation.evaluate and "evaluate" in nnzoo.__all__
    assert callable(nnzoo.evaluate) and nnzoo.evaluate.__module__ == "nnzoo.evaluation"
