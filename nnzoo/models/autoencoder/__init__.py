"""Autoencoders for compression and anomaly detection."""

from nnzoo._registry import Family
from nnzoo.models.autoencoder.builder import build_autoencoder, reconstruction_error
from nnzoo.models.autoencoder.examples import INPUTS
from nnzoo.models.autoencoder.presets import PRESETS
from nnzoo.models.autoencoder.space import SPACE, SPACE_LIMITS

FAMILY = Family("autoencoder", build_autoencoder, PRESETS, SPACE, INPUTS, tasks=("reconstruction",),
                slow_export=True, exports=(reconstruction_error,), space_limits=SPACE_LIMITS)

__all__ = ["FAMILY", "build_autoencoder", "reconstruction_error"]
