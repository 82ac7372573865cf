"""neglect-feedback: survey and feedback for a Safeguarding Children Partnership."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from ._version import __version__
from .db import db
from .resources import resource_path
from .settings import (
    SETTINGS,
    load_or_create_secret_key,
    normalise_database_url,
    settings_from_environment,
)

__all__ = ["__version__", "create_app"]


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the Flask app.

    Configuration comes from the defaults in ``settings.py``, then ``instance/config.py``,
    then environment variables of the same names, then ``test_config``. ``instance_path``
    overrides Flask's default instance folder (where the SQLite file and secret key live).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder=str(resource_path("templates")),
    )
    app.config.from_mapping({setting.name: setting.default for setting in SETTINGS})
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(settings_from_environment(os.environ))
    if test_config:
        app.config.from_mapping(test_config)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "feedback.sqlite3")
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])

    db.init_app(app)

    from . import cli, errors, health

    errors.init_app(app)
    health.init_app(app)
    cli.init_app(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"app_version": __version__}

    return app
