"""Expert coefficients of Chinese Delphi practice: authority Cr and positive coefficient.

专家权威系数 Cr = (Ca + Cs) / 2 and 专家积极系数 (response rate per round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._validation import THRESHOLD_TOL, check_probability, is_number
from .results import AuthorityResult

__all__ = [
    "DEFAULT_BASIS_TABLE",
    "DEFAULT_FAMILIARITY_SCALE",
    "BASIS_TABLE_SOURCE",
    "FAMILIARITY_SCALE_SOURCE",
    "authority",
    "check_basis_table",
    "check_familiarity_scale",
    "response_rate",
]

#: Judgment-basis weights (判断依据 Ca): source -> influence level -> weight.
#: Row sums 1.0 / 0.8 / 0.6 for all-high / all-medium / all-low.
#: A plain dict so a study can store it (JSON) and replace it; copy it
#: (``copy.deepcopy``) before editing.
DEFAULT_BASIS_TABLE: dict = {
    "practice": {"high": 0.5, "medium": 0.4, "low": 0.3},     # 实践经验
    "theory": {"high": 0.3, "medium": 0.2, "low": 0.1},       # 理论分析
    "literature": {"high": 0.1, "medium": 0.1, "low": 0.1},   # 国内外文献 / 同行了解
    "intuition": {"high": 0.1, "medium": 0.1, "low": 0.1},    # 直觉
}

BASIS_TABLE_SOURCE = (
    "Judgment-basis table of Chinese Delphi practice as in PMC9440023 Table 2 and the "
    "worked example of a BMJ Open Delphi study (Table 4, 'Expert authority coefficients'): "
    "practice 0.5/0.4/0.3, theory 0.3/0.2/0.1, literature 0.1, intuition 0.1 "
    "(high/medium/low). Variants (literature split 0.05 domestic + 0.05 foreign; "
    "0.1/0.1/0.05) exist and can be supplied as basis_table."
)

#: Familiarity weights (熟悉程度 Cs): 很熟悉 / 熟悉 / 一般 / 不太熟悉 / 不熟悉.
DEFAULT_FAMILIARITY_SCALE: dict = {
    "very": 1.0,
    "familiar": 0.8,
    "moderate": 0.6,
    "little": 0.4,
    "unfamiliar": 0.2,
}

FAMILIARITY_SCALE_SOURCE = (
    "Very familiar 1.0, familiar 0.8, moderately familiar 0.6 as in the BMJ Open worked "
    "example (Table 4); less familiar 0.4 and unfamiliar 0.2 are the usual lower steps of "
    "Chinese Delphi papers. A variant 1.0/0.8/0.5/0.2/0.0 circulates and can be supplied as "
    "familiarity_scale."
)

# Alternative spellings accepted when a label is not itself a key of the table.
_LEVEL_ALIASES = {"大": "high", "中": "medium", "小": "low"}
_SOURCE_ALIASES = {
    "实践经验": "practice",
    "理论分析": "theory",
    "国内外文献": "literature",
    "参考国内外文献": "literature",
    "对国内外同行的了解": "literature",
    "直觉": "intuition",
}
_FAMILIARITY_ALIASES = {
    "very familiar": "very",
    "moderately familiar": "moderate",
    "less familiar": "little",
    "not familiar": "unfamiliar",
    "很熟悉": "very",
    "熟悉": "familiar",
    "一般": "moderate",
    "不太熟悉": "little",
    "不熟悉": "unfamiliar",
}


def _weight(value, name: str) -> float:
    if not is_number(value) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number between 0 and 1; got {value!r}")
    return float(value)


def check_basis_table(basis_table) -> dict:
    """Validate a judgment-basis table and return it as a plain dict of floats.

    A table maps each judgment source (e.g. ``"practice"``) to a mapping of
    influence level (e.g. ``"high"``) to a weight in [0, 1]. Every source must
    use the same levels, and the highest weights must sum to at most 1 so that
    Ca stays in [0, 1].

    Raises
    ------
    ValueError
        Naming the offending source or level.

    Examples
    --------
    >>> import delphi
    >>> t = delphi.check_basis_table(delphi.DEFAULT_BASIS_TABLE)
    >>> sorted(t)
    ['intuition', 'literature', 'practice', 'theory']
    """
    if not isinstance(basis_table, Mapping) or not basis_table:
        raise ValueError(
            "basis_table must be a non-empty mapping {source: {level: weight}}, e.g. "
            "{'practice': {'high': 0.5, 'medium': 0.4, 'low': 0.3}, ...}"
        )
    out: dict = {}
    levels = None
    for source, row in basis_table.items():
        if not isinstance(source, str):
            raise ValueError(f"basis_table sources must be strings; got {source!r}")
        if not isinstance(row, Mapping) or not row:
            raise ValueError(
                f"basis_table[{source!r}] must be a non-empty mapping {{level: weight}}; got {row!r}"
            )
        if levels is None:
            levels = set(row)
        elif set(row) != levels:
            raise ValueError(
                f"every source of basis_table must use the same levels {sorted(levels)}; "
                f"basis_table[{source!r}] has {sorted(row, key=str)}"
            )
        out[source] = {
            level: _weight(w, f"basis_table[{source!r}][{level!r}]") for level, w in row.items()
        }
    top = sum(max(row.values()) for row in out.values())
    if top > 1.0 + 1e-9:
        raise ValueError(
            f"basis_table's highest weights sum to {top:g}; they must sum to at most 1 so that "
            f"Ca lies in [0, 1]"
        )
    return out


def check_familiarity_scale(familiarity_scale) -> dict:
    """Validate a familiarity scale ``{label: weight in [0, 1]}``; return it as floats.

    Examples
    --------
    >>> import delphi
    >>> delphi.check_familiarity_scale({"high": 1, "low": 0.5})
    {'high': 1.0, 'low': 0.5}
    """
    if not isinstance(familiarity_scale, Mapping) or not familiarity_scale:
        raise ValueError(
            "familiarity_scale must be a non-empty mapping {label: weight}, e.g. "
            "{'very': 1.0, 'familiar': 0.8, 'moderate': 0.6, 'little': 0.4, 'unfamiliar': 0.2}"
        )
    out = {}
    for label, w in familiarity_scale.items():
        if not isinstance(label, str):
            raise ValueError(f"familiarity_scale labels must be strings; got {label!r}")
        out[label] = _weight(w, f"familiarity_scale[{label!r}]")
    return out


def _lookup(table: dict, key, aliases: dict):
    if isinstance(key, str):
        if key in table:
            return table[key]
        k = key.strip().lower()
        if k in table:
            return table[k]
        alias = aliases.get(k, aliases.get(key.strip()))
        if alias is not None and alias in table:
            return table[alias]
    raise KeyError(key)


def _ca(entry, table: dict, i: int) -> float:
    if is_number(entry):
        return _weight(entry, f"basis[{i}]")
    if not isinstance(entry, Mapping):
        raise ValueError(
            f"basis[{i}] must be a number Ca in [0, 1] or a mapping of the judgment sources "
            f"{sorted(table)} to levels; got {entry!r}"
        )
    levels = sorted(next(iter(table.values())))
    seen: dict = {}
    for source, level in entry.items():
        try:
            canonical = source if source in table else _lookup(
                {s: s for s in table}, source, _SOURCE_ALIASES
            )
        except KeyError:
            raise ValueError(
                f"basis[{i}] has an unknown judgment source {source!r}; the table has "
                f"{sorted(table)}"
            ) from None
        if canonical in seen:
            raise ValueError(f"basis[{i}] gives the judgment source {canonical!r} twice")
        try:
            seen[canonical] = _lookup(table[canonical], level, _LEVEL_ALIASES)
        except KeyError:
            raise ValueError(
                f"basis[{i}][{source!r}] = {level!r} is not a level of the table; use one of "
                f"{levels}"
            ) from None
    missing = sorted(set(table) - set(seen))
    if missing:
        raise ValueError(f"basis[{i}] is missing the judgment source(s) {missing}")
    return float(sum(seen.values()))


def _cs(entry, scale: dict, i: int) -> float:
    if is_number(entry):
        return _weight(entry, f"familiarity[{i}]")
    try:
        return _lookup(scale, entry, _FAMILIARITY_ALIASES)
    except (KeyError, TypeError):
        raise ValueError(
            f"familiarity[{i}] must be a number Cs in [0, 1] or one of {sorted(scale)}; "
            f"got {entry!r}"
        ) from None


def _as_list(values, name: str) -> list:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (Sequence, np.ndarray)):
        raise ValueError(f"{name} must be a sequence with one entry per expert; got {values!r}")
    arr = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one entry per expert)")
    if not arr:
        raise ValueError(f"{name} must contain at least one expert")
    return arr


def authority(
    basis,
    familiarity,
    basis_table=DEFAULT_BASIS_TABLE,
    familiarity_scale=DEFAULT_FAMILIARITY_SCALE,
    *,
    threshold=0.7,
) -> AuthorityResult:
    r"""Expert authority coefficient Cr = (Ca + Cs) / 2 per expert (专家权威系数).

    .. math::

        C_a = \sum_{s \in \text{sources}} \text{table}[s][\text{level}_s], \qquad
        C_r = \frac{C_a + C_s}{2}.

    Parameters
    ----------
    basis : sequence, one entry per expert
        Either a number Ca in [0, 1], or a mapping of the four judgment sources
        ``practice`` (实践经验), ``theory`` (理论分析), ``literature`` (国内外文献)
        and ``intuition`` (直觉) to the level of their influence ``"high"``,
        ``"medium"`` or ``"low"`` (大/中/小). Every source of ``basis_table``
        must be given.
    familiarity : sequence, one entry per expert
        Either a number Cs in [0, 1] or one of ``"very"``, ``"familiar"``,
        ``"moderate"``, ``"little"``, ``"unfamiliar"`` (很熟悉 / 熟悉 / 一般 /
        不太熟悉 / 不熟悉).
    basis_table : mapping, default DEFAULT_BASIS_TABLE
        ``{source: {level: weight}}``; see :func:`check_basis_table`. A study
        stores its own table and passes it here.
    familiarity_scale : mapping, default DEFAULT_FAMILIARITY_SCALE
        ``{label: weight}``; see :func:`check_familiarity_scale`.
    threshold : float, default 0.7
        Cr at or above which authority is acceptable (keyword only).

    Returns
    -------
    AuthorityResult
        ``ca, cs, cr`` per expert, ``mean`` (of Cr), ``mean_ca``, ``mean_cs``,
        ``acceptable`` (``mean >= threshold``) and ``expert_acceptable``
        (``cr >= threshold``).

    Raises
    ------
    ValueError
        For a table of the wrong shape, an unknown source, level or
        familiarity label, a number outside [0, 1], or ``basis`` and
        ``familiarity`` of different lengths.

    Notes
    -----
    Default tables: see ``BASIS_TABLE_SOURCE`` and ``FAMILIARITY_SCALE_SOURCE``.
    The comparisons with ``threshold`` allow a tolerance of 1e-9, so a Cr that
    is 0.7 in decimal arithmetic passes although its binary sum may be
    0.6999999999999999.
    Papers often report only panel means, computed as
    :math:`\sum_j M_j W_j / M` over the counts :math:`M_j` of each answer; that
    is the same as the mean of the per-expert values computed here.

    References
    ----------
    .. [1] 王春枝, 斯琴 (2011), the textbook summary of the Chinese Delphi
       statistics as cited by SPSSAU (spssau.net/helps/delphi.html).
    .. [2] Judgment-basis weights: PMC9440023, Table 2; worked example: BMJ
       Open Delphi study, Table 4 "Expert authority coefficients".

    Examples
    --------
    >>> import delphi
    >>> res = delphi.authority(
    ...     [{"practice": "high", "theory": "high", "literature": "medium", "intuition": "low"},
    ...      0.8],
    ...     ["very", 0.6])
    >>> res.ca.tolist(), res.cs.tolist(), res.cr.tolist()
    ([1.0, 0.8], [1.0, 0.6], [1.0, 0.7])
    >>> round(res.mean, 2), res.acceptable
    (0.85, True)
    """
    table = check_basis_table(basis_table)
    scale = check_familiarity_scale(familiarity_scale)
    threshold = check_probability(threshold, "threshold")
    basis_list = _as_list(basis, "basis")
    fam_list = _as_list(familiarity, "familiarity")
    if len(basis_list) != len(fam_list):
        raise ValueError(
            f"basis and familiarity must have one entry per expert each; got {len(basis_list)} "
            f"and {len(fam_list)}"
        )
    ca = np.array([_ca(e, table, i) for i, e in enumerate(basis_list)])
    cs = np.array([_cs(e, scale, i) for i, e in enumerate(fam_list)])
    cr = (ca + cs) / 2.0
    mean = float(cr.mean())
    return AuthorityResult(
        ca=ca,
        cs=cs,
        cr=cr,
        mean=mean,
        mean_ca=float(ca.mean()),
        mean_cs=float(cs.mean()),
        threshold=threshold,
        acceptable=bool(mean >= threshold - THRESHOLD_TOL),
        expert_acceptable=cr >= threshold - THRESHOLD_TOL,
    )


def response_rate(invited, answered):
    r"""Expert positive coefficient (专家积极系数): share of questionnaires returned.

    .. math:: \text{rate} = \frac{\text{answered}}{\text{invited}}

    Parameters
    ----------
    invited : int or array_like of int
        Questionnaires sent, per round.
    answered : int or array_like of int
        Questionnaires returned (valid), per round; same shape as ``invited``.

    Returns
    -------
    float or ndarray of float
        A float for scalar input, otherwise an array with one rate per round.
        Chinese papers usually call 70% or more good.

    Raises
    ------
    ValueError
        If a count is negative or not a whole number, ``invited`` is 0,
        ``answered > invited``, or the shapes differ.

    Examples
    --------
    >>> import delphi
    >>> delphi.response_rate(20, 18)
    0.9
    >>> delphi.response_rate([20, 18], [18, 18]).tolist()
    [0.9, 1.0]
    """
    scalar = np.ndim(invited) == 0 and np.ndim(answered) == 0
    arrays = []
    for name, value in (("invited", invited), ("answered", answered)):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number or an array of whole numbers; "
                             f"got {value!r}") from None
        if arr.dtype == object or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must contain whole numbers; got {value!r}")
        if np.any(arr < 0):
            raise ValueError(f"{name} must not be negative; got {value!r}")
        arrays.append(arr)
    inv, ans = arrays
    if inv.shape != ans.shape:
        raise ValueError(
            f"invited and answered must have the same shape (one count per round); got "
            f"{inv.shape} and {ans.shape}"
        )
    if np.any(inv == 0):
        raise ValueError("invited must be at least 1 in every round")
    if np.any(ans > inv):
        raise ValueError(
            f"answered cannot exceed invited; got answered={answered!r}, invited={invited!r}"
        )
    rate = ans / inv
    return float(rate) if scalar else rate
