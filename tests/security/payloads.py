"""Put a hostile payload into every free-text column of every model (generated from the
models, so a new text column is attacked by default), and the GET pages to look at."""
from __future__ import annotations

from sqlalchemy import Enum, String, Text, cast, literal, select, update

from webapp.extensions import db

# Columns that hold no free text a person typed (or whose change would end the test's sessions).
NOT_FREE_TEXT = {
    ("expert", "pseudonym"), ("expert", "token_hash"), ("expert", "locale"), ("expert", "familiarity"),
    ("study", "default_locale"), ("user", "password_hash"), ("user", "session_token"), ("user", "locale"),
    ("user", "username"), ("login_attempt", "username"), ("login_attempt", "ip_hash"),
    ("audit_event", "actor"), ("audit_event", "action"), ("audit_event", "target"),
    ("weight_set", "payload_text"), ("weight_set", "checksum"), ("study", "api_key_hash"),
    ("evaluation_score", "code"), ("evaluation_score", "source"), ("evaluator", "token_hash"), ("weight_answer", "method"), ("weight_answer", "role"),
    ("study", "time_zone"),  # an IANA zone name chosen from a list and checked (services/timezones.py)
    ("message", "locale"),   # "en" / "zh", set by the app
    ("evaluator_message", "locale"),  # the same, for reminders to evaluators
    ("evaluator", "locale"),          # "en" / "zh" (or NULL), a checked choice (services/evaluators.py)
    ("round_report", "digest"),  # a SHA-256 written by the app (services/frozen_reports.py)
}


def text_columns():
    """(table, column) of every String/Text column that is free text."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            kind = column.type
            if isinstance(kind, (String, Text)) and not isinstance(kind, Enum) \
                    and (table.name, column.name) not in NOT_FREE_TEXT and not column.foreign_keys:
                if type(kind).__name__ in ("JSONText",):
                    continue
                found.append((table, column))
    return found


def fill(app, payload_for) -> dict[str, str]:
    """Write ``payload_for(i, max_length)`` into every free-text column; returns {column: payload}."""
    written = {}
    with app.app_context():
        for i, (table, column) in enumerate(text_columns()):
            length = getattr(column.type, "length", None) or 10_000
            value = payload_for(i, length - 8)
            # + the row id: unique columns (indicator codes) stay unique
            db.session.execute(update(table).values({column.name: literal(value, String) + cast(table.c.id, String)}))
            written[f"{table.name}.{column.name}"] = value
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(text_columns()[0][0])) is not None
    return written
