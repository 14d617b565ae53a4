"""The schema changes only by migration: upgrading an empty database gives
exactly the models' schema, and the migrations go down and up again."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import make_app


def test_upgrade_from_empty_matches_models_and_downgrades(db_url, tmp_path):
    from webapp.extensions import db

    app = make_app(db_url, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
        assert diff == []
        assert {"user", "study", "node", "expert", "round", "response", "rating", "judgment",
                "weight_set", "audit_event"} <= set(inspect(db.engine).get_table_names())
        assert migrated_check_constraints(db) == model_check_constraints(db)

        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        upgrade()
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        db.engine.dispose()


def model_check_constraints(db) -> set[tuple[str, str]]:
    from sqlalchemy import CheckConstraint

    found = set()
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                found.add((table.name, constraint.name))
    return found


def migrated_check_constraints(db) -> set[tuple[str, str]]:
    """Alembic's autogenerate does not compare check constraints: compare them here."""
    inspector = inspect(db.engine)
    return {(table, c["name"]) for table in db.metadata.tables
            for c in inspector.get_check_constraints(table)}
