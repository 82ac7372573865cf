"""Deleting old responses: what the partnership no longer needs, it does not keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import Answer, AnswerFeature, FlagStatus, Response, Round, SafeguardingFlag
from .tallies import forget_rounds


@dataclass(frozen=True)
class PurgePlan:
    """What a purge would delete."""

    round_ids: list[int]
    responses: int
    answers: int
    open_flags: int


def plan_purge(session: Session, before: date) -> PurgePlan:
    """The rounds closed before ``before`` and how much of their data a purge deletes."""
    round_ids = list(session.scalars(select(Round.id).where(Round.closes_on < before)))
    responses = session.scalar(select(func.count()).select_from(Response).where(Response.round_id.in_(round_ids))) or 0
    answers = session.scalar(
        select(func.count()).select_from(Answer).join(Response).where(Response.round_id.in_(round_ids))
    ) or 0
    open_flags = session.scalar(
        select(func.count()).select_from(SafeguardingFlag).join(Response)
        .where(Response.round_id.in_(round_ids), SafeguardingFlag.status == FlagStatus.NEW)
    ) or 0
    return PurgePlan(sorted(round_ids), responses, answers, open_flags)


def purge(session: Session, plan: PurgePlan) -> None:
    """Delete the responses of the planned rounds with their answers, features and flags (commits)."""
    response_ids = select(Response.id).where(Response.round_id.in_(plan.round_ids))
    answer_ids = select(Answer.id).where(Answer.response_id.in_(response_ids))
    forget_rounds(session, plan.round_ids)  # issue 13 item 2: every response of these rounds goes
    session.execute(delete(AnswerFeature).where(AnswerFeature.answer_id.in_(answer_ids)))
    session.execute(delete(SafeguardingFlag).where(SafeguardingFlag.response_id.in_(response_ids)))
    session.execute(delete(Answer).where(Answer.response_id.in_(response_ids)))
    session.execute(delete(Response).where(Response.round_id.in_(plan.round_ids)))
    session.commit()
