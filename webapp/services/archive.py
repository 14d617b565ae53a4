"""A whole study as one JSON archive, and back (``flask export-study`` / ``import-study``).

The archive holds every row that belongs to the study — the study, its
hierarchy, panel, rounds, items, responses, ratings, judgments, proposals,
weight sets and audit log — table by table, found by following foreign keys
from ``study``. It is built from the tables themselves, so tables that later
migrations add come along without changes here. Import gives every row a new
id and rewrites every reference; coordinator accounts are not in the archive:
the study belongs to the importing owner, and other references to accounts
become empty. Services flush; the caller commits.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum, MetaData, Table, inspect, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

from webapp.extensions import db
from webapp.models import Study, User
from webapp.services import audit

SCHEMA = "study-archive/1"
ACCOUNT_TABLES = frozenset({"user", "login_attempt"})


class ArchiveError(ValueError):
    """The archive cannot be imported here; nothing was stored."""


# --- which tables and rows belong to a study -------------------------------------------------

def _metadata() -> MetaData:
    return db.metadata


def _pk(table: Table):
    (column,) = table.primary_key.columns
    return column


#: Caches computed again after an import (a frozen report names rows by their old ids).
CACHES = {"round_report"}


def study_tables() -> list[Table]:
    """Tables reachable from ``study`` by foreign keys, parents before children (caches left out)."""
    reachable: list[Table] = []
    names: set[str] = set()
    for table in _metadata().sorted_tables:
        if table.name in CACHES:
            continue
        if table.name == "study" or any(
                fk.column.table.name in names for fk in table.foreign_keys
                if fk.column.table is not table):
            reachable.append(table)
            names.add(table.name)
    return reachable


def _owned_ids(table: Table, study_id: int, selects: dict[str, object]):
    """A subquery of the ids of ``table``'s rows that belong to the study."""
    if table.name == "study":
        return select(_pk(table)).where(_pk(table) == study_id)
    conditions = [fk.parent.in_(selects[fk.column.table.name]) for fk in table.foreign_keys
                  if fk.column.table is not table and fk.column.table.name in selects]
    return select(_pk(table)).where(or_(*conditions))


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


# --- export ------------------------------------------------------------------------------------

def export_study(study: Study, *, now: datetime | None = None) -> dict:
    """Every row of the study, as ``{"schema", "exported_at", "revision", "study", "tables"}``."""
    selects: dict[str, object] = {}
    tables: dict[str, dict] = {}
    for table in study_tables():
        selects[table.name] = _owned_ids(table, study.id, selects)
        columns = [c.name for c in table.columns]
        rows = db.session.execute(
            select(*table.columns).where(_pk(table).in_(selects[table.name])).order_by(_pk(table))).all()
        tables[table.name] = {"columns": columns, "rows": [[_plain(v) for v in row] for row in rows]}
    return {
        "schema": SCHEMA,
        "exported_at": _plain(now or datetime.now(timezone.utc)),
        "revision": _revision(),
        "study": {"id": study.id, "title": study.title},
        "tables": tables,
    }


def _revision() -> str | None:
    if not inspect(db.session.connection()).has_table("alembic_version"):
        return None
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --- import ------------------------------------------------------------------------------------

def import_study(archive: dict, owner: User) -> Study:
    """Recreate the archived study in this database, owned by ``owner``; returns it."""
    if not isinstance(archive, dict) or archive.get("schema") != SCHEMA:
        raise ArchiveError(f"not a {SCHEMA} archive")
    here = _revision()
    if archive.get("revision") and here and archive["revision"] != here:
        raise ArchiveError(f"the archive was made at schema revision {archive['revision']}, this database "
                           f"is at {here}: import it into a database at the same revision")
    tables = {t.name: t for t in study_tables()}
    data = archive.get("tables") or {}
    if "study" not in data or len(data["study"].get("rows", [])) != 1:
        raise ArchiveError("the archive holds no study")
    unknown = set(data) - set(tables)
    if unknown:
        raise ArchiveError(f"the archive has tables this version does not know: {sorted(unknown)}")
    for name, content in data.items():
        _check_columns(tables[name], content["columns"])
    referenced = {fk.column.table.name for t in tables.values() for fk in t.foreign_keys}
    ids: dict[str, dict[int, int]] = {}
    try:
        for name, table in tables.items():
            if name in data:
                ids[name] = _insert_rows(table, data[name], ids, owner, keep_ids=name in referenced)
        db.session.flush()
    except IntegrityError as exc:
        raise ArchiveError("the archive conflicts with what this database holds (was it imported "
                           f"here before? invitation links must be unique): {exc.orig}") from exc
    study = db.session.get(Study, ids["study"][data["study"]["rows"][0][0]])
    audit.record("study.import", study=study, actor="system",
                 details={"from_study": data["study"]["rows"][0][0], "exported_at": archive.get("exported_at")})
    db.session.flush()
    return study


def _check_columns(table: Table, columns: list[str]) -> None:
    known = {c.name for c in table.columns}
    extra = set(columns) - known
    if extra:
        raise ArchiveError(f"table {table.name}: unknown columns {sorted(extra)}")
    for column in table.columns:
        if (column.name not in columns and not column.primary_key and not column.nullable
                and column.default is None and column.server_default is None):
            raise ArchiveError(f"table {table.name}: the archive lacks the required column {column.name}")


def _value(column, value):
    if value is None:
        return None
    if isinstance(value, str):
        kind = column.type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        if isinstance(kind, DateTime):
            parsed = datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if isinstance(column.type, Enum) and column.type.enum_class is not None:
        return column.type.enum_class(value)
    return value


def _insert_rows(table: Table, content: dict, ids: dict, owner: User, *, keep_ids: bool) -> dict[int, int]:
    columns = content["columns"]
    pk = _pk(table).name
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    later: list[tuple[int, str, int]] = []  # (old id, column, old referenced id)
    mapping: dict[int, int] = {}
    batch: list[dict] = []
    for row in content["rows"]:
        values = {name: _value(table.c[name], value) for name, value in zip(columns, row)}
        old_id = values.pop(pk)
        for fk in table.foreign_keys:
            name, target = fk.parent.name, fk.column.table.name
            if values.get(name) is None:
                continue
            if name in self_refs:
                later.append((old_id, name, values[name]))
                values[name] = None
            elif target in ACCOUNT_TABLES:
                values[name] = None if fk.parent.nullable else owner.id
            elif values[name] in ids.get(target, {}):
                values[name] = ids[target][values[name]]
            elif fk.parent.nullable:
                values[name] = None
            else:
                raise ArchiveError(f"table {table.name}: row {old_id} refers to a missing {target} row")
        if keep_ids:
            result = db.session.execute(table.insert().values(**values))
            mapping[old_id] = result.inserted_primary_key[0]
        else:
            batch.append(values)
    if batch:
        db.session.execute(table.insert(), batch)
    for old_id, name, old_ref in later:
        db.session.execute(update(table).where(table.c[pk] == mapping[old_id])
                           .values({name: mapping[old_ref]}))
    return mapping
