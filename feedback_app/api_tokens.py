"""Read-only API tokens: created on the command line, shown once, kept only as a hash.

An ``analyst`` token reads what the analysis pages show (questionnaires, versions,
rounds and comparisons, with the same suppressed figures); an ``admin`` token can also
read raw responses. Revoked tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiToken, Role, utcnow

# A marker, not a secret: tokens start with it so a leaked one is recognisable in a log or a file.
TOKEN_PREFIX = "nfa_"  # nosec B105


class ApiTokenError(Exception):
    """A token cannot be created or revoked; the message says why."""


def token_hash(presented: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()


def create_api_token(session: Session, role: str, label: str, created_by: str) -> tuple[ApiToken, str]:
    """Create a token for ``role`` labelled ``label``; returns it and its secret (shown once). Commits.

    Raises ApiTokenError for an unknown role or an empty label.
    """
    try:
        role_value = Role(role)
    except ValueError:
        raise ApiTokenError(f"Unknown role {role!r}: use analyst or admin.") from None
    label = (label or "").strip()
    if not label:
        raise ApiTokenError("Give the token a label saying who or what uses it (e.g. 'Power BI dashboard').")
    if len(label) > 200:
        raise ApiTokenError("The label must be 200 characters or fewer.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(label=label, role=role_value, token_hash=token_hash(secret), prefix=secret[:10],
                     created_by=created_by)
    session.add(token)
    session.commit()
    return token, secret


def authenticate(session: Session, presented: str | None) -> ApiToken | None:
    """The active (not revoked) token whose secret is ``presented``, or None."""
    if not presented or not presented.startswith(TOKEN_PREFIX) or len(presented) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(presented)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def list_api_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first (revoked ones included, marked by ``revoked_at``)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_api_token(session: Session, token_id: int) -> ApiToken:
    """Revoke the token with ``token_id``; revoking twice keeps the first time. Commits.

    Raises ApiTokenError when there is no such token.
    """
    token = session.get(ApiToken, token_id)
    if token is None:
        raise ApiTokenError(f"There is no API token {token_id}: `feedback-app tokens list` shows them.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return token


def allows(token: ApiToken, needed: Role) -> bool:
    """Whether ``token`` may read what ``needed`` may: admin tokens read everything analysts read."""
    return token.role == Role.ADMIN or token.role == needed
