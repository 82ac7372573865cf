"""Admin views: rounds, their links and responses, questionnaire versions, staff users.

Every view parses the request, calls a function from ``rounds``, ``links``, ``staff``
or ``admin.monitoring``, and renders. Changes happen on POST only.
"""

from __future__ import annotations

import io

import qrcode
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..auth import current_user, login_required
from ..db import db
from ..definitions import GOVERNANCE_KEYS, GOVERNANCE_LABELS, load_agencies
from ..links import LinkError, create_links, link_url, revoke_link
from ..models import Questionnaire, QuestionnaireVersion, Role, Round, RoundStatus, ShareLink, StaffUser
from ..cadence import OutsideCadence, create_round_in_cadence
from ..rounds import RoundError, accepts_responses, close_round, open_round, response_counts
from ..staff import StaffError, create_user
from . import bp
from .forms import LinkForm, RoundForm, UserForm
from .monitoring import daily_chart_svg, links_csv, round_links, round_monitoring



@bp.after_request
def _no_store(response: Response) -> Response:
    # Admin pages show live links and counts: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _base_url() -> str:
    """Where share links point: PUBLIC_BASE_URL, else the address this request came to."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.url_root


def _agencies() -> list[str]:
    return load_agencies(current_app.config.get("QUESTIONNAIRES_DIR"))


def _published_versions() -> list[QuestionnaireVersion]:
    return db.session.scalars(
        select(QuestionnaireVersion).join(Questionnaire).order_by(Questionnaire.slug, QuestionnaireVersion.version)
    ).all()


def _round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def _link_or_404(link_id: int) -> ShareLink:
    link = db.session.get(ShareLink, link_id)
    if link is None:
        abort(404)
    return link


# ---------------------------------------------------------------- rounds


@bp.get("/")
@login_required(Role.ADMIN)
def dashboard():
    """Every round with its status and responses so far."""
    rounds = db.session.scalars(select(Round).order_by(Round.opens_on.desc(), Round.id.desc())).all()
    counts = response_counts(db.session, [r.id for r in rounds])
    return render_template("admin/dashboard.html", rounds=rounds, counts=counts)


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def new_round():
    """A form for a new round; a valid one creates the round and shows its page."""
    versions = _published_versions()
    form = RoundForm()
    form.set_versions(versions)
    problems: list[str] = []
    if form.validate_on_submit():
        version = db.session.get(QuestionnaireVersion, int(form.version_id.data))
        try:
            round_ = create_round_in_cadence(
                db.session, version, form.label.data, form.opens.day, form.closes.day, RoundStatus(form.status.data),
                form.reason.data, current_user().email,
            )
        except OutsideCadence as error:
            db.session.rollback()
            form.reason.errors = [str(error)]  # the summary links to the reason box
        except RoundError as error:
            db.session.rollback()
            problems.append(str(error))
        else:
            flash(f"Round “{round_.label}” created.", "success")
            return redirect(url_for(".round_detail", round_id=round_.id))
    status = 400 if (form.errors or problems) else 200
    return render_template("admin/round_new.html", form=form, problems=problems, versions=versions), status


def _render_round(round_: Round, link_form: LinkForm | None = None, problems: list[str] | None = None, status: int = 200):
    if link_form is None:
        link_form = LinkForm(formdata=None)
        link_form.set_agencies(_agencies())
    monitoring = round_monitoring(db.session, round_, _base_url())
    return render_template(
        "admin/round.html",
        round=round_,
        monitoring=monitoring,
        chart=daily_chart_svg(monitoring.by_day, f"Responses per day to {round_.label}"),
        taking_answers=accepts_responses(round_),
        link_form=link_form,
        problems=problems or [],
    ), status


@bp.get("/rounds/<int:round_id>")
@login_required(Role.ADMIN)
def round_detail(round_id: int):
    """A round: its details, how responses are coming in, and its links."""
    return _render_round(_round_or_404(round_id))


def _change_round(round_id: int, change, message: str):
    round_ = _round_or_404(round_id)
    try:
        change(db.session, round_)
    except RoundError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(message.format(label=round_.label), "success")
    return redirect(url_for(".round_detail", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/close")
@login_required(Role.ADMIN)
def close(round_id: int):
    """Close the round now: its links stop taking answers."""
    return _change_round(round_id, close_round, "Round “{label}” closed. Its links no longer take answers.")


@bp.post("/rounds/<int:round_id>/open")
@login_required(Role.ADMIN)
def reopen(round_id: int):
    """Open a draft round, or re-open a closed one."""
    return _change_round(round_id, open_round, "Round “{label}” is open.")


@bp.post("/rounds/<int:round_id>/links")
@login_required(Role.ADMIN)
def new_links(round_id: int):
    """Make share links for the round from the form on the round page."""
    round_ = _round_or_404(round_id)
    agencies = _agencies()
    form = LinkForm()
    form.set_agencies(agencies)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            links = create_links(
                db.session,
                round_,
                form.kind.data,
                agencies,
                agency=form.agency.data or None,
                count=form.count.data,
                expires_on=form.expires.day,
                max_responses=form.max_responses.data,
                label=(form.label.data or "").strip() or None,
            )
        except LinkError as error:
            db.session.rollback()
            problems.append(str(error))
        else:
            noun = "link" if len(links) == 1 else "links"
            flash(f"Made {len(links)} {form.kind.data} {noun}.", "success")
            return redirect(url_for(".round_detail", round_id=round_.id) + "#links")
    return _render_round(round_, form, problems, 400)


@bp.get("/rounds/<int:round_id>/links.csv")
@login_required(Role.ADMIN)
def links_export(round_id: int):
    """The round's links as a CSV file, for mail merges and printing."""
    round_ = _round_or_404(round_id)
    text = links_csv(round_links(db.session, round_, _base_url()))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="round-{round_.id}-links.csv"'},
    )


# ---------------------------------------------------------------- links


@bp.get("/links/<int:link_id>/qr.png")
@login_required(Role.ADMIN)
def link_qr(link_id: int):
    """A QR code of the link's URL, for posters and slides."""
    link = _link_or_404(link_id)
    buffer = io.BytesIO()
    qrcode.make(link_url(_base_url(), link)).save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png")


@bp.post("/links/<int:link_id>/revoke")
@login_required(Role.ADMIN)
def revoke(link_id: int):
    """Switch the link off for good."""
    link = _link_or_404(link_id)
    revoke_link(db.session, link)
    flash(f"Link {link.label or link.token[:8] + '…'} switched off. It no longer takes answers.", "success")
    return redirect(url_for(".round_detail", round_id=link.round_id) + "#links")


# ---------------------------------------------------------------- questionnaires


@bp.get("/questionnaires")
@login_required(Role.ADMIN)
def questionnaires():
    """Every published questionnaire version with its governance."""
    return render_template(
        "admin/questionnaires.html",
        versions=_published_versions(),
        governance_keys=GOVERNANCE_KEYS,
        governance_labels=GOVERNANCE_LABELS,
    )


@bp.get("/questionnaires/<int:version_id>")
@login_required(Role.ADMIN)
def questionnaire_version(version_id: int):
    """One published version and its questions."""
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        abort(404)
    return render_template(
        "admin/questionnaire_version.html",
        version=version,
        governance_keys=GOVERNANCE_KEYS,
        governance_labels=GOVERNANCE_LABELS,
    )


# ---------------------------------------------------------------- users


@bp.route("/users", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def users():
    """Staff users, and a form to add one."""
    form = UserForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            user = create_user(db.session, form.email.data, form.password.data, form.role.data)
        except StaffError as error:
            db.session.rollback()
            problems.append(str(error))
        else:
            flash(f"Added {user.email} as {user.role.value}.", "success")
            return redirect(url_for(".users"))
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    status = 400 if (form.errors or problems) else 200
    return render_template("admin/users.html", form=form, problems=problems, staff=staff), status
