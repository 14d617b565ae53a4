"""PostgreSQL's autosave in one statement (``answer_pg.save_checked``): the statement
checks, against the rows as they are, what the ordinary path checks in Python after
reading the expert and the round — and writes nothing when a check fails.

The oracle is the ordinary path's own rule, ``services.answers._check_answer`` (with
``security.accept_expert_row``'s and ``answers.autosave_facts``' conditions), applied in
Python to the round read back from the database: on 600 generated batches under four
round settings, the one statement writes exactly the batches that rule accepts.
"""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select, update

from tests.faults.conftest import open_round_with_panel

pytestmark = pytest.mark.postgres   # SQLite keeps the ordinary path (no data-modifying CTE)


def _counts(db):
    from webapp.models import Rating, Response

    return (db.session.scalar(select(func.count()).select_from(Rating)),
            db.session.scalar(select(func.count()).select_from(Response)))


def _marker(db, expert_id):
    from webapp.models import Expert

    return Expert.marker_of(db.session.get(Expert, expert_id).token_hash)


def _attempt(app, expert_id, marker, round_id, answers):
    from webapp.extensions import db
    from webapp.models import utcnow
    from webapp.services import answer_pg
    from webapp.services.answers import store_checked_answers

    with app.app_context():
        with answer_pg.own_connection() as conn:
            saved = store_checked_answers(expert_id, marker, round_id, answers, now=utcnow(), conn=conn)
        db.session.remove()
    return saved


def _random_batch(rng, item_ids, outsider):
    keys = rng.choice([("value",), ("value", "no_opinion"), ("no_opinion",), ("value", "comment"),
                       ("comment",), ("value", "no_opinion", "comment")])
    batch = []
    for _ in range(rng.randint(1, 3)):
        answer = {"node_id": rng.choice(item_ids) if rng.random() < 0.9 else outsider}
        if "value" in keys:
            answer["value"] = rng.choice([None, 0, 1, 2, 3, 5, 6, 7])
        if "no_opinion" in keys:
            answer["no_opinion"] = rng.random() < 0.3
            if answer["no_opinion"] and "value" in keys:
                answer["value"] = None
        if "comment" in keys:
            answer["comment"] = rng.choice(["", "  ", "why not", "理由"])
        batch.append(answer)
    return batch


def _accepted_by_the_ordinary_rule(facts, batch) -> bool:
    from webapp.services.answers import AnswerError, _check_answer

    try:
        for answer in batch:
            _check_answer(facts, answer, set(facts.item_node_ids))
    except AnswerError:
        return False
    return True


@pytest.mark.parametrize("no_opinion,comments", [(True, True), (False, True), (True, False), (False, False)])
def test_the_statement_writes_exactly_what_the_ordinary_rule_accepts(app, no_opinion, comments):
    from webapp.extensions import db
    from webapp.models import Node, Round, RoundItem
    from webapp.services import answer_sql

    study = open_round_with_panel(app, 1)
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == study.round_id).values(
            allow_no_opinion=no_opinion, allow_comments=comments, scale_min=1, scale_max=5))
        db.session.commit()
        # a node of the study that is not an item of this round
        outsider = db.session.scalar(select(Node.id).where(Node.id.not_in(
            select(RoundItem.node_id).where(RoundItem.round_id == study.round_id))).limit(1))
        assert outsider is not None
        facts = answer_sql.round_facts(db.session.get(Round, study.round_id).study_id, study.round_id)
        marker = _marker(db, study.expert_ids[0])
        db.session.remove()
    rng = random.Random(f"{no_opinion}{comments}")
    outcomes = {True: 0, False: 0}
    for _ in range(150):
        batch = _random_batch(rng, facts.item_node_ids, outsider)
        if any(a.get("no_opinion") and a.get("value") is not None for a in batch):
            continue   # refused before the statement (store_checked_answers), by the same rule
        rows = answer_sql.rating_rows(batch, None)
        if len({tuple(sorted(r)) for r in rows}) != 1:
            continue   # several shapes: the ordinary path's two statements
        expected = _accepted_by_the_ordinary_rule(facts, batch)
        with app.app_context():
            before = _counts(db)
            db.session.remove()
        saved = _attempt(app, study.expert_ids[0], marker, study.round_id, batch)
        with app.app_context():
            after = _counts(db)
            db.session.remove()
        assert (saved is not None) == expected, batch
        if not expected:
            assert after == before, batch
        outcomes[expected] += 1
    assert outcomes[True] >= 20 and outcomes[False] >= 20, outcomes


def _round_of_another_study(app) -> int:
    from webapp.extensions import db
    from webapp.services import accounts, round_lifecycle, round_scope, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    with app.app_context():
        owner = accounts.create_coordinator("bob", "correct horse battery")
        study = studies.create_study(owner, title="Another study")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        studies.add_expert(study, stakeholder_group="academia", familiarity="familiar", field="testing",
                           basis={"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"},
                           years_experience=10)
        rnd = round_scope.create_delphi_round(study, title="R1")
        round_lifecycle.open_round(rnd)
        db.session.commit()
        return rnd.id


def test_the_statement_refuses_whom_the_ordinary_path_refuses(app):
    """Each of the ordinary path's refusals of the expert or the round, one at a time:
    the statement writes nothing (the view then takes the ordinary path, which says why)."""
    from webapp.extensions import db
    from webapp.models import Expert, Response, ResponseStatus, Round, RoundKind, RoundStatus, utcnow

    study = open_round_with_panel(app, 3)
    other_round_id = _round_of_another_study(app)
    node = study.node_ids[0]
    good = [{"node_id": node, "value": 3}]
    with app.app_context():
        markers = [_marker(db, e) for e in study.expert_ids]
        db.session.remove()

    def refused(expert_index, round_id=study.round_id, marker=None):
        with app.app_context():
            before = _counts(db)
            db.session.remove()
        saved = _attempt(app, study.expert_ids[expert_index], marker or markers[expert_index], round_id, good)
        with app.app_context():
            after = _counts(db)
            db.session.remove()
        return saved is None and after == before

    assert refused(0, marker="0" * 16)                 # a session of a reissued link
    assert refused(0, round_id=other_round_id)         # a round of another study
    with app.app_context():
        db.session.get(Expert, study.expert_ids[1]).revoke()
        db.session.commit()
    assert refused(1)                                   # a revoked link
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == study.round_id).values(kind=RoundKind.ahp))
        db.session.commit()
    assert refused(2)                                   # not a Delphi round
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == study.round_id).values(kind=RoundKind.delphi))
        db.session.commit()
    assert _attempt(app, study.expert_ids[2], markers[2], study.round_id, good) is not None   # all well
    with app.app_context():
        db.session.execute(update(Response).values(status=ResponseStatus.submitted, submitted_at=utcnow()))
        db.session.commit()
    assert refused(2)                                   # already submitted
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == study.round_id).values(closes_at=utcnow()))
        db.session.commit()
    assert refused(0)                                   # past the deadline, no scheduler has closed it
    with app.app_context():
        db.session.execute(update(Round).where(Round.id == study.round_id).values(
            closes_at=None, status=RoundStatus.closed))
        db.session.commit()
    assert refused(0)                                   # closed
