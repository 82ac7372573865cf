"""The read-only JSON API under ``/api/v1`` (token authentication, no cookies, no CSRF)
and the admin page that lists and revokes its tokens."""

from flask import Blueprint

from .. import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies: a token in the Authorization header is the only credential
admin_bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")

from . import admin_views, views  # noqa: E402,F401  (registers the routes)
