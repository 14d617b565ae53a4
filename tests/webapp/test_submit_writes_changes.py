"""The questionnaire's form post writes only the answers it changes (``answers.changed_answers``).

The page autosaves each answer as the expert gives it, then Submit posts the whole form
again. Before, every posted answer was written again (63 new row versions of unchanged
ratings on the seed hierarchy); now a rating is written only if the post changes it,
and what is stored afterwards is the same as before."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from tests.helpers.panels import open_round, status_of, stored

from webapp.extensions import db
from webapp.models import Rating, Response, ResponseStatus
from webapp.services.answers import changed_answers
from webapp.services.questionnaire_page import AnswerRow


def _stamps(app, expert_id, round_id) -> dict[int, datetime]:
    with app.app_context():
        return dict(db.session.execute(select(Rating.node_id, Rating.updated_at).join(Response).where(
            Response.expert_id == expert_id, Response.round_id == round_id)).all())


def _autosave(client, round_id, answers):
    saved = client.post(f"/api/v1/rounds/{round_id}/answers", json={"answers": answers})
    assert saved.status_code == 200, saved.get_json()


def test_submit_after_autosaves_writes_only_what_it_changes(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    expert_id = panel.experts[0][0]
    _autosave(expert_client, round_id, [{"node_id": nodes[0], "value": 5}, {"node_id": nodes[1], "value": 3},
                                        {"node_id": nodes[2], "no_opinion": True}])
    _autosave(expert_client, round_id, [{"node_id": nodes[3], "value": 2, "comment": "Too broad"}])
    before = _stamps(app, expert_id, round_id)
    response = expert_client.post(f"/expert/rounds/{round_id}?lang=en", data={
        "action": "submit", f"rate_{nodes[0]}": "5", f"rate_{nodes[1]}": "4", f"rate_{nodes[2]}": "na",
        f"rate_{nodes[3]}": "2", f"comment_{nodes[0]}": "", f"comment_{nodes[3]}": "  Too broad "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rounds/{round_id}/thanks")
    assert status_of(app, expert_id, round_id) is ResponseStatus.submitted
    assert stored(app, expert_id, round_id) == {
        nodes[0]: (5, False, "", ""), nodes[1]: (4, False, "", ""), nodes[2]: (None, True, "", ""),
        nodes[3]: (2, False, "Too broad", "")}
    after = _stamps(app, expert_id, round_id)
    changed = {node for node in after if after[node] != before[node]}
    assert changed == {nodes[1]}   # the one rating the post changed; before, all four were written again


def test_changed_answers_compares_each_given_key_as_it_would_be_stored():
    stored_rows = {1: AnswerRow(1, 4, False, "Clear", ""), 2: AnswerRow(2, None, True, "", ""),
                   3: AnswerRow(3, 2, False, "", "")}
    posted = [
        {"node_id": 1, "value": 4, "no_opinion": False, "comment": " Clear  "},   # same once stripped
        {"node_id": 1, "comment": "Clearer"},                                     # a changed comment
        {"node_id": 2, "no_opinion": True},                                       # same
        {"node_id": 2, "value": 3, "no_opinion": False},                          # now rated
        {"node_id": 3, "value": "2"},                 # not a rating: kept, so the save refuses it
        {"node_id": 3, "reason": "Because"},          # a new reason
        {"node_id": 4, "value": 1},                   # nothing stored yet
    ]
    assert changed_answers(posted, stored_rows) == posted[1:2] + posted[3:]
    assert changed_answers(posted, {}) == posted
