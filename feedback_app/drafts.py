"""Save and finish later: answers kept server-side under a random resume code.

A draft is not a response. It is never counted, screened or analysed, and a single-use
link stays unused until the answers are sent. The resume code is shown once; only its
SHA-256 hash is stored, so the database alone cannot reopen a draft. Drafts expire
after ``DRAFT_EXPIRY_DAYS`` and are purged.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import ResponseDraft, ShareLink, utcnow

# No 0/O, 1/I/L: a code read off a phone and typed on a laptop must survive.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS = 4
CODE_GROUP_LENGTH = 4  # 16 characters of 31: about 79 bits, far beyond guessing


def new_resume_code() -> str:
    """A random resume code such as ``K7QF-2M9X-PA4T-W8RB``."""
    chars = [secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH)]
    return "-".join("".join(chars[i:i + CODE_GROUP_LENGTH]) for i in range(0, len(chars), CODE_GROUP_LENGTH))


def normalise_code(text: str | None) -> str | None:
    """The code as typed, uppercased and grouped, or None when it cannot be a resume code."""
    cleaned = re.sub(r"[\s-]", "", (text or "").upper())
    if len(cleaned) != CODE_GROUPS * CODE_GROUP_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return "-".join(cleaned[i:i + CODE_GROUP_LENGTH] for i in range(0, len(cleaned), CODE_GROUP_LENGTH))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def save_draft(session: Session, link: ShareLink, answers: dict[str, str], pages_shown: int,
               expiry_days: int, replaces: str | None = None, now: datetime | None = None) -> str:
    """Store ``answers`` for ``link`` and return the new resume code (shown once, stored hashed).

    Saving again replaces the draft whose code is ``replaces``: one draft per filling-in.
    Expired drafts are purged on the way. Commits.
    """
    now = now or utcnow()
    purge_expired(session, now)
    old = normalise_code(replaces)
    if old:
        session.execute(delete(ResponseDraft).where(ResponseDraft.code_hash == _hash(old),
                                                    ResponseDraft.link_id == link.id))
    code = new_resume_code()
    session.add(ResponseDraft(link_id=link.id, code_hash=_hash(code), answers=dict(answers),
                              pages_shown=pages_shown, saved_at=now,
                              expires_at=now + timedelta(days=expiry_days)))
    session.commit()
    return code


def find_draft(session: Session, code: str | None, now: datetime | None = None) -> ResponseDraft | None:
    """The unexpired draft saved under ``code`` (as typed), or None."""
    normal = normalise_code(code)
    if normal is None:
        return None
    draft = session.scalar(select(ResponseDraft).where(ResponseDraft.code_hash == _hash(normal)))
    if draft is None or _aware(draft.expires_at) <= (now or utcnow()):
        return None
    return draft


def discard_draft(session: Session, code: str | None) -> None:
    """Delete the draft saved under ``code`` (its answers have been sent). Commits."""
    normal = normalise_code(code)
    if normal:
        session.execute(delete(ResponseDraft).where(ResponseDraft.code_hash == _hash(normal)))
        session.commit()


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete every expired draft; returns how many were deleted (the caller commits)."""
    result = session.execute(delete(ResponseDraft).where(ResponseDraft.expires_at <= (now or utcnow())))
    return result.rowcount or 0


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
