"""The scrutiny pack: one self-contained, printable HTML document across every source of
evidence, laid out by the framework's capture points (appendix 1).

Voice of the child and parents, practitioners' consultation, champions (people's
answers: counts under the suppression threshold withheld), agency action plans (the RAG
tracker: named, never suppressed), audits, indicators, lines of enquiry, and actions and
governance. Styles sit in the file and charts are inline SVG, so it works offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import Session


from analysis.disclosure import SECONDARY_LABEL, DisclosurePolicy, suppressed_label
from analysis.evidence import (
    AUDIENCE_NOUNS,
    DigestQuestion,
    IndicatorTrend,
    LineOfEnquiry,
    RagGrid,
    audit_digest,
    audit_lines,
    closed_question_lines,
    indicator_lines,
    is_overdue,
    rag_lines,
)
from analysis.evidence_charts import trend_chart_svg

from ..definitions import GOVERNANCE_LABELS
from ..models import Action
from ..resources import PACKAGE_DIR
from .data import (
    AuditEvidence,
    ClosedAnswers,
    agency_rag_grid,
    audit_evidence,
    closed_answers,
    indicator_trends,
    list_actions,
    load_indicators,
)

# The framework's capture points for people's answers, and the questionnaires behind each.
PEOPLE_CAPTURE_POINTS = (
    ("voice", "Voice of the child and parents", ("children", "parents")),
    ("practitioners", "Practitioners' consultation", ("practitioners",)),
    ("champions", "Neglect champions", ("champions",)),
)


class PackError(Exception):
    """The pack cannot be made as asked; the message says why."""


@dataclass
class PeopleSection:
    """One capture point of people's answers: its questionnaires' closed answers."""

    anchor: str
    title: str
    questionnaires: list[ClosedAnswers]
    lines: list[LineOfEnquiry] = field(default_factory=list)


@dataclass
class Pack:
    """Everything the pack shows, for the template."""

    start: date
    end: date
    today: date
    min_count: int
    people: list[PeopleSection]
    rag: RagGrid
    audits: AuditEvidence
    digest: list[DigestQuestion]
    trends: list[IndicatorTrend]
    charts: dict[str, Markup]
    lines: list[LineOfEnquiry]
    actions: list[Action]
    governance: list[tuple[str, dict[str, str]]]

    def withheld(self, rows: list) -> list[bool]:
        """Which of a closed question's option counts to withhold: small ones, and as many
        more as stop them being worked out from the total (``analysis.disclosure``)."""
        return DisclosurePolicy(max(1, self.min_count)).suppress_partition([row["count"] for row in rows])

    def overdue(self, action: Action) -> bool:
        """True when ``action`` is past its due date and still open."""
        return is_overdue(action.due_on, action.status.value, self.today)


def trend_charts(trends: list[IndicatorTrend]) -> dict[str, Markup]:
    """The SVG chart of each trend, by indicator key, ready to place in a page."""
    return {
        t.indicator.key: Markup(trend_chart_svg(t, f"chart-{t.indicator.key}"))  # nosec B704 - labels escaped
        for t in trends
    }


def period_of(day: date) -> str:
    """The quarter of ``day``, as indicator periods are written (``2024-Q1``)."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def gather_pack(session: Session, start: date, end: date, min_count: int, today: date) -> Pack:
    """Collect every source of evidence for ``start``..``end``. Raises PackError for a
    period that ends before it starts."""
    if end < start:
        raise PackError(f"The period ends ({end}) before it starts ({start}).")
    people, lines = [], []
    for anchor, title, slugs in PEOPLE_CAPTURE_POINTS:
        section = PeopleSection(anchor=anchor, title=title, questionnaires=[])
        for slug in slugs:
            answers = closed_answers(session, slug, start, end)
            if answers is None:
                continue
            section.questionnaires.append(answers)
            section.lines.extend(closed_question_lines(answers.rows, answers.audience, title, min_count))
        people.append(section)
        lines.extend(section.lines)
    grid = agency_rag_grid(session, today, start, end)
    lines.extend(rag_lines(grid))
    trends = indicator_trends(session, load_indicators(), up_to=period_of(end))
    lines.extend(indicator_lines(trends, since=period_of(start)))
    audits = audit_evidence(session, start, end)
    digest = audit_digest(audits.answers, audits.questions)
    lines.extend(audit_lines(digest))
    charts = trend_charts(trends)
    governance = [(q.title, {GOVERNANCE_LABELS[k]: v for k, v in q.governance.items() if k in GOVERNANCE_LABELS})
                  for section in people for q in section.questionnaires]
    return Pack(start=start, end=end, today=today, min_count=min_count, people=people, rag=grid, audits=audits,
                digest=digest, trends=trends, charts=charts, lines=lines, actions=list_actions(session),
                governance=governance)


def evidence_css() -> str:
    """The styles of the evidence pages (``static/evidence.css``), inlined into the pack."""
    return (PACKAGE_DIR / "static" / "evidence.css").read_text(encoding="utf-8")


def render_pack(pack: Pack) -> str:
    """The pack as one HTML document (call inside an app context)."""
    template = current_app.jinja_env.get_template("evidence/pack.html")
    css = Markup(evidence_css())  # nosec B704 - the app's own stylesheet
    return template.render(pack=pack, css=css, suppressed=suppressed_label(pack.min_count), secondary=SECONDARY_LABEL,
                           nouns=AUDIENCE_NOUNS)


def build_pack(session: Session, start: date, end: date, min_count: int, today: date | None = None) -> str:
    """The scrutiny pack for ``start``..``end`` as one self-contained HTML document."""
    return render_pack(gather_pack(session, start, end, min_count, today or date.today()))
