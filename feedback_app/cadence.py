"""A questionnaire's cadence, kept: opening a round outside it needs a reason, recorded.

An annual questionnaire has one round a calendar year, a bi-annual one a round each
half-year, a quarterly one each quarter, a bimonthly one each two months. Opening a
second round in the same period is allowed (a re-run, a pilot), but only with a
reason, which goes into the audit log.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent, QuestionnaireVersion, Round, RoundStatus
from .rounds import CADENCE_MONTHS, RoundError, create_round


class OutsideCadence(RoundError):
    """The round would open in a period that already has a round; a reason is needed."""


def cadence_period(cadence: str, day: date) -> tuple[date, date]:
    """The calendar period of ``cadence`` that holds ``day`` (first and last day)."""
    months = CADENCE_MONTHS[cadence]
    first_month = ((day.month - 1) // months) * months + 1
    start = date(day.year, first_month, 1)
    following = first_month + months
    end = date(day.year + (following - 1) // 12, (following - 1) % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def rounds_in_period(session: Session, version: QuestionnaireVersion, day: date) -> list[Round]:
    """Rounds of any version of ``version``'s questionnaire opening in the cadence period of ``day``."""
    start, end = cadence_period(version.cadence.value, day)
    return list(session.scalars(
        select(Round).join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .where(QuestionnaireVersion.questionnaire_id == version.questionnaire_id,
               Round.opens_on >= start, Round.opens_on <= end)
        .order_by(Round.opens_on, Round.id)
    ))


def check_cadence(session: Session, version: QuestionnaireVersion, opens_on: date, reason: str | None) -> list[Round]:
    """The rounds already open in ``opens_on``'s period. Raises OutsideCadence when there
    are some and no ``reason`` is given."""
    clashing = rounds_in_period(session, version, opens_on)
    if clashing and not (reason or "").strip():
        start, end = cadence_period(version.cadence.value, opens_on)
        names = ", ".join(f"“{r.label}”" for r in clashing)
        raise OutsideCadence(
            f"{version.slug} runs {version.cadence.value} and already has a round opening between {start} and "
            f"{end}: {names}. To open another in the same period, say why (the reason is recorded)."
        )
    return clashing


def create_round_in_cadence(session: Session, version: QuestionnaireVersion, label: str, opens_on: date,
                            closes_on: date, status: RoundStatus, reason: str | None, actor: str) -> Round:
    """Create a round, refusing one outside the cadence unless ``reason`` is given; a round
    opened outside the cadence is recorded in the audit log with its reason.

    Raises OutsideCadence or RoundError (bad label or dates).
    """
    clashing = check_cadence(session, version, opens_on, reason)
    round_ = create_round(session, version, label, opens_on, closes_on, status)
    if clashing:
        session.add(AuditEvent(actor=actor, action="round-outside-cadence", detail={
            "round": round_.id, "label": round_.label, "reason": (reason or "").strip()[:500],
            "same_period": [r.id for r in clashing]}))
        session.commit()
    return round_
