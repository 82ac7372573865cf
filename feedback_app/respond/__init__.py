"""The respondent journey: ``/r/<token>`` for people answering without an account."""

from flask import Blueprint

bp = Blueprint("respond", __name__, url_prefix="/r")

from . import views  # noqa: E402,F401  (registers the routes on bp)
from . import draft_views  # noqa: E402,F401  (save and finish later, issue 15)
from . import language  # noqa: E402,F401  (the respondent's language, issue 15)
