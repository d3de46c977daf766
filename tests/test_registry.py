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
    rank = {"tabular": 1, "image": 3, "sequence": 2}[entry.input_kind]
    assert len(entry.example_input_shape) == rank
    assert entry.description
