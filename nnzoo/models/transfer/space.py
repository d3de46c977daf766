"""The transfer search space: the classifier's width and dropout, fine-tuning depth, learning rate."""

from nnzoo._space import Space, Stack, choice_param, int_param, log_param

SPACE = Space(
    params=(
        choice_param("dense_units", (128, 256, 512), default=256),
        choice_param("dropout", (0.2, 0.3, 0.4, 0.5, 0.6), default=0.5),
        int_param("trainable_layers", 0, 4, default=0),
        log_param("learning_rate", 1e-5, 1e-3, default=1e-4),
    ),
    stacks=(Stack("dense_units", width="dense_units"),),
)
