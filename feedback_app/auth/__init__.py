"""Staff sign-in: login, logout, and the decorators that guard staff pages."""

from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Blueprint, abort, g, redirect, request, session, url_for

from ..db import db
from ..models import Role, StaffUser

bp = Blueprint("auth", __name__, url_prefix="/auth")


def current_user() -> StaffUser | None:
    """The signed-in staff user of this request, or None."""
    if "staff_user" not in g:
        user_id = session.get("user_id")
        user = db.session.get(StaffUser, user_id) if user_id is not None else None
        g.staff_user = user if user is not None and user.active else None
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
