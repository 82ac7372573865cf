"""The safeguarding queue: answers that suggest a child may be at risk, for staff to act on."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, select

from ..db import db
from ..models import FlagStatus, Role, SafeguardingFlag

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")


def open_flags_count() -> int:
    """Flags that nobody has acted on yet."""
    return db.session.scalar(
        select(func.count()).select_from(SafeguardingFlag).where(SafeguardingFlag.status == FlagStatus.NEW)
    ) or 0


@bp.app_context_processor
def _queue_count():
    from ..auth import current_user

    user = current_user()
    if user is None or user.role != Role.ADMIN:
        return {}
    return {"safeguarding_open": open_flags_count()}


from . import views  # noqa: E402,F401  (registers the routes on bp)
