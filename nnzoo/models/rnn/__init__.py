"""Recurrent networks for sequences: LSTM, GRU and simple RNN cells."""

from nnzoo._registry import Family
from nnzoo.models.rnn.builder import build_lstm
from nnzoo.models.rnn.examples import INPUTS
from nnzoo.models.rnn.presets import PRESETS
from nnzoo.models.rnn.space import SPACE

FAMILY = Family("lstm", build_lstm, PRESETS, SPACE, INPUTS)

__all__ = ["FAMILY", "build_lstm"]
