"""The CNN search space, with its build limit: no more conv blocks than the image can be pooled through."""

from dataclasses import replace

from nnzoo._registry import SpaceLimit
from nnzoo._space import DROPOUT, LEARNING_RATE, Space, Stack, bool_param, choice_param, fitting_range, int_param
from nnzoo.models.cnn.builder import check_depth


def _limits(shape, base, params):
    """At most as many conv blocks as `check_depth` (the builder's own rule) lets through."""
    if "blocks" not in params:
        return {}

    def widest(name, fallback):
        if name in params:
            p = params[name]
            return max(p.values) if p.kind == "choice" else int(p.high)
        return base.get(name, fallback)

    kernel, convs = widest("kernel_size", 3), widest("convs_per_block", 2)

    def fits(blocks):
        try:
            check_depth(shape, (1,) * blocks, kernel, base.get("padding", "same"), base.get("pool", "max"),
                        base.get("pool_size", 2), convs)
        except ValueError:
            return False
        return True

    return fitting_range(params["blocks"], fits)


SPACE = Space(
    params=(
        int_param("blocks", 1, 3, default=2),
        choice_param("filters", (16, 32, 64), default=32),
        choice_param("kernel_size", (3, 5), default=3),
        int_param("convs_per_block", 1, 2, default=2),
        choice_param("dense_units", (0, 64, 128), default=128),
        replace(DROPOUT, default=0.3),
        choice_param("conv_dropout", (0.0, 0.1, 0.2, 0.3), default=0.1),
        bool_param("batch_norm", default=True),
        LEARNING_RATE,
    ),
    stacks=(Stack("filters", width="filters", depth="blocks", growth=2), Stack("dense_units", width="dense_units")),
    limits=_limits,
)

#: The limit at work: a 4x4 image pools twice (4, 2, 1), and each valid 3x3 conv takes 2 off a side.
SPACE_LIMITS = (
    SpaceLimit("cnn", (4, 4, 1), {}, "blocks", 2),
    SpaceLimit("cnn", (12, 12, 1), {"padding": "valid", "kernel_size": 3, "convs_per_block": 1}, "blocks", 2),
    SpaceLimit("cnn", (2, 2, 1), {}, "blocks", 1),
)
