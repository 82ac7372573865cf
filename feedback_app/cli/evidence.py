"""Commands of the framework's evidence: ``indicators import``/``list`` and ``pack``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from analysis.evidence import IndicatorError

from ..db import db
from ..evidence.data import IndicatorImportRefused, import_indicator_csv, indicator_trends, load_indicators
from ..evidence.pack import PackError, build_pack
from ..security import COMMAND_LINE, audit
from .common import day_or_fail


@click.group("indicators")
def indicators_group() -> None:
    """The partnership dataset's indicators (questionnaires/indicators.yaml) and their figures."""


@indicators_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(file: str) -> None:
    """Import figures from FILE.csv (columns indicator,period,value[,agency]).

    The whole file is checked first: a file with any problem is refused with every
    problem listed, and nothing is stored. A figure for the same indicator, period and
    agency as a stored one replaces it.
    """
    try:
        stored = import_indicator_csv(db.session, Path(file).read_bytes(), COMMAND_LINE, Path(file).name)
    except IndicatorImportRefused as refused:
        lines = "\n".join(f"  {problem}" for problem in refused.problems)
        raise click.ClickException(f"{file} was not imported; nothing was stored. Fix:\n{lines}") from None
    except IndicatorError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Imported {stored} figure{'s' if stored != 1 else ''} from {file}.")


@indicators_group.command("list")
@with_appcontext
def list_command() -> None:
    """One line per indicator: latest figure, target and direction since the baseline."""
    try:
        trends = indicator_trends(db.session, load_indicators())
    except IndicatorError as error:
        raise click.ClickException(str(error)) from None
    for trend in trends:
        click.echo(f"{trend.indicator.key}: {trend.summary}")


@click.command("pack")
@click.option("--from", "start", required=True, help="First day of the period, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day of the period, YYYY-MM-DD.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True), help="HTML file to write.")
@with_appcontext
def pack_command(start: str, end: str, output: str) -> None:
    """Write the scrutiny pack of a period as one self-contained, printable HTML file.

    Laid out by the framework's capture points: voice of the child and parents,
    practitioners, champions, agency action plans (RAG tracker), audits, indicators,
    lines of enquiry, and actions and governance. People's answers are suppressed under
    SUPPRESSION_THRESHOLD; agencies' returns are named and shown as they are.
    """
    try:
        html = build_pack(db.session, day_or_fail(start, "--from date", click.BadParameter), day_or_fail(end, "--to date", click.BadParameter),
                          int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)))
    except (PackError, IndicatorError) as error:
        raise click.ClickException(str(error)) from None
    Path(output).write_text(html, encoding="utf-8")
    audit(COMMAND_LINE, "pack-download", start=start, end=end)
    click.echo(f"Wrote the scrutiny pack to {output}.")


COMMANDS = (indicators_group, pack_command)
