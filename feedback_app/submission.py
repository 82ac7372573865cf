"""Taking responses in: one answered form through a share link, or a file of paper answers.

:func:`submit_response` is everything that happens to a respondent's answers after the
form has checked them: the agency worked out, disclosures screened (and, without the task
queue, text features derived), then one write transaction claims the link (checking,
atomically, that it still takes answers and that its throttle has room) and stores the
response with its flags. After the commit the burst check and the features are
queued for the worker (or run inline when ``ANALYSE_IN_BACKGROUND`` is off). It returns an :class:`Outcome`; the view only renders it.

:func:`import_responses` is the one import workflow, used by the admin upload and the
``responses import`` command: check the file, derive features and screen every row, store
the responses, and record the audit event, all in one transaction.

Transactions are owned here, not in views: the request's read transaction is ended before
each write, and every write is one short ``db.write_session()``.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from .db import db, trusting_the_pool
from .drafts import discard_draft, save_draft
from .definitions import published_by_id
from .links import LinkIdentity, LinkState, find_link, forget_identity, identity_of, is_token_text, link_state
from .models import AuditEvent, LinkKind, Response, Round, ShareLink, utcnow
from .question_types import Agency, agency_of
from .responses import (ClaimRefused, LinkClaim, LinkPace, NewResponse, Submission, add_responses, already_stored,
                        response_with_key, store_response)
from .tasks import after_submission, in_background
from .text_analysis import current_codebook, derive
from .transfer import IMPORT_SOURCE, ImportProblem, ImportRefused, ImportReport, parse_import


class Outcome(str, enum.Enum):
    """What became of a submitted form."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the same form sent again (a double click, a refresh): stored once
    CLOSED = "closed"  # the link takes no answers (revoked, round closed, expired, used, full...)
    THROTTLED = "throttled"  # too many posts through this link at once: ask to retry
    # What the process knew of the link (links.LinkIdentity) is no longer true: nothing was
    # stored; read the link again and rebuild the form from it.
    STALE = "stale"


@dataclass(frozen=True)
class SubmissionResult:
    """The outcome of :func:`submit_response`; ``link_state`` says what to show when closed."""

    outcome: Outcome
    response_id: int | None = None
    flags: int = 0
    link_state: LinkState | None = None


log = logging.getLogger(__name__)

#: the window LINK_SUBMISSIONS_PER_MINUTE paces posts over (a token bucket: ``responses.LinkPace``)
LINK_THROTTLE_WINDOW = timedelta(minutes=1)


def fixed_agency(link: ShareLink | LinkIdentity) -> str | None:
    """The agency an agency link answers for (the respondent cannot change it), else None."""
    return link.agency if link.kind == LinkKind.AGENCY else None


def is_repeat(link: ShareLink | None, submission_key: str | None) -> bool:
    """Whether a form with ``submission_key`` was already stored through ``link``."""
    return link is not None and already_stored(db.session, link.id, submission_key)


def derive_text_features(session: Session, questions: Iterable[Any], answer_sets: list[dict[str, str]],
                         analysed: bool = True, later: bool = False, audience: str | None = None) -> list[dict]:
    """Features and disclosure screening of the free-text answers of each response in ``answer_sets``.

    With ``analysed`` False (a language the analysers cannot read) answers are screened
    all the same but get no features; with ``later`` they are screened now and their
    features are left to the task queue's worker (``feedback_app/tasks.py``). ``audience``
    is whose answers they are (by default the questions' version's). This is the one place
    responses get their features.
    """
    features = analysed and not later
    codebook = current_codebook(session)[0] if features else None  # screening alone needs no codebook
    by_key = {question.key: question for question in questions}
    return [derive(by_key, answers, codebook, audience=audience, features=features) for answers in answer_sets]


def submit_response(link: ShareLink | LinkIdentity, answers: dict[str, str], key: str | None, *,
                    language: Any = None, draft_code: str | None = None) -> SubmissionResult:
    """Store ``answers`` (encoded, from a checked form) sent through ``link`` with submission ``key``.

    ``language`` is the form's language (``translations.Language``; English when None) and
    ``draft_code`` a saved draft the response replaces. Returns the outcome: stored,
    duplicate, closed, throttled, or stale (the link is not what ``link`` says).

    Nothing about the link is read before the write (issue 13): ``link`` may be what the
    process has kept of it (``links.link_identity``). The write claims the link, which checks
    every changing part of its state and its throttle atomically (``responses.claim_link``),
    then stores the response with its flags (on PostgreSQL the claim, the response and its
    answers are one statement). Only a refused post reads the link, to say why.
    """
    identity = link if isinstance(link, LinkIdentity) else identity_of(link)
    version = published_by_id(db.session, identity.version_id, identity.version_hash)
    answers = dict(answers)
    agency = fixed_agency(identity)
    if agency:
        answers.update({q.key: agency for q in version.questions if q.type == Agency.name})
    agency = agency or identity.agency or agency_of(version.questions, answers)
    (derived,) = derive_text_features(db.session, version.questions, [answers], audience=version.audience,
                                      analysed=language is None or language.analysed, later=in_background())
    key = key if is_token_text(key) else None
    claim = LinkClaim(identity, link_pace(), utcnow())
    if db.session.in_transaction():
        db.session.commit()  # end the read transaction before writing: one connection at a time
    with db.write_session() as session:  # one write: the link's claim and throttle, the response, its flags
        try:
            submission = store_post(session, claim, NewResponse(
                answers, agency, key, claim.now, derived, identity.id, language.code if language is not None else None))
        except ClaimRefused:
            session.rollback()
            return refused(claim, key)
        discard_draft(session, draft_code)  # sent: a saved draft has done its job
    if submission.duplicate:
        return SubmissionResult(Outcome.DUPLICATE, submission.response_id)
    after_submission(submission.response_id)  # burst check and features: the worker's (issue 13)
    return SubmissionResult(Outcome.STORED, submission.response_id, submission.flags)


def store_post(session: Session, claim: LinkClaim, response: NewResponse) -> Submission:
    """``responses.store_response`` of a respondent's post through the claimed link, in ``session``.

    A post with a submission key takes its connection without the pool's pre-ping, one round
    trip fewer (issue 13, round 8; ``db.trusting_the_pool``), and when that connection turns
    out dead (the database restarted, the connection was killed) the post is stored again on
    a fresh, pinged one. That is safe because of the key: a first attempt that was stored
    after all makes the second a repeat of it (``Submission.duplicate``: the respondent is
    thanked, one response is kept), and one that was not stored took nothing (the claim, the
    response, its answers and any flag are one transaction). A post without a key is pinged
    as before. Raises :class:`ClaimRefused` as ``store_response`` does.
    """
    def store() -> Submission:
        return store_response(session, claim.link.round_id, response.answers, response.agency,
                              response.submission_key, submitted_at=response.submitted_at,
                              derived=response.derived, language=response.language, claim=claim)

    if response.submission_key is None:
        return store()
    try:
        with trusting_the_pool():
            return store()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.info("a respondent's post found its pooled connection dead; storing it again on a fresh one")
        session.rollback()
        return store()


def refused(claim: LinkClaim, key: str | None) -> SubmissionResult:
    """Why the link refused ``claim``, read afresh: a repeat of a stored form (thanks again),
    the link closed (why), its throttle full (retry), or else what the process knew of the
    link was stale."""
    link = claim.link
    db.session.rollback()
    db.session.expire_all()  # see the link as the write left it
    if already_stored(db.session, link.id, key):
        return SubmissionResult(Outcome.DUPLICATE, response_with_key(db.session, key))
    fresh = find_link(db.session, link.token)  # also renews what the process keeps of it
    state = link_state(fresh)
    if not state.accepting:
        return SubmissionResult(Outcome.CLOSED, link_state=state)
    # The bucket's moment only moves on, so a post the throttle refused still reads as refused.
    if fresh.id == link.id and claim.pace.refuses(fresh.throttle_until_us, claim.now):
        return SubmissionResult(Outcome.THROTTLED)
    forget_identity(link.token)
    return SubmissionResult(Outcome.STALE, link_state=state)


def link_pace() -> LinkPace:
    """The pace every share link is throttled to: LINK_SUBMISSIONS_PER_MINUTE (``responses.LinkPace``)."""
    return LinkPace.per(current_app.config["LINK_SUBMISSIONS_PER_MINUTE"], LINK_THROTTLE_WINDOW)


def save_for_later(link: ShareLink, answers: dict[str, str], pages_shown: int, replaces: str | None) -> str:
    """Keep ``answers`` given through ``link`` as a draft; returns its resume code (shown once).

    ``replaces`` is the code of the draft this one replaces (one draft per filling-in).
    """
    link_id = link.id
    db.session.commit()  # end the read transaction before writing
    with db.write_session() as session:
        return save_draft(session, session.get(ShareLink, link_id), answers, pages_shown,
                          current_app.config["DRAFT_EXPIRY_DAYS"], replaces=replaces)


# ---------------------------------------------------------------- imports


def import_file(round_: Round, file_bytes: bytes, agencies: list[str], actor: str) -> ImportReport:
    """The import as the admin upload and the ``responses import`` command run it: the request's
    read transaction ended, then :func:`import_responses` in one write transaction, audited as ``actor``.

    Raises ImportRefused listing every problem when the file is not imported.
    """
    db.session.commit()  # end the read transaction before writing: one connection at a time
    with db.write_session() as session:
        return import_responses(session, round_, file_bytes, agencies, actor=actor)


def _import_key(round_id: int, file_hash: str, row: int) -> str:
    """A key per row of a file, so the same file imported twice into a round is refused."""
    return hashlib.sha256(f"import:{round_id}:{file_hash}:{row}".encode()).hexdigest()


def import_responses(session: Session, round_: Round, file_bytes: bytes, agencies: list[str],
                     actor: str | None = None) -> ImportReport:
    """Import the responses in a CSV file into ``round_``, all of them or none; commits.

    The file is checked whole first (``transfer.parse_import``: a file with problems
    raises :class:`ImportRefused` listing every one, and nothing is stored). Then every
    response is stored with its text features and safeguarding flags and, when ``actor``
    is given, the ``import`` audit event, in one transaction. The same file imported twice
    into a round is refused. ``session`` is used only to write (pass
    ``db.write_session()``); ``round_`` may belong to another session.
    """
    parsed = parse_import(round_, file_bytes, agencies)
    file_hash = hashlib.sha256(file_bytes).hexdigest()
    keys = [_import_key(round_.id, file_hash, item.row) for item in parsed]
    already = ImportRefused([ImportProblem(None, None, (
        f"This file has already been imported into round {round_.id} ({round_.label})"
    ))])
    now = utcnow()
    try:
        if session.scalar(select(Response.id).where(Response.submission_key == keys[0])) is not None:
            raise already
        derived = derive_text_features(session, round_.version.questions, [item.answers for item in parsed])
        response_ids, flags = add_responses(session, round_.id, [
            NewResponse(item.answers, item.agency, key, item.submitted_at or now, features)
            for item, key, features in zip(parsed, keys, derived)
        ], IMPORT_SOURCE)
        if actor is not None:
            session.add(AuditEvent(actor=actor, action="import",
                                   detail={"round_id": round_.id, "responses": len(response_ids), "flagged": flags}))
        session.commit()
    except IntegrityError:
        session.rollback()
        if session.scalar(select(Response.id).where(Response.submission_key == keys[0])) is not None:
            raise already from None
        raise
    except BaseException:
        session.rollback()
        raise
    return ImportReport(count=len(response_ids), response_ids=response_ids, flags=flags)
