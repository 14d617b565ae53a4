"""Frozen result objects returned by :mod:`weighting`.

Every result has ``weights`` (a read-only 1-D array summing to 1, or a stack
``(..., n)`` when the inputs were stacked), ``method`` (the method's short
name), ``variant`` (the variant implemented, in words) and ``to_dict()``
(a JSON-ready ``dict``: arrays become lists, NaN becomes ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from _results import FrozenResult, plain

__all__ = [
    "WeightResult",
    "OrderResult",
    "PairwiseResult",
    "BWMResult",
    "RatingsResult",
    "EntropyResult",
    "DispersionResult",
    "CriticResult",
    "EigenResult",
    "PCAResult",
    "AggregateResult",
    "CombinationResult",
    "NormalizeResult",
]


# The shared base (read-only arrays, JSON-ready to_dict()): one copy for ahp, weighting and
# evaluation in _results/, which needs numpy only.
_Frozen = FrozenResult
_plain = plain


@dataclass(frozen=True, kw_only=True)
class WeightResult(_Frozen):
    """Common part of every weighting result.

    Attributes
    ----------
    weights : ndarray, shape (n,) or (..., n)
        Non-negative weights summing to 1 (along the last axis).
    method : str
        Short name of the method (``"entropy"``, ``"g1"``, ...).
    variant : str
        The variant implemented, in words, with its source.
    """

    weights: np.ndarray
    method: str
    variant: str = ""


@dataclass(frozen=True, kw_only=True)
class NormalizeResult(_Frozen):
    """A normalised data matrix and how it was made.

    Attributes
    ----------
    y : ndarray, shape (m, n)
        The normalised matrix (cost indicators already reversed by the
        method's own definition).
    method : str
        ``"minmax"``, ``"zscore"``, ``"sum"``, ``"vector"`` or ``"max"``.
    directions : ndarray, shape (n,)
        +1 benefit, -1 cost.
    constant_columns : ndarray of bool, shape (n,)
        Columns with zero range (no information); see each method for what it
        does with them.
    """

    y: np.ndarray
    method: str
    directions: np.ndarray
    constant_columns: np.ndarray


@dataclass(frozen=True, kw_only=True)
class OrderResult(WeightResult):
    """G1 (order relation), ratio scoring (DARE) or binomial coefficients.

    Attributes
    ----------
    order : ndarray of int, shape (n,) or (..., n)
        Indicator indices as ranked or listed.
    ratios : ndarray, shape (n - 1,) or (..., n - 1), or None
        Adjacent ratios ``w(order[k]) / w(order[k+1])`` (None for binomial).
    """

    order: np.ndarray
    ratios: Any = None


@dataclass(frozen=True, kw_only=True)
class PairwiseResult(WeightResult):
    """Weights from a pairwise comparison matrix (least squares).

    Attributes
    ----------
    residual : float or ndarray
        The minimised objective :math:`\\sum_{ij} (a_{ij} w_j - w_i)^2`.
    """

    residual: Any


@dataclass(frozen=True, kw_only=True)
class BWMResult(WeightResult):
    """Best-Worst Method (linear model).

    Attributes
    ----------
    best, worst : int or ndarray
        Indices of the best and the worst indicator.
    xi : float or ndarray
        Optimal :math:`\\xi^L` of the linear model (0 = fully consistent).
    cr_input : float or ndarray
        Liang, Brunelli & Rezaei (2020) input-based consistency ratio
        :math:`CR^I = \\max_j |a_{Bj} a_{jW} - a_{BW}| / (a_{BW}^2 - a_{BW})`.
    cr_input_by_indicator : ndarray, shape (n,) or (..., n)
        :math:`CR^I_j` for each indicator ``j``: which pair of answers
        (best-over-j, j-over-worst) disagrees with :math:`a_{BW}` most — the
        one to show as a revision hint.
    cr_input_threshold : float or ndarray
        Its threshold for this ``n`` and :math:`a_{BW}`; outside the paper's
        table the nearest entry is used (:math:`a_{BW} \\le 2` -> the
        :math:`a_{BW} = 3` row, ``n > 9`` -> the ``n = 9`` column).
    acceptable : bool or ndarray
        ``cr_input <= cr_input_threshold``.
    cr_output : float or ndarray
        :math:`\\xi^L / CI(a_{BW})` with Rezaei's (2015) consistency index
        (output-based; the CI was derived for the non-linear model, so this
        is a reading aid, not Rezaei's own threshold test).
    ci : float or ndarray
        Rezaei's (2015) consistency index for :math:`a_{BW}`.
    """

    best: Any
    worst: Any
    xi: Any
    cr_input: Any
    cr_input_by_indicator: np.ndarray
    cr_input_threshold: Any
    acceptable: Any
    cr_output: Any
    ci: Any


@dataclass(frozen=True, kw_only=True)
class RatingsResult(WeightResult):
    """Weights from mean importance ratings.

    Attributes
    ----------
    means : ndarray
        Mean rating of each indicator over the experts who answered.
    counts : ndarray of int
        How many experts rated each indicator.
    """

    means: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True, kw_only=True)
class EntropyResult(WeightResult):
    """Entropy weight method.

    Attributes
    ----------
    entropy : ndarray, shape (n,)
        :math:`e_j` in [0, 1].
    divergence : ndarray, shape (n,)
        :math:`d_j = 1 - e_j` (信息效用值).
    normalization : str
        Normalisation applied before :math:`p_{ij}`.
    zeros : str
        Zero/negative policy: ``"shift"``, ``"ignore"`` or ``"refuse"``.
    shift : float
        The constant of the ``"shift"`` policy.
    shifted_columns : ndarray of bool
        Columns that were shifted (they held values <= 0).
    constant_columns : ndarray of bool
        Columns with zero range (weight 0).
    """

    entropy: np.ndarray
    divergence: np.ndarray
    normalization: str
    zeros: str
    shift: float
    shifted_columns: np.ndarray
    constant_columns: np.ndarray


@dataclass(frozen=True, kw_only=True)
class DispersionResult(WeightResult):
    """Weights proportional to a per-column dispersion figure.

    Used by the coefficient of variation (``figure`` = CV), the mean square
    deviation (sd of min-max data) and the maximum deviation (total pairwise
    absolute difference) methods.

    Attributes
    ----------
    figure : ndarray, shape (n,)
        The dispersion figure of each column (weights are proportional to it).
    figure_name : str
        What ``figure`` is.
    constant_columns : ndarray of bool
        Columns with zero range (weight 0).
    """

    figure: np.ndarray
    figure_name: str
    constant_columns: np.ndarray


@dataclass(frozen=True, kw_only=True)
class CriticResult(WeightResult):
    """CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995).

    Attributes
    ----------
    sd : ndarray
        Contrast intensity (对比强度): standard deviation of each normalised column.
    conflict : ndarray
        Conflict (冲突性) :math:`\\sum_k (1 - r_{jk})`.
    information : ndarray
        :math:`C_j` = sd × conflict.
    correlation : ndarray, shape (n, n)
        The correlation matrix used (NaN rows/columns for constant columns).
    correlation_method : str
        ``"pearson"`` or ``"spearman"``.
    constant_columns : ndarray of bool
    """

    sd: np.ndarray
    conflict: np.ndarray
    information: np.ndarray
    correlation: np.ndarray
    correlation_method: str
    constant_columns: np.ndarray


@dataclass(frozen=True, kw_only=True)
class EigenResult(WeightResult):
    """Scatter degree (拉开档次法) or level-difference style eigen-solutions.

    Attributes
    ----------
    eigenvalue : float
        Largest eigenvalue of :math:`H = X^T X`.
    spread : float
        :math:`\\sum_i (x_i^T w)^2` at the unit-norm optimum (= eigenvalue).
    constant_columns : ndarray of bool
    """

    eigenvalue: float
    spread: float
    constant_columns: np.ndarray


@dataclass(frozen=True, kw_only=True)
class PCAResult(WeightResult):
    """Principal component weights.

    Attributes
    ----------
    eigenvalues : ndarray
        Eigenvalues of the correlation matrix, largest first.
    explained : ndarray
        Share of variance of each component.
    retained : int
        Number of components retained.
    coefficients : ndarray, shape (n, retained)
        Linear combination coefficients (unit eigenvectors, loadings / sqrt(eigenvalue)).
    composite : ndarray, shape (n,)
        :math:`s_j = \\sum_k u_{jk} \\lambda_k / \\sum_k \\lambda_k` over the retained components.
    retention : str
        The retention rule applied.
    constant_columns : ndarray of bool
    """

    eigenvalues: np.ndarray
    explained: np.ndarray
    retained: int
    coefficients: np.ndarray
    composite: np.ndarray
    retention: str
    constant_columns: np.ndarray


@dataclass(frozen=True, kw_only=True)
class AggregateResult(WeightResult):
    """Experts' weight vectors combined into the group's.

    Attributes
    ----------
    expert_weights : ndarray, shape (k,)
        Normalised weight of each expert (equal if none given).
    k : int
        Number of experts.
    """

    expert_weights: np.ndarray
    k: int


@dataclass(frozen=True, kw_only=True)
class CombinationResult(WeightResult):
    """Subjective and objective weights combined.

    Attributes
    ----------
    coefficients : ndarray or None
        Combination coefficients actually used (sum to 1), None for
        ``multiplicative`` and ``min_information``.
    raw_coefficients : ndarray or None
        Game theory: the unconstrained solution of
        :math:`(W W^T)\\alpha = \\mathrm{diag}(W W^T)` before normalising.
    negative_coefficient : bool
        Game theory: the unconstrained solution had a negative coefficient,
        so the coefficients were re-solved under :math:`\\alpha \\ge 0` (NNLS).
    """

    coefficients: Any = None
    raw_coefficients: Any = None
    negative_coefficient: bool = False
