"""Fuzzy comprehensive evaluation (模糊综合评价): B = A ∘ R, one level or up a hierarchy."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .results import FCEHierarchyResult, FCEResult
from .weightset import WeightTree

__all__ = ["fce", "fce_hierarchy", "membership", "OPERATORS", "operator_name"]

#: The four operators, the recommended weighted average first.
OPERATORS = ("M(·,+)", "M(∧,∨)", "M(·,∨)", "M(∧,⊕)")
_ALIASES = {
    "M(·,+)": "M(·,+)", "M(.,+)": "M(·,+)", "M(*,+)": "M(·,+)", "weighted_average": "M(·,+)",
    "M(∧,∨)": "M(∧,∨)", "M(^,v)": "M(∧,∨)", "M(min,max)": "M(∧,∨)", "main_factor_determined": "M(∧,∨)",
    "M(·,∨)": "M(·,∨)", "M(.,v)": "M(·,∨)", "M(*,max)": "M(·,∨)", "main_factor_prominent": "M(·,∨)",
    "M(∧,⊕)": "M(∧,⊕)", "M(^,+)": "M(∧,⊕)", "M(min,bounded_sum)": "M(∧,⊕)", "bounded_sum": "M(∧,⊕)",
}
_TOL = 1e-6


def operator_name(operator: str) -> str:
    """Canonical name of an operator or of one of its ASCII aliases (``"M(.,+)"``, ``"M(^,v)"`` …)."""
    key = operator.replace(" ", "") if isinstance(operator, str) else operator
    if key not in _ALIASES:
        raise ValueError(f"operator must be one of {OPERATORS} (or an alias such as 'M(.,+)', "
                         f"'M(^,v)', 'M(.,v)', 'M(^,+)'); got {operator!r}")
    return _ALIASES[key]


def _compose(a: np.ndarray, r: np.ndarray, op: str) -> np.ndarray:
    """``a`` (..., p, n) ∘ ``r`` (..., n, g) -> (..., p, g), un-normalised."""
    if op == "M(·,+)":
        return a @ r
    pair = a[..., :, :, None], r[..., None, :, :]
    if op == "M(∧,∨)":
        return np.minimum(*pair).max(axis=-2)
    if op == "M(·,∨)":
        return (pair[0] * pair[1]).max(axis=-2)
    return np.minimum(np.minimum(*pair).sum(axis=-2), 1.0)


def _normalise(b: np.ndarray) -> np.ndarray:
    total = b.sum(axis=-1, keepdims=True)
    return np.divide(b, total, out=np.zeros_like(b), where=total > 0)


def _rows(membership, name: str, n: int | None = None) -> np.ndarray:
    try:
        r = np.asarray(membership, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers (indicators × grades)") from None
    if r.ndim < 2 or r.shape[-1] < 2 or (n is not None and r.shape[-2] != n):
        want = f"({n}, g)" if n is not None else "(n, g)"
        raise ValueError(f"{name} must have shape {want} or (..., {want[1:]} with g >= 2 grades; got {r.shape}")
    if not np.isfinite(r).all() or (r < 0).any():
        raise ValueError(f"{name} must hold non-negative finite counts or proportions")
    sums = r.sum(axis=-1, keepdims=True)
    if (sums <= 0).any():
        idx = tuple(int(i) for i in np.argwhere(sums[..., 0] <= 0)[0])
        raise ValueError(f"{name}: row {idx} has no membership (all zero); every indicator needs a grade count")
    return r / sums


def _grade_values(grade_values, g):
    if grade_values is None:
        return None
    c = np.asarray(grade_values, dtype=float)
    if c.shape != (g,) or not np.isfinite(c).all():
        raise ValueError(f"grade_values must be {g} finite numbers (one per grade); got {grade_values!r}")
    return c


def _verdict(b: np.ndarray):
    grade = b.argmax(axis=-1)
    top = b.max(axis=-1, keepdims=True)
    tie = (np.isclose(b, top, rtol=0, atol=1e-12).sum(axis=-1) > 1)
    return grade, tie


def _scalar(x):
    """Python scalar for a 0-d result, the array otherwise."""
    if isinstance(x, np.generic) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return x.item()
    return x


def fce(weights, membership, operator: str = "M(·,+)", *, grade_values=None, grades=None) -> FCEResult:
    r"""Fuzzy comprehensive evaluation :math:`B = A \circ R` with a named operator.

    With weights :math:`A = (a_1..a_n)` (summing to 1) and the membership
    matrix :math:`R` (indicators × grades, each row normalised to sum to 1):

    .. math::

        M(\cdot,+):\; b_j = \sum_i a_i r_{ij} \qquad
        M(\wedge,\vee):\; b_j = \max_i \min(a_i, r_{ij})

        M(\cdot,\vee):\; b_j = \max_i a_i r_{ij} \qquad
        M(\wedge,\oplus):\; b_j = \min\!\big(1, \sum_i \min(a_i, r_{ij})\big)

    :math:`B` is then normalised to sum to 1.  The verdict is the grade of
    maximum membership and, with grade values :math:`C`, the score
    :math:`B \cdot C`.  Because the verdict may depend on the operator, every
    operator is computed and ``operators_agree`` says whether they give the
    same grade.

    Parameters
    ----------
    weights : array_like, shape (n,)
        Non-negative weights summing to 1.
    membership : array_like, shape (n, g) or (..., n, g)
        Raters' grade counts or proportions per indicator (each row is
        normalised); a stack evaluates several objects at once.
    operator : str
        One of :data:`OPERATORS` (ASCII aliases accepted: ``"M(.,+)"``,
        ``"M(^,v)"``, ``"M(.,v)"``, ``"M(^,+)"``).  M(·,+) is recommended.
    grade_values : array_like, shape (g,), optional
        Values :math:`C` of the grades (e.g. 95, 85, 75, 65, 55) for the score.
    grades : sequence of str, optional
        Labels of the grades (kept in the result).

    Returns
    -------
    FCEResult

    Raises
    ------
    ValueError
        Naming ``weights``, ``membership``, ``operator``, ``grade_values`` or ``grades``.

    References
    ----------
    Zadeh, L. A. (1965). Fuzzy sets. Information and Control 8, 338–353,
    https://doi.org/10.1016/S0019-9958(65)90241-X.
    汪培庄 (1983) 模糊集合论及其应用, 上海科学技术出版社 (the four models M(∧,∨),
    M(·,∨), M(∧,⊕), M(·,+)).  SPSSAU, 模糊综合评价 help page (the worked example
    used in the tests).

    Examples
    --------
    >>> a = [0.1, 0.1, 0.15, 0.3, 0.35]
    >>> r = [[0.2, 0.5, 0.3, 0], [0.1, 0.3, 0.5, 0.1], [0, 0.1, 0.6, 0.3],
    ...      [0, 0.4, 0.5, 0.1], [0.5, 0.3, 0.2, 0]]
    >>> res = fce(a, r)
    >>> res.b.round(3).tolist(), res.grade
    ([0.205, 0.32, 0.39, 0.085], 2)
    """
    op = operator_name(operator)
    try:
        a = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("weights must be an array of numbers") from None
    if a.ndim != 1 or a.size < 1 or not np.isfinite(a).all() or (a < 0).any():
        raise ValueError(f"weights must be a 1-D array of non-negative numbers; got {weights!r}")
    if abs(a.sum() - 1) > _TOL:
        raise ValueError(f"weights must sum to 1; they sum to {a.sum():.9g}")
    r = _rows(membership, "membership", a.size)
    g = r.shape[-1]
    c = _grade_values(grade_values, g)
    if grades is not None and len(grades) != g:
        raise ValueError(f"grades must name the {g} grades; got {len(grades)} labels")
    by_op, chosen = {}, None
    for name in OPERATORS:
        raw = _compose(a[None, :], r, name)[..., 0, :]
        b = _normalise(raw)
        grade, tie = _verdict(b)
        by_op[name] = {"grade": _scalar(grade), "score": None if c is None else _scalar(b @ c)}
        if name == op:
            chosen = (raw, b, grade, tie)
    raw, b, grade, tie = chosen
    agree = np.all([np.asarray(v["grade"]) == grade for v in by_op.values()], axis=0)
    return FCEResult(
        operator=op, b=b, b_raw=raw, grade=_scalar(grade), tie=_scalar(tie),
        score=None if c is None else _scalar(b @ c), by_operator=by_op,
        operators_agree=_scalar(agree), grades=None if grades is None else tuple(grades))


def membership(ratings, n_grades: int) -> np.ndarray:
    r"""Membership rows from raters' grades: the share of raters choosing each grade.

    .. math:: r_{ij} = \#\{\text{raters giving indicator } i \text{ grade } j\} / \#\{\text{raters rating } i\}

    Parameters
    ----------
    ratings : array_like, shape (raters, n) or (..., raters, n)
        Grade index (0 = first grade) chosen by each rater for each indicator;
        negative or NaN = no rating.
    n_grades : int
        Number of grades.

    Returns
    -------
    ndarray, shape (n, n_grades) or (..., n, n_grades)

    Examples
    --------
    >>> membership([[0, 1], [0, 2], [1, 2], [0, -1]], 3).round(3).tolist()
    [[0.75, 0.25, 0.0], [0.0, 0.333, 0.667]]
    """
    if not isinstance(n_grades, (int, np.integer)) or n_grades < 2:
        raise ValueError(f"n_grades must be an integer >= 2; got {n_grades!r}")
    x = np.asarray(ratings, dtype=float)
    if x.ndim < 2:
        raise ValueError(f"ratings must have shape (raters, indicators); got {x.shape}")
    ok = np.isfinite(x) & (x >= 0)
    if (ok & ((x != np.round(x)) | (x >= n_grades))).any():
        raise ValueError(f"ratings must be grade indices 0..{n_grades - 1} (negative or NaN for none)")
    onehot = (x[..., None] == np.arange(n_grades)) & ok[..., None]
    counts = onehot.sum(axis=-3).astype(float)
    return _rows(counts, "ratings")


def fce_hierarchy(weight_set, memberships, operator: str = "M(·,+)", *, grade_values=None,
                  grades=None, hierarchy=None, objects=None) -> FCEHierarchyResult:
    r"""Multi-level fuzzy comprehensive evaluation, composed level by level up the hierarchy.

    Each node's evaluation vector is :math:`B_p = A_p \circ R_p` where
    :math:`A_p` are the local weights of its children and the rows of
    :math:`R_p` are the children's normalised :math:`B` (the leaves' rows are
    their normalised memberships).  The root's :math:`B` gives the verdict.

    .. math::

        B_{\text{leaf}} = r_{\text{leaf}} / \textstyle\sum r_{\text{leaf}}, \qquad
        B_p = \operatorname{norm}\big(A_p \circ [B_c]_{c \in \text{children}(p)}\big)

    Parameters
    ----------
    weight_set : mapping or WeightTree
        A ``weight-set/1`` document or a tree.
    memberships : mapping or array_like
        ``{object: {leaf code: counts per grade}}``, a single ``{leaf: counts}``
        (one object) or an array ``(m, leaves, g)``.  Every leaf needs a row.
    operator : str
        See :func:`fce`; the same operator is used at every level.
    grade_values, grades : optional
        See :func:`fce`.
    hierarchy : mapping, optional
        The hierarchy the weight set must match.
    objects : sequence of str, optional
        Names of the rows of an array.

    Returns
    -------
    FCEHierarchyResult

    Raises
    ------
    ValueError
        Naming ``memberships`` (unknown or non-leaf codes, missing leaves,
        rows of different lengths), ``weight_set``, ``operator`` or ``grade_values``.

    References
    ----------
    汪培庄 (1983) 模糊集合论及其应用 (multi-level comprehensive evaluation).
    Zadeh (1965), https://doi.org/10.1016/S0019-9958(65)90241-X.

    Examples
    --------
    >>> from evaluation import WeightTree
    >>> t = WeightTree.from_parents({"G": None, "A": "G", "B": "G", "A1": "A", "A2": "A"},
    ...                             {"A": 0.5, "B": 0.5, "A1": 0.5, "A2": 0.5})
    >>> r = fce_hierarchy(t, {"A1": [2, 0], "A2": [0, 2], "B": [1, 1]})
    >>> r.b[0, 0].tolist(), r.node("1", "A").tolist()
    ([0.5, 0.5], [0.5, 0.5])
    """
    op = operator_name(operator)
    tree = WeightTree.from_dict(weight_set, hierarchy=hierarchy)
    leaves = tree.leaves
    if isinstance(memberships, Mapping):
        first = next(iter(memberships.values()), None)
        table = memberships if isinstance(first, Mapping) else {"1": memberships}
        objs = tuple(str(o) for o in table)
        if not objs:
            raise ValueError("memberships must contain at least one object")
        rows = []
        for obj, per in table.items():
            if not isinstance(per, Mapping):
                raise ValueError(f"memberships[{obj!r}] must map leaf codes to grade counts")
            extra = [c for c in per if c not in leaves]
            if extra:
                kind = "not leaves" if all(c in tree.codes for c in extra) else "unknown or not leaves"
                raise ValueError(f"memberships[{obj!r}]: codes {extra} are {kind}")
            lacking = [c for c in leaves if per.get(c) is None]
            if lacking:
                raise ValueError(f"memberships[{obj!r}]: no grades for leaves {lacking[:8]}")
            try:
                rows.append(np.array([np.asarray(per[c], dtype=float) for c in leaves]))
            except ValueError:
                raise ValueError(f"memberships[{obj!r}]: every leaf needs the same number of grades") from None
        arr = np.array(rows)
    else:
        arr = np.asarray(memberships, dtype=float)
        if arr.ndim != 3 or arr.shape[1] != len(leaves):
            raise ValueError(f"memberships must have shape (m, {len(leaves)}, g); got {arr.shape}")
        objs = tuple(str(o) for o in objects) if objects is not None else tuple(str(i + 1) for i in range(len(arr)))
    r = _rows(arr, "memberships", len(leaves))
    m, g = r.shape[0], r.shape[-1]
    c = _grade_values(grade_values, g)
    if grades is not None and len(grades) != g:
        raise ValueError(f"grades must name the {g} grades; got {len(grades)} labels")
    child = tree.child_matrix()
    depth_max = int(tree.depth.max())
    by_op, chosen = {}, None
    for name in OPERATORS:
        b = np.zeros((m, len(tree.codes), g))
        b[:, tree.leaf_index] = r
        for d in range(depth_max - 1, -1, -1):
            idx = np.flatnonzero((tree.depth == d) & (child.sum(axis=1) > 0))
            cols = np.flatnonzero(tree.depth == d + 1)
            if idx.size:
                b[:, idx] = _normalise(_compose(child[np.ix_(idx, cols)], b[:, cols], name))
        grade, _ = _verdict(b[:, 0])
        by_op[name] = {"grade": grade, "score": None if c is None else b[:, 0] @ c}
        if name == op:
            chosen = b
    agree = np.all([v["grade"] == by_op[op]["grade"] for v in by_op.values()], axis=0)
    return FCEHierarchyResult(
        operator=op, objects=objs, codes=tree.codes, b=chosen, grade=by_op[op]["grade"],
        score=by_op[op]["score"], by_operator=by_op, operators_agree=agree,
        grades=None if grades is None else tuple(grades))
