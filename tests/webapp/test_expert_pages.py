"""The expert's pages: welcome, self-assessment, questionnaire, feedback from round 2,
the form post without JavaScript, submission, thanks and read-only answers."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from markupsafe import escape
from sqlalchemy import select
from tests.helpers import snapshot
from tests.helpers.panels import (
    answer,
    close_round,
    make_panel,
    open_round,
    status_of,
    stored,
    text,
)

from webapp.extensions import db
from webapp.models import (
    Expert,
    Node,
    Proposal,
    ResponseStatus,
    Round,
    Study,
    utcnow,
)
from webapp.services import round_scope

# --- welcome page ---------------------------------------------------------------------------------

def test_welcome_without_a_round(expert_client):
    page = text(expert_client.get("/expert/?lang=en"))
    assert "No round is open now" in page
    assert "You will be invited when the next one starts." in page
    zh = text(expert_client.get("/expert/?lang=zh"))
    assert "目前没有进行中的咨询轮次" in zh


def test_welcome_with_an_open_round(app, expert_client, panel):
    closes = utcnow() + timedelta(days=3, hours=1)
    instructions = "Rate **carefully**.\n\n<script>alert(1)</script>[x](javascript:alert(2))"
    round_id, nodes = open_round(app, panel.study_id, closes_at=closes, instructions=instructions)
    page = text(expert_client.get("/expert/?lang=en"))
    assert "<strong>carefully</strong>" in page
    assert "<script>alert" not in page and "javascript:" not in page
    assert closes.strftime("%Y-%m-%d %H:%M") + " UTC" in page
    assert "closes in 3 days" in page
    assert "4 indicators to rate" in page
    assert f'href="/expert/rounds/{round_id}"' in page and "Start" in page
    answer(app, panel.experts[0][0], round_id, [5, 4, None, None])
    page = text(expert_client.get("/expert/?lang=en"))
    assert "2 of 4 answered" in page and "Continue" in page and "not submitted yet" in page
    zh = text(expert_client.get("/expert/?lang=zh"))
    assert "已回答 2 / 4" in zh and "3天后截止" in zh


def test_welcome_after_submitting_and_after_the_round_closed(app, expert_client, panel):
    round_id, _nodes = open_round(app, panel.study_id)
    answer(app, panel.experts[0][0], round_id, [5, 4, 3, 2], submit=True)
    page = text(expert_client.get("/expert/?lang=en"))
    assert "You submitted your answers on" in page and "View my answers" in page
    close_round(app, round_id)
    page = text(expert_client.get("/expert/?lang=en"))
    assert "Thank you for your answers to round 1" in page
    assert "No round is open now" in page
    assert "Past rounds" in page and f'href="/expert/rounds/{round_id}"' in page


# --- self-assessment ------------------------------------------------------------------------------

def test_self_assessment_is_asked_before_the_first_questionnaire(app, client, make_study, make_expert):
    team = make_panel(app, make_study, make_expert, n=1, profile=False)
    round_id, _nodes = open_round(app, team.study_id)
    client.get(f"/i/{team.experts[0][1]}")
    response = client.get(f"/expert/rounds/{round_id}")
    assert response.status_code == 302 and "/expert/profile" in response.headers["Location"]
    page = text(client.get(response.headers["Location"] + "&lang=zh"))
    assert "熟悉程度" in page or "熟悉" in page
    before = snapshot(app)
    refused = client.post(f"/expert/profile?next=/expert/rounds/{round_id}",
                          data={"familiarity": "very", "basis_practice": "high"})  # basis incomplete
    assert refused.status_code == 400
    assert snapshot(app) == before
    done = client.post(f"/expert/profile?next=/expert/rounds/{round_id}", data={
        "field": "Testing", "years_experience": "12", "stakeholder_group": "practice", "familiarity": "very",
        "basis_practice": "high", "basis_theory": "medium", "basis_literature": "low", "basis_intuition": "low"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/expert/rounds/{round_id}")
    with app.app_context():
        expert = db.session.get(Expert, team.experts[0][0])
        assert expert.familiarity == "very" and expert.basis["theory"] == "medium"
        assert expert.years_experience == 12
    assert client.get(f"/expert/rounds/{round_id}").status_code == 200


def test_self_assessment_keeps_the_data_on_a_csrf_failure(app, client, make_study, make_expert):
    team = make_panel(app, make_study, make_expert, n=1, profile=False)
    client.get(f"/i/{team.experts[0][1]}")
    before = snapshot(app)
    response = client.post("/expert/profile?lang=en", csrf=False,
                           data={"field": "Metrology", "familiarity": "very"})
    assert response.status_code == 400
    page = text(response)
    assert "security token expired" in page and 'value="Metrology"' in page
    assert snapshot(app) == before


# --- the questionnaire ----------------------------------------------------------------------------

def test_questionnaire_lists_every_item_in_both_languages(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id, rated_level=None)
    with app.app_context():
        items = [db.session.get(Node, n) for n in nodes]
        names = [(n.code, n.name_en, n.name_zh) for n in items]
    assert len(names) == 63
    en = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    zh = text(expert_client.get(f"/expert/rounds/{round_id}?lang=zh"))
    positions = []
    for code, name_en, name_zh in names:
        assert f'<span class="q-code">{escape(code)}</span>' in en
        assert str(escape(name_en)) in en, name_en
        assert str(escape(name_zh)) in zh, name_zh
        positions.append(en.index(f'<span class="q-code">{escape(code)}</span>'))
    assert positions == sorted(positions)  # in the round's order
    for node_id in nodes:
        assert en.count(f'name="rate_{node_id}"') == 6  # 1–5 and "no opinion"
    for label in ("Not important at all", "Not important", "Moderately important", "Important", "Very important"):
        assert label in en
    for label in ("很不重要", "不重要", "一般", "重要", "很重要", "不熟悉，不评价"):
        assert label in zh
    assert "0 of 63 answered" in en and 'max="63"' in en
    assert "已回答 0 / 63" in zh
    # grouped under the parent's heading
    assert "Second-level indicators" in en and "二级指标" in zh and "三级指标" in zh


def test_the_script_gets_its_texts_from_the_page_and_nothing_is_inline(app, expert_client, panel):
    round_id, _nodes = open_round(app, panel.study_id)
    zh = text(expert_client.get(f"/expert/rounds/{round_id}?lang=zh"))
    assert 'data-msg-saved="已保存 ✓ {time}"' in zh
    assert 'data-msg-offline="离线中' in zh
    assert f'data-save-url="/api/v1/rounds/{round_id}/answers"' in zh
    assert '<script src="/static/js/questionnaire.js" defer></script>' in zh
    assert re.findall(r"<script(?![^>]*\bsrc=)", zh) == []  # the CSP forbids inline scripts
    assert "style=" not in zh and " on" + "click=" not in zh
    assert 'href="/static/css/questionnaire.css"' in zh


def test_a_nine_point_scale_labels_only_its_ends_and_no_opinion_can_be_off(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id, scale_min=1, scale_max=9, allow_no_opinion=False,
                                 allow_comments=False, allow_proposals=False)
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert page.count(f'name="rate_{nodes[0]}"') == 9
    assert 'value="na"' not in page and "No opinion / outside my expertise" not in page
    assert "Moderately important" not in page
    assert "Not important at all" in page and "Very important" in page
    assert 'name="comment_' not in page and 'name="proposal_text"' not in page


def test_stored_answers_are_shown_checked(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    answer(app, panel.experts[0][0], round_id, [5, "na", None, None], comments=["Keep it", None, None, None])
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert re.search(rf'name="rate_{nodes[0]}" value="5" checked', page)
    assert re.search(rf'name="rate_{nodes[1]}" value="na" checked', page)
    assert "Keep it</textarea>" in page
    assert "2 of 4 answered" in page


def test_another_studys_round_or_an_unknown_id_is_a_404(app, expert_client, panel, make_study, make_expert):
    other = make_panel(app, make_study, make_expert, n=1)
    foreign_round, _nodes = open_round(app, other.study_id)
    assert expert_client.get(f"/expert/rounds/{foreign_round}").status_code == 404
    assert expert_client.get("/expert/rounds/99999").status_code == 404
    with app.app_context():  # a draft of the expert's own study is not shown either
        draft = round_scope.create_delphi_round(db.session.get(Study, panel.study_id), rated_level=1)
        db.session.commit()
        draft_id = draft.id
    assert expert_client.get(f"/expert/rounds/{draft_id}").status_code == 404
    before = snapshot(app)
    assert expert_client.post(f"/expert/rounds/{foreign_round}", data={"action": "save"}).status_code == 404
    assert snapshot(app) == before


def test_expert_pages_need_the_invitation_session(app, client, panel):
    round_id, _nodes = open_round(app, panel.study_id)
    assert client.get("/expert/").status_code == 403
    assert client.get(f"/expert/rounds/{round_id}").status_code == 403


# --- the form post (works without JavaScript) -------------------------------------------------------

def test_the_form_post_saves_answers_without_javascript(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    response = expert_client.post(f"/expert/rounds/{round_id}?lang=en", data={
        "action": "save", f"rate_{nodes[0]}": "4", f"rate_{nodes[1]}": "na",
        f"comment_{nodes[0]}": "  Measurable  ", f"comment_{nodes[2]}": "", f"rate_{nodes[3]}": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/expert/rounds/{round_id}")
    assert "?" not in response.headers["Location"]
    saved = stored(app, panel.experts[0][0], round_id)
    assert saved == {nodes[0]: (4, False, "Measurable", ""), nodes[1]: (None, True, "", "")}  # nothing empty stored
    assert status_of(app, panel.experts[0][0], round_id) is ResponseStatus.draft
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert "Your answers are saved" in page


def test_submit_with_missing_answers_is_refused_and_the_answers_kept(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    response = expert_client.post(f"/expert/rounds/{round_id}?lang=en", data={
        "action": "submit", f"rate_{nodes[0]}": "5", f"rate_{nodes[1]}": "3",
        f"comment_{nodes[1]}": "Hard to measure"})
    assert response.status_code == 400
    page = text(response)
    assert "2 indicator(s) still need an answer" in page
    assert re.search(rf'name="rate_{nodes[0]}" value="5" checked', page)
    assert "Hard to measure</textarea>" in page
    assert page.count("This indicator still needs an answer.") == 4  # one note per item, hidden when answered
    assert len(re.findall(r'class="error q-missing-note">', page)) == 2
    # the answers are saved, the questionnaire is not submitted
    assert stored(app, panel.experts[0][0], round_id) == {
        nodes[0]: (5, False, "", ""), nodes[1]: (3, False, "Hard to measure", "")}
    assert status_of(app, panel.experts[0][0], round_id) is ResponseStatus.draft


def test_submit_with_nothing_answered_stores_nothing(app, expert_client, panel):
    round_id, _nodes = open_round(app, panel.study_id)
    before = snapshot(app)
    response = expert_client.post(f"/expert/rounds/{round_id}?lang=en", data={"action": "submit"})
    assert response.status_code == 400 and "4 indicator(s) still need an answer" in text(response)
    assert snapshot(app) == before


def test_submit_then_answers_are_read_only(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    data = {"action": "submit", f"rate_{nodes[0]}": "5", f"rate_{nodes[1]}": "4", f"rate_{nodes[2]}": "na",
            f"rate_{nodes[3]}": "2", f"comment_{nodes[3]}": "Overlaps with C"}
    response = expert_client.post(f"/expert/rounds/{round_id}", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/expert/rounds/{round_id}/thanks")
    assert status_of(app, panel.experts[0][0], round_id) is ResponseStatus.submitted
    thanks = text(expert_client.get(f"/expert/rounds/{round_id}/thanks?lang=en"))
    assert "Thank you" in thanks and "Overlaps with C" in thanks and "No opinion / outside my expertise" in thanks
    assert "Very important" in thanks and "4 of 4 answered" in thanks
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert "read-only" in page and 'type="radio"' not in page and "<textarea" not in page
    before = snapshot(app)
    again = expert_client.post(f"/expert/rounds/{round_id}", data={**data, f"rate_{nodes[0]}": "1"})
    assert again.status_code == 302
    assert snapshot(app) == before
    refused = expert_client.post(f"/api/v1/rounds/{round_id}/answers",
                                 json={"answers": [{"node_id": nodes[0], "value": 1}]})
    assert refused.status_code == 400 and refused.get_json()["closed"] is True
    assert snapshot(app) == before
    zh = text(expert_client.get(f"/expert/rounds/{round_id}/thanks?lang=zh"))
    assert "感谢" in zh


def test_the_form_keeps_the_data_on_a_csrf_failure(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    before = snapshot(app)
    response = expert_client.post(f"/expert/rounds/{round_id}?lang=en", csrf=False, data={
        "action": "submit", f"rate_{nodes[0]}": "5", f"comment_{nodes[0]}": "Typed before lunch"})
    assert response.status_code == 400
    page = text(response)
    assert "security token expired" in page
    assert re.search(rf'name="rate_{nodes[0]}" value="5" checked', page)
    assert "Typed before lunch</textarea>" in page
    assert snapshot(app) == before


def test_a_form_post_after_the_deadline_is_refused(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id, closes_at=utcnow() + timedelta(hours=1))
    answer(app, panel.experts[0][0], round_id, [5, 4, 3, None])
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))  # loaded before the deadline
    assert 'type="radio"' in page
    with app.app_context():
        db.session.get(Round, round_id).closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    before = snapshot(app)
    response = expert_client.post(f"/expert/rounds/{round_id}", data={"action": "submit", f"rate_{nodes[3]}": "2"})
    assert response.status_code == 302
    assert status_of(app, panel.experts[0][0], round_id) is ResponseStatus.draft
    after = snapshot(app)
    assert after["rating"] == before["rating"] and after["response"] == before["response"]
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert "This round is closed" in page and 'type="radio"' not in page


# --- proposals --------------------------------------------------------------------------------------

def test_proposals_are_added_and_listed(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    response = expert_client.post(f"/expert/rounds/{round_id}", data={
        "action": "propose", f"rate_{nodes[0]}": "4", "proposal_kind": "add", "proposal_node": str(nodes[2]),
        "proposal_text": "Customer complaint handling time", "proposal_rationale": "Often decisive"})
    assert response.status_code == 302
    assert stored(app, panel.experts[0][0], round_id)[nodes[0]][0] == 4  # the answers were saved too
    with app.app_context():
        proposal = db.session.scalar(select(Proposal))
        assert proposal.kind.value == "add" and proposal.parent_node_id == nodes[2] and proposal.node_id is None
    page = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert "Customer complaint handling time" in page and "Often decisive" in page
    before = snapshot(app)
    empty = expert_client.post(f"/expert/rounds/{round_id}?lang=en",
                               data={"action": "propose", "proposal_kind": "drop", "proposal_text": " "})
    assert empty.status_code == 400 and "Describe the proposal" in text(empty)
    assert snapshot(app) == before
    close_round(app, round_id)  # the read-only page of a closed round lists them too
    closed = text(expert_client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert "Your proposals" in closed and "Customer complaint handling time" in closed


# --- round 2: the group's anonymous feedback ----------------------------------------------------------

@pytest.fixture
def second_round(app, panel):
    """Round 1 answered and submitted by all four experts, with comments; round 2 open."""
    round1, nodes = open_round(app, panel.study_id)
    values = [[5, 2, 1, 4], [4, 3, 2, 4], [4, 4, 4, 5], [2, 4, 5, 5]]
    comments = [["Core of the platform", None, None, None], ["Hard to verify", None, None, None],
                [None, None, None, None], ["Should be split", None, None, None]]
    for (expert_id, _token), vals, notes in zip(panel.experts, values, comments):
        answer(app, expert_id, round1, vals, submit=True, comments=notes)
    close_round(app, round1)
    round2, nodes2 = open_round(app, panel.study_id)
    assert nodes2 == nodes
    return SimpleNamespace(round1=round1, round2=round2, nodes=nodes)


def test_round_two_shows_median_iqr_and_comments_without_identities(app, expert_client, panel, second_round):
    page = text(expert_client.get(f"/expert/rounds/{second_round.round2}?lang=en"))
    # item A: 5, 4, 4, 2 -> median 4; quartiles by delphi.item_stats
    with app.app_context():
        from webapp.services.feedback import feedback_for

        fb = feedback_for(db.session.get(Expert, panel.experts[0][0]),
                          db.session.get(Round, second_round.round2))[second_round.nodes[0]]
    assert fb.median == 4 and fb.own_value == 5
    assert "Group result of the last round" in page
    assert "<dt>Median</dt><dd>4</dd>" in page
    q1, q3 = (f"{x:g}" for x in (round(fb.q1, 2), round(fb.q3, 2)))
    assert f"<dd>{q1}–{q3}</dd>" in page
    assert "<svg" in page and 'class="bar own"' in page and "style=" not in page
    for comment in ("Core of the platform", "Hard to verify", "Should be split"):
        assert comment in page
    assert "Comments from the panel (3)" in page
    # no other expert's pseudonym, name or contact anywhere on the page
    for pseudonym in panel.pseudonyms[1:]:
        assert pseudonym not in page
    for i in range(4):
        assert f"Person Nr{i}" not in page and f"person{i}@example.org" not in page
    zh = text(expert_client.get(f"/expert/rounds/{second_round.round2}?lang=zh"))
    assert "上一轮专家组结果" in zh and "中位数" in zh and "四分位数间距" in zh


def test_the_reason_prompt_shows_for_a_stored_answer_outside_the_iqr(app, expert_client, panel, second_round):
    nodes = second_round.nodes
    # item A's IQR lies within 2–5; 1 is outside it, 4 inside.
    answer(app, panel.experts[0][0], second_round.round2, [1, 4, None, None])
    page = text(expert_client.get(f"/expert/rounds/{second_round.round2}?lang=en"))
    outside = page[page.index(f'id="item-{nodes[0]}"'):page.index(f'id="item-{nodes[1]}"')]
    inside = page[page.index(f'id="item-{nodes[1]}"'):page.index(f'id="item-{nodes[2]}"')]
    assert 'class="q-reason" data-reason>' in outside and "outside the middle half" in outside
    assert 'class="q-reason" data-reason hidden>' in inside
    assert 'data-q1="' in outside  # the script shows the field as soon as a rating leaves the IQR
    # the reason is saved with the answer (form post) and shown again
    response = expert_client.post(f"/expert/rounds/{second_round.round2}", data={
        "action": "save", f"rate_{nodes[0]}": "1", f"reason_{nodes[0]}": "Rarely used in practice"})
    assert response.status_code == 302
    assert stored(app, panel.experts[0][0], second_round.round2)[nodes[0]] == (1, False, "", "Rarely used in practice")


def test_a_past_round_is_read_only_with_the_experts_own_answers(app, expert_client, panel, second_round):
    page = text(expert_client.get(f"/expert/rounds/{second_round.round1}?lang=en"))
    assert "read-only" in page and 'type="radio"' not in page
    assert "Core of the platform" in page  # the expert's own comment
    assert "Hard to verify" not in page    # not another expert's
