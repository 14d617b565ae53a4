"""export-study → import-study into an empty database → the same reports."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, login, make_app


def _demo_with_weight_set(app):
    from webapp.extensions import db
    from webapp.models import Proposal, ProposalKind, Study, WeightSet
    from webapp.services.demo import load_demo

    with app.app_context():
        logins = load_demo()
        study = db.session.scalar(select(Study).order_by(Study.id))
        root = study.root
        db.session.add(Proposal(round=study.rounds[0], expert=study.experts[0], kind=ProposalKind.add,
                                text="新增指标：客户投诉处理时效", parent_node_id=root.children[0].id))
        db.session.add(WeightSet.freeze(study=study, version=1, payload={"schema": "weight-set/1", "nodes": []},
                                        label="v1"))
        db.session.commit()
        return study.id, logins


def _reports(client, study_id: int, round_ids: list[int]) -> dict:
    """Every CSV export of every round, keyed by (round position, table)."""
    from webapp.services.exports import TABLES

    out = {}
    for position, round_id in enumerate(round_ids):
        for table in TABLES:
            response = client.get(f"/studies/{study_id}/rounds/{round_id}/export/{table}.csv?lang=en")
            assert response.status_code == 200, (table, response.status_code)
            out[(position, table)] = response.data
    return out


def _round_ids(app, study_id: int) -> list[int]:
    from webapp.extensions import db
    from webapp.models import Round

    with app.app_context():
        return list(db.session.scalars(select(Round.id).where(Round.study_id == study_id).order_by(Round.number)))


def _counts(app, study_id: int) -> dict:
    from webapp.extensions import db
    from webapp.services.archive import export_study
    from webapp.models import Study

    with app.app_context():
        archive = export_study(db.session.get(Study, study_id))
        return {name: len(t["rows"]) for name, t in archive["tables"].items()}


def test_export_import_round_trip_gives_identical_reports(app, other_db_url, tmp_path):
    from webapp.extensions import db
    from webapp.models import AuditEvent, Study, WeightSet

    study_id, logins = _demo_with_weight_set(app)
    archive_path = tmp_path / "study.json.gz"
    result = app.test_cli_runner().invoke(args=["export-study", str(study_id), "-o", str(archive_path)])
    assert result.exit_code == 0, result.output
    before_counts = _counts(app, study_id)
    # the demo has ratings of two rounds, comments, proposals, a weight set and an audit log
    assert before_counts["rating"] > 100 and before_counts["weight_set"] == 1
    assert before_counts["audit_event"] > 10 and before_counts["proposal"] >= 1

    source = app.test_client()
    assert login(source, logins.username, logins.password).status_code == 302
    before = _reports(source, study_id, _round_ids(app, study_id))

    other = make_app(other_db_url, tmp_path)
    with other.app_context():
        db.create_all()
    from webapp.services.accounts import create_coordinator

    with other.app_context():
        create_coordinator("alice", PASSWORD)
        db.session.commit()
    result = other.test_cli_runner().invoke(args=["import-study", str(archive_path), "--owner", "alice"])
    assert result.exit_code == 0, result.output
    with other.app_context():
        new_id = db.session.scalar(select(Study.id))
        imported_ws = db.session.scalar(select(WeightSet))
        imported = (imported_ws.checksum, imported_ws.payload_text, imported_ws.study_id)
        actions = list(db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.study_id == new_id).order_by(AuditEvent.id)))
    with app.app_context():
        original_ws = db.session.scalar(select(WeightSet).where(WeightSet.study_id == study_id))
        assert imported == (original_ws.checksum, original_ws.payload_text, new_id)
        original_actions = list(db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.study_id == study_id).order_by(AuditEvent.id)))
    assert actions == original_actions + ["study.import"]
    after_counts = _counts(other, new_id)
    assert after_counts == before_counts | {"audit_event": before_counts["audit_event"] + 1}

    target = other.test_client()
    assert login(target).status_code == 302
    after = _reports(target, new_id, _round_ids(other, new_id))
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
    with other.app_context():
        db.engine.dispose()


def test_import_into_the_same_database_is_refused_and_changes_nothing(app, tmp_path):
    from webapp.extensions import db
    from webapp.models import Study, User
    from webapp.services.archive import ArchiveError, export_study, import_study

    study_id, _ = _demo_with_weight_set(app)
    with app.app_context():
        archive = json.loads(json.dumps(export_study(db.session.get(Study, study_id))))
        studies = db.session.scalar(select(func.count(Study.id)))
        owner = db.session.scalar(select(User))
        with pytest.raises(ArchiveError, match="invitation links must be unique"):
            import_study(archive, owner)
        db.session.rollback()
        assert db.session.scalar(select(func.count(Study.id))) == studies


@pytest.mark.parametrize("mangle, message", [
    (lambda a: a.update(schema="other/1"), "not a study-archive/1 archive"),
    (lambda a: a["tables"].update(mystery={"columns": [], "rows": []}), "tables this version does not know"),
    (lambda a: a["tables"]["node"]["columns"].append("colour"), "unknown columns"),
    (lambda a: a["tables"].pop("study"), "holds no study"),
])
def test_bad_archives_are_refused_with_a_reason(app, other_db_url, tmp_path, mangle, message):
    from webapp.extensions import db
    from webapp.models import Study
    from webapp.services.archive import export_study

    study_id, _ = _demo_with_weight_set(app)
    with app.app_context():
        archive = json.loads(json.dumps(export_study(db.session.get(Study, study_id))))
    mangle(archive)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(archive))
    other = make_app(other_db_url, tmp_path)
    with other.app_context():
        db.create_all()
        from webapp.services.accounts import create_coordinator

        create_coordinator("alice", PASSWORD)
        db.session.commit()
    result = other.test_cli_runner().invoke(args=["import-study", str(path), "--owner", "alice"])
    assert result.exit_code != 0 and message in result.output
    with other.app_context():
        assert db.session.scalar(select(func.count(Study.id))) == 0
        db.engine.dispose()
