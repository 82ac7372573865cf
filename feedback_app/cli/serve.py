"""``feedback-app serve``: the app on gunicorn, with what a first run needs said on the way."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .. import migrate
from ..db import db
from ..definitions import DefinitionError, sync_questionnaires
from ..models import StaffUser


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
    from .demo import load_demo
    from ..security import BaseUrlError, checked_base_url, is_loopback
    from ..server import run_server

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


COMMANDS = (serve,)
