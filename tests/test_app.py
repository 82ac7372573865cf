"""App factory, configuration, health check and error pages."""

from __future__ import annotations

import os
import stat

from feedback_app import create_app


def test_secret_key_is_generated_into_the_instance_folder_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a.sqlite3'}")
    first = create_app(instance_path=str(tmp_path / "instance"))
    second = create_app(instance_path=str(tmp_path / "instance"))
    key_file = tmp_path / "instance" / "secret_key"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    for app in (first, second):
        app.extensions["feedback_db"].engine.dispose()


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'feedback.sqlite3'}"
    app.extensions["feedback_db"].engine.dispose()


def test_environment_overrides_defaults_with_types(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", "10")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@localhost/db")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SUPPRESSION_THRESHOLD"] == 10
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u:p@localhost/db"
    app.extensions["feedback_db"].engine.dispose()


def test_sqlite_connections_use_wal_and_a_busy_timeout(app):
    from feedback_app.db import db

    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_page_shows_a_plain_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
