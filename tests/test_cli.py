"""The command line: database, questionnaires, help."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from feedback_app import migrate
from feedback_app.cli import main
from feedback_app.db import db


def test_db_upgrade_creates_the_schema_on_an_empty_database(make_app, databases, tmp_path):
    app = make_app(databases.empty(tmp_path))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert migrate.current_revision(db.engine) == migrate.head_revision(db.engine)
    assert "Database at revision" in result.output


def test_sync_list_and_diff(runner):
    result = runner.invoke(args=["questionnaires", "list"])
    assert "not published" in result.output
    result = runner.invoke(args=["questionnaires", "sync"])
    assert result.exit_code == 0, result.output
    assert "12 published, 0 already published and unchanged." in result.output
    result = runner.invoke(args=["questionnaires", "list"])
    lines = result.output.strip().splitlines()
    assert len(lines) == 12
    assert all(" published " in line for line in lines)
    assert lines[2].split()[:2] == ["children", "v1"] and lines[3].split()[:2] == ["children", "v2"]
    result = runner.invoke(args=["questionnaires", "diff", "children", "1", "2"])
    assert result.exit_code == 0, result.output
    assert "kept (4): what_helped, what_did_not_help, what_could_be_better, age_band" in result.output
    assert "added (3): knew_about_cp_plan, knows_social_worker_name, part_of_safety_planning" in result.output


def test_sync_of_a_changed_published_file_exits_non_zero(runner, tmp_path):
    import shutil

    from feedback_app.definitions import default_questionnaires_dir

    folder = tmp_path / "q"
    shutil.copytree(default_questionnaires_dir(), folder)
    assert runner.invoke(args=["questionnaires", "sync", "--path", str(folder)]).exit_code == 0
    path = folder / "parents-v1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("worked", "went", 1), encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "sync", "--path", str(folder)])
    assert result.exit_code == 1
    assert "Error: parents-v1.yaml: version 1 of 'parents' is already published" in result.output
    assert "A published version cannot change: put your changes in a new version" in result.output


def test_diff_of_unknown_version_says_so(runner):
    result = runner.invoke(args=["questionnaires", "diff", "children", "1", "9"])
    assert result.exit_code == 1
    assert "Error: 'children' has no version 9." in result.output


COMMANDS = [
    [], ["db"], ["db", "upgrade"], ["questionnaires"], ["questionnaires", "sync"],
    ["questionnaires", "list"], ["questionnaires", "diff"], ["serve"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_every_command_has_help(command, monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'h.sqlite3'}")
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


EVERY_COMMAND = [
    "analyse", "analyse-text", "backup", "coding", "db", "demo", "drafts", "indicators", "links", "model",
    "pack", "purge", "questionnaires", "rebuild-tallies", "report", "responses", "rounds", "serve", "tokens", "users",
    "worker",
]


def test_python_dash_m_lists_every_command_group(tmp_path):
    """``python -m feedback_app`` is the same command line as ``feedback-app``: every group is there."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "feedback_app", "--help"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(EVERY_COMMAND)
