"""neglect-feedback: survey and feedback for a Safeguarding Children Partnership."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from datetime import timedelta

from flask import Flask, redirect, url_for
from flask_wtf import CSRFProtect

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

csrf = CSRFProtect()


def default_instance_path() -> str | None:
    """The instance folder (SQLite file, secret key) when none is given.

    In a virtual environment it is ``<venv>/var/feedback_app-instance``, whichever copy of
    the code was imported: ``feedback-app`` imports the installed package while
    ``flask --app feedback_app`` run in the checkout imports the checkout's, and Flask's
    own default would give those two different folders and so different databases.
    Outside a virtual environment: None (Flask's default).
    """
    if sys.prefix != sys.base_prefix:
        return os.path.join(sys.prefix, "var", "feedback_app-instance")
    return None


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the Flask app.

    Configuration comes from the defaults in ``settings.py``, then ``instance/config.py``,
    then environment variables of the same names, then ``test_config``. ``instance_path``
    overrides the instance folder (where the SQLite file and secret key live; default:
    :func:`default_instance_path`).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path or default_instance_path(),
        template_folder=str(resource_path("templates")),
    )
    _configure(app, test_config)
    db.init_app(app)
    csrf.init_app(app)
    _register_parts(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Settings in increasing priority: defaults, instance/config.py, environment, ``test_config``."""
    app.config.from_mapping({setting.name: setting.default for setting in SETTINGS})
    app.config.update(
        WTF_CSRF_TIME_LIMIT=int(timedelta(hours=8).total_seconds()),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),  # staff sign-in ends after 30 idle minutes
        SESSION_REFRESH_EACH_REQUEST=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,  # a CSV import of up to 10 MB, with room for the form
    )
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


def _register_parts(app: Flask) -> None:
    """Security hooks, error pages, health check, command line, blueprints and template globals."""
    from . import admin, api, auth, cli, coding, errors, evidence, health, insights, respond, safeguarding, security
    from . import skip_logic
    from .rounds import displayed_status

    security.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    cli.init_app(app)
    # One blueprint per audience: respondents, staff admin, the Working Group's analysis and
    # coding, the safeguarding queue, the framework's evidence, and the read-only API.
    for blueprint in (auth.bp, respond.bp, admin.bp, insights.bp, safeguarding.bp, evidence.bp,
                      api.bp, api.admin_bp, coding.bp):
        app.register_blueprint(blueprint)
    app.add_template_filter(skip_logic.condition_text, "show_if_text")

    @app.get("/")
    def home():
        return redirect(url_for("auth.login"))

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "app_version": __version__,
            "help_name": app.config["LOCAL_HELP_NAME"],
            "help_number": app.config["LOCAL_HELP_NUMBER"],
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "round_status": displayed_status,
        }
