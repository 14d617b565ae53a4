"""The frozen-result base shared by the numerical libraries ``ahp``, ``weighting`` and
``evaluation`` (numpy only, no other project import).

Each library used to carry an identical copy of these few lines. They live here once so
that "read-only arrays" and "JSON-ready ``to_dict()``" mean the same in every library;
each library still imports without the others (it needs numpy and this module only).
``delphi`` keeps its own variant: its ``to_dict()`` also rounds and names per-item arrays.

Examples
--------
>>> from dataclasses import dataclass
>>> import numpy as np
>>> @dataclass(frozen=True)
... class Example(FrozenResult):
...     weights: np.ndarray
...     cr: float
>>> r = Example(weights=np.array([0.25, 0.75]), cr=float("nan"))
>>> r.weights.flags.writeable, r.to_dict()
(False, {'weights': [0.25, 0.75], 'cr': None})
"""
from __future__ import annotations

from dataclasses import fields

import numpy as np

__all__ = ["FrozenResult", "plain"]


def plain(value):
    """JSON-ready copy: results -> dicts, arrays -> lists, numpy scalars -> Python, NaN -> None."""
    if isinstance(value, FrozenResult):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


class FrozenResult:
    """Base of a frozen result dataclass: its arrays are made read-only, ``to_dict()`` is
    :func:`plain` of every field."""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    def to_dict(self) -> dict:
        """Plain ``dict`` of the fields, ready for ``json.dumps`` (NaN becomes ``None``)."""
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}
