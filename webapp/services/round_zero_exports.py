"""Round 0 in numbers and in files: the count of proposals by decision (for the study report) and
the export of every proposal (CSV and XLSX) by pseudonym only — never a name or an e-mail — with
its decision and the coordinator's note. Headers follow the reader's language (GLOSSARY terms:
专家编号 for the pseudonym). Every cell goes through ``spreadsheet``. Reads only.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from openpyxl import Workbook

from webapp.models import ProposalKind, ProposalStatus, Round, RoundStatus, Study
from webapp.presentation import proposal_kind_labels, proposal_status_labels
from webapp.services import spreadsheet
from webapp.services.round_zero import round_zero_of
from webapp.services.round_zero_decisions import proposals_of


@dataclass(frozen=True)
class RoundZeroSummary:
    status: str                 # the round's status: "draft", "open" or "closed"
    proposals: int              # proposals (general comments not counted)
    experts: int                # experts who made at least one proposal or comment
    accepted: int
    merged: int
    rejected: int
    pending: int
    comments: int               # general comments

    def sentence(self) -> str:
        """The study report's line: "Round 0: N proposals from m experts: a accepted, b merged, …"."""
        text = _("%(n)s proposals from %(m)s experts: %(a)s accepted, %(g)s merged, %(r)s rejected, "
                 "%(p)s not decided; %(c)s general comments.", n=self.proposals, m=self.experts, a=self.accepted,
                 g=self.merged, r=self.rejected, p=self.pending, c=self.comments)
        if self.status == "open":
            text += " " + _("Round 0 is still open.")
        return text


def summary(study: Study) -> RoundZeroSummary | None:
    """Round 0 of ``study`` in numbers, or None without a round 0 that has opened."""
    rnd = round_zero_of(study)
    if rnd is None or rnd.status is RoundStatus.draft:
        return None
    rows = proposals_of(rnd)
    ideas = [p for p in rows if p.kind is not ProposalKind.comment]
    counts = Counter(p.status for p in ideas)
    return RoundZeroSummary(
        status=rnd.status.value, proposals=len(ideas), experts=len({p.expert_id for p in rows}),
        accepted=counts[ProposalStatus.accepted], merged=counts[ProposalStatus.merged],
        rejected=counts[ProposalStatus.rejected], pending=counts[ProposalStatus.pending],
        comments=len(rows) - len(ideas))


def _indicator(node, locale: str) -> str:
    return "" if node is None else f"{node.code} {node.name(locale)}".strip()


def table(rnd: Round, locale: str) -> tuple[list[str], list[list]]:
    """One row per proposal (general comments included), oldest first."""
    kinds, statuses = proposal_kind_labels(), proposal_status_labels()
    header = [_("No."), _("Expert number"), _("Kind"), _("Indicator concerned"), _("Where it belongs (under)"),
              _("Proposal"), _("What it measures"), _("Rationale"), _("Decision"), _("Merged into No."),
              _("Indicator created"), _("Coordinator's note"), _("Received at (UTC)")]
    nodes = {n.id: n for n in rnd.study.nodes}
    rows = []
    for p in proposals_of(rnd):
        comment = p.kind is ProposalKind.comment
        rows.append([
            p.id, p.expert.pseudonym, kinds.get(p.kind.value, p.kind.value), _indicator(p.node, locale),
            _indicator(p.parent_node, locale), p.text, p.description or "", p.rationale or "",
            "" if comment else statuses.get(p.status.value, p.status.value), p.merged_into_id,
            _indicator(nodes.get(p.created_node_id), locale),
            p.decision_note or "", p.created_at.strftime("%Y-%m-%d %H:%M") if p.created_at else ""])
    return header, rows


def csv_export(rnd: Round, locale: str) -> bytes:
    return spreadsheet.csv_bytes(*table(rnd, locale))


def xlsx_export(rnd: Round, locale: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Proposals")[:31]
    header, rows = table(rnd, locale)
    spreadsheet.append_row(sheet, header)
    for row in rows:
        spreadsheet.append_row(sheet, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
