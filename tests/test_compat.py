"""Tests for nnzoo/_compat.py: every private internal nnzoo relies on is still where it was.

Each test here fails loudly when a TensorFlow or keras-tuner release moves an
internal listed in `nnzoo._compat.INTERNALS`; the fix goes in `_compat.py`,
with the new version in the table and in `REQUIREMENTS`.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import json
import os
from importlib import metadata

import keras_tuner
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from nnzoo import _compat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _install_requires() -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, "setup.cfg"))
    lines = [ln.strip() for ln in parser["options"]["install_requires"].splitlines()]
    reqs = [Requirement(ln) for ln in lines if ln and not ln.startswith("#")]
    return {r.name: str(r.specifier) for r in reqs}


def test_setup_cfg_install_requires_equal_requirements():
    def norm(spec: str) -> SpecifierSet:
        return SpecifierSet(spec)

    declared = _install_requires()
    assert set(declared) == set(_compat.REQUIREMENTS)
    for package, spec in _compat.REQUIREMENTS.items():
        assert norm(declared[package]) == norm(spec), package
    assert _compat.supported_versions() == _compat.REQUIREMENTS
    assert _compat.supported_versions() is not _compat.REQUIREMENTS  # a copy


def test_every_internal_package_has_an_upper_bound_and_was_checked_inside_it():
    for internal in _compat.INTERNALS:
        spec = SpecifierSet(_compat.REQUIREMENTS[internal.package])
        assert any(s.operator in ("<", "<=", "~=", "==") for s in spec), internal.name
        assert Version(internal.checked) in spec, internal.name


def test_installed_versions_are_the_supported_ones():
    assert _compat.version_problems() == []


def test_table_in_the_docstring_lists_every_internal():
    for internal in _compat.INTERNALS:
        assert f"`{internal.name}`" in _compat.__doc__


# --------------------------------------------------------------------------- tensorflow


def test_gradient_registry_is_a_dict_that_custom_gradients_fill_and_release_frees():
    import tensorflow as tf

    registry = _compat.gradient_registry()
    assert isinstance(registry, dict), "tensorflow moved ops._gradient_registry._registry"
    before = set(registry)

    @tf.custom_gradient
    def double(x):
        return 2 * x, lambda dy: 2 * dy

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = double(x)
        return tape.gradient(y, x)

    with _compat.release_gradient_functions():
        assert float(step(tf.constant(1.0))) == 2.0
        added = [k for k in set(registry) - before if str(k).startswith("CustomGradient-")]
        assert added, "a traced tf.custom_gradient no longer registers a 'CustomGradient-<n>' entry"
    assert not set(added) & set(registry)
    # The traced function keeps working without its entry.
    assert float(step(tf.constant(3.0))) == 2.0


def test_drop_custom_gradients_keeps_the_listed_entries():
    registry = _compat.gradient_registry()
    registry["CustomGradient-nnzoo-test-a"] = lambda *a: None
    registry["CustomGradient-nnzoo-test-b"] = lambda *a: None
    try:
        keep = frozenset(set(registry) - {"CustomGradient-nnzoo-test-b"})
        assert _compat.drop_custom_gradients(keep=keep) == 1
        assert "CustomGradient-nnzoo-test-a" in registry and "CustomGradient-nnzoo-test-b" not in registry
    finally:
        registry.pop("CustomGradient-nnzoo-test-a", None)


# --------------------------------------------------------------------------- keras

#: An optimizer entry as keras 3.15.1 on the PyTorch backend writes it into a `.keras` file.
_TORCH_ADAM = {"module": "keras.src.backend.torch.optimizers.torch_adam", "class_name": "Adam",
               "config": {"name": "adam", "learning_rate": 0.003, "beta_1": 0.8}, "registered_name": "Adam"}


def test_backend_optimizer_module_becomes_the_public_class():
    import keras

    config = {"compile_config": {"optimizer": _TORCH_ADAM, "loss": "mse"}, "layers": [{"module": "keras.layers"}]}
    fixed, changed = _compat.portable_optimizer_config(config)
    assert changed and config["compile_config"]["optimizer"] is _TORCH_ADAM  # the input is left alone
    assert fixed["compile_config"]["optimizer"] == {**_TORCH_ADAM, "module": "keras.optimizers", "registered_name": None}
    assert fixed["layers"] is config["layers"]
    optimizer = keras.optimizers.deserialize(fixed["compile_config"]["optimizer"])
    assert type(optimizer) is keras.optimizers.Adam and optimizer.beta_1 == 0.8
    assert _compat.portable_optimizer_config(fixed) == (fixed, False)
    # On PyTorch, tests/backend_checks.py checks the internal itself: the class Keras records there.


# --------------------------------------------------------------------------- keras-tuner


def _oracle(tmp_path, cls=keras_tuner.oracles.RandomSearchOracle, **kw):
    oracle = cls(objective="val_loss", **kw)
    oracle._set_project_dir(str(tmp_path), "p")
    return oracle


def test_oracle_files_and_retry_queue(tmp_path):
    class Oracle(_compat.AtomicTrialFiles, keras_tuner.oracles.RandomSearchOracle):
        pass

    hp = keras_tuner.HyperParameters()
    hp.Int("units", 1, 4)
    oracle = _oracle(tmp_path, Oracle, max_trials=2, hyperparameters=hp)
    assert _compat.oracle_state_path(oracle) == os.path.join(str(tmp_path), "p", "oracle.json")
    assert _compat.oracle_project_dir(oracle) == os.path.join(str(tmp_path), "p")
    trial = oracle.create_trial("tuner0")
    folder = _compat.trial_dir(oracle, trial.trial_id)
    assert folder == os.path.join(str(tmp_path), "p", f"trial_{trial.trial_id}")
    # keras-tuner still saves a trial through the private hook nnzoo overrides.
    with open(os.path.join(folder, "trial.json")) as fh:
        assert json.load(fh)["trial_id"] == trial.trial_id
    assert [n for n in os.listdir(folder) if n.endswith(".tmp")] == []
    queue = _compat.retry_queue(oracle)
    assert isinstance(queue, list) and "retry_queue" in oracle.get_state()
    _compat.set_retry_queue(oracle, [trial.trial_id])
    assert oracle.get_state()["retry_queue"] == [trial.trial_id]


def test_tuner_files_and_worker_flag(tmp_path):
    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss", max_trials=1)
    tuner = keras_tuner.Tuner(hypermodel=lambda hp: None, oracle=oracle, directory=str(tmp_path),
                                     project_name="p")
    assert _compat.tuner_state_path(tuner) == os.path.join(str(tmp_path), "p", "tuner0.json")
    assert _compat.is_worker(tuner) is False


def test_hyperband_takes_max_trials_only_as_an_attribute(tmp_path):
    with pytest.raises(TypeError):
        keras_tuner.oracles.HyperbandOracle(objective="val_loss", max_epochs=4, max_trials=3)
    oracle = keras_tuner.oracles.HyperbandOracle(objective="val_loss", max_epochs=4)
    _compat.set_max_trials(oracle, 3)
    assert oracle.max_trials == 3


def test_tuner_prints_its_reload_message_and_quiet_construction_captures_it(tmp_path, capsys):
    def make():
        oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss", max_trials=1)
        return keras_tuner.Tuner(hypermodel=lambda hp: None, oracle=oracle, directory=str(tmp_path),
                                        project_name="p", overwrite=False)

    make().save()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        make()
    assert "Reloading Tuner from" in out.getvalue()
    capsys.readouterr()
    with _compat.quiet_tuner_construction():
        make()
    assert capsys.readouterr().out == ""


def test_a_moved_internal_names_itself_and_the_supported_versions():
    with pytest.raises(_compat.InternalMoved, match=r"keras-tuner's private Oracle._get_oracle_fname.*"
                                                    r"checked on keras-tuner 1\.4\.8.*keras-tuner>=1\.4\.7,<1\.5"):
        _compat.oracle_state_path(object())
    assert metadata.version("keras-tuner")
