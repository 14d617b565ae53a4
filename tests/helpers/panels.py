"""Helpers for tests with an expert panel: make a panel, open, answer and close rounds.

The fixtures ``panel`` and ``expert_client`` built on them are in ``tests/webapp/conftest.py``.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Expert, Rating, Response, Round, Study
from webapp.services import round_lifecycle, round_scope
from webapp.services.answers import save_answers, submit_response

BASIS = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}


def make_panel(app, make_study, make_expert, n=4, profile=True):
    study_id = make_study()
    extra = {"familiarity": "familiar", "basis": BASIS} if profile else {}
    experts = [make_expert(study_id, name=f"Person Nr{i}", email=f"person{i}@example.org", **extra)
               for i in range(n)]
    with app.app_context():
        pseudonyms = [db.session.get(Expert, e).pseudonym for e, _ in experts]
    return SimpleNamespace(study_id=study_id, experts=experts, pseudonyms=pseudonyms)


def open_round(app, study_id, **settings) -> tuple[int, list[int]]:
    settings.setdefault("rated_level", 1)
    with app.app_context():
        study = db.session.get(Study, study_id)
        if settings.get("scale_max", 5) != 5:  # the default rule is written for 1–5
            study.consensus_rule = {"version": 1, "agreement_min": 0.7}
        rnd = round_scope.create_delphi_round(study, **settings)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        return rnd.id, [item.node_id for item in rnd.items]


def close_round(app, round_id):
    with app.app_context():
        round_lifecycle.close_round(db.session.get(Round, round_id))
        db.session.commit()


def answer(app, expert_id, round_id, values, *, submit=False, comments=None):
    with app.app_context():
        expert, rnd = db.session.get(Expert, expert_id), db.session.get(Round, round_id)
        answers = []
        for k, (item, value) in enumerate(zip(rnd.items, values)):
            a = {"node_id": item.node_id}
            if value == "na":
                a["no_opinion"] = True
            elif value is not None:
                a["value"] = value
            if comments and comments[k]:
                a["comment"] = comments[k]
            answers.append(a)
        save_answers(expert, rnd, answers)
        if submit:
            submit_response(expert, rnd)
        db.session.commit()


def stored(app, expert_id, round_id) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.execute(select(Rating.node_id, Rating.value, Rating.no_opinion, Rating.comment,
                                         Rating.reason).join(Response).where(
            Response.expert_id == expert_id, Response.round_id == round_id)).all()
        return {r[0]: tuple(r[1:]) for r in rows}


def status_of(app, expert_id, round_id):
    with app.app_context():
        return db.session.scalar(select(Response.status).where(Response.expert_id == expert_id,
                                                                Response.round_id == round_id))


def text(response) -> str:
    return response.get_data(as_text=True)
