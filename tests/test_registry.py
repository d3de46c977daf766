import pytest

import nnzoo


def test_list_models_wildcards():
    assert nnzoo.list_models("cnn*") == ["cnn", "cnn_large", "cnn_small", "cnn_textbook"]
    assert nnzoo.list_models("nothing*") == []
    assert nnzoo.list_models() == sorted(nnzoo.list_models())


def test_variants_are_presets_of_one_builder():
    assert nnzoo.get_entry("gru").builder is nnzoo.build_lstm
    assert nnzoo.get_entry("gru").preset == {"cell": "gru"}
    assert nnzoo.get_entry("cnn_textbook").builder is nnzoo.build_cnn


def test_unknown_name_lists_known_and_suggests():
    with pytest.raises(ValueError) as err:
        nnzoo.build("cnn_smal", (8, 8, 1), num_classes=3)
    text = str(err.value)
    assert "Did you mean 'cnn_small'?" in text
    assert "ffnn" in text and "vgg16_transfer" in text
    assert text.endswith("Received: name='cnn_smal'")


def test_name_must_be_str():
    with pytest.raises(TypeError, match="Received: name=3"):
        nnzoo.get_entry(3)


def test_explicit_kwargs_override_preset():
    model = nnzoo.build("gru", (5, 2), cell="lstm", compile=False)
    assert any(layer.name == "lstm_1" for layer in model.layers)


def test_import_nnzoo_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, nnzoo; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize("name", nnzoo.list_models())
def test_entry_metadata_matches_the_model(name):
    entry = nnzoo.get_entry(name)
    # Sequences are (timesteps, channels), or (timesteps,) token ids for a model with a vocabulary.
    ranks = {"tabular": (1,), "image": (3,), "sequence": (2, 1) if entry.preset.get("vocab_size") else (2,)}
    assert len(entry.example_input_shape) in ranks[entry.input_kind]
    assert entry.description


# --------------------------------------------------------------------------- families own their facts

import importlib  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import pathlib  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

from nnzoo._registry import Family, InputFacts, families  # noqa: E402
from nnzoo._space import Space  # noqa: E402
from nnzoo.tuning._spaces import factory_arguments  # noqa: E402

FAMILY_NAMES = [f.name for f in families()]


def test_every_listed_folder_registers_one_family():
    from nnzoo.models import FAMILIES

    folders = [importlib.import_module(f"nnzoo.models.{folder}").FAMILY for folder in FAMILIES]
    assert [f.name for f in folders] == FAMILY_NAMES
    assert sorted(n for f in folders for n in f.presets) == nnzoo.list_models()
    assert all(isinstance(f, Family) for f in folders)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_family_provides_space_examples_and_input_facts(family):
    fam = next(f for f in families() if f.name == family)
    args = set(factory_arguments(fam.builder))
    own = set(inspect.signature(fam.builder).parameters)
    for name in fam.presets:
        entry = nnzoo.get_entry(name)
        assert entry.family == family and entry.builder is fam.builder
        assert set(entry.preset) <= own, f"{name}: preset names no argument of {fam.builder.__name__}"
        # The search space: a Space whose params and stacks name real factory arguments.
        assert isinstance(entry.space, Space) and entry.space.params, name
        stacked = {p for stack in entry.space.stacks for p in stack.params}
        assert all(p.name in args or p.name in stacked for p in entry.space.params), name
        assert all(stack.target in args for stack in entry.space.stacks), name
        # The example inputs: float32 of the example shape, finite, in the declared range, seeded.
        X = entry.example_inputs(5, 0)
        assert X.dtype == np.float32 and X.shape == (5, *entry.example_input_shape)
        assert np.all(np.isfinite(X)) and X.std() > 0
        np.testing.assert_array_equal(X, entry.example_inputs(5, 0))
        assert not np.array_equal(X, entry.example_inputs(5, 1))
        # What export needs: input facts, with a range when the model preprocesses raw values inside.
        facts = entry.inputs
        assert isinstance(facts, InputFacts)
        assert (facts.kind, facts.example_shape) == (entry.input_kind, entry.example_input_shape)
        if facts.value_range is not None:
            low, high = facts.value_range
            assert low < high and X.min() >= low and X.max() <= high
            assert facts.feed and str(int(high)) in facts.feed
        assert (facts.preprocessing is None) == (facts.preprocessing_layer is None), name


@pytest.mark.parametrize("family", [f.name for f in families() if f.inputs.preprocessing_layer])
def test_preprocessing_layer_is_in_the_built_model(family):
    entry = nnzoo.get_entry(family)
    kwargs = {"task": "multiclass", "num_classes": 3} if entry.supervised else {}
    model = nnzoo.build(family, entry.example_input_shape, compile=False, **kwargs)
    assert entry.inputs.preprocessing_layer in [layer.name for layer in model.layers]


#: Each family's worked examples of its build limit (`Family.space_limits`): the space's cap and
#: the builder's validation are one rule, so the cap builds and one block more does not.
LIMITS = [limit for f in families() for limit in f.space_limits]


def test_families_with_a_space_limit_give_worked_examples():
    # A space that computes limits from the input shape shows them at work, in its family's folder.
    for f in families():
        spaces = [f.space, *(v.space for v in f.presets.values() if v.space is not None)]
        if any(space.limits is not None for space in spaces):
            assert f.space_limits, f"{f.name}: a space with limits needs `space_limits` examples"


@pytest.mark.parametrize("limit", LIMITS, ids=[f"{c.model}-{c.input_shape}-{len(c.fixed)}" for c in LIMITS])
def test_space_limit_and_builder_apply_the_same_rule(limit):
    from nnzoo.tuning._spaces import resolve_space

    entry = nnzoo.get_entry(limit.model)
    space = resolve_space(entry, limit.input_shape, dict(limit.fixed))
    assert next(p for p in space.params if p.name == limit.param).high == limit.cap
    # The stack the param is the depth of names the builder argument it sets (e.g. `filters`).
    target = next(stack.target for stack in entry.space.stacks if stack.depth == limit.param)
    context = {"num_classes": 2} if entry.supervised else {}
    entry.build(limit.input_shape, compile=False, **{target: (4,) * limit.cap}, **limit.fixed, **context)
    with pytest.raises(ValueError, match=r"too small|divisible"):
        entry.build(limit.input_shape, compile=False, **{target: (4,) * (limit.cap + 1)}, **limit.fixed, **context)


#: Outside nnzoo/models/, the package asks a family for its facts and never names one.
FAMILY_BY_NAME = re.compile(r"\.family\s*(==|!=|\bin\b)|from nnzoo\.models\.\w+(\.\w+)? import _|vgg16_preprocess")


def test_nothing_outside_the_models_matches_a_family_by_name():
    root = pathlib.Path(nnzoo.__file__).parent
    files = [p for p in root.rglob("*.py") if "models" not in p.relative_to(root).parts]
    files += [root.parent / "tests" / "harness.py", *sorted((root.parent / "benchmarks").glob("*.py"))]
    hits = [f"{p.name}: {m.group(0)}" for p in files for m in FAMILY_BY_NAME.finditer(p.read_text())]
    assert hits == []


#: The tests run over the registry read each family's facts; none compares a name with a registered one.
REGISTRY_DRIVEN = ("harness.py", "test_models.py", "test_fuzz_factories.py", "test_validation.py")


def test_the_registry_driven_tests_special_case_no_model():
    names = "|".join(re.escape(n) for n in sorted({*nnzoo.list_models(), *FAMILY_NAMES}, key=len, reverse=True))
    by_name = re.compile(rf"(==|!=|\bin)\s*\(?['\"]({names})['\"]|['\"]({names})['\"]\s*:")
    tests = pathlib.Path(__file__).parent
    hits = [f"{f}: {m.group(0)}" for f in REGISTRY_DRIVEN for m in by_name.finditer((tests / f).read_text())]
    assert hits == []


def _bench_export():
    spec = importlib.util.spec_from_file_location(
        "bench_export", pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_export.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_export_benchmark_asks_the_registry_for_its_families():
    bench = _bench_export()
    source = pathlib.Path(bench.__file__).read_text()
    # No list of families of its own: every registered family, the slow ones left out of --quick.
    assert bench.benchmarked(quick=False) == FAMILY_NAMES
    assert bench.benchmarked(quick=True) == [f.name for f in families() if not f.slow_export]
    assert not re.search(r"FAMILIES\s*=|QUICK_SKIP", source)


def test_the_readme_layout_names_every_module():
    root = pathlib.Path(nnzoo.__file__).parent
    readme = (root.parent / "README.md").read_text()
    layout = readme[readme.index("- Layout, one line per folder:"):readme.index("- Adding a family")]
    names = {p.stem for p in root.rglob("*.py") if "models" not in p.relative_to(root).parts}
    missing = sorted(n for n in names - {"__init__", "__main__"} if not re.search(rf"\b{n}\b", layout))
    assert missing == []


def test_public_names_come_from_the_families():
    import nnzoo.models

    public = {name: fn for f in families() for name, fn in f.public_names.items()}
    assert {"build_cnn", "fit_cached", "reconstruction_error"} <= set(public)  # names users already call
    assert sorted(n for n in nnzoo.models.__all__ if n not in ("EXPORTS", "FAMILIES", "load_family")) == sorted(public)
    assert set(public) <= set(nnzoo.__all__) and nnzoo.__all__ == sorted(set(nnzoo.__all__))
    for name, fn in public.items():
        assert getattr(nnzoo, name) is fn is getattr(nnzoo.models, name)
    assert all(hasattr(nnzoo, name) for name in nnzoo.__all__)


# --------------------------------------------------------------------------- a new family, end to end

#: A whole family folder, as a new one would be written: its builder with its constraint
#: table, then its presets, space and input facts handed over as `FAMILY`.
NEW_FAMILY = {
    "builder.py": '''
"""A tiny residual MLP: `blocks` x (Dense -> activation), each added to its input."""

from nnzoo._compile import finish, parse_options
from nnzoo._heads import resolve_head
from nnzoo._layers import Hidden
from nnzoo._validation import Integer, check_input_shape, check_params

CONSTRAINTS = {"units": Integer(), "blocks": Integer(minimum=0)}


def build_tiny_resmlp(input_shape, units=4, blocks=1, *, task="multiclass", num_classes=None, num_outputs=None,
                      activation="relu", dropout=0.0, batch_norm=False, l1=0.0, l2=0.0, **options):
    """A tiny residual MLP for tabular data."""
    shape = check_input_shape(input_shape, ranks=(1,), family="build_tiny_resmlp", hint="e.g. (n_features,)")
    units, blocks = check_params({"units": units, "blocks": blocks}, CONSTRAINTS).values()
    head = resolve_head(task, num_classes, num_outputs)
    opts = parse_options("build_tiny_resmlp", options)
    hidden = Hidden.from_args(activation, dropout, batch_norm, l1, l2, opts.kernel_initializer)

    def graph():
        import keras

        inputs = keras.Input(shape=shape, name="features")
        x = hidden.dense(inputs, units, name="stem")
        for b in range(1, blocks + 1):
            x = keras.layers.Add(name=f"block{b}_add")([x, hidden.dense(x, units, name=f"block{b}")])
        return keras.Model(inputs, head.layer()(x), name=opts.name or f"tiny_resmlp_{head.task}")

    params = hidden.dense_params(shape[0], units) + blocks * hidden.dense_params(units, units) + head.params(units)
    return finish(graph, opts, loss=head.loss, metrics=head.metrics, params=params, units=units, blocks=blocks)
''',
    "__init__.py": '''
"""A tiny residual MLP family, registered by a test."""

from nnzoo._registry import Family, InputFacts, Variant
from nnzoo._space import LEARNING_RATE, Space, choice_param, int_param

from {package}.builder import build_tiny_resmlp

PRESETS = {{"tiny_resmlp": Variant({{}}, "Tiny residual MLP"), "tiny_resmlp_deep": Variant({{"blocks": 3}})}}
SPACE = Space(params=(choice_param("units", (4, 8), default=4), int_param("blocks", 0, 2, default=1), LEARNING_RATE))
INPUTS = InputFacts(kind="tabular", example_shape=(6,), other_shapes=((3,),))

FAMILY = Family("tiny_resmlp", build_tiny_resmlp, PRESETS, SPACE, INPUTS)
''',
}


@pytest.fixture
def new_family(tmp_path, monkeypatch):
    """Registers `NEW_FAMILY` the way `nnzoo.models` loads a listed folder; unregistered afterwards."""
    import nnzoo._registry as registry
    import nnzoo.models

    package = "nnzoo_test_tiny_resmlp"
    (tmp_path / package).mkdir()
    for name, source in NEW_FAMILY.items():
        (tmp_path / package / name).write_text(source.format(package=package) if name == "__init__.py" else source)
    monkeypatch.syspath_prepend(str(tmp_path))
    for table in ("_REGISTRY", "_FAMILIES"):  # copies: the monkeypatch puts the real tables back
        monkeypatch.setattr(registry, table, dict(getattr(registry, table)))
    monkeypatch.setattr(nnzoo.models, "EXPORTS", dict(nnzoo.models.EXPORTS))
    family = nnzoo.models.load_family(package)
    yield family
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        monkeypatch.delitem(sys.modules, module)


def test_a_new_family_needs_only_its_folder_and_one_line(new_family, tmp_path):
    """The registry, the harness, example data, the bad-value table, tuning and export all take it as it is."""
    import keras_tuner

    import harness
    from nnzoo.export import to_tflite  # noqa: F401  (what harness.check_tflite calls)
    from nnzoo.tuning import hypermodel

    assert nnzoo.list_models("tiny_resmlp*") == ["tiny_resmlp", "tiny_resmlp_deep"]
    assert nnzoo.models.EXPORTS["build_tiny_resmlp"] is new_family.builder
    entry = nnzoo.get_entry("tiny_resmlp_deep")
    assert entry.family == "tiny_resmlp" and entry.preset == {"blocks": 3} and entry.space is new_family.space
    # The registry harness: every task builds with its head, trains, and round-trips.
    for name, task in [c for c in harness.supervised_cases() if c[0].startswith("tiny_resmlp")]:
        harness.check_builds(name, task)
    model = harness.check_trains("tiny_resmlp", "multiclass")
    X, _ = harness.example_data(entry, "multiclass", n=8)
    harness.check_roundtrip(harness.move_weights(model), X, tmp_path)
    # Example data from the family's input facts.
    data = nnzoo.datasets.example_data("tiny_resmlp", n=10, task="binary")
    assert data.X.shape == (10, 6) and data.build_kwargs() == {"task": "binary"}
    # Its own constraint table joins the shared ones, and every declared bad value is refused.
    declared = harness.declared_constraints(entry)
    assert {"units", "blocks", "activation", "learning_rate", "task"} <= set(declared)
    for arg, constraint in declared.items():
        for bad in constraint.invalid():
            with pytest.raises((ValueError, TypeError), match=f"Received: {arg}="):
                entry.build((6,), **{"num_classes": 3, "compile": False, arg: bad})
    # Tuning resolves the family's own space and builds from it.
    hm = hypermodel("tiny_resmlp", (6,), num_classes=3)
    assert set(hm.space.names) == {"units", "blocks", "learning_rate"}
    hp = keras_tuner.HyperParameters()
    hp.Fixed("units", 8)
    assert hm.build(hp).get_layer("stem").units == 8
    # Export: a verified TFLite file that reproduces the model; the export benchmark lists it.
    harness.check_tflite(model, X, tmp_path)
    assert "tiny_resmlp" in _bench_export().benchmarked(quick=True)
