"""One handler per error status, each rendering ``templates/errors/<code>.html``."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .db import db

HANDLED = (400, 403, 404, 405, 410, 413, 429, 500)


def _render(error: HTTPException):
    code = error.code or 500
    return render_template(f"errors/{code}.html", error=error), code


def _internal_error(_error: Exception):
    # The failed request may have left the session mid-transaction.
    db.session.rollback()
    return render_template("errors/500.html"), 500


def _csrf_error(error: CSRFError):
    return render_template("errors/csrf.html", error=error), 400


def init_app(app: Flask) -> None:
    """Register the error pages."""
    app.register_error_handler(CSRFError, _csrf_error)
    for code in HANDLED:
        if code == 500:
            app.register_error_handler(500, _internal_error)
        else:
            app.register_error_handler(code, _render)
