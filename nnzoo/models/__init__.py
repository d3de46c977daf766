"""The architecture families, one folder each; importing this package registers them.

`FAMILIES` is the one list of them. Each folder (`nnzoo/models/<folder>/`)
holds its builder, presets, search space, example inputs and input facts,
and hands them over as `FAMILY`; see `nnzoo._registry.Family`.
"""

import importlib

from nnzoo._registry import register_family

#: The family folders, in registration order. A new family adds one entry here.
FAMILIES = ("ffnn", "cnn", "conv1d", "rnn", "transformer", "autoencoder", "transfer")

for _folder in FAMILIES:
    register_family(importlib.import_module(f"{__name__}.{_folder}").FAMILY)

from nnzoo.models.autoencoder import build_autoencoder, reconstruction_error  # noqa: E402
from nnzoo.models.cnn import build_cnn  # noqa: E402
from nnzoo.models.conv1d import build_conv1d  # noqa: E402
from nnzoo.models.ffnn import build_ffnn  # noqa: E402
from nnzoo.models.rnn import build_lstm  # noqa: E402
from nnzoo.models.transformer import build_transformer  # noqa: E402
from nnzoo.models.transfer import build_vgg16_transfer, fit_cached  # noqa: E402

__all__ = [
    "FAMILIES",
    "build_autoencoder",
    "build_cnn",
    "build_conv1d",
    "build_ffnn",
    "build_lstm",
    "build_transformer",
    "build_vgg16_transfer",
    "fit_cached",
    "reconstruction_error",
]
