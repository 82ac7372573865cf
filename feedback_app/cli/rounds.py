"""Staff administration on the command line: ``feedback-app users|rounds|links ...``.

The same functions as the admin pages (``staff``, ``rounds``, ``links``); their errors
become click errors (exit status 1, "Error: <message>").
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .admin.monitoring import round_links
from .db import db
from .definitions import load_agencies
from .links import LinkError, create_links, find_link, link_url, revoke_link
from .models import LinkKind, Role, Round, RoundStatus, StaffUser
from .rounds import (
    RoundError,
    close_round,
    create_round,
    displayed_status,
    find_version,
    open_round,
    parse_day,
    response_counts,
    rounds_to_schedule,
    schedule_rounds,
)
from .security import COMMAND_LINE, MAX_DB_INT, BaseUrlError, audit, checked_base_url
from .staff import StaffError, create_user, find_user, set_active, set_password


def _base_url(option: str | None) -> str:
    """--base-url, else PUBLIC_BASE_URL; never a guess (click error naming both when neither is set)."""
    try:
        return checked_base_url(option or current_app.config.get("PUBLIC_BASE_URL"))
    except BaseUrlError as error:
        raise click.ClickException(str(error)) from None


def _day(text: str, what: str):
    try:
        return parse_day(text, what)
    except RoundError as error:
        raise click.ClickException(str(error)) from None


def _round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id) if 0 < round_id <= MAX_DB_INT else None
    if round_ is None:
        raise click.ClickException(f"There is no round {round_id}; `feedback-app rounds list` shows them.")
    return round_


# ---------------------------------------------------------------- users


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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
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


@users_group.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """Deactivate EMAIL: they cannot sign in, and every session of theirs ends at once."""
    user = _user(email)
    try:
        set_active(db.session, user, False)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "user-deactivate", user=user.email)
    click.echo(f"Deactivated {user.email}; they are signed out everywhere.")


@users_group.command("activate")
@click.argument("email")
@with_appcontext
def users_activate(email: str) -> None:
    """Re-activate EMAIL so they can sign in again."""
    user = _user(email)
    set_active(db.session, user, True)
    audit(COMMAND_LINE, "user-activate", user=user.email)
    click.echo(f"Activated {user.email}.")


@users_group.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input instead of asking.")
@with_appcontext
def users_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL (asked for twice); every session of theirs ends."""
    user = _user(email)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(db.session, user, password)
    except StaffError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "password-reset", user=user.email)
    click.echo(f"New password set for {user.email}; they are signed out everywhere.")


# ---------------------------------------------------------------- rounds


@click.group("rounds")
def rounds_group() -> None:
    """Rounds: one wave of one questionnaire version, the unit of comparison."""


@rounds_group.command("create")
@click.argument("slug")
@click.option("--label", required=True, help='How the round is reported, e.g. "Practitioner consultation 2021 H1".')
@click.option("--opens", required=True, metavar="YYYY-MM-DD", help="First day answers are taken.")
@click.option("--closes", required=True, metavar="YYYY-MM-DD", help="Last day answers are taken.")
@click.option("--version", "version", type=int, help="Questionnaire version (default: the newest published).")
@click.option("--draft", is_flag=True, help="Create the round as a draft: links can be made but take no answers.")
@click.option("--reason", default=None,
              help="Why a round opens outside the cadence (a period that already has one); recorded in the audit log.")
@with_appcontext
def rounds_create(slug: str, label: str, opens: str, closes: str, version: int | None, draft: bool,
                  reason: str | None) -> None:
    """Create a round of questionnaire SLUG and print its id (alone, so scripts can capture it).

    A second round in the same cadence period (an annual questionnaire's year, a
    bi-annual one's half-year...) is refused unless --reason says why.
    """
    from .cadence import create_round_in_cadence

    opens_on, closes_on = _day(opens, "--opens date"), _day(closes, "--closes date")
    try:
        found = find_version(db.session, slug, version)
        round_ = create_round_in_cadence(
            db.session, found, label, opens_on, closes_on, RoundStatus.DRAFT if draft else RoundStatus.OPEN,
            reason, COMMAND_LINE,
        )
    except RoundError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "round-create", round_id=round_.id)
    click.echo(round_.id)


@rounds_group.command("list")
@with_appcontext
def rounds_list() -> None:
    """One line per round: id, label, questionnaire version, dates, status, responses so far.

    The status is as of today: an open round past its closing date reads "closed".
    """
    rounds = db.session.scalars(select(Round).order_by(Round.opens_on, Round.id)).all()
    if not rounds:
        click.echo("No rounds. Create one with `feedback-app rounds create SLUG ...`.")
        return
    counts = response_counts(db.session, [round_.id for round_ in rounds])
    for round_ in rounds:
        questionnaire = f"{round_.version.slug} v{round_.version.version}"
        click.echo(
            f"{round_.id:>4}  {round_.label:<45} {questionnaire:<26} "
            f"{round_.opens_on} to {round_.closes_on}  {displayed_status(round_):<9} {counts.get(round_.id, 0):>5} responses"
        )


@rounds_group.command("close")
@click.argument("round_id", metavar="ID", type=int)
@with_appcontext
def rounds_close(round_id: int) -> None:
    """Close round ID now: its links stop taking answers."""
    round_ = _round(round_id)
    close_round(db.session, round_)
    audit(COMMAND_LINE, "round-close", round_id=round_.id)
    click.echo(f"Closed round {round_.id} ({round_.label}).")


@rounds_group.command("open")
@click.argument("round_id", metavar="ID", type=int)
@with_appcontext
def rounds_open(round_id: int) -> None:
    """Open draft round ID, or re-open it after closing."""
    round_ = _round(round_id)
    try:
        open_round(db.session, round_)
    except RoundError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "round-open", round_id=round_.id)
    click.echo(f"Opened round {round_.id} ({round_.label}).")


@rounds_group.command("schedule")
@click.argument("slug")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="Schedule rounds from this day.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Schedule rounds up to this day.")
@click.option("--version", "version", type=int, help="Questionnaire version (default: the newest published).")
@click.option("--yes", is_flag=True, help="Create them without asking.")
@with_appcontext
def rounds_schedule(slug: str, start: str, end: str, version: int | None, yes: bool) -> None:
    """Create the rounds SLUG's cadence implies between two dates (practitioners: two a year).

    Lists the rounds it will create and asks before creating them (unless --yes), then
    prints the id and label of each; rounds whose label exists are skipped.
    """
    start_on, end_on = _day(start, "--from date"), _day(end, "--to date")
    try:
        found = find_version(db.session, slug, version)
        planned = rounds_to_schedule(db.session, found, start_on, end_on)
    except RoundError as error:
        raise click.ClickException(str(error)) from None
    if not planned:
        click.echo("No new rounds: every round in those dates already exists.", err=True)
        return
    click.echo(f"{len(planned)} open round{'s' if len(planned) != 1 else ''} of {found.slug} v{found.version} ({found.cadence.value}):", err=True)
    for plan in planned:
        click.echo(f"  {plan.label:<45} {plan.opens_on} to {plan.closes_on}", err=True)
    if not yes:
        click.confirm("Create them?", abort=True, err=True)
    for round_ in schedule_rounds(db.session, found, planned):
        audit(COMMAND_LINE, "round-create", round_id=round_.id)
        click.echo(f"{round_.id}\t{round_.label}")


# ---------------------------------------------------------------- links


@click.group("links")
def links_group() -> None:
    """Share links: open, agency and single-use links to a round."""


BASE_URL_HELP = "Base of the printed URLs (default: PUBLIC_BASE_URL; without either, nothing is guessed and the command refuses)."


@links_group.command("create")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in LinkKind]), help="Kind of link.")
@click.option("--agency", help="Agency the answers are recorded against (needed for --kind agency).")
@click.option("--count", default=1, show_default=True, type=int, help="How many links to make.")
@click.option("--expires", metavar="YYYY-MM-DD", help="Last day the links work.")
@click.option("--max-responses", type=int, help="Most answers each link takes.")
@click.option("--label", help="A note for staff, e.g. the team the links are for.")
@click.option("--base-url", help=BASE_URL_HELP)
@with_appcontext
def links_create(
    round_id: int,
    kind: str,
    agency: str | None,
    count: int,
    expires: str | None,
    max_responses: int | None,
    label: str | None,
    base_url: str | None,
) -> None:
    """Make links to round ROUND and print one full URL per line."""
    round_ = _round(round_id)
    base = _base_url(base_url)  # before making anything: refuse rather than print guessed links
    expires_on = _day(expires, "--expires date") if expires else None
    try:
        links = create_links(
            db.session,
            round_,
            kind,
            load_agencies(current_app.config.get("QUESTIONNAIRES_DIR")),
            agency=agency,
            count=count,
            expires_on=expires_on,
            max_responses=max_responses,
            label=label,
        )
    except LinkError as error:
        raise click.ClickException(str(error)) from None
    audit(COMMAND_LINE, "links-create", round_id=round_.id, kind=kind, count=len(links))
    for link in links:
        click.echo(link_url(base, link))


@links_group.command("list")
@click.argument("round_id", metavar="ROUND", type=int)
@click.option("--base-url", help=BASE_URL_HELP)
@with_appcontext
def links_list(round_id: int, base_url: str | None) -> None:
    """One line per link of round ROUND: URL, kind, agency, responses/cap, state, label."""
    rows = round_links(db.session, _round(round_id), _base_url(base_url))
    if not rows:
        click.echo(f"Round {round_id} has no links. Make some with `feedback-app links create {round_id} --kind open`.")
    for row in rows:
        link = row.link
        cap = link.max_responses if link.max_responses is not None else "-"
        click.echo(
            f"{row.url}  {link.kind.value:<10} {link.agency or '-':<20} {row.responses}/{cap}  {row.state}"
            + (f"  {link.label}" if link.label else "")
        )


@links_group.command("revoke")
@click.argument("token")
@with_appcontext
def links_revoke(token: str) -> None:
    """Switch off the link TOKEN (its token, or its full URL) for good."""
    token = token.strip().rstrip("/").rsplit("/r/", 1)[-1]
    link = find_link(db.session, token)
    if link is None:
        raise click.ClickException("There is no link with that token; `feedback-app links list ROUND` shows them.")
    revoke_link(db.session, link)
    audit(COMMAND_LINE, "link-revoke", round_id=link.round_id, link_id=link.id)
    click.echo(f"Revoked link {link.token[:8]}… of round {link.round_id} ({link.round.label}).")
