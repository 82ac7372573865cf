"""Admin views: rounds, their links and responses, questionnaire versions, staff users.

Every view parses the request, calls a function from ``rounds``, ``links``, ``staff``
or ``admin.monitoring``, and renders. Changes happen on POST only.
"""

from __future__ import annotations

import io

import qrcode
from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..agencies import configured_agencies
from ..auth import current_user, login_required
from ..bursts import round_bursts, set_excluded
from ..cadence import OutsideCadence, create_round_in_cadence
from ..db import db
from ..definitions import GOVERNANCE_KEYS, GOVERNANCE_LABELS
from ..links import LinkError, create_links, link_url, revoke_link
from ..models import Questionnaire, QuestionnaireVersion, Role, Round, RoundStatus, ShareLink
from ..rounds import RoundError, accepts_responses, close_round, open_round, response_counts
from ..security import audit, public_base_url
from . import bp
from .forms import LinkForm, RoundForm
from .monitoring import daily_chart_svg, links_csv, round_links, round_monitoring



@bp.after_request
def _no_store(response: Response) -> Response:
    # Admin pages show live links and counts: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _base_url() -> str | None:
    """Where share links point: PUBLIC_BASE_URL only (never the request's Host), or None."""
    return public_base_url()


def _published_versions() -> list[QuestionnaireVersion]:
    return db.session.scalars(
        select(QuestionnaireVersion).join(Questionnaire).order_by(Questionnaire.slug, QuestionnaireVersion.version)
    ).all()


def round_or_404(round_id: int) -> Round:
    """Round ``round_id``; a 404 page when there is none."""
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
            audit(current_user().email, "round-create", round_id=round_.id)
            flash(f"Round “{round_.label}” created.", "success")
            return redirect(url_for(".round_detail", round_id=round_.id))
    status = 400 if (form.errors or problems) else 200
    return render_template("admin/round_new.html", form=form, problems=problems, versions=versions), status


def _render_round(round_: Round, link_form: LinkForm | None = None, problems: list[str] | None = None, status: int = 200):
    if link_form is None:
        link_form = LinkForm(formdata=None)
        link_form.set_agencies(configured_agencies())
    monitoring = round_monitoring(db.session, round_, _base_url())
    return render_template(
        "admin/round.html",
        round=round_,
        monitoring=monitoring,
        chart=daily_chart_svg(monitoring.by_day, f"Responses per day to {round_.label}"),
        taking_answers=accepts_responses(round_),
        link_form=link_form,
        problems=problems or [],
        bursts=round_bursts(db.session, round_.id),
        base_url_set=_base_url() is not None,
    ), status


@bp.get("/rounds/<int:round_id>")
@login_required(Role.ADMIN)
def round_detail(round_id: int):
    """A round: its details, how responses are coming in, and its links."""
    return _render_round(round_or_404(round_id))


def _change_round(round_id: int, change, message: str, action: str):
    round_ = round_or_404(round_id)
    try:
        change(db.session, round_)
    except RoundError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        audit(current_user().email, action, round_id=round_.id)
        flash(message.format(label=round_.label), "success")
    return redirect(url_for(".round_detail", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/close")
@login_required(Role.ADMIN)
def close(round_id: int):
    """Close the round now: its links stop taking answers."""
    return _change_round(round_id, close_round, "Round “{label}” closed. Its links no longer take answers.",
                         "round-close")


@bp.post("/rounds/<int:round_id>/open")
@login_required(Role.ADMIN)
def reopen(round_id: int):
    """Open a draft round, or re-open a closed one."""
    return _change_round(round_id, open_round, "Round “{label}” is open.", "round-open")


@bp.post("/rounds/<int:round_id>/links")
@login_required(Role.ADMIN)
def new_links(round_id: int):
    """Make share links for the round from the form on the round page."""
    round_ = round_or_404(round_id)
    agencies = configured_agencies()
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
            audit(current_user().email, "links-create", round_id=round_.id, kind=form.kind.data, count=len(links))
            noun = "link" if len(links) == 1 else "links"
            flash(f"Made {len(links)} {form.kind.data} {noun}.", "success")
            return redirect(url_for(".round_detail", round_id=round_.id) + "#links")
    return _render_round(round_, form, problems, 400)


@bp.get("/rounds/<int:round_id>/links.csv")
@login_required(Role.ADMIN)
def links_export(round_id: int):
    """The round's links as a CSV file, for mail merges and printing."""
    round_ = round_or_404(round_id)
    if _base_url() is None:
        flash("Set PUBLIC_BASE_URL (the address respondents use) to download full links.", "error")
        return redirect(url_for(".round_detail", round_id=round_.id) + "#links")
    text = links_csv(round_links(db.session, round_, _base_url()))
    audit(current_user().email, "links-download", round_id=round_.id)
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
    if _base_url() is None:
        abort(404)  # no QR code of a link that has no full address
    buffer = io.BytesIO()
    qrcode.make(link_url(_base_url(), link)).save(buffer, format="PNG")
    return Response(buffer.getvalue(), mimetype="image/png")


@bp.post("/links/<int:link_id>/revoke")
@login_required(Role.ADMIN)
def revoke(link_id: int):
    """Switch the link off for good."""
    link = _link_or_404(link_id)
    revoke_link(db.session, link)
    audit(current_user().email, "link-revoke", round_id=link.round_id, link_id=link.id)
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


@bp.post("/rounds/<int:round_id>/bursts/<int:burst_id>")
@login_required(Role.ADMIN)
def burst_exclusion(round_id: int, burst_id: int):
    """Exclude a junk burst's responses from analysis (nothing is deleted), or include them again."""
    round_ = round_or_404(round_id)
    exclude = request.form.get("exclude") == "yes"
    changed = set_excluded(db.session, round_.id, burst_id, exclude)
    if not changed:
        abort(404)
    audit(current_user().email, "burst-exclude" if exclude else "burst-include", round_id=round_.id,
          burst_id=burst_id, responses=changed)
    flash(f"{changed} responses {'excluded from' if exclude else 'included again in'} analysis.", "success")
    return redirect(url_for(".round_detail", round_id=round_.id) + "#bursts")
