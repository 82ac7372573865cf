"""Safeguarding queue views (admins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from analysis.concerns import category_names

from ..answers import display_answer
from ..auth import current_user, login_required
from ..db import db
from ..models import Answer, FlagStatus, Role, SafeguardingFlag, utcnow
from ..text_analysis import concern_rules
from ..security import audit
from . import bp, overdue_cutoff_now
from .queue import queue_rows

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


STATUS_FILTERS = {
    "open": ("Not yet acted on", [FlagStatus.NEW]),
    "acted": ("Acted on", [FlagStatus.ACKNOWLEDGED, FlagStatus.REFERRED, FlagStatus.NO_ACTION]),
    "all": ("All", list(FlagStatus)),
}


@bp.get("/")
@login_required(Role.ADMIN)
def queue():
    """Flagged answers in priority order, grouped by response, with filters."""
    show = request.args.get("show", "open")
    if show not in STATUS_FILTERS:
        show = "open"
    rules = concern_rules()
    names = category_names(rules)
    category = request.args.get("category", "")
    if category not in names:
        category = ""
    query = select(SafeguardingFlag).where(SafeguardingFlag.status.in_(STATUS_FILTERS[show][1]))
    flags = [f for f in db.session.scalars(query.limit(2000)).all() if not category or category in f.categories]
    texts = dict(db.session.execute(
        select(Answer.id, Answer.value).where(Answer.id.in_([f.answer_id for f in flags]))
    ).all()) if flags else {}
    groups = queue_rows(flags, texts, rules, overdue_cutoff_now(), FlagStatus.NEW)
    return render_template(
        "safeguarding/queue.html", groups=groups, show=show, category=category,
        status_filters={key: label for key, (label, _statuses) in STATUS_FILTERS.items()},
        categories=names, flag_count=len(flags),
    )


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
        back = request.args.get("back")
        return redirect(back if _safe_back(back) else url_for(".queue"))
    answer = found.answer
    question = found.response.round.version.question(answer.question_key)
    return render_template(
        "safeguarding/flag.html",
        flag=found,
        category_names=[category_names(concern_rules()).get(key, key) for key in found.categories],
        back=request.args.get("back") if _safe_back(request.args.get("back")) else url_for(".queue"),
        form=form,
        question=question,
        answer_text=display_answer(question.type if question else "long_text", answer.value),
    ), (400 if form.errors else 200)


def _safe_back(target: str | None) -> bool:
    """Only a path back into the queue is followed (never another site)."""
    return bool(target) and target.startswith("/safeguarding/") and "//" not in target and "\\" not in target
