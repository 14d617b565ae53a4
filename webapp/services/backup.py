"""Backups of a live SQLite database with SQLite's online backup API.

The copy is one consistent snapshot taken while the app keeps serving: in WAL
mode the backup reads in one read transaction and writers are not blocked.
PostgreSQL is backed up with ``pg_dump`` (README, "Backups"), not from here.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine


class BackupError(RuntimeError):
    """The backup could not be made; nothing was left behind."""


def backup_name(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"concordia-{now:%Y%m%dT%H%M%SZ}.sqlite3"


def sqlite_backup(engine: Engine, target: Path) -> Path:
    """Copy the live database to ``target`` (written as ``target.part``, checked, then renamed)."""
    if engine.dialect.name != "sqlite":
        raise BackupError("this database is not SQLite: back PostgreSQL up with pg_dump "
                          "(pg_dump --format=custom --file=concordia.dump DBNAME)")
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        dest = sqlite3.connect(part)
        try:
            source.backup(dest)  # all pages in one step: one consistent snapshot
            check = dest.execute("PRAGMA integrity_check").fetchone()[0]
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dest.close()
    except sqlite3.Error as exc:
        part.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    finally:
        raw.close()
    if check != "ok":
        part.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {check}")
    part.rename(target)
    return target


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups made by this module in ``directory``."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    backups = sorted(Path(directory).glob("concordia-*.sqlite3"))
    removed = backups[:-keep]
    for path in removed:
        path.unlink()
    return removed
