"""Figures remembered in-process, keyed by everything they are computed from.

A dashboard view of an open round recomputes the same statistics (Kendall's W, quartiles, the
Wilcoxon tests of stability, …) on answers that mostly did not change since the last view. Each
figure is a pure function of its inputs, so it is kept under a key made of those inputs (the
ratings' digest, the scale, the rule's options): a new answer changes the digest and the figure
is computed again; nothing is ever invalidated and nothing stale can be served. A small bounded
LRU per process (each gunicorn worker keeps its own), safe across threads.

The values must not be changed by their readers: ``delphi`` results are frozen dataclasses with
read-only arrays, and the weight samples of an evaluation are stored read-only.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np


class Memo:
    """A bounded, thread-safe LRU of computed values (``size`` entries at most)."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], object]):
        """The value remembered under ``key``, or ``compute()`` remembered under it. Two threads
        missing the same key at once both compute it (the same value): no lock is held while
        computing."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key]
        value = compute()
        self.put(key, value)
        return value

    def lookup(self, key: Hashable):
        """The value remembered under ``key``, or None (for callers that compute several at once)."""
        with self._lock:
            if key not in self._values:
                return None
            self._values.move_to_end(key)
            self.hits += 1
            return self._values[key]

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self.misses += 1
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.hits = self.misses = 0


def fingerprint(*arrays) -> str:
    """A digest of arrays' dtypes, shapes and bytes (BLAKE2b, 128 bits): equal only for equal data."""
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode("ascii"))
        digest.update(array.tobytes())
    return digest.hexdigest()


def attempt(compute: Callable[[], object]) -> tuple[object | None, str | None]:
    """``(compute(), None)``, or ``(None, message)`` when it raises ``ValueError``, so that a refusal
    is remembered like a result."""
    try:
        return compute(), None
    except ValueError as exc:
        return None, str(exc)
