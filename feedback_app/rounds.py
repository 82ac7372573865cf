"""Rounds: one wave of one questionnaire version, the unit of comparison."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .definitions import CHILD_FRIENDLY_AUDIENCES, published_version
from .models import Questionnaire, QuestionnaireVersion, Response, Round, RoundStatus, utcnow

# Months between rounds for each cadence.
CADENCE_MONTHS = {"annual": 12, "bi-annual": 6, "quarterly": 3, "bimonthly": 2}


class RoundError(Exception):
    """A round cannot be created or changed; the message says why and what to do."""


def find_version(session: Session, slug: str, version: int | None = None) -> QuestionnaireVersion:
    """The published ``version`` of ``slug`` (default: the newest).

    Raises RoundError when the questionnaire or version is not published.
    """
    if version is not None:
        found = published_version(session, slug, version)
        if found is None:
            raise RoundError(f"'{slug}' has no published version {version}; run `feedback-app questionnaires sync`.")
        return found
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.slug == slug))
    if questionnaire is None or questionnaire.latest_version() is None:
        raise RoundError(f"No questionnaire '{slug}' is published; run `feedback-app questionnaires sync`.")
    return questionnaire.latest_version()


def check_help_number(version: QuestionnaireVersion, help_number: str | None = None) -> None:
    """Raise RoundError when ``version`` is for children or parents and no local help number is set.

    Every children's and parents' page that ends a journey signposts the local front door,
    so such a round cannot open on the placeholder. ``help_number`` defaults to the app's
    ``LOCAL_HELP_NUMBER`` setting.
    """
    if version.audience not in CHILD_FRIENDLY_AUDIENCES:
        return
    if help_number is None and has_app_context():
        help_number = current_app.config.get("LOCAL_HELP_NUMBER")
    if not (help_number or "").strip():
        whose = {"children": "children's", "parents": "parents'"}[version.audience]
        raise RoundError(
            f"A {whose} round cannot open until LOCAL_HELP_NUMBER is set: every {whose} "
            "thank-you page gives the local front door's telephone number. Set it in config.py in the "
            "instance folder or in the environment (see the README), then open the round again."
        )


def create_round(
    session: Session,
    version: QuestionnaireVersion,
    label: str,
    opens_on: date,
    closes_on: date,
    status: RoundStatus = RoundStatus.OPEN,
) -> Round:
    """Create (and commit) a round of ``version``; raises RoundError for bad dates or label."""
    label = (label or "").strip()
    if not label:
        raise RoundError("A round needs a label, such as \"Practitioner consultation 2021 H1\".")
    if closes_on < opens_on:
        raise RoundError(f"The round closes ({closes_on}) before it opens ({opens_on}).")
    if status == RoundStatus.OPEN:
        check_help_number(version)
    round_ = Round(version=version, label=label, opens_on=opens_on, closes_on=closes_on, status=status)
    session.add(round_)
    session.commit()
    return round_


def close_round(session: Session, round_: Round) -> None:
    """Close ``round_`` now: its links stop accepting answers."""
    round_.status = RoundStatus.CLOSED
    round_.closed_at = utcnow()
    session.commit()


def open_round(session: Session, round_: Round) -> None:
    """Open a draft (or re-open a closed) round; raises RoundError when it needs the local help number."""
    check_help_number(round_.version)
    round_.status = RoundStatus.OPEN
    round_.closed_at = None
    session.commit()


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True)
class PlannedRound:
    """A round the cadence implies: its label and dates."""

    label: str
    opens_on: date
    closes_on: date


def plan_rounds(title: str, cadence: str, start: date, end: date) -> list[PlannedRound]:
    """The rounds that ``cadence`` implies from ``start`` to ``end``.

    Each round starts on the first of a month and runs until the day before the next
    one. Labels follow the partnership's habit: "2021", "2021 H1", "2021 Q3", "2021 Jan–Feb".
    Raises RoundError when ``end`` is before ``start`` or the cadence is unknown.
    """
    if end < start:
        raise RoundError(f"--to ({end}) is before --from ({start}).")
    if cadence not in CADENCE_MONTHS:
        raise RoundError(f"Unknown cadence {cadence!r}.")
    months = CADENCE_MONTHS[cadence]
    # Align to the cadence's calendar periods (quarters start in Jan/Apr/Jul/Oct, etc.).
    first_month = ((start.month - 1) // months) * months + 1
    opens = date(start.year, first_month, 1)
    planned = []
    while opens <= end:
        following = _add_months(opens, months)
        closes = date.fromordinal(following.toordinal() - 1)
        period = (opens.month - 1) // months + 1
        if cadence == "annual":
            suffix = f"{opens.year}"
        elif cadence == "bi-annual":
            suffix = f"{opens.year} H{period}"
        elif cadence == "quarterly":
            suffix = f"{opens.year} Q{period}"
        else:
            suffix = f"{opens.year} {opens:%b}–{closes:%b}"
        planned.append(PlannedRound(f"{title} {suffix}", opens, closes))
        opens = following
    return planned


def rounds_to_schedule(session: Session, version: QuestionnaireVersion, start: date, end: date) -> list[PlannedRound]:
    """The rounds ``version``'s cadence implies between two dates that do not exist yet: labels
    that exist and periods that already have a round of the questionnaire (any version) are skipped.

    Raises RoundError for bad dates, or when the rounds would open without the local help number.
    """
    from .cadence import rounds_in_period

    existing = set(session.scalars(select(Round.label).where(Round.version_id == version.id)))
    planned = [
        plan
        for plan in plan_rounds(version.title, version.cadence.value, start, end)
        if plan.label not in existing and not rounds_in_period(session, version, plan.opens_on)
    ]
    if planned:
        check_help_number(version)
    return planned


def schedule_rounds(session: Session, version: QuestionnaireVersion, planned: list[PlannedRound]) -> list[Round]:
    """Create (and commit) open rounds of ``version`` for ``planned`` (from :func:`rounds_to_schedule`)."""
    created = [
        Round(version=version, label=plan.label, opens_on=plan.opens_on, closes_on=plan.closes_on, status=RoundStatus.OPEN)
        for plan in planned
    ]
    session.add_all(created)
    session.commit()
    return created


def accepts_responses(round_: Round, today: date | None = None) -> bool:
    """Whether ``round_`` takes answers today: open, and within its dates."""
    return round_.accepts_responses_on(today or utcnow().date())


def displayed_status(round_: Round, today: date | None = None) -> str:
    """The round's status as staff should read it today.

    An open round whose closing date has passed takes no answers, so it reads "closed";
    one whose opening date has not come yet reads "scheduled".
    """
    today = today or utcnow().date()
    if round_.status == RoundStatus.OPEN:
        if today > round_.closes_on:
            return RoundStatus.CLOSED.value
        if today < round_.opens_on:
            return "scheduled"
    return round_.status.value


def response_counts(session: Session, round_ids: list[int]) -> dict[int, int]:
    """Responses received so far per round id."""
    rows = session.execute(
        select(Response.round_id, func.count()).where(Response.round_id.in_(round_ids)).group_by(Response.round_id)
    )
    return {round_id: count for round_id, count in rows}


def parse_day(text: str, what: str = "date") -> date:
    """A date from ``YYYY-MM-DD`` text; raises RoundError with a clear message otherwise."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except (ValueError, AttributeError):
        raise RoundError(f"The {what} must be a date written YYYY-MM-DD, not {text!r}.") from None
