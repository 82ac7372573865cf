"""Respondent views: the intro page, the questionnaire, the thank-you page, closed links."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, url_for

from .. import csrf
from ..bursts import check_submission
from ..db import db
from ..definitions import CHILD_FRIENDLY_AUDIENCES, load_agencies
from ..drafts import discard_draft
from .language import language_args, localise_form, wording
from ..links import LinkState, find_link, is_token_text, link_state
from ..models import LinkKind, ShareLink
from ..responses import LinkFull, already_stored, store_response
from ..security import hit
from ..tasks import derive_in_request, features_later  # issue 13 (queue)
from ..text_analysis import current_codebook
from . import bp
from .forms import form_class_for, new_submission_key


def _agencies() -> list[str]:
    return load_agencies(current_app.config.get("QUESTIONNAIRES_DIR"))


def _closed(state: LinkState, link: ShareLink | None):
    version = link.round.version if link is not None else None
    return (
        render_template("respond/link_closed.html", state=state, version=version),
        state.http_status,
    )


def _open_link(token: str) -> tuple[ShareLink | None, LinkState]:
    link = find_link(db.session, token)
    return link, link_state(link)


@bp.get("/<token>")
def start(token: str):
    """The first page: what the questionnaire is for and what happens to the answers."""
    link, state = _open_link(token)
    if not state.accepting:
        return _closed(state, link)
    version = link.round.version
    if version.audience not in CHILD_FRIENDLY_AUDIENCES:
        return redirect(url_for(".questions", token=token))
    return render_template("respond/intro.html", link=link, version=version)


@bp.route("/<token>/questions", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, so a stale page keeps what was typed
def questions(token: str):
    """The questionnaire itself; a valid post stores one response and shows the thank-you page."""
    link, state = _open_link(token)
    if request.method == "POST" and link is not None and already_stored(db.session, link.id, request.form.get("submission_key")):
        # The same form sent again (a double click, a refresh): it is already stored.
        return redirect(url_for(".thanks", token=token))
    if not state.accepting:
        return _closed(state, link)
    version = link.round.version
    fixed_agency = link.agency if link.kind == LinkKind.AGENCY else None
    form = form_class_for(version, _agencies(), fixed_agency)()
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
    elif form.validate_on_submit():
        if form.more_pages:
            # Skip logic without JavaScript: "Continue" shows the questions the answers so far decide.
            form.show_next_page()
            return _questions_page(form, link, version, fixed_agency, next_page=True)
        if not form.answers():
            # A form with nothing in it is not a response: say so kindly, store nothing,
            # and leave a single-use link unused.
            return _questions_page(form, link, version, fixed_agency, nothing_answered=True), 400
        db.session.commit()  # end the read transaction before writing: one connection at a time
        if hit("link", str(link.id), timedelta(minutes=1)) > current_app.config["LINK_SUBMISSIONS_PER_MINUTE"]:
            # Too many posts through this link at once: ask to retry; what was typed is kept.
            return render_template(
                "respond/questions.html", form=form, link=link, version=version, busy=True,
                child_friendly=version.audience in CHILD_FRIENDLY_AUDIENCES, fixed_agency=fixed_agency,
            ), 429
        answers = form.answers()
        agency = fixed_agency or link.agency or _agency_answer(version, answers)
        if fixed_agency:
            for question in version.questions:
                if question.type == "agency":
                    answers[question.key] = fixed_agency
        codebook, _saved = current_codebook(db.session)
        derived = derive_in_request({q.key: q for q in version.questions}, answers, codebook)  # issue 13
        language = wording(version).language
        if not language.analysed:
            # Screened all the same, but the analysers read English only: not analysed
            # rather than analysed wrongly (the response records its language).
            derived = {key: replace(item, features=None) for key, item in derived.items()}
        db.session.commit()  # end the read transaction: hold one connection at a time
        with db.write_session() as session:
            try:
                submission = store_response(
                    session,
                    round_id=link.round_id,
                    answers=answers,
                    link_id=link.id,
                    agency=agency,
                    submission_key=form.submission_key.data if is_token_text(form.submission_key.data) else None,
                    derived=derived,
                    language=language.code,
                )
            except LinkFull:
                db.session.expire_all()  # see the link as the winning response left it
                return _closed(link_state(find_link(db.session, token)), link)
            discard_draft(session, request.form.get("draft_code"))  # sent: a saved draft has done its job
        if not submission.duplicate:
            check_submission(submission.response_id)  # marks junk bursts (feedback_app/bursts.py)
            features_later(submission.response_id)  # issue 13 (queue): the worker computes them
        return redirect(url_for(".thanks", token=token, **language_args(version)))
    return _questions_page(form, link, version, fixed_agency), 400 if form.errors else 200


def _questions_page(form, link: ShareLink, version, fixed_agency: str | None, **notices) -> str:
    localise_form(form, version)
    return render_template(
        "respond/questions.html",
        form=form,
        link=link,
        version=version,
        child_friendly=version.audience in CHILD_FRIENDLY_AUDIENCES,
        fixed_agency=fixed_agency,
        **notices,
    )


def _agency_answer(version, answers: dict[str, str]) -> str | None:
    for question in version.questions:
        if question.type == "agency" and question.key in answers:
            return answers[question.key]
    return None


@bp.get("/<token>/thanks")
def thanks(token: str):
    """Thank you; children and parents are always shown where to get help."""
    link = find_link(db.session, token)
    if link is None:
        abort(404)
    version = link.round.version
    return render_template(
        "respond/thanks.html",
        version=version,
        child_friendly=version.audience in CHILD_FRIENDLY_AUDIENCES,
    )
