"""``feedback-app responses``: import paper and interview answers, export raw responses."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import db
from ..models import Round, RoundStatus
from ..security import COMMAND_LINE, audit
from ..submission import import_file
from ..transfer import (EXPORT_FORMATS, ExportError, ImportRefused, check_import, export_filename, export_frame,
                        file_too_large, write_csv, write_xlsx)
from .common import configured_agencies_or_fail


@click.group("responses")
def responses_group() -> None:
    """Import paper and interview answers; export raw responses to CSV or Excel."""


def _read_file(path: str) -> bytes:
    # A file over the limit is refused before it is read into memory.
    too_large = file_too_large(os.path.getsize(path))
    if too_large is not None:
        raise click.ClickException(str(too_large))
    return Path(path).read_bytes()


@responses_group.command("import")
@click.argument("round_id", metavar="ROUND", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--check", is_flag=True, help="Only check the file; store nothing.")
@with_appcontext
def responses_import(round_id: int, file: str, check: bool) -> None:
    """Import the answers in FILE (CSV, UTF-8) into round ROUND (its id).

    The header row names question keys of the round's questionnaire version, plus the
    optional columns `agency` and `submitted_at` (YYYY-MM-DD). One row per response;
    multiple-choice answers separate the options with ";". The whole file is checked
    first: if anything is wrong, every problem is listed and nothing is imported.
    Closed rounds take imports (paper answers arrive late).
    """
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.ClickException(f"There is no round {round_id}.")
    file_bytes = _read_file(file)
    agencies = configured_agencies_or_fail()
    try:
        if check:
            count = check_import(round_, file_bytes, agencies)
            click.echo(f"The file is fine: {count} responses would be imported into round {round_.id} ({round_.label}).")
            return
        report = import_file(round_, file_bytes, agencies, COMMAND_LINE)
    except ImportRefused as refused:
        raise click.ClickException(str(refused)) from None
    if report.flags:
        click.echo(f"{report.flags} answer(s) were flagged to the safeguarding queue: please read them.")
    note = " The round is closed; the answers were added to it anyway." if round_.status == RoundStatus.CLOSED else ""
    click.echo(f"Imported {report.count} responses into round {round_.id} ({round_.label}).{note}")


@responses_group.command("export")
@click.option("--questionnaire", "slug", metavar="SLUG", help="Export every round of this questionnaire.")
@click.option("--round", "round_id", metavar="ID", type=int, help="Export this round only.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), help="csv or xlsx (default: from the --output name, else csv).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: a name like responses-children.csv).")
@with_appcontext
def responses_export(slug: str | None, round_id: int | None, fmt: str | None, output: str | None) -> None:
    """Export raw responses, one row per response and one column per question key.

    Cells that a spreadsheet could run as a formula (starting =, +, -, @) get a ' in
    front. No small-count suppression is applied: the file holds raw answers, for
    partnership admins only.
    """
    if slug is None and round_id is None:
        raise click.ClickException(
            "Say what to export: --questionnaire SLUG (every round of it) or --round ID (one round)."
        )
    if fmt is None:
        fmt = "xlsx" if output and output.lower().endswith(".xlsx") else "csv"
    try:
        frame = export_frame(db.session, slug, round_id)
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    data = write_xlsx(frame) if fmt == "xlsx" else write_csv(frame)
    target = Path(output or export_filename(slug, round_id, fmt))
    try:
        target.write_bytes(data)
    except OSError as error:
        raise click.ClickException(f"Cannot write {target}: {error.strerror}") from None
    audit(COMMAND_LINE, "export", questionnaire=slug, round_id=round_id, responses=len(frame), format=fmt)
    click.echo(f"Exported {len(frame)} responses to {target}. It holds raw answers: keep it on partnership systems.")


COMMANDS = (responses_group,)
