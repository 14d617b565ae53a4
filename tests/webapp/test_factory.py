"""The app factory and its configuration layers."""
import os
import stat

from webapp import create_app


def test_test_config_wins(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_defaults_use_instance_sqlite_and_generate_a_secret_once(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCORDIA_INSTANCE_PATH", str(tmp_path / "instance"))
    for key in ("CONCORDIA_DATABASE_URL", "CONCORDIA_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    first = create_app()
    uri = first.config["SQLALCHEMY_DATABASE_URI"]
    assert uri == "sqlite:///" + str(tmp_path / "instance" / "concordia.sqlite3")
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) == 64
    second = create_app()
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("CONCORDIA_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("CONCORDIA_DATABASE_URL", "postgresql://u:p@db.example/concordia")
    monkeypatch.setenv("CONCORDIA_SECRET_KEY", "from-env")
    app = create_app()
    # plain postgresql:// URLs are routed to psycopg 3
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/concordia"
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "inst" / "secret_key").exists()


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "config.py").write_text("SECRET_KEY = 'from-file'\nSMTP_HOST = 'mail.example'\n")
    monkeypatch.setenv("CONCORDIA_INSTANCE_PATH", str(inst))
    monkeypatch.delenv("CONCORDIA_SECRET_KEY", raising=False)
    monkeypatch.delenv("CONCORDIA_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["SMTP_HOST"] == "mail.example"


def test_sqlite_runs_with_wal_and_busy_timeout(app):
    from webapp.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # 15 s for web requests: below gunicorn's 30 s timeout (deploy/gunicorn.conf.py)
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
