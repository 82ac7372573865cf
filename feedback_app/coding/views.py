"""Coding pages: confirm or correct one answer's sentiment and themes; code a sample one at a time."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ..auth import current_user, login_required
from ..db import db
from ..text_analysis import current_codebook
from . import bp
from .coding import CodingError, answer_to_code, next_to_code, save_coding
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
    item = answer_to_code(db.session, answer_id)
    if item is None:
        abort(404)
    codebook, _saved = current_codebook(db.session)
    form = CodingForm()
    form.themes.choices = [SelectChoice(theme.key, theme.name) for theme in codebook.themes]
    if request.method == "GET":
        current = item.coded
        form.sentiment.data = (current.sentiment if current and current.sentiment else item.computed_label)
        form.themes.data = (current.themes if current and current.themes is not None else item.computed_themes)
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
    return render_template("coding/answer.html", item=item, form=form, names=names, next_url=next_url)


@bp.get("/sample")
@login_required()
def sample():
    """The next answer of a stratified random sample of uncoded answers."""
    answer_id = next_to_code(db.session)
    if answer_id is None:
        return render_template("coding/sample_done.html")
    return redirect(url_for("coding.answer", answer_id=answer_id, next=url_for("coding.sample")))
