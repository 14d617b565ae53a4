"""The expert's study page (``GET /expert/``) writes, and so commits, only when its lazy deadline
check closed a round (issue 16: a commit there expired the expert, the study and the rounds, all
read again for the page), and counts the answers without loading the round's items or the ratings."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event
from tests.helpers import count_queries
from tests.helpers.panels import answer, open_round, text

from webapp.extensions import db
from webapp.models import Round, RoundStatus, utcnow


@contextmanager
def commits(app):
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda _conn: seen.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", listener)


def test_the_study_page_of_an_open_round_commits_nothing(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id, rated_level=None)   # all 63 indicators
    # two answers, one "no opinion", and a comment alone (stored, started, not an answer)
    answer(app, panel.experts[0][0], round_id, [5, "na", None] + [None] * (len(nodes) - 3),
           comments=[None, None, "only a comment"] + [None] * (len(nodes) - 3))
    with commits(app) as seen, count_queries(app) as q:
        page = text(expert_client.get("/expert/?lang=en"))
    assert seen == []
    assert f"2 of {len(nodes)} answered" in page and "not submitted yet" in page
    # neither the 63 items nor the ratings are loaded as rows
    assert not any("FROM round_item" in s and "round_item.position" in s for s in q.statements)
    assert not any(s.lstrip().startswith("SELECT rating.id, rating.response_id") for s in q.statements)


def test_nothing_answered_yet_and_a_comment_alone_count_as_started_or_not(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    assert "4 indicators to rate" in text(expert_client.get("/expert/?lang=en"))
    answer(app, panel.experts[0][0], round_id, [None, None, None, None], comments=["a thought", None, None, None])
    page = text(expert_client.get("/expert/?lang=en"))
    assert "0 of 4 answered" in page and "Continue" in page


def test_the_study_page_commits_the_close_it_made(app, expert_client, panel):
    round_id, _nodes = open_round(app, panel.study_id, closes_at=utcnow() + timedelta(hours=1))
    with app.app_context():
        db.session.get(Round, round_id).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    with commits(app) as seen:
        page = text(expert_client.get("/expert/?lang=en"))
    assert seen == [1] and "No round is open now" in page
    with app.app_context():
        assert db.session.get(Round, round_id).status is RoundStatus.closed


def test_markdown_is_rendered_once_per_text_and_stays_sanitised():
    """A study's description and a round's instructions go through Python-Markdown and nh3 once
    per distinct text (``templating._clean_html_of``), not on every expert's page."""
    from webapp.templating import _clean_html_of, render_markdown

    text_ = "Rate **carefully**.\n\n<script>alert(1)</script>[x](javascript:alert(2)) — 9f3c"
    first = render_markdown(text_)
    hits = _clean_html_of.cache_info().hits
    again = render_markdown(text_)
    assert _clean_html_of.cache_info().hits == hits + 1
    assert again == first and "<strong>carefully</strong>" in again
    assert "<script>" not in again and "javascript:" not in again
    assert "<em>" in render_markdown(text_ + " *other*")   # another text, rendered afresh
