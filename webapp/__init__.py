"""Concordia: expert consultation (Delphi and AHP) for indicator weights.

``create_app`` reads like a table of contents: configuration, extensions,
blueprints, error handlers, commands, template helpers.
"""
from __future__ import annotations

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    # CONCORDIA_INSTANCE_PATH moves the instance folder (database, secret key, config).
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("CONCORDIA_INSTANCE_PATH") or None)

    from webapp.config import load_config

    load_config(app, test_config)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_compression(app)
    return app


def register_extensions(app: Flask) -> None:
    from webapp.extensions import babel, db, login_manager, migrate
    from webapp.i18n import ensure_catalogs_compiled, install_template_gettext, select_locale
    from webapp.models.base import install_sqlite_pragmas
    from webapp.models.postgres_connections import install_postgres_connections

    db.init_app(app)
    with app.app_context():
        install_sqlite_pragmas(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"],
                               write_queue=app.config["SQLITE_WRITE_QUEUE"])
        install_postgres_connections(db.engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    ensure_catalogs_compiled(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)


def register_security(app: Flask) -> None:
    from webapp import security

    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from webapp.api import bp as api_bp
    from webapp.auth import bp as auth_bp
    from webapp.coordinator import bp as coordinator_bp
    from webapp.evaluator import bp as evaluator_bp
    from webapp.expert import bp as expert_bp
    from webapp.weights_api import bp as weights_api_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(coordinator_bp, url_prefix="/studies")
    app.register_blueprint(expert_bp, url_prefix="/expert")
    app.register_blueprint(evaluator_bp, url_prefix="/evaluate")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(weights_api_bp, url_prefix="/api/weight-sets")


def register_errorhandlers(app: Flask) -> None:
    from webapp import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from webapp import cli

    cli.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from webapp import templating

    templating.init_app(app)


def register_compression(app: Flask) -> None:
    from webapp import compression

    compression.init_app(app)
