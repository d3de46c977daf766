"""Camera input: a file that takes what a phone camera gives, RGB uint8 pixels.

`to_tflite(..., camera=True)` exports a wrapper instead of the model itself:
a Keras model built from standard layers (so the ops stay builtin) whose
input is `(height, width, 3)` uint8 and which does, inside the file, what an
app would otherwise have to reproduce:

- `Rescaling`: pixels `p` in [0, 255] to the range the model was trained on,
  `low + p * (high - low) / 255` (the digits CNN: [0, 1]);
- for a one-channel model, a fixed 1x1 `Conv2D` with the ITU-R BT.601 luma
  weights (0.299, 0.587, 0.114), i.e. RGB to grayscale. As the weights sum
  to 1, grayscale after rescaling equals rescaling after grayscale.

Resizing is left to the runtime: MediaPipe's `ImageClassifier` resizes every
frame to the input's height and width itself.
"""

from __future__ import annotations

import numpy as np

#: ITU-R BT.601 luma weights, the grayscale conversion of OpenCV and PIL.
LUMA = (0.299, 0.587, 0.114)
PIXEL_MAX = 255.0


def is_image_shape(in_shape: tuple) -> bool:
    """An input MediaPipe's image tasks can feed: fixed (height, width, 1 or 3)."""
    return len(in_shape) == 3 and None not in in_shape and in_shape[-1] in (1, 3)


def camera_model(keras, model, low: float, high: float):
    """Wraps `model` so that it takes `(h, w, 3)` uint8 RGB pixels."""
    height, width, channels = tuple(model.inputs[0].shape)[1:]
    pixels = keras.Input((height, width, 3), dtype="uint8", name="image")
    x = keras.layers.Rescaling(scale=(high - low) / PIXEL_MAX, offset=low, name="camera_rescale")(pixels)
    if channels == 1:
        gray = keras.layers.Conv2D(1, 1, use_bias=False, trainable=False, name="camera_grayscale")
        x = gray(x)
        gray.set_weights([np.asarray(LUMA, dtype="float32").reshape(1, 1, 3, 1)])
    return keras.Model(pixels, model(x), name=model.name)


def to_pixels(X: np.ndarray, low: float, high: float) -> np.ndarray:
    """Model-space images `(n, h, w, c)` in [low, high] to the uint8 RGB frames a camera would give."""
    p = np.clip(np.round((np.asarray(X, dtype="float64") - low) / (high - low) * PIXEL_MAX), 0, PIXEL_MAX)
    p = p.astype(np.uint8)
    return np.repeat(p, 3, axis=-1) if p.shape[-1] == 1 else p
