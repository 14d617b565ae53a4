"""Objective weights from the spread of the objects: scatter degree (拉开档次法),
maximum deviation (最大离差法) and principal component weights (主成分分析法)."""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh

from ._validation import check_data, check_directions
from .normalization import _normalize
from .objective import _prepare, _share
from .results import DispersionResult, EigenResult, PCAResult

__all__ = ["scatter_degree", "max_deviation", "pca"]

_SIGN_TOL = 1e-12


def _principal(h: np.ndarray):
    """Largest eigenvalue and its unit eigenvector, oriented to a positive sum."""
    vals, vecs = eigh(h)
    u = vecs[:, -1]
    if u.sum() < 0:
        u = -u
    return float(vals[-1]), u


def scatter_degree(x, directions=None) -> EigenResult:
    r"""Scatter degree method (拉开档次法, Guo Yajun).

    The weights that spread the objects' scores :math:`z = X w` the most:

    .. math:: \max_w \; w^T H w \;\; \text{s.t.}\;\; w^T w = 1,\qquad H = X^T X

    on z-scores :math:`X`; the solution is the eigenvector of :math:`H`'s
    largest eigenvalue, taken positive and normalised to sum 1.

    Parameters
    ----------
    x : array_like, shape (m, n)
    directions : array_like of +1/-1, optional
        Cost columns are reversed inside the z-score, :math:`(\bar x - x)/s`.

    Returns
    -------
    EigenResult
        ``eigenvalue`` (:math:`\lambda_{max}` = the maximal spread).

    Raises
    ------
    ValueError
        If the principal eigenvector has components of both signs (some
        indicators negatively correlated with the rest): Guo's method needs a
        positive solution (Perron-Frobenius holds for :math:`H > 0`) and
        clipping or taking absolute values would be a different method.

    Notes
    -----
    Scale-free (z-scores). Constant columns have a zero row in :math:`H` and
    weight 0.  Solved with ``scipy.linalg.eigh``.

    References
    ----------
    郭亚军 (2002). 一种新的动态综合评价方法. 管理科学学报 5(2), 49-54.
    郭亚军 (2007). 综合评价理论、方法及应用. 科学出版社, ch. 2.

    Examples
    --------
    >>> x = [[1, 2], [2, 3], [3, 5], [4, 4]]
    >>> scatter_degree(x).weights.round(4)
    array([0.5, 0.5])
    """
    arr, d, z, constant = _prepare(x, directions, "zscore", ("zscore",))
    h = z.T @ z
    lam, u = _principal(h)
    u = np.where(constant, 0.0, u)
    if (u < -_SIGN_TOL * max(1.0, np.abs(u).max())).any():
        j = int(np.argmin(u))
        raise ValueError(
            f"x: the scatter-degree eigenvector is negative for column {j} (it runs against the "
            "others); the method needs a positive solution - check the indicator's direction"
        )
    if not (u.sum() > 0 and lam > 0):
        raise ValueError("x: no column varies across the objects, so the weights are undefined")
    u = np.clip(u, 0.0, None)
    return EigenResult(
        weights=u / u.sum(), method="scatter_degree",
        variant="Guo Yajun: principal eigenvector of H = Z'Z on z-scores (ddof=1)",
        eigenvalue=lam, spread=lam, constant_columns=constant,
    )


def max_deviation(x, directions=None, *, normalization: str = "minmax") -> DispersionResult:
    r"""Maximum deviation method (最大离差法, Wang Yingming 1998).

    Weights maximising the total deviation of the weighted values between all
    pairs of objects, :math:`\max \sum_j w_j D_j` s.t. :math:`\sum_j w_j^2 = 1`, whose
    solution normalised to sum 1 is

    .. math:: D_j = \sum_{i=1}^m \sum_{k=1}^m |y_{ij} - y_{kj}|,\qquad
              w_j = \frac{D_j}{\sum_l D_l}

    on normalised data :math:`y`.  :math:`D_j` is computed from the sorted column,
    :math:`D_j = 2\sum_i (2i - m - 1) y_{(i)j}`, in O(m log m).

    Parameters
    ----------
    x : array_like, shape (m, n)
    directions : array_like of +1/-1, optional
    normalization : {"minmax", "max", "vector", "sum"}
        Min-max by default (Wang's range transformation).

    Returns
    -------
    DispersionResult
        ``figure`` = :math:`D_j`.

    References
    ----------
    王应明 (1998). 运用离差最大化方法进行多指标决策与排序. 系统工程与电子技术 20(7), 24-26.

    Examples
    --------
    >>> max_deviation([[0, 0], [1, 0], [2, 3]]).weights.round(4)
    array([0.5, 0.5])
    """
    arr, d, y, constant = _prepare(x, directions, normalization, ("minmax", "max", "vector", "sum"))
    m = y.shape[0]
    ys = np.sort(y, axis=0)
    coef = 2.0 * np.arange(1, m + 1) - m - 1
    dev = 2.0 * (coef @ ys)
    dev = np.where(constant, 0.0, np.clip(dev, 0.0, None))
    return DispersionResult(
        weights=_share(dev), method="max_deviation",
        variant=f"Wang Yingming 1998: sum of |y_ij - y_kj| over all pairs, {normalization} data",
        figure=dev, figure_name="total absolute deviation between objects",
        constant_columns=constant,
    )


def _retained(vals: np.ndarray, retention) -> tuple[int, str]:
    n = vals.size
    if retention == "kaiser":
        k = int((vals > 1.0).sum())
        return max(k, 1), "Kaiser: eigenvalue > 1"
    if isinstance(retention, (int, np.integer)) and not isinstance(retention, bool):
        if not 1 <= retention <= n:
            raise ValueError(f"retention must be between 1 and {n} components; got {retention!r}")
        return int(retention), f"{int(retention)} components"
    try:
        share = float(retention)
    except (TypeError, ValueError):
        raise ValueError(
            f"retention must be a cumulative variance share in (0, 1], a number of components "
            f"or 'kaiser'; got {retention!r}"
        ) from None
    if not 0 < share <= 1:
        raise ValueError(f"retention must be a cumulative variance share in (0, 1]; got {retention!r}")
    cum = np.cumsum(vals) / vals.sum()
    k = int(np.searchsorted(cum, share - 1e-12) + 1)
    return min(k, n), f"cumulative variance >= {share:g}"


def pca(x, directions=None, *, retention=0.85) -> PCAResult:
    r"""Principal component weights (主成分分析法), the variance-weighted coefficient variant.

    On z-scores, with the correlation matrix's eigenvalues
    :math:`\lambda_1 \ge \dots` and unit eigenvectors :math:`u_k` (the linear
    combination coefficients, loadings :math:`/\sqrt{\lambda_k}`), keep the first
    :math:`K` components and set

    .. math:: s_j = \frac{\sum_{k \le K} \lambda_k u_{jk}}{\sum_{k \le K} \lambda_k},\qquad
              w_j = \frac{s_j}{\sum_l s_l}

    Each :math:`u_k` is oriented so that its components sum to a positive number.

    Parameters
    ----------
    x : array_like, shape (m, n), m >= 3
    directions : array_like of +1/-1, optional
        Cost columns are reversed inside the z-score.
    retention : float in (0, 1], int or "kaiser"
        Cumulative variance share to reach (default 0.85), a number of
        components, or Kaiser's eigenvalue > 1 rule.

    Returns
    -------
    PCAResult

    Raises
    ------
    ValueError
        If a composite coefficient :math:`s_j` is negative (the indicator loads
        against the retained components): such a vector is not a weight vector,
        and taking absolute values would hide it.

    Notes
    -----
    Variants in use: (a) this one, the "linear combination coefficient ×
    variance share" recipe of Chinese textbooks and of SPSSAU's help on
    weights from 主成分/因子分析 (without rotation);
    (b) squared loadings of the retained components weighted by variance
    share (Nicoletto / OECD-JRC Handbook 2008 for factor analysis); (c) the
    first component only.  Only (a) is implemented.  Scale-free.

    References
    ----------
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, sec. 6.1.
    SPSSAU help: 主成分分析法计算权重.  Jolliffe, I. T. (2002). *Principal
    Component Analysis*, 2nd ed., Springer (retention rules).

    Examples
    --------
    >>> x = [[1, 2, 3], [2, 1, 4], [3, 4, 4], [4, 3, 6], [5, 6, 5]]
    >>> pca(x, retention=1).retained
    1
    """
    arr = check_data(x, min_rows=3)
    d = check_directions(directions, arr.shape[1])
    z, constant = _normalize(arr, "zscore", d)
    live = ~constant
    if not live.any():
        raise ValueError("x: no column varies across the objects, so the weights are undefined")
    zl = z[:, live]
    r = (zl.T @ zl) / (arr.shape[0] - 1)
    vals, vecs = eigh(r)
    vals, vecs = np.clip(vals[::-1], 0.0, None), vecs[:, ::-1]
    vecs = vecs * np.where(vecs.sum(axis=0) < 0, -1.0, 1.0)
    k, rule = _retained(vals, retention)
    coef = vecs[:, :k]
    comp_live = coef @ vals[:k] / vals[:k].sum()
    if (comp_live < -1e-12).any():
        j = int(np.flatnonzero(live)[np.argmin(comp_live)])
        raise ValueError(
            f"x: the principal-component composite coefficient of column {j} is negative; "
            "PCA weights are undefined for it (check the indicator's direction)"
        )
    composite = np.zeros(arr.shape[1])
    composite[live] = np.clip(comp_live, 0.0, None)
    coefficients = np.zeros((arr.shape[1], k))
    coefficients[live] = coef
    return PCAResult(
        weights=_share(composite), method="pca",
        variant=f"variance-weighted linear combination coefficients, {rule}",
        eigenvalues=vals, explained=vals / vals.sum(), retained=k, coefficients=coefficients,
        composite=composite, retention=rule, constant_columns=constant,
    )
