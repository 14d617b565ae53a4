"""Round 0 before and after it runs, over HTTP: the coordinator edits a draft round 0's welcome
text and deadline and previews the expert's page (en, zh; nothing saved); the proposals export
(CSV, XLSX) by pseudonym only with decisions and notes; the study report (HTML, DOCX) counts
round 0's proposals by decision. Refusals store nothing."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.helpers import snapshot
from tests.webapp.test_round_zero import (  # noqa: F401
    create_round_zero,
    expert,
    node_id,
    proposal_id,
    propose,
    study_with_panel,
)
from webapp.extensions import db
from webapp.models import AuditEvent, Proposal, ProposalKind, ProposalStatus, Round, RoundStatus

HEADER_EN = ["No.", "Expert number", "Kind", "Indicator concerned", "Where it belongs (under)", "Proposal",
             "What it measures", "Rationale", "Decision", "Merged into No.", "Indicator created",
             "Coordinator's note", "Received at (UTC)"]


def test_edit_and_preview_a_draft_round_zero(app, coordinator_client, study_with_panel):
    sid, _tokens = study_with_panel
    c = coordinator_client
    rid = create_round_zero(c, sid)
    page = c.get(f"/studies/{sid}/rounds/{rid}?lang=en").get_data(as_text=True)
    assert f"/studies/{sid}/rounds/{rid}/round-zero/edit" in page
    assert f"/studies/{sid}/rounds/{rid}/round-zero/preview" in page
    form = c.get(f"/studies/{sid}/rounds/{rid}/round-zero/edit?lang=en").get_data(as_text=True)
    assert "Edit round 0" in form and "Which indicators are missing?" in form

    audits = lambda: db.session.scalar(select(func.count(AuditEvent.id)))  # noqa: E731
    with app.app_context():
        before_audits = audits()
    saved = c.post(f"/studies/{sid}/rounds/{rid}/round-zero/edit", data={
        "title": "Proposals for the 2027 system", "instructions": "Welcome! Which **aspects** are missing?",
        "opens_at": "", "closes_at": "2031-01-15T18:00", "reminder_hours": "24"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/studies/{sid}/rounds/{rid}")
    with app.app_context():
        rnd = db.session.get(Round, rid)
        assert rnd.title == "Proposals for the 2027 system" and rnd.instructions.startswith("Welcome!")
        assert rnd.reminder_hours == 24 and rnd.status is RoundStatus.draft
        closes = rnd.closes_at if rnd.closes_at.tzinfo else rnd.closes_at.replace(tzinfo=timezone.utc)
        assert closes == datetime(2031, 1, 15, 18, 0, tzinfo=timezone.utc)   # the study's zone is UTC
        assert audits() == before_audits + 1
    form = c.get(f"/studies/{sid}/rounds/{rid}/round-zero/edit").get_data(as_text=True)
    assert 'value="2031-01-15T18:00"' in form

    before = snapshot(app)
    for lang, banner in (("en", "Preview: this is the questionnaire as the experts see it."),
                         ("zh", "预览：这是专家看到的问卷。")):
        preview = c.get(f"/studies/{sid}/rounds/{rid}/round-zero/preview?lang={lang}")
        html = preview.get_data(as_text=True)
        assert preview.status_code == 200 and banner in html
        assert "Proposals for the 2027 system" in html and "<strong>aspects</strong>" in html
        assert "A1.1" in html and "E00" in html
        body = html[html.index('<header class="q-head">'):]
        # round_zero.js switches the fields by kind; with no save URL it autosaves nothing
        assert 'data-save-url=""' in body and 'name="csrf_token"' not in body
        assert f'method="get" action="/studies/{sid}/rounds/{rid}/round-zero/preview"' in html
        assert "/expert/" not in body                            # nothing posts to the expert's routes
    assert "检测能力" in html                                       # the draft system in Chinese
    filled = c.get(f"/studies/{sid}/rounds/{rid}/round-zero/preview?kind=add&text=Fees&parent=1")
    assert filled.status_code == 200 and 'value="Fees"' in filled.get_data(as_text=True)
    assert snapshot(app) == before                                   # the preview saved nothing


def test_round_zero_edit_refusals_store_nothing(app, coordinator_client, study_with_panel):
    from webapp.services import round_lifecycle, round_zero

    sid, _tokens = study_with_panel
    c = coordinator_client
    rid = create_round_zero(c, sid)
    before = snapshot(app)
    bad = c.post(f"/studies/{sid}/rounds/{rid}/round-zero/edit?lang=en", data={
        "title": "x", "instructions": "y", "opens_at": "2031-02-01T10:00", "closes_at": "2031-01-01T10:00",
        "reminder_hours": ""})
    assert bad.status_code == 400 and "The round must open before it closes." in bad.get_data(as_text=True)
    # a date the study's time zone would push off the calendar: refused like on every round form
    off = c.post(f"/studies/{sid}/rounds/{rid}/round-zero/edit?lang=en", data={
        "title": "x", "instructions": "y", "opens_at": "", "closes_at": "9999-12-31T23:00", "reminder_hours": ""})
    assert off.status_code == 400 and "Choose a date between the years 2000 and 2999." in off.get_data(as_text=True)
    forged = c.post(f"/studies/{sid}/rounds/{rid}/round-zero/edit", csrf=False,
                    data={"title": "forged", "instructions": "", "opens_at": "", "closes_at": "", "reminder_hours": ""})
    assert forged.status_code == 400
    assert snapshot(app) == before
    # a round that is not this study's round 0 has no round-0 pages
    for missing in (rid + 999,):
        assert c.get(f"/studies/{sid}/rounds/{missing}/round-zero/edit").status_code == 404
        assert c.get(f"/studies/{sid}/rounds/{missing}/round-zero/preview").status_code == 404
        assert c.get(f"/studies/{sid}/rounds/{missing}/round-zero/proposals.csv").status_code == 404
    # once open, the text and timing stay as the experts saw them
    assert c.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    before = snapshot(app)
    late = c.post(f"/studies/{sid}/rounds/{rid}/round-zero/edit?lang=en", data={
        "title": "late", "instructions": "changed", "opens_at": "", "closes_at": "", "reminder_hours": ""})
    assert late.status_code == 302
    assert "Round 0 has opened" in c.get(late.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert snapshot(app) == before
    with app.app_context():
        rnd = db.session.get(Round, rid)
        try:
            round_zero.update_round_zero(rnd, title="late")
        except round_lifecycle.RoundError:
            pass
        else:
            raise AssertionError("an open round 0 was changed")
        db.session.rollback()
    assert snapshot(app) == before


def decided_round_zero(app, c, sid, tokens):
    """Round 0 with 3 proposals (1 merged into 1 accepted, 1 rejected with a note) and a comment."""
    rid = create_round_zero(c, sid)
    assert c.post(f"/studies/{sid}/rounds/{rid}/open").status_code == 302
    a, b = node_id(app, sid, "A"), node_id(app, sid, "B")
    e1, e2 = expert(app, tokens[0]), expert(app, tokens[1])
    assert propose(e1, rid, kind="add", text="Data security capability", parent=str(a)).status_code == 302
    assert e1.post(f"/expert/rounds/{rid}/round-zero/comment", data={"comment": "Add service fees."}).status_code \
        in (200, 302)
    assert propose(e2, rid, kind="add", text="数据安全能力", parent=str(a)).status_code == 302
    assert propose(e2, rid, kind="add", text="收费合理性", parent=str(b), rationale="收费影响满意度").status_code == 302
    for client in (e1, e2):
        assert client.post(f"/expert/rounds/{rid}/round-zero/submit").status_code == 302
    assert c.post(f"/studies/{sid}/rounds/{rid}/close").status_code == 302
    en, zh, fee = (proposal_id(app, t) for t in ("Data security capability", "数据安全能力", "收费合理性"))
    assert c.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{en}/merge",
                  data={f"p{en}-into": str(zh)}).status_code == 302
    assert c.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{zh}/accept",
                  data={f"p{zh}-code": "A5", f"p{zh}-parent": str(a), f"p{zh}-name_zh": "数据安全能力",
                        f"p{zh}-name_en": "Data security capability", f"p{zh}-description_zh": "",
                        f"p{zh}-description_en": ""}).status_code == 302
    assert c.post(f"/studies/{sid}/rounds/{rid}/round-zero/proposals/{fee}/reject",
                  data={f"p{fee}-note": "Covered by B2."}).status_code == 302
    return rid, en, zh, fee


def test_proposals_export_by_pseudonym_with_decisions(app, coordinator_client, study_with_panel):
    sid, tokens = study_with_panel
    c = coordinator_client
    rid, en, zh, fee = decided_round_zero(app, c, sid, tokens)
    before = snapshot(app)
    response = c.get(f"/studies/{sid}/rounds/{rid}/round-zero/proposals.csv?lang=en")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == HEADER_EN and len(rows) == 5
    body = {int(r[0]): r for r in rows[1:]}
    assert body[en][1:3] == ["E01", "Add an indicator"] and body[en][8] == "Merged with a similar proposal"
    assert body[en][9] == str(zh) and body[en][10].startswith("A5 ")
    assert body[zh][1] == "E02" and body[zh][4].startswith("A ") and body[zh][8] == "Accepted"
    assert body[fee][7] == "收费影响满意度" and body[fee][8] == "Not adopted" and body[fee][11] == "Covered by B2."
    comment = next(r for r in rows[1:] if r[5] == "Add service fees.")
    assert comment[1] == "E01" and comment[2] == "General comment" and comment[8] == ""
    text = response.get_data(as_text=True)
    assert "Expert 0" not in text and "Expert 1" not in text and "@example.org" not in text

    zh_rows = list(csv.reader(io.StringIO(c.get(f"/studies/{sid}/rounds/{rid}/round-zero/proposals.csv?lang=zh")
                                          .get_data(as_text=True).lstrip("\ufeff"))))
    assert zh_rows[0][:3] == ["序号", "专家编号", "类型"] and "组织者备注" in zh_rows[0]
    assert {r[8] for r in zh_rows[1:]} == {"已采纳", "已与相同建议合并", "未采纳", ""}

    xlsx = c.get(f"/studies/{sid}/rounds/{rid}/round-zero/proposals.xlsx?lang=en")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == rows
    assert snapshot(app) == before
    # the round page and the proposals page link to both files
    for url in (f"/studies/{sid}/rounds/{rid}", f"/studies/{sid}/rounds/{rid}/round-zero"):
        html = c.get(url).get_data(as_text=True)
        assert "round-zero/proposals.csv" in html and "round-zero/proposals.xlsx" in html


def test_study_report_counts_round_zero(app, coordinator_client, study_with_panel):
    sid, tokens = study_with_panel
    c = coordinator_client
    plain = c.get(f"/studies/{sid}/report/view?lang=en").get_data(as_text=True)
    assert "Round 0: open proposals" not in plain
    decided_round_zero(app, c, sid, tokens)
    with app.app_context():                    # the counts, straight from the table
        rows = db.session.execute(select(Proposal.kind, Proposal.status, Proposal.expert_id)).all()
    ideas = [r for r in rows if r.kind is not ProposalKind.comment]
    by = {s: sum(r.status is s for r in ideas) for s in ProposalStatus}
    assert (len(ideas), by[ProposalStatus.accepted], by[ProposalStatus.merged], by[ProposalStatus.rejected]) == \
        (3, 1, 1, 1)
    experts = len({r.expert_id for r in rows})
    sentence_en = (f"{len(ideas)} proposals from {experts} experts: 1 accepted, 1 merged, 1 rejected, "
                   "0 not decided; 1 general comments.")
    sentence_zh = f"{experts} 位专家共提出 {len(ideas)} 条建议：采纳 1 条，合并 1 条，未采纳 1 条，尚未决定 0 条；总体意见 1 条。"
    html = c.get(f"/studies/{sid}/report/view?lang=en").get_data(as_text=True)
    assert "Round 0: open proposals" in html and sentence_en in html
    assert sentence_zh in c.get(f"/studies/{sid}/report/view?lang=zh").get_data(as_text=True)
    for lang, heading, sentence in (("en", "Round 0: open proposals", sentence_en),
                                    ("zh", "第 0 轮：开放征询", sentence_zh)):
        docx = c.get(f"/studies/{sid}/report.docx?lang={lang}")
        assert docx.status_code == 200
        paragraphs = [p.text for p in Document(io.BytesIO(docx.data)).paragraphs]
        assert heading in paragraphs and sentence in paragraphs
