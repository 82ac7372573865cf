"""Staff accounts on the command line: ``feedback-app users create|list|deactivate|activate|password``.

The same functions as the admin pages (``staff``); their errors become click errors
(exit status 1, "Error: <message>").
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import db
from ..models import Role, StaffUser
from ..security import COMMAND_LINE, audit
from ..staff import StaffError, create_user, find_user, set_active, set_password
from .common import read_password


@click.group("users")
def users_group() -> None:
    """Staff accounts: admins run rounds and links, analysts read the analysis."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input instead of asking.")
@with_appcontext
def users_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user EMAIL; the password is asked for twice (never given as an argument)."""
    password = read_password("Password", password_stdin)
    try:
        user = create_user(db.session, email, password, role)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "user-create", user=user.email, role=user.role.value)
    click.echo(f"Created {user.role.value} {user.email}.")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """One line per staff user: email, role, last sign-in."""
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    if not users:
        click.echo("No users. Create one with `feedback-app users create EMAIL --role admin`.")
    for user in users:
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never"
        state = "" if user.active else "  (deactivated)"
        click.echo(f"{user.email:<40} {user.role.value:<8} last sign-in {last}{state}")


def _user(email: str):
    try:
        return find_user(db.session, email)
    except StaffError as error:
        raise click.ClickException(str(error)) from None


def _activation_command(name: str, active: bool, summary: str, done: str) -> None:
    """Add ``users NAME EMAIL``: switch the account on or off, audit it and print ``done``."""

    @users_group.command(name, help=summary)
    @click.argument("email")
    @with_appcontext
    def command(email: str) -> None:
        user = _user(email)
        try:
            set_active(db.session, user, active)
        except StaffError as error:
            raise click.ClickException(str(error)) from None
        audit(COMMAND_LINE, "user-activate" if active else "user-deactivate", user=user.email)
        click.echo(done.format(email=user.email))


_activation_command("deactivate", False, "Deactivate EMAIL: they cannot sign in, and every session of theirs ends at once.",
                    "Deactivated {email}; they are signed out everywhere.")
_activation_command("activate", True, "Re-activate EMAIL so they can sign in again.", "Activated {email}.")


@users_group.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input instead of asking.")
@with_appcontext
def users_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL (asked for twice); every session of theirs ends."""
    user = _user(email)
    password = read_password("New password", password_stdin)
    try:
        set_password(db.session, user, password)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "password-reset", user=user.email)
    click.echo(f"New password set for {user.email}; they are signed out everywhere.")


COMMANDS = (users_group,)
