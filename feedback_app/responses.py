"""Storing responses: one row per question answered, exactly once per submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .links import is_token_text
from .models import Answer, Response, ShareLink, utcnow


class LinkFull(Exception):
    """The link took its last response while this one was being sent."""


@dataclass(frozen=True)
class Submission:
    """A stored response, and whether this post was a repeat of one already stored."""

    response_id: int
    duplicate: bool
    flags: int = 0


# The statements of every respondent's post, built once (building and keying them cost
# more than running them; issue 13).
_CLAIM_LINK = (
    update(ShareLink.__table__)
    .where(
        ShareLink.id == bindparam("b_link"),
        ShareLink.revoked_at.is_(None),
        or_(ShareLink.max_responses.is_(None), ShareLink.response_count < ShareLink.max_responses),
    )
    .values(response_count=ShareLink.response_count + 1)
)
_WITH_KEY = select(Response.id).where(Response.submission_key == bindparam("b_key"))
_WITH_KEY_THROUGH_LINK = _WITH_KEY.where(Response.link_id == bindparam("b_link"))


def _claim_link(session: Session, link_id: int) -> bool:
    """Count one response against the link, atomically; False when it is full or revoked."""
    return session.execute(_CLAIM_LINK, {"b_link": link_id}).rowcount == 1


def store_response(
    session: Session,
    round_id: int,
    answers: dict[str, str],
    link_id: int | None = None,
    agency: str | None = None,
    submission_key: str | None = None,
    source: str = "web",
    submitted_at: datetime | None = None,
    derived: dict | None = None,
    language: str | None = None,
) -> Submission:
    """Store one response with its answers in one transaction, and commit.

    ``session`` should be a fresh write session (``db.write_session()``). A repeated
    ``submission_key`` (a double click, a re-posted form) stores nothing and returns the
    first response. ``derived`` (from ``text_analysis.derive``) adds each free-text
    answer's features and, for a possible disclosure, its safeguarding flag in the same
    transaction, so a stored answer is never without its flag. Raises LinkFull when the
    link has no room left.
    """
    try:
        if link_id is not None and not _claim_link(session, link_id):
            session.rollback()
            # A double click on a single-use link: the first click used the link up.
            existing = _response_with_key(session, submission_key)
            if existing is not None:
                return Submission(existing, duplicate=True)
            raise LinkFull()
        response = NewResponse(answers, agency, submission_key, submitted_at or utcnow(), derived, link_id, language)
        (response_id,), flags = add_responses(session, round_id, [response], source)
        session.commit()
        return Submission(response_id, duplicate=False, flags=flags)
    except IntegrityError:
        session.rollback()
        if submission_key is None:
            raise
        existing = _response_with_key(session, submission_key)
        if existing is None:
            raise
        return Submission(existing, duplicate=True)


@dataclass(frozen=True)
class NewResponse:
    """One response to store: its encoded answers (by question key) and what describes it."""

    answers: dict[str, str]
    agency: str | None = None
    submission_key: str | None = None
    submitted_at: datetime | None = None
    derived: dict | None = None  # from text_analysis.derive: features and screening per answer
    link_id: int | None = None
    language: str | None = None


# Rows go in as Core inserts (one statement per table, ids returned in order): the ORM's unit
# of work cost a respondent's post more than the insert itself (issue 13).
_INSERT_RESPONSES = insert(Response.__table__).returning(Response.__table__.c.id, sort_by_parameter_order=True)
_INSERT_ANSWERS = insert(Answer.__table__).returning(Answer.__table__.c.id, sort_by_parameter_order=True)


def add_responses(session: Session, round_id: int, responses: list[NewResponse], source: str) -> tuple[list[int], int]:
    """Add ``responses`` to ``round_id`` with their answers, features and safeguarding flags,
    in the session's transaction (the caller commits): a stored answer is never without its flag.

    Returns the new response ids in order and the number of answers flagged.
    """
    from .text_analysis import store_derived

    if not responses:
        return [], 0
    response_ids = list(session.scalars(_INSERT_RESPONSES, [
        {"round_id": round_id, "link_id": item.link_id, "agency": item.agency, "source": source,
         "submission_key": item.submission_key, "submitted_at": item.submitted_at or utcnow(),
         "language": item.language}
        for item in responses
    ]))
    answered = [[Answer(response_id=response_id, question_key=key, value=value)
                 for key, value in item.answers.items() if value not in (None, "")]
                for response_id, item in zip(response_ids, responses)]
    rows = [answer for answers in answered for answer in answers]
    if rows:
        ids = session.scalars(_INSERT_ANSWERS, [
            {"response_id": a.response_id, "question_key": a.question_key, "value": a.value} for a in rows])
        for answer, answer_id in zip(rows, ids):
            answer.id = answer_id  # a plain record of the stored row (never added to the session)
    flags = store_derived(session, [(answers, item.derived) for answers, item in zip(answered, responses) if item.derived])
    return response_ids, flags


def _response_with_key(session: Session, submission_key: str | None) -> int | None:
    if submission_key is None:
        return None
    return session.scalar(_WITH_KEY, {"b_key": submission_key})


def already_stored(session: Session, link_id: int, submission_key: str | None) -> bool:
    """Whether a response with ``submission_key`` was already stored through this link."""
    if not is_token_text(submission_key):
        return False
    return session.scalar(_WITH_KEY_THROUGH_LINK, {"b_key": submission_key, "b_link": link_id}) is not None
