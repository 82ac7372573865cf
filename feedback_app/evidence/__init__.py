"""The framework's evidence beyond free text: the agency RAG tracker, indicators against
their targets, the audit digest, the action log and the scrutiny pack."""

from flask import Blueprint

bp = Blueprint("evidence", __name__, url_prefix="/evidence")

from . import views  # noqa: E402,F401  (registers the routes on bp)
