"""Text input for the sequence families: a vocabulary, a string model, and the rule for phones.

Two paths, one vocabulary:

- **Python (training and inference on raw strings).** `make_vectorizer(texts)`
  adapts a `keras.layers.TextVectorization` on the training texts;
  `string_model(model, vectorizer)` puts it in front of a token-id model
  (`nnzoo.build("textcnn", (200,), vocab_size=...)`, `build_lstm((200,),
  vocab_size=...)`, ...). The result trains and predicts on strings, and
  saves with its vocabulary in the `.keras` file (safe mode):
  `keras.saving.load_model(path).predict(np.array(["a great film"]))`.
- **Mobile.** TFLite has no builtin string ops, so export the *token-id*
  model (`nnzoo.export.to_tflite(model, ...)`) and ship the vocabulary and
  the tokenisation rule beside it: `write_tokenizer(vectorizer, folder)`
  writes `vocab.txt` (one token a line, line `i` is id `i`) and
  `tokenizer.json` (`tokenizer_spec`), which an app follows to turn text
  into the ids the file takes.

`import nnzoo.text` is cheap; Keras loads when a function needs it.
"""

from __future__ import annotations

import json
import numbers
import os
import re
from typing import Any

from nnzoo._validation import check_int, fail, fail_type

__all__ = ["make_vectorizer", "string_model", "tokenize", "tokenizer_spec", "write_tokenizer"]

#: The characters Keras's `"lower_and_strip_punctuation"` removes (its
#: default strip regex), written out for apps that re-implement the rule.
STRIP_PUNCTUATION_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'


def make_vectorizer(texts, *, max_tokens: int = 20000, sequence_length: int = 200):
    """Adapts a `TextVectorization` layer on training texts: lowercase, strip punctuation, split on whitespace.

    Id 0 is padding and id 1 the out-of-vocabulary token `"[UNK]"`; the
    other ids are the `max_tokens - 2` most frequent words of `texts`.
    Every text becomes `sequence_length` ids, cut or padded with 0 at the end.

    Args:
        texts: The training texts (a list or array of strings).
        max_tokens: Vocabulary size, padding and `[UNK]` included; the
            model's `vocab_size` is `len(vectorizer.get_vocabulary())`.
        sequence_length: Ids per text: the model's `input_shape=(sequence_length,)`.

    Returns:
        An adapted `keras.layers.TextVectorization`.

    Raises:
        TypeError: If `texts` is not a sequence of strings.
        ValueError: If `texts` is empty or the sizes are out of range.

    Example:

    >>> from nnzoo import text
    >>> vec = text.make_vectorizer(["a great film", "a dull film"], sequence_length=4)
    >>> vec.get_vocabulary()[:3]
    ['', '[UNK]', 'film']
    """
    import keras

    texts = _check_texts(texts, "texts")
    max_tokens = check_int("max_tokens", max_tokens, minimum=3)
    sequence_length = check_int("sequence_length", sequence_length)
    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                                output_sequence_length=sequence_length, name="text_vectorization")
    vectorizer.adapt(texts)
    return vectorizer


def string_model(model, vectorizer, *, name: str | None = None):
    """Puts an adapted `TextVectorization` in front of a token-id model: a model on raw strings.

    The new model takes a batch of strings, shape `(batch,)`, and shares
    the id model's layers and weights, so training either trains both. It
    is compiled like `model` (same loss and metrics, a fresh optimizer of
    the same configuration).

    Args:
        model: A model on token ids, `input_shape=(sequence_length,)`
            (built with `vocab_size=len(vectorizer.get_vocabulary())`).
        vectorizer: The adapted layer from `make_vectorizer`.
        name: The new model's name (default: the id model's plus `_text`).

    Returns:
        A `keras.Model` on strings.

    Raises:
        ValueError: If the vectorizer's vocabulary or sequence length does
            not match the model's input.

    Example:

    >>> import numpy as np, nnzoo
    >>> vec = nnzoo.text.make_vectorizer(["a great film", "a dull film"], sequence_length=8)
    >>> ids = nnzoo.build("textcnn", (8,), vocab_size=len(vec.get_vocabulary()), task="binary")
    >>> clf = nnzoo.text.string_model(ids, vec)
    >>> clf.predict(np.array(["a great film"], dtype=object), verbose=0).shape
    (1, 1)
    """
    import keras

    from nnzoo._compile import execution_of, set_execution

    _check_pair(model, vectorizer)
    inputs = keras.Input(shape=(), dtype="string", name="text")
    outputs = model(vectorizer(inputs))
    wrapped = keras.Model(inputs, outputs, name=name or f"{model.name}_text")
    if getattr(model, "compiled", False):
        optimizer = model.optimizer.__class__.from_config(model.optimizer.get_config())
        config = model.get_compile_config() or {}
        wrapped.compile(optimizer=optimizer, loss=model.loss, metrics=config.get("metrics"))
        set_execution(wrapped, **execution_of(model))
    return wrapped


def tokenizer_spec(vectorizer) -> dict[str, Any]:
    """The vectorizer's rule as JSON-ready data, for code that cannot run Keras (a phone app).

    Returns:
        `{"vocabulary": [...], "lowercase": True, "strip_regex": ...,
        "split": "whitespace", "sequence_length": n, "padding": "post",
        "truncation": "post", "padding_id": 0, "oov_id": 1, "oov_token":
        "[UNK]", "steps": [...]}`: lowercase, remove every match of
        `strip_regex`, split on whitespace, map each word to its index in
        `vocabulary` (`oov_id` when absent), cut or pad with `padding_id` at
        the end to `sequence_length`. `tokenize(texts, spec)` follows it.

    Raises:
        ValueError: For a vectorizer with another standardisation or split
            than `make_vectorizer`'s, which this description does not cover.
    """
    config = vectorizer.get_config()
    if config.get("standardize") != "lower_and_strip_punctuation" or config.get("split") != "whitespace":
        fail("Only the standardisation and split of `make_vectorizer` can be described",
             "standardize='lower_and_strip_punctuation', split='whitespace'",
             standardize=config.get("standardize"), split=config.get("split"))
    if config.get("output_mode") != "int" or config.get("ngrams"):
        fail("Only integer output without n-grams can be described", "output_mode='int', ngrams=None",
             output_mode=config.get("output_mode"), ngrams=config.get("ngrams"))
    vocabulary = [str(t) for t in vectorizer.get_vocabulary()]
    return {
        "vocabulary": vocabulary,
        "lowercase": True,
        "strip_regex": STRIP_PUNCTUATION_REGEX,
        "split": "whitespace",
        "sequence_length": config.get("output_sequence_length"),
        "padding": "post",
        "truncation": "post",
        "padding_id": 0,
        "oov_id": 1,
        "oov_token": vocabulary[1],
        "steps": ["lowercase", "remove strip_regex matches", "split on whitespace",
                  "id = index in vocabulary, else oov_id", "cut or pad with padding_id at the end to sequence_length"],
    }


def tokenize(texts, spec: dict[str, Any]):
    """Token ids for `texts` by a `tokenizer_spec`, in plain Python: what an app does.

    Returns:
        An int32 array `(len(texts), spec["sequence_length"])`.

    Example:

    >>> vec = nnzoo.text.make_vectorizer(["a great film"], sequence_length=4)
    >>> nnzoo.text.tokenize(["A great, great FILM!"], nnzoo.text.tokenizer_spec(vec)).tolist()
    [[3, 2, 2, 4]]
    """
    import numpy as np

    texts = _check_texts(texts, "texts")
    index = {token: i for i, token in enumerate(spec["vocabulary"]) if i >= 2}
    strip = re.compile(spec["strip_regex"])
    length = spec["sequence_length"]
    out = np.full((len(texts), length), spec["padding_id"], dtype="int32")
    for row, text in enumerate(texts):
        words = strip.sub("", text.lower() if spec["lowercase"] else text).split()
        ids = [index.get(w, spec["oov_id"]) for w in words][:length]
        out[row, : len(ids)] = ids
    return out


def write_tokenizer(vectorizer, folder: str | os.PathLike) -> tuple[str, str]:
    """Writes `vocab.txt` and `tokenizer.json` into `folder`, beside an exported token-id model.

    Both files are written to temporary names and renamed into place together.

    Returns:
        The two paths, `(vocab_path, spec_path)`.
    """
    from nnzoo._io import atomic_paths, check_writable_folder

    folder = check_writable_folder(folder)
    spec = tokenizer_spec(vectorizer)
    vocab_path, spec_path = os.path.join(folder, "vocab.txt"), os.path.join(folder, "tokenizer.json")
    with atomic_paths(vocab_path, spec_path) as (vocab_tmp, spec_tmp):
        with open(vocab_tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(spec["vocabulary"]) + "\n")
        with open(spec_tmp, "w", encoding="utf-8") as fh:
            json.dump({**spec, "vocabulary_file": "vocab.txt"}, fh, indent=1)
    return vocab_path, spec_path


def _check_pair(model, vectorizer) -> None:
    """The vectorizer's ids fit the model: its sequence length, and an embedding at least as large."""
    import keras

    length = vectorizer.get_config().get("output_sequence_length")
    in_shape = tuple(model.input_shape[1:])
    if in_shape != (length,) and in_shape != (None,):
        fail("The vectorizer's sequence length does not match the model's input", f"a model on ({length},) token ids",
             model_input_shape=in_shape, sequence_length=length)
    vocab = vectorizer.vocabulary_size()
    embedding = next((layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)), None)
    if embedding is not None and embedding.input_dim < vocab:
        fail("The model's vocabulary is smaller than the vectorizer's", f"vocab_size >= {vocab}",
             vocab_size=embedding.input_dim)


def _check_texts(texts, name: str) -> list[str]:
    import numpy as np

    if isinstance(texts, (str, bytes)) or isinstance(texts, numbers.Number):
        fail_type(f"`{name}` must be a sequence of strings", "a list or array of str", **{name: texts})
    values = list(np.asarray(texts, dtype=object).ravel()) if hasattr(texts, "__len__") else list(texts)
    if not values:
        fail(f"`{name}` is empty", "at least one text", **{name: texts})
    bad = next((v for v in values if not isinstance(v, str)), None)
    if bad is not None:
        fail_type(f"`{name}` must hold strings only", "str items", item=bad)
    return [str(v) for v in values]
