"""The recurrent search space: cell, depth, width, direction, dropout, learning rate."""

from nnzoo._space import LEARNING_RATE, Space, Stack, bool_param, choice_param, int_param

SPACE = Space(
    params=(
        choice_param("cell", ("lstm", "gru"), default="lstm"),
        int_param("depth", 1, 2, default=1),
        choice_param("units", (16, 32, 64, 128), default=64),
        bool_param("bidirectional", default=False),
        choice_param("dropout", (0.0, 0.1, 0.2, 0.3), default=0.0),
        LEARNING_RATE,
    ),
    stacks=(Stack("units", width="units", depth="depth"),),
)
