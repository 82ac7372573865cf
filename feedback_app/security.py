"""Response headers, throttling shared by every process, and the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask, Response, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import db
from .models import AuditEvent, ThrottleCounter, utcnow

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
RESPONDENT_PREFIXES = ("/r/", "/static/", "/healthz")


def add_security_headers(response: Response) -> Response:
    """Headers on every response: CSP without inline script, no sniffing, no framing, no referrer.

    Staff pages and downloads are never cached (they hold answers and personal data).
    """
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not request.path.startswith(("/static/",)):
        response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- throttling


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.utc)


def hit(scope: str, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Count one attempt for (scope, key) in the current window and return the window's count.

    The counter lives in the database, so every app process and host shares it. Runs in
    its own short write transaction.
    """
    with db.write_session() as session:
        return _hit(session, scope, key, _window_start(now or utcnow(), window))


def _hit(session: Session, scope: str, key: str, start: datetime) -> int:
    for _attempt in range(3):
        count = session.scalar(
            update(ThrottleCounter)
            .where(ThrottleCounter.scope == scope, ThrottleCounter.key == key, ThrottleCounter.window_start == start)
            .values(count=ThrottleCounter.count + 1)
            .returning(ThrottleCounter.count)
        )
        if count is not None:
            session.commit()
            return count
        try:
            session.add(ThrottleCounter(scope=scope, key=key, window_start=start, count=1))
            session.commit()
            return 1
        except IntegrityError:  # another process created the row first: count on it
            session.rollback()
    raise RuntimeError(f"could not count an attempt for {scope} {key}")  # pragma: no cover


def attempts(session: Session, scope: str, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Attempts counted for (scope, key) in the current window."""
    start = _window_start(now or utcnow(), window)
    return session.scalar(
        select(ThrottleCounter.count).where(
            ThrottleCounter.scope == scope, ThrottleCounter.key == key, ThrottleCounter.window_start == start
        )
    ) or 0


def forget_old_counters(session: Session, older_than: timedelta = timedelta(days=1)) -> None:
    """Delete counters of windows long past (keeps the table small)."""
    session.query(ThrottleCounter).filter(ThrottleCounter.window_start < utcnow() - older_than).delete()
    session.commit()


# ---------------------------------------------------------------- audit log


def audit(actor: str, action: str, **detail) -> None:
    """Record that ``actor`` did ``action`` in its own transaction. Never records answers or IP addresses."""
    with db.write_session() as session:
        session.add(AuditEvent(actor=actor, action=action, detail={k: v for k, v in detail.items() if v is not None}))
        session.commit()


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""
    app.after_request(add_security_headers)
