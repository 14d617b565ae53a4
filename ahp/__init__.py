"""AHP numerical core of Concordia: pure numpy, no I/O.

Priorities of pairwise comparison matrices (eigenvector, RGMM), consistency
(CI, CR with named RI tables, GCI), revision hints, Harker completion of
incomplete matrices, group aggregation (AIJ, AIP), Goepel's consensus S*,
and indicator hierarchies (sibling groups, global weights).

Every function accepts one matrix ``(n, n)`` or, where it makes sense, a
stack ``(..., n, n)`` and is vectorised over the stack.  Bad input raises
``ValueError`` naming the argument.  See ``docs/ahp.md``.

>>> import ahp
>>> a = ahp.from_upper([3, 5, 2], 3)
>>> ahp.priorities(a).round(3)
array([0.648, 0.23 , 0.122])
"""

from .aggregation import aggregate_judgments, aggregate_priorities, analyze_group
from .group_consensus import WORDING_SCALES, consensus, consensus_wording
from .consistency import (
    GCI_THRESHOLDS,
    RI_SOURCES,
    RI_TABLES,
    SAATY_CR_LIMITS,
    consistency,
    random_index,
    revision_hints,
)
from .bootstrap import BootstrapResult, bootstrap_weights
from .hierarchy import Hierarchy
from .pairwise import SAATY_VALUES, from_upper, round_to_scale, to_upper, validate_matrix
from .priorities import complete, priorities
from .results import (
    ConsensusResult,
    ConsistencyResult,
    GroupResult,
    HierarchyResult,
    RevisionHint,
)

__all__ = [
    # pairwise
    "SAATY_VALUES",
    "validate_matrix",
    "from_upper",
    "to_upper",
    "round_to_scale",
    # priorities
    "priorities",
    "complete",
    # consistency
    "consistency",
    "revision_hints",
    "random_index",
    "RI_TABLES",
    "RI_SOURCES",
    "SAATY_CR_LIMITS",
    "GCI_THRESHOLDS",
    # aggregation and consensus
    "aggregate_judgments",
    "aggregate_priorities",
    "consensus",
    "consensus_wording",
    "analyze_group",
    "WORDING_SCALES",
    # hierarchy
    "Hierarchy",
    # uncertainty
    "bootstrap_weights",
    "BootstrapResult",
    # results
    "ConsistencyResult",
    "RevisionHint",
    "ConsensusResult",
    "GroupResult",
    "HierarchyResult",
]
