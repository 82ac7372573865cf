"""Rounds on the command line: ``feedback-app rounds create|list|close|open|schedule``.

The same functions as the admin pages (``rounds``, ``cadence``); their errors become
click errors (exit status 1, "Error: <message>").
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import db
from ..models import Round, RoundStatus
from ..rounds import (
    RoundError,
    close_round,
    displayed_status,
    find_version,
    open_round,
    response_counts,
    rounds_to_schedule,
    schedule_rounds,
)
from ..security import COMMAND_LINE, audit
from .common import day_or_fail, round_or_fail


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
    from ..cadence import create_round_in_cadence

    opens_on, closes_on = day_or_fail(opens, "--opens date"), day_or_fail(closes, "--closes date")
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
    round_ = round_or_fail(round_id)
    close_round(db.session, round_)
    audit(COMMAND_LINE, "round-close", round_id=round_.id)
    click.echo(f"Closed round {round_.id} ({round_.label}).")


@rounds_group.command("open")
@click.argument("round_id", metavar="ID", type=int)
@with_appcontext
def rounds_open(round_id: int) -> None:
    """Open draft round ID, or re-open it after closing."""
    round_ = round_or_fail(round_id)
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
    start_on, end_on = day_or_fail(start, "--from date"), day_or_fail(end, "--to date")
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


COMMANDS = (rounds_group,)
