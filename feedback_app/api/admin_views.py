"""The admin page listing API tokens, where a token can be revoked."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ..api_tokens import ApiTokenError, list_api_tokens, revoke_api_token
from ..auth import current_user, login_required
from ..db import db
from ..models import Role
from ..security import audit
from . import admin_bp


@admin_bp.get("/")
@login_required(Role.ADMIN)
def tokens():
    """Every API token: label, role, when it was made and last used, whether it is revoked."""
    return render_template("api/tokens.html", tokens=list_api_tokens(db.session))


@admin_bp.post("/<int:token_id>/revoke")
@login_required(Role.ADMIN)
def revoke(token_id: int):
    """Revoke a token: it stops working at once."""
    db.session.commit()  # end the read transaction before writing
    with db.write_session() as session:
        try:
            token = revoke_api_token(session, token_id)
        except ApiTokenError:
            abort(404)
        label = token.label
    audit(current_user().email, "api-token-revoke", token_id=token_id)
    flash(f"API token {token_id} ({label}) is revoked: it no longer works.")
    return redirect(url_for(".tokens"))
