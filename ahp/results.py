"""Frozen result objects returned by :mod:`ahp`.

Fields hold Python scalars for a single matrix and numpy arrays for a stack,
so ``result.cr`` is a ``float`` for one expert and an ``(k,)`` array for ``k``.
Arrays in a result are read-only; ``to_dict()`` gives a JSON-ready ``dict``
(lists, floats, ``None`` for NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from _results import FrozenResult, plain

__all__ = [
    "ConsistencyResult",
    "RevisionHint",
    "ConsensusResult",
    "GroupResult",
    "HierarchyResult",
]


# The shared base (read-only arrays, JSON-ready to_dict()): one copy for ahp, weighting and
# evaluation in _results/, which needs numpy only.
_Result = FrozenResult
_plain = plain


@dataclass(frozen=True)
class ConsistencyResult(_Result):
    """Consistency of a pairwise comparison matrix (or of each matrix of a stack).

    Attributes
    ----------
    n : int
        Matrix size.
    lambda_max : float or ndarray
        Principal eigenvalue :math:`\\lambda_{max}`.
    ci : float or ndarray
        Consistency index :math:`(\\lambda_{max} - n)/(n - 1)` (0 for n <= 2).
    ri : float
        Random index used (from the table named in ``ri_table``).
    cr : float or ndarray
        Consistency ratio CI/RI (0 for n <= 2).
    gci : float or ndarray
        Geometric consistency index of the RGMM priorities (0 for n <= 2).
    acceptable : bool or ndarray
        ``cr <= threshold`` (always true for n <= 2).
    threshold : float
        CR threshold applied (0.10, a custom value, or Saaty's size-dependent one).
    gci_threshold : float
        Aguarón & Moreno-Jiménez (2003) threshold for this n, or the one given.
    gci_acceptable : bool or ndarray
        ``gci <= gci_threshold``.
    priorities : ndarray, shape (n,) or (..., n)
        The principal eigenvector used for :math:`\\lambda_{max}`.
    ri_table : str
        Name of the random-index table (see ``ahp.RI_TABLES``).
    """

    n: int
    lambda_max: Any
    ci: Any
    ri: float
    cr: Any
    gci: Any
    acceptable: Any
    threshold: float
    gci_threshold: float
    gci_acceptable: Any
    priorities: np.ndarray = field(repr=False)
    ri_table: str = "saaty"


@dataclass(frozen=True)
class RevisionHint(_Result):
    """One judgment worth revising (indices are 0-based, ``i < j``).

    Attributes
    ----------
    i, j : int
        Row and column of the judgment :math:`a_{ij}` (its reciprocal moves with it).
    current : float
        The judgment as given.
    suggested : float
        :math:`w_i / w_j` rounded to the Saaty scale: the value the other
        judgments imply.
    cr_after : float
        Consistency ratio after replacing only this judgment (and its reciprocal).
    epsilon : float
        Saaty's deviation :math:`\\max(\\varepsilon_{ij}, 1/\\varepsilon_{ij})`,
        :math:`\\varepsilon_{ij} = a_{ij} w_j / w_i` (1 when consistent).
    derivative : float
        Harker's :math:`|\\partial \\lambda_{max} / \\partial a_{ij}|`.
    """

    i: int
    j: int
    current: float
    suggested: float
    cr_after: float
    epsilon: float
    derivative: float


@dataclass(frozen=True)
class ConsensusResult(_Result):
    """Group consensus of ``k`` priority vectors over ``n`` criteria.

    Attributes
    ----------
    s_star : float
        Goepel's AHP consensus indicator :math:`S^*` in [0, 1] (NaN for one expert).
    wording : str
        Band of ``s_star``: "very low", "low", "moderate", "high", "very high"
        ("n/a" for one expert).
    dispersion : ndarray, shape (n,)
        Geometric standard deviation of each criterion's priority across
        experts, :math:`\\exp(\\mathrm{sd}(\\ln w_{\\cdot j}))` (1 = no spread; NaN for one expert).
    h_alpha, h_beta, h_gamma : float
        Shannon alpha (mean within-expert), beta and gamma (pooled) entropies.
    k, n : int
        Number of experts and of criteria.
    scale_max : float
        Scale maximum ``M`` used for :math:`H_{\\alpha,min}`.
    """

    s_star: float
    wording: str
    dispersion: np.ndarray
    h_alpha: float
    h_beta: float
    h_gamma: float
    k: int
    n: int
    scale_max: float


@dataclass(frozen=True)
class GroupResult(_Result):
    """Everything about one sibling group answered by a panel.

    Attributes
    ----------
    individual : ndarray, shape (k, n)
        Each expert's priority vector.
    consistency : ConsistencyResult
        Each expert's consistency (array fields of length k).
    aij_matrix : ndarray, shape (n, n)
        Aggregated judgments (weighted geometric mean, AIJ).
    aij : ndarray, shape (n,)
        Group priorities from ``aij_matrix`` (same method as the individuals).
    aij_consistency : ConsistencyResult
        Consistency of ``aij_matrix``.
    aip : ndarray, shape (n,)
        Aggregated individual priorities (weighted geometric mean, normalised).
    consensus : ConsensusResult
        Goepel's S* and per-criterion dispersion of ``individual``.
    weights : ndarray, shape (k,)
        Normalised expert weights used for AIJ and AIP.
    method : str
        Priority method used.
    """

    individual: np.ndarray
    consistency: ConsistencyResult
    aij_matrix: np.ndarray
    aij: np.ndarray
    aij_consistency: ConsistencyResult
    aip: np.ndarray
    consensus: ConsensusResult
    weights: np.ndarray
    method: str


@dataclass(frozen=True)
class HierarchyResult(_Result):
    """A whole panel over a hierarchy.

    Attributes
    ----------
    groups : dict[str, GroupResult]
        Per sibling group, keyed by parent code, in ``Hierarchy.groups()`` order.
    local_aij, local_aip : dict[str, float]
        Local weight of every non-root node (1.0 for an only child).
    global_aij, global_aip : dict[str, float]
        Global weight of every non-root node (the leaves sum to 1).
    s_star : float
        Hierarchy consensus: mean of the groups' S* weighted by the AIJ global
        weight of each group's parent node (root = 1), as AHP-OS
        ``getGlbConsensus`` does.
    """

    groups: dict
    local_aij: dict
    local_aip: dict
    global_aij: dict
    global_aip: dict
    s_star: float
