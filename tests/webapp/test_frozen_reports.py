"""A closed round's report is computed once and frozen (issue 9 "Cost per page", issue 16 "Cost").

The close stores the round's submitted answers and the expert feedback in ``round_report``; later
views of the dashboard, the exports and the next round's questionnaire read no rating row of it;
reopening the round forgets the frozen report and the next close computes it again; the frozen
figures equal a fresh computation from the rating table (checked here against numpy on the
ratings read back independently).
"""
from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import delete, select, update
from tests.conftest import login
from tests.helpers import count_queries
from tests.helpers.panels import answer, close_round, make_panel, open_round

from webapp.extensions import db
from webapp.models import Expert, FrozenReport, Rating, Response, ResponseStatus, Round, utcnow
from webapp.services import frozen_reports, steering
from webapp.services.delphi_items import round_report
from webapp.services.feedback import feedback_for
from webapp.services.round_data import RoundData

VALUES = [[5, 2, 1, 4], [4, 3, 2, 4], [4, "na", 4, 5], [2, 4, 5, 5]]
COMMENTS = [["Keep it", None, None, None], [None, "Vague", None, None], [None, None, None, None],
            ["Too broad", None, None, "Fine"]]


def reads_ratings(statements) -> list[str]:
    """Statements that read the rating table."""
    return [s for s in statements if re.search(r"\b(FROM|JOIN)\s+rating\b", s)]


@pytest.fixture
def panel(app, make_study, make_expert, make_coordinator):
    """Four experts with a self-assessment in a study of coordinator alice."""
    owner = make_coordinator("alice")
    return make_panel(app, lambda: make_study(owner), make_expert)


@pytest.fixture
def closed(app, panel):
    """Round 1 answered by four experts (a "no opinion", comments) and closed; round 2 open."""
    round1, nodes = open_round(app, panel.study_id)
    for (expert_id, _), values, comments in zip(panel.experts, VALUES, COMMENTS):
        answer(app, expert_id, round1, values, submit=True, comments=comments)
    close_round(app, round1)
    return round1, nodes


def dashboard(client, study_id, round_id):
    response = client.get(f"/studies/{study_id}/rounds/{round_id}/dashboard?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_close_freezes_the_round_and_the_dashboard_reads_no_rating_row(app, client, panel, closed):
    round1, _ = closed
    with app.app_context():
        row = db.session.get(FrozenReport, round1)
        assert row is not None and row.closed_at == db.session.get(Round, round1).closed_at
        assert len(row.answers["experts"]) == 4 and len(row.feedback["items"]) == 4
    login(client)
    for _ in range(2):
        with count_queries(app) as q:
            html = dashboard(client, panel.study_id, round1)
        assert reads_ratings(q.statements) == [], reads_ratings(q.statements)
        assert "4 of 4 invited experts submitted" in html
    with count_queries(app) as q:  # the exports read the frozen report too
        assert client.get(f"/studies/{panel.study_id}/rounds/{round1}/export/items.csv").status_code == 200
    assert reads_ratings(q.statements) == []


def test_a_round_closed_before_freezing_is_frozen_by_its_first_reader(app, client, panel, closed):
    round1, _ = closed
    with app.app_context():
        db.session.execute(delete(FrozenReport))
        db.session.commit()
    login(client)
    with count_queries(app) as q:
        first = dashboard(client, panel.study_id, round1)
    assert reads_ratings(q.statements)                     # read once …
    with app.app_context():
        assert db.session.get(FrozenReport, round1) is not None   # … and kept
    with count_queries(app) as q:
        again = dashboard(client, panel.study_id, round1)
    assert reads_ratings(q.statements) == []
    assert figures(first) == figures(again)


def figures(html: str) -> str:
    """The page without what changes per request (time, CSRF tokens, nonces)."""
    html = re.sub(r"Figures as of [^.]*\.", "", html)
    return re.sub(r'(csrf[-_]token"? (?:content|value)="|nonce=")[^"]*"', "", html)


def test_frozen_figures_equal_a_fresh_computation(app, panel, closed):
    round1, nodes = closed
    with app.app_context():
        rnd = db.session.get(Round, round1)
        frozen = RoundData(rnd.study)
        frozen_report = round_report(rnd, with_identities=True, data=frozen)
        assert not frozen.froze                           # read from round_report, not frozen again
        db.session.execute(delete(FrozenReport))
        fresh = RoundData(rnd.study)
        fresh_report = round_report(rnd, with_identities=True, data=fresh)
        assert fresh.froze
        np.testing.assert_array_equal(frozen_report.matrix.ratings, fresh_report.matrix.ratings)
        for a, b in zip(frozen_report.items, fresh_report.items):
            assert (a.stats, a.counts, a.no_opinion, a.comments_by, a.consensus) == \
                   (b.stats, b.counts, b.no_opinion, b.comments_by, b.consensus)
        assert frozen_report.concordance.to_dict() == fresh_report.concordance.to_dict()
        assert frozen_report.authority.to_dict() == fresh_report.authority.to_dict()
        # Independently: the ratings as stored, by numpy (median, Q1/Q3 type 7, no opinion = missing).
        rows = db.session.execute(select(Rating.node_id, Rating.value).join(Response).where(
            Response.round_id == round1, Response.status == ResponseStatus.submitted)).all()
        for j, node in enumerate(nodes):
            values = np.array([v for n, v in rows if n == node and v is not None], dtype=float)
            q1, med, q3 = np.quantile(values, [0.25, 0.5, 0.75])
            stats = frozen_report.items[j].stats
            assert (stats["median"], stats["q1"], stats["q3"], stats["n"]) == pytest.approx(
                (med, q1, q3, len(values)))


def test_reopening_forgets_the_frozen_report_and_the_next_close_recomputes_it(app, client, panel):
    round1, nodes = open_round(app, panel.study_id)
    for (expert_id, _), values in zip(panel.experts[:3], VALUES[:3]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    login(client)
    assert "3 of 4 invited experts submitted" in dashboard(client, panel.study_id, round1)
    with app.app_context():
        steering.reopen_round(db.session.get(Round, round1), utcnow() + timedelta(days=1))
        db.session.commit()
        assert db.session.get(FrozenReport, round1) is None
    answer(app, panel.experts[3][0], round1, VALUES[3], submit=True)
    close_round(app, round1)
    assert "4 of 4 invited experts submitted" in dashboard(client, panel.study_id, round1)
    with app.app_context():
        row = db.session.get(FrozenReport, round1)
        assert len(row.answers["experts"]) == 4
        assert row.feedback["items"][str(nodes[3])]["median"] == 4.5   # 4, 4, 5, 5


def test_a_snapshot_of_an_earlier_close_is_not_used(app, panel, closed):
    """A reader that raced a reopen may write a snapshot of the earlier close: never read."""
    round1, nodes = closed
    with app.app_context():
        db.session.execute(update(FrozenReport).values(closed_at=utcnow() - timedelta(days=3)))
        db.session.commit()
        rnd = db.session.get(Round, round1)
        data = RoundData(rnd.study)
        assert data.submitted(rnd).experts and data.froze    # read again from the ratings


def test_next_rounds_feedback_comes_from_the_frozen_report(app, panel, closed, expert_client):
    round1, nodes = closed
    round2, _ = open_round(app, panel.study_id)
    with app.app_context():
        fb = feedback_for(db.session.get(Expert, panel.experts[0][0]), db.session.get(Round, round2))
    assert fb[nodes[0]].median == 4 and fb[nodes[0]].counts == [0, 1, 0, 2, 1]      # 5, 4, 4, 2
    assert fb[nodes[0]].comments == ["Keep it", "Too broad"] and fb[nodes[0]].own_value == 5
    assert fb[nodes[1]].n == 3 and fb[nodes[1]].median == 3                          # 2, 3, "na", 4
    with count_queries(app) as q:
        assert expert_client.get(f"/expert/rounds/{round2}").status_code == 200
    panel_wide = [s for s in reads_ratings(q.statements)                  # one expert's or one response's
                  if not re.search(r"response\.expert_id = |= rating\.response_id\b", s)]
    assert panel_wide == [], panel_wide       # only the expert's own answers are read
    with app.app_context():  # the frozen feedback is what experts see: the rating rows are not read
        db.session.execute(update(Rating).where(Rating.response_id.in_(
            select(Response.id).where(Response.round_id == round1))).values(comment="changed"))
        db.session.commit()
        again = feedback_for(db.session.get(Expert, panel.experts[0][0]), db.session.get(Round, round2))
    assert again[nodes[0]].comments == ["Keep it", "Too broad"]


def test_round_two_questionnaire_queries_do_not_grow_with_the_panel(app, make_study, make_expert):
    counts = []
    for size in (3, 9):
        panel = make_panel(app, make_study, make_expert, n=size)
        round1, _ = open_round(app, panel.study_id)
        for k, (expert_id, _) in enumerate(panel.experts):
            answer(app, expert_id, round1, [1 + (k + j) % 5 for j in range(4)], submit=True)
        close_round(app, round1)
        round2, _ = open_round(app, panel.study_id)
        expert = app.test_client()
        expert.get(f"/i/{panel.experts[0][1]}")
        with count_queries(app) as q:
            assert expert.get(f"/expert/rounds/{round2}").status_code == 200
        counts.append(q.n)
    assert counts[0] == counts[1], counts


def test_a_snapshot_naming_another_round_is_not_used(app, panel, closed):
    """Ids inside the payload belong to one database: a row moved elsewhere is computed again."""
    round1, _ = closed
    with app.app_context():
        row = db.session.get(FrozenReport, round1)
        row.answers = row.answers | {"round": round1 + 1000}
        row.feedback = row.feedback | {"round": round1 + 1000}
        db.session.commit()
        rnd = db.session.get(Round, round1)
        assert frozen_reports.frozen_feedback(rnd) is None
        data = RoundData(rnd.study)
        assert len(data.submitted(rnd).experts) == 4 and data.froze      # read again, and frozen anew
        assert frozen_reports.frozen_feedback(rnd)[closed[1][0]]["median"] == 4
