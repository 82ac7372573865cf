"""Staff sign-in: login, logout, and the decorators that guard staff pages."""

from __future__ import annotations

import time
from functools import wraps
from typing import Callable

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for

from ..db import db
from ..models import Role, StaffUser

bp = Blueprint("auth", __name__, url_prefix="/auth")


def start_session(user: StaffUser, version: int) -> None:
    """Start a fresh session for ``user``, bound to their session ``version`` and to now."""
    session.clear()
    session["user_id"] = user.id
    session["v"] = version
    session["t"] = int(time.time())
    session.permanent = True  # PERMANENT_SESSION_LIFETIME: the idle limit


def _session_user() -> StaffUser | None:
    user_id, version, started = session.get("user_id"), session.get("v"), session.get("t")
    if not isinstance(user_id, int) or not isinstance(version, int) or not isinstance(started, int):
        return None
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME_HOURS"] * 3600
    if not 0 <= time.time() - started <= lifetime:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active or user.session_version != version:
        return None  # signed out, password changed or deactivated since: every old cookie ends
    return user


def current_user() -> StaffUser | None:
    """The signed-in staff user of this request, or None.

    A session counts only while its user is active, its cookie carries the user's current
    session version and it began less than SESSION_ABSOLUTE_LIFETIME_HOURS ago; a dead
    session is cleared.
    """
    if "staff_user" not in g:
        g.staff_user = _session_user() if "user_id" in session else None
        if g.staff_user is None and "user_id" in session:
            session.clear()
    return g.staff_user


def login_required(*roles: Role) -> Callable:
    """Guard a view: anonymous visitors go to the login page; other roles get 403.

    With no roles any signed-in staff user may see the page.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


from . import views  # noqa: E402,F401  (registers the routes on bp)
