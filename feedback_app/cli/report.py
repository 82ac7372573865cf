"""The ``report`` command: the printable comparison report of one questionnaire."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import db
from ..insights.clouds import cloud_cache_folder
from ..insights.report import ReportError, build_report, parse_round_ids
from ..security import COMMAND_LINE, audit


@click.command("report")
@click.argument("slug")
@click.option("--rounds", default=None, help="Round ids to include, separated by commas (default: every round).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="HTML file to write.")
@with_appcontext
def report_command(slug: str, rounds: str | None, output: str) -> None:
    """Write the comparison report of questionnaire SLUG as one self-contained HTML file.

    Theme shares with counts and tests, sentiment, charts, word clouds, quotes, emerging
    phrases, draft lines of enquiry, closed-question answers and the questionnaire's
    governance. Counts under SUPPRESSION_THRESHOLD are shown as "fewer than N".
    """
    try:
        html = build_report(
            db.session, slug, round_ids=parse_round_ids(rounds),
            min_count=int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)),
            cache_folder=cloud_cache_folder(current_app.instance_path),
        )
    except ReportError as error:
        raise click.ClickException(str(error)) from None
    Path(output).write_text(html, encoding="utf-8")
    audit(COMMAND_LINE, "report-download", questionnaire=slug, rounds=rounds)
    click.echo(f"Wrote the {slug} report to {output}.")


COMMANDS = (report_command,)
