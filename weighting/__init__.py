"""Weighting methods of Concordia: pure numpy/scipy, no I/O.

Every method the seed standard names in section 5.2.6 that the literature
defines well enough to compute, with the variant named and the source cited
(see ``docs/weighting.md``):

- subjective: :func:`g1` (序关系分析法), :func:`ratio_scoring` (环比评分法),
  :func:`binomial` (二项系数法), :func:`least_squares` (最小平方法),
  :func:`bwm` (Best-Worst Method, exact LP), :func:`from_ratings` (Delphi means);
- objective: :func:`normalize`, :func:`entropy` (熵权法),
  :func:`coefficient_of_variation` (变异系数法), :func:`mean_square_deviation`
  (均方差法), :func:`critic`, :func:`scatter_degree` (拉开档次法),
  :func:`max_deviation` (最大离差法), :func:`pca` (主成分分析法);
- group and combination: :func:`aggregate` (weighted geometric mean),
  :func:`combine` (linear, multiplicative, minimum information, game theory,
  level-difference maximisation).

Each returns a frozen result with ``weights`` (summing to 1), the method's own
figures and ``to_dict()``.  Bad input raises ``ValueError`` naming the argument.

>>> import weighting
>>> weighting.g1([0, 1, 2], [1.2, 1.0]).weights.round(4)
array([0.375 , 0.3125, 0.3125])
"""

from .bwm import BWM_CI, BWM_INPUT_THRESHOLDS, bwm, bwm_consistency_index
from .catalog import METHODS, NOT_IMPLEMENTED
from .combination import COMBINATIONS, aggregate, combine
from .normalization import NORMALIZATIONS, normalize
from .objective import coefficient_of_variation, critic, entropy, mean_square_deviation
from .results import (
    AggregateResult,
    BWMResult,
    CombinationResult,
    CriticResult,
    DispersionResult,
    EigenResult,
    EntropyResult,
    NormalizeResult,
    OrderResult,
    PairwiseResult,
    PCAResult,
    RatingsResult,
    WeightResult,
)
from .spread import max_deviation, pca, scatter_degree
from .subjective import G1_SCALE, binomial, from_ratings, g1, least_squares, ratio_scoring

__all__ = [
    # subjective
    "g1", "ratio_scoring", "binomial", "least_squares", "bwm", "from_ratings",
    "G1_SCALE", "BWM_CI", "BWM_INPUT_THRESHOLDS", "bwm_consistency_index",
    # objective
    "normalize", "NORMALIZATIONS", "entropy", "coefficient_of_variation",
    "mean_square_deviation", "critic", "scatter_degree", "max_deviation", "pca",
    # group and combination
    "aggregate", "combine", "COMBINATIONS",
    # names and sources
    "METHODS", "NOT_IMPLEMENTED",
    # results
    "WeightResult", "NormalizeResult", "OrderResult", "PairwiseResult", "BWMResult",
    "RatingsResult", "EntropyResult", "DispersionResult", "CriticResult", "EigenResult",
    "PCAResult", "AggregateResult", "CombinationResult",
]
