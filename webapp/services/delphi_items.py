"""Per-item reports of a Delphi round: statistics, consensus, stability, Kendall's W, Cr.

Everything is computed by ``delphi/`` from the matrices of ``round_data`` with
the round's own (frozen) settings (``round_settings.settings_of``). The figures are remembered
in-process (``FIGURES``) under the digest of the ratings they come from and every option they
depend on, so a view of an unchanged round (the open round's dashboard, refreshed) computes
none of them again, and a changed answer changes the key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

import delphi
from webapp.models import Expert, Node, Proposal, Round, Study
from webapp.services import groups as groups_svc, memo
from webapp.services.round_data import AlignedPair, RoundData, RoundMatrix
from webapp.services.round_settings import RoundSettings, settings_of


@dataclass
class ItemReport:
    node: Node
    stats: dict                       # n, mean, sd, cv, median, q1, q3, iqr, agreement, full_score
    counts: list[int]                 # how many gave each scale value, scale_min..scale_max
    no_opinion: int
    consensus: bool
    failed: tuple[str, ...]
    stability: dict | None = None     # changed, cv_change, p, stable, n_paired
    comments: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    comments_by: list[tuple[str, str]] = field(default_factory=list)  # coordinator view only
    decision: str | None = None
    wording: dict | None = None       # what the round asked (RoundItem.asked): name_zh, name_en …

    def name(self, locale: str) -> str:
        """The indicator's name as this round asked it (a later rewording does not change it)."""
        if not self.wording:
            return self.node.name(locale)
        zh, en = self.wording.get("name_zh") or "", self.wording.get("name_en") or ""
        primary, fallback = (zh, en) if locale == "zh" else (en, zh)
        return primary or fallback or self.node.name(locale)


W_MIN_SHARE = 0.7  # below this share of respondents in W, the page warns

#: Figures of recent rounds by what they are computed from (a few per round; small arrays).
FIGURES = memo.Memo(512)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def item_stats_of(matrix: RoundMatrix, rnd: Round, cut: float | None = None) -> delphi.ItemStatistics:
    """``delphi.item_stats`` of ``matrix`` on ``rnd``'s scale and "agree" cut (``cut``, default
    :func:`agree_at`) (remembered)."""
    lo, hi, cut = rnd.scale_min, rnd.scale_max, agree_at(rnd) if cut is None else cut
    return FIGURES.get(("item_stats", matrix.fingerprint, lo, hi, cut), lambda: delphi.item_stats(
        matrix.ratings, scale_max=hi, scale_min=lo, agree_at=cut))


@dataclass
class LevelConcordance:
    """Kendall's W over the indicators of one level (as Chinese papers report it)."""

    level: int
    n_items: int
    result: delphi.ConcordanceResult | None
    error: str | None = None


def concordance_by_level(ratings: np.ndarray, nodes: list[Node], depths: dict[int, int]) -> list[LevelConcordance]:
    """Listwise Kendall's W per indicator level of ``nodes`` (levels with two items or more)."""
    levels: dict[int, list[int]] = {}
    for j, node in enumerate(nodes):
        levels.setdefault(depths.get(node.id, 0), []).append(j)
    out = []
    for level, cols in sorted(levels.items()):
        if len(cols) < 2:
            continue
        try:
            out.append(LevelConcordance(level, len(cols), delphi.kendall_w(ratings[:, cols])))
        except ValueError as exc:
            out.append(LevelConcordance(level, len(cols), None, str(exc)))
    return out


@dataclass
class RoundReport:
    round: Round
    matrix: RoundMatrix
    items: list[ItemReport]
    invited: int
    answered: int
    drafts: int
    response_rate: float
    item_statistics: delphi.ItemStatistics | None
    consensus: delphi.ConsensusResult | None
    concordance: delphi.ConcordanceResult | None
    concordance_error: str | None
    authority: delphi.AuthorityResult | None
    authority_missing: list[str]
    stability: delphi.StabilityResult | None
    previous_round: Round | None
    rule: delphi.ConsensusRule
    proposals: list[Proposal]
    groups: dict = field(default_factory=dict)  # group -> ItemStatistics
    consensus_error: str | None = None  # the round's rule does not fit this round's scale
    settings: RoundSettings | None = None  # the round's (frozen) analysis settings
    concordance_midrank: delphi.ConcordanceResult | None = None  # W with missing ranks at the mid-rank
    concordance_levels: list = field(default_factory=list)      # [LevelConcordance] per indicator level

    @property
    def agree_at(self) -> float:
        """The "agree" cut of this round's rule on its scale."""
        return self.rule.agree_cut(self.round.scale_min, self.round.scale_max)

    @property
    def w_share(self) -> float | None:
        """Share of the respondents that the listwise W counts."""
        if self.concordance is None or not self.answered:
            return None
        return self.concordance.m_used / self.answered

    @property
    def w_few(self) -> bool:
        """True when the listwise W counts fewer than 70 % of the respondents."""
        share = self.w_share
        return share is not None and share < W_MIN_SHARE

    @property
    def consensus_share(self) -> float | None:
        if self.consensus is None or not self.items:
            return None
        return self.consensus.n_reached / len(self.items)


def _authority(settings: RoundSettings, experts: list[Expert]):
    complete = [e for e in experts if e.familiarity and e.basis]
    missing = [e.pseudonym for e in experts if not (e.familiarity and e.basis)]
    if not complete:
        return None, missing
    basis_table, familiarity_scale = settings.authority_tables
    # remembered by the tables and every expert's self-assessment as written (the same text, the same Cr)
    key = ("authority", json.dumps([basis_table, familiarity_scale, settings.cr_threshold], sort_keys=True,
                                   default=str), "\x1f".join(f"{e.familiarity!r}\x1e{e.basis!r}" for e in complete))
    result = FIGURES.get(key, lambda: _authority_of(complete, basis_table, familiarity_scale, settings.cr_threshold))
    return (result, missing) if result is not None else (None, [e.pseudonym for e in experts])


def _authority_of(complete: list[Expert], basis_table, familiarity_scale, threshold) -> delphi.AuthorityResult | None:
    """``delphi.authority`` of the experts with a self-assessment (None when it refuses them)."""
    # A panel repeats a few self-assessments: read each distinct one once, then give delphi the
    # numbers (Ca, Cs) of every expert (the same result, without parsing 1,000 tables).
    # (A Ca outside [0, 1] by rounding refuses the numbers: then every table is read as given.)
    keys = [_profile_key(e) for e in complete]
    profiles = {}
    for key, e in zip(keys, complete):
        profiles.setdefault(key, (e.basis, e.familiarity))
    options = {"basis_table": basis_table, "familiarity_scale": familiarity_scale, "threshold": threshold}
    try:
        distinct = delphi.authority([b for b, _f in profiles.values()], [f for _b, f in profiles.values()],
                                    **options)
        index = {key: k for k, key in enumerate(profiles)}
        rows = [index[key] for key in keys]
        try:
            return delphi.authority(distinct.ca[rows].tolist(), distinct.cs[rows].tolist(), **options)
        except ValueError:
            return delphi.authority([e.basis for e in complete], [e.familiarity for e in complete], **options)
    except ValueError:
        return None


def _profile_key(expert: Expert):
    basis = expert.basis
    return (tuple(sorted((str(k), str(v)) for k, v in basis.items())) if isinstance(basis, dict) else repr(basis),
            repr(expert.familiarity))


def round_report(rnd: Round, *, with_identities: bool = False, data: RoundData | None = None) -> RoundReport:
    """Everything the dashboard shows for one round.

    ``with_identities`` adds the pseudonym to each comment (coordinators only;
    experts' feedback never has it). ``data``: the request's loader (one is made
    when not given).
    """
    study = rnd.study
    data = data or RoundData(study)
    settings = settings_of(rnd)
    matrix = data.matrix(rnd)
    m, n = matrix.ratings.shape
    answered_ids = {e.id for e in matrix.experts}
    invited = len([e for e in data.experts() if not e.is_revoked or e.id in answered_ids])
    drafts = data.drafts(rnd)
    rule = settings.rule
    stats = consensus = concordance = concordance_midrank = stab = None
    concordance_error = None
    levels = []
    key = matrix.fingerprint
    cut = rule.agree_cut(rnd.scale_min, rnd.scale_max)     # agree_at(rnd), its settings read once
    if m >= 1 and n >= 1:
        stats = item_stats_of(matrix, rnd, cut) if m >= 2 else None
    consensus_error = None
    if stats is not None:
        try:
            consensus = rule.evaluate(stats)
        except ValueError as exc:  # the rule was written for another scale
            consensus_error = str(exc)
        concordance, concordance_error = FIGURES.get(
            ("kendall_w", key), lambda: memo.attempt(lambda: delphi.kendall_w(matrix.ratings)))
        concordance_midrank, _error = FIGURES.get(("kendall_w_midrank", key), lambda: memo.attempt(
            lambda: delphi.kendall_w(matrix.ratings, False, missing="midrank")))
        depths = data.depths()
        levels = FIGURES.get(("levels", key, tuple(depths.get(node.id, 0) for node in matrix.nodes)),
                             lambda: concordance_by_level(matrix.ratings, matrix.nodes, depths))
    previous = data.previous(rnd)
    if previous is not None and m >= 1:
        stab = pair_stability(data.pair(previous, rnd, matrix.nodes), settings)
    authority, authority_missing = _authority(settings, matrix.experts)
    counts = (FIGURES.get(("counts", key, rnd.scale_min, rnd.scale_max), lambda: _readonly(delphi.category_counts(
        matrix.ratings, scale_max=rnd.scale_max, scale_min=rnd.scale_min)))
              if m else np.zeros((n, rnd.scale_max - rnd.scale_min + 1), dtype=int))
    rows = stats.to_rows([node.code for node in matrix.nodes]) if stats is not None else [
        {"item": node.code} for node in matrix.nodes]
    decisions = {item.node_id: item.decision.value if item.decision else None for item in data.items(rnd)}
    asked = {item.node_id: item.asked() for item in data.items(rnd)}
    no_opinion = matrix.no_opinion.sum(axis=0) if m else np.zeros(n, dtype=int)
    items = []
    for j, node in enumerate(matrix.nodes):
        comments = matrix.comments(j)
        item = ItemReport(
            node=node, stats=rows[j], counts=[int(c) for c in counts[j]], wording=asked.get(node.id),
            no_opinion=int(no_opinion[j]),
            consensus=bool(consensus.reached[j]) if consensus is not None else False,
            failed=tuple(consensus.failed[j]) if consensus is not None else (),
            comments=[text for _e, text in comments],
            reasons=[text for _i, text in matrix.reasons(j)],
            decision=decisions.get(node.id),
        )
        if with_identities:
            item.comments_by = [(e.pseudonym, text) for e, text in comments]
        if stab is not None:
            item.stability = {key: _plain(getattr(stab, key)[j])
                              for key in ("n_paired", "changed", "cv_previous", "cv_change", "p", "stable",
                                          "judged")}
        items.append(item)
    groups = {}
    if m >= 2:
        labels = [groups_svc.key_of(e) for e in matrix.experts]
        found, _error = FIGURES.get(
            ("groups", key, "\x1f".join(labels), rnd.scale_min, rnd.scale_max, cut),
            lambda: memo.attempt(lambda: delphi.item_stats_by_group(
                matrix.ratings, labels, scale_max=rnd.scale_max, scale_min=rnd.scale_min, agree_at=cut)))
        groups = dict(found or {})
    proposals = data.proposals(rnd)
    return RoundReport(
        round=rnd, matrix=matrix, items=items, invited=invited, answered=m, drafts=drafts,
        response_rate=float(delphi.response_rate(invited, m)) if invited else 0.0,
        item_statistics=stats, consensus=consensus, concordance=concordance,
        concordance_error=concordance_error, authority=authority, authority_missing=authority_missing,
        stability=stab, previous_round=previous, rule=rule, proposals=list(proposals), groups=groups,
        consensus_error=consensus_error, settings=settings, concordance_midrank=concordance_midrank,
        concordance_levels=levels)


def agree_at(rnd: Round) -> float:
    """The "agree" cut of ``rnd``: stored in its consensus rule (e.g. 7 for COMET's 7–9)."""
    return settings_of(rnd).rule.agree_cut(rnd.scale_min, rnd.scale_max)


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def pair_stability(pair: AlignedPair, settings: RoundSettings) -> delphi.StabilityResult | None:
    """``delphi.stability`` of an aligned pair with the round's α and Wilcoxon options."""
    if len(pair.experts) < 2:
        return None
    key = ("stability", pair.previous.fingerprint, pair.current.fingerprint, settings.alpha, settings.min_paired,
           tuple(sorted(settings.wilcoxon.items())))
    result, _error = FIGURES.get(key, lambda: memo.attempt(lambda: delphi.stability(
        pair.previous.ratings, pair.current.ratings, alpha=settings.alpha, min_paired=settings.min_paired,
        **settings.wilcoxon)))
    return result


def history(study: Study, upto: Round, *, upto_report: RoundReport | None = None,
            data: RoundData | None = None) -> list[RoundReport]:
    """Reports of the study's non-draft Delphi rounds up to ``upto`` (for trends).

    ``upto_report``: the report of ``upto`` when the caller already has it (not computed again).
    """
    data = data or RoundData(study)
    return [upto_report if upto_report is not None and r.id == upto.id else round_report(r, data=data)
            for r in data.rounds_upto(upto)]


def stop_decision(rnd: Round, *, data: RoundData | None = None) -> delphi.StopDecision | None:
    """``delphi.stopping`` over the study's rounds so far, on this round's items,
    with this round's settings and the aligned pair of the last two rounds."""
    data = data or RoundData(rnd.study)
    settings = settings_of(rnd)
    rounds = data.rounds_upto(rnd)
    nodes = data.nodes(rnd)
    matrices = [data.matrix(r, nodes=nodes) for r in rounds]
    if not matrices or matrices[-1].ratings.shape[0] < 2:
        return None
    hist = [item_stats_of(mat, r) for r, mat in zip(rounds, matrices) if mat.ratings.shape[0] >= 2]
    stab = pair_stability(data.pair(rounds[-2], rounds[-1], nodes), settings) if len(rounds) >= 2 else None
    return delphi.stopping(hist, settings.rule, max_rounds=rnd.study.max_rounds, stability=stab)
