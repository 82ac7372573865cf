"""Staff accounts: creating users, checking passwords, roles."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import Role, StaffUser, utcnow

MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class StaffError(Exception):
    """A staff account cannot be created as asked; the message says why."""


def create_user(session: Session, email: str, password: str, role: Role | str) -> StaffUser:
    """Create and commit a staff user with a hashed password.

    Raises StaffError for a malformed email, an email already in use, an unknown role or a
    password shorter than MIN_PASSWORD_LENGTH characters.
    """
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise StaffError(f"{email!r} is not an email address.")
    try:
        role = Role(role)
    except ValueError:
        raise StaffError(f"Unknown role {role!r}: use {' or '.join(r.value for r in Role)}.") from None
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if session.scalar(select(func.count()).select_from(StaffUser).where(StaffUser.email == email)):
        raise StaffError(f"There is already a user {email}.")
    user = StaffUser(email=email, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active user with this email and password, or None. Records the login time."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    session.commit()
    return user
