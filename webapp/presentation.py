"""Labels and rules in words, in the page language: one place for each wording.

Services, forms, exports and templates take their labels from here (templates
get this module as ``labels`` on the dashboard and the functions below as
globals), so the same thing is never worded two ways.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

from webapp.services.ahp_settings import AGGREGATIONS, EXPERT_WEIGHTS, PRIORITY_METHODS

PERCENT_CRITERIA = ("agreement_min", "full_score_min")


# A language is named in itself (as the language choices of the forms do).
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def weight_method_text(method: dict) -> str:
    """A weight set's AHP method in words (its stored keys ``priority_method``, ``aggregation`` and
    ``expert_weights``), e.g. "Principal eigenvector (Saaty) · Aggregation of individual judgments (AIJ) ·
    expert weights: Equal"; a key without a label is shown as it is, a missing one left out."""
    def label(table, key) -> str:
        return str(table[key]) if key in table else str(key)

    parts = [label(table, method[key]) for key, table in (("priority_method", PRIORITY_METHODS),
                                                          ("aggregation", AGGREGATIONS)) if method.get(key)]
    if method.get("expert_weights"):
        parts.append(_("expert weights: %(how)s", how=label(EXPERT_WEIGHTS, method["expert_weights"])))
    return " · ".join(parts)


def table_title(name: str) -> str:
    """The name of a dashboard table (also the XLSX sheet name: at most 31 characters)."""
    return {
        "items": _("Item statistics"), "ratings": _("Raw ratings"), "rounds": _("Rounds summary"),
        "authority": _("Authority per expert"), "response": _("Response"),
        "panel": _("Panel contacts"), "comments": _("Comments and reasons"),
        "groups": _("Statistics by group"), "notes": _("Notes"),
    }[name]


# --- statuses ------------------------------------------------------------------------------

def status_label(value: str) -> str:
    """A study, round or response status, or a round kind."""
    labels = {
        "draft": _("Draft"), "running": _("Running"), "finished": _("Finished"),
        "open": _("Open"), "closed": _("Closed"), "submitted": _("Submitted"),
        "delphi": _("Delphi"), "ahp": _("AHP"), "proposals": _("Open proposals"),
        "combined": _("Combined weights (subjective + objective)"),
    }
    return labels.get(value, value)


def panel_status_label(status: str) -> str:
    """Where an expert stands in a round: submitted, draft in progress or not started."""
    return {"submitted": _("Submitted"), "draft": _("Draft in progress"),
            "none": _("Not started")}.get(status, status)


def decision_label(decision: str | None) -> str:
    return {"keep": _("Keep"), "drop": _("Drop"), "reword": _("Reword")}.get(decision or "", "")


def proposal_kind_labels() -> dict[str, str]:
    return {"add": _("Add an indicator"), "merge": _("Merge indicators"), "drop": _("Drop an indicator"),
            "reword": _("Reword an indicator"), "comment": _("General comment")}


def proposal_status_labels() -> dict[str, str]:
    return {"pending": _("Received"), "accepted": _("Accepted"), "rejected": _("Not adopted"),
            "merged": _("Merged with a similar proposal")}


# --- the panel's profile ----------------------------------------------------------------------

def familiarity_labels() -> dict[str, str]:
    return {"very": _("Very familiar"), "familiar": _("Familiar"), "moderate": _("Moderately familiar"),
            "little": _("Not very familiar"), "unfamiliar": _("Unfamiliar")}


def familiarity_label(value: str | None) -> str:
    return familiarity_labels().get(value or "", "")


def basis_source_labels() -> dict[str, str]:
    return {"practice": _("Practical experience"), "theory": _("Theoretical analysis"),
            "literature": _("Literature (domestic and international)"), "intuition": _("Intuition")}


def basis_level_labels() -> dict[str, str]:
    return {"high": _("High"), "medium": _("Medium"), "low": _("Low")}


# --- consensus rules ----------------------------------------------------------------------

def criterion_label(name: str) -> str:
    return {
        "mean_min": _("Mean"), "median_min": _("Median"), "iqr_max": _("Interquartile range (IQR)"),
        "cv_max": _("Coefficient of variation (CV)"), "agreement_min": _("Agreement"),
        "full_score_min": _("Full-score frequency"),
    }.get(name, name)


def failed_label(name: str) -> str:
    """Why an item misses consensus, naming the criterion it fails."""
    return {
        "mean_min": _("mean too low"), "median_min": _("median too low"), "iqr_max": _("IQR too wide"),
        "cv_max": _("CV too high"), "agreement_min": _("agreement too low"),
        "full_score_min": _("full-score frequency too low"),
    }.get(name, name)


def failed_text(names) -> str:
    """The criteria an item fails, in words: "mean too low, CV too high"."""
    return _(", ").join(failed_label(name) for name in names)


def agreement_label(cut: float, scale_max: float) -> str:
    """What counts as "agree": "ratings 7–9"."""
    return _("ratings %(low)s–%(high)s", low=f"{cut:g}", high=f"{scale_max:g}")


def criterion_text(rule, name: str, *, scale: tuple | None = None) -> str:
    """One criterion of ``rule`` in words: "Mean > 3.5", "Agreement (ratings 7–9) ≥ 70%"."""
    threshold = rule.criteria.get(name)
    label = criterion_label(name)
    scale = rule.scale or scale
    if name == "agreement_min" and (scale is not None or rule.agree_at is not None):
        label += " (" + (agreement_label(rule.agree_cut(*scale), scale[1]) if scale is not None
                         else _("ratings ≥ %(cut)s", cut=f"{rule.agree_at:g}")) + ")"
    if threshold is None:
        return label
    op = rule.operator(name).replace(">=", "≥").replace("<=", "≤")
    value = f"{100 * threshold:g}%" if name in PERCENT_CRITERIA else f"{threshold:g}"
    return f"{label} {op} {value}"


def rule_in_words(rule, *, scale: tuple | None = None) -> str:
    """THE consensus rule in words, in the page language, e.g.
    "Mean > 3.5 and Coefficient of variation (CV) < 0.25 (scale 1–5)" or
    "Agreement (ratings 7–9) ≥ 70% (scale 1–9)".

    ``scale``: the round's (low, high) when the rule itself names none, so the
    "agree" cut can be stated.
    """
    joiner = _(" and ") if rule.combine == "all" else _(" or ")
    text = joiner.join(criterion_text(rule, name, scale=scale) for name in rule.criteria)
    if rule.scale:
        text += " " + _("(scale %(low)s–%(high)s)", low=f"{rule.scale[0]:g}", high=f"{rule.scale[1]:g}")
    return text


def level_name(level: int) -> str:
    """An indicator level as a noun phrase: "first-level indicators"."""
    return {1: _("first-level indicators"), 2: _("second-level indicators"),
            3: _("third-level indicators")}.get(level) or _("level %(n)s indicators", n=level)


def w_basis(w, answered: int) -> str:
    """Whom Kendall's W counts: "from 3 of 8 experts"."""
    return _("from %(m)s of %(n)s experts", m=w.m_used, n=answered)


def settings_lines(report) -> list[tuple[str, str]]:
    """A round's frozen analysis settings in words, (topic, text), for reports and exports."""
    settings, rnd = report.settings, report.round
    _basis, familiarity = settings.authority_tables
    wilcoxon = settings.wilcoxon
    return [
        (_("Consensus rule"), rule_in_words(settings.rule, scale=(rnd.scale_min, rnd.scale_max))),
        (_("Agreement"), _("Agreement counts ratings %(cut)s–%(max)s; rating scale %(min)s–%(max)s.",
                           cut=f"{report.agree_at:g}", min=rnd.scale_min, max=rnd.scale_max)),
        (_("Quartiles"), _("Quartiles: R type %(n)s (linear interpolation).", n=settings.get("quantile_type", 7))),
        (_("Missing values"), _("“No opinion” counts as a missing rating.")),
        (_("Kendall's W"), _("Kendall's W: experts with a missing rating are left out (listwise); beside it, "
                             "W with missing ranks at the mid-rank.")),
        (_("Stability"), _("Stability: Wilcoxon signed-rank test, α = %(alpha)s (zero differences: %(zero)s, "
                           "continuity correction: %(corr)s, %(method)s p-value), stable only with at least "
                           "%(m)s paired experts.", alpha=f"{settings.alpha:g}", zero=wilcoxon["zero_method"],
                           corr=_("yes") if wilcoxon["correction"] else _("no"), method=wilcoxon["method"],
                           m=settings.min_paired)),
        (_("Authority"), _("Authority Cr acceptable from %(t)s; familiarity weights: %(weights)s.",
                           t=f"{settings.cr_threshold:g}",
                           weights=", ".join(f"{familiarity_label(k)} {v:g}" for k, v in familiarity.items()))),
        (_("Feedback to experts"), _("Experts see the group result of an indicator only when at least %(n)s "
                                     "experts rated it.", n=settings.min_feedback_respondents)
         + (" " + _("Each expert also sees the result of their own stakeholder group, under the same minimum.")
            if settings.feedback_by_group else "")),
    ]


def format_p(p) -> str:
    """A p value as papers print it: three decimals, or "< 0.001"."""
    if p is None or p != p:
        return "–"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


# --- stop advice -------------------------------------------------------------------------

def stop_advice(dashboard) -> tuple[str, str, bool] | None:
    """(headline, detail, may_stop) from ``delphi.stopping`` for this round, or None."""
    stop = dashboard.stop
    if stop is None:
        return None
    nodes = dashboard.report.matrix.nodes
    pending = ", ".join(nodes[j].code for j in stop.pending[:12])
    if len(stop.pending) > 12:
        pending += _(" and %(n)s more", n=len(stop.pending) - 12)
    if stop.reason == "consensus":
        headline = _("The study may stop: every indicator reached consensus.")
    elif stop.reason == "stable":
        headline = _("The study may stop: the answers are stable between the last two rounds.")
    elif stop.reason == "max_rounds":
        headline = _("The study may stop: the round limit (%(n)s) is reached.", n=stop.max_rounds)
    else:
        headline = _("Another round is advised.")
    details = [_("%(n)s of %(total)s indicators reached consensus.", n=stop.n_consensus, total=stop.n_items)]
    if stop.n_stable is not None:
        details.append(_("%(n)s of %(total)s are stable since the previous round.", n=stop.n_stable,
                         total=stop.n_items))
        if stop.not_judged:
            details.append(_("%(n)s indicator(s): not enough paired answers to judge stability.",
                             n=len(stop.not_judged)))
    else:
        details.append(_("Stability is tested from round 2."))
    details.append(_("Round %(n)s of at most %(max)s.", n=stop.round, max=stop.max_rounds))
    if pending and stop.reason != "consensus":
        details.append(_("Without consensus: %(codes)s.", codes=pending))
    return headline, " ".join(details), bool(stop.stop)


_CHINESE_NUMBERS = "零一二三四五六七八九十"


def title_after_number(number: int, title: str | None) -> str:
    """``title`` without a leading "Round ``number``" (any case), "第``number``轮" (also in Chinese
    numerals up to ten) and the separator after it, so a heading "Round n · title" says the
    number once in either language.

    A bilingual title ("第三轮 AHP 两两比较 · Round 3 (AHP)") is read half by half (split at " · "):
    each half loses its leading (or trailing) round number, a remainder wholly in brackets loses the brackets, and
    a half left saying nothing the other halves do not ("AHP") is dropped."""
    title = (title or "").strip()
    spelled = [str(number)] + ([_CHINESE_NUMBERS[number]] if 0 <= number <= 10 else [])
    head = re.compile(rf"^(?:round\s*0*{number}(?![0-9a-z])|第\s*(?:0*{number}(?![0-9])|"
                      rf"{'|'.join(spelled[1:]) or '(?!)'})\s*轮)[\s:：·.,，、|/\-–—]*", re.IGNORECASE)
    tail = re.compile(rf"[\s:：·.,，、|/\-–—]*[(（]?(?<![0-9a-z])(?:round\s*0*{number}|第\s*(?:0*{number}|"
                      rf"{'|'.join(spelled[1:]) or '(?!)'})\s*轮)[)）]?$", re.IGNORECASE)
    halves = [h.strip() for h in re.split(r"\s+·\s+", title)]
    kept, numbered = [], []
    for half in halves:
        rest = head.sub("", half, count=1).strip()
        rest = tail.sub("", rest, count=1).strip() if rest else rest
        if rest != half:
            rest = re.sub(r"^[(（](.*)[)）]$", r"\1", rest).strip()
        kept.append(rest)
        numbered.append(rest != half)
    shown = [h for i, (h, cut) in enumerate(zip(kept, numbered)) if h and not (
        cut and any(h.casefold() in o.casefold() for j, o in enumerate(kept) if j != i and o))]
    return " · ".join(shown)
