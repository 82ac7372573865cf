"""Business rules of the safeguarding queue: priority, overdue, grouping (no Flask here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from analysis.concerns import ConcernRules, category_names

SNIPPET_CHARS = 160


def overdue_cutoff(now: datetime, working_days: int) -> datetime:
    """The moment ``working_days`` working days (Monday to Friday) before ``now``.

    A new flag raised before it is overdue.
    """
    moment = now
    left = max(working_days, 0)
    while left:
        moment -= timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def is_overdue(flagged_at: datetime, status_new: bool, cutoff: datetime) -> bool:
    """True for a flag nobody has acted on that was raised before ``cutoff``."""
    return status_new and _aware(flagged_at) < _aware(cutoff)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The answer cut to about ``limit`` characters at a word boundary, with "…" when cut."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut + "…"


@dataclass(frozen=True)
class QueueRow:
    """One flag as the queue shows it."""

    flag: object
    snippet: str
    category_names: list[str]
    immediate: bool
    overdue: bool


def immediate_keys(rules: ConcernRules) -> set[str]:
    """Category keys that may mean a child is in danger now."""
    return {category.key for category in rules.categories if category.immediate}


def queue_rows(flags: list, texts: dict[int, str], rules: ConcernRules, cutoff: datetime,
               new_status: object) -> list[list[QueueRow]]:
    """Flags in priority order, grouped by response.

    Priority: a flag in an immediate-danger category first, then the higher score,
    then the older. A response's flags stay together, placed where its most
    urgent flag falls.
    """
    names = category_names(rules)
    danger = immediate_keys(rules)
    rows = [
        QueueRow(
            flag=flag,
            snippet=snippet(texts.get(flag.answer_id, "")),
            category_names=[names.get(key, key.replace("_", " ")) for key in flag.categories],
            immediate=bool(danger & set(flag.categories)),
            overdue=is_overdue(flag.flagged_at, flag.status == new_status, cutoff),
        )
        for flag in flags
    ]
    rows.sort(key=lambda row: (not row.immediate, -(row.flag.score or 0.0), _aware(row.flag.flagged_at)))
    groups: dict[int, list[QueueRow]] = {}
    for row in rows:
        groups.setdefault(row.flag.response_id, []).append(row)
    return list(groups.values())
