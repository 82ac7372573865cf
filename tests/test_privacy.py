"""Purging old responses."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.models import Answer, AuditEvent, Response


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_purge_asks_then_deletes_only_rounds_closed_before_the_date(app, runner, respondent, make_round, make_link):
    old = make_link(make_round("children", 2, label="old", opens_on=date(2020, 1, 1), closes_on=date(2099, 1, 1)))
    respondent.answer(old.token, {"what_helped": "school", "what_did_not_help": "grandad smacks me really hard"})
    current = make_link(make_round("children", 2, label="current"))
    respondent.answer(current.token, {"what_helped": "my worker"})
    with app.app_context():
        from feedback_app.models import Round

        db.session.get(Round, 1).closes_on = date(2020, 12, 31)
        db.session.commit()

    refused = runner.invoke(args=["purge", "--before", "2021-01-01"], input="n\n")
    assert "This deletes 1 responses (2 answers) from 1 round(s)" in refused.output
    assert "1 safeguarding flag(s) among them have not been acted on" in refused.output
    assert refused.exit_code == 1 and "Nothing was deleted." in refused.output
    assert _count(app, Response) == 2

    done = runner.invoke(args=["purge", "--before", "2021-01-01"], input="y\n")
    assert done.exit_code == 0, done.output
    assert "Deleted 1 responses and 2 answers." in done.output
    assert _count(app, Response) == 1 and _count(app, Answer) == 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "purge")) == "purge"


def test_purge_with_a_bad_date_says_so(runner):
    result = runner.invoke(args=["purge", "--before", "last year"])
    assert result.exit_code == 1
    assert "Error: The --before date must be a date written YYYY-MM-DD, not 'last year'." in result.output
