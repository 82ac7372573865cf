"""Respondent views: the intro page, the questionnaire, the thank-you page, closed links."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from .. import csrf
from ..db import db
from ..definitions import CHILD_FRIENDLY_AUDIENCES, published_by_id
from .language import language_args, localise_form, wording
from ..links import LinkState, find_link, link_identity, link_state
from ..models import ShareLink
from ..submission import Outcome, SubmissionResult, fixed_agency, is_repeat, submit_response
from . import bp
from .forms import agencies_asked, form_class_for, new_form, new_submission_key, read_post


def closed_page(state: LinkState, link: ShareLink | None):
    """The page (and status) for a link that takes no answers, saying why."""
    version = link.round.version if link is not None else None
    return (
        render_template("respond/link_closed.html", state=state, version=version),
        state.http_status,
    )


def open_link(token: str) -> tuple[ShareLink | None, LinkState]:
    """The link with ``token`` (or None) and whether it takes answers now."""
    link = find_link(db.session, token)
    return link, link_state(link)


@bp.get("/<token>")
def start(token: str):
    """The first page: what the questionnaire is for and what happens to the answers."""
    link, state = open_link(token)
    if not state.accepting:
        return closed_page(state, link)
    version = link.round.version
    if version.audience not in CHILD_FRIENDLY_AUDIENCES:
        return redirect(url_for(".questions", token=token))
    return render_template("respond/intro.html", link=link, version=version)


@bp.route("/<token>/questions", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, so a stale page keeps what was typed
def questions(token: str):
    """The questionnaire itself; a valid post stores one response and shows the thank-you page."""
    if request.method == "POST":
        sent = send_answers(token)
        if sent is not None:
            return sent
    link, state = open_link(token)
    if request.method == "POST" and is_repeat(link, request.form.get("submission_key")):
        # The same form sent again (a double click, a refresh): it is already stored.
        return redirect(url_for(".thanks", token=token))
    if not state.accepting:
        return closed_page(state, link)
    version, fixed = link.round.version, fixed_agency(link)
    form = new_form(version, agencies_asked(version, fixed), fixed)
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
    elif form.validate_on_submit():
        if form.more_pages:
            # Skip logic without JavaScript: "Continue" shows the questions the answers so far decide.
            form.show_next_page()
            return questions_page(form, link, next_page=True)
        answers = form.answers()
        if not answers:
            # A form with nothing in it is not a response: say so kindly, store nothing,
            # and leave a single-use link unused.
            return questions_page(form, link, nothing_answered=True), 400
        result = submit_response(link, answers, form.submission_key.data,
                                 language=wording(version).language, draft_code=request.form.get("draft_code"))
        return _outcome_page(result, form, token, version)
    return questions_page(form, link), 400 if form.errors else 200


def send_answers(token: str):
    """The answers of a complete, valid post stored without reading the link first (issue 13),
    and the page that follows; None when the post is anything else (a page of skip logic,
    errors, nothing answered, an unknown link), which :func:`questions` answers in full.

    The link's identity and its version's questions are what the process keeps of them
    (``links.link_identity``, ``definitions.published_by_id``), and the post is read
    against those questions without binding a WTForms form (``forms.read_post``: the same
    checks; any post in doubt goes the WTForms way); whether the link takes answers now is
    decided by the write itself (``submission.submit_response``).
    """
    link = link_identity(db.session, token)
    version = published_by_id(db.session, link.version_id, link.version_hash) if link is not None else None
    if version is None or request.files or not request.form:
        return None
    fixed = fixed_agency(link)
    post = read_post(form_class_for(version, agencies_asked(version, fixed), fixed), request.form)
    if post is None or not post.answers:
        return None
    result = submit_response(link, post.answers, post.submission_key,
                             language=wording(version).language, draft_code=request.form.get("draft_code"))
    if result.outcome == Outcome.STALE:
        return None
    return _outcome_page(result, None, token, version)


def _outcome_page(result: SubmissionResult, form, token: str, version):
    """What the respondent sees after :func:`submit_response` through the link with ``token``
    (``form`` is the post's, or None when it was read without one: ``read_post``)."""
    if result.outcome in (Outcome.STORED, Outcome.DUPLICATE):
        return redirect(url_for(".thanks", token=token, **language_args(version)))
    link = find_link(db.session, token)
    if result.outcome == Outcome.CLOSED:
        return closed_page(result.link_state, link)
    # Too many posts through this link at once (or the link changed while the form was sent):
    # ask to retry; what was typed is kept.
    if form is None:
        version, fixed = link.round.version, fixed_agency(link)
        form = new_form(version, agencies_asked(version, fixed), fixed)
    return questions_page(form, link, localise=False, busy=True), 429


def questions_page(form, link: ShareLink, localise: bool = True, **notices) -> str:
    """The questionnaire page of ``link`` showing ``form``, with any notices (``busy=True``...)."""
    version = link.round.version
    if localise:
        localise_form(form, version)
    return render_template(
        "respond/questions.html",
        form=form,
        link=link,
        version=version,
        child_friendly=version.audience in CHILD_FRIENDLY_AUDIENCES,
        fixed_agency=fixed_agency(link),
        **notices,
    )


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
