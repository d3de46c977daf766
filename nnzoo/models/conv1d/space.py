"""The 1-D conv search space: depth and width of the conv stack, kernel length, dropout, learning rate."""

from nnzoo._space import DROPOUT, LEARNING_RATE, Space, Stack, choice_param, int_param

SPACE = Space(
    params=(
        int_param("blocks", 1, 4, default=3),
        choice_param("filters", (32, 64, 128), default=128),
        choice_param("kernel_size", (3, 5, 8), default=5),
        DROPOUT,
        LEARNING_RATE,
    ),
    stacks=(Stack("filters", width="filters", depth="blocks"),),
)
