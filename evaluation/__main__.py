"""``python -m evaluation score WEIGHTSET.json SCORES.csv`` (see :mod:`evaluation.cli`)."""

import sys

from .cli import main

sys.exit(main())
