"""What the commands share: the app's domain errors become click errors (exit status 1).

Each helper returns what the app's function returns, or raises ``click.ClickException``
with the app's own message, so every command words a problem the same way.
"""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app

from ..agencies import configured_agencies
from ..db import db
from ..definitions import DefinitionError
from ..models import Round
from ..rounds import RoundError, parse_day
from ..security import MAX_DB_INT, BaseUrlError, checked_base_url


def base_url_or_fail(option: str | None) -> str:
    """--base-url, else PUBLIC_BASE_URL; never a guess (click error naming both when neither is set)."""
    try:
        return checked_base_url(option or current_app.config.get("PUBLIC_BASE_URL"))
    except BaseUrlError as error:
        raise click.ClickException(str(error)) from None


def day_or_fail(text: str, what: str, error: type[click.ClickException] = click.ClickException) -> date:
    """The day ``text`` (YYYY-MM-DD) names; ``error`` (ClickException or BadParameter) says why not."""
    try:
        return parse_day(text, what)
    except RoundError as problem:
        raise error(str(problem)) from None


def round_or_fail(round_id: int) -> Round:
    """Round ``round_id``; a click error pointing at ``rounds list`` when there is none."""
    round_ = db.session.get(Round, round_id) if 0 < round_id <= MAX_DB_INT else None
    if round_ is None:
        raise click.ClickException(f"There is no round {round_id}; `feedback-app rounds list` shows them.")
    return round_


def configured_agencies_or_fail() -> list[str]:
    """The partnership's agencies as the app is configured; a click error when agencies.yaml is broken."""
    try:
        return configured_agencies()
    except DefinitionError as error:
        raise click.ClickException(str(error)) from None


def read_password(prompt: str, from_stdin: bool) -> str:
    """A password from the first line of standard input, or asked for twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
