"""Raw responses for admin tokens, a page at a time (keyset paging, bounded memory)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Answer, Response

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000


def responses_page(session: Session, *, round_id: int | None, since: datetime | None, after: int,
                   limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """Up to ``limit`` responses with id above ``after`` (oldest first) and the last id returned.

    Filtered by round and by ``since`` (submitted at or after). Two queries, each bounded
    by ``limit`` responses, so memory does not grow with the size of the database.
    """
    query = select(Response.id, Response.round_id, Response.agency, Response.submitted_at).where(Response.id > after)
    if round_id is not None:
        query = query.where(Response.round_id == round_id)
    if since is not None:
        query = query.where(Response.submitted_at >= since)
    rows = session.execute(query.order_by(Response.id).limit(limit)).all()
    if not rows:
        return [], None
    by_id: dict[int, dict[str, Any]] = {
        rid: {"id": rid, "round_id": round_, "agency": agency, "submitted_at": _iso(submitted), "answers": {}}
        for rid, round_, agency, submitted in rows
    }
    answers = session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value)
        .where(Answer.response_id.in_(list(by_id))).order_by(Answer.response_id, Answer.id)
    )
    for response_id, key, value in answers:
        by_id[response_id]["answers"][key] = value
    return list(by_id.values()), rows[-1][0]


def _iso(moment: datetime) -> str:
    # SQLite gives naive datetimes; they are stored in UTC.
    return moment.isoformat() if moment.tzinfo else moment.isoformat() + "+00:00"
