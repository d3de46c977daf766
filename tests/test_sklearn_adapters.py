"""Tests for nnzoo.tuning's scikit-learn adapters (nnzoo/tuning/_sklearn.py)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnzoo.tuning._sklearn import ZooAutoencoder, ZooClassifier, ZooRegressor

CHECK_CONFIG = dict(
    model__hidden_units=(16,),
    epochs=3,
    batch_size=32,
    optimizer__learning_rate=0.03,
    compile__steps_per_execution=1,
    compile__metrics=[],
    dtype="float64",
    random_state=0,
)


@parametrize_with_checks([ZooClassifier(**CHECK_CONFIG), ZooRegressor(**CHECK_CONFIG)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
