"""Option lists that the library and the command line share, in a module that imports nothing.

The library validates its arguments against these tuples; `nnzoo.cli`
builds its `choices` from them without importing TensorFlow, so a mode
added here is a mode of both.
"""

from __future__ import annotations

#: `nnzoo.tuning.tune(algorithm=...)`.
ALGORITHMS = ("random", "hyperband", "bayesian", "grid")
#: The default of `tune(algorithm=...)` and of `nnzoo tune --algorithm`.
DEFAULT_ALGORITHM = "random"
#: `nnzoo.export.to_tflite(quantize=...)`; None is float32.
QUANTIZE_MODES = (None, "dynamic", "float16", "int8")
#: `nnzoo.callbacks.get_schedule` names; None is no schedule (plateau cuts only).
SCHEDULES = ("cosine", "step", "exponential", None)
