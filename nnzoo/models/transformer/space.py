"""The Transformer search space: depth, width, heads, feed-forward width, dropout, learning rate."""

from nnzoo._space import LEARNING_RATE, Space, choice_param, int_param

SPACE = Space(
    params=(
        int_param("num_layers", 1, 3, default=2),
        choice_param("d_model", (32, 64, 128), default=64),
        choice_param("num_heads", (2, 4), default=4),
        choice_param("ff_dim", (64, 128, 256), default=128),
        choice_param("dropout", (0.0, 0.1, 0.2), default=0.1),
        LEARNING_RATE,
    ),
)
