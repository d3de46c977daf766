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


#: (model, input_shape, fixed values, the limited param, its cap): the space's cap and the
#: builder's validation are one rule, so the cap builds and one block more does not.
LIMITS = [
    ("cnn", (4, 4, 1), {}, "blocks", 2),
    ("cnn", (12, 12, 1), {"padding": "valid", "kernel_size": 3, "convs_per_block": 1}, "blocks", 2),
    ("cnn", (2, 2, 1), {}, "blocks", 1),
    ("conv_autoencoder", (12, 12, 1), {}, "depth", 2),
    ("conv_autoencoder", (6, 6, 3), {}, "depth", 1),
]


@pytest.mark.parametrize("name,shape,fixed,param,cap", LIMITS, ids=[f"{c[0]}-{c[1]}-{len(c[2])}" for c in LIMITS])
def test_space_limit_and_builder_apply_the_same_rule(name, shape, fixed, param, cap):
    from nnzoo.tuning._spaces import resolve_space

    entry = nnzoo.get_entry(name)
    space = resolve_space(entry, shape, fixed)
    assert next(p for p in space.params if p.name == param).high == cap
    context = {"num_classes": 2} if entry.supervised else {}
    entry.build(shape, compile=False, filters=(4,) * cap, **fixed, **context)
    with pytest.raises(ValueError, match=r"too small|divisible"):
        entry.build(shape, compile=False, filters=(4,) * (cap + 1), **fixed, **context)


#: Outside nnzoo/models/, the package asks a family for its facts and never names one.
FAMILY_BY_NAME = re.compile(r"\.family\s*(==|!=|\bin\b)|from nnzoo\.models\.\w+(\.\w+)? import _|vgg16_preprocess")


def test_nothing_outside_the_models_matches_a_family_by_name():
    root = pathlib.Path(nnzoo.__file__).parent
    files = [p for p in root.rglob("*.py") if "models" not in p.relative_to(root).parts]
    files += [root.parent / "tests" / "harness.py", *sorted((root.parent / "benchmarks").glob("*.py"))]
    hits = [f"{p.name}: {m.group(0)}" for p in files for m in FAMILY_BY_NAME.finditer(p.read_text())]
    assert hits == []


def test_the_export_benchmark_asks_the_registry_for_its_families():
    spec = importlib.util.spec_from_file_location(
        "bench_export", pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_export.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    source = pathlib.Path(spec.origin).read_text()
    # No list of families of its own: every registered family, the slow ones left out of --quick.
    assert bench.benchmarked(quick=False) == FAMILY_NAMES
    assert bench.benchmarked(quick=True) == [f.name for f in families() if not f.slow_export]
    assert {"autoencoder", "vgg16_transfer"} <= set(FAMILY_NAMES) - set(bench.benchmarked(quick=True))
    assert not re.search(r"FAMILIES\s*=|QUICK_SKIP", source)


def test_the_readme_layout_names_every_module():
    root = pathlib.Path(nnzoo.__file__).parent
    readme = (root.parent / "README.md").read_text()
    layout = readme[readme.index("- Layout, one line per folder:"):readme.index("- Adding a family")]
    names = {p.stem for p in root.rglob("*.py") if "models" not in p.relative_to(root).parts}
    missing = sorted(n for n in names - {"__init__", "__main__"} if not re.search(rf"\b{n}\b", layout))
    assert missing == []
