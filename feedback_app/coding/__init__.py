"""Coding answers by analysts and the sentiment models learned from that coding (issue 14)."""

from flask import Blueprint

bp = Blueprint("coding", __name__, url_prefix="/coding")

from . import views  # noqa: E402,F401  (registers the routes on bp)
