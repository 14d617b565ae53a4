"""The dashboard's tables as header and rows of plain Python values (CSV and XLSX are written from
them by ``webapp.services.exports``): which columns each table has, in the page language.

Pure: everything comes in as a :class:`~webapp.services.dashboard.RoundDashboard`; nothing here
queries the database. Numbers stay numbers (counts integers, statistics floats at full precision,
shares fractions 0–1, yes/no 1/0, a missing value None); "No opinion" is an empty rating.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timezone

from flask_babel import gettext as _

from webapp.presentation import (
    decision_label,
    failed_text,
    familiarity_label,
    panel_status_label,
    status_label,
    table_title,
)
from webapp.services import groups
from webapp.templating import current_locale

TABLES = ("items", "ratings", "rounds", "authority", "response", "panel", "comments", "groups")


# --- tables ----------------------------------------------------------------------------------

# kinds: text, int, num (2 decimals shown), num3, share (%), p, flag (1/0), time (UTC)
@dataclass
class Column:
    header: str
    kind: str = "text"


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns]


def _num(value):
    """A plain Python number or None (NaN and numpy scalars included)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _flag(value):
    return None if value is None else int(bool(value))


def _time(value):
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def locale_or_page(locale: str | None) -> str:
    return locale or current_locale()


def build_table(name: str, dashboard, locale: str | None = None) -> Table:
    """One of :data:`TABLES` as a header and rows of plain Python values."""
    if name not in TABLES:
        raise KeyError(name)
    return _BUILDERS[name](dashboard, locale_or_page(locale))


_STAT_COLUMNS = (
    ("n", "int"), ("mean", "num"), ("sd", "num"), ("cv", "num3"), ("median", "num"), ("q1", "num"),
    ("q3", "num"), ("iqr", "num"), ("agreement", "share"), ("full_score", "share"),
)


def _stat_columns(agree_at) -> list[Column]:
    headers = {
        "n": _("n"), "mean": _("Mean"), "sd": _("SD"), "cv": _("CV"), "median": _("Median"),
        "q1": _("Q1"), "q3": _("Q3"), "iqr": _("IQR"),
        "agreement": _("Agreement (share ≥ %(cut)s)", cut=f"{agree_at:g}"),
        "full_score": _("Full-score frequency"),
    }
    return [Column(headers[key], kind) for key, kind in _STAT_COLUMNS]


def _items(dashboard, locale) -> Table:
    report = dashboard.report
    stat_columns = _stat_columns(report.agree_at)
    columns = [Column(_("Code")), Column(_("Indicator")), stat_columns[0], Column(_("No opinion"), "int"),
               *stat_columns[1:],
               Column(_("Consensus (1 = yes)"), "flag"), Column(_("Criteria not met")),
               Column(_("Changed since last round (share)"), "share"), Column(_("CV change"), "num3"),
               Column(_("Wilcoxon p"), "p"), Column(_("Stable (1 = yes)"), "flag"),
               Column(_("Experts in both rounds"), "int"), Column(_("Decision"))]
    table = Table("items", table_title("items"), columns)
    has_stats = report.item_statistics is not None
    for item in report.items:
        s, st = item.stats, item.stability or {}
        stats = [_num(s.get(key)) for key, _kind in _STAT_COLUMNS]
        table.rows.append([
            item.node.code, item.name(locale), stats[0], item.no_opinion, *stats[1:],
            _flag(item.consensus) if has_stats else None,
            failed_text(item.failed),
            _num(st.get("changed")), _num(st.get("cv_change")), _num(st.get("p")),
            _flag(st.get("stable")) if item.stability else None, _num(st.get("n_paired")),
            decision_label(item.decision),
        ])
    return table


def _ratings(dashboard, locale) -> Table:
    matrix = dashboard.report.matrix
    columns = [Column(_("Expert number")), Column(_("Stakeholder group"))]
    columns += [Column(node.code, "int") for node in matrix.nodes]
    table = Table("ratings", table_title("ratings"), columns)
    for i, expert in enumerate(matrix.experts):
        table.rows.append([expert.pseudonym, _group(dashboard, expert),
                           *(None if math.isnan(v) else int(v) for v in matrix.ratings[i])])
    return table


def _group(dashboard, expert) -> str:
    """The expert's stakeholder group, named as the study names it in the page language."""
    return dashboard.group_names.get(groups.key_of(expert), "")


def _rounds(dashboard, locale) -> Table:
    columns = [Column(_("Round"), "int"), Column(_("Status")), Column(_("Invited"), "int"),
               Column(_("Answered (submitted)"), "int"), Column(_("Response rate (positive coefficient)"), "share"),
               Column(_("Drafts not submitted"), "int"), Column(_("Number of indicators"), "int"),
               Column(_("Kendall's W (tie-corrected)"), "num3"), Column(_("Kendall's W (uncorrected)"), "num3"),
               Column("χ²", "num"), Column(_("df"), "int"), Column("p", "p"),
               Column(_("Experts used for W"), "int"),
               Column(_("W with missing ranks at the mid-rank (uncorrected)"), "num3"),
               Column(_("Indicators with consensus"), "int"),
               Column(_("Consensus share"), "share"), Column(_("Mean authority Cr"), "num3")]
    table = Table("rounds", table_title("rounds"), columns)
    for past in dashboard.history:
        w = past.concordance
        table.rows.append([
            past.round.number, status_label(past.round.status.value), past.invited, past.answered,
            _num(past.response_rate) if past.invited else None, past.drafts, len(past.items),
            _num(w.w_corrected) if w else None, _num(w.w_uncorrected) if w else None,
            _num(w.chi2) if w else None, _num(w.df) if w else None, _num(w.p) if w else None,
            _num(w.m_used) if w else None,
            _num(past.concordance_midrank.w) if past.concordance_midrank is not None else None,
            past.consensus.n_reached if past.consensus is not None else None,
            _num(past.consensus_share), _num(past.authority.mean) if past.authority else None,
        ])
    return table


def _authority(dashboard, locale) -> Table:
    columns = [Column(_("Expert number")), Column(_("Stakeholder group")), Column(_("Familiarity")),
               Column(_("Judgment basis Ca"), "num"), Column(_("Familiarity Cs"), "num"),
               Column(_("Authority Cr"), "num3"), Column(_("Cr ≥ %(t)s (1 = yes)", t="0.7"), "flag")]
    result = dashboard.report.authority
    if result is not None:
        columns[-1] = Column(_("Cr ≥ %(t)s (1 = yes)", t=f"{result.threshold:g}"), "flag")
    table = Table("authority", table_title("authority"), columns)
    for row in dashboard.authority_rows:
        expert = row.expert
        table.rows.append([
            expert.pseudonym, _group(dashboard, expert),
            familiarity_label(expert.familiarity), _num(row.ca), _num(row.cs), _num(row.cr), _flag(row.acceptable)])
    return table


def _response(dashboard, locale) -> Table:
    columns = [Column(_("Expert number")), Column(_("Stakeholder group")), Column(_("Status")),
               Column(_("Indicators answered"), "int"), Column(_("Number of indicators"), "int"),
               Column(_("Submitted at (UTC)"), "time"), Column(_("Last saved (UTC)"), "time"),
               Column(_("Counted as invited (1 = yes)"), "flag")]
    table = Table("response", table_title("response"), columns)
    total = len(dashboard.report.items)
    for member in dashboard.panel:
        expert = member.expert
        table.rows.append([
            expert.pseudonym, _group(dashboard, expert),
            panel_status_label(member.status), member.answered_items, total, _time(member.submitted_at),
            _time(member.saved_at), _flag(member.counted)])
    return table


def _panel(dashboard, locale) -> Table:
    columns = [Column(_("Expert number")), Column(_("Name")), Column(_("E-mail")), Column(_("Organisation")),
               Column(_("Stakeholder group")), Column(_("Status")), Column(_("Indicators answered"), "int"),
               Column(_("Number of indicators"), "int"), Column(_("Submitted at (UTC)"), "time"),
               Column(_("Last saved (UTC)"), "time"), Column(_("Last seen (UTC)"), "time"),
               Column(_("Link revoked (1 = yes)"), "flag")]
    table = Table("panel", table_title("panel"), columns)
    total = len(dashboard.report.items)
    for member in dashboard.panel:
        expert = member.expert
        table.rows.append([
            expert.pseudonym, expert.name, expert.email or "", expert.organisation,
            _group(dashboard, expert),
            panel_status_label(member.status), member.answered_items, total, _time(member.submitted_at),
            _time(member.saved_at), _time(expert.last_seen_at), _flag(expert.is_revoked)])
    return table


def _comments(dashboard, locale) -> Table:
    columns = [Column(_("Code")), Column(_("Indicator")), Column(_("Expert number")), Column(_("Kind")),
               Column(_("Rating"), "int"), Column(_("Text"))]
    table = Table("comments", table_title("comments"), columns)
    matrix = dashboard.report.matrix
    values = {(e.pseudonym, node.id): matrix.ratings[i, j]
              for i, e in enumerate(matrix.experts) for j, node in enumerate(matrix.nodes)}
    for item in dashboard.report.items:
        node = item.node
        for pseudonym, text in item.comments_by:
            table.rows.append([node.code, item.name(locale), pseudonym, _("Comment"),
                               _rating(values.get((pseudonym, node.id))), text])
        for reason in dashboard.reasons.get(node.id, []):
            table.rows.append([node.code, item.name(locale), reason.pseudonym, _("Reason outside the IQR"),
                               reason.value, reason.text])
    return table


def _rating(value):
    return None if value is None or math.isnan(value) else int(value)


def _groups(dashboard, locale) -> Table:
    report = dashboard.report
    columns = [Column(_("Stakeholder group")), Column(_("Code")), Column(_("Indicator")),
               *_stat_columns(report.agree_at), Column(_("Consensus (1 = yes)"), "flag")]
    table = Table("groups", table_title("groups"), columns)
    for key, view in dashboard.groups.items():
        for item in view.items:
            table.rows.append([dashboard.group_names.get(key, key), item.node.code, item.name(locale),
                               *(_num(item.stats.get(k)) for k, _kind in _STAT_COLUMNS),
                               None if view.consensus_error else _flag(item.consensus)])
    return table


_BUILDERS = {
    "items": _items, "ratings": _ratings, "rounds": _rounds, "authority": _authority,
    "response": _response, "panel": _panel, "comments": _comments, "groups": _groups,
}
