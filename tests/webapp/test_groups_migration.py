"""The migration to per-study stakeholder groups keeps what each expert was: every existing study
gets the five groups its coordinator could choose from (named as the pages named them), and each
expert points at the group of their own study with the code they had; going down maps back."""
from __future__ import annotations

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import Boolean, DateTime, Float, Integer, MetaData, Table, insert, select, text

from tests.conftest import make_app

BEFORE = "c3536a577274"      # the head before study_group
VALUES = {"default_locale": "zh", "locale": "zh", "status": "draft", "title": "T", "time_zone": "UTC"}


def _row(table: Table, **given) -> dict:
    """``given`` plus a plain value for every other required column without a server default."""
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.primary_key or column.nullable or column.server_default is not None:
            continue
        kind = column.type
        row[column.name] = VALUES.get(column.name) if column.name in VALUES else (
            datetime(2026, 1, 1) if isinstance(kind, DateTime) else False if isinstance(kind, Boolean)
            else 0.5 if isinstance(kind, Float) else 3 if isinstance(kind, Integer) else f"{column.name}-{len(row)}")
    return row


def test_existing_experts_keep_their_group(db_url, tmp_path):
    from webapp.extensions import db

    app = make_app(db_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        meta = MetaData()
        user, study, expert = (Table(name, meta, autoload_with=db.engine) for name in ("user", "study", "expert"))
        with db.engine.begin() as conn:
            conn.execute(insert(user).values(_row(user, id=1, username="coordinator", session_token="s1")))
            for sid in (1, 2):
                conn.execute(insert(study).values(_row(study, id=sid, owner_id=1, title=f"S{sid}")))
            for eid, sid, group in [(1, 1, "platform"), (2, 1, None), (3, 2, "platform"), (4, 2, "academia")]:
                conn.execute(insert(expert).values(_row(expert, id=eid, study_id=sid, pseudonym=f"E{eid}",
                                                        token_hash=f"h{eid}", stakeholder_group=group)))
        upgrade()
        with db.engine.connect() as conn:
            groups = conn.execute(text("SELECT study_id, code, name_zh, name_en, position FROM study_group "
                                       "ORDER BY study_id, position")).all()
            pointed = conn.execute(text("SELECT e.id, e.study_id, g.study_id, g.code FROM expert e "
                                        "LEFT JOIN study_group g ON g.id = e.group_id ORDER BY e.id")).all()
        five = [("regulator", "监管部门", "Regulator"), ("platform", "平台", "Platform"), ("enterprise", "企业", "Enterprise"),
                ("academia", "高校及科研院所", "Academia and research institutes"), ("other", "其他", "Other")]
        assert groups == [(sid, *g, i) for sid in (1, 2) for i, g in enumerate(five)]
        assert [tuple(r) for r in pointed] == [(1, 1, 1, "platform"), (2, 1, None, None), (3, 2, 2, "platform"),
                                               (4, 2, 2, "academia")]
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            back = conn.execute(select(expert.c.id, expert.c.stakeholder_group).order_by(expert.c.id)).all()
        assert [tuple(r) for r in back] == [(1, "platform"), (2, None), (3, "platform"), (4, "academia")]
        db.engine.dispose()
