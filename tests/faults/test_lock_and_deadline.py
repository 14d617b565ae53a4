"""The write lock held 8 s by another process: no 500, no lost input. The deadline
passing with no scheduler running: saves are refused and nothing changes."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import create_engine, func, select, text

from tests.faults.conftest import open_round_with_panel
from tests.faults.live import Expert, Refused, server_errors


def _hold_write_lock(db_url: str, seconds: float, held: threading.Event):
    """Another connection takes the database's write lock (SQLite) or the ratings
    table's (PostgreSQL) and keeps it ``seconds``."""
    engine = create_engine(db_url, connect_args={"timeout": 0} if db_url.startswith("sqlite") else {})
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.execute(text("LOCK TABLE rating, response IN EXCLUSIVE MODE"))
        held.set()
        time.sleep(seconds)
        conn.rollback()
    engine.dispose()


def test_write_lock_held_eight_seconds(fault_app, live, db_url):
    from webapp.extensions import db
    from webapp.models import Rating

    study = open_round_with_panel(fault_app, 4)
    live.start()
    experts = [Expert(live, study.round_id).enter(t) for t in study.tokens]
    experts[0].save(study.node_ids[0], 3)  # responses exist before the lock
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_url, 8.0, held))
    holder.start()
    held.wait(10)
    started = time.monotonic()
    failures = []

    def saving(expert, value):
        try:
            for node_id in study.node_ids[:5]:
                expert.save(node_id, value)
        except Exception as exc:  # noqa: BLE001
            failures.append(repr(exc))

    threads = [threading.Thread(target=saving, args=(e, i + 1)) for i, e in enumerate(experts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    holder.join()
    assert time.monotonic() - started > 7  # the saves really waited for the lock
    assert not failures and server_errors(experts) == [], (failures, live.log_text()[-2000:])
    with fault_app.app_context():
        assert db.session.scalar(select(func.count(Rating.id))) == 4 * 5
        for expert, value in zip(experts, range(1, 5)):
            assert set(expert.acked.values()) == {value} and len(expert.acked) == 5


def test_deadline_passes_without_a_scheduler(fault_app, live):
    from webapp.extensions import db
    from webapp.models import Rating, Round, RoundStatus, utcnow

    study = open_round_with_panel(fault_app, 1, closes_in=timedelta(hours=1))
    live.start()
    expert = Expert(live, study.round_id).enter(study.tokens[0])
    expert.save(study.node_ids[0], 4)
    with fault_app.app_context():  # the deadline comes closer (as if the hour had passed)
        rnd = db.session.get(Round, study.round_id)
        rnd.closes_at = closes_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
    while utcnow() <= closes_at + timedelta(milliseconds=200):
        time.sleep(0.1)
    with fault_app.app_context():
        before = [(r.node_id, r.value, r.updated_at) for r in db.session.scalars(select(Rating))]
    for node_id, value in ((study.node_ids[0], 1), (study.node_ids[1], 2)):
        try:
            expert.save(node_id, value)
        except Refused as exc:
            assert exc.status == 400 and exc.body["closed"] is True
        else:
            raise AssertionError("a save after the deadline was accepted")
    with fault_app.app_context():
        after = [(r.node_id, r.value, r.updated_at) for r in db.session.scalars(select(Rating))]
        assert db.session.get(Round, study.round_id).status is RoundStatus.closed  # closed lazily
    assert after == before == [(study.node_ids[0], 4, before[0][2])]
    assert server_errors([expert]) == []
