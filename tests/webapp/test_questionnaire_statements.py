"""The questionnaire page looks back to the earlier rounds once (issue 16): the wording changes,
the group's feedback and the prefilled answers all start from the previous round, which used to
be looked up three times per page."""
from __future__ import annotations

import re

from tests.helpers import count_queries
from tests.helpers.panels import answer, close_round, open_round, text

from webapp.extensions import db

EARLIER = re.compile(r"FROM round\s.*round\.number\s*<", re.S)


def _earlier_lookups(app, client, round_id) -> tuple[int, str]:
    with count_queries(app) as q:
        response = client.get(f"/expert/rounds/{round_id}?lang=en")
    assert response.status_code == 200
    return sum(1 for s in q.statements if EARLIER.search(s)), text(response)


def test_round_one_looks_for_an_earlier_round_once(app, expert_client, panel):
    round_id, _nodes = open_round(app, panel.study_id)
    lookups, page = _earlier_lookups(app, expert_client, round_id)
    assert lookups == 1
    assert "q-prefilled" not in page and "q-feedback" not in page and "q-change" not in page


def test_round_two_finds_feedback_prefill_and_wording_from_one_lookup(app, expert_client, panel):
    round1, nodes = open_round(app, panel.study_id)
    for (expert_id, _token), values in zip(panel.experts, [[5, 2, 1, 4], [4, 3, 2, 4], [4, 4, 4, 5], [2, 4, 5, 5]]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    round2, _nodes = open_round(app, panel.study_id)
    lookups, page = _earlier_lookups(app, expert_client, round2)
    assert lookups == 1
    # All three still show what they showed: the group's result, this expert's round-1 answers
    # preselected, and nothing new or reworded (the same items, the same wording).
    assert page.count('class="q-feedback"') == len(nodes)
    assert page.count("data-prefilled") == len(nodes)
    assert re.search(rf'name="rate_{nodes[0]}" value="5" checked', page)
    assert "q-change" not in page and "Wording in round" not in page


def test_the_read_only_page_reads_plain_rows_that_match_the_orm_sections(app, panel):
    """``questionnaire_page.answer_sections`` (the thanks and read-only page) against the ORM reader
    ``questionnaire.sections`` on all 63 indicators: the same runs, headings and parents, and each
    item named as the round asked it — not as the indicator is named since."""
    from webapp.models import Node, Round
    from webapp.services import questionnaire, questionnaire_page

    round_id, nodes = open_round(app, panel.study_id, rated_level=None)
    with app.app_context():
        db.session.get(Node, nodes[5]).name_en = "Renamed after the round opened"
        db.session.commit()
    with app.test_request_context("/"):
        rnd = db.session.get(Round, round_id)
        plain = questionnaire_page.answer_sections(rnd, questionnaire_page.tree_rows(rnd.study_id))
        orm = questionnaire.sections(rnd)
        assert len(plain) == len(orm) > 10
        for p, o in zip(plain, orm):
            assert (p.level, p.is_goal) == (o.level, o.is_goal)
            assert (p.parent.id if p.parent else None) == (o.parent.id if o.parent else None)
            assert [i.node_id for i in p.items] == [i.node_id for i in o.items]
            assert [i.node.code for i in p.items] == [i.node.code for i in o.items]
            for locale in ("en", "zh"):
                assert [i.asked_name(locale) for i in p.items] == [i.asked_name(locale) for i in o.items]
        asked = {i.node_id: i.asked_name("en") for s in plain for i in s.items}
        assert asked[nodes[5]] != "Renamed after the round opened"
