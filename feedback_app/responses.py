"""Storing responses: one row per question answered, exactly once per submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, Insert, Integer, Text, and_, bindparam, case, exists, func, insert, or_, select, update
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
# was built from, and its throttle not full (LinkPace). It runs in the write transaction, so
# what the request knew about the link beforehand (a per-process LinkIdentity,
# links.link_identity) never lets a response in. Under READ COMMITTED an UPDATE that waited
# for the row's lock checks its WHERE again against the row as the other post left it, so
# the count, the cap and the throttle kept on the row stay exact however many posts race.
_NOW_US = bindparam("b_now_us", type_=BigInteger)
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
            Round.status == bindparam("b_open", RoundStatus.OPEN, type_=Round.status.type),
            Round.opens_on <= bindparam("b_today", type_=Round.opens_on.type),
            Round.closes_on >= bindparam("b_today", type_=Round.closes_on.type),
        )),
        ShareLink.throttle_until_us <= bindparam("b_latest_us", type_=BigInteger),
    )
    # (named parameters only: the statement is also the claim of _CLAIM_RESPONSE_AND_ANSWERS)
    .values(response_count=ShareLink.response_count + bindparam("b_one", 1, type_=Integer),
            throttle_until_us=case((ShareLink.throttle_until_us > _NOW_US, ShareLink.throttle_until_us), else_=_NOW_US)
            + bindparam("b_interval_us", type_=BigInteger))
)
_WITH_KEY = select(Response.id).where(Response.submission_key == bindparam("b_key"))
_WITH_KEY_THROUGH_LINK = _WITH_KEY.where(Response.link_id == bindparam("b_link"))


@dataclass(frozen=True)
class LinkPace:
    """A link's throttle: at most ``limit`` posts per ``window`` as a token bucket kept on the
    link's row (``ShareLink.throttle_until_us``). Each post taken moves the bucket's moment
    ``interval_us`` on (from now, when it lay in the past); a post is refused while that moment
    lies more than ``tolerance_us`` ahead of now. So an idle link takes ``limit`` posts at once,
    then one each ``window / limit``: never more than ``limit`` a window on average, and a
    refused post counts for nothing."""

    interval_us: int
    tolerance_us: int

    @classmethod
    def per(cls, limit: int, window: timedelta) -> LinkPace:
        """The pace of ``limit`` posts per ``window`` (``limit`` at least 1)."""
        window_us = int(window.total_seconds() * 1_000_000)
        interval = window_us // max(limit, 1)
        return cls(interval, window_us - interval)

    def refuses(self, throttle_until_us: int, now: datetime) -> bool:
        """Whether a link whose bucket reads ``throttle_until_us`` refuses a post at ``now``."""
        return throttle_until_us > epoch_us(now) + self.tolerance_us


def epoch_us(moment: datetime) -> int:
    """``moment`` (timezone-aware) in whole microseconds since the epoch."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class LinkClaim:
    """One post's claim on a link: the link as the process knows it, its pace, and when."""

    link: LinkIdentity
    pace: LinkPace
    now: datetime

    def params(self) -> dict:
        """The claim statement's parameters."""
        link, now_us = self.link, epoch_us(self.now)
        return {"b_link": link.id, "b_token": link.token, "b_round": link.round_id, "b_version": link.version_id,
                "b_now": self.now, "b_today": self.now.date(), "b_now_us": now_us,
                "b_latest_us": now_us + self.pace.tolerance_us, "b_interval_us": self.pace.interval_us}


class ClaimRefused(Exception):
    """The link took no response: it is closed, its throttle is full, or it is no longer the
    link the claim describes. Nothing was written; the caller rolls back and reads why."""


def claim_link(session: Session, claim: LinkClaim) -> None:
    """Count one response against the claimed link in ``session``'s write transaction,
    atomically, if it takes answers at the claim's moment (the rules of
    ``ShareLink.state_at``) and its throttle has room (:class:`LinkPace`), taking that room.
    Raises :class:`ClaimRefused` when it does not, or when it is no longer the link the claim
    describes."""
    if session.connection().execute(_CLAIM_LINK, claim.params()).rowcount != 1:
        raise ClaimRefused


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
    claim: LinkClaim | None = None,
) -> Submission:
    """Store one response with its answers in the session's transaction, and commit.

    ``session`` should be a fresh write session (``db.write_session()``). A repeated
    ``submission_key`` (a double click, a re-posted form) stores nothing and returns the
    first response. ``derived`` (from ``text_analysis.derive``) adds each free-text
    answer's features and, for a possible disclosure, its safeguarding flag in the same
    transaction, so a stored answer is never without its flag. With ``claim`` the response
    comes through that link, claimed first in the same transaction (:func:`claim_link`; on
    PostgreSQL in the same statement as the response): raises :class:`ClaimRefused`, having
    stored nothing, when the link takes no response.
    """
    link_id = claim.link.id if claim is not None else None
    response = NewResponse(answers, agency, submission_key, submitted_at or utcnow(), derived, link_id, language)
    if _one_statement(session, response):  # its own transaction: no BEGIN and no COMMIT to wait for
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        (response_id,), flags = add_responses(session, round_id, [response], source, claim)
        session.commit()
        return Submission(response_id, duplicate=False, flags=flags)
    except IntegrityError:
        session.rollback()
        existing = response_with_key(session, submission_key)
        if existing is None:
            raise
        return Submission(existing, duplicate=True)


def _one_statement(session: Session, response: NewResponse) -> bool:
    """Whether storing ``response`` is one PostgreSQL statement and nothing else (issue 13,
    round 7): answers given (:func:`_insert_one_with_answers`: the claim, the response and
    its answers) and nothing derived to add, neither feature rows nor a safeguarding flag.
    A single statement is atomic on its own, so it needs no transaction around it: two
    round trips fewer (BEGIN and COMMIT) for the usual post, whose features are queued."""
    if session.get_bind().dialect.name != "postgresql" or not _given(response.answers):
        return False
    return not any(item.features is not None or item.concern.flagged for item in (response.derived or {}).values())


def _given(answers: dict[str, str]) -> dict[str, str]:
    """The answers stored of ``answers``: those not left empty."""
    return {key: value for key, value in answers.items() if value not in (None, "")}


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
_RESPONSE_VALUES = {name: bindparam(name, type_=Response.__table__.c[name].type) for name in _RESPONSE_COLUMNS}


def _with_answers(new_response) -> Insert:
    """The insert of the answers (two arrays, unnested in step) of the response ``new_response``
    (a CTE inserting one response and returning its id), returning the answers' ids."""
    return insert(Answer.__table__).from_select(
        ["response_id", "question_key", "value"],
        select(new_response.c.id, func.unnest(bindparam("b_keys", type_=postgresql.ARRAY(Text))),
               func.unnest(bindparam("b_values", type_=postgresql.ARRAY(Text)))),
    ).returning(Answer.__table__.c.id, Answer.__table__.c.response_id, Answer.__table__.c.question_key)


_INSERT_RESPONSE_AND_ANSWERS = _with_answers(
    insert(Response.__table__).values(_RESPONSE_VALUES).returning(Response.__table__.c.id).cte("new_response"))
# A respondent's post on PostgreSQL (issue 13, round 7): the link's claim, its throttle, the
# response and its answers in ONE statement, then the commit, as many round trips as a bare
# insert. The response is inserted from the claim's RETURNING, so a refused claim (no row)
# inserts nothing and the statement returns no row.
# The response's values are named "r_..." here: a parameter named after a column of
# share_links (round_id, agency) would be added to the claim's SET by SQLAlchemy.
_CLAIMED = _CLAIM_LINK.returning(ShareLink.__table__.c.id).cte("claimed")
_CLAIM_RESPONSE_AND_ANSWERS = _with_answers(
    insert(Response.__table__).from_select(
        list(_RESPONSE_COLUMNS),
        select(*(_CLAIMED.c.id if name == "link_id" else bindparam(f"r_{name}", type_=value.type)
                 for name, value in _RESPONSE_VALUES.items())),
        include_defaults=False,  # the columns not named take their server defaults
    ).returning(Response.__table__.c.id).cte("new_response"))


def _response_row(round_id: int, item: NewResponse, source: str) -> dict:
    return {"round_id": round_id, "link_id": item.link_id, "agency": item.agency, "source": source,
            "submission_key": item.submission_key, "submitted_at": item.submitted_at or utcnow(),
            "language": item.language}


def _insert_one_with_answers(connection, round_id: int, item: NewResponse, source: str,
                             answers: dict[str, str], claim: LinkClaim | None) -> tuple[int, dict[str, int]]:
    """PostgreSQL: (the response id, its answers' ids by question key), in one statement,
    with the link's claim when there is one (ClaimRefused when it took nothing)."""
    params = _response_row(round_id, item, source)
    answer_params = {"b_keys": list(answers), "b_values": list(answers.values())}
    if claim is None:
        rows = connection.execute(_INSERT_RESPONSE_AND_ANSWERS, {**params, **answer_params}).all()
    else:
        params = {f"r_{name}": value for name, value in params.items() if name != "link_id"}
        rows = connection.exec_driver_sql(_driver_sql(connection, _CLAIM_RESPONSE_AND_ANSWERS), {
            **params, **claim.params(), **answer_params, **_CLAIM_CONSTANTS}).all()
    if not rows:
        raise ClaimRefused
    return rows[0].response_id, {key: answer_id for answer_id, _response_id, key in rows}


# A respondent's post runs its one statement as the driver's SQL, compiled once per dialect:
# executing the Core statement rebuilt its cache key (a tree of CTEs) on every post, more than
# a third of what the statement cost the app (issue 13, round 7). Its parameters then go to
# the driver as they are, so the named constants are given as the driver takes them.
_DRIVER_SQL: dict[tuple[int, str], str] = {}
_CLAIM_CONSTANTS = {"b_open": RoundStatus.OPEN.value, "b_one": 1}


def _driver_sql(connection, statement: Insert) -> str:
    """``statement`` compiled for ``connection``'s dialect, once per process."""
    key = (id(statement), connection.dialect.name)
    sql = _DRIVER_SQL.get(key)
    if sql is None:
        sql = _DRIVER_SQL[key] = str(statement.compile(dialect=connection.dialect))
    return sql


def add_responses(session: Session, round_id: int, responses: list[NewResponse], source: str,
                  claim: LinkClaim | None = None) -> tuple[list[int], int]:
    """Add ``responses`` to ``round_id`` with their answers, features and safeguarding flags,
    in the session's transaction (the caller commits): a stored answer is never without its flag.

    With ``claim`` (one response, through a link) the link is claimed first (:func:`claim_link`),
    on PostgreSQL in the same statement; :class:`ClaimRefused` when it takes nothing.
    Returns the new response ids in order and the number of answers flagged.
    """
    from .text_analysis import store_derived

    if not responses:
        return [], 0
    connection = session.connection()  # Core, not the ORM's execute: half the cost per statement
    given = [_given(item.answers) for item in responses]
    if len(responses) == 1 and given[0] and connection.dialect.name == "postgresql":
        response_id, answer_ids = _insert_one_with_answers(connection, round_id, responses[0], source, given[0], claim)
        response_ids = [response_id]
        answered = [[StoredAnswer(answer_ids[key], response_id, key, value) for key, value in given[0].items()]]
    else:
        if claim is not None:
            claim_link(session, claim)
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
