"""Save-and-resume drafts on the command line: ``feedback-app drafts purge``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import db
from ..drafts import purge_expired
from ..security import COMMAND_LINE, audit


@click.group("drafts")
def drafts_group() -> None:
    """Answers saved with "Save and finish later"."""


@drafts_group.command("purge")
@with_appcontext
def drafts_purge() -> None:
    """Delete every expired draft (each is kept DRAFT_EXPIRY_DAYS from its saving; run this daily)."""
    with db.write_session() as session:
        deleted = purge_expired(session)
        session.commit()
    audit(COMMAND_LINE, "drafts-purge", deleted=deleted)
    click.echo(f"Deleted {deleted} expired draft(s).")


COMMANDS = (drafts_group,)
