"""Login and logout views."""

from __future__ import annotations

from urllib.parse import urlsplit

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, session, url_for

from .. import csrf
from ..db import db
from ..models import Role
from ..security import attempts, audit, hit
from ..staff import authenticate

LOGIN_WINDOW = timedelta(minutes=15)
from . import bp, current_user
from .forms import LoginForm


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(role: Role) -> str:
    """The first page a user of ``role`` sees."""
    return url_for("admin.dashboard") if role == Role.ADMIN else url_for("insights.index")


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm checks its own CSRF token and shows the error on the page
def login():
    """Sign in; the session is started afresh so no earlier session survives."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        limit = current_app.config["LOGIN_ATTEMPTS_LIMIT"]
        if attempts(db.session, "login", email, LOGIN_WINDOW) >= limit:
            audit(email, "login-throttled")
            abort(429)
        user = authenticate(db.session, email, form.password.data)
        if user is None:
            hit("login", email, LOGIN_WINDOW)
            audit(email, "login-failed")
            error = "The email address or password is not right"
        else:
            audit(user.email, "login")
            next_page = _safe_next(request.args.get("next"))
            session.clear()
            session["user_id"] = user.id
            session.permanent = True
            return redirect(next_page or home_for(user.role))
    status = 200 if not (form.errors or error) else 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out."""
    user = current_user()
    if user is not None:
        audit(user.email, "logout")
    session.clear()
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def _inject_user():
    return {"current_user": current_user()}
