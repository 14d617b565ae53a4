"""The questionnaire page rendered from plain data (issue 16, page cost): a GET binds no
per-item field, a refused post re-renders from the bound form, and the feedback chart's
geometry computed once in Python (``services/feedback_chart.py``) is the chart's formula
worked by hand."""
from __future__ import annotations

import re
from types import SimpleNamespace

from tests.helpers import snapshot
from tests.helpers.panels import answer, close_round, open_round, stored, text

from webapp.extensions import db
from webapp.forms.expert import initial_data, questionnaire_form, questionnaire_page_form
from webapp.models import Round
from webapp.services.feedback_chart import chart_of
from webapp.services.answers import response_of
from webapp.services.questionnaire import own_ratings


# --- the chart: counts per scale point, IQR band, median, own answer ----------------------------------

def test_the_chart_geometry_is_the_formula_worked_by_hand():
    """Scale 1–5, counts 0/1/2/4/1, Q1 3, Q3 4, median 4, own answer 4. By hand (the
    chart's formula: width 260, padding 8, bars from y 74 up to 16 + 6):
    slot = (260 − 2·8) / 5 = 48.8; bar width = min(0.62 · 48.8, 34) = 30.256;
    bar of 4 (count 4 = the peak): centre 8 + 3·48.8 + 24.4 = 178.8, x = 178.8 − 15.128 = 163.672,
    height 52, y = 74 − 52 = 22, count label at 74 − 52 − 3 = 19;
    bar of 1 (count 0): drawn 1.5 high at y 72.5, label at 71;
    IQR band from 8 + 2.5·48.8 − 15.128 − 4 = 110.872 to 8 + 3.5·48.8 + 15.128 + 4 = 197.928;
    median line at 8 + 3.5·48.8 = 178.8, its mark from 173.8."""
    fb = SimpleNamespace(scale_min=1, scale_max=5, counts=[0, 1, 2, 4, 1], q1=3, q3=4, median=4, own_value=4)
    chart = chart_of(fb)
    assert chart.bar_width == "30.3"
    four = chart.bars[3]
    assert (four.value, four.count, four.own) == (4, 4, True)
    assert (four.x, four.rect_x, four.rect_y, four.rect_height, four.count_y) == (
        "178.8", "163.7", "22.0", "52.0", "19.0")
    one = chart.bars[0]
    assert (one.own, one.x, one.rect_y, one.rect_height, one.count_y) == (False, "32.4", "72.5", "1.5", "71.0")
    assert [b.own for b in chart.bars] == [False, False, False, True, False]
    assert (chart.iqr_x, chart.iqr_width) == ("110.9", "87.1")
    assert (chart.median_x, chart.median_mark_x) == ("178.8", "173.8")
    assert chart.summary == "1 → 0; 2 → 1; 3 → 2; 4 → 4; 5 → 1"
    bare = chart_of(SimpleNamespace(scale_min=1, scale_max=5, counts=[0, 0, 0, 0, 0], q1=None, q3=None,
                                    median=None, own_value=None))
    assert bare.iqr_x is None and bare.median_x is None and bare.bars[2].rect_height == "1.5"


def test_round_two_draws_the_chart_from_those_numbers(app, expert_client, panel):
    """Item A of round 1: 5, 4, 4, 2 → counts 0/1/0/2/1, peak 2; the expert answered 5:
    bar of 5 (count 1) centred at 8 + 4·48.8 + 24.4 = 227.6, x 227.6 − 15.128 = 212.472, 52 · 1/2 = 26
    high at y 74 − 26 = 48; bar of 4 (count 2, the peak) at x 178.8 − 15.128 = 163.672, 52 high at y 22."""
    round1, nodes = open_round(app, panel.study_id)
    for (expert_id, _token), values in zip(panel.experts, [[5, 2, 1, 4], [4, 3, 2, 4], [4, 4, 4, 5], [2, 4, 5, 5]]):
        answer(app, expert_id, round1, values, submit=True)
    close_round(app, round1)
    round2, _nodes = open_round(app, panel.study_id)
    page = text(expert_client.get(f"/expert/rounds/{round2}?lang=en"))
    item = page[page.index(f'id="item-{nodes[0]}"'):page.index(f'id="item-{nodes[1]}"')]
    assert re.search(r'<rect class="bar own" x="212.5"\s+y="48.0" width="30.3"\s+height="26.0"', item)
    assert re.search(r'<rect class="bar" x="163.7"\s+y="22.0" width="30.3"\s+height="52.0"', item)
    assert "1 → 0; 2 → 1; 3 → 0; 4 → 2; 5 → 1</title>" in item
    assert item.count('<rect class="bar"') == 4 and "style=" not in item


# --- the page's form: no per-item field bound on a GET ----------------------------------------------------

def test_a_get_renders_the_stored_answers_without_binding_item_fields(app, panel):
    round_id, nodes = open_round(app, panel.study_id)
    answer(app, panel.experts[0][0], round_id, [5, "na", None, None], comments=["Keep <it>", None, None, None])
    with app.test_request_context("/"):
        from webapp.models import Expert

        rnd = db.session.get(Round, round_id)
        data = initial_data(own_ratings(response_of(db.session.get(Expert, panel.experts[0][0]), rnd)))
        page_form = questionnaire_page_form(rnd, data=data)
        assert not any(name.startswith(("rate_", "comment_", "reason_")) for name in page_form._fields)
        assert page_form.csrf_token.current_token
        full = questionnaire_form(rnd, data=data)  # the bound form gives the very same states
        assert page_form.item_states() == full.item_states()
        states = page_form.item_states()
        assert states[nodes[0]].chosen == "5" and states[nodes[0]].comment == "Keep <it>"
        assert states[nodes[1]].chosen == "na" and states[nodes[2]].chosen == ""


def test_a_refused_post_shows_what_was_posted_with_its_errors(app, expert_client, panel):
    round_id, nodes = open_round(app, panel.study_id)
    before = snapshot(app)
    response = expert_client.post(f"/expert/rounds/{round_id}?lang=en", data={
        "action": "save", f"rate_{nodes[0]}": "4", f"comment_{nodes[0]}": "x" * 4001,
        f"rate_{nodes[1]}": "na", f"comment_{nodes[1]}": "kept & shown"})
    assert response.status_code == 400
    page = text(response)
    first = page[page.index(f'id="item-{nodes[0]}"'):page.index(f'id="item-{nodes[1]}"')]
    assert re.search(rf'name="rate_{nodes[0]}" value="4" checked', first)
    assert '<details class="q-comment" open>' in first and '<p class="error">' in first
    assert re.search(rf'name="rate_{nodes[1]}" value="na" checked', page)
    assert "kept &amp; shown</textarea>" in page
    assert snapshot(app) == before
    assert stored(app, panel.experts[0][0], round_id) == {}


# --- the page's plain-row readers give what the ORM readers give -----------------------------------

def test_the_plain_rows_match_the_orm_readers(app, panel):
    """Tree order, sections, proposal targets and progress of ``questionnaire_page`` against
    ``tree.tree_order`` and ``questionnaire.sections / proposal_targets / progress`` on the seed
    hierarchy, all 63 indicators asked, with a dropped indicator and a partial answer."""
    from webapp.models import Node, NodeStatus, Study
    from webapp.services import questionnaire, questionnaire_page, tree

    round_id, nodes = open_round(app, panel.study_id, rated_level=None)
    answer(app, panel.experts[0][0], round_id, [5, "na", None, 3] + [None] * 59, comments=[None, None, "only text", None] + [None] * 59)
    with app.app_context():
        db.session.get(Node, nodes[10]).status = NodeStatus.dropped
        db.session.commit()
    with app.test_request_context("/"):
        from webapp.models import Expert

        rnd = db.session.get(Round, round_id)
        study = db.session.get(Study, panel.study_id)
        rows = questionnaire_page.tree_rows(study.id)
        assert [r.id for r in rows] == [n.id for n in tree.tree_order(study)]
        ids = questionnaire_page.item_node_ids(rnd)
        assert ids == [item.node_id for item in rnd.items] == nodes
        plain, orm = questionnaire_page.page_sections(ids, rows), questionnaire.sections(rnd)
        assert len(plain) == len(orm) > 4
        for a, b in zip(plain, orm):
            assert (a.parent.id if a.parent else None, a.level, a.is_goal) == \
                   (b.parent.id if b.parent else None, b.level, b.is_goal)
            assert a.rows("zh") == b.rows("zh") and a.rows("en") == b.rows("en")
        targets = questionnaire_page.page_targets(rows)
        assert [(n.id, d) for n, d in targets] == [(n.id, d) for n, d in questionnaire.proposal_targets(rnd)]
        assert nodes[10] not in {n.id for n, _d in targets}
        response = response_of(db.session.get(Expert, panel.experts[0][0]), rnd)
        answers = questionnaire_page.own_answers(response)
        assert set(answers) == set(own_ratings(response)) >= set(nodes[:4])
        assert answers[nodes[2]].comment == "only text" and answers[nodes[1]].no_opinion
        got = questionnaire_page.page_progress(response, ids, answers)
        want = questionnaire.progress(response, rnd)
        assert (got.answered, got.total, got.submitted, got.started) == (want.answered, want.total,
                                                                         want.submitted, want.started) == (3, 63, False, True)


# --- the chart kept between requests: keyed by everything it shows ------------------------------------

def test_a_kept_chart_follows_its_numbers_title_and_id(app):
    """The SVG is reused only for the very same chart: another own answer, other counts,
    another language's title or another item gives another SVG, and the kept one is the
    macro's own output."""
    from flask import render_template_string

    from webapp.expert.charts import feedback_chart_svg

    def fb(counts, own):
        return SimpleNamespace(scale_min=1, scale_max=5, counts=counts, q1=3, q3=4, median=4, own_value=own)

    with app.test_request_context("/"):
        base = chart_of(fb([0, 1, 2, 4, 1], 4))
        first = feedback_chart_svg(base, "chart-7", "Distribution")
        direct = render_template_string('{% from "expert/_macros.html" import feedback_chart %}'
                                        '{{ feedback_chart(c, "chart-7", "Distribution") }}', c=base)
        assert str(first) == direct
        assert feedback_chart_svg(chart_of(fb([0, 1, 2, 4, 1], 4)), "chart-7", "Distribution") == first
        own_five = feedback_chart_svg(chart_of(fb([0, 1, 2, 4, 1], 5)), "chart-7", "Distribution")
        assert own_five != first and 'class="bar own" x="212.5"' in own_five
        more = feedback_chart_svg(chart_of(fb([0, 1, 2, 5, 1], 4)), "chart-7", "Distribution")
        assert more != first and ">5</text>" in more
        assert "组评分分布" in feedback_chart_svg(base, "chart-7", "组评分分布")
        assert 'id="chart-8"' in feedback_chart_svg(base, "chart-8", "Distribution")
        assert "&lt;b&gt;" in feedback_chart_svg(base, "chart-7", "<b>")   # a plain str title is escaped
