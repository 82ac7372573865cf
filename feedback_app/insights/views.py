"""Analysis views."""

from flask import render_template
from sqlalchemy import select

from ..auth import login_required
from ..db import db
from ..models import Questionnaire
from . import bp


@bp.get("/")
@login_required()
def index():
    """The questionnaires whose rounds can be compared."""
    questionnaires = db.session.scalars(select(Questionnaire).order_by(Questionnaire.slug)).all()
    return render_template("insights/index.html", questionnaires=questionnaires)
