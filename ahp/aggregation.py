"""Group aggregation (AIJ, AIP) and group consensus (Goepel's S*)."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ._validation import (
    check_method,
    check_pairwise_matrix,
    check_priority_vectors,
    check_weights,
)
from .consistency import _RI_NAMES, consistency_of_valid
from .priorities import priorities_of_valid
from .results import ConsensusResult, GroupResult

__all__ = [
    "aggregate_judgments",
    "aggregate_priorities",
    "consensus",
    "consensus_wording",
    "analyze_group",
    "WORDING_SCALES",
]

#: Upper bounds of the bands "very low", "low", "moderate", "high" (above the
#: last one: "very high"); each band includes its upper bound.
WORDING_SCALES = MappingProxyType(
    {
        # Goepel (2018) IJAHP 10(3) Table 2, and AHP-OS classes/AhpGroup.php
        # consensusWording() at commit 93e4455 (2022): <=50, 65, 75, 85 %.
        "ahp_os": (0.50, 0.65, 0.75, 0.85),
        # bpmsg.com "AHP Consensus Word Scale" post: four equal bands from 50 % to 100 %.
        "bpmsg_blog": (0.50, 0.625, 0.75, 0.875),
    }
)
_BANDS = ("very low", "low", "moderate", "high", "very high")


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


def consensus_wording(s_star: float, scale="ahp_os") -> str:
    """Word band of an S* value: "very low", "low", "moderate", "high" or "very high".

    Parameters
    ----------
    s_star : float
        Consensus in [0, 1]; NaN gives ``"n/a"``.
    scale : str or sequence of 4 floats, optional
        ``"ahp_os"`` (default; <= 0.50, 0.65, 0.75, 0.85 as in Goepel 2018,
        Table 2, and AHP-OS ``consensusWording``), ``"bpmsg_blog"`` (<= 0.50,
        0.625, 0.75, 0.875) or four increasing upper bounds.

    Examples
    --------
    >>> import ahp
    >>> ahp.consensus_wording(0.70), ahp.consensus_wording(0.70, "bpmsg_blog")
    ('moderate', 'moderate')
    >>> ahp.consensus_wording(0.86), ahp.consensus_wording(0.86, "bpmsg_blog")
    ('very high', 'high')
    """
    cuts = _wording_cuts(scale)
    s = float(s_star)
    if np.isnan(s):
        return "n/a"
    return _BANDS[int(np.searchsorted(np.asarray(cuts), s, side="left"))]


def _wording_cuts(scale) -> tuple:
    if isinstance(scale, str):
        check_method(scale, tuple(WORDING_SCALES), name="wording")
        return WORDING_SCALES[scale]
    try:
        cuts = tuple(float(c) for c in scale)
    except (TypeError, ValueError):
        raise ValueError(f"wording must be a scale name or 4 increasing numbers; got {scale!r}") from None
    if len(cuts) != 4 or any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise ValueError(f"wording must be a scale name or 4 increasing numbers; got {scale!r}")
    return cuts


def _consensus(p: np.ndarray, scale_max: float, cuts: tuple) -> ConsensusResult:
    k, n = p.shape
    ent = -(p * np.log(p)).sum(axis=-1)
    h_alpha = float(ent.mean())
    pbar = p.mean(axis=0)
    h_gamma = float(-(pbar * np.log(pbar)).sum())
    # H_beta >= 0 since Shannon entropy is concave (H of the mean >= mean of the H); identical
    # experts give H_gamma = H_alpha, whose rounding must not push S* above 1 (schema: S* <= 1).
    h_beta = max(h_gamma - h_alpha, 0.0)
    if k < 2:
        s_star, wording = float("nan"), "n/a"
        dispersion = np.full(n, np.nan)
    else:
        m = float(scale_max)
        top = m / (n + m - 1.0)
        rest = 1.0 / (n + m - 1.0)
        h_alpha_min = -top * np.log(top) - (n - 1) * rest * np.log(rest)
        inv_cor = np.exp(h_alpha_min) / n  # 1 / cor, cor = exp(ln n - H_alpha_min)
        s_star = float((np.exp(-h_beta) - inv_cor) / (1.0 - inv_cor))
        wording = _BANDS[int(np.searchsorted(np.asarray(cuts), s_star, side="left"))]
        dispersion = np.exp(np.log(p).std(axis=0, ddof=1))
    return ConsensusResult(
        s_star=s_star,
        wording=wording,
        dispersion=dispersion,
        h_alpha=h_alpha,
        h_beta=h_beta,
        h_gamma=h_gamma,
        k=k,
        n=n,
        scale_max=float(scale_max),
    )


def _check_scale_max(scale_max) -> float:
    try:
        m = float(scale_max)
    except (TypeError, ValueError):
        raise ValueError(f"scale_max must be a number > 1; got {scale_max!r}") from None
    if not (np.isfinite(m) and m > 1):
        raise ValueError(f"scale_max must be a finite number > 1; got {scale_max!r}")
    return m


def consensus(vectors, *, scale_max: float = 9, wording="ahp_os") -> ConsensusResult:
    r"""Goepel's AHP consensus indicator S* and per-criterion dispersion.

    For ``k`` experts' priority vectors :math:`w_{k\cdot}` over ``n`` criteria,
    with :math:`\bar w_j` the arithmetic mean over experts and ``M`` the scale
    maximum:

    .. math::

        H_\alpha = \frac1K \sum_k \sum_j -w_{kj} \ln w_{kj}, \quad
        H_\gamma = \sum_j -\bar w_j \ln \bar w_j, \quad
        H_\beta = H_\gamma - H_\alpha,

        H_{\alpha,min} = -\frac{M}{n+M-1} \ln\frac{M}{n+M-1}
                         - \frac{n-1}{n+M-1} \ln\frac{1}{n+M-1}, \quad
        c = \frac{n}{e^{H_{\alpha,min}}},

        S^* = \frac{e^{-H_\beta} - 1/c}{1 - 1/c} .

    :math:`S^* = 1` when all experts agree; :math:`S^* = 0` when ``n``
    experts each rate a different criterion ``M`` times more important than
    all others (the most diverse answers the scale allows).  Expert weights
    are deliberately not used, as in AHP-OS.  Inputs more extreme than the
    scale allows can put S* slightly outside [0, 1]; it is not clipped.

    The dispersion of each criterion is the geometric standard deviation
    :math:`\exp\big(\operatorname{sd}_k(\ln w_{kj})\big)` (``ddof=1``; 1 means
    no spread, 1.5 means a typical factor of 1.5 between experts).

    Parameters
    ----------
    vectors : array_like, shape (k, n)
        One positive priority vector per expert (renormalised to sum 1), n >= 2.
    scale_max : float, optional
        ``M``, the largest judgment of the scale (9 for Saaty's 1-9 scale).
    wording : str or sequence of 4 floats, optional
        Word scale for :attr:`ConsensusResult.wording`, see :func:`consensus_wording`.

    Returns
    -------
    ConsensusResult
        ``s_star, wording, dispersion, h_alpha, h_beta, h_gamma, k, n,
        scale_max``.  With one expert ``s_star`` is NaN and ``wording`` "n/a"
        (AHP-OS shows no consensus for a single participant).

    References
    ----------
    Goepel, K.D. (2018). Implementation of an online software tool for the
    Analytic Hierarchy Process (AHP-OS). *IJAHP* 10(3), 469-487, Eqs. 11-21.
    https://doi.org/10.13033/ijahp.v10i3.590; code: bpmsg/ahp-os
    ``classes/AhpGroup.php`` (``getShannonBeta``, ``getConsensus``,
    ``ahpShannonCor``).

    Goepel, K.D. (2013). Implementing the analytic hierarchy process as a
    standard method for multi-criteria decision making in corporate
    enterprises - a new AHP Excel template with multiple inputs. *Proc.
    ISAHP 2013*, Kuala Lumpur.

    Examples
    --------
    Three experts over three criteria, each favouring a different one 9 : 1 : 1,
    have no consensus; identical experts have full consensus:

    >>> import ahp
    >>> w = [[9/11, 1/11, 1/11], [1/11, 9/11, 1/11], [1/11, 1/11, 9/11]]
    >>> abs(round(ahp.consensus(w).s_star, 12))
    0.0
    >>> ahp.consensus([[0.5, 0.3, 0.2]] * 4).s_star
    1.0
    """
    m = _check_scale_max(scale_max)
    cuts = _wording_cuts(wording)
    p = check_priority_vectors(vectors, "vectors", min_n=2)
    if p.ndim != 2:
        raise ValueError(f"vectors must have shape (k, n); got shape {p.shape}")
    return _consensus(p, m, cuts)


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
