"""The ``feedback-app`` command line (also ``flask --app feedback_app ...``)."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from . import migrate
from .db import db
from .definitions import (
    DefinitionError,
    diff_definitions,
    published_version,
    read_definitions,
    sync_questionnaires,
)
from .models import Questionnaire, QuestionnaireVersion, StaffUser


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """neglect-feedback: questionnaires, rounds, links and analysis for the partnership."""


# ---------------------------------------------------------------- db


@click.group("db")
def db_group() -> None:
    """Create and upgrade the database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Revision to upgrade to.")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create the database or bring its schema up to date."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"Database at revision {migrate.current_revision(db.engine)}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Take the schema back to REVISION (``base`` removes every table)."""
    migrate.downgrade(db.engine, revision)
    click.echo(f"Database at revision {migrate.current_revision(db.engine)}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the database's revision and the newest one available."""
    click.echo(f"database: {migrate.current_revision(db.engine)}")
    click.echo(f"newest:   {migrate.head_revision(db.engine)}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@with_appcontext
def db_revision(message: str) -> None:
    """For developers: write a migration for changes made to the models."""
    migrate.revision(db.engine, message)


# ---------------------------------------------------------------- questionnaires


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


# ---------------------------------------------------------------- backup


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup(file: str) -> None:
    """Copy the SQLite database to FILE, consistently, while the app keeps running.

    Uses SQLite's online backup API and checks the copy's integrity. For PostgreSQL use
    pg_dump (see the README).
    """
    from .backup import BackupError, backup_sqlite

    try:
        size = backup_sqlite(db.engine, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {file} ({size:,} bytes); integrity check ok.")


# ---------------------------------------------------------------- serve


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="Worker processes.")
@click.option("--demo", is_flag=True, help="Load the demo data first (see `feedback-app demo`; never beside real responses).")
@with_appcontext
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Run the app on gunicorn (a production WSGI server).

    First brings the database schema up to date and publishes the shipped
    questionnaires, so a fresh machine needs nothing else. Says how to create the
    first staff account when there is none, and warns when LOCAL_HELP_NUMBER is unset.
    """
    from .cli_demo import load_demo
    from .security import BaseUrlError, checked_base_url, is_loopback
    from .server import run_server

    base_url = current_app.config.get("PUBLIC_BASE_URL")
    if base_url:
        try:
            checked_base_url(base_url)
        except BaseUrlError as error:
            raise click.ClickException(str(error)) from None
    elif is_loopback(host):
        # Only this machine can reach it: links may name the address served. The workers
        # build their apps from the environment, so they see it too.
        os.environ["PUBLIC_BASE_URL"] = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    else:
        raise click.ClickException(
            f"PUBLIC_BASE_URL is not set, so the app would not know its own address on {host}: share "
            "links must never follow a visitor's Host header. Set PUBLIC_BASE_URL to the address "
            "respondents use (e.g. PUBLIC_BASE_URL=https://feedback.example.org), or serve on 127.0.0.1."
        )
    migrate.upgrade(db.engine)
    try:
        report = sync_questionnaires(db.session, current_app.config.get("QUESTIONNAIRES_DIR"))
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None
    if report.published:
        click.echo(f"Published {', '.join(report.published)}.")
    if demo:
        load_demo()
    for line in first_run_notes(db.session, current_app.config, current_app.instance_path):
        click.echo(line, err=True)
    click.echo(f"Serving on http://{host}:{port}/ with {workers} workers (Ctrl+C stops).")
    sys.stdout.flush()
    run_server(host=host, port=port, workers=workers,
               timeout=int(current_app.config["STAFF_REQUEST_TIME_LIMIT_SECONDS"]) + 10)


FIRST_ADMIN_COMMAND = "feedback-app users create YOUR-EMAIL --role admin"


def first_run_notes(session, config, instance_path: str) -> list[str]:
    """What ``serve`` tells whoever starts it: how to make the first staff account, missing settings."""
    notes = []
    if not session.scalar(select(func.count()).select_from(StaffUser)):
        notes.append(f"No staff account yet. Create the first admin (it asks for a password), then sign in at /auth/login:\n"
                     f"    {FIRST_ADMIN_COMMAND}")
    if not (config.get("LOCAL_HELP_NUMBER") or "").strip():
        notes.append("Warning: LOCAL_HELP_NUMBER is not set, so no children's or parents' round can open. "
                     "Set it to the local front door's telephone number in the environment or in "
                     f"{os.path.join(instance_path, 'config.py')}.")
    session.commit()
    return notes


def init_app(app: Flask) -> None:
    """Register the command groups on ``app``."""
    from .cli_admin import links_group, rounds_group, users_group
    from .cli_analysis import analyse, analyse_text
    from .cli_demo import demo_command
    from .cli_privacy import purge_command
    from .cli_report import report_command
    from .cli_responses import responses_group

    from .cli_evidence import register as register_evidence_commands

    register_evidence_commands(app)
    __import__("feedback_app.coding.cli", fromlist=["register"]).register(app)  # issue 14: model, coding
    for command in (
        db_group, questionnaires_group, users_group, rounds_group, links_group,
        responses_group, analyse, analyse_text, report_command, purge_command, backup, serve,
        demo_command,
    ):
        app.cli.add_command(command)
    from .cli_tokens_drafts import COMMANDS as tokens_drafts_commands  # drafts, API tokens

    for command in tokens_drafts_commands:
        app.cli.add_command(command)
    # issue 13 (queue): `feedback-app worker`, the task queue's consumer
    from .worker import worker_command

    app.cli.add_command(worker_command)
