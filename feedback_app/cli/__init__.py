"""The ``feedback-app`` command line (also ``flask --app feedback_app ...`` and ``python -m feedback_app``).

One module per command group; each lists its commands in ``COMMANDS``, and ``init_app``
adds them all to the app:

- ``db``: ``db ...`` (the schema) and ``backup``
- ``questionnaires``: ``questionnaires sync|list|diff``
- ``serve``: ``serve``; ``worker``: ``worker`` (the task queue's consumer, also started by ``serve``)
- ``users``, ``rounds``, ``links``: staff administration (the admin pages' functions)
- ``responses``: ``responses import|export``
- ``analysis``: ``analyse`` and ``analyse-text``
- ``report``: ``report``; ``evidence``: ``indicators ...`` and ``pack``
- ``privacy``: ``purge``; ``drafts``: ``drafts purge``; ``tokens``: ``tokens ...``
- ``demo``: ``demo``

``common`` holds what the commands share: turning the app's errors into click errors.
The learned-model and coding commands live with their blueprint, in ``feedback_app.coding.cli``.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app() -> Flask:
    from .. import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """neglect-feedback: questionnaires, rounds, links and analysis for the partnership."""


def init_app(app: Flask) -> None:
    """Register every command group on ``app``."""
    from ..coding.cli import register as register_coding_commands
    from . import (analysis, db, demo, drafts, evidence, links, privacy, questionnaires, report, responses, rounds, serve,
                   tokens, users, worker)

    for module in (db, questionnaires, users, rounds, links, responses, analysis, report, privacy,
                   serve, worker, demo, evidence, drafts, tokens):
        for command in module.COMMANDS:
            app.cli.add_command(command)
    register_coding_commands(app)  # issue 14: model, coding
