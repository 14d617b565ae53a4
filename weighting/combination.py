"""Group weights (experts' vectors) and combination of subjective and objective weights."""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from ._validation import as_float, check_choice, check_coefficients, check_finite, check_weight_vectors
from .normalization import NORMALIZATIONS
from .objective import _prepare
from .results import AggregateResult, CombinationResult
from .spread import _principal

__all__ = ["aggregate", "combine", "COMBINATIONS"]

COMBINATIONS = ("linear", "multiplicative", "min_information", "game_theory", "level_difference")


def _expert_weights(weights, k: int) -> np.ndarray:
    if weights is None:
        return np.full(k, 1.0 / k)
    a = as_float(weights, "weights")
    if a.shape != (k,):
        raise ValueError(f"weights must have one entry per expert ({k}); got shape {a.shape}")
    check_finite(a, "weights")
    if (a < 0).any() or not a.sum() > 0:
        raise ValueError("weights must be >= 0 with a positive sum (one per expert)")
    return a / a.sum()


def aggregate(vectors, weights=None, *, method: str = "geometric") -> AggregateResult:
    r"""Experts' weight vectors combined by the weighted geometric mean, renormalised.

    .. math:: w_j = \frac{\prod_k v_{kj}^{\alpha_k}}{\sum_l \prod_k v_{kl}^{\alpha_k}},
              \qquad \sum_k \alpha_k = 1

    ``method="arithmetic"`` gives :math:`w_j = \sum_k \alpha_k v_{kj}` instead, the
    averaging many Chinese G1 papers use; it is offered for comparison with them.

    Parameters
    ----------
    vectors : array_like, shape (k, n) or (..., k, n)
        One weight vector per expert (rows need not be normalised; each is
        scaled to sum 1 first).  Leading axes stack independent groups.
    weights : array_like, shape (k,), optional
        Expert weights :math:`\alpha` (e.g. authority coefficients); equal if None.
    method : {"geometric", "arithmetic"}
        Geometric (default, AIP) or arithmetic weighted mean.

    Returns
    -------
    AggregateResult

    Notes
    -----
    The geometric mean is the aggregation of individual priorities (AIP) that
    keeps the Pareto principle and reciprocity (Forman & Peniwati 1998); it is
    the group step recommended for BWM and G1 panels as well.  A weight of
    exactly 0 in one expert's vector gives 0 in the group.

    References
    ----------
    Forman, E., Peniwati, K. (1998). Aggregating individual judgments and
    priorities with the analytic hierarchy process. *EJOR* 108(1), 165-169.

    Examples
    --------
    >>> aggregate([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]).weights.round(4)
    array([0.3391, 0.3217, 0.3391])
    """
    v = as_float(vectors, "vectors")
    if v.ndim < 2 or v.shape[-2] < 1 or v.shape[-1] < 1:
        raise ValueError(f"vectors must have shape (k, n) (experts x indicators); got shape {v.shape}")
    check_finite(v, "vectors")
    if (v < 0).any():
        raise ValueError("vectors must be >= 0 (weights)")
    sums = v.sum(axis=-1, keepdims=True)
    if (sums <= 0).any():
        raise ValueError("vectors: an expert's vector is all zero")
    check_choice(method, "method", ("geometric", "arithmetic"))
    k = v.shape[-2]
    a = _expert_weights(weights, k)
    if method == "arithmetic":
        g = np.einsum("...kn,k->...n", v / sums, a)
        return AggregateResult(weights=g / g.sum(axis=-1, keepdims=True), method="aggregate",
                               variant="weighted arithmetic mean", expert_weights=a, k=k)
    with np.errstate(divide="ignore"):
        logv = np.log(v / sums)
    g = np.exp(_weighted_log_sum(logv, a))
    tot = g.sum(axis=-1, keepdims=True)
    if (tot <= 0).any():
        raise ValueError("vectors: every indicator has a zero weight from some expert; "
                         "the geometric mean is all zero")
    return AggregateResult(weights=g / tot, method="aggregate",
                           variant="weighted geometric mean (AIP), renormalised",
                           expert_weights=a, k=k)


def _weighted_log_sum(logv: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Sum_k a_k log v_k with -inf where any expert with a_k > 0 gave 0."""
    zero = np.isneginf(logv) & (a[:, None] > 0)
    finite = np.where(np.isneginf(logv), 0.0, logv)
    out = np.einsum("...kn,k->...n", finite, a)
    return np.where(zero.any(axis=-2), -np.inf, out)


def _game_theory(w: np.ndarray):
    g = w @ w.T
    rhs = np.diag(g).copy()
    raw, *_ = np.linalg.lstsq(g, rhs, rcond=None)
    negative = bool((raw < -1e-12).any())
    if negative:
        alpha, _ = nnls(g, rhs)
    else:
        alpha = np.clip(raw, 0.0, None)
    if not alpha.sum() > 0:  # pragma: no cover - diag(WW') > 0 makes this impossible
        raise ValueError("vectors: the game-theory coefficients are all zero")
    return alpha / alpha.sum(), raw, negative


def _level_difference(w: np.ndarray, x, directions, normalization):
    arr, d, y, constant = _prepare(x, directions, normalization, NORMALIZATIONS)
    if y.shape[1] != w.shape[1]:
        raise ValueError(f"x must have one column per indicator ({w.shape[1]}); got {y.shape[1]}")
    s = (y - y.mean(axis=0)) @ w.T  # centred scores of the objects under each vector (m, L)
    lam, u = _principal(s.T @ s)
    if (u < -1e-12 * max(1.0, np.abs(u).max())).any() or not u.sum() > 0:
        raise ValueError(
            "vectors: the level-difference solution has a negative coefficient (the weight vectors "
            "rank the objects in opposite ways); combine them another way"
        )
    u = np.clip(u, 0.0, None)
    return u / u.sum()


def combine(vectors, method: str = "linear", coefficients=None, *, x=None, directions=None,
            normalization: str = "minmax") -> CombinationResult:
    r"""Combine subjective and objective weight vectors (主客观综合集成赋权).

    ``vectors`` is (L, n): L weight vectors over the same n indicators (e.g.
    AHP or G1 weights and entropy or CRITIC weights).  Methods:

    - ``"linear"``: :math:`w = \sum_k \alpha_k w_k` with the given
      ``coefficients`` (:math:`\alpha \ge 0`, :math:`\sum\alpha = 1`).
    - ``"multiplicative"``: :math:`w \propto \prod_k w_k` (exaggerates extremes).
    - ``"min_information"``: :math:`w \propto (\prod_k w_k)^{1/L}`; for L = 2 the
      minimum relative information (Kullback-Leibler) solution
      :math:`\sqrt{w_s w_o}`.
    - ``"game_theory"``: :math:`\alpha` solves :math:`(W W^T)\alpha = \mathrm{diag}(W W^T)`,
      then :math:`\alpha / \sum \alpha`.  With three or more vectors the solution can
      have a negative coefficient; this is reported (``negative_coefficient``,
      ``raw_coefficients``) and the coefficients are re-solved under
      :math:`\alpha \ge 0` by non-negative least squares — never by taking
      :math:`|\alpha|`, the common fix that changes the meaning.
    - ``"level_difference"``: level-difference maximisation — :math:`\alpha`
      maximises the spread :math:`\sum_i (z_i - \bar z)^2` of the objects' combined
      scores :math:`z = Y W^T \alpha` under :math:`\|\alpha\| = 1`, i.e. the
      principal eigenvector of :math:`S^T S` (S = centred scores under each
      vector), normalised to sum 1.  Needs the data ``x``.

    Parameters
    ----------
    vectors : array_like, shape (L, n)
    method : str
        One of ``COMBINATIONS``.
    coefficients : array_like, shape (L,)
        Required for ``"linear"``; refused for the others.
    x : array_like, shape (m, n)
        Data for ``"level_difference"`` (normalised with ``normalization`` and
        ``directions`` as in the objective methods).

    Returns
    -------
    CombinationResult
        ``weights`` and the ``coefficients`` used.

    Notes
    -----
    李刚, 李建平, 孙晓蕾, 赵萌 (2017) judge additive and multiplicative synthesis
    less reasonable than level-difference maximisation and objective-corrected
    subjective weights; the first is offered here, the second is not implemented.

    References
    ----------
    李刚, 李建平, 孙晓蕾, 赵萌 (2017). 主客观权重的组合方式及其合理性研究.
    管理评论 29(12), 17-26.  Lin, C.-S., et al. and 路正南 (game-theory
    combination weighting, Nash equilibrium form).  郭亚军 (2007) 综合评价理论、
    方法及应用 (拉开档次 / level difference).

    Examples
    --------
    >>> combine([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]], "linear", [0.6, 0.4]).weights
    array([0.38, 0.3 , 0.32])
    """
    check_choice(method, "method", COMBINATIONS)
    w = check_weight_vectors(vectors, min_k=1)
    w = w / w.sum(axis=1, keepdims=True)
    L = w.shape[0]
    if method == "linear":
        if coefficients is None:
            raise ValueError("coefficients are required for method='linear' (one per vector, sum 1)")
        alpha = check_coefficients(coefficients, L)
        return CombinationResult(weights=alpha @ w, method="combine", variant="linear",
                                 coefficients=alpha)
    if coefficients is not None:
        raise ValueError(f"coefficients are only given for method='linear'; {method!r} derives its own")
    if method in ("multiplicative", "min_information"):
        with np.errstate(divide="ignore"):
            logw = np.log(w)
        power = 1.0 if method == "multiplicative" else 1.0 / L
        t = power * logw.sum(axis=0)
        if np.isneginf(t).all():
            raise ValueError("vectors: every indicator has a zero weight in some vector; the product is all zero")
        g = np.exp(t - t[np.isfinite(t)].max())
        return CombinationResult(weights=g / g.sum(), method="combine", variant=method)
    if x is None and method == "level_difference":
        raise ValueError("x (the data matrix) is required for method='level_difference'")
    if method == "game_theory":
        alpha, raw, negative = _game_theory(w)
        return CombinationResult(weights=alpha @ w, method="combine",
                                 variant="game_theory (NNLS when a coefficient is negative)",
                                 coefficients=alpha, raw_coefficients=raw,
                                 negative_coefficient=negative)
    alpha = _level_difference(w, x, directions, normalization)
    return CombinationResult(weights=alpha @ w, method="combine", variant="level_difference",
                             coefficients=alpha)
