"""``GET /healthz``: is the app up and can it reach its database?"""

from flask import Blueprint, Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with ``{"status": "ok"}`` when the database answers, 503 otherwise."""
    try:
        db.ping()
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def init_app(app: Flask) -> None:
    """Register the health check."""
    app.register_blueprint(bp)
