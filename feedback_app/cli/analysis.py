"""Commands for the text analysis: ``analyse``, ``analyse-text`` and ``rebuild-tallies``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import db
from ..text_analysis import analyse_stale_in_batches, stale_answer_count


@click.command("analyse")
@click.option("--recompute", is_flag=True, help="Recompute every answer, not only the stale ones.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes to use (default: every core).")
@with_appcontext
def analyse(recompute: bool, workers: int | None) -> None:
    """Compute sentiment, themes and noun phrases of free-text answers.

    Only answers with no features, or features from another analyser or codebook
    version, are analysed unless --recompute is given.
    """
    pending = stale_answer_count(db.session, recompute=recompute)
    if not pending:
        click.echo("Every answer is up to date.")
        return
    workers = workers or os.cpu_count() or 1
    with click.progressbar(length=pending, label=f"Analysing {pending} answers", file=sys.stderr) as bar:
        run = analyse_stale_in_batches(db.session, workers=workers, recompute=recompute, progress=bar.update)
    click.echo(f"Analysed {run.analysed} answers on {workers} process(es).")


@click.command("analyse-text")
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False), help="CSV file to read.")
@click.option("--column", required=True, help="Column holding the free text.")
@click.option("--id-column", default=None, help="Column that identifies each row (checked to exist; every column is kept).")
@click.option("--output", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
@click.option("--nothing-means", type=click.Choice(["positive", "neutral", "negative"]), default="positive", show_default=True,
              help="How a bare \"Nothing\" answer reads (negative for \"What helped?\" questions).")
@click.option("--audience", type=click.Choice(["children", "parents", "practitioners", "champions"]), default="children",
              show_default=True, help="Who wrote the answers: practitioners' and champions' answers are screened "
              "for a specific child or family at risk, not for the topic of neglect.")
@with_appcontext
def analyse_text(input_path: str, column: str, id_column: str | None, output: str, nothing_means: str,
                 audience: str) -> None:
    """Add sentiment, polarity, themes, noun phrases and a safeguarding concern column to any CSV.

    For feedback gathered before the app (e.g. the 2019 baseline), so it is analysed the
    same way. Keeps every input column and adds its own; numbers are written as numbers.
    Uses the shipped codebook, screening rules and example bank, and the sentiment
    model in use (`feedback-app model list`), or the lexicon rules when none is.
    """
    from ..coding.models_store import model_in_use_or_rules
    from ..spreadsheet import SpreadsheetError, analyse_spreadsheet

    model = model_in_use_or_rules(db.session)
    try:
        rows = analyse_spreadsheet(Path(input_path), column, Path(output), id_column=id_column, nothing_means=nothing_means,
                                   audience=audience, sentiment_model=model)
    except SpreadsheetError as error:
        raise click.ClickException(str(error)) from None
    source = f"sentiment model version {model[0]}" if model[0] else "the lexicon rules"
    click.echo(f"Wrote {rows} rows to {output} (sentiment from {source}).")


@click.command("rebuild-tallies")
@click.option("--check", is_flag=True, help="Only compare the stored tallies with a count from scratch.")
@with_appcontext
def rebuild_tallies_command(check: bool) -> None:
    """Count the comparison pages' tallies again from every answer (issue 13 item 2).

    For repair, and after upgrading a database that already had answers (until then the
    pages read every answer). The worker's sweep does the same when they are not current.
    With --check nothing is changed: the command says whether the tallies are right, and
    exits 1 when they are not.
    """
    from ..tallies import rebuild_tallies, tallies_current, tally_differences
    from ..text_analysis import current_codebook

    codebook = current_codebook(db.session)[0]
    if check:
        differing = tally_differences(db.session, codebook)
        current = tallies_current(db.session, codebook)
        click.echo(f"{differing} tallies differ from a count from scratch; the pages read "
                   f"{'the tallies' if current else 'every answer (the tallies are not current)'}.")
        if differing:
            raise SystemExit(1)
        return
    done = rebuild_tallies(db.session, codebook)
    click.echo(f"Tallies rebuilt: {done.answers} answers counted, {done.themes} answer themes, "
               f"{done.tallies} answer tallies, {done.terms} term tallies.")


COMMANDS = (analyse, analyse_text, rebuild_tallies_command)
