"""Partnership staff administration: questionnaires, rounds, links, users, imports and exports."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import audit_views, transfer_views, user_views, views  # noqa: E402,F401  (registers the routes on bp)
