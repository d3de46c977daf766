"""Autoencoder search spaces, with the conv build limit: image sides divisible by 2 ** blocks."""

from dataclasses import replace

from nnzoo._registry import SpaceLimit
from nnzoo._space import LEARNING_RATE, Space, Stack, choice_param, fitting_range, int_param
from nnzoo.models.autoencoder.builder import conv_sides_fit


def _limits(shape, base, params):
    """A conv autoencoder needs >= 1 block, and `conv_sides_fit` (the builder's own rule)."""
    if base.get("architecture", "dense") != "conv" or "depth" not in params or len(shape) != 3:
        return {}
    return fitting_range(params["depth"], lambda blocks: conv_sides_fit(shape, blocks))


#: The dense autoencoder's space; `units` x `depth` make `hidden_units`.
SPACE = Space(
    params=(
        choice_param("encoding_dim", (2, 4, 8, 16, 32), default=8),
        int_param("depth", 0, 2, default=1),
        choice_param("units", (16, 32, 64, 128), default=64),
        choice_param("activation", ("relu", "elu", "tanh"), default="relu"),
        LEARNING_RATE,
    ),
    stacks=(Stack("hidden_units", width="units", depth="depth"),),
    limits=_limits,
)
#: The conv autoencoder's: the same params, with `units` x `depth` making `filters`.
CONV_SPACE = replace(SPACE, stacks=(Stack("filters", width="units", depth="depth"),))

#: The limit at work: 12 = 2**2 * 3 halves twice, 6 = 2 * 3 once.
SPACE_LIMITS = (
    SpaceLimit("conv_autoencoder", (12, 12, 1), {}, "depth", 2),
    SpaceLimit("conv_autoencoder", (6, 6, 3), {}, "depth", 1),
)
