"""What an autosave costs the database: at most 4 statements besides the session's
own (the expert lookup), however many ratings the expert has stored, on the seed
hierarchy (63 indicators). Before: the save loaded every stored rating of the
expert to change one, and read the response twice."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.faults.conftest import open_round_with_panel

MAX_STATEMENTS = 4


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


def _session_lookup(statement: str) -> bool:
    text = " ".join(statement.split()).lower()
    return text.startswith("select") and "from expert" in text and "where expert.id =" in text


def _save(client, round_id, node_id, value):
    token = client.token
    return client.post(f"/api/v1/rounds/{round_id}/answers", csrf=False, headers={"X-CSRF-Token": token},
                       json={"answers": [{"node_id": node_id, "value": value}]})


def test_an_autosave_takes_at_most_four_statements(app, client, counted):
    study = open_round_with_panel(app, 1)
    assert client.get(f"/i/{study.tokens[0]}").status_code == 302
    client.token = client.csrf_token()
    costs = []
    for i, node_id in enumerate(study.node_ids):     # the first save creates the response
        counted.clear()
        response = _save(client, study.round_id, node_id, 1 + i % 5)
        assert response.status_code == 200, response.get_json()
        costs.append([s for s in counted if not _session_lookup(s)])
    costs.append([])
    counted.clear()
    assert _save(client, study.round_id, study.node_ids[0], 5).status_code == 200   # a change
    costs[-1] = [s for s in counted if not _session_lookup(s)]
    worst = max(costs, key=len)
    assert len(worst) <= MAX_STATEMENTS, "\n\n".join(worst)
    assert response.get_json()["answered"] == len(study.node_ids)


def test_on_postgresql_an_autosave_is_one_transaction(app, client):
    """On PostgreSQL the count of answered items is taken inside the write
    transaction: counting after the commit cost a second BEGIN and its ROLLBACK,
    two of the save's nine round trips. SQLite keeps counting after the commit
    (its one write lock is then held for the two upserts only)."""
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
    assert len(begins) == (1 if engine.dialect.name == "postgresql" else 2)
