"""Response headers, trusted hosts, request time budgets, bounded integers, throttling
shared by every process, and the audit log."""

from __future__ import annotations

import hashlib
import ipaddress
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, render_template, request
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter

from .db import db
from .models import AuditEvent, ThrottleCounter, utcnow

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# Every id and count the app stores is a 32-bit INTEGER column (PostgreSQL refuses more).
MAX_DB_INT = 2**31 - 1
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

T = TypeVar("T")


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


# ---------------------------------------------------------------- public base URL and trusted hosts


class BaseUrlError(ValueError):
    """PUBLIC_BASE_URL (or --base-url) is missing or malformed; the message says what to set."""


def checked_base_url(url: str | None) -> str:
    """``url`` without a trailing slash, once it is an http(s) address with a host.

    Raises BaseUrlError when it is missing or not such an address: links are never guessed.
    """
    if not url or not str(url).strip():
        raise BaseUrlError(
            "PUBLIC_BASE_URL is not set, so there is no address to build share links from "
            "(they never follow a request's Host header). Set PUBLIC_BASE_URL to the address "
            "respondents use, e.g. https://feedback.example.org, or pass --base-url."
        )
    url = str(url).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BaseUrlError(f"{url!r} is not a base URL: use http(s)://host[:port][/path], e.g. https://feedback.example.org.")
    return url.rstrip("/")


def public_base_url() -> str | None:
    """The app's PUBLIC_BASE_URL (checked), or None when it is unset."""
    url = current_app.config.get("PUBLIC_BASE_URL")
    return checked_base_url(url) if url else None


def trusted_hosts(base_url: str | None) -> list[str] | None:
    """Flask's TRUSTED_HOSTS for ``base_url``: its host and the loopback names (health checks)."""
    if not base_url:
        return None
    host = urlsplit(checked_base_url(base_url)).hostname
    return list(dict.fromkeys([host, *LOOPBACK_HOSTS]))


def _untrusted_host(_error: SecurityError):
    # No template: a page would build links (url_for) for a host that is not served here.
    return Response("Bad request: this address is not served here.\n", 400, mimetype="text/plain")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to listen on) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- integers from requests


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route: a value beyond what the database stores is a 404, not a 500."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_DB_INT if max is None else max,
                         signed=signed)


def bounded_int(text: object, low: int = 1, high: int = MAX_DB_INT) -> int | None:
    """``text`` as an integer in [low, high], or None when it is missing, not a whole number or out of range."""
    if text is None:
        return None
    raw = str(text).strip()
    if not raw or len(raw) > 12 or not raw.lstrip("-").isdigit():
        return None
    value = int(raw)
    return value if low <= value <= high else None


# ---------------------------------------------------------------- request time budget


class RequestTooSlow(Exception):
    """A request ran past its time budget (REQUEST_TIME_LIMIT_SECONDS)."""


def _budget_seconds() -> int:
    staff = not request.path.startswith(("/r/", "/auth/", "/healthz", "/static/")) and request.path != "/"
    name = "STAFF_REQUEST_TIME_LIMIT_SECONDS" if staff else "REQUEST_TIME_LIMIT_SECONDS"
    return int(current_app.config[name])


def _out_of_time(_signum, _frame) -> None:
    raise RequestTooSlow()


def _start_budget() -> None:
    # Only the main thread can take signals: gunicorn's sync workers serve each request there.
    if threading.current_thread() is not threading.main_thread():
        return
    seconds = _budget_seconds()
    if seconds > 0:
        g.previous_alarm_handler = signal.signal(signal.SIGALRM, _out_of_time)
        signal.setitimer(signal.ITIMER_REAL, seconds)


def _end_budget(_exc: BaseException | None = None) -> None:
    if "previous_alarm_handler" in g:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, g.pop("previous_alarm_handler"))


def _too_slow(_error: RequestTooSlow):
    _end_budget()
    db.session.rollback()
    return render_template("errors/503.html"), 503


# ---------------------------------------------------------------- retrying writes


def with_retry(write: Callable[[], T], attempts: int = 5) -> T:
    """Run ``write`` (which opens and commits its own transaction), retrying a few times when
    SQLite reports "database is locked" under contention instead of letting it reach the user."""
    for attempt in range(attempts):
        try:
            return write()
        except OperationalError as error:
            if "locked" not in str(error).lower() or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------- throttling

# A window is counted in BUCKETS slices: attempts count for between (BUCKETS - 1)/BUCKETS of
# the window and the whole of it, so no fixed-window edge lets twice the limit through.
BUCKETS = 15
#: How long counters are kept: longer than any throttle window (the longest is sign-in's 15
#: minutes), so pruning never forgets an attempt that still counts.
COUNTER_RETENTION = timedelta(days=1)


def _bucket_start(now: datetime, window: timedelta) -> datetime:
    seconds = max(int(window.total_seconds()) // BUCKETS, 1)
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=timezone.utc)


def _lock_key(session: Session, scope: str, key: str) -> None:
    """Serialise the transactions counting one (scope, key): a PostgreSQL advisory lock held to
    commit. On SQLite the write session's BEGIN IMMEDIATE already serialises every writer."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        digest = int.from_bytes(hashlib.sha256(f"{scope}\0{key}".encode()).digest()[:8], "big", signed=True)
        connection.execute(_ADVISORY_LOCK, {"key": digest})


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
# The statements a throttle runs on every counted attempt, built once: building and keying
# them cost more than running them on a respondent's post (issue 13).
_WINDOW_COUNT = select(func.coalesce(func.sum(ThrottleCounter.count), 0)).where(
    ThrottleCounter.scope == bindparam("b_scope"), ThrottleCounter.key == bindparam("b_key"),
    ThrottleCounter.window_start >= bindparam("b_since"))
_COUNT_IN_SLICE = (
    update(ThrottleCounter.__table__)
    .where(ThrottleCounter.scope == bindparam("b_scope"), ThrottleCounter.key == bindparam("b_key"),
           ThrottleCounter.window_start == bindparam("b_start"))
    .values(count=ThrottleCounter.count + 1)
)


def _window_count(session: Session, scope: str, key: str, window: timedelta, now: datetime) -> int:
    since = _bucket_start(now, window) - (window - window / BUCKETS)
    return session.connection().scalar(_WINDOW_COUNT, {"b_scope": scope, "b_key": key, "b_since": since}) or 0


def _count_one(session: Session, scope: str, key: str, window: timedelta, now: datetime) -> None:
    start = _bucket_start(now, window)
    # Core on the session's connection: the ORM's execute cost more than the statement (issue 13)
    updated = session.connection().execute(_COUNT_IN_SLICE, {"b_scope": scope, "b_key": key, "b_start": start}).rowcount
    if not updated:
        # A new slice: the moment to forget every counter (any key) whose window ended long ago.
        prune_expired_counters(session, now)
        session.execute(delete(ThrottleCounter).where(
            ThrottleCounter.scope == scope, ThrottleCounter.key == key, ThrottleCounter.window_start < now - window))
        session.add(ThrottleCounter(scope=scope, key=key, window_start=start, count=1))
        session.flush()


def take(scope: str, key: str, window: timedelta, limit: int, now: datetime | None = None) -> bool:
    """Count one attempt for (scope, key) if fewer than ``limit`` were counted in the sliding
    ``window``; return whether it was counted (allowed).

    Counting and checking are one serialised transaction, so however many processes try at
    once, at most ``limit`` are allowed. Counters live in the database, shared by every host.
    """
    now = now or utcnow()

    def _write() -> bool:
        with db.write_session() as session:
            _lock_key(session, scope, key)
            if _window_count(session, scope, key, window, now) >= limit:
                session.rollback()
                return False
            try:
                _count_one(session, scope, key, window, now)
                session.commit()
            except IntegrityError:  # another host created the slice first (only without a lock)
                session.rollback()
                return False
            return True

    return with_retry(_write)


def hit(scope: str, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Count one attempt for (scope, key) and return the attempts in the sliding ``window``,
    this one included. One serialised transaction, shared by every process."""
    now = now or utcnow()

    def _write() -> int:
        with db.write_session() as session:
            count = count_attempt(session, scope, key, window, now)
            session.commit()
            return count

    return with_retry(_write)


def count_attempt(session: Session, scope: str, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Count one attempt for (scope, key) in ``session``'s write transaction and return the
    attempts in the sliding ``window``, this one included. Does not commit: the caller's
    transaction does, so a throttle can be counted in the same write as what it guards."""
    now = now or utcnow()
    _lock_key(session, scope, key)
    _count_one(session, scope, key, window, now)
    return _window_count(session, scope, key, window, now)


def attempts(session: Session, scope: str, key: str, window: timedelta, now: datetime | None = None) -> int:
    """Attempts counted for (scope, key) in the sliding window ending ``now``."""
    return _window_count(session, scope, key, window, now or utcnow())


def forget(scope: str, key: str) -> None:
    """Drop every counter of (scope, key): a successful sign-in forgives earlier failures."""
    def _write() -> None:
        with db.write_session() as session:
            session.execute(delete(ThrottleCounter).where(ThrottleCounter.scope == scope, ThrottleCounter.key == key))
            session.commit()

    with_retry(_write)


def prune_expired_counters(session: Session, now: datetime | None = None) -> int:
    """Delete every key's counters whose slice began over COUNTER_RETENTION before ``now``; the rows deleted.

    Called whenever a new slice is counted, so the table holds at most COUNTER_RETENTION of
    traffic however long the app runs. Does not commit: the caller's transaction does.
    """
    cutoff = (now or utcnow()) - COUNTER_RETENTION
    return session.execute(delete(ThrottleCounter).where(ThrottleCounter.window_start < cutoff)).rowcount


# ---------------------------------------------------------------- audit log


#: Who the audit log names for a command run on the server (no staff account signs in there).
COMMAND_LINE = "command line"


def audit(actor: str, action: str, **detail) -> None:
    """Record that ``actor`` did ``action`` in its own transaction. Never records answers or IP addresses."""
    def _write() -> None:
        with db.write_session() as session:
            session.add(AuditEvent(actor=actor, action=action,
                                   detail={k: v for k, v in detail.items() if v is not None}))
            session.commit()

    with_retry(_write)


def audit_counted(actor: str, action: str, now: datetime | None = None) -> None:
    """Count a repeated event (a failed sign-in) on one audit row per actor, action and hour,
    so that a flood of attempts adds one row an hour, not a row each."""
    now = now or utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)

    def _write() -> None:
        with db.write_session() as session:
            _lock_key(session, "audit:" + action, actor)
            updated = session.execute(
                update(AuditEvent)
                .where(AuditEvent.actor == actor, AuditEvent.action == action, AuditEvent.at >= hour)
                .values(count=AuditEvent.count + 1, at=now)
            ).rowcount
            if not updated:
                session.add(AuditEvent(actor=actor, action=action, at=now, detail={}, count=1))
            session.commit()

    with_retry(_write)


def init_app(app: Flask) -> None:
    """Bound every ``<int:>`` route argument, trust only PUBLIC_BASE_URL's host, give every
    request a time budget, and add the security headers to every response."""
    app.url_map.converters["int"] = BoundedIntConverter
    if app.config.get("TRUSTED_HOSTS") is None and app.config.get("PUBLIC_BASE_URL"):
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["PUBLIC_BASE_URL"])
    app.before_request(_start_budget)
    app.teardown_request(_end_budget)
    app.register_error_handler(RequestTooSlow, _too_slow)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.after_request(add_security_headers)
