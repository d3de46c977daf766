"""The feed-forward search space: depth, width, activation, regularisation, learning rate."""

from nnzoo._space import DROPOUT, LEARNING_RATE, Space, Stack, bool_param, choice_param, int_param

SPACE = Space(
    params=(
        int_param("depth", 1, 3, default=2),
        choice_param("units", (32, 64, 128, 256), default=64),
        choice_param("activation", ("relu", "gelu", "swish", "tanh"), default="relu"),
        DROPOUT,
        bool_param("batch_norm", default=False),
        choice_param("l2", (0.0, 1e-5, 1e-4, 1e-3), default=0.0),
        LEARNING_RATE,
    ),
    stacks=(Stack("hidden_units", width="units", depth="depth"),),
)
