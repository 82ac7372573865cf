"""The ``purge`` command."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import db
from ..privacy import plan_purge, purge
from ..security import audit
from .common import day_or_fail


@click.command("purge")
@click.option("--before", required=True, help="Delete responses of rounds that closed before this date (YYYY-MM-DD).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--actor", default="command line", show_default=True, help="Who is purging, for the audit log.")
@with_appcontext
def purge_command(before: str, yes: bool, actor: str) -> None:
    """Delete the responses (with their answers, features and flags) of rounds closed before a date.

    Asks for confirmation, then reports what it deleted. The rounds themselves are kept.
    """
    day = day_or_fail(before, "--before date")
    plan = plan_purge(db.session, day)
    if not plan.responses:
        click.echo(f"Nothing to delete: no responses in rounds that closed before {day}.")
        return
    click.echo(
        f"This deletes {plan.responses} responses ({plan.answers} answers) from {len(plan.round_ids)} round(s) "
        f"that closed before {day}: round ids {', '.join(map(str, plan.round_ids))}."
    )
    if plan.open_flags:
        click.echo(f"Warning: {plan.open_flags} safeguarding flag(s) among them have not been acted on.")
    if not yes and not click.confirm("Delete them for good?", default=False):
        raise click.ClickException("Nothing was deleted.")
    with db.write_session() as session:
        purge(session, plan)
    audit(actor, "purge", before=str(day), rounds=plan.round_ids, responses=plan.responses)
    click.echo(f"Deleted {plan.responses} responses and {plan.answers} answers.")


COMMANDS = (purge_command,)
