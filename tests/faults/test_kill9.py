"""kill -9 of the whole server in the middle of saves and submits, then a restart:
the clients' retries complete, every acknowledged answer is stored with its last
value, and no submission is half-written."""
from __future__ import annotations

import random
import threading
import time

from sqlalchemy import select

from tests.faults.conftest import open_round_with_panel
from tests.faults.live import Expert

N = 5


def test_kill9_mid_saves_and_submits(fault_app, live):
    from webapp.extensions import db
    from webapp.models import Rating, Response, ResponseStatus

    study = open_round_with_panel(fault_app, N)
    live.start()
    experts = [Expert(live, study.round_id).enter(token) for token in study.tokens]
    finals: dict[int, dict[int, int]] = {}
    landed, failures = {}, []

    def expert_run(index, expert):
        rng = random.Random(index)
        values = {}
        try:
            for node_id in study.node_ids + rng.sample(study.node_ids, 6):   # a few changed again
                values[node_id] = rng.randint(1, 5)
                expert.save(node_id, values[node_id])
            finals[index] = values
            landed[index] = expert.submit(values)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=expert_run, args=(i, e)) for i, e in enumerate(experts)]
    for t in threads:
        t.start()
    kills = 0
    for share in (0.3, 0.9):   # once mid-saves, once as the first experts submit
        target = share * N * (len(study.node_ids) + 6)
        while sum(len(e.acked) for e in experts) + 6 * len(finals) < target and any(t.is_alive() for t in threads):
            time.sleep(0.02)
        if any(t.is_alive() for t in threads):
            live.kill9()
            kills += 1
            time.sleep(0.5)
            live.start()
    for t in threads:
        t.join(240)
    assert kills == 2 and not failures, failures
    assert None in {s for e in experts for s in e.statuses}  # requests really were cut off
    assert len(landed) == N
    with fault_app.app_context():
        responses = {r.expert_id: r for r in db.session.scalars(select(Response))}
        for index, expert_id in enumerate(study.expert_ids):
            response = responses[expert_id]
            assert response.status is ResponseStatus.submitted and response.submitted_at is not None
            stored = {r.node_id: r.value for r in db.session.scalars(
                select(Rating).where(Rating.response_id == response.id))}
            assert stored == finals[index]  # whole, exactly the last values
            assert all(stored[n] == v for n, v in experts[index].acked.items())
