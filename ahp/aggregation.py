"""Group aggregation (AIJ, AIP) and a whole panel's analysis of one sibling group (consensus S* is in
``group_consensus``; its names stay importable from here)."""

from __future__ import annotations

import numpy as np

from ._validation import (
    check_method,
    check_pairwise_matrix,
    check_priority_vectors,
    check_weights,
)
from .consistency import _RI_NAMES, consistency_of_valid
from .group_consensus import (  # consensus names re-exported: ahp.aggregation.consensus as before
    WORDING_SCALES,
    _check_scale_max,
    _consensus,
    _wording_cuts,
    consensus,
    consensus_wording,
)
from .priorities import priorities_of_valid
from .results import GroupResult

__all__ = [
    "aggregate_judgments",
    "aggregate_priorities",
    "consensus",
    "consensus_wording",
    "analyze_group",
    "WORDING_SCALES",
]


def _stack_for_experts(stack, name: str) -> np.ndarray:
    arr = check_pairwise_matrix(stack, name)
    if arr.ndim < 3:
        raise ValueError(
            f"{name} must be a stack of shape (k, n, n): one matrix per expert; got shape {arr.shape}"
        )
    if arr.shape[-3] < 1:
        raise ValueError(f"{name} needs at least one expert; got shape {arr.shape}")
    return arr


def _aij(arr: np.ndarray, w: np.ndarray) -> np.ndarray:
    logs = np.tensordot(w, np.log(arr), axes=([0], [-3]))  # weighted mean of logs over experts
    logs = 0.5 * (logs - np.swapaxes(logs, -1, -2))  # antisymmetric logs => reciprocal to rounding
    return np.exp(logs)


def aggregate_judgments(stack, weights=None) -> np.ndarray:
    r"""Aggregate individual judgments (AIJ) by the weighted geometric mean.

    .. math::

        a^{G}_{ij} = \prod_{k=1}^{K} a_{ij}^{(k)\,\omega_k},
        \qquad \omega_k \ge 0, \quad \sum_k \omega_k = 1 .

    The geometric mean is the only averaging rule that keeps the aggregate
    reciprocal (:math:`a^G_{ji} = 1/a^G_{ij}`) and unanimity-preserving
    (Aczél & Saaty 1983); the mean of the logarithms is antisymmetrised, so
    the result is reciprocal to rounding (:math:`|a_{ij} a_{ji} - 1| \le 2^{-52}`).

    Parameters
    ----------
    stack : array_like, shape (k, n, n) or (..., k, n, n)
        One positive reciprocal matrix per expert (any positive values).
    weights : array_like, shape (k,), optional
        Expert weights, non-negative, normalised internally; equal if omitted.

    Returns
    -------
    numpy.ndarray, shape (n, n) or (..., n, n)
        The aggregated reciprocal matrix (generally off the Saaty scale).

    References
    ----------
    Aczél, J., Saaty, T.L. (1983). Procedures for synthesizing ratio
    judgements. *J. Math. Psychol.* 27(1), 93-102.
    https://doi.org/10.1016/0022-2496(83)90028-7

    Forman, E., Peniwati, K. (1998). Aggregating individual judgments and
    priorities with the analytic hierarchy process. *Eur. J. Oper. Res.*
    108(1), 165-169. https://doi.org/10.1016/S0377-2217(97)00244-0

    Examples
    --------
    >>> import ahp
    >>> g = ahp.aggregate_judgments([ahp.from_upper([9], 2), ahp.from_upper([1], 2)])
    >>> g
    array([[1.        , 3.        ],
           [0.33333333, 1.        ]])
    >>> ahp.aggregate_judgments([ahp.from_upper([9], 2), ahp.from_upper([1], 2)], weights=[1, 0]).round(12)
    array([[1.        , 9.        ],
           [0.11111111, 1.        ]])
    """
    arr = _stack_for_experts(stack, "stack")
    w = check_weights(weights, arr.shape[-3])
    return _aij(arr, w)


def _aip(v: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    if method == "geometric":
        logs = np.einsum("k,...kj->...j", w, np.log(v))
        logs -= logs.max(axis=-1, keepdims=True)
        g = np.exp(logs)
    else:
        g = np.einsum("k,...kj->...j", w, v)
    return g / g.sum(axis=-1, keepdims=True)


def aggregate_priorities(vectors, weights=None, *, method: str = "geometric") -> np.ndarray:
    r"""Aggregate individual priorities (AIP), normalised to sum 1.

    The default weighted geometric mean (Forman & Peniwati 1998):

    .. math::

        w^{G}_j = \frac{\prod_k w_{kj}^{\omega_k}}{\sum_i \prod_k w_{ki}^{\omega_k}} ;

    ``method="arithmetic"`` gives :math:`\sum_k \omega_k w_{kj}` instead.
    With row-geometric-mean priorities, geometric AIP equals AIJ followed by
    RGMM (Barzilai & Golany 1994); with eigenvectors they differ slightly.

    Parameters
    ----------
    vectors : array_like, shape (k, n) or (..., k, n)
        One positive priority vector per expert (rows are renormalised to sum 1).
    weights : array_like, shape (k,), optional
        Expert weights, non-negative, normalised internally; equal if omitted.
    method : {"geometric", "arithmetic"}, optional

    Returns
    -------
    numpy.ndarray, shape (n,) or (..., n)

    References
    ----------
    Forman, E., Peniwati, K. (1998). Aggregating individual judgments and
    priorities with the analytic hierarchy process. *Eur. J. Oper. Res.*
    108(1), 165-169. https://doi.org/10.1016/S0377-2217(97)00244-0

    Examples
    --------
    >>> import ahp
    >>> ahp.aggregate_priorities([[0.8, 0.2], [0.2, 0.8]])
    array([0.5, 0.5])
    >>> ahp.aggregate_priorities([[0.8, 0.2], [0.5, 0.5]], weights=[3, 1]).round(4)
    array([0.7388, 0.2612])
    """
    check_method(method, ("geometric", "arithmetic"))
    v = check_priority_vectors(vectors, "vectors")
    w = check_weights(weights, v.shape[-2])
    return _aip(v, w, method)


def analyze_group(
    stack,
    weights=None,
    *,
    method: str = "eigen",
    ri: str = "saaty",
    threshold=0.10,
    gci_threshold=None,
    scale_max: float = 9,
    wording="ahp_os",
) -> GroupResult:
    r"""Run a whole panel on one sibling group in one call.

    Computes each expert's priorities and consistency, the aggregated
    judgments (AIJ) with their priorities and consistency, the aggregated
    priorities (AIP) and Goepel's S* of the individual priorities -- what a
    results page for one comparison matrix shows.

    Parameters
    ----------
    stack : array_like, shape (k, n, n)
        One complete positive reciprocal matrix per expert.
    weights : array_like, shape (k,), optional
        Expert weights for AIJ and AIP (not used by S*, as in AHP-OS).
    method : {"eigen", "geometric", "arithmetic"}, optional
        Priority method for the individuals and for the AIJ matrix.
    ri, threshold, gci_threshold
        Passed to :func:`ahp.consistency`.
    scale_max, wording
        Passed to :func:`consensus`.

    Returns
    -------
    GroupResult
        ``individual, consistency, aij_matrix, aij, aij_consistency, aip,
        consensus, weights, method``.

    Examples
    --------
    >>> import ahp
    >>> stack = [ahp.from_upper([3, 5, 2], 3), ahp.from_upper([2, 4, 2], 3)]
    >>> g = ahp.analyze_group(stack)
    >>> g.individual.shape, g.consistency.cr.shape, g.aij.round(3)
    ((2, 3), (2,), array([0.611, 0.257, 0.132]))
    """
    check_method(method)
    check_method(ri, _RI_NAMES, name="ri")
    m = _check_scale_max(scale_max)
    cuts = _wording_cuts(wording)
    arr = _stack_for_experts(stack, "stack")
    if arr.ndim != 3:
        raise ValueError(f"stack must have shape (k, n, n); got shape {arr.shape}")
    if arr.shape[-1] < 2:
        raise ValueError(f"stack must compare at least 2 items; got shape {arr.shape}")
    w = check_weights(weights, arr.shape[0])
    opts = dict(threshold=threshold, ri=ri, gci_threshold=gci_threshold)
    cons = consistency_of_valid(arr, **opts)
    aij_matrix = _aij(arr, w)
    aij_cons = consistency_of_valid(aij_matrix, **opts)
    if method == "eigen":
        individual, aij = cons.priorities, aij_cons.priorities
    else:
        individual = priorities_of_valid(arr, method)
        aij = priorities_of_valid(aij_matrix, method)
    aip = _aip(individual, w, "geometric")
    return GroupResult(
        individual=individual,
        consistency=cons,
        aij_matrix=aij_matrix,
        aij=aij,
        aij_consistency=aij_cons,
        aip=aip,
        consensus=_consensus(individual, m, cuts),
        weights=w,
        method=method,
    )
