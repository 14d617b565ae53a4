"""The open round's dashboard at 1,000 experts (issue 16 "Cost": under 300 ms of server time).

- The experts are read as columns (``round_data.panel_experts``), never as ``Expert`` objects: the
  page still shows every contact detail the reminders need.
- The figures (W, quartiles, Wilcoxon stability, …) are remembered under the digest of the ratings
  they come from (``delphi_items.FIGURES``): a second view of an unchanged round computes none of
  them, a new submission changes the digest, and the page equals one computed from scratch.
- The heading says the round's number once, in both languages, when its title starts with it.

The figures themselves are checked against numpy in ``test_dashboard_view.py``; here the point is
that remembering them changes nothing on the page.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import update
from tests.helpers import count_queries
from tests.webapp.test_dashboard_support import alice, build_round, build_two_rounds

from webapp.extensions import db
from webapp.models import Expert, Round
from webapp.services import memo
from webapp.services.answers import save_answers, submit_response
from webapp.services.dashboard import title_after_number
from webapp.services.delphi_items import FIGURES


def page(client, built, round_id=None, lang="en") -> str:
    response = client.get(f"/studies/{built.study_id}/rounds/{round_id or built.round_id}/dashboard?lang={lang}")
    assert response.status_code == 200, response.data[:500]
    return response.get_data(as_text=True)


def figures(html: str) -> str:
    """The page without what changes per request (time, CSRF tokens, nonces)."""
    html = re.sub(r"Figures as of [^.]*\.|数据截至[^。]*。", "", html)
    return re.sub(r'(csrf[-_]token"? (?:content|value)="|nonce=")[^"]*"', "", html)


def test_the_dashboard_reads_the_experts_as_columns_and_shows_their_contacts(app, coordinator_client):
    built = build_two_rounds(app, alice(app))
    with count_queries(app) as q:
        html = page(coordinator_client, built, built.round2_id)
    # an Expert object loads every column, the invitation token's hash included: none is loaded
    assert [s for s in q.statements if "expert.token_hash" in s] == []
    waiting = html.split('id="not-answered"', 1)[1].split('id="answered"', 1)[0]
    assert re.search(r'href="mailto:\?bcc=[^"]*e05@example\.org', waiting)          # the reminder link
    assert 'href="mailto:e06@example.org"' in waiting and "Org E06" in waiting and "Name E06" in waiting
    assert "E07" not in waiting and "E04" not in waiting                            # revoked: not invited
    answered = html.split('id="answered"', 1)[1].split("</section>", 1)[0]
    assert "Name E01" in answered and "Org E01" in answered
    regulators = coordinator_client.get(
        f"/studies/{built.study_id}/rounds/{built.round2_id}/dashboard?lang=en&group=regulator").get_data(as_text=True)
    note = regulators.split('data-testid="group-note"', 1)[1].split("</p>", 1)[0]
    assert "E01" in note and "E02" not in note                                     # groups come with the columns


def test_a_second_view_computes_no_figure_and_a_new_answer_does(app, coordinator_client):
    built = build_two_rounds(app, alice(app))
    FIGURES.clear()
    first = page(coordinator_client, built, built.round2_id)
    computed = FIGURES.misses
    assert computed >= 8          # per round: quartiles, W twice, W per level, counts, groups; stability
    again = page(coordinator_client, built, built.round2_id)
    assert FIGURES.misses == computed and FIGURES.hits >= computed
    assert figures(again) == figures(first)
    assert "3 of 5 invited experts submitted" in again

    with app.app_context():       # E05 submits round 2: new ratings, new digest, figures computed again
        rnd = db.session.get(Round, built.round2_id)
        e05 = next(e for e in rnd.study.experts if e.pseudonym == "E05")
        save_answers(e05, rnd, [{"node_id": item.node_id, "value": 1} for item in rnd.items])
        submit_response(e05, rnd)
        db.session.commit()
    changed = page(coordinator_client, built, built.round2_id)
    assert FIGURES.misses > computed
    assert "4 of 5 invited experts submitted" in changed and figures(changed) != figures(first)
    FIGURES.clear()               # the same page computed from scratch
    assert figures(page(coordinator_client, built, built.round2_id)) == figures(changed)


def test_a_changed_self_assessment_changes_the_authority_figures(app, coordinator_client):
    """Cr comes from the experts' profiles, not from the ratings' digest: never served stale."""
    built = build_round(app, alice(app))
    before = page(coordinator_client, built)
    assert re.search(r'data-testid="cr-mean">([0-9.]+)<', before)
    with app.app_context():
        db.session.execute(update(Expert).where(Expert.study_id == built.study_id).values(familiarity="little"))
        db.session.commit()
    after = page(coordinator_client, built)
    FIGURES.clear()
    fresh = page(coordinator_client, built)
    mean = re.compile(r'data-testid="cr-mean">([0-9.]+)<')
    assert mean.search(after).group(1) == mean.search(fresh).group(1) != mean.search(before).group(1)


@pytest.mark.parametrize("number, title, shown", [
    (1, "Round 1: the first-level indicators", "the first-level indicators"),
    (1, "round 1", ""),
    (1, "第1轮：一级指标", "一级指标"),
    (1, "第一轮 一级指标", "一级指标"),
    (2, "第 2 轮", ""),
    (1, "Round 12", "Round 12"),           # another number
    (1, "Round 1a", "Round 1a"),           # not the number alone
    (3, "Pilot (second look)", "Pilot (second look)"),
    (1, "", ""),
    (1, None, ""),
])
def test_title_after_number(number, title, shown):
    assert title_after_number(number, title) == shown


def heading(html: str) -> str:
    h1 = re.search(r"<h1>(.*?)<span", html, re.S).group(1)
    return " ".join(h1.split())


def test_the_heading_says_the_round_number_once_in_both_languages(app, coordinator_client):
    built = build_round(app, alice(app))
    for title, en, zh in [
        ("Round 1: the first-level indicators", "Round 1 · the first-level indicators", "第1轮 · the first-level indicators"),
        ("第一轮：一级指标", "Round 1 · 一级指标", "第1轮 · 一级指标"),
        ("Round 1", "Round 1", "第1轮"),
        ("Pilot", "Round 1 · Pilot", "第1轮 · Pilot"),
    ]:
        with app.app_context():
            db.session.execute(update(Round).where(Round.id == built.round_id).values(title=title))
            db.session.commit()
        assert heading(page(coordinator_client, built, lang="en")) == en
        assert heading(page(coordinator_client, built, lang="zh")) == zh


def test_the_memo_is_bounded_and_keys_by_content():
    box = memo.Memo(2)
    calls = []
    for key in ("a", "b", "a", "c", "b"):
        box.get(key, lambda key=key: calls.append(key) or key.upper())
    assert calls == ["a", "b", "c", "b"]            # "b" was the least recently used when "c" came
    assert len(box) == 2 and (box.hits, box.misses) == (1, 4)
    x = np.array([[1.0, np.nan], [3.0, 4.0]])
    assert memo.fingerprint(x) == memo.fingerprint(x.copy())
    assert memo.fingerprint(x) != memo.fingerprint(x.reshape(1, 4))              # same bytes, other shape
    assert memo.fingerprint(x) != memo.fingerprint(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert memo.attempt(lambda: 1 / 1) == (1.0, None)
    assert memo.attempt(lambda: int("x"))[1].startswith("invalid literal")
    with pytest.raises(ValueError, match="size"):
        memo.Memo(0)
