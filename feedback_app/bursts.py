"""Junk bursts: many near-identical responses posted through one link in a short time.

An open link takes answers from anyone, so one person can post the same junk again and
again and skew a round. Each response stored through a link is compared with the link's
other responses of the last ``BURST_WINDOW_SECONDS``; when at least ``BURST_MIN_RESPONSES``
of them (this one included) are near-duplicates, all of them are marked with a burst id
(the id of the burst's first response). Marking changes nothing else: the round page shows
the bursts, and an admin may exclude a burst from analysis, and include it again; nothing
is deleted. Only free-text answers are compared: many honest answers share the same
choices, but rarely the same sentences.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, cast, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .choice_tallies import kept_choice_tallies
from .db import db
from .models import Answer, AnswerFeature, Question, Response, Round, ShareLink, utcnow
from .security import with_retry
from .tallies import kept_tallies, note_response_change

TEXT_TYPES = ("long_text", "short_text")
RECENT_LIMIT = 200  # responses of one link compared with a new one, at most
_WORDS = re.compile(r"[a-z0-9]+")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BurstRules:
    """When near-duplicates through one link make a burst."""

    window: timedelta
    similarity: float  # 0..1
    min_responses: int

    @classmethod
    def from_config(cls, config) -> "BurstRules":
        """The rules set by BURST_WINDOW_SECONDS, BURST_SIMILARITY_PERCENT and BURST_MIN_RESPONSES."""
        return cls(timedelta(seconds=int(config["BURST_WINDOW_SECONDS"])),
                   int(config["BURST_SIMILARITY_PERCENT"]) / 100, int(config["BURST_MIN_RESPONSES"]))


def fingerprint(texts: list[str]) -> frozenset[str]:
    """The words and word pairs of ``texts`` (lower-cased, first 1,000 words): what two
    near-duplicates share."""
    words = _WORDS.findall(" ".join(texts).lower())[:1000]
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in zip(words, words[1:]))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two fingerprints (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _text_fingerprints(session: Session, response_ids: list[int], text_keys: set[str]) -> dict[int, frozenset[str]]:
    texts: dict[int, list[str]] = {response_id: [] for response_id in response_ids}
    rows = session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value)
        .where(Answer.response_id.in_(response_ids)).order_by(Answer.response_id, Answer.question_key)
    )
    for response_id, key, value in rows:
        if key in text_keys:
            texts[response_id].append(str(value))
    return {response_id: fingerprint(parts) for response_id, parts in texts.items()}


def mark_burst(session: Session, response_id: int, rules: BurstRules) -> int | None:
    """Compare response ``response_id`` with its link's recent responses and mark a burst
    when enough are near-duplicates (commits). Returns the burst id, or None."""
    response = session.get(Response, response_id)
    if response is None or response.link_id is None:
        return None
    round_ = session.get(Round, response.round_id)
    text_keys = set(session.scalars(select(Question.key).where(
        Question.version_id == round_.version_id, Question.type.in_(TEXT_TYPES))))
    since = response.submitted_at - rules.window
    recent = session.execute(
        select(Response.id, Response.burst_id)
        .where(Response.link_id == response.link_id, Response.id != response.id, Response.submitted_at >= since)
        .order_by(Response.id.desc()).limit(RECENT_LIMIT)
    ).all()
    if len(recent) + 1 < rules.min_responses:
        return None
    prints = _text_fingerprints(session, [response.id, *(row.id for row in recent)], text_keys)
    own = prints[response.id]
    alike = [row for row in recent if similarity(own, prints[row.id]) >= rules.similarity]
    if len(alike) + 1 < rules.min_responses:
        return None
    burst_id = min([row.burst_id for row in alike if row.burst_id] or [min(row.id for row in alike)])
    members = [response.id, *(row.id for row in alike)]
    session.execute(update(Response).where(Response.id.in_(members)).values(burst_id=burst_id))
    session.commit()
    return burst_id


def check_submission(response_id: int) -> int | None:
    """After a response is stored through a link: mark it if it belongs to a junk burst.
    Run by the queue's worker (``feedback_app/tasks.py``), or in the request when
    ``ANALYSE_IN_BACKGROUND`` is off.

    Never fails the submission: the response is already stored, so a database problem here
    is logged and the check skipped.
    """
    rules = BurstRules.from_config(current_app.config)

    def _write() -> int | None:
        with db.write_session() as session:
            return mark_burst(session, response_id, rules)

    try:
        return with_retry(_write)
    except SQLAlchemyError as error:  # pragma: no cover - only under a database fault
        log.warning("burst check skipped: %s", type(error).__name__)
        return None


#: how far back the sweep looks for responses whose burst check a lost task skipped
UNCHECKED_LOOKBACK = timedelta(days=1)


def unchecked_responses(session: Session, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Responses through a link, of the last ``UNCHECKED_LOOKBACK``, that a lost queue task
    may have left without their burst check, oldest first (at most ``limit``).

    The queue's task checks a response for a burst before it computes its text features, so a
    response with a free-text answer still without features, and no burst id, is one whose
    check may not have run. Checking it again is harmless (:func:`mark_burst` is idempotent).
    """
    since = (now or utcnow()) - UNCHECKED_LOOKBACK
    featureless = (
        select(Answer.id).join(Round, Round.id == Response.round_id)
        .join(Question, and_(Question.version_id == Round.version_id, Question.key == Answer.question_key))
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Answer.response_id == Response.id, Question.type.in_(TEXT_TYPES), AnswerFeature.answer_id.is_(None))
    )
    return list(session.scalars(
        select(Response.id)
        .where(Response.link_id.is_not(None), Response.burst_id.is_(None), Response.submitted_at >= since,
               featureless.exists())
        .order_by(Response.id).limit(limit)
    ))


@dataclass(frozen=True)
class Burst:
    """A marked burst of one round, as the round page shows it."""

    id: int
    link: ShareLink
    responses: int
    excluded: int
    first: datetime
    last: datetime


def round_bursts(session: Session, round_id: int) -> list[Burst]:
    """The round's marked bursts, newest first."""
    rows = session.execute(
        select(Response.burst_id, Response.link_id, func.count(Response.id),
               func.sum(cast(Response.excluded, Integer)), func.min(Response.submitted_at),
               func.max(Response.submitted_at))
        .where(Response.round_id == round_id, Response.burst_id.is_not(None))
        .group_by(Response.burst_id, Response.link_id).order_by(Response.burst_id.desc())
    ).all()
    return [Burst(burst_id, session.get(ShareLink, link_id), int(count), int(excluded or 0), first, last)
            for burst_id, link_id, count, excluded, first, last in rows]


def set_excluded(session: Session, round_id: int, burst_id: int, excluded: bool) -> int:
    """Exclude a burst's responses from analysis, or include them again (commits); returns how
    many responses changed. Nothing is deleted."""
    burst = (Response.round_id == round_id, Response.burst_id == burst_id)
    members = select(Answer.id).join(Response, Response.id == Answer.response_id).where(*burst)
    # Issue 13: the page cache's fingerprint counts no responses. First, so that on PostgreSQL
    # the tally state's row is locked for update before kept_tallies shares it (no upgrade).
    note_response_change(session)
    with kept_tallies(session, session.scalars(members).all()), kept_choice_tallies(session, *burst):
        changed = session.execute(
            update(Response).where(*burst).values(excluded=excluded)
        ).rowcount
    session.commit()
    return changed
