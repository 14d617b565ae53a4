"""Timing shared by the library benchmarks (ahp, delphi, evaluation, weighting).

Speed is measured here, never in timed unit tests: each bench times its vectorised code
and a plain-loop baseline in the same run and prints the ratio, so a busy machine slows
both alike.
"""
from __future__ import annotations

import time

import numpy as np


def best_of(fn, repeat: int) -> tuple[float, float]:
    """(best, median) wall time of ``repeat`` calls of ``fn()``, in milliseconds."""
    times = []
    for _ in range(max(1, int(repeat))):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3, float(np.median(times)) * 1e3
