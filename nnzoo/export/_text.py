"""Text models for phones: the TextVectorization rule as MediaPipe's regex tokenizer runs it.

MediaPipe's `TextClassifier` (like the Task Library's `NLClassifier`
before it) runs a model with one int32 input of shape `(1, length)` when
the input's metadata carries a `RegexTokenizerOptions` process unit:

1. split the raw text at every match of `delim_regex_pattern` (RE2), the
   matches dropped, empty pieces skipped; no lowercasing, no other step;
2. look each piece up in the vocabulary file (an associated file of type
   `VOCABULARY`, one `token id` pair a line); a piece not found gets the
   id of `<UNKNOWN>`;
3. fill `length` ids, padding with the id of `<PAD>` at the end (and an
   optional `<START>` id first, which nnzoo never writes).

The BERT tokenizer does not fit: it needs three inputs (ids, mask,
segment ids), `[CLS]`/`[SEP]` ids and WordPiece pieces, none of which a
Keras `TextVectorization` model takes. The regex rule is the one that can
say what `TextVectorization(split="whitespace", output_mode="int")` does:

| TextVectorization | in the file |
|---|---|
| padding id 0 (`""`), OOV id 1 (`"[UNK]"`) | `<PAD> 0`, `<UNKNOWN> 1` |
| `output_sequence_length` | the input tensor's length |
| `split="whitespace"` (ASCII space, tab, newline, CR, VT, FF) | those characters in the delimiter |
| `"strip_punctuation"` (Keras's default strip set) | those characters in the delimiter too |
| lowercasing (ASCII) | each word also as `Word` and `WORD` in the vocabulary, same id |

Where the two differ, and which inputs show it (`differences` names them
in the report, sidecar and metadata description): with punctuation
stripping, a punctuation character *inside* a word (`it's`, `well-made`):
Keras removes it and joins the halves (`its`), the regex splits there (`it`,
`s`); with lowercasing, a word in mixed case other than `Word` / `WORD`
(`gREAT`): Keras finds it, the app gets `<UNKNOWN>`. Options the regex rule
cannot express at all (another split, n-grams, a callable, no fixed
length, a non-integer output) are refused before conversion.

`nnzoo.export._text.regex_tokenize` runs the file's rule in plain Python,
which is what the tests compare with Keras and MediaPipe.
"""

from __future__ import annotations

import re
from typing import Any

from nnzoo._validation import fail

VOCAB_FILE = "vocab.txt"
PAD, UNKNOWN, START = "<PAD>", "<UNKNOWN>", "<START>"
#: What `tf.strings.split` (TextVectorization's `split="whitespace"`) splits on.
WHITESPACE = " \t\n\v\f\r"
#: Keras's default strip set, `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']`, as characters.
PUNCTUATION = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"
STANDARDIZE = {  # standardize -> (lowercase, strip punctuation)
    None: (False, False),
    "lower": (True, False),
    "strip_punctuation": (False, True),
    "lower_and_strip_punctuation": (True, True),
}


def check_vectorizer(vectorizer) -> dict[str, Any]:
    """The regex-tokenizer form of an adapted `TextVectorization`, or a ValueError before any conversion.

    Returns:
        `{"type": "regex", "delimiter": ..., "vocabulary": [...],
        "vocabulary_file": "vocab.txt", "sequence_length": n, "padding_id":
        0, "oov_id": 1, "lowercase": bool, "strip_punctuation": bool,
        "differences": [...]}`.
    """
    import keras

    if not isinstance(vectorizer, keras.layers.TextVectorization):
        from nnzoo._validation import fail_type

        fail_type("`vectorizer` must be an adapted keras.layers.TextVectorization",
                  "the layer from nnzoo.text.make_vectorizer(texts)", vectorizer=type(vectorizer).__name__)
    config = vectorizer.get_config()
    standardize, split = config.get("standardize"), config.get("split")
    if not (isinstance(standardize, str) or standardize is None) or standardize not in STANDARDIZE:
        fail("MediaPipe's regex tokenizer cannot run this standardisation (it only splits and looks up)",
             "standardize=None, 'lower', 'strip_punctuation' or 'lower_and_strip_punctuation'",
             standardize=standardize)
    if split != "whitespace":
        fail("MediaPipe's regex tokenizer splits at a delimiter pattern; only the whitespace split maps to one",
             "split='whitespace'", split=split)
    if config.get("output_mode") != "int" or config.get("ngrams"):
        fail("A token-id file takes integer ids without n-grams", "output_mode='int', ngrams=None",
             output_mode=config.get("output_mode"), ngrams=config.get("ngrams"))
    length = config.get("output_sequence_length")
    if not length or config.get("ragged"):
        fail("MediaPipe's text classifier takes a fixed number of ids (the input tensor's length)",
             "output_sequence_length=n (make_vectorizer(..., sequence_length=n))",
             output_sequence_length=length, ragged=config.get("ragged"))
    if config.get("encoding", "utf-8").lower().replace("-", "") != "utf8":
        fail("MediaPipe passes UTF-8 text", "encoding='utf-8'", encoding=config.get("encoding"))
    vocabulary = [str(t) for t in vectorizer.get_vocabulary()]
    if len(vocabulary) < 2 or vocabulary[0] != "" or vocabulary[1] != "[UNK]":
        fail("The vectorizer has no adapted vocabulary with padding and [UNK] first",
             "a vectorizer adapted on training texts (vocabulary ['', '[UNK]', ...])", vocabulary=vocabulary[:3])
    reserved = [t for t in vocabulary[2:] if t in (PAD, UNKNOWN, START) or not t or any(c in t for c in WHITESPACE)]
    if reserved:
        fail("Vocabulary tokens clash with MediaPipe's special tokens or hold whitespace",
             f"tokens other than {PAD}, {UNKNOWN}, {START}, without whitespace", tokens=reserved[:5])
    lowercase, strip = STANDARDIZE[standardize]
    chars = WHITESPACE + (PUNCTUATION if strip else "")
    differences = []
    if strip:
        differences.append("punctuation inside a word (it's, well-made): Keras removes it and joins the halves, "
                           "the regex splits the word there")
    if lowercase:
        differences.append("words in mixed case other than Word and WORD (gREAT): Keras lowercases them, "
                           f"the vocabulary lists only word, Word and WORD, so the app gets {UNKNOWN}")
    return {
        "type": "regex",
        "delimiter": "[" + "".join(_escape(c) for c in chars) + "]+",
        "vocabulary": vocabulary,
        "vocabulary_file": VOCAB_FILE,
        "sequence_length": int(length),
        "padding_id": 0,
        "oov_id": 1,
        "lowercase": lowercase,
        "strip_punctuation": strip,
        "differences": differences,
    }


def vocab_lines(spec: dict[str, Any]) -> list[str]:
    """The `token id` lines of the vocabulary file: special tokens, then each word (and spellings)."""
    lines = [f"{PAD} {spec['padding_id']}", f"{UNKNOWN} {spec['oov_id']}"]
    for i, word in enumerate(spec["vocabulary"][2:], start=2):
        spellings = [word]
        if spec["lowercase"]:
            spellings += [_ascii_upper(word[:1]) + word[1:], _ascii_upper(word)]
        lines.extend(f"{s} {i}" for s in dict.fromkeys(spellings))
    return lines


def vocab_file(spec: dict[str, Any]) -> bytes:
    return "".join(line + "\n" for line in vocab_lines(spec)).encode("utf-8")


def regex_tokenize(texts, spec: dict[str, Any]):
    """Token ids by the file's rule, as MediaPipe's `RegexPreprocessorCalculator` computes them.

    Returns:
        An int32 array `(len(texts), spec["sequence_length"])`.
    """
    import numpy as np

    index = {}
    for line in vocab_lines(spec):
        token, _, value = line.rpartition(" ")
        index[token] = int(value)
    delimiter = re.compile(spec["delimiter"])
    length = spec["sequence_length"]
    out = np.full((len(texts), length), index[PAD], dtype="int32")
    for row, text in enumerate(texts):
        ids = [index.get(piece, index[UNKNOWN]) for piece in delimiter.split(str(text)) if piece][:length]
        out[row, : len(ids)] = ids
    return out


def _ascii_upper(text: str) -> str:
    """Upper case for ASCII letters only: Keras's `tf.strings.lower` lowers ASCII only."""
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in text)


def _escape(char: str) -> str:
    """One character inside an RE2 (and Python `re`) character class."""
    named = {"\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r"}
    if char in named:
        return named[char]
    return "\\" + char if char in "\\]^-[" else char
