"""The framework's evidence out of (and into) the database: action-plan returns, audit
answers, indicator figures and the action log, in the plain shapes ``analysis.evidence``
takes. The business rules live in ``analysis.evidence``; transactions are owned here.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Sequence

import pandas as pd
import yaml
from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.evidence import (
    Indicator,
    IndicatorError,
    IndicatorTrend,
    RagGrid,
    ReturnRound,
    ValueRow,
    check_indicator_rows,
    indicator_trend,
    parse_indicators,
    period_sort_key,
    rag_grid,
)

from ..definitions import CHILD_FRIENDLY_AUDIENCES, INDICATORS_FILE, default_questionnaires_dir, is_identifier, load_agencies, respondent_of
from ..models import (
    Action,
    ActionStatus,
    Answer,
    AuditEvent,
    IndicatorValue,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Round,
    utcnow,
)

ACTION_PLAN_SLUG = "action-plan-summary"
AUDIT_SLUG = "multi-agency-audit"
AUDIT_CLOSED_TYPES = ("yes_partly_no", "yes_no_not_known")
PARTNERSHIP_WIDE = "All agencies"


class EvidenceError(Exception):
    """Evidence cannot be shown or stored as asked; the message says why and what to do."""


def configured_folder(directory: str | Path | None = None) -> str | Path | None:
    """``directory``, else the app's ``QUESTIONNAIRES_DIR`` inside an app context, so the
    evidence pages read the partnership's own ``agencies.yaml`` and ``indicators.yaml``
    (None: the shipped folder)."""
    if directory is None and has_app_context():
        return current_app.config.get("QUESTIONNAIRES_DIR")
    return directory


def load_indicators(directory: str | Path | None = None) -> list[Indicator]:
    """The indicators of ``indicators.yaml`` in ``directory`` (default: the app's
    questionnaires folder, else the shipped one).

    Raises IndicatorError when the file is missing or wrong.
    """
    path = Path(configured_folder(directory) or default_questionnaires_dir()) / INDICATORS_FILE
    if not path.exists():
        path = default_questionnaires_dir() / INDICATORS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise IndicatorError(f"{INDICATORS_FILE}: cannot be read: {error}") from None
    return parse_indicators(raw, INDICATORS_FILE)


def reporting_agencies(directory: str | Path | None = None) -> list[str]:
    """The agencies expected to make returns: every listed agency except "Other"."""
    return [name for name in load_agencies(configured_folder(directory)) if name != "Other"]


# ---------------------------------------------------------------- organisational returns


def _rounds_of(session: Session, slug: str, start: date | None = None, end: date | None = None) -> list[Round]:
    """The rounds of ``slug`` (any version) opening from ``start`` to ``end``, in time order."""
    query = (
        select(Round).join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.slug == slug)
    )
    if start is not None:  # a round belongs to the period it opens in
        query = query.where(Round.opens_on >= start)
    if end is not None:
        query = query.where(Round.opens_on <= end)
    return list(session.scalars(query.order_by(Round.opens_on, Round.id)))


def _answers_by_response(session: Session, response_ids: Sequence[int], keys: Sequence[str] | None = None
                         ) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    if not response_ids:
        return out
    query = select(Answer.response_id, Answer.question_key, Answer.value).where(Answer.response_id.in_(response_ids))
    if keys is not None:
        query = query.where(Answer.question_key.in_(keys))
    for response_id, key, value in session.execute(query):
        out.setdefault(response_id, {})[key] = value
    return out


def _responses(session: Session, round_ids: Sequence[int]) -> list[Response]:
    if not round_ids:
        return []
    return list(session.scalars(select(Response).where(Response.round_id.in_(round_ids)).order_by(Response.id)))


def agency_rag_grid(session: Session, today: date, start: date | None = None, end: date | None = None,
                    directory: str | Path | None = None) -> RagGrid:
    """The agency RAG tracker of the action-plan summaries whose rounds open from ``start`` to ``end``.

    The agency of a return is the link's agency, else the agency answer. Never suppressed.
    """
    rounds = _rounds_of(session, ACTION_PLAN_SLUG, start, end)
    responses = _responses(session, [r.id for r in rounds])
    answers = _answers_by_response(session, [r.id for r in responses],
                                   ["agency", "overall_rag", "barriers_and_risks", "next_steps"])
    returns = []
    for response in responses:
        given = answers.get(response.id, {})
        returns.append({
            "response_id": response.id, "round_id": response.round_id,
            "agency": response.agency or given.get("agency"), "submitted_at": response.submitted_at,
            "overall_rag": given.get("overall_rag"), "barriers_and_risks": given.get("barriers_and_risks", ""),
            "next_steps": given.get("next_steps", ""),
        })
    return rag_grid(returns, [ReturnRound(r.id, r.label, r.opens_on, r.closes_on) for r in rounds],
                    reporting_agencies(directory), today)


@dataclass(frozen=True)
class ReturnView:
    """One organisational return as written, question by question."""

    response: Response
    agency: str | None
    questionnaire_title: str
    round_label: str
    answers: list[tuple[str, str]]  # (question wording, answer)


def organisational_return(session: Session, response_id: int, include_identifiers: bool = False) -> ReturnView:
    """One named organisational return (an action-plan summary, an agency audit).

    Raises EvidenceError when there is no such response or it is a person's anonymous
    answer (those are only ever shown aggregated). Identifier answers (case references)
    are left out unless ``include_identifiers`` (admins).
    """
    response = session.get(Response, response_id)
    if response is None:
        raise EvidenceError("There is no such return.")
    version = response.round.version
    if respondent_of(version) != "organisation":
        raise EvidenceError("This is a person's anonymous answer: it is only shown in aggregate on the analysis pages.")
    given = {a.question_key: a.value for a in response.answers}
    rows = []
    for question in version.questions:
        if question.key not in given:
            continue
        if is_identifier(question.key, question.settings) and not include_identifiers:
            continue
        rows.append((question.text, given[question.key]))
    return ReturnView(response=response, agency=response.agency or given.get("agency"),
                      questionnaire_title=version.title, round_label=response.round.label, answers=rows)


# ---------------------------------------------------------------- audits


@dataclass
class AuditEvidence:
    """The audit returns of a period: answers, the closed questions, good practice and lessons."""

    answers: pd.DataFrame
    questions: list[tuple[str, str, tuple[str, ...]]]
    good_practice: list[tuple[str, str]]  # (auditor agency, text)
    lessons: list[tuple[str, str]]
    returns: int


def audit_evidence(session: Session, start: date | None = None, end: date | None = None) -> AuditEvidence:
    """The multi-agency audit returns of rounds opening from ``start`` to ``end``.

    Case references (identifiers) are never loaded.
    """
    rounds = _rounds_of(session, AUDIT_SLUG, start, end)
    responses = _responses(session, [r.id for r in rounds])
    answers = _answers_by_response(session, [r.id for r in responses])
    questions: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    identifiers: set[str] = set()
    for rnd in sorted(rounds, key=lambda r: r.version.version):
        for q in rnd.version.questions:
            if is_identifier(q.key, q.settings):
                identifiers.add(q.key)
            elif q.type in AUDIT_CLOSED_TYPES:
                questions[q.key] = (q.key, q.text, tuple(q.options or ()))
    rows = [(rid, key, value) for rid, given in answers.items() for key, value in given.items() if key not in identifiers]
    frame = pd.DataFrame(rows, columns=["response_id", "question_key", "value"])
    good, lessons = [], []
    for response in responses:
        given = answers.get(response.id, {})
        agency = response.agency or given.get("auditor_agency") or "Agency not given"
        if given.get("good_practice"):
            good.append((agency, given["good_practice"]))
        if given.get("lessons_learnt"):
            lessons.append((agency, given["lessons_learnt"]))
    return AuditEvidence(answers=frame, questions=list(questions.values()), good_practice=good,
                         lessons=lessons, returns=len(responses))


# ---------------------------------------------------------------- indicators


def indicator_values(session: Session) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """Every stored figure as {(indicator, agency): [(period, value), ...]}."""
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in session.scalars(select(IndicatorValue)):
        out.setdefault((row.indicator, row.agency), []).append((row.period, row.value))
    return out


def indicator_trends(session: Session, indicators: Sequence[Indicator], up_to: str | None = None) -> list[IndicatorTrend]:
    """The partnership-wide trend of each indicator (figures up to period ``up_to`` when given).

    For an indicator entered per agency, the partnership figure is the sum of the
    agencies' figures (counts) when no partnership-wide figure is stored for a period.
    """
    stored = indicator_values(session)
    trends = []
    for indicator in indicators:
        points = dict(stored.get((indicator.key, ""), []))
        if indicator.by_agency and indicator.unit == "count":
            summed: dict[str, float] = {}
            for (key, agency), values in stored.items():
                if key == indicator.key and agency:
                    for period, value in values:
                        summed[period] = summed.get(period, 0.0) + value
            for period, value in summed.items():
                points.setdefault(period, value)
        if up_to is not None:
            points = {p: v for p, v in points.items() if period_sort_key(p) <= period_sort_key(up_to)}
        trends.append(indicator_trend(indicator, points.items()))
    return trends


def save_indicator_values(session: Session, rows: Sequence[ValueRow], actor: str, source: str) -> int:
    """Store ``rows`` (already checked), replacing figures for the same indicator, period and
    agency; all in one transaction, recorded in the audit log. Returns the number stored."""
    try:
        for row in rows:
            existing = session.scalar(select(IndicatorValue).where(
                IndicatorValue.indicator == row.indicator, IndicatorValue.period == row.period,
                IndicatorValue.agency == row.agency))
            if existing is None:
                session.add(IndicatorValue(indicator=row.indicator, period=row.period, agency=row.agency,
                                           value=row.value, entered_by=actor))
            else:
                existing.value, existing.entered_by, existing.entered_at = row.value, actor, utcnow()
        session.add(AuditEvent(actor=actor, action="indicator-values", detail={"rows": len(rows), "source": source}))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return len(rows)


def recent_values(session: Session, limit: int = 30) -> list[IndicatorValue]:
    """The figures entered most recently, newest first."""
    return list(session.scalars(select(IndicatorValue).order_by(IndicatorValue.entered_at.desc(),
                                                                 IndicatorValue.id.desc()).limit(limit)))


# ---------------------------------------------------------------- action log


def list_actions(session: Session) -> list[Action]:
    """Every action: open ones first by due date, then done and dropped ones."""
    actions = list(session.scalars(select(Action).order_by(Action.due_on, Action.id)))
    return sorted(actions, key=lambda a: a.status.value in ("done", "dropped"))


def create_action(session: Session, *, what: str, owner_agency: str, due_on: date, source_kind: str,
                  source_evidence: str, actor: str) -> Action:
    """Add an action to the log (status open) and record it in the audit log."""
    action = Action(what=what.strip(), owner_agency=owner_agency, due_on=due_on, source_kind=source_kind,
                    source_evidence=source_evidence.strip(), created_by=actor, status=ActionStatus.OPEN, note="")
    session.add(action)
    session.flush()
    session.add(AuditEvent(actor=actor, action="action-created", detail={"action": action.id}))
    session.commit()
    return action


def update_action(session: Session, action_id: int, status: str, note: str, actor: str) -> Action:
    """Change an action's status and note. Raises EvidenceError for an unknown action."""
    action = session.get(Action, action_id)
    if action is None:
        raise EvidenceError("There is no such action.")
    action.status = ActionStatus(status)
    action.note = note.strip()
    action.updated_at = utcnow()
    session.add(AuditEvent(actor=actor, action="action-updated", detail={"action": action.id, "status": status}))
    session.commit()
    return action


def response_counts_by_round(session: Session, round_ids: Sequence[int]) -> dict[int, int]:
    """Responses per round."""
    if not round_ids:
        return {}
    rows = session.execute(select(Response.round_id, func.count(Response.id))
                           .where(Response.round_id.in_(round_ids)).group_by(Response.round_id))
    return {round_id: int(n) for round_id, n in rows}


__all__ = [
    "ACTION_PLAN_SLUG", "AUDIT_SLUG", "AuditEvidence", "EvidenceError", "PARTNERSHIP_WIDE", "ReturnView",
    "agency_rag_grid", "audit_evidence", "create_action", "indicator_trends", "indicator_values",
    "list_actions", "load_indicators", "organisational_return", "recent_values", "reporting_agencies",
    "response_counts_by_round", "save_indicator_values", "update_action",
]



class IndicatorImportRefused(EvidenceError):
    """An indicator file was refused whole; ``problems`` lists every fault found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"The file was not imported ({len(problems)} problem{'s' if len(problems) != 1 else ''}): "
                         + "; ".join(problems))


INDICATOR_COLUMNS = ("indicator", "period", "value")
MAX_INDICATOR_FILE_BYTES = 2 * 1024 * 1024


def import_indicator_csv(session: Session, content: bytes, actor: str, source: str,
                         indicators: Sequence[Indicator] | None = None, agencies: Sequence[str] | None = None) -> int:
    """Check a CSV of figures (columns ``indicator,period,value[,agency]``) and store it whole.

    Raises IndicatorImportRefused listing every problem; then nothing is stored.
    Returns the number of figures stored.
    """
    if len(content) > MAX_INDICATOR_FILE_BYTES:
        raise IndicatorImportRefused([f"the file is larger than {MAX_INDICATOR_FILE_BYTES // (1024 * 1024)} MB"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IndicatorImportRefused(["the file is not UTF-8 text: save it as CSV UTF-8"]) from None
    reader = csv.DictReader(io.StringIO(text.replace("\x00", "")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    problems = [f"the first row has no '{name}' column" for name in INDICATOR_COLUMNS if name not in header]
    unknown = [name for name in header if name not in (*INDICATOR_COLUMNS, "agency")]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}: the columns are indicator, period, value and agency")
    if problems:
        raise IndicatorImportRefused(problems)
    reader.fieldnames = header
    rows = [row for row in reader if any((value or "").strip() for value in row.values() if isinstance(value, str))]
    clean, problems = check_indicator_rows(rows, indicators if indicators is not None else load_indicators(),
                                           agencies if agencies is not None else load_agencies(configured_folder()))
    if problems:
        raise IndicatorImportRefused(problems)
    return save_indicator_values(session, clean, actor, source)


# ---------------------------------------------------------------- people's closed answers

PEOPLE_CLOSED_TYPES = ("single_choice", "multiple_choice", "yes_partly_no", "yes_no_not_known", "scale_1_5")


@dataclass
class ClosedAnswers:
    """The closed answers of the latest round of one questionnaire in a period."""

    slug: str
    title: str
    audience: str
    governance: dict[str, str]
    rounds: list[tuple[str, int]]  # (label, responses) of every round in the period
    latest_label: str | None
    rows: list[dict]  # question_key, question_text, shown_text, option, count, total

    def questions(self) -> list[list[dict]]:
        """The rows grouped by question, in the questionnaire's order."""
        grouped: dict[str, list[dict]] = {}
        for row in self.rows:
            grouped.setdefault(row["question_key"], []).append(row)
        return list(grouped.values())


def closed_answers(session: Session, slug: str, start: date | None, end: date | None) -> ClosedAnswers | None:
    """Counts of each option of each closed question in the latest round of ``slug`` in the
    period (None when the questionnaire is not published). Raw counts: the caller applies
    the disclosure control for people's answers."""
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.slug == slug))
    if questionnaire is None or not questionnaire.versions:
        return None
    rounds = _rounds_of(session, slug, start, end)
    counts = response_counts_by_round(session, [r.id for r in rounds])
    newest = questionnaire.versions[-1]
    out = ClosedAnswers(slug=slug, title=newest.title, audience=newest.audience, governance=dict(newest.governance),
                        rounds=[(r.label, counts.get(r.id, 0)) for r in rounds],
                        latest_label=rounds[-1].label if rounds else None, rows=[])
    if not rounds:
        return out
    latest = rounds[-1]
    responses = [r.id for r in _responses(session, [latest.id])]
    answers = _answers_by_response(session, responses)
    for question in latest.version.questions:
        if question.type not in PEOPLE_CLOSED_TYPES:
            continue
        given = [a[question.key] for a in answers.values() if question.key in a]
        chosen: list[str] = []
        for value in given:
            chosen.extend(json.loads(value) if question.type == "multiple_choice" and value.startswith("[") else [value])
        for option in question.options or ():
            out.rows.append({"question_key": question.key, "question_text": question.text,
                             "shown_text": question.child_text
                             if latest.version.audience in CHILD_FRIENDLY_AUDIENCES and question.child_text
                             else question.text,
                             "option": option, "count": chosen.count(option), "total": len(given)})
    return out
