"""Named recurrent variants: presets over `build_lstm`'s defaults."""

from nnzoo._registry import Variant

PRESETS = {
    "lstm": Variant({}, "LSTM sequence model (64 units), many-to-one"),
    "gru": Variant({"cell": "gru"}, "GRU sequence model (64 units), many-to-one"),
    "rnn": Variant({"cell": "rnn"}, "Simple RNN sequence model (64 units), many-to-one"),
    "bilstm": Variant({"bidirectional": True}, "Bidirectional LSTM sequence model (64 units per direction)"),
}
