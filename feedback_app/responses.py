"""Storing responses: one row per question answered, exactly once per submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .links import LinkIdentity, is_token_text
from .models import Answer, Response, Round, RoundStatus, ShareLink, utcnow


@dataclass(frozen=True)
class Submission:
    """A stored response, and whether this post was a repeat of one already stored."""

    response_id: int
    duplicate: bool
    flags: int = 0


# The statements of every respondent's post, built once (building and keying them cost
# more than running them; issue 13).
#
# The claim is the one place a link's changing state is checked for a response: not
# revoked, not full, not expired, its round open today and still of the version the form
# was built from. It runs in the write transaction, so what the request knew about the link
# beforehand (a per-process LinkIdentity, links.link_identity) never lets a response in.
_CLAIM_LINK = (
    update(ShareLink.__table__)
    .where(
        ShareLink.id == bindparam("b_link"),
        ShareLink.token == bindparam("b_token"),
        ShareLink.round_id == bindparam("b_round"),
        ShareLink.revoked_at.is_(None),
        or_(ShareLink.max_responses.is_(None), ShareLink.response_count < ShareLink.max_responses),
        or_(ShareLink.expires_at.is_(None), ShareLink.expires_at >= bindparam("b_now", type_=ShareLink.expires_at.type)),
        exists().where(and_(
            Round.id == ShareLink.round_id,
            Round.version_id == bindparam("b_version"),
            Round.status == RoundStatus.OPEN,
            Round.opens_on <= bindparam("b_today", type_=Round.opens_on.type),
            Round.closes_on >= bindparam("b_today", type_=Round.closes_on.type),
        )),
    )
    .values(response_count=ShareLink.response_count + 1)
)
_RELEASE_CLAIM = (
    update(ShareLink.__table__)
    .where(ShareLink.id == bindparam("b_link"))
    .values(response_count=ShareLink.response_count - 1)
)
_WITH_KEY = select(Response.id).where(Response.submission_key == bindparam("b_key"))
_WITH_KEY_THROUGH_LINK = _WITH_KEY.where(Response.link_id == bindparam("b_link"))


def claim_link(session: Session, link: LinkIdentity, now: datetime) -> bool:
    """Count one response against ``link`` in ``session``'s write transaction, atomically, if
    it takes answers at ``now`` (the rules of ``ShareLink.state_at``); False when it does not,
    or when it is no longer the link ``link`` describes."""
    return session.connection().execute(_CLAIM_LINK, {
        "b_link": link.id, "b_token": link.token, "b_round": link.round_id, "b_version": link.version_id,
        "b_now": now, "b_today": now.date(),
    }).rowcount == 1


def store_response(
    session: Session,
    round_id: int,
    answers: dict[str, str],
    agency: str | None = None,
    submission_key: str | None = None,
    source: str = "web",
    submitted_at: datetime | None = None,
    derived: dict | None = None,
    language: str | None = None,
    link_id: int | None = None,
) -> Submission:
    """Store one response with its answers in the session's transaction, and commit.

    ``session`` should be a fresh write session (``db.write_session()``). A repeated
    ``submission_key`` (a double click, a re-posted form) stores nothing and returns the
    first response. ``derived`` (from ``text_analysis.derive``) adds each free-text
    answer's features and, for a possible disclosure, its safeguarding flag in the same
    transaction, so a stored answer is never without its flag. With ``link_id`` the caller
    has claimed the link in this transaction (:func:`claim_link`).
    """
    response = NewResponse(answers, agency, submission_key, submitted_at or utcnow(), derived, link_id, language)
    try:
        (response_id,), flags = add_responses(session, round_id, [response], source)
        session.commit()
        return Submission(response_id, duplicate=False, flags=flags)
    except IntegrityError:
        session.rollback()
        existing = response_with_key(session, submission_key)
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


@dataclass
class StoredAnswer:
    """A plain record of one stored answer row (what features and flags are keyed by)."""

    id: int | None
    response_id: int
    question_key: str
    value: str


# Rows go in as Core inserts (one statement per table, ids returned in order): the ORM's unit
# of work cost a respondent's post more than the insert itself (issue 13).
_INSERT_RESPONSES = insert(Response.__table__).returning(Response.__table__.c.id, sort_by_parameter_order=True)
# Answers come back by (response, question key), unique, so one multi-row statement inserts
# them on SQLite too (returning them in order would cost a statement per answer there).
_INSERT_ANSWERS = insert(Answer.__table__).returning(
    Answer.__table__.c.id, Answer.__table__.c.response_id, Answer.__table__.c.question_key)


# PostgreSQL, one response (a respondent's post): the response and its answers in one
# statement, one round trip fewer (issue 13). The answers come as two arrays, unnested in
# step, so the statement is the same whatever the number of answers.
_RESPONSE_COLUMNS = ("round_id", "link_id", "agency", "source", "submission_key", "submitted_at", "language")
_NEW_RESPONSE = insert(Response.__table__).values(
    {name: bindparam(name, type_=Response.__table__.c[name].type) for name in _RESPONSE_COLUMNS},
).returning(Response.__table__.c.id).cte("new_response")
_INSERT_RESPONSE_AND_ANSWERS = insert(Answer.__table__).from_select(
    ["response_id", "question_key", "value"],
    select(_NEW_RESPONSE.c.id, func.unnest(bindparam("b_keys", type_=postgresql.ARRAY(Text))),
           func.unnest(bindparam("b_values", type_=postgresql.ARRAY(Text)))),
).returning(Answer.__table__.c.id, Answer.__table__.c.response_id, Answer.__table__.c.question_key)


def _response_row(round_id: int, item: NewResponse, source: str) -> dict:
    return {"round_id": round_id, "link_id": item.link_id, "agency": item.agency, "source": source,
            "submission_key": item.submission_key, "submitted_at": item.submitted_at or utcnow(),
            "language": item.language}


def _insert_one_with_answers(connection, round_id: int, item: NewResponse, source: str,
                             answers: dict[str, str]) -> tuple[int, dict[str, int]]:
    """PostgreSQL: (the response id, its answers' ids by question key), in one statement."""
    rows = connection.execute(_INSERT_RESPONSE_AND_ANSWERS, {
        **_response_row(round_id, item, source), "b_keys": list(answers), "b_values": list(answers.values())}).all()
    return rows[0].response_id, {key: answer_id for answer_id, _response_id, key in rows}


def add_responses(session: Session, round_id: int, responses: list[NewResponse], source: str) -> tuple[list[int], int]:
    """Add ``responses`` to ``round_id`` with their answers, features and safeguarding flags,
    in the session's transaction (the caller commits): a stored answer is never without its flag.

    Returns the new response ids in order and the number of answers flagged.
    """
    from .text_analysis import store_derived

    if not responses:
        return [], 0
    connection = session.connection()  # Core, not the ORM's execute: half the cost per statement
    given = [{key: value for key, value in item.answers.items() if value not in (None, "")} for item in responses]
    if len(responses) == 1 and given[0] and connection.dialect.name == "postgresql":
        response_id, answer_ids = _insert_one_with_answers(connection, round_id, responses[0], source, given[0])
        response_ids = [response_id]
        answered = [[StoredAnswer(answer_ids[key], response_id, key, value) for key, value in given[0].items()]]
    else:
        response_ids, answered = _insert_many(connection, round_id, responses, given, source)
    flags = store_derived(session, [(answers, item.derived) for answers, item in zip(answered, responses) if item.derived])
    return response_ids, flags


def _insert_many(connection, round_id: int, responses: list[NewResponse], given: list[dict[str, str]],
                 source: str) -> tuple[list[int], list[list[StoredAnswer]]]:
    """The responses (one statement), then their answers ``given`` (one statement): their ids."""
    response_ids = list(connection.execute(_INSERT_RESPONSES, [
        _response_row(round_id, item, source) for item in responses]).scalars())
    answered = [[StoredAnswer(None, response_id, key, value) for key, value in answers.items()]
                for response_id, answers in zip(response_ids, given)]
    rows = [answer for answers in answered for answer in answers]
    if rows:
        ids = {(response_id, key): answer_id for answer_id, response_id, key in connection.execute(_INSERT_ANSWERS, [
            {"response_id": a.response_id, "question_key": a.question_key, "value": a.value} for a in rows])}
        for answer in rows:
            answer.id = ids[answer.response_id, answer.question_key]
    return response_ids, answered


def release_claim(session: Session, link: LinkIdentity) -> None:
    """Give back the place :func:`claim_link` took in this transaction (the post was refused
    after the claim, and the transaction still commits what else it counted)."""
    session.connection().execute(_RELEASE_CLAIM, {"b_link": link.id})


def response_with_key(session: Session, submission_key: str | None) -> int | None:
    """The id of the response stored with ``submission_key``, or None."""
    if submission_key is None:
        return None
    return session.connection().scalar(_WITH_KEY, {"b_key": submission_key})


def already_stored(session: Session, link_id: int, submission_key: str | None) -> bool:
    """Whether a response with ``submission_key`` was already stored through this link."""
    if not is_token_text(submission_key):
        return False
    return session.connection().scalar(_WITH_KEY_THROUGH_LINK, {"b_key": submission_key, "b_link": link_id}) is not None
