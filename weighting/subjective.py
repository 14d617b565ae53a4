"""Subjective weights from experts' answers: G1 (order relation), ratio scoring
(DARE), binomial coefficients, least squares on a pairwise matrix, and mean
importance ratings.

The order-based methods accept one expert's answer or a stack of them
(leading axes), so a whole panel is one call.
"""

from __future__ import annotations

import numpy as np
from scipy.special import comb

from ._validation import as_float, check_finite, check_order
from .results import OrderResult, PairwiseResult, RatingsResult

__all__ = ["g1", "ratio_scoring", "binomial", "least_squares", "from_ratings", "G1_SCALE"]

#: G1 ratio scale (Guo Yajun): value -> verbal label.
G1_SCALE = {
    1.0: "equally important",
    1.2: "slightly more important",
    1.4: "clearly more important",
    1.6: "strongly more important",
    1.8: "extremely more important",
}


def _chain(order: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Weights from adjacent ratios chained up from the last listed item (= 1)."""
    # position k gets prod(ratios[k:]); the last gets 1
    tail = np.concatenate([np.cumprod(ratios[..., ::-1], axis=-1)[..., ::-1],
                           np.ones(ratios.shape[:-1] + (1,))], axis=-1)
    w_pos = tail / tail.sum(axis=-1, keepdims=True)
    w = np.empty_like(w_pos)
    np.put_along_axis(w, order, w_pos, axis=-1)
    return w


def _order_and_ratios(order, ratios, *, minimum: float, name_min: str):
    o = check_order(order)
    r = as_float(ratios, "ratios")
    if r.shape != o.shape[:-1] + (o.shape[-1] - 1,):
        raise ValueError(
            f"ratios must have n - 1 = {o.shape[-1] - 1} entries per order (shape "
            f"{o.shape[:-1] + (o.shape[-1] - 1,)}); got shape {r.shape}"
        )
    check_finite(r, "ratios")
    bad = r < minimum if minimum > 0 else r <= 0
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"ratios{list(idx)} = {r[idx]!r}; {name_min}")
    return o, r


def g1(order, ratios) -> OrderResult:
    r"""G1 / order relation analysis (序关系分析法, Guo Yajun).

    The expert orders the indicators :math:`x_1 \succ x_2 \succ \dots \succ x_n`
    and gives :math:`r_k = w_{k-1}/w_k` for each adjacent pair
    (1.0 equal, 1.2 slightly, 1.4 clearly, 1.6 strongly, 1.8 extremely more
    important); then

    .. math:: w_n = \Bigl(1 + \sum_{k=2}^{n}\prod_{i=k}^{n} r_i\Bigr)^{-1},\qquad
              w_{k-1} = r_k\, w_k .

    Parameters
    ----------
    order : array_like of int, shape (n,) or (..., n)
        Indicator indices from most to least important (a permutation of
        ``0..n-1``); a stack gives one result per row.
    ratios : array_like, shape (n - 1,) or (..., n - 1)
        ``ratios[k] = w(order[k]) / w(order[k+1])``, each >= 1 (the order says
        the earlier one is at least as important); the verbal scale is
        ``weighting.G1_SCALE`` but any value >= 1 is accepted.

    Returns
    -------
    OrderResult
        ``weights`` in the original index order (not in rank order).

    Notes
    -----
    Identical to SWARA (Keršulienė et al. 2010) with :math:`s_k = r_k - 1`, so
    crispyn's ``swara_weighting`` is an independent check.

    References
    ----------
    郭亚军 (2002). 综合评价理论与方法. 科学出版社, 序关系分析法 (G1 法).
    Keršulienė, V., Zavadskas, E. K., Turskis, Z. (2010). Selection of rational
    dispute resolution method by applying new step-wise weight assessment ratio
    analysis (SWARA). *J. Business Economics and Management* 11(2), 243-258.

    Examples
    --------
    >>> g1([2, 0, 1], [1.2, 1.4]).weights.round(4)
    array([0.3431, 0.2451, 0.4118])
    """
    o, r = _order_and_ratios(order, ratios, minimum=1.0,
                             name_min="G1 ratios must be >= 1 (the order already says which is more important)")
    return OrderResult(weights=_chain(o, r), method="g1",
                       variant="Guo Yajun G1: w_n = 1/(1 + sum prod r), w_{k-1} = r_k w_k",
                       order=o, ratios=r)


def ratio_scoring(order, ratios) -> OrderResult:
    r"""Ratio scoring method (环比评分法, DARE: Decision Alternative Ratio Evaluation).

    The indicators are listed in any fixed order; the expert gives the ratio of
    each to the next, :math:`R_k = w_k / w_{k+1}` (above or below 1).  The last
    listed gets :math:`K_n = 1`, then :math:`K_k = R_k K_{k+1}` up the list, and
    :math:`w_k = K_k / \sum_l K_l`.

    Parameters
    ----------
    order : array_like of int, shape (n,) or (..., n)
        The listing order (a permutation of ``0..n-1``).
    ratios : array_like, shape (n - 1,) or (..., n - 1)
        ``ratios[k] = w(order[k]) / w(order[k+1])``, any positive number.

    Returns
    -------
    OrderResult

    Notes
    -----
    Same chain as :func:`g1` without the monotone order (ratios below 1 are
    allowed).

    References
    ----------
    Klee, A. J. (1971). The role of decision models in the evaluation of
    competing environmental health alternatives. *Management Science* 18(2),
    B52-B67 (DARE).  杜栋, 庞庆华 (2005). 现代综合评价方法与案例精选. 清华大学出版社.

    Examples
    --------
    >>> ratio_scoring([0, 1, 2, 3], [3, 0.5, 2]).weights.round(4)
    array([0.4286, 0.1429, 0.2857, 0.1429])
    """
    o, r = _order_and_ratios(order, ratios, minimum=0.0, name_min="ratios must be > 0")
    return OrderResult(weights=_chain(o, r), method="ratio_scoring",
                       variant="DARE: K_n = 1, K_k = R_k K_{k+1}, normalised",
                       order=o, ratios=r)


def binomial(order) -> OrderResult:
    r"""Binomial coefficient method (二项系数法).

    The indicators ranked by importance are laid out symmetrically — the most
    important in the middle, then alternately right and left of it — and the
    position :math:`k = 0..n-1` gets :math:`C(n-1, k) / 2^{n-1}`.  Equivalently the
    :math:`r`-th most important indicator gets the :math:`r`-th largest binomial
    coefficient.

    Parameters
    ----------
    order : array_like of int, shape (n,) or (..., n)
        Indicator indices from most to least important.  For a panel, rank by
        the experts' mean rank first (the textbook's group step) or aggregate
        the experts' vectors with :func:`weighting.aggregate`.

    Returns
    -------
    OrderResult
        ``ratios`` is None.

    Notes
    -----
    Variant: the symmetric (centre-out) layout of 邱东 (1991) and the Chinese
    evaluation textbooks, so adjacent ranks 2k and 2k+1 share a coefficient
    (e.g. n = 5: 6/16, 4/16, 4/16, 1/16, 1/16).  The one-sided layout (most
    important at an end) is not implemented; it gives weights that fall off
    the other way and is rarely used.

    References
    ----------
    邱东 (1991). 多指标综合评价方法的系统分析. 中国统计出版社.
    苏为华 (2000). 多指标综合评价理论与方法问题研究. 厦门大学博士论文.

    Examples
    --------
    >>> binomial([1, 0, 2]).weights
    array([0.25, 0.5 , 0.25])
    """
    o = check_order(order)
    n = o.shape[-1]
    coef = np.sort(comb(n - 1, np.arange(n)))[::-1] / 2.0 ** (n - 1)
    w = np.empty(o.shape)
    np.put_along_axis(w, o, np.broadcast_to(coef, o.shape).copy(), axis=-1)
    return OrderResult(weights=w, method="binomial",
                       variant="centre-out layout: r-th most important gets the r-th largest C(n-1,k)/2^(n-1)",
                       order=o, ratios=None)


def least_squares(a) -> PairwiseResult:
    r"""Least squares method (最小平方法) on a pairwise comparison matrix.

    .. math:: \min_w \sum_{i}\sum_{j} (a_{ij} w_j - w_i)^2 \quad
              \text{s.t.}\;\sum_i w_i = 1

    Setting the Lagrangian's gradient to zero gives the linear system
    :math:`B w = \lambda e`, :math:`e^T w = 1` with
    :math:`B_{kk} = \sum_{i \ne k} a_{ik}^2 + (n - 1)`,
    :math:`B_{kl} = -(a_{kl} + a_{lk})`, solved directly.

    Parameters
    ----------
    a : array_like, shape (n, n) or (..., n, n)
        Positive reciprocal matrix (:math:`a_{ji} = 1/a_{ij}`, unit diagonal).

    Returns
    -------
    PairwiseResult
        ``residual`` = the minimised sum of squares.

    Notes
    -----
    Not the logarithmic least squares method (LLSM = row geometric mean).
    The solution is positive (Blankmeyer 1987) and exact for a consistent
    matrix.  Vectorised over a stack.

    References
    ----------
    Chu, A. T. W., Kalaba, R. E., Spingarn, K. (1979). A comparison of two
    methods for determining the weights of belonging to fuzzy sets. *Journal of
    Optimization Theory and Applications* 27(4), 531-538.
    Blankmeyer, E. (1987). Approaches to consistency adjustment. *JOTA* 54(3), 479-488.

    Examples
    --------
    >>> least_squares([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]).weights.round(4)
    array([0.5714, 0.2857, 0.1429])
    """
    arr = as_float(a, "a")
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] < 1:
        raise ValueError(f"a must be a square matrix (n, n) or a stack (..., n, n); got shape {arr.shape}")
    check_finite(arr, "a")
    if (arr <= 0).any():
        raise ValueError("a must hold positive judgments (a_ij > 0)")
    n = arr.shape[-1]
    if not np.allclose(arr * np.swapaxes(arr, -1, -2), 1.0, rtol=0, atol=1e-9):
        raise ValueError("a must be reciprocal: a_ij * a_ji = 1 with a unit diagonal")
    at = np.swapaxes(arr, -1, -2)
    sq = (arr * arr).sum(axis=-2) - np.diagonal(arr * arr, axis1=-2, axis2=-1)
    b = -(arr + at)
    idx = np.arange(n)
    b[..., idx, idx] = sq + (n - 1)
    big = np.zeros(arr.shape[:-2] + (n + 1, n + 1))
    big[..., :n, :n] = b
    big[..., :n, n] = -1.0
    big[..., n, :n] = 1.0
    rhs = np.zeros(arr.shape[:-2] + (n + 1,))
    rhs[..., n] = 1.0
    sol = np.linalg.solve(big, rhs[..., None])[..., 0]
    w = sol[..., :n]
    resid = ((arr * w[..., None, :] - w[..., :, None]) ** 2).sum(axis=(-2, -1))
    return PairwiseResult(weights=w, method="least_squares",
                          variant="Chu, Kalaba & Spingarn 1979: min sum (a_ij w_j - w_i)^2, sum w = 1",
                          residual=resid if resid.ndim else float(resid))


def from_ratings(scores) -> RatingsResult:
    r"""Weights from mean importance ratings (the Delphi practice).

    .. math:: w_j = \frac{\bar s_j}{\sum_k \bar s_k}

    with :math:`\bar s_j` the mean rating of indicator :math:`j` over the experts
    who rated it (NaN = no rating, e.g. 不熟悉，不评价).

    Parameters
    ----------
    scores : array_like, shape (k, n) or (n,)
        Experts × indicators, non-negative ratings (e.g. a 1-5 importance
        scale); NaN for a missing rating.  A 1-D input is one expert or
        already-computed means.

    Returns
    -------
    RatingsResult
        ``means`` and ``counts`` per indicator.

    Notes
    -----
    Name it in a published file as "normalised mean importance".  The result
    depends on where the scale starts (a 0-4 scale and a 1-5 scale give
    different weights for the same answers); that is the method, not a bug.

    References
    ----------
    曾光 (1994). 现代流行病学方法与应用, Delphi chapter: 指标权重 = 平均重要性得分归一化.
    Hsu, C.-C., Sandford, B. A. (2007). The Delphi technique: making sense of
    consensus. *Practical Assessment, Research & Evaluation* 12(10).

    Examples
    --------
    >>> from_ratings([[5, 3, 4], [4, 3, float("nan")]]).weights.round(4)
    array([0.3913, 0.2609, 0.3478])
    """
    s = as_float(scores, "scores")
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or s.shape[1] < 1:
        raise ValueError(f"scores must have shape (experts, indicators); got shape {s.shape}")
    if np.isinf(s).any():
        raise ValueError("scores must be finite (NaN only for a missing rating)")
    if (s < 0).any():
        raise ValueError("scores must be >= 0 (importance ratings)")
    counts = (~np.isnan(s)).sum(axis=0)
    if (counts == 0).any():
        j = int(np.argmax(counts == 0))
        raise ValueError(f"scores[:, {j}] has no rating; every indicator needs at least one")
    means = np.nansum(s, axis=0) / counts
    if not means.sum() > 0:
        raise ValueError("scores: every mean rating is 0, so the weights are undefined")
    return RatingsResult(weights=means / means.sum(), method="from_ratings",
                         variant="normalised mean importance rating (missing ratings left out)",
                         means=means, counts=counts)
