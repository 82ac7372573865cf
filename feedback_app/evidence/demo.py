"""Demo evidence: action-plan returns from every agency over 12 quarters, two audit
rounds a year, indicator figures from the baseline on, and a few actions.

``seed_evidence_demo(session)`` is meant to be called by ``feedback-app demo`` after the
shipped questionnaires are published. It is deterministic (a seeded random generator),
so a demo, a test and a screenshot all show the same picture.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from analysis.evidence import RAG_ORDER, ValueRow

from ..definitions import published_version
from ..models import (Action, ActionStatus, Answer, QuestionnaireVersion, Response, Round, RoundStatus,
                      questionnaire_by_slug)
from .data import ACTION_PLAN_SLUG, AUDIT_SLUG, load_indicators, reporting_agencies, save_indicator_values

QUARTERS = 12
DEMO_ACTOR = "demo"
RATINGS = tuple(RAG_ORDER)  # Red, Amber, Green

BARRIERS = {
    "Red": "Staff vacancies in the team mean the neglect tools training has not been rolled out; "
           "we need the Partnership's help to run extra sessions.",
    "Amber": "Some teams use the chronology tool, others not yet; managers are being briefed.",
    "Green": "No significant barriers this quarter.",
}
NEXT_STEPS = {
    "Red": "Ask the Partnership for two extra training sessions and support from a neglect champion.",
    "Amber": "Audit the use of the tools in two teams next quarter.",
    "Green": "Keep the current plan; share good practice at the Working Group.",
}
SAMPLE_GROUPS = (
    "Referred to children's social care in the three months prior to the event",
    "Closed to children's social care in the three months prior to the event",
    "On a child protection plan for neglect",
)
GOOD_PRACTICE = (
    "The health visitor used the neglect matrix and shared the chronology with school.",
    "The child's views were recorded in their own words at every review.",
    "Strong joint working between school and early help kept the plan on track.",
)
LESSONS = (
    "The plan was not shared with the child in words they could understand.",
    "Historical information from earlier referrals was not used in the assessment.",
    "Management oversight was not recorded for three months.",
)


@dataclass(frozen=True)
class EvidenceDemo:
    """What the demo seeded."""

    action_plan_rounds: int
    action_plan_returns: int
    audit_rounds: int
    audit_returns: int
    indicator_values: int
    actions: int


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def quarter_label(start: date) -> str:
    """``2024-Q1`` for a quarter starting on ``start``."""
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=timezone.utc)


def _respond(session: Session, round_: Round, agency: str | None, submitted: date, answers: dict[str, str]) -> None:
    response = Response(round=round_, agency=agency, source="demo", submitted_at=_at(submitted))
    response.answers = [Answer(question_key=key, value=value) for key, value in answers.items() if value]
    session.add(response)


def seed_evidence_demo(session: Session, today: date | None = None, seed: int = 16) -> EvidenceDemo:
    """Seed the framework's evidence for a demo ending in the quarter before ``today``.

    Needs the shipped questionnaires published (``questionnaires sync``). Commits.
    Raises RuntimeError when they are not.
    """
    today = today or date.today()
    rng = random.Random(seed)  # nosec B311 - made-up demo figures, nothing secret
    agencies = reporting_agencies()
    plan_version = published_version(session, ACTION_PLAN_SLUG, 1)
    audit_questionnaire = questionnaire_by_slug(session, AUDIT_SLUG)
    audit_version = audit_questionnaire.latest_version() if audit_questionnaire else None
    if plan_version is None or audit_version is None:
        raise RuntimeError("Publish the shipped questionnaires first (feedback-app questionnaires sync).")
    last_start = _add_months(_quarter_start(today), -3)
    starts = [_add_months(last_start, -3 * i) for i in reversed(range(QUARTERS))]

    returns = _seed_action_plans(session, rng, plan_version, agencies, starts, today)
    audit_rounds, audit_returns = _seed_audits(session, rng, audit_version, agencies, last_start, today)
    session.commit()
    indicator_values = _seed_indicator_values(session, rng, starts)
    actions = _seed_actions(session, today)
    session.commit()
    return EvidenceDemo(action_plan_rounds=len(starts), action_plan_returns=returns, audit_rounds=audit_rounds,
                        audit_returns=audit_returns, indicator_values=indicator_values, actions=actions)


def _seed_action_plans(session: Session, rng: random.Random, plan_version: QuestionnaireVersion, agencies: list[str],
                       starts: list[date], today: date) -> int:
    """One action-plan round a quarter and most agencies' returns to it; the returns made."""
    # Each agency's rating drifts: mostly Amber early on, more Green later; a few agencies slip.
    returns = 0
    level = {agency: rng.choice((0, 1, 1)) for agency in agencies}
    for number, start in enumerate(starts):
        closes = _add_months(start, 3) - timedelta(days=1) + timedelta(days=21)
        round_ = Round(version=plan_version, label=f"Action plan summary {quarter_label(start)}",
                       opens_on=start, closes_on=closes,
                       status=RoundStatus.CLOSED if closes < today else RoundStatus.OPEN)
        session.add(round_)
        for index, agency in enumerate(agencies):
            if (number + index) % 11 == 5:  # now and then an agency sends nothing
                continue
            step = rng.choice((-1, 0, 0, 1, 1)) if number else 0
            level[agency] = max(0, min(2, level[agency] + step))
            rating = RATINGS[level[agency]]
            late = (number + index) % 7 == 3
            submitted = closes + timedelta(days=9) if late else closes - timedelta(days=rng.randint(1, 15))
            _respond(session, round_, agency, min(submitted, today), {
                "agency": agency,
                "progress_against_plan": f"{agency}: progress against the plan this quarter was {rating.lower()}.",
                "barriers_and_risks": BARRIERS[rating],
                "difference_for_children": "Children's views are recorded more often in assessments.",
                "difference_for_practitioners": "More staff report confidence in using the neglect tools.",
                "next_steps": NEXT_STEPS[rating],
                "overall_rag": rating,
                "direction_of_travel": "Improving" if step > 0 else "Steady" if step == 0 else "Slipping",
            })
            returns += 1
    return returns


def _seed_audits(session: Session, rng: random.Random, audit_version: QuestionnaireVersion, agencies: list[str],
                 last_start: date, today: date) -> tuple[int, int]:
    """Two audit rounds of twelve cases each; (rounds, returns)."""
    # Audits twice a year (framework 8.1): the last two half-years.
    audit_questions = [q for q in audit_version.questions if q.type == "yes_partly_no"]
    audit_rounds = audit_returns = 0
    for half in (2, 1):
        start = _add_months(last_start, -6 * (half - 1) - 3)
        round_ = Round(version=audit_version, label=f"Multi-agency neglect audit {start.year} "
                                                    f"{'H1' if start.month <= 6 else 'H2'}",
                       opens_on=start, closes_on=_add_months(start, 6) - timedelta(days=1),
                       status=RoundStatus.CLOSED)
        session.add(round_)
        audit_rounds += 1
        for case in range(12):
            answers = {
                "auditor_agency": agencies[case % len(agencies)],
                "case_reference": f"NA-{half}{case:02d}",
                "age_band": rng.choice(("1 to 4", "5 to 9", "10 to 15")),
                "sample_group": SAMPLE_GROUPS[case % 3],
            }
            if audit_version.question("individual_needs_known") is not None:
                answers["individual_needs_known"] = rng.choice(("Yes", "No", "No", "Not known"))
            for question in audit_questions:
                weights = (2, 2, 3) if question.key in ("child_involved", "management_oversight") else (6, 3, 1)
                answers[question.key] = rng.choices(("Yes", "Partly", "No"), weights=weights)[0]
                answers[f"{question.key}_evidence"] = "Seen in the case record and the plan."
            if case % 4 == 0:
                answers["good_practice"] = GOOD_PRACTICE[case // 4 % len(GOOD_PRACTICE)]
            if case % 4 == 1:
                answers["lessons_learnt"] = LESSONS[case // 4 % len(LESSONS)]
            _respond(session, round_, answers["auditor_agency"], min(round_.closes_on, today), answers)
            audit_returns += 1
    return audit_rounds, audit_returns


def _seed_indicator_values(session: Session, rng: random.Random, starts: list[date]) -> int:
    """A figure of every indicator for every quarter; the figures saved."""
    # Indicator figures for every quarter, drifting from the baseline.
    rows = []
    for indicator in load_indicators():
        value = indicator.baseline_value if indicator.baseline_value is not None else (
            18.0 if indicator.unit == "percent" else 120.0)
        for start in starts:
            drift = rng.uniform(-0.04, 0.08) * (1 if indicator.better == "higher" else -1)
            if indicator.key == "cin_plans_over_12_months":
                drift = rng.uniform(-0.02, 0.04)  # drifting the wrong way: a line of enquiry
            value = max(0.0, value * (1 + drift)) if indicator.unit == "count" else min(100.0, max(0.0, value + 100 * drift / 4))
            if indicator.key == "staff_trained_neglect_tools":
                value = value + rng.randint(20, 60)
            rows.append(ValueRow(indicator=indicator.key, period=quarter_label(start),
                                 value=round(value, 1) if indicator.unit == "percent" else float(round(value))))
    save_indicator_values(session, rows, DEMO_ACTOR, "demo")
    return len(rows)


def _seed_actions(session: Session, today: date) -> int:
    """A few actions in each state, traced to the evidence that raised them; the actions added."""
    actions = [
        Action(what="Run two extra neglect tools training sessions for agencies rated Red",
               owner_agency="Children's Social Care", due_on=today - timedelta(days=20), status=ActionStatus.IN_PROGRESS,
               source_kind="red-area", source_evidence="Red areas of the latest action-plan summaries", created_by=DEMO_ACTOR,
               note=""),
        Action(what="Share every child's plan with them in words they can read",
               owner_agency="Children's Social Care", due_on=today + timedelta(days=60), status=ActionStatus.OPEN,
               source_kind="audit-lesson", source_evidence=LESSONS[0], created_by=DEMO_ACTOR, note=""),
        Action(what="Review CIN plans open over 12 months for drift and delay",
               owner_agency="Children's Social Care", due_on=today - timedelta(days=5), status=ActionStatus.OPEN,
               source_kind="line-of-enquiry", source_evidence="CIN plans for neglect open over 12 months: off target",
               created_by=DEMO_ACTOR, note=""),
        Action(what="Record management oversight monthly on every neglect case",
               owner_agency="Early Help", due_on=today - timedelta(days=40), status=ActionStatus.DONE,
               source_kind="audit-lesson", source_evidence=LESSONS[2], created_by=DEMO_ACTOR, note="Done in the new template."),
    ]
    session.add_all(actions)
    return len(actions)
