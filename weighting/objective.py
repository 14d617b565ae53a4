"""Objective weights from a data matrix: entropy, coefficient of variation,
mean square deviation, CRITIC.

``x`` has one row per evaluated object and one column per indicator.  A
column with zero range (the same value for every object) carries no
information: it gets weight 0 and the other weights are what they would be
without it.  If no column varies, a ``ValueError`` says so.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ._validation import check_choice, check_data, check_directions
from .normalization import NORMALIZATIONS, _normalize
from .results import CriticResult, DispersionResult, EntropyResult

__all__ = ["entropy", "coefficient_of_variation", "mean_square_deviation", "critic"]

ZERO_POLICIES = ("shift", "ignore", "refuse")


def _share(figure: np.ndarray, name: str = "x") -> np.ndarray:
    total = figure.sum()
    if not total > 0:
        raise ValueError(f"{name}: no column varies across the objects, so the weights are undefined")
    return figure / total


def _prepare(x, directions, normalization, allowed=NORMALIZATIONS):
    arr = check_data(x)
    check_choice(normalization, "normalization", allowed)
    d = check_directions(directions, arr.shape[1])
    if normalization == "none":
        if (d < 0).any():
            raise ValueError(
                "directions: a cost indicator needs a normalization to reverse it; "
                "normalization='none' takes the data as already oriented"
            )
        return arr, d, arr, arr.max(axis=0) == arr.min(axis=0)
    y, constant = _normalize(arr, normalization, d)
    return arr, d, y, constant


def entropy(x, directions=None, *, normalization: str = "minmax", zeros: str = "shift",
            shift: float = 0.01) -> EntropyResult:
    r"""Entropy weight method (熵权法).

    .. math::

        p_{ij} = \frac{y_{ij}}{\sum_i y_{ij}},\quad
        e_j = -\frac{1}{\ln m}\sum_i p_{ij}\ln p_{ij},\quad
        d_j = 1 - e_j,\quad w_j = \frac{d_j}{\sum_k d_k}

    on the normalised data :math:`y` (m objects).

    Parameters
    ----------
    x : array_like, shape (m, n), m >= 2
    directions : array_like of +1/-1, optional
        Applied inside the normalisation (see :func:`weighting.normalize`).
    normalization : {"minmax", "zscore", "sum", "vector", "max", "none"}
        Min-max is the usual Chinese textbook practice; ``"sum"`` gives the
        textbook p_ij straight from the raw data (pymcdm, pyrepo-mcda);
        ``"none"`` takes ``x`` as already normalised (SPSSAU does the
        normalisation as a separate step).
    zeros : {"shift", "ignore", "refuse"}
        What to do with values <= 0 in ``y``, recorded in the result:

        - ``"shift"`` (default, SPSSAU's rule): a column holding a value <= 0 is
          shifted by :math:`|\min_i y_{ij}| + \text{shift}`; positive columns are
          left alone.
        - ``"ignore"``: :math:`0 \ln 0 = 0`; a negative value is refused.
        - ``"refuse"``: any value <= 0 is refused.
    shift : float > 0
        The constant of the ``"shift"`` policy (0.01 in SPSSAU).

    Returns
    -------
    EntropyResult
        ``weights``, ``entropy`` (e), ``divergence`` (d), the policy applied and
        the columns shifted.

    Raises
    ------
    ValueError
        Naming ``x``, ``directions``, ``normalization``, ``zeros`` or ``shift``.

    Notes
    -----
    A constant column has :math:`e_j = 1` (uniform p) and weight 0 under every
    policy.  Never NaN: pymcdm instead sets :math:`e_j = 0` for a column with a
    zero (so a min-max column gets the largest weight), and pyrepo-mcda takes
    :math:`|p|` of negative values.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System
    Technical Journal* 27, 379-423.  Zeleny, M. (1982). *Multiple Criteria
    Decision Making*, McGraw-Hill (entropy as criterion weight).  SPSSAU help,
    熵值法 (shift rule).

    Examples
    --------
    >>> x = [[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4],
    ...      [275, 32, 8, 4], [225, 16, 16, 2]]
    >>> entropy(x, normalization="sum").weights.round(5)
    array([0.06392, 0.37883, 0.28792, 0.26933])
    """
    check_choice(zeros, "zeros", ZERO_POLICIES)
    try:
        shift = float(shift)
    except (TypeError, ValueError):
        raise ValueError(f"shift must be a positive number; got {shift!r}") from None
    if not (np.isfinite(shift) and shift > 0):
        raise ValueError(f"shift must be a positive finite number; got {shift!r}")
    arr, d, y, constant = _prepare(x, directions, normalization, NORMALIZATIONS + ("none",))
    m = y.shape[0]
    low = y.min(axis=0)
    shifted = np.zeros(y.shape[1], dtype=bool)
    if zeros == "shift":
        shifted = low <= 0
        y = y + np.where(shifted, np.abs(low) + shift, 0.0)
    elif zeros == "refuse" and (low <= 0).any():
        j = int(np.argmax(low <= 0))
        raise ValueError(
            f"x: normalised column {j} holds a value <= 0 and zeros='refuse'; "
            "use zeros='shift' or 'ignore', or a normalization without zeros"
        )
    elif zeros == "ignore" and (low < 0).any():
        j = int(np.argmax(low < 0))
        raise ValueError(
            f"x: normalised column {j} holds a negative value; zeros='ignore' only allows 0 "
            "(use zeros='shift' or a non-negative normalization)"
        )
    s = y.sum(axis=0)
    p = y / np.where(s > 0, s, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    e = np.where(constant | (s <= 0), 1.0, np.clip(e, 0.0, 1.0))
    div = 1.0 - e
    return EntropyResult(
        weights=_share(div), method="entropy",
        variant=f"Shannon entropy of p = y / sum(y) on {normalization}-normalised data; "
                f"zeros={zeros}" + (f" (shift {shift:g})" if zeros == "shift" else ""),
        entropy=e, divergence=div, normalization=normalization, zeros=zeros, shift=shift,
        shifted_columns=shifted, constant_columns=constant,
    )


def coefficient_of_variation(x, *, ddof: int = 1) -> DispersionResult:
    r"""Coefficient of variation method (变异系数法).

    .. math:: v_j = \frac{s_j}{\bar x_j},\qquad w_j = \frac{v_j}{\sum_k v_k}

    on the raw data (``ddof = 1`` standard deviation).

    Parameters
    ----------
    x : array_like, shape (m, n)
        Ratio-scale data: every value >= 0 and every column mean > 0 (the CV
        of data with an arbitrary zero means nothing).
    ddof : int
        Delta degrees of freedom of :math:`s_j` (cancels in the weights).

    Returns
    -------
    DispersionResult
        ``figure`` = :math:`v_j`.

    Notes
    -----
    Scale-free: multiplying a column by a positive constant changes nothing.
    The direction of an indicator does not enter (the CV of raw data is
    direction-free), hence no ``directions`` argument.

    References
    ----------
    郭亚军 (2007). 综合评价理论、方法及应用. 科学出版社. (变异系数法.)

    Examples
    --------
    >>> x = [[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4],
    ...      [275, 32, 8, 4], [225, 16, 16, 2]]
    >>> coefficient_of_variation(x).weights.round(5)
    array([0.13183, 0.32619, 0.27792, 0.26406])
    """
    arr = check_data(x)
    if (arr < 0).any():
        raise ValueError("x must be >= 0 for the coefficient of variation (ratio-scale data)")
    mean = arr.mean(axis=0)
    if (mean <= 0).any():
        j = int(np.argmax(mean <= 0))
        raise ValueError(f"x[:, {j}] has mean 0; the coefficient of variation is undefined")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1; got {ddof!r}")
    v = arr.std(axis=0, ddof=ddof) / mean
    constant = arr.max(axis=0) == arr.min(axis=0)
    v = np.where(constant, 0.0, v)
    return DispersionResult(
        weights=_share(v), method="coefficient_of_variation",
        variant=f"sd (ddof={ddof}) / mean of the raw data", figure=v,
        figure_name="coefficient of variation", constant_columns=constant,
    )


def mean_square_deviation(x, directions=None, *, normalization: str = "minmax") -> DispersionResult:
    r"""Mean square deviation method (均方差法).

    .. math:: \sigma_j = \sqrt{\frac{1}{m-1}\sum_i (y_{ij} - \bar y_j)^2},\qquad
              w_j = \frac{\sigma_j}{\sum_k \sigma_k}

    on min-max-normalised data :math:`y` (on raw data the weights would follow the
    units; on z-scores every :math:`\sigma_j` is 1).

    Parameters
    ----------
    x : array_like, shape (m, n)
    directions : array_like of +1/-1, optional
        Does not change the result under min-max (a cost column is 1 minus the
        benefit column); kept for the same call shape as the other methods.
    normalization : {"minmax", "max", "vector", "sum"}
        ``"minmax"`` is the textbook choice.

    Returns
    -------
    DispersionResult
        ``figure`` = :math:`\sigma_j`.

    References
    ----------
    王明涛 (1999). 多指标综合评价中权系数确定的一种综合分析方法. 系统工程 17(2), 56-61.

    Examples
    --------
    >>> mean_square_deviation([[1, 0], [2, 0], [3, 5]]).weights.round(4)
    array([0.4641, 0.5359])
    """
    arr, d, y, constant = _prepare(x, directions, normalization, ("minmax", "max", "vector", "sum"))
    sd = np.where(constant, 0.0, y.std(axis=0, ddof=1))
    return DispersionResult(
        weights=_share(sd), method="mean_square_deviation",
        variant=f"sd (ddof=1) of {normalization}-normalised data", figure=sd,
        figure_name="standard deviation of the normalised column", constant_columns=constant,
    )


def _correlation(y: np.ndarray, method: str) -> np.ndarray:
    if method == "spearman":
        y = rankdata(y, axis=0)
    c = y - y.mean(axis=0)
    norm = np.sqrt((c * c).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (c.T @ c) / np.outer(norm, norm)
    return np.clip(r, -1.0, 1.0)


def critic(x, directions=None, correlation: str = "pearson", *,
           normalization: str = "minmax") -> CriticResult:
    r"""CRITIC: Criteria Importance Through Intercriteria Correlation.

    .. math:: C_j = \sigma_j \sum_{k} (1 - r_{jk}),\qquad w_j = \frac{C_j}{\sum_k C_k}

    with :math:`\sigma_j` the standard deviation (contrast intensity) of the
    normalised column and :math:`r_{jk}` the correlation between columns.

    Parameters
    ----------
    x : array_like, shape (m, n)
    directions : array_like of +1/-1, optional
        Applied inside the normalisation.
    correlation : {"pearson", "spearman"}
        Pearson as in Diakoulaki et al. (1995); Spearman (rank) is a named
        alternative.
    normalization : {"minmax", "none"}
        Min-max as in the paper; ``"none"`` for data already normalised
        (SPSSAU's separate step).

    Returns
    -------
    CriticResult
        ``sd``, ``conflict``, ``information`` (:math:`C_j`), the correlation matrix.

    Notes
    -----
    The ddof of :math:`\sigma_j` cancels in the weights.  Constant columns get
    weight 0 and are left out of the other columns' conflict sums (their
    correlation is undefined), so adding one changes nothing else.

    References
    ----------
    Diakoulaki, D., Mavrotas, G., Papayannakis, L. (1995). Determining objective
    weights in multiple criteria problems: the CRITIC method. *Computers &
    Operations Research* 22(7), 763-770. https://doi.org/10.1016/0305-0548(94)00059-H

    Examples
    --------
    >>> x = [[250, 16, 12, 5], [200, 16, 8, 3], [300, 32, 16, 4],
    ...      [275, 32, 8, 4], [225, 16, 16, 2]]
    >>> critic(x).weights.round(5)
    array([0.13018, 0.25903, 0.37848, 0.23232])
    """
    check_choice(correlation, "correlation", ("pearson", "spearman"))
    arr, d, y, constant = _prepare(x, directions, normalization, ("minmax", "none"))
    sd = np.where(constant, 0.0, y.std(axis=0, ddof=1))
    r = _correlation(y, correlation)
    live = ~constant
    conflict = np.where(live[None, :], 1.0 - np.nan_to_num(r, nan=1.0), 0.0).sum(axis=1)
    conflict = np.where(constant, 0.0, conflict)
    r[constant, :] = np.nan
    r[:, constant] = np.nan
    info = sd * conflict
    if live.any() and not info.sum() > 0:
        raise ValueError(
            "x: every pair of varying columns is perfectly correlated (r = 1), so CRITIC's "
            "conflict term is 0 and the weights are undefined"
        )
    return CriticResult(
        weights=_share(info), method="critic",
        variant=f"Diakoulaki et al. 1995: sd x sum(1 - r), {correlation} r, {normalization} data",
        sd=sd, conflict=conflict, information=info, correlation=r,
        correlation_method=correlation, constant_columns=constant,
    )
