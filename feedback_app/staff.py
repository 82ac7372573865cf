"""Staff accounts: creating users, checking passwords, roles, deactivation, password changes."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import Role, StaffUser, utcnow

MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"


class StaffError(Exception):
    """A staff account cannot be created or changed as asked; the message says why."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (``data/common-passwords.txt``), lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str | None) -> str | None:
    """Why ``password`` may not be used, or None when it may.

    Too short, or a common password: one on the shipped list, the same with digits after it
    ("password1234"), or one repeated ("qwertyqwerty").
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
    lowered = password.lower()
    common = common_passwords()
    stem = lowered.rstrip("0123456789!?.")
    repeated = next((lowered[:n] for n in range(1, len(lowered) // 2 + 1)
                     if len(lowered) % n == 0 and lowered[:n] * (len(lowered) // n) == lowered), None)
    if lowered in common or (stem and stem in common) or (repeated is not None and (repeated in common or len(repeated) < 4)):
        return "That password is on the list of commonly used passwords; choose a less guessable one (a few unrelated words work well)."
    return None


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
    problem = password_problem(password)
    if problem:
        raise StaffError(problem)
    if session.scalar(select(func.count()).select_from(StaffUser).where(StaffUser.email == email)):
        raise StaffError(f"There is already a user {email}.")
    user = StaffUser(email=email, password_hash=generate_password_hash(password), role=role)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active user with this email and password, or None. Reads only: the caller records
    the sign-in (``record_sign_in``) in a write transaction of its own."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == (email or "").strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def find_user(session: Session, email: str) -> StaffUser:
    """The staff user with ``email``; raises StaffError naming it when there is none."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == (email or "").strip().lower()))
    if user is None:
        raise StaffError(f"There is no user {email!r}; `feedback-app users list` shows them.")
    return user


def end_sessions(user: StaffUser) -> None:
    """End every session of ``user`` (each cookie carries the version it signed in under)."""
    user.session_version = (user.session_version or 1) + 1


def record_sign_in(session: Session, user_id: int) -> int:
    """Record the sign-in time of user ``user_id`` (commits); returns its session version."""
    user = session.get(StaffUser, user_id)
    user.last_login_at = utcnow()
    version = user.session_version
    session.commit()
    return version


def set_active(session: Session, user: StaffUser, active: bool, by: StaffUser | None = None) -> None:
    """Activate or deactivate ``user`` (commits); deactivating ends all of their sessions.

    Raises StaffError when an admin would deactivate themselves or the last active admin.
    """
    if not active:
        if by is not None and by.id == user.id:
            raise StaffError("You cannot deactivate your own account.")
        if user.role == Role.ADMIN and user.active:
            admins = session.scalar(select(func.count()).select_from(StaffUser).where(
                StaffUser.role == Role.ADMIN, StaffUser.active.is_(True)))
            if admins <= 1:
                raise StaffError(f"{user.email} is the last active admin; make another admin first.")
        end_sessions(user)
    user.active = active
    session.commit()


def set_password(session: Session, user: StaffUser, new_password: str) -> None:
    """Give ``user`` a new password (commits) and end all of their sessions.

    Raises StaffError when the password is too short or common.
    """
    problem = password_problem(new_password)
    if problem:
        raise StaffError(problem)
    user.password_hash = generate_password_hash(new_password)
    end_sessions(user)
    session.commit()


def change_own_password(session: Session, user: StaffUser, current: str, new_password: str) -> None:
    """Change ``user``'s password after checking the current one (commits).

    Raises StaffError when the current password is wrong or the new one may not be used.
    """
    if not check_password_hash(user.password_hash, current or ""):
        raise StaffError("Your current password is not right.")
    if current == new_password:
        raise StaffError("The new password must differ from the current one.")
    set_password(session, user, new_password)
