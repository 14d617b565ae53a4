"""The close against saves in flight, step by step in two connections:

- the close waits for a save that is in flight (PostgreSQL: the save's guard holds
  the round row FOR SHARE; before, its EXISTS guard took no lock and the save
  could commit after the close had committed);
- ``closed_at`` is taken once the close holds the lock (before, it was taken
  first, so answers stored while the close waited carried later times).
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import create_engine, select, text

from tests.faults.conftest import open_round_with_panel


def _close_in_thread(app, round_id, done: dict):
    def run():
        from webapp.extensions import db
        from webapp.models import Round
        from webapp.services import round_lifecycle

        with app.app_context():
            round_lifecycle.close_round(db.session.get(Round, round_id), actor="coordinator:1")
            db.session.commit()
            done["at"] = time.monotonic()
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_the_close_waits_for_a_save_in_flight(fault_app):
    from webapp.extensions import db
    from webapp.models import Expert, Rating, Round
    from webapp.services import answers, round_lifecycle

    study = open_round_with_panel(fault_app, 1)
    saved, release, finished = threading.Event(), threading.Event(), {}

    def save():
        with fault_app.app_context():
            expert = db.session.get(Expert, study.expert_ids[0])
            rnd = db.session.get(Round, study.round_id)
            answers.save_answers(expert, rnd, [{"node_id": study.node_ids[0], "value": 4}])
            saved.set()
            release.wait(20)   # the save's transaction stays open, as under load
            db.session.commit()
            finished["at"] = time.monotonic()
            db.session.remove()

    saver = threading.Thread(target=save)
    saver.start()
    assert saved.wait(20)
    closed: dict = {}
    closer = _close_in_thread(fault_app, study.round_id, closed)
    time.sleep(1.0)
    still_waiting = closer.is_alive()
    release.set()
    saver.join(30)
    closer.join(30)
    assert still_waiting, "the close committed while a save was in flight"
    assert closed["at"] >= finished["at"]
    with fault_app.app_context():
        closed_at = db.session.get(Round, study.round_id).closed_at
        rating = db.session.scalar(select(Rating))
        assert rating.value == 4 and rating.updated_at <= closed_at


def test_closed_at_is_taken_once_the_close_holds_the_lock(fault_app, db_url):
    from webapp.extensions import db
    from webapp.models import Round, utcnow

    study = open_round_with_panel(fault_app, 1)
    engine = create_engine(db_url)
    with engine.connect() as holder:
        if engine.dialect.name == "sqlite":
            holder.exec_driver_sql("BEGIN IMMEDIATE")     # a long write (a save, a backup step)
        else:                                              # a save in flight holds the round FOR SHARE
            holder.execute(text("SELECT id FROM round WHERE id = :id FOR SHARE"), {"id": study.round_id})
        closed: dict = {}
        closer = _close_in_thread(fault_app, study.round_id, closed)
        time.sleep(1.0)
        released_at = utcnow()
        holder.rollback()
    closer.join(30)
    engine.dispose()
    with fault_app.app_context():
        closed_at = db.session.get(Round, study.round_id).closed_at
    assert closed_at >= released_at, f"closed_at {closed_at} stamped before the lock was held ({released_at})"
