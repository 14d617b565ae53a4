"""Group consensus: Goepel's S* of the experts' priority vectors and its word bands."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ._validation import check_method, check_priority_vectors
from .results import ConsensusResult

__all__ = ["consensus", "consensus_wording", "WORDING_SCALES"]

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
