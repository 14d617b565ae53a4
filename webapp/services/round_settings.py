"""A round's analysis settings: filled at creation, completed and frozen at open.

``Round.settings`` is a plain JSON dict of everything the round's figures depend
on. Delphi keys sit at the top level (see :data:`DELPHI_DEFAULTS`); other round
kinds add one key of their own (AHP rounds: ``settings["ahp"]``). Read a round's
settings only through :func:`settings_of`, which answers

- for an opened (open or closed) round: its frozen dict, keys it lacks taken
  from the code defaults below (never from the study, so a later change of the
  study's settings cannot change a round that has opened);
- for a draft: what it would freeze if it opened now (the study's current
  settings over the draft's own options).

The study's settings (consensus rule, authority tables, stopping rule) can only
change while no round is open (``webapp.services.studies``), and apply to
rounds opened later.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

import delphi
from webapp.models import Round, RoundKind, RoundStatus, Study
from webapp.services import ahp_blocks

DEFAULT_CONSENSUS_PRESET = "cn-standard"

#: Options a Delphi round freezes, with their defaults. ``consensus_rule``,
#: ``authority_tables``, ``alpha``, ``min_paired`` and ``min_feedback_respondents``
#: come from the study (the defaults below serve rounds frozen before they existed). (The round limit is not a
#: setting of a round's analysis: the stop advice reads the study's current one.)
DELPHI_DEFAULTS: dict = {
    "quantile_type": 7,                 # R type 7 quartiles (delphi.item_stats)
    "cr_threshold": 0.7,                # authority coefficient Cr deemed acceptable
    "alpha": 0.05,                      # level of the Wilcoxon stability test
    "wilcoxon": {"zero_method": "wilcox", "correction": True, "method": "asymptotic"},
    "no_opinion": "missing",            # "no opinion" is a missing rating, outside n
    "kendall_missing": "listwise",      # W from experts who rated every item (see kendall_w_missing)
    "min_paired": 6,                    # paired experts needed before an item may be called stable
    "min_feedback_respondents": 3,      # answers needed before experts see the group's result
    "prefill_answers": True,            # from round 2: each expert's previous answer preselected
    "feedback_by_group": False,         # experts also see their own stakeholder group's result
}

#: Analysis options the round form sets (passed to create_round/update_round by name).
FORM_OPTIONS = ("feedback_by_group",)

#: Keys taken from the study when a round opens (the rest are the round's own).
STUDY_KEYS = ("consensus_rule", "authority_tables", "alpha", "min_paired", "min_feedback_respondents")


def default_rule() -> delphi.ConsensusRule:
    return delphi.ConsensusRule.preset(DEFAULT_CONSENSUS_PRESET)


def study_rule(study: Study) -> delphi.ConsensusRule:
    """The study's current consensus rule; the preset "cn-standard" while none is chosen."""
    if study.consensus_rule:
        return delphi.ConsensusRule.from_dict(study.consensus_rule)
    return default_rule()


def study_authority_tables(study: Study) -> tuple[dict, dict]:
    """(basis_table, familiarity_scale) of the study; the defaults when unset."""
    stored = study.authority_tables or {}
    basis = stored.get("basis") or copy.deepcopy(delphi.DEFAULT_BASIS_TABLE)
    familiarity = stored.get("familiarity") or dict(delphi.DEFAULT_FAMILIARITY_SCALE)
    return delphi.check_basis_table(basis), delphi.check_familiarity_scale(familiarity)


def from_study(study: Study) -> dict:
    """The study-owned part of a round's settings, as it stands now."""
    basis, familiarity = study_authority_tables(study)
    return {"consensus_rule": study_rule(study).to_dict(),
            "authority_tables": {"basis": basis, "familiarity": familiarity},
            "alpha": float(study.stability_alpha),
            "min_paired": int(study.min_paired if study.min_paired is not None else DELPHI_DEFAULTS["min_paired"]),
            "min_feedback_respondents": int(study.min_feedback_respondents
                                            if study.min_feedback_respondents is not None
                                            else DELPHI_DEFAULTS["min_feedback_respondents"])}


def initial_settings(study: Study, options: Mapping | None = None) -> dict:
    """The settings a new round is created with: defaults, the study's, then ``options``."""
    unknown = set(options or {}) - set(DELPHI_DEFAULTS) - set(STUDY_KEYS) - {"ahp", "g1", "bwm"}
    if unknown:
        raise TypeError(f"unknown round analysis settings: {sorted(unknown)}")
    return copy.deepcopy(DELPHI_DEFAULTS) | from_study(study) | copy.deepcopy(dict(options or {}))


def settings_to_freeze(rnd: Round) -> dict:
    """What :func:`webapp.services.round_lifecycle.open_round` stores: the round's own
    options kept, the study-owned keys refreshed from the study as it stands."""
    frozen = copy.deepcopy(DELPHI_DEFAULTS) | copy.deepcopy(rnd.settings or {}) | from_study(rnd.study)
    if rnd.kind is RoundKind.ahp:  # blocks as they stand, expert weights resolved now
        tables = frozen["authority_tables"]
        frozen["ahp"] = ahp_blocks.frozen_ahp(rnd, tables=(tables["basis"], tables["familiarity"]))
    return frozen


@dataclass(frozen=True)
class RoundSettings:
    """Read-only view of a round's settings with typed accessors."""

    raw: dict
    frozen: bool

    def __getitem__(self, key):
        return self.raw[key]

    def get(self, key, default=None):
        return self.raw.get(key, default)

    @property
    def rule(self) -> delphi.ConsensusRule:
        data = self.raw.get("consensus_rule")
        return delphi.ConsensusRule.from_dict(data) if data else default_rule()

    @property
    def authority_tables(self) -> tuple[dict, dict]:
        tables = self.raw.get("authority_tables") or {}
        basis = tables.get("basis") or copy.deepcopy(delphi.DEFAULT_BASIS_TABLE)
        familiarity = tables.get("familiarity") or dict(delphi.DEFAULT_FAMILIARITY_SCALE)
        return basis, familiarity

    @property
    def alpha(self) -> float:
        return float(self.raw["alpha"])

    @property
    def wilcoxon(self) -> dict:
        return dict(self.raw["wilcoxon"])

    @property
    def min_paired(self) -> int:
        return int(self.raw["min_paired"])

    @property
    def min_feedback_respondents(self) -> int:
        return int(self.raw["min_feedback_respondents"])

    @property
    def prefill_answers(self) -> bool:
        """Each expert's answer of the previous round preselected (marked, changeable)."""
        return bool(self.raw.get("prefill_answers", True))

    @property
    def feedback_by_group(self) -> bool:
        return bool(self.raw.get("feedback_by_group", False))

    @property
    def cr_threshold(self) -> float:
        return float(self.raw["cr_threshold"])

    def to_dict(self) -> dict:
        return copy.deepcopy(self.raw)


def with_options(rnd: Round, **options) -> None:
    """Change some of a draft round's own options (e.g. ``prefill_answers``); the
    model refuses once the round has opened."""
    unknown = set(options) - set(DELPHI_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown round analysis settings: {sorted(unknown)}")
    rnd.settings = {**(rnd.settings or {}), **options}


def settings_of(rnd: Round) -> RoundSettings:
    """The settings ``rnd``'s analysis uses (frozen once it has opened)."""
    if rnd.status is RoundStatus.draft:
        return RoundSettings(settings_to_freeze(rnd), frozen=False)
    return RoundSettings(copy.deepcopy(DELPHI_DEFAULTS) | copy.deepcopy(rnd.settings or {}), frozen=True)
