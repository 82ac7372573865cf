"""Watching a round fill up: responses by agency, by link and by day; link exports.

Plain functions over a session, so the admin pages, the command line and the tests
share them.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..links import link_state, link_url
from ..models import Response, Round, ShareLink

NO_AGENCY = "No agency given"
# The longest run of days the bar chart draws; older days stay in the table.
CHART_MAX_DAYS = 120
# What staff are told about a link, by the reason ``link_state`` gives.
LINK_STATE_NAMES = {
    "": "Active",
    "revoked": "Revoked",
    "not-open": "Round not open yet",
    "closed": "Round closed",
    "expired": "Expired",
    "used": "Used",
    "capped": "Cap reached",
}
# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def link_status(link: ShareLink, now: datetime | None = None) -> str:
    """The state of ``link`` in a word or two for staff: "Active", "Revoked", "Used"…"""
    state = link_state(link, now)
    return LINK_STATE_NAMES.get(state.reason, state.reason)


@dataclass(frozen=True)
class LinkRow:
    """One link of a round as staff see it."""

    link: ShareLink
    url: str
    responses: int
    state: str


@dataclass(frozen=True)
class RoundMonitoring:
    """How a round is filling up."""

    total: int
    by_agency: list[tuple[str, int]]
    by_link: list[LinkRow]
    by_day: list[tuple[date, int]]
    unlinked: int


def _day(moment: datetime) -> date:
    """The UTC calendar day of ``moment`` (SQLite hands back naive UTC times)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.date()


def round_links(session: Session, round_: Round, base_url: str, now: datetime | None = None) -> list[LinkRow]:
    """Every link of ``round_``, oldest first, with its URL, its responses so far and its state."""
    links = session.scalars(select(ShareLink).where(ShareLink.round_id == round_.id).order_by(ShareLink.id)).all()
    counts = dict(
        session.execute(
            select(Response.link_id, func.count())
            .where(Response.round_id == round_.id, Response.link_id.is_not(None))
            .group_by(Response.link_id)
        ).all()
    )
    return [LinkRow(link, link_url(base_url, link), counts.get(link.id, 0), link_status(link, now)) for link in links]


def round_monitoring(session: Session, round_: Round, base_url: str, now: datetime | None = None) -> RoundMonitoring:
    """Responses to ``round_`` so far: in all, by agency (most first), by link and by UTC day."""
    agency_rows = session.execute(
        select(Response.agency, func.count()).where(Response.round_id == round_.id).group_by(Response.agency)
    ).all()
    by_agency = sorted(((agency or NO_AGENCY, count) for agency, count in agency_rows), key=lambda row: (-row[1], row[0]))
    days = Counter(
        _day(moment) for moment in session.scalars(select(Response.submitted_at).where(Response.round_id == round_.id))
    )
    links = round_links(session, round_, base_url, now)
    total = sum(count for _agency, count in by_agency)
    return RoundMonitoring(
        total=total,
        by_agency=by_agency,
        by_link=links,
        by_day=sorted(days.items()),
        unlinked=total - sum(row.responses for row in links),
    )


def daily_chart_svg(by_day: list[tuple[date, int]], title: str = "Responses per day") -> Markup:
    """An inline SVG bar chart of responses per day (days without answers drawn empty).

    Only the last CHART_MAX_DAYS days are drawn. The page shows the same numbers in a
    table; the SVG carries a title and a one-sentence summary for screen readers.
    Returns empty markup when there are no days.
    """
    if not by_day:
        return Markup("")
    counts = dict(by_day)
    last = by_day[-1][0]
    first = max(by_day[0][0], last - timedelta(days=CHART_MAX_DAYS - 1))
    span = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    highest = max(counts.get(day, 0) for day in span) or 1
    bar, gap, height, top, bottom, left = 12, 4, 160, 20, 36, 40
    width = left + len(span) * (bar + gap) + gap
    plot = height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="daily-chart-title daily-chart-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="daily-chart">',
        f'<title id="daily-chart-title">{escape(title)}</title>',
        f'<desc id="daily-chart-desc">{escape(_describe(span, counts))}</desc>',
        f'<line x1="{left}" y1="{top + plot}" x2="{width}" y2="{top + plot}" stroke="#0b0c0c" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="#0b0c0c">{highest}</text>',
        f'<text x="{left - 6}" y="{top + plot}" text-anchor="end" font-size="11" fill="#0b0c0c">0</text>',
    ]
    for index, day in enumerate(span):
        count = counts.get(day, 0)
        bar_height = round(plot * count / highest, 1)
        x = left + gap + index * (bar + gap)
        parts.append(
            f'<rect x="{x}" y="{top + plot - bar_height}" width="{bar}" height="{bar_height}" fill="#1d4ed8">'
            f"<title>{day:%-d %b %Y}: {count}</title></rect>"
        )
    for day in (span[0], span[-1]) if len(span) > 1 else (span[0],):
        x = left + gap + span.index(day) * (bar + gap) + bar / 2
        anchor = "start" if day == span[0] and len(span) > 1 else "end" if len(span) > 1 else "middle"
        parts.append(
            f'<text x="{x}" y="{height - 12}" text-anchor="{anchor}" font-size="11" fill="#0b0c0c">{day:%-d %b}</text>'
        )
    parts.append("</svg>")
    # Every text in the SVG is escaped above or is a number or date we formatted.
    return Markup("".join(parts))  # nosec B704


def _describe(span: list[date], counts: dict[date, int]) -> str:
    busiest = max(span, key=lambda day: (counts.get(day, 0), day))
    total = sum(counts.get(day, 0) for day in span)
    noun = "response" if total == 1 else "responses"
    return (
        f"{total} {noun} from {span[0]:%-d %B %Y} to {span[-1]:%-d %B %Y}; "
        f"the busiest day was {busiest:%-d %B %Y} with {counts.get(busiest, 0)}."
    )


def safe_cell(value: object) -> object:
    """``value`` made safe for a spreadsheet: text that would start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


LINK_CSV_HEADER = ("url", "kind", "agency", "label", "expires", "cap", "responses", "state")


def links_csv(rows: list[LinkRow]) -> str:
    """The links as CSV text, one row per link, with formula-like cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(LINK_CSV_HEADER)
    for row in rows:
        link = row.link
        expires = _day(link.expires_at).isoformat() if link.expires_at else ""
        cells = (
            row.url,
            link.kind.value,
            link.agency or "",
            link.label or "",
            expires,
            link.max_responses if link.max_responses is not None else "",
            row.responses,
            row.state,
        )
        writer.writerow([safe_cell(cell) for cell in cells])
    return buffer.getvalue()
