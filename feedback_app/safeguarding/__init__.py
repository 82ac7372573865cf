"""The safeguarding queue: answers that suggest a child may be at risk, for staff to act on."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, select

from ..db import db
from ..models import FlagStatus, Role, SafeguardingFlag

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")


def open_flags_count() -> int:
    """Flags that nobody has acted on yet (new, overdue included)."""
    return db.session.scalar(
        select(func.count()).select_from(SafeguardingFlag).where(SafeguardingFlag.status == FlagStatus.NEW)
    ) or 0


def overdue_cutoff_now():
    """Flags raised before this moment and not acted on are overdue (a setting, in working days)."""
    from flask import current_app

    from ..models import utcnow
    from .queue import overdue_cutoff

    return overdue_cutoff(utcnow(), int(current_app.config.get("SAFEGUARDING_OVERDUE_WORKING_DAYS", 2)))


def overdue_flags_count() -> int:
    """New flags that have waited longer than the overdue setting allows."""
    return db.session.scalar(
        select(func.count()).select_from(SafeguardingFlag).where(
            SafeguardingFlag.status == FlagStatus.NEW, SafeguardingFlag.flagged_at < overdue_cutoff_now()
        )
    ) or 0


@bp.app_context_processor
def _queue_count():
    from ..auth import current_user

    user = current_user()
    if user is None or user.role != Role.ADMIN:
        return {}
    return {"safeguarding_open": open_flags_count(), "safeguarding_overdue": overdue_flags_count()}


from . import views  # noqa: E402,F401  (registers the routes on bp)
