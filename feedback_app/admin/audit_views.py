"""The audit log, readable by admins, filtered by action and by who did it."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import func, select

from ..auth import login_required
from ..db import db
from ..models import AuditEvent, Role
from ..security import bounded_int
from . import bp

EVENTS_PER_PAGE = 100


@bp.get("/audit")
@login_required(Role.ADMIN)
def audit_log():
    """Every audited staff action (sign-ins, changes, downloads), newest first, filtered by
    ``action`` and ``actor``."""
    page = bounded_int(request.args.get("page") or "1", 1, 1_000_000)
    if page is None:
        abort(400)
    action = (request.args.get("action") or "").strip()[:50] or None
    actor = (request.args.get("actor") or "").strip()[:254] or None
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * EVENTS_PER_PAGE).limit(EVENTS_PER_PAGE)
    ).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    actors = db.session.scalars(select(AuditEvent.actor).distinct().order_by(AuditEvent.actor).limit(500)).all()
    filters = {name: value for name, value in (("action", action), ("actor", actor)) if value}
    return render_template("admin/audit.html", events=events, page=page, more=page * EVENTS_PER_PAGE < total,
                           total=total, actions=actions, actors=actors, action=action, actor=actor, filters=filters)
