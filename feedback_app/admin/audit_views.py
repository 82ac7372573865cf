"""The audit log, readable by admins."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func, select

from ..auth import login_required
from ..db import db
from ..models import AuditEvent, Role
from . import bp

EVENTS_PER_PAGE = 100


@bp.get("/audit")
@login_required(Role.ADMIN)
def audit_log():
    """Staff logins, exports, imports, purges and safeguarding actions, newest first."""
    page = max(request.args.get("page", 1, type=int), 1)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    events = db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * EVENTS_PER_PAGE).limit(EVENTS_PER_PAGE)
    ).all()
    return render_template("admin/audit.html", events=events, page=page,
                           more=page * EVENTS_PER_PAGE < total, total=total)
