"""Delphi statistics for Concordia: pure numpy/scipy, no web framework, no I/O.

Ratings are a 2-D array, experts x items, with NaN where an expert did not
rate an item.

Round statistics
    item_stats, item_stats_by_group  -- n, mean, sd, CV, quartiles/IQR (R type 7),
                                        agreement, full-score frequency per item
    kendall_w                         -- Kendall's W (tie-corrected and not), chi-square, p
Experts
    authority                         -- authority coefficient Cr = (Ca + Cs) / 2
    response_rate                     -- expert positive coefficient per round
Consensus and stopping
    ConsensusRule                     -- configurable thresholds, presets, to/from dict
    stability                         -- per-item change and Wilcoxon signed-rank test
    stopping                          -- may the study stop, and why
Tables
    ratings_matrix, category_counts   -- answers -> matrix; matrix -> histogram counts
"""

from .authority import (
    BASIS_TABLE_SOURCE,
    DEFAULT_BASIS_TABLE,
    DEFAULT_FAMILIARITY_SCALE,
    FAMILIARITY_SCALE_SOURCE,
    authority,
    check_basis_table,
    check_familiarity_scale,
    response_rate,
)
from .concordance import kendall_w
from .consensus import CRITERIA, PRESET_SOURCES, PRESETS, ConsensusRule
from .results import (
    AuthorityResult,
    ConcordanceResult,
    ConsensusResult,
    ItemStatistics,
    RatingsTable,
    StabilityResult,
    StopDecision,
)
from .stability import stability, stopping
from .statistics import item_stats, item_stats_by_group
from .tables import category_counts, ratings_matrix

__all__ = [
    # statistics
    "item_stats",
    "item_stats_by_group",
    "kendall_w",
    # experts
    "authority",
    "response_rate",
    "check_basis_table",
    "check_familiarity_scale",
    "DEFAULT_BASIS_TABLE",
    "DEFAULT_FAMILIARITY_SCALE",
    "BASIS_TABLE_SOURCE",
    "FAMILIARITY_SCALE_SOURCE",
    # consensus, stability, stopping
    "ConsensusRule",
    "CRITERIA",
    "PRESETS",
    "PRESET_SOURCES",
    "stability",
    "stopping",
    # tables
    "ratings_matrix",
    "category_counts",
    # result objects
    "ItemStatistics",
    "ConcordanceResult",
    "AuthorityResult",
    "ConsensusResult",
    "StabilityResult",
    "StopDecision",
    "RatingsTable",
]
