"""What an autosave costs the database: 3 statements in all, in one transaction —
the expert with the round and its items, the Response upsert (which counts the
items answered outside the batch) and the Ratings upsert (which says which of the
batch's items are answered) — however many ratings the expert has stored, on the
seed hierarchy (63 indicators). Before: 5 statements (the expert, the round, the
two upserts, a count) and on SQLite two transactions; before that the save loaded
every stored rating of the expert to change one, and read the response twice."""
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

        expected = 2 if db.engine.dialect.name == "postgresql" else MAX_STATEMENTS   # one CTE writes both
    assert len(worst) <= expected, "\n\n".join(worst)
    assert response.get_json()["answered"] == len(study.node_ids)


def test_an_autosave_is_one_transaction(app, client):
    """The count of answered items comes from the two upserts themselves: one BEGIN
    per save on both databases. Before, SQLite counted after the commit (a second
    pool checkout, BEGIN and ROLLBACK per save), PostgreSQL in a third statement."""
    from webapp.extensions import db

    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    with app.app_context():
        engine = db.engine
    begins: list[int] = []

    def began(conn):
        begins.append(1)

    event.listen(engine, "begin", began)
    try:
        assert _save(client, study.round_id, study.node_ids[0], 3).status_code == 200   # creates the response
        begins.clear()
        response = _save(client, study.round_id, study.node_ids[1], 4)
    finally:
        event.remove(engine, "begin", began)
    assert response.status_code == 200
    assert response.get_json()["answered"] == 2
    assert len(begins) == 1
