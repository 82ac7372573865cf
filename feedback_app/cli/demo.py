"""``feedback-app demo``: load four years of made-up rounds and answers (``serve --demo`` too)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import migrate
from ..db import db
from ..demo import DemoAlreadyLoaded, DemoError, DemoReport, seed_demo


def print_demo_report(report: DemoReport) -> None:
    """What the demo loaded and how to sign in."""
    for line in report.lines:
        click.echo(f"  {line}")
    click.echo(
        f"Loaded {report.responses:,} responses ({report.answers:,} answers, {report.flags:,} safeguarding flags) "
        f"in {report.seconds:.1f} s."
    )
    click.echo("Sign in at /auth/login as either demo account (made-up data only):")
    for email, role in report.accounts:
        click.echo(f"  {email:<28} {role:<8} password: {report.password}")


def load_demo(scale: int | None = None) -> bool:
    """Load the demo into the app's database and print the report; False when it was already there.

    Raises click.ClickException when the database holds real responses.
    """
    migrate.upgrade(db.engine)
    try:
        report = seed_demo(db.session, scale=scale, questionnaires_dir=current_app.config.get("QUESTIONNAIRES_DIR"))
    except DemoAlreadyLoaded as already:
        click.echo(str(already))
        return False
    except DemoError as error:
        raise click.ClickException(str(error)) from None
    print_demo_report(report)
    return True


@click.command("demo")
@click.option("--scale", type=click.IntRange(min=1), metavar="N",
              help="Make about N responses in all instead of the demo's ~3,000 (for benchmarks).")
@with_appcontext
def demo_command(scale: int | None) -> None:
    """Load demo data: every questionnaire's rounds from July 2019 to June 2023, with answers.

    Creates the demo staff accounts and prints how to sign in. Refuses a database that
    holds real responses. Everything it makes is invented.
    """
    load_demo(scale)


COMMANDS = (demo_command,)
