"""``feedback-app questionnaires ...``: publish, list and compare questionnaire definitions."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..db import db
from ..definitions import (
    DefinitionError,
    diff_definitions,
    published_version,
    read_definitions,
    sync_questionnaires,
)
from ..models import Questionnaire, QuestionnaireVersion


@click.group("questionnaires")
def questionnaires_group() -> None:
    """Publish, list and compare questionnaire definitions."""


def _definitions_dir(path: str | None) -> str | None:
    return path or current_app.config.get("QUESTIONNAIRES_DIR")


@questionnaires_group.command("sync")
@click.option("--path", type=click.Path(file_okay=False), help="Folder of definition files (default: the shipped questionnaires).")
@with_appcontext
def questionnaires_sync(path: str | None) -> None:
    """Publish the definition files: new versions are published, unchanged ones left alone.

    A file that changes an already published version is refused and nothing is loaded.
    """
    try:
        report = sync_questionnaires(db.session, _definitions_dir(path))
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None
    for name in report.published:
        click.echo(f"published {name}")
    click.echo(f"{len(report.published)} published, {len(report.unchanged)} already published and unchanged.")


@questionnaires_group.command("list")
@click.option("--path", type=click.Path(file_okay=False), help="Folder of definition files to compare with (default: the shipped questionnaires).")
@with_appcontext
def questionnaires_list(path: str | None) -> None:
    """One line per questionnaire version: questions, and whether it is published."""
    versions = db.session.scalars(
        select(QuestionnaireVersion).join(Questionnaire).order_by(Questionnaire.slug, QuestionnaireVersion.version)
    ).all()
    rows = {(v.slug, v.version): (len(v.questions), v.title, "published") for v in versions}
    try:
        files = read_definitions(_definitions_dir(path))
    except DefinitionError as error:
        click.echo(f"warning: {error}", err=True)
        files = []
    for definition in files:
        ident = (definition.slug, definition.version)
        if ident not in rows:
            rows[ident] = (len(definition.questions), definition.title, "not published")
        elif published_version(db.session, *ident).content_hash != definition.content_hash:
            rows[ident] = (rows[ident][0], rows[ident][1], "published; file changed since")
    if not rows:
        click.echo("No questionnaires. Run `feedback-app questionnaires sync`.")
    for (slug, version), (count, title, state) in sorted(rows.items()):
        click.echo(f"{slug:<22} v{version:<3} {count:>3} questions  {state:<14}  {title}")


@questionnaires_group.command("diff")
@click.argument("slug")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--path", type=click.Path(file_okay=False), help="Folder of definition files, for versions not yet published.")
@with_appcontext
def questionnaires_diff(slug: str, old: int, new: int, path: str | None) -> None:
    """Questions kept, added, dropped and re-worded between versions OLD and NEW of SLUG."""
    found = {}
    for number in (old, new):
        stored = published_version(db.session, slug, number)
        if stored is not None:
            found[number] = stored.definition
    if len(found) < 2:
        try:
            for definition in read_definitions(_definitions_dir(path)):
                if definition.slug == slug and definition.version in (old, new):
                    found.setdefault(definition.version, definition.as_dict())
        except DefinitionError as error:
            raise click.ClickException(str(error)) from None
    missing = [str(number) for number in (old, new) if number not in found]
    if missing:
        raise click.ClickException(f"'{slug}' has no version {' or '.join(missing)}.")
    for line in diff_definitions(found[old], found[new]).lines():
        click.echo(line)


COMMANDS = (questionnaires_group,)
