"""Token checks, per-token limits, audit and JSON errors for the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import current_app, jsonify, request
from sqlalchemy import update
from werkzeug.exceptions import HTTPException

from ..api_tokens import allows, authenticate
from ..db import db
from ..models import ApiToken, Role, utcnow
from ..security import audit, hit

MESSAGES = {
    401: "Send a valid API token as 'Authorization: Bearer TOKEN' (feedback-app tokens create makes one).",
    403: "This token's role may not read this. Raw responses need an admin token.",
    404: "There is nothing at this address.",
    405: "The API is read-only: use GET.",
    429: "Too many requests for this token: wait a minute, then try again.",
    500: "Something went wrong on the server; the request was not completed.",
}


def json_error(status: int, message: str | None = None, headers: dict[str, str] | None = None):
    """A JSON error body ``{"error": {"status", "message"}}`` with ``status``."""
    body = jsonify({"error": {"status": status, "message": message or MESSAGES.get(status, "Error")}})
    return body, status, headers or {}


def http_error(error: HTTPException):
    """Any HTTP error raised in an API view, as JSON."""
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    message = error.description if code == 400 else None
    return json_error(code, message)


def _presented() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def api_view(needed: Role) -> Callable:
    """Guard an API view: a valid token of a role that ``allows`` ``needed``, within its limit.

    401 without a valid token, 403 for the wrong role, 429 over the per-token limit.
    Every use (allowed or refused for its role) is written to the audit log.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = authenticate(db.session, _presented())
            if token is None:
                return json_error(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
            token_id, allowed = token.id, allows(token, needed)
            db.session.commit()  # end the read transaction before writing
            actor = f"api-token:{token_id}"
            where = request.full_path.rstrip("?")[:300]
            if not allowed:
                audit(actor, "api-refused", path=where, role=token.role.value)
                return json_error(403)
            if hit("api", str(token_id), timedelta(minutes=1)) > current_app.config["API_REQUESTS_PER_MINUTE"]:
                return json_error(429, headers={"Retry-After": "60"})
            audit(actor, "api-read", path=where)
            with db.write_session() as session:
                session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
                session.commit()
            return view(*args, **kwargs)

        wrapped.api_role = needed  # type: ignore[attr-defined]  (read by the tests: every endpoint is guarded)
        return wrapped

    return decorator
