"""Cadence kept: a second round in the same cadence period needs a reason, which is recorded;
``rounds schedule`` follows the cadence (issue 16, item 6)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from feedback_app.cadence import cadence_period
from feedback_app.db import db
from feedback_app.models import AuditEvent, Round


@pytest.mark.parametrize(
    "cadence, day, period",
    [
        ("annual", date(2024, 7, 9), (date(2024, 1, 1), date(2024, 12, 31))),
        ("bi-annual", date(2024, 7, 9), (date(2024, 7, 1), date(2024, 12, 31))),
        ("quarterly", date(2024, 2, 29), (date(2024, 1, 1), date(2024, 3, 31))),
        ("bimonthly", date(2024, 12, 5), (date(2024, 11, 1), date(2024, 12, 31))),
    ],
)
def test_cadence_periods(cadence, day, period):
    assert cadence_period(cadence, day) == period


def _create(runner, *extra):
    return runner.invoke(args=["rounds", "create", "parents", "--label", "Parents 2024", "--opens", "2024-03-01",
                               "--closes", "2024-05-31", *extra])


def test_a_second_annual_round_in_a_year_needs_a_reason_that_is_recorded(runner, synced):
    assert _create(runner).exit_code == 0
    refused = _create(runner)
    assert refused.exit_code == 1
    assert "parents runs annual and already has a round opening between 2024-01-01 and 2024-12-31: “Parents 2024”" \
        in refused.output
    allowed = _create(runner, "--reason", "Re-run after the paper forms were lost")
    assert allowed.exit_code == 0, allowed.output
    with synced.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "round-outside-cadence"))
        assert event.detail["reason"] == "Re-run after the paper forms were lost"
        assert len(db.session.scalars(select(Round)).all()) == 2


def test_admin_form_asks_for_a_reason_outside_the_cadence(client, login, synced, make_round):
    login("admin")
    with synced.app_context():
        from feedback_app.definitions import published_version

        version_id = published_version(db.session, "parents", 1).id
    data = {"version_id": str(version_id), "label": "Parents 2024", "opens": "2024-03-01", "closes": "2024-05-31",
            "status": "open"}
    assert client.post("/admin/rounds/new", data=data).status_code == 302
    refused = client.post("/admin/rounds/new", data=data)
    assert refused.status_code == 400 and "already has a round opening between" in refused.get_data(as_text=True)
    allowed = client.post("/admin/rounds/new", data={**data, "reason": "A pilot with one school"})
    assert allowed.status_code == 302


def test_schedule_skips_periods_that_already_have_a_round(runner, synced):
    assert _create(runner).exit_code == 0
    result = runner.invoke(args=["rounds", "schedule", "parents", "--from", "2024-01-01", "--to", "2026-12-31", "--yes"])
    assert result.exit_code == 0
    labels = [line.split("\t")[1] for line in result.stdout.strip().splitlines()]
    assert [label[-4:] for label in labels] == ["2025", "2026"]  # 2024 already has its round
