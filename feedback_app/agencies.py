"""The partnership's agencies as this app is configured: the one lookup views and commands use."""

from __future__ import annotations

from flask import current_app

from .definitions import load_agencies


def configured_agencies() -> list[str]:
    """The agencies in ``agencies.yaml`` of the app's QUESTIONNAIRES_DIR (the shipped list when unset).

    Needs an app context. Raises DefinitionError when the file cannot be read or lists no agencies.
    """
    return load_agencies(current_app.config.get("QUESTIONNAIRES_DIR"))
