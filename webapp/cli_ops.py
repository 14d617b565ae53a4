"""Operations commands: ``flask --app webapp backup``, ``export-study``, ``import-study``."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import click
from flask import Flask

from webapp.extensions import db


def _open(path: Path, mode: str):
    if path.suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def init_app(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path),
                  help="The backup file (must not exist).")
    @click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
                  help="Write concordia-<UTC time>.sqlite3 into this folder instead.")
    @click.option("--keep", type=click.IntRange(min=1), default=None,
                  help="With --dir: keep only this many newest backups.")
    def backup_command(target, directory, keep):
        """Copy the live SQLite database (online backup API; PostgreSQL: use pg_dump)."""
        from webapp.services.backup import BackupError, backup_name, prune, sqlite_backup

        if (target is None) == (directory is None):
            raise click.UsageError("give either --to FILE or --dir FOLDER")
        path = target or directory / backup_name()
        try:
            sqlite_backup(db.engine, path)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"backup written to {path}")
        if directory is not None and keep:
            for old in prune(directory, keep):
                click.echo(f"removed old backup {old}")

    @app.cli.command("export-study")
    @click.argument("study_id", type=int)
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="The archive (JSON; gzip-compressed when it ends in .gz).")
    def export_study_command(study_id, output):
        """Write a whole study (hierarchy, panel, rounds, answers, weight sets, audit) to one archive."""
        from webapp.models import Study
        from webapp.services.archive import export_study

        study = db.session.get(Study, study_id)
        if study is None:
            raise click.ClickException(f"there is no study {study_id}")
        archive = export_study(study)
        db.session.rollback()
        with _open(output, "w") as fh:
            json.dump(archive, fh, ensure_ascii=False)
        rows = sum(len(t["rows"]) for t in archive["tables"].values())
        click.echo(f"study {study_id} ({rows} rows in {len(archive['tables'])} tables) written to {output}")

    @app.cli.command("import-study")
    @click.argument("archive_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--owner", required=True, help="Username of the coordinator who will own the study.")
    def import_study_command(archive_file, owner):
        """Recreate a study from an export-study archive, owned by --owner."""
        from sqlalchemy import select

        from webapp.models import User
        from webapp.services.archive import ArchiveError, import_study

        user = db.session.scalar(select(User).where(User.username == owner))
        if user is None:
            raise click.ClickException(f"there is no coordinator {owner!r} (flask create-coordinator first)")
        try:
            with _open(archive_file, "r") as fh:
                archive = json.load(fh)
            study = import_study(archive, user)
        except (ArchiveError, ValueError, OSError) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"imported as study {study.id}: {study.title}")
