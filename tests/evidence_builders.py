"""Data builders for the evidence tests (issue 16): a children's round with closed answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from feedback_app.db import db
from feedback_app.definitions import published_version
from feedback_app.models import Answer, Response, Round, RoundStatus


def children_round(app, label: str, opens_on: date, answers: list[str]) -> int:
    """A closed children v2 round where each child answered ``knew_about_cp_plan``; its id."""
    with app.app_context():
        version = published_version(db.session, "children", 2)
        round_ = Round(version=version, label=label, opens_on=opens_on, closes_on=opens_on + timedelta(days=60),
                       status=RoundStatus.CLOSED)
        db.session.add(round_)
        for value in answers:
            response = Response(round=round_, source="test",
                                submitted_at=datetime.combine(opens_on, datetime.min.time(), tzinfo=timezone.utc))
            response.answers = [Answer(question_key="knew_about_cp_plan", value=value)]
            db.session.add(response)
        db.session.commit()
        return round_.id
