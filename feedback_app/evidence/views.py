"""Evidence pages: the agency RAG tracker, one organisational return, indicators (admins
enter figures), the audit digest, the action log and the scrutiny pack download.

Every view parses the request, calls ``evidence.data`` / ``evidence.pack`` (which call the
pure functions of ``analysis.evidence``) and renders. Working Group analysts and admins
read every page; admins enter indicator figures and download the pack.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from analysis.evidence import audit_digest, check_indicator_rows, is_overdue

from ..agencies import configured_agencies
from ..auth import current_user, login_required
from ..db import db
from ..models import Role
from ..rounds import RoundError, parse_day
from ..security import audit
from . import bp
from .data import (
    EvidenceError,
    IndicatorImportRefused,
    MAX_INDICATOR_FILE_BYTES,
    agency_rag_grid,
    audit_evidence,
    create_action,
    import_indicator_csv,
    indicator_trends,
    list_actions,
    load_indicators,
    organisational_return,
    recent_values,
    save_indicator_values,
    update_action,
)
from .forms import ActionForm, ActionUpdateForm, IndicatorImportForm, IndicatorValueForm, PackForm
from .pack import PackError, build_pack, gather_pack, trend_charts

STAFF = (Role.ADMIN, Role.ANALYST)


def _period_arg(name: str) -> date | None:
    """A YYYY-MM-DD query argument; a malformed one is reported and ignored."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_day(text, name)
    except RoundError as error:
        flash(str(error), "error")
        return None


@bp.get("/")
@login_required(*STAFF)
def rag_tracker():
    """Agencies × quarters of the action-plan summaries, Red areas, missing and late returns."""
    start, end = _period_arg("from"), _period_arg("to")
    grid = agency_rag_grid(db.session, date.today(), start, end)
    return render_template("evidence/rag.html", grid=grid, start=start, end=end)


@bp.get("/returns/<int:response_id>")
@login_required(*STAFF)
def return_detail(response_id: int):
    """One named organisational return as written (case references for admins only)."""
    user = current_user()
    try:
        view = organisational_return(db.session, response_id, include_identifiers=user.role == Role.ADMIN)
    except EvidenceError:
        abort(404)
    return render_template("evidence/return.html", view=view)


def _indicator_form(indicators) -> IndicatorValueForm:
    form = IndicatorValueForm()
    form.indicator.choices = [SelectChoice(i.key, f"{i.name} ({i.period})") for i in indicators]
    form.agency.choices = [SelectChoice("", "All agencies (partnership figure)")] + \
        [SelectChoice(a, a) for a in configured_agencies()]
    return form


@bp.route("/indicators", methods=["GET", "POST"])
@login_required(*STAFF)
def indicators():
    """Trend charts of every indicator; admins enter a figure here."""
    definitions = load_indicators()
    form = _indicator_form(definitions)
    problems: list[str] = []
    if request.method == "POST":
        if current_user().role != Role.ADMIN:
            abort(403)
        if form.validate_on_submit():
            row = {"indicator": form.indicator.data, "period": form.period.data, "value": form.value.data,
                   "agency": form.agency.data or ""}
            clean, problems = check_indicator_rows([row], definitions, configured_agencies())
            problems = [p.removeprefix("line 2: ") for p in problems]
            if not problems:
                save_indicator_values(db.session, clean, current_user().email, "form")
                flash(f"Saved {clean[0].indicator} for {clean[0].period}.", "success")
                return redirect(url_for("evidence.indicators"))
    trends = indicator_trends(db.session, definitions)
    charts = trend_charts(trends)
    return render_template("evidence/indicators.html", trends=trends, charts=charts, form=form, problems=problems,
                           import_form=IndicatorImportForm(), recent=recent_values(db.session, 10),
                           is_admin=current_user().role == Role.ADMIN)


@bp.post("/indicators/import")
@login_required(Role.ADMIN)
def import_indicators():
    """A CSV of figures, stored whole or refused with every problem listed."""
    form = IndicatorImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        content = form.file.data.read(MAX_INDICATOR_FILE_BYTES + 1)
        try:
            stored = import_indicator_csv(db.session, content, current_user().email, "upload")
        except IndicatorImportRefused as refused:
            problems = refused.problems
        else:
            flash(f"Imported {stored} figure{'s' if stored != 1 else ''}.", "success")
            return redirect(url_for("evidence.indicators"))
    else:
        problems = [error for errors in form.errors.values() for error in errors]
    definitions = load_indicators()
    trends = indicator_trends(db.session, definitions)
    charts = trend_charts(trends)
    return render_template("evidence/indicators.html", trends=trends, charts=charts, form=_indicator_form(definitions),
                           problems=[], import_problems=problems, import_form=form,
                           recent=recent_values(db.session, 10), is_admin=True), 400


@bp.get("/lines")
@login_required(*STAFF)
def lines():
    """Draft lines of enquiry from every kind of evidence of a period, each with its
    evidence and a link that starts an action from it."""
    today = date.today()
    start = _period_arg("from") or today - timedelta(days=365)
    end = _period_arg("to") or today
    try:
        gathered = gather_pack(db.session, start, end, int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)), today)
    except PackError as error:
        flash(str(error), "error")
        gathered = gather_pack(db.session, end, end, int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)), today)
    return render_template("evidence/lines.html", lines=gathered.lines, start=start, end=end)


@bp.get("/audits")
@login_required(*STAFF)
def audits():
    """The audit digest: Yes/Partly/No by question and sample group, good practice, lessons."""
    start, end = _period_arg("from"), _period_arg("to")
    evidence = audit_evidence(db.session, start, end)
    return render_template("evidence/audits.html", evidence=evidence,
                           digest=audit_digest(evidence.answers, evidence.questions), start=start, end=end)


def _action_form() -> ActionForm:
    form = ActionForm()
    form.owner_agency.choices = [SelectChoice("", "Choose an agency")] + \
        [SelectChoice(a, a) for a in configured_agencies()] + [SelectChoice("Partnership", "Partnership (WSSCP)")]
    return form


@bp.route("/actions", methods=["GET", "POST"])
@login_required(*STAFF)
def actions():
    """The action log: every action, overdue ones marked; a form to add one."""
    form = _action_form()
    if request.method == "GET":
        form.source_kind.data = request.args.get("kind", "line-of-enquiry")
        form.source_evidence.data = request.args.get("evidence", "")[:4000]
    elif form.validate_on_submit():
        create_action(db.session, what=form.what.data, owner_agency=form.owner_agency.data, due_on=form.due_on.day,
                      source_kind=form.source_kind.data, source_evidence=form.source_evidence.data,
                      actor=current_user().email)
        flash("Action added to the log.", "success")
        return redirect(url_for("evidence.actions"))
    today = date.today()
    log = list_actions(db.session)
    overdue = sum(is_overdue(a.due_on, a.status.value, today) for a in log)
    return render_template("evidence/actions.html", form=form, actions=log, today=today, overdue=overdue,
                           update_form=ActionUpdateForm), 400 if form.errors else 200


@bp.post("/actions/<int:action_id>")
@login_required(*STAFF)
def action_update(action_id: int):
    """Change an action's status and note."""
    form = ActionUpdateForm()
    if not form.validate_on_submit():
        flash("The status was not changed: " + "; ".join(e for es in form.errors.values() for e in es), "error")
        return redirect(url_for("evidence.actions"))
    try:
        update_action(db.session, action_id, form.status.data, form.note.data or "", current_user().email)
    except EvidenceError:
        abort(404)
    flash("Action updated.", "success")
    return redirect(url_for("evidence.actions"))


@bp.route("/pack", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def pack():
    """Download the scrutiny pack of a period as one HTML file."""
    form = PackForm()
    problems: list[str] = []
    if request.method == "GET":
        form.end.data = date.today().isoformat()
        form.start.data = (date.today() - timedelta(days=365)).isoformat()
    elif form.validate_on_submit():
        try:
            html = build_pack(db.session, form.start.day, form.end.day,
                              int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)))
        except PackError as error:
            problems = [str(error)]
        else:
            audit(current_user().email, "pack-download", start=form.start.day.isoformat(), end=form.end.day.isoformat())
            name = f"scrutiny-pack-{form.start.day.isoformat()}-to-{form.end.day.isoformat()}.html"
            return Response(html, mimetype="text/html",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
    status = 400 if (problems or form.errors) else 200
    return render_template("evidence/pack_form.html", form=form, problems=problems), status
