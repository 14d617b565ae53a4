"""The questionnaire's items kept between requests (issue 16, ``webapp/expert/item_markup.py``):
an item rendered for one expert is reused for the next who chose the same answer, yet no expert
ever sees another's comment, reason or last answer, and whatever changes (a name, the language,
the answer chosen, a refused post's errors) shows at once."""
from __future__ import annotations

import re

from tests.helpers.panels import answer, close_round, open_round, text

from webapp.expert.item_markup import ITEMS
from webapp.extensions import db
from webapp.models import Node


def _item(page: str, node_id: int) -> str:
    start = page.rindex("<article", 0, page.index(f'id="item-{node_id}"'))
    return page[start:page.index("</article>", start)]


def _client(app, token):
    client = app.test_client()
    client.get(f"/i/{token}")
    return client


def test_two_experts_share_the_items_markup_but_never_their_texts(app, panel):
    round_id, nodes = open_round(app, panel.study_id)
    (first, first_token), (second, second_token) = panel.experts[:2]
    answer(app, first, round_id, [4, 2, None, None], comments=["Alpha's <secret> & note", None, None, None])
    answer(app, second, round_id, [4, 2, None, None], comments=["Bravo's own view", None, None, None])
    ITEMS.clear()
    page_one = text(_client(app, first_token).get(f"/expert/rounds/{round_id}?lang=en"))
    misses = ITEMS.misses
    page_two = text(_client(app, second_token).get(f"/expert/rounds/{round_id}?lang=en"))
    # The second page rendered no item afresh: the same answers chose the same kept markup …
    assert ITEMS.misses == misses and ITEMS.hits >= len(nodes)
    # … and each page carries its own expert's comment, escaped, and not the other's.
    assert "Alpha&#39;s &lt;secret&gt; &amp; note</textarea>" in _item(page_one, nodes[0])
    assert "Bravo" not in page_one
    assert "Bravo&#39;s own view</textarea>" in _item(page_two, nodes[0])
    assert "secret" not in page_two and "Alpha" not in page_two
    for page in (page_one, page_two):
        assert re.search(rf'name="rate_{nodes[0]}" value="4" checked', page)
        assert re.search(rf'name="rate_{nodes[1]}" value="2" checked', page)
        assert "checked" not in _item(page, nodes[2])
        assert '<details class="q-comment" open>' in _item(page, nodes[0])
        assert '<details class="q-comment">' in _item(page, nodes[1])


def test_a_third_expert_without_answers_sees_empty_items(app, panel):
    round_id, nodes = open_round(app, panel.study_id)
    answer(app, panel.experts[0][0], round_id, [5, 5, 5, 5], comments=["mine", "mine", "mine", "mine"])
    _client(app, panel.experts[0][1]).get(f"/expert/rounds/{round_id}?lang=en")
    page = text(_client(app, panel.experts[2][1]).get(f"/expert/rounds/{round_id}?lang=en"))
    assert "mine" not in page and "checked" not in page
    assert page.count('></textarea>') == len(nodes)   # every comment box empty


def test_what_changes_shows_at_once(app, panel):
    """The kept markup is keyed by its content: a renamed indicator (even renamed behind the
    services' back while the round is open), another language, a new answer show on the next view."""
    round_id, nodes = open_round(app, panel.study_id)
    client = _client(app, panel.experts[0][1])
    before = text(client.get(f"/expert/rounds/{round_id}?lang=en"))
    with app.app_context():
        node = db.session.get(Node, nodes[0])
        old_name, node.name_en, node.description_en = node.name_en, "Renamed <indicator>", "New description"
        node.name_zh = "改名的指标"
        db.session.commit()
    assert old_name in _item(before, nodes[0])
    after = text(client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert "Renamed &lt;indicator&gt;" in _item(after, nodes[0]) and old_name not in _item(after, nodes[0])
    assert '<p class="q-desc">New description</p>' in _item(after, nodes[0])
    chinese = text(client.get(f"/expert/rounds/{round_id}?lang=zh"))
    assert "改名的指标" in _item(chinese, nodes[0]) and "Renamed" not in chinese
    answer(app, panel.experts[0][0], round_id, ["na", None, None, None])
    answered = text(client.get(f"/expert/rounds/{round_id}?lang=en"))
    assert re.search(rf'name="rate_{nodes[0]}" value="na" checked', answered)
    assert 'class="q-item q-answered"' in _item(answered, nodes[0])


def test_a_marker_in_a_name_is_only_text(app, panel):
    """The pieces are split at ``<!--q:…-->`` markers; a name written like one is escaped text."""
    round_id, nodes = open_round(app, panel.study_id)
    with app.app_context():
        db.session.get(Node, nodes[1]).name_en = "<!--q:comment--> tricky"
        db.session.commit()
    answer(app, panel.experts[0][0], round_id, [None, 3, None, None], comments=[None, "real comment", None, None])
    page = text(_client(app, panel.experts[0][1]).get(f"/expert/rounds/{round_id}?lang=en"))
    item = _item(page, nodes[1])
    assert "&lt;!--q:comment--&gt; tricky" in item and item.count("real comment") == 1
    assert "<!--q:" not in page


def test_a_refused_posts_errors_are_not_kept(app, panel):
    round_id, nodes = open_round(app, panel.study_id)
    client = _client(app, panel.experts[0][1])
    refused = client.post(f"/expert/rounds/{round_id}?lang=en", data={
        "action": "save", f"rate_{nodes[0]}": "4", f"comment_{nodes[0]}": "x" * 4001})
    assert refused.status_code == 400 and '<p class="error">' in _item(text(refused), nodes[0])
    answer(app, panel.experts[1][0], round_id, [4, None, None, None], comments=["short", None, None, None])
    other = text(_client(app, panel.experts[1][1]).get(f"/expert/rounds/{round_id}?lang=en"))
    assert '<p class="error">' not in other and "xxxx" not in other
    assert "short</textarea>" in _item(other, nodes[0])


def test_round_two_items_are_shared_but_each_expert_sees_their_own_last_answer(app, panel):
    round1, nodes = open_round(app, panel.study_id)
    values = [[5, 2, 1, 4], [4, 3, 2, 4], [4, 4, 4, 5], [2, 4, 5, 5]]
    for (expert_id, _token), own in zip(panel.experts, values):
        answer(app, expert_id, round1, own, submit=True)
    close_round(app, round1)
    round2, _nodes = open_round(app, panel.study_id, prefill_answers=False)
    reasons = {0: "first reason", 1: "second reason"}
    for k in (0, 1):
        answer(app, panel.experts[k][0], round2, [1, None, None, None])
        with app.app_context():
            from webapp.services.answers import save_answers
            from webapp.models import Expert, Round
            save_answers(db.session.get(Expert, panel.experts[k][0]), db.session.get(Round, round2),
                         [{"node_id": nodes[0], "reason": reasons[k]}])
            db.session.commit()
    ITEMS.clear()
    pages = [text(_client(app, panel.experts[k][1]).get(f"/expert/rounds/{round2}?lang=en")) for k in (0, 1)]
    assert ITEMS.hits >= len(nodes)   # the second page reused the first page's items
    for k, page in enumerate(pages):
        item = _item(page, nodes[0])
        own = values[k][0]
        assert re.search(r'<span class="q-own-swatch" aria-hidden="true"></span>\s*' + str(own) + r"\s*</dd>", item)
        assert f"{reasons[k]}</textarea>" in item and reasons[1 - k] not in page
        # Its reason is stored: the reason box is open, with this expert's reason only.
        assert '<div class="q-reason" data-reason>' in item
