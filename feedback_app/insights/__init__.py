"""The Working Group's analysis pages: themes and sentiment across rounds."""

from flask import Blueprint

bp = Blueprint("insights", __name__, url_prefix="/analysis")

from . import views  # noqa: E402,F401  (registers the routes on bp)
