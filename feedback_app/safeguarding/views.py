"""Safeguarding queue views (admins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..answers import display_answer
from ..auth import current_user, login_required
from ..db import db
from ..models import FlagStatus, Role, SafeguardingFlag, utcnow
from ..security import audit
from . import bp

ACTIONS = [
    SelectChoice(FlagStatus.ACKNOWLEDGED.value, "Acknowledged: read, and being looked into"),
    SelectChoice(FlagStatus.REFERRED.value, "Referred: passed to the front door or the police"),
    SelectChoice(FlagStatus.NO_ACTION.value, "No action needed: not a concern"),
]


class FlagActionForm(FlaskForm):
    """What a member of staff did about a flagged answer."""

    status = RadioField("What have you done?", choices=ACTIONS, validators=[InputRequired("Select what you have done")])
    note = TextAreaField(
        "Note", validators=[InputRequired("Write a short note of what you did and why"), Length(max=2000)]
    )


@bp.get("/")
@login_required(Role.ADMIN)
def queue():
    """Flagged answers, those nobody has acted on first."""
    show = request.args.get("show", "open")
    query = select(SafeguardingFlag).order_by(
        case((SafeguardingFlag.status == FlagStatus.NEW, 0), else_=1), SafeguardingFlag.flagged_at.desc()
    )
    if show != "all":
        query = query.where(SafeguardingFlag.status == FlagStatus.NEW)
    flags = db.session.scalars(query.limit(500)).all()
    return render_template("safeguarding/queue.html", flags=flags, show=show)


@bp.route("/<int:flag_id>", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def flag(flag_id: int):
    """One flagged answer in full, and the form to record what was done."""
    found = db.session.get(SafeguardingFlag, flag_id)
    if found is None:
        abort(404)
    form = FlagActionForm()
    if form.validate_on_submit():
        user = current_user()
        found.status = FlagStatus(form.status.data)
        found.action_note = form.note.data.strip()
        found.action_by = user.email
        found.action_at = utcnow()
        db.session.commit()
        audit(user.email, "safeguarding-action", flag_id=found.id, status=found.status.value)
        flash("Your action has been recorded.", "success")
        return redirect(url_for(".queue"))
    answer = found.answer
    question = found.response.round.version.question(answer.question_key)
    return render_template(
        "safeguarding/flag.html",
        flag=found,
        form=form,
        question=question,
        answer_text=display_answer(question.type if question else "long_text", answer.value),
    ), (400 if form.errors else 200)
