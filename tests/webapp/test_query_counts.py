"""The heavy pages run a fixed number of SQL statements: not one more per indicator, expert or round.

Before issue 9: ``RoundItem.node`` cost one query per item (+63 on the seed hierarchy),
``Node.children`` one per node on the study page (+64), and the dashboard loaded the round data
3k + 1 times for k rounds.
"""
from __future__ import annotations

import pytest
from tests.conftest import login
from tests.helpers import count_queries

from webapp.extensions import db
from webapp.models import User
from webapp.services import round_lifecycle, round_scope, studies
from webapp.services.answers import save_answers, submit_response

BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}


def build(app, owner_id: int, *, experts: int, rounds: int, level: int | None, by_group: bool = False) -> dict:
    """``rounds`` rounds on ``level`` (None: all 63 indicators); all but the last closed; everyone
    submits every round except the last expert in the last round (who opens the questionnaire).
    ``by_group``: every expert in the "academia" group, and the last round gives feedback by group."""
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    with app.app_context():
        study = studies.create_study(db.session.get(User, owner_id), title="Counted")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        group = {"stakeholder_group": "academia"} if by_group else {}
        tokens = [studies.add_expert(study, familiarity="familiar", basis=dict(BASIS), **group).token
                  for _ in range(experts)]
        db.session.flush()
        panel = sorted(study.experts, key=lambda e: e.id)
        for number in range(1, rounds + 1):
            last = number == rounds
            extra = {"feedback_by_group": True} if by_group and last else {}
            rnd = round_scope.create_delphi_round(study, rated_level=level, **extra)
            round_lifecycle.open_round(rnd)
            for k, expert in enumerate(panel[:-1] if last else panel):
                save_answers(expert, rnd, [{"node_id": item.node_id, "value": 1 + (k + j + number) % 5}
                                           for j, item in enumerate(rnd.items)])
                submit_response(expert, rnd)
            if not last:
                round_lifecycle.close_round(rnd)
        db.session.commit()
        return {"study": study.id, "round": rnd.id, "token": tokens[-1], "node": rnd.items[0].node_id,
                "items": len(rnd.items)}


def counts(app, built, pages: dict | None = None) -> dict[str, int]:
    """Statements per page; ``pages``: filled with each page's HTML."""
    coordinator, expert = app.test_client(), app.test_client()
    login(coordinator)
    expert.get(f"/i/{built['token']}")
    csrf = expert.csrf_token()
    out = {}
    for name, client, method, path, kwargs in [
        ("study page", coordinator, "get", f"/studies/{built['study']}", {}),
        ("dashboard", coordinator, "get", f"/studies/{built['study']}/rounds/{built['round']}/dashboard", {}),
        ("questionnaire", expert, "get", f"/expert/rounds/{built['round']}", {}),
        ("autosave", expert, "post", f"/api/v1/rounds/{built['round']}/answers",
         {"json": {"answers": [{"node_id": built["node"], "value": 3}]}, "headers": {"X-CSRF-Token": csrf}}),
    ]:
        with count_queries(app) as q:
            response = getattr(client, method)(path, **kwargs) if method == "get" else \
                client.post(path, csrf=False, **kwargs)
        assert response.status_code == 200, (name, response.status_code)
        out[name] = q.n
        if pages is not None:
            pages[name] = response.get_data(as_text=True)
    return out


@pytest.fixture
def owner(app, make_coordinator):
    return make_coordinator("alice")


def test_queries_do_not_grow_with_items_experts_or_rounds(app, owner):
    small = build(app, owner, experts=3, rounds=2, level=1)      # 4 indicators, 3 experts, 2 rounds
    large = build(app, owner, experts=7, rounds=3, level=None)   # 63 indicators, 7 experts, 3 rounds
    assert (small["items"], large["items"]) == (4, 63)
    few, many = counts(app, small), counts(app, large)
    assert many == few, {name: (few[name], many[name]) for name in few}
    assert max(few.values()) < 40, few


def test_the_questionnaire_with_feedback_by_group_does_not_grow(app, owner):
    """Each group's result is read from the frozen report: no statement per expert, item or round,
    and no more than two statements beyond the questionnaire without it (the frozen row, the group)."""
    small = build(app, owner, experts=3, rounds=2, level=1, by_group=True)
    large = build(app, owner, experts=7, rounds=3, level=None, by_group=True)
    plain = build(app, owner, experts=3, rounds=2, level=1)
    pages = {}
    few, many = counts(app, small, pages), counts(app, large)
    assert pages["questionnaire"].count('data-testid="group-feedback"') == small["items"]   # shown on every item
    assert many["questionnaire"] == few["questionnaire"], (few, many)
    assert few["questionnaire"] <= counts(app, plain)["questionnaire"] + 2
