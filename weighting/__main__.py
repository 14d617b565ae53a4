"""``python -m weighting objective DATA.csv`` / ``combine WEIGHTS.csv`` (see :mod:`weighting.cli`)."""

import sys

from .cli import main

sys.exit(main())
