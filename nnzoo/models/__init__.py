"""The architecture families, one module each. Importing this package registers them."""

from nnzoo.models.autoencoder import build_autoencoder, reconstruction_error
from nnzoo.models.cnn import build_cnn
from nnzoo.models.conv1d import build_conv1d
from nnzoo.models.ffnn import build_ffnn
from nnzoo.models.rnn import build_lstm
from nnzoo.models.transfer import build_vgg16_transfer, fit_cached

__all__ = [
    "build_autoencoder",
    "build_cnn",
    "build_conv1d",
    "build_ffnn",
    "build_lstm",
    "build_vgg16_transfer",
    "fit_cached",
    "reconstruction_error",
]
