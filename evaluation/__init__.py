"""Evaluation numerical core of Concordia: pure numpy/scipy, no I/O.

Scores evaluated objects with a published ``weight-set/1``: the seed's model
``T = Σ T_i·S_i`` (section 5.2.5) with missing data refused or re-weighted and
coverage reported, star grades from bands, raw data to scores (goalposts,
targets, rubrics), fuzzy comprehensive evaluation with four operators (one
level or up the hierarchy), uncertainty under weight samples and exact
weight-stability intervals.  Bad input raises ``ValueError`` naming the
argument.  See ``docs/evaluation.md``; command line: ``python -m evaluation``.

>>> import evaluation
>>> evaluation.grade(84.5).label
'★★★★☆'
"""

from .fce import OPERATORS, fce, fce_hierarchy, membership, operator_name
from .indicators import RULE_KINDS, score_indicator
from .results import (
    FCEHierarchyResult,
    FCEResult,
    GradeResult,
    IndicatorScores,
    ScoreResult,
    StabilityResult,
    UncertaintyResult,
)
from .scoring import (
    COVERAGE_THRESHOLD,
    DEFAULT_BANDS,
    DEFAULT_SCALE,
    LowCoverageWarning,
    check_bands,
    grade,
    score,
)
from .stability import weight_stability
from .uncertainty import resample_weights, uncertainty
from .weightset import SCHEMA, WeightTree

__all__ = [
    # scoring and grades
    "score",
    "grade",
    "check_bands",
    "score_indicator",
    "DEFAULT_BANDS",
    "DEFAULT_SCALE",
    "COVERAGE_THRESHOLD",
    "LowCoverageWarning",
    "RULE_KINDS",
    # fuzzy comprehensive evaluation
    "fce",
    "fce_hierarchy",
    "membership",
    "operator_name",
    "OPERATORS",
    # uncertainty and sensitivity
    "uncertainty",
    "resample_weights",
    "weight_stability",
    # weight sets
    "WeightTree",
    "SCHEMA",
    # results
    "ScoreResult",
    "GradeResult",
    "IndicatorScores",
    "FCEResult",
    "FCEHierarchyResult",
    "UncertaintyResult",
    "StabilityResult",
]
