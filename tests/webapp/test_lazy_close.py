"""The lazy close of a round past its deadline, seen from the expert's pages (no scheduler needed):
the welcome page shows it closed, and the questionnaire page stores the close it makes itself.
Moved from test_expert_pages.py unchanged."""
from __future__ import annotations

from datetime import timedelta

from tests.helpers.panels import open_round, text
from webapp.extensions import db
from webapp.models import Round, RoundStatus, utcnow


def test_a_round_past_its_deadline_shows_as_closed_without_a_scheduler(app, expert_client, panel):
    round_id, _nodes = open_round(app, panel.study_id, closes_at=utcnow() + timedelta(hours=1))
    with app.app_context():
        db.session.get(Round, round_id).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = text(expert_client.get("/expert/?lang=en"))
    assert "No round is open now" in page


def test_the_questionnaire_page_stores_the_lazy_close_of_a_round_past_its_deadline(app, expert_client, panel):
    """The page commits only when the round is no longer open (an open round wrote
    nothing): the close it makes itself must still be stored."""
    round_id, _nodes = open_round(app, panel.study_id, closes_at=utcnow() + timedelta(hours=1))
    assert expert_client.get(f"/expert/rounds/{round_id}").status_code == 200
    with app.app_context():
        assert db.session.get(Round, round_id).status is RoundStatus.open
        db.session.get(Round, round_id).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = expert_client.get(f"/expert/rounds/{round_id}?lang=en")
    assert page.status_code == 200 and 'name="rate_' not in text(page)
    with app.app_context():
        db.session.expire_all()
        rnd = db.session.get(Round, round_id)
        assert rnd.status is RoundStatus.closed and rnd.closed_at is not None
