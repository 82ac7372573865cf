"""A first run that works: one instance folder, the first admin, the local help number."""

from __future__ import annotations

import os
import sys

import pytest

from feedback_app import create_app, default_instance_path
from feedback_app.cli.serve import FIRST_ADMIN_COMMAND
from feedback_app.db import db
from feedback_app.models import Round, RoundStatus


@pytest.fixture
def no_server(monkeypatch):
    """``serve`` does everything but start gunicorn."""
    started = []
    monkeypatch.setattr("feedback_app.server.run_server", lambda **options: started.append(options))
    return started


def test_serve_on_a_database_without_staff_prints_the_command_for_the_first_admin(app, no_server):
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "No staff account yet. Create the first admin" in result.stderr
    assert FIRST_ADMIN_COMMAND in result.stderr
    assert FIRST_ADMIN_COMMAND == "feedback-app users create YOUR-EMAIL --role admin"
    # gunicorn's timeout sits just above the staff pages' own time budget.
    timeout = app.config["STAFF_REQUEST_TIME_LIMIT_SECONDS"] + 10
    assert no_server == [{"host": "127.0.0.1", "port": 8123, "workers": 2, "timeout": timeout}]


def test_serve_says_nothing_about_set_up_once_it_is_done(app, make_user, no_server):
    make_user("lead@example.org", "admin")
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    assert "No staff account" not in result.stderr and "Warning" not in result.stderr


def test_serve_warns_while_the_local_help_number_is_unset(make_app, database_url, make_user, no_server):
    app = make_app(database_url, LOCAL_HELP_NUMBER=None)
    make_user("lead@example.org", "admin")
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    assert "Warning: LOCAL_HELP_NUMBER is not set, so no children's or parents' round can open." in result.stderr


def test_serve_demo_loads_the_demo_and_prints_how_to_sign_in(app, no_server):
    result = app.test_cli_runner().invoke(args=["serve", "--demo"])
    assert result.exit_code == 0, result.output
    assert "Sign in at /auth/login as either demo account" in result.stdout
    assert "No staff account" not in result.stderr
    again = app.test_cli_runner().invoke(args=["serve", "--demo"])
    assert again.exit_code == 0 and "The demo data is already loaded" in again.stdout
    assert len(no_server) == 2


def test_the_admin_page_refuses_to_open_a_childrens_round_without_the_help_number(make_app, database_url, make_user):
    app = make_app(database_url, LOCAL_HELP_NUMBER=None)
    cli = app.test_cli_runner()
    assert cli.invoke(args=["questionnaires", "sync"]).exit_code == 0
    created = cli.invoke(args=["rounds", "create", "children", "--label", "Children 2024", "--opens", "2024-01-01",
                               "--closes", "2099-12-31", "--draft"])
    round_id = int(created.stdout)
    client = app.test_client()
    user = make_user("lead@example.org", "admin")
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery staple"})
    page = client.post(f"/admin/rounds/{round_id}/open", follow_redirects=True)
    text = page.get_data(as_text=True).replace("&#39;", "'")
    assert page.status_code == 200
    assert "A children's round cannot open until LOCAL_HELP_NUMBER is set" in text
    with app.app_context():
        assert db.session.get(Round, round_id).status == RoundStatus.DRAFT


def test_flask_and_feedback_app_use_one_instance_folder_wherever_the_code_was_imported_from(monkeypatch, tmp_path):
    # Regression: `flask --app feedback_app` run in the checkout imported the checkout's
    # package, whose Flask default instance folder was <checkout>/instance, while the
    # installed `feedback-app` used <venv>/var/feedback_app-instance: two databases.
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    expected = os.path.join(str(tmp_path / "venv"), "var", "feedback_app-instance")
    assert default_instance_path() == expected
    app = create_app()
    assert app.instance_path == expected
    assert app.config["DATABASE_URL"] == "sqlite:///" + os.path.join(expected, "feedback.sqlite3")
    app.extensions["feedback_db"].engine.dispose()


def test_outside_a_virtual_environment_flask_chooses(monkeypatch):
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    assert default_instance_path() is None
