"""Share links: open, agency and single-use links that let respondents answer a round."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from .kept import KeptPerProcess
from .models import LinkKind, LinkStatus, QuestionnaireVersion, Round, RoundStatus, ShareLink, utcnow

TOKEN_BYTES = 24  # 192 bits from the operating system's CSPRNG
MAX_RESPONSE_CAP = 1_000_000


class LinkError(Exception):
    """A link cannot be created as asked; the message says why."""


_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_token_text(text: str | None) -> bool:
    """Whether ``text`` could be a token or submission key (URL-safe, at most 64 characters)."""
    return bool(text) and _TOKEN_TEXT.fullmatch(text) is not None


def new_token() -> str:
    """An unguessable URL-safe token carrying 192 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def create_links(
    session: Session,
    round_: Round,
    kind: LinkKind | str,
    agencies: list[str],
    agency: str | None = None,
    count: int = 1,
    expires_on: date | None = None,
    max_responses: int | None = None,
    label: str | None = None,
) -> list[ShareLink]:
    """Create and commit ``count`` links of ``kind`` for ``round_``.

    An agency link needs an ``agency`` from ``agencies``; a single-use link takes one
    response. Raises LinkError naming what is wrong.
    """
    try:
        kind = LinkKind(kind)
    except ValueError:
        raise LinkError(f"Unknown link kind {kind!r}: use open, agency or single-use.") from None
    if count < 1 or count > 5000:
        raise LinkError("Make between 1 and 5000 links at a time.")
    if kind == LinkKind.AGENCY:
        if not agency:
            raise LinkError("An agency link needs an agency.")
    if agency is not None and agency not in agencies:
        raise LinkError(f"Unknown agency {agency!r}; use one of: {', '.join(agencies)}.")
    if kind == LinkKind.SINGLE_USE:
        if max_responses not in (None, 1):
            raise LinkError("A single-use link takes exactly one response.")
        max_responses = 1
    if max_responses is not None and not 1 <= max_responses <= MAX_RESPONSE_CAP:
        raise LinkError(f"The response cap must be between 1 and {MAX_RESPONSE_CAP:,}.")
    if round_.status == RoundStatus.CLOSED:
        raise LinkError("This round is closed; re-open it before making links.")
    expires_at = None
    if expires_on is not None:
        if expires_on < utcnow().date():
            raise LinkError(f"The expiry date {expires_on} has already passed.")
        expires_at = datetime.combine(expires_on, time.max, tzinfo=timezone.utc)
    links = [
        ShareLink(
            round=round_,
            token=new_token(),
            kind=kind,
            agency=agency,
            label=(label or None),
            expires_at=expires_at,
            max_responses=max_responses,
        )
        for _ in range(count)
    ]
    session.add_all(links)
    session.commit()
    return links


def find_link(session: Session, token: str) -> ShareLink | None:
    """The link with ``token``, or None; its round, version and questionnaire are read with it."""
    if not is_token_text(token):
        return None
    link = session.scalar(_LINK_BY_TOKEN, {"b_token": token})
    if link is not None:
        _identities.put(token, identity_of(link))  # the freshest word on it, for the next post
    return link


# Every respondent page reads the link's round, its version and the questionnaire's slug:
# one query (the round and version joined) instead of four, built once (issue 13).
_LINK_BY_TOKEN = (
    select(ShareLink)
    .where(ShareLink.token == bindparam("b_token"))
    .options(joinedload(ShareLink.round).joinedload(Round.version).joinedload(QuestionnaireVersion.questionnaire))
)


@dataclass(frozen=True)
class LinkState:
    """Whether a link takes answers, and if not, what to tell the respondent."""

    accepting: bool
    reason: str = ""
    heading: str = ""
    message: str = ""
    http_status: int = 200


def link_state(link: ShareLink | None, now: datetime | None = None) -> LinkState:
    """Whether ``link`` takes a response now, and the plain words to show when it does not."""
    now = now or utcnow()
    if link is None:
        return LinkState(False, "unknown", "We cannot find this questionnaire",
                         "The link may have been typed or copied wrongly. Check it, or ask the person who sent it to you for a new one.", 404)
    state = link.state_at(now)
    if state == LinkStatus.OPEN:
        return LinkState(True)
    heading, message, status = _closed_words(link, state)
    return LinkState(False, state.value, heading, message, status)


def _closed_words(link: ShareLink, state: LinkStatus) -> tuple[str, str, int]:
    """The heading, message and HTTP status a respondent gets for a link in ``state``."""
    ask = "If you think this is a mistake, ask the person who sent you the link for a new one."
    if state == LinkStatus.REVOKED:
        return "This link has been switched off", f"The people running this questionnaire have stopped this link. {ask}", 410
    if state == LinkStatus.NOT_OPEN:
        return ("This questionnaire is not open yet",
                f"It opens on {link.round.opens_on:%-d %B %Y}. Please come back then.", 404)
    if state == LinkStatus.CLOSED:
        return ("This questionnaire has closed",
                "Thank you for your interest: answers are no longer being collected for this round. "
                "There will be another chance to give your views in the next round.", 410)
    if state == LinkStatus.EXPIRED:
        return "This link has expired", f"It could be used until {link.expires_at:%-d %B %Y}. {ask}", 410
    if state == LinkStatus.USED:
        return ("This link has already been used",
                "Each of these links can be used once, and answers have already been sent with it. "
                f"Thank you if that was you. {ask}", 410)
    return ("This questionnaire has all the answers it needs",
            f"This link has reached the number of answers it was set up for. {ask}", 410)


def revoke_link(session: Session, link: ShareLink) -> None:
    """Switch ``link`` off for good."""
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.commit()


def link_url(base_url: str | None, link: ShareLink) -> str:
    """The full respondent URL of ``link`` under ``base_url`` (PUBLIC_BASE_URL), or only its
    path when there is no base URL: a link is never built from a request's Host header."""
    return f"{(base_url or '').rstrip('/')}/r/{link.token}"


# ---------------------------------------------------------------- what never changes about a link (issue 13)


@dataclass(frozen=True)
class LinkIdentity:
    """What never changes about a share link: its id, token, round, the round's version, kind
    and agency. Everything that does change (revoked, response count, the round's status and
    dates, expiry) is checked by the write that stores a response (``responses.claim_link``),
    atomically, never from here."""

    id: int
    token: str
    round_id: int
    version_id: int
    version_hash: str  # the version's content hash: with its id, names its questions in any database
    kind: LinkKind
    agency: str | None


def identity_of(link: ShareLink) -> LinkIdentity:
    """The unchanging part of ``link`` (a row read with its round)."""
    return LinkIdentity(link.id, link.token, link.round_id, link.round.version_id, link.round.version.content_hash,
                        LinkKind(link.kind), link.agency)


#: identities kept per process, by token: a respondent's post needs no read before its write.
#: A bound, not a policy (the oldest goes first).
IDENTITY_CACHE_SIZE = 4096
_identities: KeptPerProcess[str, LinkIdentity] = KeptPerProcess(IDENTITY_CACHE_SIZE)


def link_identity(session: Session, token: str) -> LinkIdentity | None:
    """The unchanging part of the link with ``token`` (read once per process), or None when
    there is no such link. Says nothing about whether the link takes answers now."""
    identity = _identities.get(token)
    if identity is None:
        if not is_token_text(token):
            return None
        row = session.execute(_IDENTITY_BY_TOKEN, {"b_token": token}).first()
        if row is None:
            return None
        identity = _identities.put(token, LinkIdentity(row.id, token, row.round_id, row.version_id, row.content_hash,
                                                       LinkKind(row.kind), row.agency))
    return identity


def forget_identity(token: str) -> None:
    """Drop the identity kept for ``token`` (the write found it no longer true)."""
    _identities.drop(token)


_IDENTITY_BY_TOKEN = (
    select(ShareLink.id, ShareLink.round_id, Round.version_id, QuestionnaireVersion.content_hash, ShareLink.kind,
           ShareLink.agency)
    .join(Round, Round.id == ShareLink.round_id)
    .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
    .where(ShareLink.token == bindparam("b_token"))
)
