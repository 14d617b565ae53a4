"""What an autosave costs the database: on SQLite 3 statements in all, in one transaction —
the expert with the round and its items, the Response upsert (which counts the
items answered outside the batch) and the Ratings upsert (which says which of the
batch's items are answered) — however many ratings the expert has stored, on the
seed hierarchy (63 indicators). Before: 5 statements (the expert, the round, the
two upserts, a count) and on SQLite two transactions; before that the save loaded
every stored rating of the expert to change one, and read the response twice. On
PostgreSQL one statement, which checks what the others read (``answer_pg.save_checked``)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.faults.conftest import open_round_with_panel

MAX_STATEMENTS = 3


@pytest.fixture
def counted(app):
    from webapp.extensions import db

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    yield statements
    event.remove(engine, "before_cursor_execute", count)


def _save(client, round_id, node_id, value):
    token = client.token
    return client.post(f"/api/v1/rounds/{round_id}/answers", csrf=False, headers={"X-CSRF-Token": token},
                       json={"answers": [{"node_id": node_id, "value": value}]})


def _data(statements):
    return [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"))]


def test_an_autosave_takes_three_statements(app, client, counted):
    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    costs = []
    for i, node_id in enumerate(study.node_ids):     # the first save creates the response
        counted.clear()
        response = _save(client, study.round_id, node_id, 1 + i % 5)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["answered"] == i + 1
        costs.append(_data(counted))
    counted.clear()
    changed = _save(client, study.round_id, study.node_ids[0], 5)   # a change
    assert changed.status_code == 200 and changed.get_json()["answered"] == len(study.node_ids)
    costs.append(_data(counted))
    worst = max(costs, key=len)
    with app.app_context():
        from webapp.extensions import db

        # PostgreSQL: one statement checks the expert, the round and the batch and writes both
        expected = 1 if db.engine.dialect.name == "postgresql" else MAX_STATEMENTS
    assert len(worst) <= expected, "\n\n".join(worst)
    assert response.get_json()["answered"] == len(study.node_ids)


def test_an_autosave_is_one_transaction(app, client):
    """The count of answered items comes from the two upserts themselves: on SQLite
    one BEGIN per save. Before, SQLite counted after the commit (a second pool
    checkout, BEGIN and ROLLBACK per save), PostgreSQL in a third statement. On
    PostgreSQL the save's read and its one writing statement run in autocommit on
    one pool connection (``answer_pg.own_connection``): no BEGIN and no COMMIT round
    trip, and the session opens no connection of its own."""
    from webapp.extensions import db

    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    with app.app_context():
        engine = db.engine
    begins, checkouts, statements = [], [], []

    def began(conn):
        begins.append(1)

    def checked_out(dbapi_connection, record, proxy):
        checkouts.append(id(dbapi_connection))

    def executed(conn, cursor, statement, parameters, context, executemany):
        dbapi = conn.connection.dbapi_connection
        statements.append((id(dbapi), getattr(dbapi, "autocommit", None), statement))

    event.listen(engine, "begin", began)
    event.listen(engine.pool, "checkout", checked_out)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        assert _save(client, study.round_id, study.node_ids[0], 3).status_code == 200   # creates the response
        begins.clear(), checkouts.clear(), statements.clear()
        response = _save(client, study.round_id, study.node_ids[1], 4)
    finally:
        event.remove(engine, "begin", began)
        event.remove(engine.pool, "checkout", checked_out)
        event.remove(engine, "before_cursor_execute", executed)
    assert response.status_code == 200
    assert response.get_json()["answered"] == 2
    data = [s for s in statements if not s[2].lstrip().upper().startswith("PRAGMA")]
    if engine.dialect.name == "postgresql":
        assert len(checkouts) == 1
        assert len(data) == 1 and data[0][0] == checkouts[0]
        assert all(autocommit is True for _, autocommit, _ in data), data
    else:
        assert len(begins) == 1
        assert len(data) == 3


@pytest.mark.postgres   # SQLite keeps the save in the session's transaction
def test_a_save_on_its_own_connection_still_waits_for_a_close(app):
    """PostgreSQL: the writing statement, in autocommit, still takes the round ``FOR
    SHARE``: while a close holds the round ``FOR UPDATE`` it waits, and once the close
    commits it writes nothing (the statement re-reads the round it locked)."""
    import threading

    from sqlalchemy import select, update

    from webapp.models import Rating, Round, RoundStatus, utcnow
    from webapp.services import answer_pg, answer_sql

    from webapp.extensions import db

    study = open_round_with_panel(app, 1)
    outcome = {}
    with app.app_context():
        closer = db.engine.connect()
        closing = closer.begin()
        closer.execute(select(Round.id).where(Round.id == study.round_id).with_for_update())

        def save():
            with app.app_context():
                now = utcnow()
                with answer_pg.own_connection() as conn:
                    _, facts = answer_sql.expert_and_round(study.expert_ids[0], study.round_id, conn=conn)
                    outcome["open_when_read"] = facts.status
                    rows = answer_sql.rating_rows([{"node_id": study.node_ids[0], "value": 3}], now)
                    outcome["written"] = answer_pg.save(study.expert_ids[0], study.round_id, rows, now, conn=conn)

        saver = threading.Thread(target=save)
        saver.start()
        saver.join(1.0)
        assert saver.is_alive(), "the save did not wait for the close's lock"
        closer.execute(update(Round).where(Round.id == study.round_id).values(status=RoundStatus.closed))
        closing.commit()
        closer.close()
        saver.join(10)
        assert not saver.is_alive()
        assert outcome["open_when_read"] is RoundStatus.open
        assert outcome["written"] is None
        assert db.session.scalar(select(db.func.count()).select_from(Rating)) == 0
