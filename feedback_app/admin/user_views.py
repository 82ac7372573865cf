"""Admin views of staff users: add, deactivate or re-activate, and reset a password."""

from __future__ import annotations

from typing import Callable, TypeVar

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ..auth import current_user, login_required
from ..db import db
from ..models import Role, StaffUser
from ..security import audit
from ..staff import StaffError, create_user, set_active, set_password
from . import bp
from .forms import PasswordResetForm, UserForm, UserStateForm

T = TypeVar("T")


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


def _users_page(form: UserForm, problems: list[str], status: int = 200):
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("admin/users.html", form=form, problems=problems, staff=staff,
                           state_form=UserStateForm(formdata=None), reset_form=PasswordResetForm(formdata=None)), status


def _attempt(change: Callable[..., T], *args) -> tuple[T | None, list[str]]:
    """Run the staff change ``change(session, *args)``: its result and no problems, or None and
    the StaffError's message (the session rolled back)."""
    try:
        return change(db.session, *args), []
    except StaffError as error:
        db.session.rollback()
        return None, [str(error)]


@bp.route("/users", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def users():
    """Staff users, and a form to add one."""
    form = UserForm()
    problems: list[str] = []
    if form.validate_on_submit():
        user, problems = _attempt(create_user, form.email.data, form.password.data, form.role.data)
        if not problems:
            audit(current_user().email, "user-create", user=user.email, role=user.role.value)
            flash(f"Added {user.email} as {user.role.value}.", "success")
            return redirect(url_for(".users"))
    return _users_page(form, problems, 400 if (form.errors or problems) else 200)


@bp.post("/users/<int:user_id>/active")
@login_required(Role.ADMIN)
def user_active(user_id: int):
    """Deactivate a user (every session of theirs ends at once) or re-activate them."""
    user = _user_or_404(user_id)
    form = UserStateForm()
    if not form.validate_on_submit() or form.active.data not in ("yes", "no"):
        abort(400)
    admin = current_user()
    active = form.active.data == "yes"
    _unchanged, problems = _attempt(set_active, user, active, admin)
    if problems:
        return _users_page(UserForm(formdata=None), problems, 400)
    audit(admin.email, "user-activate" if active else "user-deactivate", user=user.email)
    flash(f"{user.email} is {'active again' if active else 'deactivated and signed out everywhere'}.", "success")
    return redirect(url_for(".users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def user_password(user_id: int):
    """Set a new password for a user who lost theirs; every session of theirs ends."""
    user, form = _user_or_404(user_id), PasswordResetForm()
    problems: list[str] = []
    if form.validate_on_submit():
        _unchanged, problems = _attempt(set_password, user, form.password.data)
        if not problems:
            audit(current_user().email, "password-reset", user=user.email)
            flash(f"New password set for {user.email}; they are signed out everywhere. "
                  "Give them the password by a different route from their email.", "success")
            return redirect(url_for(".users"))
    status = 400 if (form.errors or problems) else 200
    return render_template("admin/user_password.html", form=form, problems=problems, user=user), status
