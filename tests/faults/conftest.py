"""Fault tests: a study with an open round on the suite's database (SQLite and,
with CONCORDIA_TEST_PG, PostgreSQL), served by gunicorn in a subprocess."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import make_app
from tests.faults.live import LiveServer


@dataclass
class OpenRound:
    round_id: int
    node_ids: list[int]
    tokens: list[str]
    expert_ids: list[int]


def open_round_with_panel(app, n_experts: int, *, closes_in=None) -> OpenRound:
    from datetime import timedelta

    from webapp.extensions import db
    from webapp.models import utcnow
    from webapp.services import accounts, round_lifecycle, round_scope, studies
    from webapp.services.demo import seed_hierarchy_bytes
    from webapp.services.hierarchy_io import parse_json, validate_tree

    basis = {"practice": "high", "theory": "medium", "literature": "medium", "intuition": "low"}
    with app.app_context():
        owner = accounts.create_coordinator("alice", "correct horse battery")
        study = studies.create_study(owner, title="Fault study")
        studies.import_hierarchy(study, validate_tree(parse_json(seed_hierarchy_bytes())))
        invitations = [studies.add_expert(study, stakeholder_group="academia",
                                          familiarity="familiar", basis=basis, field="testing",
                                          years_experience=10)
                       for _ in range(n_experts)]
        closes_at = utcnow() + closes_in if closes_in is not None else None
        rnd = round_scope.create_delphi_round(study, title="R1", closes_at=closes_at)
        round_lifecycle.open_round(rnd)
        db.session.commit()
        return OpenRound(rnd.id, [item.node_id for item in rnd.items], [i.token for i in invitations],
                         [i.expert.id for i in invitations])


@pytest.fixture
def fault_app(db_url, tmp_path):
    from webapp.extensions import db

    app = make_app(db_url, tmp_path)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live(fault_app, db_url, tmp_path):
    server = LiveServer(db_url, tmp_path, workers=2)
    yield server
    server.stop()
