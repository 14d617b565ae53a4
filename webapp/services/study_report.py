"""The study report's content, built once and rendered as HTML, PDF (``report_render``) and DOCX
(``report_docx``): who ran the study, the panel's make-up (counts, never names), objective and
methods with an appendix (Delphi reporting items), each round's statistics, AHP blocks, the final
weights with a chart, the coordinator's conclusions, and optional worked calculations.

Figures come from the same services as the dashboard (``delphi_items.round_report``) and from
the newest published weight set, never recomputed differently here.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from flask_babel import gettext as _
from markupsafe import Markup

import ahp
from webapp.models import ItemDecision, RoundKind, RoundStatus, Study, utcnow
from webapp.presentation import familiarity_label, rule_in_words, w_basis
from webapp.services import audit, groups, profile_labels, round_zero_exports, weight_sets
from webapp.services.delphi_items import round_report
from webapp.services.round_data import round_matrix
from webapp.services.round_settings import study_rule
from webapp.templating import render_markdown


@dataclass
class RoundRow:
    number: int
    kind: str
    title: str
    opened_at: datetime | None
    closed_at: datetime | None
    invited: int
    answered: int
    response_rate: float | None
    authority: float | None
    w: float | None
    chi2: float | None
    df: int | None
    p: float | None
    m_used: int | None
    w_basis: str | None         # "from m of n experts": whom W counts (issue 9), printed beside W
    w_few: bool                 # W counts fewer than 70 % of the respondents
    n_items: int
    consensus_share: float | None
    kept: int
    dropped: int
    reworded: int


@dataclass
class StudyReport:
    study: Study
    locale: str
    generated_at: datetime
    coordinator: str
    invited: int
    answered_any: int
    makeup: list[tuple[str, list[tuple[str, int]]]]     # (dimension, [(category, count)])
    description: Markup
    methods: list[tuple[str, str]]                      # (heading, paragraph)
    rounds: list[RoundRow]
    blocks: list[dict]                                  # AHP blocks: code, name, cr, s_star
    weight_set: object | None
    nodes: list[dict]
    conclusions: Markup
    worked_ahp: dict | None = None
    worked_delphi: dict | None = None
    method_text: str = ""
    notes: list[str] = field(default_factory=list)
    round_zero: object | None = None                    # round_zero_exports.RoundZeroSummary, once it opened


def _name(node: dict, locale: str) -> str:
    return (node["name"]["zh"] if locale == "zh" else node["name"]["en"]) or node["code"]


def _experience_band(years) -> str:
    if years is None:
        return _("not given")
    if years < 10:
        return _("under 10 years")
    if years < 20:
        return _("10–19 years")
    return _("20 years or more")


def panel_makeup(study: Study) -> list[tuple[str, list[tuple[str, int]]]]:
    """Counts of the invited panel by stakeholder group, field, seniority and familiarity."""

    experts = [e for e in study.experts if not e.is_revoked]
    dims = [
        (_("Field"), [e.field or _("not given") for e in experts]),
        (_("Years of experience"), [_experience_band(e.years_experience) for e in experts]),
        (_("Familiarity with the subject"), [familiarity_label(e.familiarity) or _("not given") for e in experts]),
    ]
    return ([groups.makeup(study, experts)]
            + [(label, sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))) for label, values in dims]
            + profile_labels.makeup(experts))


def round_row(rnd) -> RoundRow:
    report = round_report(rnd)
    decisions = Counter(item.decision for item in rnd.items)
    conc = report.concordance
    return RoundRow(
        number=rnd.number, kind=rnd.kind.value, title=rnd.title, opened_at=rnd.opened_at,
        closed_at=rnd.closed_at, invited=report.invited, answered=report.answered,
        response_rate=report.response_rate if report.invited else None,
        authority=float(report.authority.mean) if report.authority is not None else None,
        w=conc.w if conc else None, chi2=conc.chi2 if conc else None, df=conc.df if conc else None,
        p=conc.p if conc else None, m_used=conc.m_used if conc else None,
        w_basis=w_basis(conc, report.answered) if conc else None, w_few=report.w_few, n_items=len(report.items),
        consensus_share=report.consensus_share,
        kept=decisions[ItemDecision.keep], dropped=decisions[ItemDecision.drop],
        reworded=decisions[ItemDecision.reword])


def methods_appendix(study: Study, rounds: list[RoundRow], invited: int) -> list[tuple[str, str]]:
    rule = rule_in_words(study_rule(study))
    delphi_rounds = [r for r in rounds if r.kind == "delphi"]
    return [
        (_("How the panel was chosen"),
         _("%(n)s experts were invited from the stakeholder groups shown in the panel table (%(groups)s), for "
           "their experience of the subject. Each expert described their familiarity with the subject and the "
           "basis of their judgments, from which the authority coefficient Cr = (Ca + Cs) / 2 is computed.",
           n=invited, groups=_(", ").join(groups.group_label(g) for g in groups.groups_of(study)))),
        (_("Anonymity"),
         _("Experts answered through personal links under an expert number (E01, E02 …); no expert saw another's "
           "identity or individual answers. This report gives counts only, never names.")),
        (_("Feedback between rounds"),
         _("From the second round on, each expert saw beside each indicator the panel's anonymous result of the "
           "previous round (median, interquartile range and the distribution of ratings) together with their own "
           "earlier rating, and was asked for a reason when staying outside the interquartile range.")),
        (_("Consensus definition"),
         _("An indicator reached consensus when %(rule)s. The coordination of the panel's opinions is measured "
           "with Kendall's coefficient of concordance W and its χ² test.", rule=rule)),
        (_("Closing criteria"),
         _("The consultation stops when the consensus rule is met for the indicators, the results are stable "
           "between rounds, or the round limit of %(max)s rounds is reached; %(n)s Delphi rounds were held.",
           max=study.max_rounds, n=len(delphi_rounds))),
        (_("Stability"),
         _("Stability between rounds is tested for each indicator with the Wilcoxon signed-rank test on the "
           "ratings of the experts who answered both rounds (α = %(alpha)s), together with the change of the "
           "coefficient of variation.", alpha=f"{study.stability_alpha:g}")),
    ]


def worked_ahp(document: dict | None) -> dict | None:
    """One block's matrix → normalised columns → weights → λmax → CI → CR (column-normalisation steps)."""
    blocks = (document or {}).get("block_matrices") or {}
    if not blocks:
        return None
    parent = next(iter(sorted(blocks)))
    codes, a = blocks[parent]["codes"], np.asarray(blocks[parent]["matrix"], dtype=float)
    n = len(codes)
    column_sums = a.sum(axis=0)
    normalised = a / column_sums
    w = normalised.mean(axis=1)
    aw = a @ w
    lambda_max = float(np.mean(aw / w))
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ri = ahp.random_index(n) if n > 2 else 0.0
    return {"parent": parent, "codes": codes, "matrix": a.tolist(), "column_sums": column_sums.tolist(),
            "normalised": normalised.tolist(), "weights": w.tolist(), "aw": aw.tolist(),
            "lambda_max": lambda_max, "ci": ci, "ri": ri, "cr": ci / ri if ri else 0.0,
            "eigen": ahp.priorities(a).tolist()}


def worked_delphi(study: Study, locale: str) -> dict | None:
    """One item's statistics from the last closed Delphi round, and the first-level normalisation."""
    closed = [r for r in study.rounds if r.kind is RoundKind.delphi and r.status is RoundStatus.closed]
    if not closed:
        return None
    rnd = closed[-1]
    matrix = round_matrix(rnd)
    if matrix.ratings.shape[0] < 2 or not matrix.nodes:
        return None
    j = 0
    values = matrix.ratings[:, j]
    given = values[~np.isnan(values)]
    mean = float(given.mean())
    sd = float(given.std(ddof=1)) if given.size > 1 else 0.0
    asked = next((item for item in rnd.items if item.node_id == matrix.nodes[j].id), None)
    name = asked.asked_name(locale) if asked is not None else matrix.nodes[j].name(locale)  # round k's wording
    return {"round": rnd.number, "code": matrix.nodes[j].code, "name": name,
            "ratings": [None if np.isnan(v) else int(v) for v in values], "n": int(given.size),
            "sum": float(given.sum()), "mean": mean, "sd": sd, "cv": sd / mean if mean else None,
            "full_score": float(np.mean(given == rnd.scale_max)), "scale_max": rnd.scale_max}


def ahp_sources(study: Study) -> list[tuple[int, dict]]:
    """(round number, publishable source dict) of every closed AHP round whose source is registered."""
    out = []
    for rnd in sorted(study.rounds, key=lambda r: r.number):
        if rnd.kind is RoundKind.delphi or rnd.status is not RoundStatus.closed \
                or rnd.kind.value not in weight_sets.SOURCES:
            continue
        try:
            out.append((rnd.number, weight_sets.source_of(rnd)))
        except weight_sets.PublishError:
            continue
    return out


def ahp_blocks(study: Study, locale: str) -> tuple[list[dict], dict | None]:
    """Consistency and consensus per block of each closed AHP round, and its group matrices."""
    names = {n.code: n.name(locale) for n in study.nodes}
    blocks, matrices = [], None
    for number, source in ahp_sources(study):
        heads = sorted(set(source.get("block_cr") or {}) | set(source.get("block_s_star") or {}))
        for code in heads:
            blocks.append({"round": number, "code": code, "name": names.get(code, code),
                           "cr": (source.get("block_cr") or {}).get(code),
                           "s_star": (source.get("block_s_star") or {}).get(code)})
        matrices = source.get("block_matrices") or matrices
    return blocks, ({"block_matrices": matrices} if matrices else None)


def build(study: Study, *, locale: str = "zh", now: datetime | None = None) -> StudyReport:
    rounds = [round_row(r) for r in sorted(study.rounds, key=lambda r: r.number)
              if r.status is RoundStatus.closed and r.kind is RoundKind.delphi]
    invited = len([e for e in study.experts if not e.is_revoked])
    latest = weight_sets.latest_version(study)
    document = latest.document if latest else None
    nodes = [dict(n, display_name=_name(n, locale)) for n in (document or {}).get("nodes", [])]
    blocks, round_matrices = ahp_blocks(study, locale)
    if not blocks:
        blocks = [{"round": None, "code": n["code"], "name": n["display_name"], "cr": n["cr"], "s_star": n["s_star"]}
                  for n in nodes if n["cr"] is not None or n["s_star"] is not None]
    answered_any = len({r.expert_id for rnd in study.rounds for r in rnd.responses if r.is_submitted})
    method = (document or {}).get("method", {})
    method_text = method.get("formula_zh" if locale == "zh" else "formula") or method.get("formula") or \
        " · ".join(str(x) for x in (method.get("priority_method_label") or method.get("priority_method"),
                                     method.get("aggregation"),
                                     f"CR < {method['threshold']}" if method.get("threshold") else None,
                                     method.get("ri_table") and f"RI: {method['ri_table']}") if x)
    return StudyReport(
        study=study, locale=locale, generated_at=now or utcnow(),
        coordinator=study.owner.display_name or study.owner.username,
        invited=invited, answered_any=answered_any, makeup=panel_makeup(study),
        description=render_markdown(study.description), methods=methods_appendix(study, rounds, invited),
        rounds=rounds, blocks=blocks, weight_set=latest, nodes=nodes,
        conclusions=render_markdown(study.conclusions),
        worked_ahp=worked_ahp(document) or worked_ahp(round_matrices),
        worked_delphi=worked_delphi(study, locale), method_text=method_text,
        round_zero=round_zero_exports.summary(study))


def set_conclusions(study: Study, text: str) -> None:
    study.conclusions = (text or "").strip()
    audit.record("report.conclusions", study=study, target=f"study:{study.id}")
