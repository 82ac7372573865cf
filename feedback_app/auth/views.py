"""Login, logout and password change views."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from .. import csrf
from ..db import db
from ..models import Role, StaffUser
from ..security import audit, audit_counted, forget, take, with_retry
from ..staff import StaffError, authenticate, change_own_password, end_sessions, record_sign_in
from . import bp, current_user, login_required, start_session
from .forms import LoginForm, PasswordChangeForm

LOGIN_WINDOW = timedelta(minutes=15)
UNKNOWN_ACCOUNT = "(unknown account)"  # what an attacker typed is never written to the audit log


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


def _audit_actor(email: str) -> str:
    """``email`` when it is a staff account's, else UNKNOWN_ACCOUNT. Ends the read transaction,
    so that no request holds a read connection while it waits for a write one."""
    known = db.session.scalar(select(StaffUser.id).where(StaffUser.email == email))
    db.session.commit()
    return email if known is not None else UNKNOWN_ACCOUNT


def _write(change):
    """Run ``change(session)`` in a short write transaction of its own, retried under contention."""
    def _once():
        with db.write_session() as session:
            return change(session)

    return with_retry(_once)


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt  # LoginForm checks its own CSRF token and shows the error on the page
def login():
    """Sign in; the session is started afresh so no earlier session survives.

    Each attempt takes a slot of the email's sign-in throttle *before* the password is
    checked, so parallel guesses cannot all slip under the limit.
    """
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        db.session.commit()  # end the read transaction before writing
        if not take("login", email, LOGIN_WINDOW, current_app.config["LOGIN_ATTEMPTS_LIMIT"]):
            audit_counted(_audit_actor(email), "login-throttled")
            abort(429)
        user = authenticate(db.session, email, form.password.data)
        db.session.commit()  # end the read transaction before writing (expire_on_commit is off)
        if user is None:
            audit_counted(_audit_actor(email), "login-failed")
            error = "The email address or password is not right"
        else:
            forget("login", email)
            version = _write(lambda s: record_sign_in(s, user.id))
            audit(user.email, "login")
            next_page = _safe_next(request.args.get("next"))
            start_session(user, version)
            return redirect(next_page or home_for(user.role))
    status = 200 if not (form.errors or error) else 400
    return render_template("auth/login.html", form=form, error=error), status


def _end_all_sessions(session, user_id: int) -> None:
    end_sessions(session.get(StaffUser, user_id))
    session.commit()


@bp.post("/logout")
def logout():
    """Sign out: every session of this user ends, including copies of this cookie."""
    user = current_user()
    if user is not None:
        db.session.commit()
        _write(lambda s: _end_all_sessions(s, user.id))
        audit(user.email, "logout")
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required()
def change_password():
    """Change your own password; every other session of yours ends."""
    user = current_user()
    form = PasswordChangeForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            change_own_password(db.session, user, form.current.data, form.new.data)
        except StaffError as problem:
            db.session.rollback()
            problems.append(str(problem))
        else:
            audit(user.email, "password-change")
            start_session(user, user.session_version)
            flash("Your password is changed. Any other place you were signed in has been signed out.", "success")
            return redirect(home_for(user.role))
    status = 400 if (form.errors or problems) else 200
    return render_template("auth/password.html", form=form, problems=problems), status


@bp.app_context_processor
def _inject_user():
    return {"current_user": current_user()}
