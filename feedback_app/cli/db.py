"""``feedback-app db ...`` (the schema, through Alembic) and ``feedback-app backup``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import migrate
from ..db import db



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


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup(file: str) -> None:
    """Copy the SQLite database to FILE, consistently, while the app keeps running.

    Uses SQLite's online backup API and checks the copy's integrity. For PostgreSQL use
    pg_dump (see the README).
    """
    from ..backup import BackupError, backup_sqlite

    try:
        size = backup_sqlite(db.engine, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {file} ({size:,} bytes); integrity check ok.")


COMMANDS = (db_group, backup)
