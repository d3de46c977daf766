"""`python -m nnzoo` and the `nnzoo` console script (`nnzoo = nnzoo.__main__:main`)."""

from __future__ import annotations

import sys

from nnzoo.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
