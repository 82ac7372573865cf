"""Backups of a SQLite database taken while it is being written to."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from feedback_app.backup import integrity_check
from feedback_app.db import db
from feedback_app.models import Response


def test_backup_while_writing_is_consistent_and_restores(app, runner, respondent, make_round, make_link, tmp_path):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite backups; PostgreSQL uses pg_dump")
    link = make_link(make_round("children", 2))
    for index in range(5):
        respondent.answer(link.token, {"what_helped": f"answer {index}"})
    stop = threading.Event()

    def keep_writing():
        client = app.test_client()
        index = 0
        while not stop.is_set() and index < 200:
            client.post(f"/r/{link.token}/questions", data={"q_what_helped": f"more {index}", "submission_key": f"w{index}"})
            index += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert integrity_check(tmp_path / "copy.sqlite3") == "ok"
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        copied = copy.execute("SELECT count(*) FROM responses").fetchone()[0]
        orphans = copy.execute(
            "SELECT count(*) FROM answers WHERE response_id NOT IN (SELECT id FROM responses)").fetchone()[0]
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Response))
    assert 5 <= copied <= stored and orphans == 0

    again = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    assert again.exit_code == 1 and "already exists: choose a new file name." in again.output


def test_backup_of_postgresql_points_to_pg_dump(app, runner, tmp_path):
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("only for PostgreSQL")
    result = runner.invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "back it up with pg_dump" in result.output
