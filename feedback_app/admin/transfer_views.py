"""Admin import of paper answers and download of responses (CSV or XLSX)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from ..auth import current_user, login_required
from ..db import db
from sqlalchemy import select

from ..models import Questionnaire, Role
from ..security import audit, bounded_int
from ..submission import import_file
from ..transfer import (
    ExportError,
    ImportRefused,
    MAX_IMPORT_BYTES,
    export_filename,
    export_frame,
    file_too_large,
    write_csv,
    write_xlsx,
)
from ..agencies import configured_agencies
from . import bp
from .views import round_or_404

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(FlaskForm):
    """A CSV file of answers."""

    file = FileField("CSV file of answers (UTF-8)", validators=[FileRequired("Choose a CSV file to import")])


@bp.route("/rounds/<int:round_id>/import", methods=["GET", "POST"])
@login_required(Role.ADMIN)
def import_answers(round_id: int):
    """Upload paper or interview answers; a bad file is refused with every problem listed."""
    round_ = round_or_404(round_id)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        file_bytes = form.file.data.read(MAX_IMPORT_BYTES + 1)
        too_large = file_too_large(len(file_bytes))
        try:
            if too_large:
                raise too_large
            report = import_file(round_, file_bytes, configured_agencies(), current_user().email)
        except ImportRefused as refused:
            problems = [str(problem) for problem in refused.errors]
        else:
            flags = report.flags
            flash(f"Imported {report.count} responses into {round_.label}.", "success")
            if flags:
                flash(f"{flags} imported answer(s) were flagged to the safeguarding queue: please read them.", "error")
            return redirect(url_for(".round_detail", round_id=round_.id))
    status = 400 if (form.errors or problems) else 200
    return render_template("admin/import.html", round=round_, form=form, problems=problems), status


@bp.get("/export")
@login_required(Role.ADMIN)
def export_responses():
    """Download raw responses of a questionnaire (every round) or of one round, as CSV or XLSX."""
    slug = request.args.get("questionnaire") or None
    round_id = bounded_int(request.args["round"]) if request.args.get("round") else None
    if request.args.get("round") and round_id is None:
        abort(404)
    fmt = request.args.get("format", "csv")
    if slug is None and round_id is None:
        questionnaires = db.session.scalars(select(Questionnaire).order_by(Questionnaire.slug)).all()
        return render_template("admin/export.html", questionnaires=questionnaires)
    if fmt not in CONTENT_TYPES:
        abort(400)
    try:
        frame = export_frame(db.session, questionnaire_slug=slug, round_id=round_id)
    except ExportError as error:
        flash(str(error), "error")
        return redirect(url_for(".dashboard"))
    body = write_csv(frame) if fmt == "csv" else write_xlsx(frame)
    audit(current_user().email, "export", questionnaire=slug, round_id=round_id, responses=len(frame), format=fmt)
    filename = export_filename(slug, round_id, fmt)
    return Response(
        body,
        content_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
