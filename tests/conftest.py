import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts with a fixed seed and an empty Keras graph state.

    `free_memory=False` skips the gc.collect() that costs about 0.5 s per test
    once TensorFlow is loaded; the names and graph are still reset.
    """
    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session(free_memory=False)
