"""Best-Worst Method (Rezaei), linear model solved exactly as a linear program."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ._validation import as_float, check_finite
from .results import BWMResult

__all__ = ["bwm", "bwm_consistency_index", "BWM_CI", "BWM_INPUT_THRESHOLDS"]

#: Rezaei (2015) Table 2: consistency index CI for a_BW = 1..9 (max xi of the
#: non-linear model), = ((1 + 2a) - sqrt(1 + 8a)) / 2.
BWM_CI = {1: 0.00, 2: 0.44, 3: 1.00, 4: 1.63, 5: 2.30, 6: 3.00, 7: 3.73, 8: 4.47, 9: 5.23}

#: Liang, Brunelli & Rezaei (2020) thresholds of the input-based CR, by a_BW
#: (rows 3..9) and number of criteria n (columns 3..9).
BWM_INPUT_THRESHOLDS = {
    3: (0.1667, 0.1667, 0.1667, 0.1667, 0.1667, 0.1667, 0.1667),
    4: (0.1121, 0.1529, 0.1898, 0.2206, 0.2527, 0.2577, 0.2683),
    5: (0.1354, 0.1994, 0.2306, 0.2546, 0.2716, 0.2844, 0.2960),
    6: (0.1330, 0.1990, 0.2643, 0.2819, 0.2969, 0.3087, 0.3165),
    7: (0.1294, 0.2457, 0.2819, 0.3029, 0.3161, 0.3264, 0.3364),
    8: (0.1309, 0.2521, 0.2958, 0.3154, 0.3281, 0.3384, 0.3462),
    9: (0.1359, 0.2681, 0.3062, 0.3337, 0.3483, 0.3587, 0.3635),
}
#: answers per block-diagonal LP: HiGHS's time grows faster than linearly with the
#: number of blocks, and per-call overhead dominates below ~100 (bench/weighting_bench.py).
_CHUNK = 128

_THRESH = np.full((10, 10), np.nan)
for _a, _row in BWM_INPUT_THRESHOLDS.items():
    _THRESH[_a, 3:10] = _row


def bwm_consistency_index(a_bw):
    r"""Rezaei's (2015) consistency index for :math:`a_{BW}`.

    .. math:: CI = \frac{(1 + 2a_{BW}) - \sqrt{1 + 8a_{BW}}}{2}

    the largest :math:`\xi` of the non-linear model, reached when
    :math:`a_{Bj} = a_{jW} = a_{BW}` for the middle criterion (root of
    :math:`\xi^2 - (1 + 2a_{BW})\xi + (a_{BW}^2 - a_{BW}) = 0`); Table 2 of the
    paper rounds it to 0.00, 0.44, 1.00, 1.63, 2.30, 3.00, 3.73, 4.47, 5.23.

    Examples
    --------
    >>> round(float(bwm_consistency_index(9)), 2)
    5.23
    """
    a = np.asarray(a_bw, dtype=float)
    return ((1.0 + 2.0 * a) - np.sqrt(1.0 + 8.0 * a)) / 2.0


def _check(best, worst, bo, ow):
    bo = as_float(bo, "best_to_others")
    ow = as_float(ow, "others_to_worst")
    if bo.ndim < 1 or bo.shape[-1] < 2:
        raise ValueError(f"best_to_others must compare at least 2 indicators; got shape {bo.shape}")
    if ow.shape != bo.shape:
        raise ValueError(f"others_to_worst must have the shape of best_to_others {bo.shape}; got {ow.shape}")
    check_finite(bo, "best_to_others")
    check_finite(ow, "others_to_worst")
    n = bo.shape[-1]
    lead = bo.shape[:-1]
    b = np.broadcast_to(np.asarray(best), lead) if np.ndim(best) or lead else np.asarray(best)
    w = np.broadcast_to(np.asarray(worst), lead) if np.ndim(worst) or lead else np.asarray(worst)
    for name, v in (("best", b), ("worst", w)):
        if not np.issubdtype(np.asarray(v).dtype, np.integer):
            raise ValueError(f"{name} must be an integer indicator index; got {v!r}")
        if ((v < 0) | (v >= n)).any():
            raise ValueError(f"{name} must be an index between 0 and {n - 1}; got {v!r}")
    b = np.asarray(b, dtype=np.int64).reshape(lead)
    w = np.asarray(w, dtype=np.int64).reshape(lead)
    if (b == w).any():
        raise ValueError("worst must differ from best")
    for name, arr in (("best_to_others", bo), ("others_to_worst", ow)):
        if (arr < 1).any():
            idx = tuple(int(i) for i in np.argwhere(arr < 1)[0])
            raise ValueError(
                f"{name}{list(idx)} = {arr[idx]!r}; BWM comparisons are >= 1 (1 = equal, 9 = extreme)"
            )
    bb = np.take_along_axis(bo, b[..., None], -1)[..., 0]
    ww = np.take_along_axis(ow, w[..., None], -1)[..., 0]
    if not (np.allclose(bb, 1) and np.allclose(ww, 1)):
        raise ValueError("best_to_others[best] and others_to_worst[worst] must be 1 (a criterion against itself)")
    abw = np.take_along_axis(bo, w[..., None], -1)[..., 0]
    awb = np.take_along_axis(ow, b[..., None], -1)[..., 0]
    if not np.allclose(abw, awb):
        raise ValueError(
            "others_to_worst[best] must equal best_to_others[worst] (both are a_BW, best over worst)"
        )
    return b, w, bo, ow, abw


def _lp(b, w, bo, ow):
    """One LP for a whole stack: min sum xi_s, blocks independent (HiGHS)."""
    s_count, n = bo.shape
    nv = n + 1  # w_1..w_n, xi per block
    rows, cols, vals = [], [], []
    # constraints per block: for each j: +-(w_B - a_Bj w_j) - xi <= 0 and +-(w_j - a_jW w_W) - xi <= 0
    j = np.arange(n)
    base = (np.arange(s_count) * nv)[:, None]
    # 4n rows per block
    row_ids = np.arange(s_count * 4 * n).reshape(s_count, 4, n)
    xi_col = base + n  # (S,1)
    bcol = base + b[:, None]
    wcol = base + w[:, None]
    jcol = base + j[None, :]
    one = np.ones((s_count, n))
    for k, sign in enumerate((1.0, -1.0)):
        rr = row_ids[:, k, :]
        # sign*(w_B - a_Bj w_j) - xi <= 0
        rows += [rr, rr, rr]
        cols += [np.broadcast_to(bcol, (s_count, n)), jcol, np.broadcast_to(xi_col, (s_count, n))]
        vals += [sign * one, -sign * bo, -one]
        rr = row_ids[:, 2 + k, :]
        # sign*(w_j - a_jW w_W) - xi <= 0
        rows += [rr, rr, rr]
        cols += [jcol, np.broadcast_to(wcol, (s_count, n)), np.broadcast_to(xi_col, (s_count, n))]
        vals += [sign * one, -sign * ow, -one]
    a_ub = sparse.coo_matrix(
        (np.concatenate([v.ravel() for v in vals]),
         (np.concatenate([x.ravel() for x in rows]), np.concatenate([x.ravel() for x in cols]))),
        shape=(s_count * 4 * n, s_count * nv),
    ).tocsr()
    a_eq = sparse.coo_matrix(
        (np.ones(s_count * n), (np.repeat(np.arange(s_count), n), (base + j[None, :]).ravel())),
        shape=(s_count, s_count * nv),
    ).tocsr()
    c = np.zeros(s_count * nv)
    c[n::nv] = 1.0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), A_eq=a_eq, b_eq=np.ones(s_count),
                  bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"BWM linear program failed: {res.message}")
    x = res.x.reshape(s_count, nv)
    wts = np.clip(x[:, :n], 0.0, None)
    return wts / wts.sum(axis=1, keepdims=True), x[:, n]


def bwm(best, worst, best_to_others, others_to_worst) -> BWMResult:
    r"""Best-Worst Method, linear model (Rezaei 2016), solved exactly by linear programming.

    .. math::

        \min \xi^L \quad\text{s.t.}\quad |w_B - a_{Bj} w_j| \le \xi^L,\;
        |w_j - a_{jW} w_W| \le \xi^L\;\forall j,\quad \sum_j w_j = 1,\; w \ge 0

    solved with ``scipy.optimize.linprog`` (HiGHS).  A stack of answers is solved
    as block-diagonal LPs of 128 answers each (the blocks are independent, so the
    optimum of each is its own), so a panel is one call.

    Parameters
    ----------
    best, worst : int or array_like of int
        Indices of the best (most important) and worst indicator.
    best_to_others : array_like, shape (n,) or (..., n)
        :math:`a_{Bj}` on 1-9, the best over each indicator (1 for itself).
    others_to_worst : array_like, shape (n,) or (..., n)
        :math:`a_{jW}` on 1-9, each indicator over the worst (1 for itself);
        ``others_to_worst[best]`` must equal ``best_to_others[worst]`` (:math:`a_{BW}`).

    Returns
    -------
    BWMResult
        ``weights``, ``xi`` (:math:`\xi^{L*}`), and two consistency ratios:

        - ``cr_input`` — **the consistency test used**: Liang, Brunelli & Rezaei
          (2020) input-based :math:`CR^I = \max_j CR^I_j`,
          :math:`CR^I_j = |a_{Bj} a_{jW} - a_{BW}| / (a_{BW}^2 - a_{BW})` (0 when
          :math:`a_{BW} = 1`), compared with their threshold for ``n`` and
          :math:`a_{BW}` (``BWM_INPUT_THRESHOLDS``; ``acceptable``).  It needs no
          optimisation, so it can be shown live while the expert answers.
        - ``cr_output`` — :math:`\xi^{L*} / CI(a_{BW})` with Rezaei's (2015)
          consistency index (``ci``).  The CI was derived for the non-linear
          model, so for the linear model this ratio is indicative only.

    Raises
    ------
    ValueError
        Naming the argument: indices out of range or equal, comparisons below 1,
        self-comparisons not 1, or the two :math:`a_{BW}` entries different.

    Notes
    -----
    The linear model gives a unique solution for typical inputs and is the one
    Rezaei (2016) recommends for its simplicity; pyDecision solves the
    non-linear model with a penalty method and lands on a worse optimum.

    References
    ----------
    Rezaei, J. (2015). Best-worst multi-criteria decision-making method.
    *Omega* 53, 49-57. https://doi.org/10.1016/j.omega.2014.11.009
    Rezaei, J. (2016). Best-worst multi-criteria decision-making method: some
    properties and a linear model. *Omega* 64, 126-130.
    https://doi.org/10.1016/j.omega.2015.12.001
    Liang, F., Brunelli, M., Rezaei, J. (2020). Consistency issues in the best
    worst method: measurements and thresholds. *Omega* 96, 102175.
    https://doi.org/10.1016/j.omega.2019.102175

    Examples
    --------
    >>> r = bwm(0, 2, [1, 2, 4], [4, 2, 1])
    >>> r.weights.round(4), round(r.xi, 6)
    (array([0.5714, 0.2857, 0.1429]), 0.0)
    """
    b, w, bo, ow, abw = _check(best, worst, best_to_others, others_to_worst)
    lead = bo.shape[:-1]
    n = bo.shape[-1]
    bo2, ow2 = bo.reshape(-1, n), ow.reshape(-1, n)
    b1, w1 = b.reshape(-1), w.reshape(-1)
    parts = [_lp(b1[s:s + _CHUNK], w1[s:s + _CHUNK], bo2[s:s + _CHUNK], ow2[s:s + _CHUNK])
             for s in range(0, len(b1), _CHUNK)]
    weights = np.concatenate([p[0] for p in parts])
    xi = np.concatenate([p[1] for p in parts])
    weights = weights.reshape(lead + (n,))
    xi = np.clip(xi, 0.0, None).reshape(lead)
    denom = abw * abw - abw
    with np.errstate(divide="ignore", invalid="ignore"):
        crj = np.abs(bo * ow - abw[..., None]) / denom[..., None]
    crj = np.where(abw[..., None] > 1, crj, 0.0)
    cr_in = crj.max(axis=-1)
    a_idx = np.clip(np.rint(abw).astype(int), 3, 9)
    thr = _THRESH[a_idx, min(max(n, 3), 9)]
    acceptable = cr_in <= thr + 1e-12
    ci = bwm_consistency_index(abw)
    with np.errstate(divide="ignore", invalid="ignore"):
        cr_out = np.where(ci > 0, xi / np.where(ci > 0, ci, 1.0), 0.0)

    def out(v, cast=float):
        return cast(v) if np.ndim(v) == 0 else v

    return BWMResult(
        weights=weights, method="bwm",
        variant="Rezaei 2016 linear model, exact LP (HiGHS); consistency: Liang et al. 2020 input-based CR",
        best=out(b, int), worst=out(w, int), xi=out(xi), cr_input=out(cr_in), cr_input_by_indicator=crj,
        cr_input_threshold=out(thr), acceptable=out(acceptable, bool), cr_output=out(cr_out),
        ci=out(ci),
    )
