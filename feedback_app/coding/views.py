"""Coding pages: confirm or correct one answer's sentiment and themes; code a sample one at a time."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..auth import current_user, login_required
from ..db import db
from ..models import Answer
from ..text_analysis import current_codebook
from . import bp
from .coding import (
    CodingError,
    agreed_codes,
    answer_texts,
    answer_to_code,
    coders,
    next_to_code,
    next_to_code_blind,
    save_coding,
    two_coder_agreement,
)
from .forms import CodingForm


def _safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/answers/<int:answer_id>", methods=["GET", "POST"])
@login_required()
def answer(answer_id: int):
    """Show one answer with its computed and coded values; store a code on POST."""
    blind = request.values.get("blind") == "1"
    item = answer_to_code(db.session, answer_id, coder=current_user().email if blind else None)
    if item is None:
        abort(404)
    codebook, _saved = current_codebook(db.session)
    form = CodingForm()
    form.themes.choices = [SelectChoice(theme.key, theme.name) for theme in codebook.themes]
    if request.method == "GET":
        current = item.coded
        # blind coding starts from nothing, so the computed values do not lead the coder
        form.sentiment.data = (current.sentiment if current and current.sentiment
                               else None if blind else item.computed_label)
        form.themes.data = (current.themes if current and current.themes is not None
                            else [] if blind else item.computed_themes)
    next_url = _safe_next(request.values.get("next"))
    if form.validate_on_submit():
        try:
            save_coding(db.session, answer_id, form.sentiment.data, list(form.themes.data or []),
                        current_user().email, set(codebook.keys))
        except CodingError as error:
            form.sentiment.errors = [str(error)]
        else:
            return redirect(next_url or url_for("coding.answer", answer_id=answer_id))
    names = {theme.key: theme.name for theme in codebook.themes}
    return render_template("coding/answer.html", item=item, form=form, names=names, next_url=next_url, blind=blind)


@bp.get("/sample")
@login_required()
def sample():
    """The next answer of a stratified random sample of uncoded answers."""
    answer_id = next_to_code(db.session)
    if answer_id is None:
        return render_template("coding/sample_done.html")
    return redirect(url_for("coding.answer", answer_id=answer_id, next=url_for("coding.sample")))


@bp.get("/blind")
@login_required()
def blind_sample():
    """Blind second coding: the next answer another coder coded and you have not, shown
    without anyone else's code."""
    answer_id = next_to_code_blind(db.session, current_user().email)
    if answer_id is None:
        return render_template("coding/sample_done.html")
    return redirect(url_for("coding.answer", answer_id=answer_id, blind=1, next=url_for("coding.blind_sample")))


@bp.route("/agreement", methods=["GET", "POST"])
@login_required()
def agreement_page():
    """Agreement between two coders on the answers both coded; agree a final code."""
    everyone = coders(db.session)
    first = request.values.get("first") or (everyone[0] if everyone else "")
    second = request.values.get("second") or (everyone[1] if len(everyone) > 1 else "")
    codebook, _saved = current_codebook(db.session)
    names = {theme.key: theme.name for theme in codebook.themes}
    if request.method == "POST":
        form = CodingForm()
        form.themes.choices = [SelectChoice(theme.key, theme.name) for theme in codebook.themes]
        answer_id = request.form.get("answer_id", type=int)
        if form.validate_on_submit() and answer_id:
            try:
                save_coding(db.session, answer_id, form.sentiment.data, list(form.themes.data or []),
                            f"agreed: {first} and {second}", set(codebook.keys), source="agreed")
            except CodingError:
                abort(400)
        return redirect(url_for("coding.agreement_page", first=first, second=second))
    figures = two_coder_agreement(db.session, first, second, codebook.keys) if first and second else None
    texts = answer_texts(db.session, [d.unit for d in figures.disagreements]) if figures else {}
    agreed = agreed_codes(db.session, list(texts))
    return render_template("coding/agreement.html", coders=everyone, first=first, second=second,
                           figures=figures, names=names, texts=texts, agreed=agreed, form=CodingForm(),
                           themes=codebook.themes)


@bp.get("/responses/<int:response_id>/<question_key>")
@login_required()
def response_answer(response_id: int, question_key: str):
    """The coding page of one response's answer to ``question_key`` (for links from quotes)."""
    answer_id = db.session.scalar(select(Answer.id).where(Answer.response_id == response_id,
                                                          Answer.question_key == question_key))
    if answer_id is None:
        abort(404)
    return redirect(url_for("coding.answer", answer_id=answer_id, next=_safe_next(request.args.get("next"))))
