"""Save and finish later: save a draft under a resume code, and resume it on any device."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ..db import db
from ..drafts import find_draft, normalise_code
from ..models import ResponseDraft, ShareLink
from ..question_types import stored_form
from ..submission import fixed_agency, save_for_later
from . import bp
from .forms import FIELD_PREFIX, agencies_asked, new_form, new_submission_key
from .views import closed_page, open_link, questions_page


def _form_for(link: ShareLink, formdata=None):
    version = link.round.version
    form_args = {"formdata": formdata} if formdata is not None else {}
    fixed = fixed_agency(link)
    return new_form(version, agencies_asked(version, fixed), fixed, **form_args), version


def _no_store(page: str, status: int = 200):
    # The page shows a resume code once: no browser or proxy may keep a copy.
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/<token>/save")
def save_draft_view(token: str):
    """Keep the answers so far under a new resume code, shown once on the page this returns."""
    link, state = open_link(token)
    if not state.accepting:
        return closed_page(state, link)
    form, version = _form_for(link)
    answers = form.answers()
    if not answers:
        return questions_page(form, link, nothing_to_save=True), 400
    code = save_for_later(link, answers, form.pages_revealed, request.form.get("draft_code"))
    return _no_store(render_template(
        "respond/draft_saved.html", version=version, code=code,
        resume_url=url_for(".resume_draft", code=code, _external=True),
        resume_page=url_for(".resume_start", _external=True),
        days=current_app.config["DRAFT_EXPIRY_DAYS"],
    ))


@bp.route("/resume", methods=["GET", "POST"])
def resume_start():
    """Where a respondent types the resume code they kept."""
    if request.method == "POST":
        return _resume(request.form.get("code", ""))
    return render_template("respond/resume.html", version=None, error=None)


@bp.get("/resume/<code>")
def resume_draft(code: str):
    """The link kept from "Save and finish later": the form with the saved answers."""
    return _resume(code)


def _resume(code: str):
    draft = find_draft(db.session, code)
    if draft is None:
        error = ("That is not a resume code: it has 16 letters and numbers, like K7QF-2M9X-PA4T-W8RB."
                 if normalise_code(code) is None else
                 "No saved answers have that code. Saved answers are kept for "
                 f"{current_app.config['DRAFT_EXPIRY_DAYS']} days and are gone once sent.")
        return _no_store(render_template("respond/resume.html", version=None, error=error), 404)
    link, state = open_link(draft.link.token)
    if not state.accepting:
        return closed_page(state, link)
    form, _version = _form_for(link, _draft_formdata(draft, link))
    page = questions_page(form, link, draft_code=normalise_code(code), resumed=True)
    return _no_store(page)


def _draft_formdata(draft: ResponseDraft, link: ShareLink) -> MultiDict:
    """The draft's answers as if they had just been posted, so the form shows them."""
    types = {question.key: question.type for question in link.round.version.questions}
    data = MultiDict({"pages_shown": str(draft.pages_shown), "submission_key": new_submission_key()})
    for key, value in draft.answers.items():
        given = stored_form(types.get(key, "long_text")).decode(value)
        for item in given if isinstance(given, list) else [given]:
            data.add(FIELD_PREFIX + key, item)
    return data
