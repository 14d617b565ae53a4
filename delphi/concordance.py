"""Kendall's coefficient of concordance W (肯德尔和谐系数) for one round."""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from ._validation import check_ratings
from .results import ConcordanceResult

__all__ = ["kendall_w"]

_MISSING = ("listwise", "midrank")


def kendall_w(ratings, correct_ties=True, *, missing="listwise", scale_min=None,
              scale_max=None) -> ConcordanceResult:
    r"""Kendall's coefficient of concordance W with its chi-square test.

    Each expert's ratings are turned into ranks over the items (ties get the
    average rank). With :math:`m` experts, :math:`n` items, rank sums
    :math:`R_j` and :math:`S = \sum_j (R_j - m(n+1)/2)^2`:

    .. math::

        W = \frac{12 S}{m^2 (n^3 - n)}, \qquad
        W_t = \frac{12 S}{m^2 (n^3 - n) - m \sum_{i=1}^{m} T_i}, \qquad
        T_i = \sum_{g} (t_g^3 - t_g),

        \chi^2 = m (n - 1) W, \qquad df = n - 1, \qquad p = P(\chi^2_{df} \ge \chi^2),

    where :math:`t_g` are the sizes of the groups of tied ratings of expert
    :math:`i`. :math:`W_t` equals Friedman's tie-corrected statistic divided
    by :math:`m(n-1)`, which is what SPSS (``NPAR TESTS /KENDALL``) reports.

    Parameters
    ----------
    ratings : array_like, shape (n_experts, n_items)
        One row per expert; NaN where not rated. Experts with any missing
        rating are left out (listwise, as R ``irr::kendall`` and SPSS do).
    correct_ties : bool, default True
        Whether ``w``, ``chi2`` and ``p`` use the tie-corrected :math:`W_t`.
        Both versions are always in the result.
    missing : {"listwise", "midrank"}, default "listwise"
        What to do with an expert's missing ratings ("no opinion").
        ``"listwise"`` leaves the expert out (R ``irr::kendall``, SPSS).
        ``"midrank"`` keeps every expert who rated at least two items: the
        expert's ratings are ranked among the :math:`k_i` items they rated
        (mid-ranks for ties), centred on the overall mid-rank and a missing
        item gets the mid-rank itself,

        .. math::

            r'_{ij} = \frac{n+1}{2} + \Big(r_{ij} - \frac{k_i+1}{2}\Big), \qquad
            r'_{ij} = \frac{n+1}{2} \text{ if } x_{ij} \text{ is missing},

        i.e. an item the expert did not judge is placed at its expected rank
        under the null hypothesis of no concordance (Kendall & Gibbons 1990,
        expected rank :math:`(n+1)/2`), and the expert's order of the items they
        did judge is kept. Every row still sums to :math:`n(n+1)/2`, so
        :math:`S` and :math:`W` are computed as above; with no missing rating it
        equals the listwise value. The tie correction is not defined for
        imputed ranks: ``w`` is the uncorrected :math:`W` (``w_corrected`` is
        NaN) and ``correct_ties`` must be False. Imputation at the mid-rank
        pulls W towards 0, so it is conservative.
    scale_min, scale_max : float, optional
        When given, ratings off ``[scale_min, scale_max]`` are rejected.

    Returns
    -------
    ConcordanceResult
        ``w, w_corrected, w_uncorrected, chi2, df, p, m_used, m_dropped,
        n_items, ties, correct_ties``. If every used expert gave all items the
        same rating, :math:`W_t` is undefined (0/0) and is NaN, as are its
        ``chi2`` and ``p``.

    Raises
    ------
    ValueError
        If ``ratings`` is not 2-D, has fewer than 2 items, or fewer than 2
        experts remain after leaving out those with missing ratings.

    Notes
    -----
    ``p`` uses ``scipy.stats.chi2.sf`` (accurate for very small p). The
    chi-square approximation is for large samples; with few experts and items
    exact tables (Siegel & Castellan 1988, Table T) are more accurate.
    Ranks are computed with ``scipy.stats.rankdata(..., axis=1)``; the tie
    sums come from the identity
    :math:`\sum_j r_{ij}^2 = n(n+1)(2n+1)/6 - T_i/12` for mid-ranks.

    References
    ----------
    .. [1] Kendall, M. G. & Babington Smith, B. (1939). The problem of m
       rankings. Annals of Mathematical Statistics 10(3), 275-287.
       doi:10.1214/aoms/1177732186
    .. [2] Siegel, S. & Castellan, N. J. (1988). Nonparametric Statistics for
       the Behavioral Sciences, 2nd ed., section 9.4. McGraw-Hill.
    .. [3] Kendall, M. G. & Gibbons, J. D. (1990). Rank Correlation Methods,
       5th ed. Edward Arnold (expected rank under independence).

    Examples
    --------
    Siegel & Castellan's (1988) example without ties, three raters ranking
    eight items (as printed by R ``DescTools::KendallW``: W = 0.6560847,
    chi-squared = 13.778, df = 7, p = 0.05528):

    >>> import delphi
    >>> r = [[5, 6, 7, 1, 2, 4, 3, 8],
    ...      [1, 7, 6, 2, 3, 5, 4, 8],
    ...      [4, 5, 1, 3, 2, 7, 6, 8]]
    >>> res = delphi.kendall_w(r)
    >>> print(round(res.w, 7), round(res.chi2, 3), res.df, round(res.p, 5))
    0.6560847 13.778 7 0.05528
    """
    if not isinstance(correct_ties, (bool, np.bool_)):
        raise ValueError(f"correct_ties must be True or False; got {correct_ties!r}")
    if missing not in _MISSING:
        raise ValueError(f"missing must be one of {_MISSING}; got {missing!r}")
    x = check_ratings(ratings, scale_min=scale_min, scale_max=scale_max, min_items=2)
    if missing == "midrank":
        if correct_ties:
            raise ValueError("missing='midrank' gives the uncorrected W only; pass correct_ties=False")
        return _kendall_w_midrank(x)
    complete = ~np.isnan(x).any(axis=1)
    m_total = x.shape[0]
    x = x[complete]
    m, n = x.shape
    if m < 2:
        raise ValueError(
            f"ratings needs at least 2 experts who rated every item for Kendall's W; "
            f"{m_total - m} of {m_total} experts have missing ratings, leaving {m}"
        )
    ranks = _st.rankdata(x, axis=1)
    rank_sums = ranks.sum(axis=0)
    s = float(np.sum((rank_sums - m * (n + 1) / 2.0) ** 2))
    # Sum over tie groups of (t^3 - t) per expert, from the sum of squared mid-ranks.
    ties_per_expert = np.rint(2.0 * n * (n + 1) * (2 * n + 1) - 12.0 * (ranks * ranks).sum(axis=1))
    ties = float(ties_per_expert.sum())
    denom = m * m * (n**3 - n)
    w_unc = 12.0 * s / denom
    denom_t = denom - m * ties
    w_cor = 12.0 * s / denom_t if denom_t > 0 else float("nan")
    w = w_cor if correct_ties else w_unc
    df = n - 1
    chi2 = m * df * w
    p = float(_st.chi2.sf(chi2, df)) if np.isfinite(chi2) else float("nan")
    return ConcordanceResult(
        w=float(w),
        w_corrected=float(w_cor),
        w_uncorrected=float(w_unc),
        chi2=float(chi2),
        df=int(df),
        p=p,
        m_used=int(m),
        m_dropped=int(m_total - m),
        n_items=int(n),
        ties=ties,
        correct_ties=bool(correct_ties),
    )


def _kendall_w_midrank(x: np.ndarray) -> ConcordanceResult:
    """Kendall's W with missing ranks imputed at the mid-rank (see :func:`kendall_w`)."""
    m_total, n = x.shape
    rated = ~np.isnan(x)
    k = rated.sum(axis=1)
    keep = k >= 2
    x, rated, k = x[keep], rated[keep], k[keep]
    m = x.shape[0]
    if m < 2:
        raise ValueError(
            f"ratings needs at least 2 experts who rated at least 2 items for Kendall's W; "
            f"got {m} of {m_total}"
        )
    # Ranks among each expert's own rated items (NaN ranked last by rankdata, then discarded).
    filled = np.where(rated, x, np.inf)
    own = _st.rankdata(filled, axis=1)
    centre = (n + 1) / 2.0
    ranks = np.where(rated, centre + own - (k[:, None] + 1) / 2.0, centre)
    rank_sums = ranks.sum(axis=0)
    s = float(np.sum((rank_sums - m * centre) ** 2))
    w = 12.0 * s / (m * m * (n**3 - n))
    df = n - 1
    chi2 = m * df * w
    return ConcordanceResult(
        w=float(w), w_corrected=float("nan"), w_uncorrected=float(w), chi2=float(chi2), df=int(df),
        p=float(_st.chi2.sf(chi2, df)), m_used=int(m), m_dropped=int(m_total - m), n_items=int(n),
        ties=float("nan"), correct_ties=False, missing="midrank",
    )
