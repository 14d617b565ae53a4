"""``flask --app webapp …`` commands. Each commits once, like a request."""
from __future__ import annotations

import getpass

import click
from flask import Flask, current_app

from webapp.extensions import db


def public_url(path: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    return base.rstrip("/") + path


def init_app(app: Flask) -> None:
    from webapp.score_cli import register as register_score

    register_score(app)
    from webapp import cli_ops

    cli_ops.init_app(app)  # backup, export-study, import-study

    @app.cli.command("create-coordinator")
    @click.argument("username")
    @click.option("--password", help="Prompted for when omitted.")
    @click.option("--email", default=None)
    @click.option("--locale", type=click.Choice(["en", "zh"]), default=None,
                  help="Page language; by default the browser's.")
    def create_coordinator(username, password, email, locale):
        """Create a coordinator account."""
        from webapp.services.accounts import AccountError, create_coordinator as create

        if not password:
            password = getpass.getpass("Password: ")
        try:
            create(username, password, email=email, locale=locale)
        except (AccountError, ValueError) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"coordinator {username} created")

    @app.cli.command("change-password")
    @click.argument("username")
    @click.option("--password", help="Prompted for (twice) when omitted.")
    def change_password(username, password):
        """Set a coordinator's password; every session of the account ends."""
        from sqlalchemy import select

        from webapp.models import User
        from webapp.services.accounts import AccountError, change_password as change

        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"no coordinator {username!r}")
        if not password:
            password = getpass.getpass("New password: ")
            if getpass.getpass("Again: ") != password:
                raise click.ClickException("the two passwords differ")
        try:
            change(user, None, password)
        except AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"password of {username} changed; every session of the account has ended")

    @app.cli.command("load-demo")
    def load_demo():
        """Create the demo coordinator, study and panel; print their logins."""
        from flask import url_for

        from webapp.services.demo import load_demo as load

        logins = load()
        db.session.commit()
        click.echo(f"coordinator {logins.username} {logins.password}")
        with current_app.test_request_context():
            for pseudonym, token in logins.experts:
                if token is None:
                    click.echo(f"expert {pseudonym} (link reissued in the app)")
                else:
                    click.echo(f"expert {pseudonym} {public_url(url_for('auth.invitation', token=token))}")
            for pseudonym, token in logins.ahp_experts:
                if token is not None:
                    click.echo(f"ahp-expert {pseudonym} {public_url(url_for('auth.invitation', token=token))}")

    @app.cli.group("translate")
    def translate():
        """Translation catalogue commands."""

    @translate.command("compile")
    def translate_compile():
        """Merge and compile translations/zh/parts/*.po into messages.mo."""
        from webapp.i18n import compile_catalogs

        for path in compile_catalogs():
            click.echo(f"compiled {path}")

    # --- scheduler (rounds) -------------------------------------------------------------
    @app.cli.command("scheduler")
    def scheduler_command():
        """Run the scheduler (open/close rounds, reminders) in this process, alone."""
        import logging

        from webapp import scheduler

        logging.getLogger("webapp").setLevel(logging.INFO)
        try:
            scheduler.run(app, echo=click.echo)
        except scheduler.SchedulerLocked as exc:
            raise click.ClickException(str(exc)) from exc

    @app.cli.command("sweep")
    def sweep_command():
        """One scheduler sweep now (for cron): open due rounds, close expired ones, send due reminders."""
        import logging

        from webapp import scheduler

        logging.getLogger("webapp").setLevel(logging.INFO)
        try:
            result = scheduler.sweep(app)
        except Exception as exc:  # noqa: BLE001 - rolled back; report and fail
            raise click.ClickException(f"sweep failed and was rolled back: {exc}") from exc
        click.echo(f"sweep: {result}")
