"""A close while 50 experts save: every save is stored before the close or refused
with the closed message; none is stamped after ``closed_at``; none commits after
the close has committed."""
from __future__ import annotations

import random
import threading
import time

from sqlalchemy import select

from tests.faults.conftest import open_round_with_panel
from tests.faults.live import Expert, Refused, server_errors

N = 50


def _snapshot(app):
    from webapp.extensions import db
    from webapp.models import Rating, Response

    with app.app_context():
        ratings = {(r.response_id, r.node_id): (r.value, r.updated_at)
                   for r in db.session.scalars(select(Rating))}
        responses = {r.id: (r.expert_id, r.updated_at) for r in db.session.scalars(select(Response))}
        db.session.rollback()
    return ratings, responses


def test_close_while_fifty_experts_save(fault_app, live):
    from webapp.extensions import db
    from webapp.models import Round
    from webapp.services import round_lifecycle

    study = open_round_with_panel(fault_app, N)
    live.start()
    experts = [Expert(live, study.round_id) for _ in range(N)]
    entered = [threading.Thread(target=e.enter, args=(t,)) for e, t in zip(experts, study.tokens)]
    for t in entered:
        t.start()
    for t in entered:
        t.join(120)
    refusals, failures = [], []
    go = threading.Event()

    def saving(expert, seed):
        rng = random.Random(seed)
        go.wait()
        try:
            for node_id in study.node_ids:
                expert.save(node_id, rng.randint(1, 5))
        except Refused as exc:
            refusals.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=saving, args=(e, i)) for i, e in enumerate(experts)]
    for t in threads:
        t.start()
    go.set()
    time.sleep(2.0)  # saves in full flow
    with fault_app.app_context():
        closed = round_lifecycle.close_round(db.session.get(Round, study.round_id), actor="coordinator:1")
        db.session.commit()
        assert closed
    at_close = _snapshot(fault_app)
    for t in threads:
        t.join(180)
    after = _snapshot(fault_app)
    with fault_app.app_context():
        closed_at = db.session.get(Round, study.round_id).closed_at

    assert not failures and server_errors(experts) == [], (failures, live.log_text()[-3000:])
    assert len(refusals) == N  # every expert was still saving when the round closed
    for exc in refusals:
        assert exc.status == 400 and exc.body["error"] == "refused" and exc.body["closed"] is True
    assert after == at_close, "something was committed after the close had committed"
    ratings, responses = at_close
    late = [(key, stamp) for key, (_v, stamp) in ratings.items() if stamp > closed_at]
    assert late == [], f"{len(late)} ratings stamped after closed_at {closed_at}: {late[:5]}"
    assert all(stamp <= closed_at for _e, stamp in responses.values())
    response_of = {expert_id: rid for rid, (expert_id, _s) in responses.items()}
    for expert, expert_id in zip(experts, study.expert_ids):
        for node_id, value in expert.acked.items():
            assert ratings[(response_of[expert_id], node_id)][0] == value
