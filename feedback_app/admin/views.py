"""Admin views."""

from flask import render_template
from sqlalchemy import select

from ..auth import login_required
from ..db import db
from ..models import Role, Round
from ..rounds import response_counts
from . import bp


@bp.get("/")
@login_required(Role.ADMIN)
def dashboard():
    """Every round with its status and responses so far."""
    rounds = db.session.scalars(select(Round).order_by(Round.opens_on.desc(), Round.id.desc())).all()
    counts = response_counts(db.session, [r.id for r in rounds])
    return render_template("admin/dashboard.html", rounds=rounds, counts=counts)


@bp.get("/questionnaires")
@login_required(Role.ADMIN)
def questionnaires():
    """Placeholder until the questionnaires page is built."""
    return render_template("admin/dashboard.html", rounds=[], counts={})


@bp.get("/users")
@login_required(Role.ADMIN)
def users():
    """Placeholder until the users page is built."""
    return render_template("admin/dashboard.html", rounds=[], counts={})
