"""Two tabs (or a phone and a laptop) saving different values for the same items
at the same moment: no error, no duplicate row, the last write wins."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.faults.conftest import open_round_with_panel
from tests.faults.live import Expert, server_errors


def test_concurrent_first_saves_from_two_tabs(fault_app, live):
    from webapp.extensions import db
    from webapp.models import Rating, Response

    study = open_round_with_panel(fault_app, 1)
    live.start()
    first = Expert(live, study.round_id).enter(study.tokens[0])
    second = first.tab().load()
    items = study.node_ids[:24]
    barrier = threading.Barrier(2)
    failures = []

    def tab(client, value):
        try:
            for node_id in items:
                barrier.wait()   # both tabs send their first save of this item together
                client.save(node_id, value)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
            barrier.abort()

    threads = [threading.Thread(target=tab, args=(first, 2)), threading.Thread(target=tab, args=(second, 4))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures and server_errors([first, second]) == [], (failures, live.log_text()[-3000:])
    # then, one after the other: the last acknowledged write is what is stored
    for node_id in items[:10]:
        first.save(node_id, 1)
        second.save(node_id, 5)
    for node_id in items[10:20]:
        second.save(node_id, 3)
        first.save(node_id, 1)
    with fault_app.app_context():
        assert db.session.scalar(select(func.count(Response.id))) == 1
        rows = db.session.execute(select(Rating.node_id, func.count(Rating.id), func.max(Rating.value))
                                  .group_by(Rating.node_id)).all()
    counts = {node: n for node, n, _ in rows}
    values = {node: v for node, _, v in rows}
    assert set(counts) == set(items) and set(counts.values()) == {1}
    assert all(values[n] == 5 for n in items[:10]) and all(values[n] == 1 for n in items[10:20])
    assert all(values[n] in (2, 4) for n in items[20:])
