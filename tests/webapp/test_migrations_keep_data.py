"""Migrations keep the data they do not mean to change.

SQLite alters a table in batch mode by copying it and dropping the old one. With
foreign keys enforced, that DROP cascades: a migration adding a column to ``study``
deleted every round (and, through them, every answer) of every study. The demo is
loaded, the schema goes down past the batch migrations and up again, and every
table must hold as many rows as before."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from tests.conftest import make_app

# the head when this test was written, before two migrations that alter study and round in batch
BEFORE_BATCH_MIGRATIONS = "c3536a577274"


def row_counts(db) -> dict[str, int]:
    tables = [t for t in db.metadata.sorted_tables if t.name in set(inspect(db.engine).get_table_names())]
    with db.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def test_down_and_up_again_keeps_every_row(db_url, tmp_path):
    from webapp.extensions import db
    from webapp.services.demo import load_demo

    app = make_app(db_url, tmp_path)
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        before = row_counts(db)
        assert before["round"] >= 5 and before["rating"] > 100  # the demo is there to lose

        downgrade(revision=BEFORE_BATCH_MIGRATIONS)
        kept = set(inspect(db.engine).get_table_names())  # tables added later hold derived data
        upgrade()
        db.session.remove()
        after = row_counts(db)
        assert {t: n for t, n in after.items() if t in kept} == {t: n for t, n in before.items() if t in kept}
        db.engine.dispose()
