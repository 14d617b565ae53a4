"""Consistency of pairwise comparison matrices: CI, CR, GCI and revision hints."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ._validation import check_method, check_pairwise_matrix
from .pairwise import round_to_scale
from .priorities import harker_matrix, perron, row_geometric_mean
from .results import ConsistencyResult, RevisionHint

__all__ = [
    "RI_TABLES",
    "RI_SOURCES",
    "SAATY_CR_LIMITS",
    "GCI_THRESHOLDS",
    "random_index",
    "consistency",
    "revision_hints",
]

_SAATY_1980 = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
_SAATY_2005_EXT = {11: 1.52, 12: 1.54, 13: 1.56, 14: 1.58, 15: 1.59}

#: Random-index tables by name, ``{n: RI}``.  ``"alonso_lamata"`` is a formula
#: (any n >= 3) and is not listed here; see :func:`random_index`.
RI_TABLES = MappingProxyType(
    {
        # Default: Saaty (1980) for n <= 10, Saaty (2005) above (monotone, from Saaty himself).
        "saaty": MappingProxyType({**_SAATY_1980, **_SAATY_2005_EXT}),
        # Saaty (1980) with the n = 11..15 values carried by pyDecision (note the 1.48 dip).
        "saaty1980": MappingProxyType(
            {**_SAATY_1980, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
        ),
        "saaty2005": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.52, 4: 0.89, 5: 1.11, 6: 1.25, 7: 1.35, 8: 1.40, 9: 1.45,
             10: 1.49, 11: 1.52, 12: 1.54, 13: 1.56, 14: 1.58, 15: 1.59}
        ),
        "donegan_dodd1991": MappingProxyType(
            {1: 0.0, 2: 0.0, 3: 0.4914, 4: 0.8286, 5: 1.0591, 6: 1.1797, 7: 1.2519,
             8: 1.3171, 9: 1.3733, 10: 1.4055}
        ),
        # AHP-OS AhpCalc.php setSaatyCr: Saaty's table with 0.57 for n = 3.
        "ahp_os": MappingProxyType({**_SAATY_1980, 3: 0.57}),
    }
)

#: Where each random-index table comes from.
RI_SOURCES = MappingProxyType(
    {
        "saaty": "Saaty (1980), The Analytic Hierarchy Process, n = 1..10; n = 11..15 from "
        "Saaty (2005), Theory and Applications of the ANP, p. 31.",
        "saaty1980": "Saaty (1980), n = 1..10; n = 11..15 = 1.51, 1.48, 1.56, 1.57, 1.59 as "
        "carried by Valdecy/pyDecision ahp.py.",
        "saaty2005": "Saaty (2005), Theory and Applications of the Analytic Network Process, "
        "RWS Publications, p. 31 (AHPy random_index='saaty').",
        "donegan_dodd1991": "Donegan & Dodd (1991), Math. Comput. Modelling 15(10):135-137, "
        "doi:10.1016/0895-7177(91)90098-R (AHPy default 'dd').",
        "ahp_os": "AHP-OS classes/AhpCalc.php setSaatyCr (Saaty's values, 0.57 for n = 3).",
        "alonso_lamata": "Alonso & Lamata (2006), IJUFKS 14(4):445-459, "
        "doi:10.1142/S0218488506004114, linear fit RI(n) = (1.7699 n - 4.3513)/(n - 1), "
        "i.e. CR = (lambda_max - n)/(1.7699 n - 4.3513), as AHP-OS reports.",
    }
)

#: Saaty's size-dependent CR limits (``threshold="saaty"``): 0.05 for n = 3,
#: 0.08 for n = 4, 0.10 for n >= 5 (Saaty 1994, *Fundamentals of Decision
#: Making and Priority Theory*, RWS Publications).
SAATY_CR_LIMITS = MappingProxyType({3: 0.05, 4: 0.08})

#: GCI thresholds of Aguarón & Moreno-Jiménez (2003), comparable to CR = 0.10:
#: 0.31 for n = 3, 0.35 for n = 4, 0.37 for n > 4 (n <= 2 uses the n = 3 value).
GCI_THRESHOLDS = MappingProxyType({3: 0.31, 4: 0.35})
_GCI_THRESHOLD_LARGE = 0.37

_RI_NAMES = tuple(RI_TABLES) + ("alonso_lamata",)


def random_index(n: int, table: str = "saaty") -> float:
    r"""Random consistency index RI(n) from a named table.

    Parameters
    ----------
    n : int
        Matrix size (>= 1).
    table : str, optional
        One of ``ahp.RI_TABLES`` (``"saaty"``, ``"saaty1980"``, ``"saaty2005"``,
        ``"donegan_dodd1991"``, ``"ahp_os"``) or ``"alonso_lamata"``, the linear
        fit :math:`RI(n) = (1.7699 n - 4.3513)/(n - 1)`.  Sources are in
        ``ahp.RI_SOURCES``.

    Returns
    -------
    float
        RI(n); 0 for n <= 2.

    Raises
    ------
    ValueError
        For an unknown table or an ``n`` beyond the table (``"saaty"`` covers
        n <= 15; use ``"alonso_lamata"`` for larger matrices).

    Examples
    --------
    >>> import ahp
    >>> ahp.random_index(5)
    1.12
    >>> round(ahp.random_index(5, "alonso_lamata"), 5)
    1.12455
    """
    check_method(table, _RI_NAMES, name="ri")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    n = int(n)
    if n <= 2:
        return 0.0
    if table == "alonso_lamata":
        return (1.7699 * n - 4.3513) / (n - 1)
    values = RI_TABLES[table]
    if n not in values:
        raise ValueError(
            f"the random-index table ri={table!r} stops at n = {max(values)}; got n = {n} "
            "(use ri='alonso_lamata', a formula valid for any n)"
        )
    return values[n]


def _cr_threshold(threshold, n: int) -> float:
    if isinstance(threshold, str):
        if threshold != "saaty":
            raise ValueError(
                f"threshold must be a number in (0, 1] or 'saaty' (0.05/0.08/0.10 by size); "
                f"got {threshold!r}"
            )
        return SAATY_CR_LIMITS.get(n, 0.10)
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number or 'saaty'; got {threshold!r}") from None
    if not (0.0 < value <= 1.0):
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}")
    return value


def _gci_threshold(gci_threshold, n: int) -> float:
    if gci_threshold is None:
        return GCI_THRESHOLDS.get(max(n, 3), _GCI_THRESHOLD_LARGE)
    try:
        value = float(gci_threshold)
    except (TypeError, ValueError):
        raise ValueError(f"gci_threshold must be a positive number or None; got {gci_threshold!r}") from None
    if not value > 0:
        raise ValueError(f"gci_threshold must be positive; got {gci_threshold!r}")
    return value


def _consistency_arrays(arr: np.ndarray, ri_value: float, *, need_gci: bool = True):
    """lambda_max, CI, CR, GCI and eigenvectors of a validated stack (internal)."""
    n = arr.shape[-1]
    w, lam = perron(arr)
    if n <= 2:
        lam = np.full(arr.shape[:-2], float(n))
        zeros = np.zeros(arr.shape[:-2])
        return w, lam, zeros, zeros, zeros
    ci = np.maximum((lam - n) / (n - 1), 0.0)  # lambda_max >= n (Perron); clip rounding
    cr = ci / ri_value
    if not need_gci:
        return w, lam, ci, cr, None
    log_a = np.log(arr)
    lg = np.log(row_geometric_mean(arr, log_a))
    e = log_a - lg[..., :, None] + lg[..., None, :]
    gci = (e * e).sum(axis=(-2, -1)) / ((n - 1) * (n - 2))
    return w, lam, ci, cr, gci


def consistency(a, *, threshold=0.10, ri: str = "saaty", gci_threshold=None) -> ConsistencyResult:
    r"""Consistency of a pairwise comparison matrix: CI, CR and GCI.

    With :math:`\lambda_{max}` the principal eigenvalue of the ``n x n``
    matrix :math:`A` and :math:`w` the row-geometric-mean priorities,

    .. math::

        CI = \frac{\lambda_{max} - n}{n - 1}, \qquad
        CR = \frac{CI}{RI(n)}, \qquad
        GCI = \frac{2}{(n-1)(n-2)} \sum_{i<j}
              \ln^2\!\left(a_{ij} \frac{w_j}{w_i}\right).

    A matrix is *acceptable* when :math:`CR \le` ``threshold``.  Matrices of
    size ``n <= 2`` are always consistent (CI = CR = GCI = 0).

    Parameters
    ----------
    a : array_like, shape (n, n) or (..., n, n)
        Positive reciprocal matrix or stack (values need not be on the Saaty scale).
    threshold : float or "saaty", optional
        CR limit, 0.10 by default.  ``"saaty"`` applies Saaty's size-dependent
        limits 0.05 (n = 3), 0.08 (n = 4), 0.10 (n >= 5).
    ri : str, optional
        Random-index table, see :func:`random_index`.  The default ``"saaty"``
        is 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49 for n = 1..10
        (Saaty 1980) and 1.52, 1.54, 1.56, 1.58, 1.59 for n = 11..15 (Saaty
        2005); ``"alonso_lamata"`` gives the CR that AHP-OS reports.
    gci_threshold : float, optional
        GCI limit; by default 0.31 (n = 3), 0.35 (n = 4), 0.37 (n > 4) from
        Aguarón & Moreno-Jiménez (2003), comparable to CR = 0.10.

    Returns
    -------
    ConsistencyResult
        ``n, lambda_max, ci, ri, cr, gci, acceptable, threshold, gci_threshold,
        gci_acceptable, priorities, ri_table``; scalar fields are floats for one
        matrix and arrays of shape ``(...)`` for a stack.

    Notes
    -----
    For n = 3 both indices have closed forms in
    :math:`\delta = \ln(a_{12} a_{23} / a_{13})`:
    :math:`GCI = \delta^2 / 3` and :math:`CI = \cosh(\delta/3) - 1`.

    References
    ----------
    Saaty, T.L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.

    Aguarón, J., Moreno-Jiménez, J.M. (2003). The geometric consistency index:
    approximated thresholds. *Eur. J. Oper. Res.* 147(1), 137-145.
    https://doi.org/10.1016/S0377-2217(02)00255-2

    Alonso, J.A., Lamata, M.T. (2006). Consistency in the analytic hierarchy
    process: a new approach. *Int. J. Uncertainty, Fuzziness and
    Knowledge-Based Systems* 14(4), 445-459.
    https://doi.org/10.1142/S0218488506004114

    Examples
    --------
    >>> import ahp
    >>> a = ahp.from_upper([3, 5, 2], 3)
    >>> r = ahp.consistency(a)
    >>> round(r.lambda_max, 4), round(r.cr, 4), round(r.gci, 4), r.acceptable
    (3.0037, 0.0032, 0.0111, True)
    >>> ahp.consistency(ahp.from_upper([9, 1/9, 9], 3)).acceptable
    False
    """
    check_method(ri, _RI_NAMES, name="ri")
    arr = check_pairwise_matrix(a, "a")
    return consistency_of_valid(arr, threshold=threshold, ri=ri, gci_threshold=gci_threshold)


def consistency_of_valid(arr: np.ndarray, *, threshold=0.10, ri: str = "saaty", gci_threshold=None) -> ConsistencyResult:
    """:func:`consistency` of an already validated float array (internal, no checks on ``arr``)."""
    n = arr.shape[-1]
    ri_value = random_index(n, ri)
    limit = _cr_threshold(threshold, n)
    glimit = _gci_threshold(gci_threshold, n)
    w, lam, ci, cr, gci = _consistency_arrays(arr, ri_value)
    acceptable = cr <= limit
    gci_ok = gci <= glimit
    if arr.ndim == 2:
        lam, ci, cr, gci = lam.item(), ci.item(), cr.item(), gci.item()
        acceptable, gci_ok = bool(acceptable), bool(gci_ok)
    return ConsistencyResult(
        n=n,
        lambda_max=lam,
        ci=ci,
        ri=ri_value,
        cr=cr,
        gci=gci,
        acceptable=acceptable,
        threshold=limit,
        gci_threshold=glimit,
        gci_acceptable=gci_ok,
        priorities=w,
        ri_table=ri,
    )


_RANKINGS = ("cr_after", "epsilon", "derivative")


def revision_hints(a, k: int = 3, *, ri: str = "saaty", rank_by: str = "cr_after") -> tuple[RevisionHint, ...]:
    r"""The judgments whose revision would most improve consistency.

    For every judgment :math:`a_{ij}` (``i < j``) the value the other
    judgments imply is :math:`w_i / w_j`, with :math:`w` the priorities of the
    matrix *without* that judgment (Harker's completion, see
    :func:`ahp.complete`), rounded to the Saaty scale with
    :func:`ahp.round_to_scale`.  Saaty and AHP-OS take :math:`w` from the
    full matrix instead, where the faulty judgment pulls :math:`w` towards
    itself; leaving it out recovers the consistent value exactly when a
    single judgment is wrong.
    The candidate change :math:`a_{ij} \to` ``suggested`` (and
    :math:`a_{ji} \to 1/` ``suggested``) is scored by the consistency ratio
    of the changed matrix, ``cr_after``; all :math:`n(n-1)/2` what-if matrices
    are evaluated in one batched call.

    Two classical heuristics are reported alongside and can select the
    candidates instead (``rank_by``):

    * Saaty's deviation (Saaty 2003; AHP-OS shows its top 3)

      .. math:: \varepsilon_{ij} = a_{ij} \frac{w_j}{w_i}, \qquad
                \text{rank by } \max(\varepsilon_{ij}, 1/\varepsilon_{ij});

    * Harker's (1987) derivative of the Perron root, with the reciprocal
      moving along and :math:`v` the left eigenvector scaled to
      :math:`v^\top w = 1`,

      .. math:: \left|\frac{\partial \lambda_{max}}{\partial a_{ij}}\right| =
                \left| v_i w_j - v_j \frac{w_i}{a_{ij}^2} \right| .

    Both are first-order guesses of what ``cr_after`` measures exactly, so
    the default ``rank_by="cr_after"`` uses the exact what-if CR.

    Parameters
    ----------
    a : array_like, shape (n, n)
        One positive reciprocal matrix.
    k : int, optional
        Number of hints (fewer are returned when fewer judgments can change).
    ri : str, optional
        Random-index table for ``cr_after`` (see :func:`random_index`).
    rank_by : {"cr_after", "epsilon", "derivative"}, optional
        How the ``k`` candidates are chosen; the result is always sorted by
        ``cr_after`` (ties by position).

    Returns
    -------
    tuple of RevisionHint
        ``(i, j, current, suggested, cr_after, epsilon, derivative)`` each,
        0-based indices, sorted by ``cr_after``.  Judgments whose suggested
        value equals the current one are left out, so a consistent matrix (or
        n <= 2) gives ``()``.

    References
    ----------
    Saaty, T.L. (2003). Decision-making with the AHP: Why is the principal
    eigenvector necessary. *Eur. J. Oper. Res.* 145(1), 85-91.
    https://doi.org/10.1016/S0377-2217(02)00227-8

    Harker, P.T. (1987). Derivatives of the Perron root of a positive
    reciprocal matrix: with application to the analytic hierarchy process.
    *Appl. Math. Comput.* 22(2-3), 217-232.
    https://doi.org/10.1016/0096-3003(87)90043-9

    Examples
    --------
    A consistent 4 x 4 matrix (weights 8 : 4 : 2 : 1) with one judgment
    reversed, :math:`a_{14} = 1/8` instead of 8:

    >>> import ahp
    >>> a = ahp.from_upper([2, 4, 1/8, 2, 4, 2], 4)
    >>> h = ahp.revision_hints(a, k=2)
    >>> (h[0].i, h[0].j, h[0].current, h[0].suggested, h[0].cr_after)
    (0, 3, 0.125, 8.0, 0.0)
    """
    check_method(rank_by, _RANKINGS, name="rank_by")
    check_method(ri, _RI_NAMES, name="ri")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    arr = check_pairwise_matrix(a, "a")
    if arr.ndim != 2:
        raise ValueError(f"a must be a single (n, n) matrix; got shape {arr.shape}")
    n = arr.shape[0]
    if n <= 2:
        return ()
    w, _ = perron(arr)
    iu, ju = np.triu_indices(n, 1)
    current = arr[iu, ju]
    # What the *other* judgments imply: Harker's completion with a_ij (and a_ji) left out,
    # all n(n-1)/2 leave-one-out matrices in one batch.
    pos = np.arange(iu.size)
    left_out = np.broadcast_to(arr, (iu.size, n, n)).copy()
    left_out[pos, iu, ju] = left_out[pos, ju, iu] = np.nan
    w_other, _ = perron(harker_matrix(left_out))
    suggested = round_to_scale(w_other[pos, iu] / w_other[pos, ju])
    changes = np.flatnonzero(np.abs(suggested - current) > 1e-9 * current)
    if changes.size == 0:
        return ()
    iu, ju, current, suggested = iu[changes], ju[changes], current[changes], suggested[changes]
    eps = current * w[ju] / w[iu]
    eps = np.maximum(eps, 1.0 / eps)
    v, _ = perron(np.ascontiguousarray(arr.T))
    v = v / (v @ w)
    deriv = np.abs(v[iu] * w[ju] - v[ju] * w[iu] / current**2)
    trial = np.broadcast_to(arr, (changes.size, n, n)).copy()
    pos = pos[: changes.size]
    trial[pos, iu, ju] = suggested
    trial[pos, ju, iu] = 1.0 / suggested
    _, _, _, cr_after, _ = _consistency_arrays(trial, random_index(n, ri), need_gci=False)
    if rank_by == "cr_after":
        chosen = np.argsort(cr_after, kind="stable")[:k]
    else:
        score = eps if rank_by == "epsilon" else deriv
        chosen = np.argsort(-score, kind="stable")[:k]
        chosen = chosen[np.argsort(cr_after[chosen], kind="stable")]
    return tuple(
        RevisionHint(
            i=int(iu[c]),
            j=int(ju[c]),
            current=float(current[c]),
            suggested=float(suggested[c]),
            cr_after=float(cr_after[c]),
            epsilon=float(eps[c]),
            derivative=float(deriv[c]),
        )
        for c in chosen
    )
