"""The architecture families, one folder each; importing this package registers them.

`FAMILIES` is the one list of them. Each folder (`nnzoo/models/<folder>/`)
holds its builder, presets, search space, example inputs and input facts,
and hands them over as `FAMILY`; see `nnzoo._registry.Family`. The public
functions of each family (`Family.public_names`: its builder and
`Family.exports`) are re-exported here and from `nnzoo`.
"""

import importlib

from nnzoo._registry import Family, register_family

#: The family folders, in registration order. A new family adds one entry here.
FAMILIES = ("ffnn", "cnn", "conv1d", "rnn", "transformer", "autoencoder", "transfer")

#: `{public name: function}` of every registered family, e.g. `build_cnn`.
EXPORTS = {}


def load_family(module: str) -> Family:
    """Imports a family's package, registers the `FAMILY` it hands over and records its public names.

    Args:
        module: The package's import name, e.g. `"nnzoo.models.cnn"`.

    Returns:
        The registered `Family`.
    """
    family = register_family(importlib.import_module(module).FAMILY)
    EXPORTS.update(family.public_names)
    return family


for _folder in FAMILIES:
    load_family(f"{__name__}.{_folder}")
globals().update(EXPORTS)
del _folder

__all__ = ["EXPORTS", "FAMILIES", "load_family", *sorted(EXPORTS)]
