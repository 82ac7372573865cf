"""Demo data: four years of made-up rounds and answers, so a first run shows something.

``seed_demo`` runs the seeders in :data:`SEEDERS` in order. Each seeder is a function
of a :class:`DemoContext` that adds one kind of data and returns a line for the report;
another kind of data (action-plan evidence, audits, indicators) is one more
:func:`register_seeder` call.

The answers go through the same analysis as a real submission (``text_features`` and
the safeguarding ``screen``, with the codebook in use), but in bulk: rows are inserted
in batches, and each distinct text is analysed once however many answers repeat it, so
``--scale 100000`` takes minutes, not hours. Every demo response has
``source = "demo"``; the demo refuses a database that holds any other response.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from analysis.concerns import screen
from analysis.features import text_features

from .definitions import TEXT_TYPES, answer_options, load_agencies, read_definitions, sync_questionnaires
from .demo_text import ADULT_CLOSERS, ADULT_OPENERS, AUDIT_EVIDENCE, CHILD_CLOSERS, CHILD_OPENERS, TEXT_BANK
from .links import new_token
from .models import (
    Answer,
    AnswerFeature,
    FlagStatus,
    LinkKind,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Round,
    RoundStatus,
    SafeguardingFlag,
    ShareLink,
    StaffUser,
)
from .rounds import PlannedRound, plan_rounds
from .skip_logic import without_hidden
from .staff import create_user
from .coding.models_store import relabel
from .tallies import rebuild_tallies
from .text_analysis import (analyse_stored_responses, concern_bank, concern_rules, current_codebook, feature_row, flag_row,
                            sentiment_model)

DEMO_SOURCE = "demo"
DEMO_START = date(2019, 7, 1)
DEMO_END = date(2023, 6, 30)
DEMO_ADMIN = "demo-admin@example.org"
DEMO_ANALYST = "demo-analyst@example.org"
BATCH_ROWS = 5000


class DemoError(Exception):
    """The demo cannot be loaded into this database; the message says why and what to do."""


class DemoAlreadyLoaded(DemoError):
    """The database already holds the demo data."""


@dataclass
class DemoContext:
    """What every seeder shares: the session, the random source, the scale and the report."""

    session: Session
    rng: random.Random
    scale: float = 1.0
    password: str = ""
    questionnaires_dir: str | None = None
    responses: int = 0
    answers: int = 0
    flags: int = 0
    lines: list[str] = field(default_factory=list)
    _analysed: dict[tuple[str, str, str], tuple[dict, Any]] = field(default_factory=dict)

    def count(self, base: int) -> int:
        """``base`` responses at the default size, scaled (at least one)."""
        return max(1, round(base * self.scale))


@dataclass(frozen=True)
class Seeder:
    """One step of the demo: a name, what it adds, and the function that adds it."""

    name: str
    description: str
    run: Callable[[DemoContext], str]


SEEDERS: list[Seeder] = []


def register_seeder(name: str, description: str, run: Callable[[DemoContext], str]) -> Seeder:
    """Add a seeder to the end of :data:`SEEDERS` (and return it)."""
    seeder = Seeder(name, description, run)
    SEEDERS.append(seeder)
    return seeder


@dataclass(frozen=True)
class DemoReport:
    """What ``seed_demo`` did: one line per seeder, totals, the staff sign-ins and the time taken."""

    lines: list[str]
    responses: int
    answers: int
    flags: int
    seconds: float
    accounts: list[tuple[str, str]]
    password: str


# ---------------------------------------------------------------- entry points


def demo_state(session: Session) -> tuple[int, int]:
    """(demo responses, other responses) in the database."""
    counts = dict(session.execute(select(Response.source, func.count()).group_by(Response.source)).all())
    demo = counts.pop(DEMO_SOURCE, 0)
    return demo, sum(counts.values())


def check_demo_allowed(session: Session) -> None:
    """Raise DemoError when the database holds real responses, DemoAlreadyLoaded when it holds the demo."""
    demo, real = demo_state(session)
    if real:
        raise DemoError(
            f"This database holds {real:,} real responses, so the demo will not add made-up ones beside them. "
            "Run the demo on a database of its own: set DATABASE_URL (or use another instance folder)."
        )
    demo_staff = session.scalar(select(func.count()).select_from(StaffUser).where(StaffUser.email == DEMO_ADMIN))
    if demo or demo_staff:
        raise DemoAlreadyLoaded(
            f"The demo data is already loaded ({demo:,} responses). Sign in as {DEMO_ADMIN} or "
            f"{DEMO_ANALYST} with the password printed when it was loaded."
        )


def seed_demo(session: Session, *, scale: int | None = None, seed: int = 2019,
              questionnaires_dir: str | None = None, password: str | None = None) -> DemoReport:
    """Load the demo into ``session``'s database and return what was done.

    ``scale`` asks for about that many responses in all (default: the demo's own size,
    about 3,000). Raises DemoError when the database holds real responses and
    DemoAlreadyLoaded when the demo is already there.
    """
    check_demo_allowed(session)
    started = time.perf_counter()
    context = DemoContext(
        session=session,
        rng=random.Random(seed),  # nosec B311: made-up demo answers, repeatable by design; not a secret
        scale=(scale / default_size(questionnaires_dir)) if scale else 1.0,
        password=password or f"demo-{secrets.token_urlsafe(9)}",
        questionnaires_dir=questionnaires_dir,
    )
    for seeder in SEEDERS:
        context.lines.append(seeder.run(context))
    session.commit()
    # The seeders insert features in bulk, past the tallies' writers: count them (issue 13 item 2).
    rebuild_tallies(session, current_codebook(session)[0])
    return DemoReport(
        lines=[line for line in context.lines if line],
        responses=context.responses,
        answers=context.answers,
        flags=context.flags,
        seconds=time.perf_counter() - started,
        accounts=[(DEMO_ADMIN, "admin"), (DEMO_ANALYST, "analyst")],
        password=context.password,
    )


# ---------------------------------------------------------------- feedback plans


@dataclass(frozen=True)
class FeedbackPlan:
    """How one questionnaire's demo rounds are filled.

    ``per_agency`` is the responses per round from each agency at the default size;
    ``agency_links`` says whether the agency comes from the link (children, parents,
    action plans) or from the respondent's answer (practitioners, champions, audits).
    """

    slug: str
    per_agency: dict[str, int]
    agency_links: bool
    # First opening date of each version (newest wins); default: the newest version.
    versions_from: tuple[tuple[date, int], ...] = ()
    # Share of free-text answers left blank.
    skip_text: float = 0.15
    child_voice: bool = False


PLANS: tuple[FeedbackPlan, ...] = (
    FeedbackPlan("children", {"Children's Social Care": 22, "Early Help": 14, "Schools": 10}, True,
                 versions_from=((date(2019, 1, 1), 1), (date(2021, 1, 1), 2)), child_voice=True),
    FeedbackPlan("parents", {"Children's Social Care": 18, "Early Help": 14, "Community and Voluntary Sector": 9}, True),
    FeedbackPlan("practitioners", {"Schools": 22, "Children's Social Care": 20, "Early Help": 14, "Police": 12,
                                   "SCFT": 12, "WHSFT": 10, "SPFT": 9, "CCG": 9,
                                   "Community and Voluntary Sector": 9}, False, skip_text=0.25,
                 versions_from=((date(2019, 1, 1), 1), (date(2022, 7, 1), 2))),  # v2: skip logic (issue 15)
    FeedbackPlan("champions", {agency: 10 for agency in ("CCG", "SPFT", "SCFT", "WHSFT", "Schools", "Police",
                                                        "Children's Social Care", "Early Help")}, False,
                 skip_text=0.2),
)


def _rounds_in_window(plan: PlannedRound) -> PlannedRound:
    return PlannedRound(plan.label, max(plan.opens_on, DEMO_START), min(plan.closes_on, DEMO_END))


def planned_rounds(title: str, cadence: str) -> list[PlannedRound]:
    """The rounds ``cadence`` implies from July 2019 to June 2023 (the first and last cut to that window)."""
    return [_rounds_in_window(plan) for plan in plan_rounds(title, cadence, DEMO_START, DEMO_END)]


def default_size(questionnaires_dir: str | None = None) -> int:
    """Responses the demo makes at its default size (each plan's rounds by its questionnaire's cadence)."""
    cadences = {definition.slug: definition.cadence for definition in read_definitions(questionnaires_dir)}
    return sum(
        len(planned_rounds(plan.slug, cadences[plan.slug])) * sum(plan.per_agency.values())
        for plan in PLANS
        if plan.slug in cadences
    )


# ---------------------------------------------------------------- answers


def _weight(trend: str, t: float, opens_on: date, last: bool) -> float:
    """How common a topic with ``trend`` is in a round at position ``t`` (0 first, 1 last)."""
    if trend == "rise":
        return 0.25 + 1.5 * t
    if trend == "fall":
        return 1.75 - 1.5 * t
    if trend == "covid":
        return 1.6 if date(2020, 3, 1) <= opens_on <= date(2021, 12, 31) else 0.0
    if trend == "late":
        return 1.2 if opens_on >= date(2022, 1, 1) else 0.0
    if trend == "last":
        return 1.6 if last else 0.0
    return 1.0


@dataclass(frozen=True)
class Moment:
    """Where a round sits in the demo's four years."""

    t: float
    opens_on: date
    last: bool


def free_text(rng: random.Random, slug: str, key: str, moment: Moment, child_voice: bool) -> str | None:
    """A made-up answer to a free-text question at ``moment`` (None when the bank has none)."""
    topics = TEXT_BANK.get((slug, key))
    if not topics:
        return None
    weights = [weight * _weight(trend, moment.t, moment.opens_on, moment.last) for trend, weight, _ in topics]
    if not any(weights):
        return None
    first = rng.choices(range(len(topics)), weights)[0]
    parts = [rng.choice(topics[first][2])]
    if rng.random() < 0.3 and len(parts[0]) > 25:  # a bare "nothing" stands alone
        second = rng.choices(range(len(topics)), weights)[0]
        extra = rng.choice(topics[second][2])
        if second != first and len(extra) > 25:
            parts.append(extra)
    openers, closers = (CHILD_OPENERS, CHILD_CLOSERS) if child_voice else (ADULT_OPENERS, ADULT_CLOSERS)
    opener = rng.choice(openers)
    first_part = opener + (parts[0][0].lower() + parts[0][1:] if opener else parts[0][0].upper() + parts[0][1:])
    joiner = " and " if child_voice else ". "
    text = joiner.join([first_part] + [p if child_voice else p[0].upper() + p[1:] for p in parts[1:]])
    return text + ("" if child_voice and rng.random() < 0.5 else ".") + rng.choice(closers)


def _lerp(start: float, end: float, t: float) -> float:
    return start + (end - start) * t


# Option weights at the first and the last round, for closed questions whose answers move.
CHOICE_TRENDS: dict[str, dict[str, tuple[float, float]]] = {
    "knew_about_cp_plan": {"Yes": (0.35, 0.7), "No": (0.45, 0.15), "I'm not sure": (0.2, 0.15)},
    "knows_social_worker_name": {"Yes": (0.5, 0.8), "No": (0.35, 0.1), "I'm not sure": (0.15, 0.1)},
    "part_of_safety_planning": {"Yes": (0.2, 0.45), "A bit": (0.3, 0.3), "No": (0.4, 0.15), "I'm not sure": (0.1, 0.1)},
    "age_band": {"7 or under": (0.05, 0.05), "8 to 11": (0.35, 0.35), "12 to 15": (0.4, 0.4),
                 "16 or over": (0.15, 0.15), "I'd rather not say": (0.05, 0.05)},
    "role": {"Front-line practitioner": (0.55, 0.5), "Team manager or supervisor": (0.15, 0.15),
             "Senior manager": (0.05, 0.05), "Neglect Champion": (0.05, 0.12),
             "Designated safeguarding lead": (0.15, 0.13), "Other": (0.05, 0.05)},
    "overall_rag": {"Red": (0.3, 0.05), "Amber": (0.55, 0.45), "Green": (0.15, 0.5)},
    "__yes_partly_no__": {"Yes": (0.4, 0.65), "Partly": (0.35, 0.25), "No": (0.25, 0.1)},
}
# Mean of each 1-5 scale at the first and the last round.
SCALE_TRENDS: dict[str, tuple[float, float]] = {
    "strategy_knowledge": (2.2, 3.9),
    "confidence_recognising": (3.3, 4.2),
    "confidence_responding": (3.0, 4.0),
    "confidence_using_tools": (2.3, 3.8),
}
# Chance of ticking each option at the first and the last round.
TICK_TRENDS: dict[str, tuple[float, float]] = {
    # the neglect tools used
    "Day in my life": (0.15, 0.55), "So what do we know, next steps": (0.1, 0.4), "Chronology": (0.45, 0.7),
    "Assessment checklist": (0.2, 0.5), "Parent/child observation": (0.15, 0.35),
    "Strengths and Difficulties Questionnaire (SDQ)": (0.2, 0.3),
    # successes
    "An increase in the use of the neglect tools": (0.25, 0.7),
    "An increase in the uptake of advice from the Neglect Champions": (0.2, 0.6), "Other successes": (0.15, 0.2),
    # risks and barriers
    "Difficulty in recruiting Neglect Champions for the service": (0.2, 0.5),
    "Barriers to accessing specialist training for the Champions": (0.45, 0.15),
    "Ongoing examples of poor practice": (0.3, 0.2), "Other risks or barriers": (0.1, 0.15),
}


def closed_answer(rng: random.Random, question: Question, options: Sequence[str], moment: Moment,
                  index: int) -> str | None:
    """A made-up answer to a closed question, moving with the trends above; encoded for storage."""
    qtype = question.type
    if qtype == "short_text":
        return f"NA-{index + 1:02d}"
    if qtype == "scale_1_5":
        start, end = SCALE_TRENDS.get(question.key, (3.0, 3.5))
        return str(min(5, max(1, round(rng.gauss(_lerp(start, end, moment.t), 0.9)))))
    if qtype == "multiple_choice":
        ticked = [option for option in options if rng.random() < _lerp(*TICK_TRENDS.get(option, (0.0, 0.0)), moment.t)]
        if not ticked:
            ticked = [options[-1]]  # "None of these"
        return json.dumps(ticked, ensure_ascii=False)
    trend = CHOICE_TRENDS.get(question.key) or (CHOICE_TRENDS["__yes_partly_no__"] if qtype == "yes_partly_no" else None)
    if trend:
        weights = [_lerp(*trend.get(option, (0.1, 0.1)), moment.t) for option in options]
        return rng.choices(list(options), weights)[0]
    return rng.choice(list(options)) if options else None


# ---------------------------------------------------------------- bulk storage


def _insert_returning_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` into ``table`` in batches; their new ids, in the rows' order."""
    ids: list[int] = []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), BATCH_ROWS):
        ids.extend(session.execute(statement, rows[start:start + BATCH_ROWS]).scalars().all())
    return ids


def _insert(session: Session, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH_ROWS):
        session.execute(insert(table), rows[start:start + BATCH_ROWS])


def _column_values(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns if getattr(row, column.key) is not None}


def analyse_texts(context: DemoContext,
                  items: Iterable[tuple[int, int, str, str, datetime, bool, str]]) -> None:
    """Features and safeguarding screening of (answer id, response id, text, nothing_means, submitted,
    old, audience) items.

    Each distinct text is analysed once with the codebook in use and screened as its
    questionnaire's audience with the example bank (as when a response arrives); the
    feature and flag rows are then inserted in bulk. Flags from rounds before the last
    are marked as dealt with, as a working queue would be.
    """
    items = list(items)
    _analyse_distinct(context, {(text, nothing_means, audience) for *_ids, text, nothing_means, _s, _o, audience in items})
    features, flags = [], []
    for answer_id, response_id, text, nothing_means, submitted_at, old, audience in items:
        values, concern = context._analysed[(text, nothing_means, audience)]
        features.append({**values, "answer_id": answer_id, "computed_at": submitted_at})
        if concern.flagged:
            flag = _column_values(flag_row(SimpleNamespace(id=answer_id, response_id=response_id), concern))
            flag.update(flagged_at=submitted_at, status=FlagStatus.NEW, action_by=None, action_at=None, action_note=None)
            if old:  # earlier rounds' flags have been dealt with, as in a working queue
                flag.update(status=FlagStatus.ACKNOWLEDGED, action_by=DEMO_ADMIN, action_at=submitted_at + timedelta(hours=3),
                            action_note="Demo: read by the designated safeguarding lead; the child's social worker informed.")
            flags.append(flag)
    _insert(context.session, AnswerFeature.__table__, features)
    _insert(context.session, SafeguardingFlag.__table__, flags)
    context.flags += len(flags)


def _analyse_distinct(context: DemoContext, texts: set[tuple[str, str, str]]) -> None:
    """Features (labelled by the sentiment model in use, as a real answer would be) and
    screening (as the audience's answer, with the example bank, as ``text_analysis.derive``
    screens a real one) of each (text, nothing_means, audience) not analysed yet, kept in
    ``context._analysed``."""
    new = sorted(texts - context._analysed.keys())
    if not new:
        return
    codebook, _saved = current_codebook(context.session)
    rules, bank = concern_rules(), concern_bank()
    # features depend on the text alone, screening on its audience too: each computed once
    texts = sorted({(text, nothing_means) for text, nothing_means, _audience in new})
    found = relabel([(text_features(text, codebook, nothing_means=nothing_means), text, nothing_means)
                     for text, nothing_means in texts], *sentiment_model(context.session))
    rows = {key: _column_values(feature_row(0, features)) for key, features in zip(texts, found)}
    for text, nothing_means, audience in new:
        context._analysed[(text, nothing_means, audience)] = (
            rows[(text, nothing_means)], screen(text, rules, audience=audience, bank=bank))


# Answers per agency, round and question that the demo always leaves: comfortably above the
# suppression threshold (5), so no main page of the demo shows "fewer than 5".
MIN_ANSWERS = 8


def _skipped(rng: random.Random, plan: FeedbackPlan, question: Question, group_size: int) -> set[int]:
    """Which of one agency's respondents in a round leave ``question`` blank.

    Some do, as people skip questions, but never so many that fewer than MIN_ANSWERS answer.
    """
    if question.required or question.type == "agency":
        return set()
    share = plan.skip_text if question.type in TEXT_TYPES else 0.05
    count = min(round(group_size * share), max(0, group_size - MIN_ANSWERS))
    return set(rng.sample(range(group_size), count))


def _version_for(questionnaire: Questionnaire, plan: FeedbackPlan, opens_on: date) -> QuestionnaireVersion:
    wanted = questionnaire.latest_version().version
    for since, number in plan.versions_from:
        if opens_on >= since:
            wanted = number
    return next(v for v in questionnaire.versions if v.version == wanted)


def seed_feedback(context: DemoContext, plan: FeedbackPlan) -> str:
    """Closed rounds of ``plan.slug`` from July 2019 to June 2023, with links and answers."""
    session, rng = context.session, context.rng
    questionnaire = session.scalar(select(Questionnaire).where(Questionnaire.slug == plan.slug))
    if questionnaire is None or questionnaire.latest_version() is None:
        return f"{plan.slug}: not published, skipped"
    latest = questionnaire.latest_version()
    agencies = load_agencies(context.questionnaires_dir)
    schedule = planned_rounds(latest.title, latest.cadence.value)
    responses: list[dict] = []
    answer_rows: list[tuple[int, str, str, Question | None]] = []  # (response index, key, value, question)
    for position, planned in enumerate(schedule):
        version = _version_for(questionnaire, plan, planned.opens_on)
        closed_at = datetime.combine(planned.closes_on, clock(17, 0), tzinfo=timezone.utc)
        round_ = Round(version=version, label=planned.label, opens_on=planned.opens_on, closes_on=planned.closes_on,
                       status=RoundStatus.CLOSED, closed_at=closed_at, created_at=closed_at - timedelta(days=40))
        session.add(round_)
        groups = {agency: context.count(base) for agency, base in plan.per_agency.items()}
        links = _demo_links(session, round_, groups, plan.agency_links)
        moment = Moment(position / max(1, len(schedule) - 1), planned.opens_on, position == len(schedule) - 1)
        days = (planned.closes_on - planned.opens_on).days + 1
        index = 0
        for agency, size in groups.items():
            skips = {question.key: _skipped(rng, plan, question, size) for question in version.questions}
            link = links[agency if plan.agency_links else None]
            for member in range(size):
                submitted = datetime.combine(planned.opens_on + timedelta(days=rng.randrange(days)),
                                             clock(rng.randrange(8, 21), rng.randrange(60)), tzinfo=timezone.utc)
                response_index = len(responses)
                responses.append({"round_id": round_.id, "link_id": link.id, "agency": agency, "source": DEMO_SOURCE,
                                  "submitted_at": submitted})
                given = {}
                for question in version.questions:
                    value = None if member in skips[question.key] else _answer(rng, plan, question, agencies, agency, moment, index)
                    if value is not None:
                        given[question.key] = value
                kept = without_hidden(version.questions, given)  # as the form does: a hidden question is not answered
                answer_rows.extend((response_index, question.key, kept[question.key], question)
                                   for question in version.questions if question.key in kept)
                index += 1
    response_ids = _insert_returning_ids(session, Response.__table__, responses)
    answer_ids = _insert_returning_ids(
        session, Answer.__table__,
        [{"response_id": response_ids[r], "question_key": key, "value": value} for r, key, value, _q in answer_rows],
    )
    last_round = responses[-1]["round_id"] if responses else None
    analyse_texts(context, (
        (answer_id, response_ids[r], value, (question.settings or {}).get("nothing_means", "positive"),
         responses[r]["submitted_at"], responses[r]["round_id"] != last_round, question.version.audience)
        for answer_id, (r, _key, value, question) in zip(answer_ids, answer_rows)
        if question.type in TEXT_TYPES
    ))
    session.commit()
    context.responses += len(responses)
    context.answers += len(answer_rows)
    return f"{latest.title} ({plan.slug}): {len(schedule)} rounds, {len(responses):,} responses"


def _demo_links(session: Session, round_: Round, groups: dict[str | None, int],
                agency_links: bool) -> dict[str | None, ShareLink]:
    """The round's demo links (one per agency, or one open link) keyed by agency, flushed so they have ids."""
    links: dict[str | None, ShareLink] = {}
    for agency in (groups if agency_links else [None]):
        links[agency] = ShareLink(round=round_, token=new_token(), kind=LinkKind.AGENCY if agency else LinkKind.OPEN,
                                  agency=agency, label="Demo link", created_at=round_.created_at,
                                  response_count=groups[agency] if agency else sum(groups.values()))
        session.add(links[agency])
    session.flush()
    return links


def _answer(rng: random.Random, plan: FeedbackPlan, question: Question, agencies: list[str], agency: str | None,
            moment: Moment, index: int) -> str | None:
    if question.type == "agency":
        return agency
    if question.key == "used_toolkit":  # most practitioners have used the toolkit
        return "Yes" if rng.random() < 0.8 else rng.choice(["No", "Not sure"])
    if question.type == "long_text":
        if question.key.endswith("_evidence"):
            return rng.choice(AUDIT_EVIDENCE[rng.choice(list(AUDIT_EVIDENCE))])
        return free_text(rng, plan.slug, question.key, moment, plan.child_voice)
    return closed_answer(rng, question, answer_options(question.type, question.options, agencies), moment, index)


# ---------------------------------------------------------------- the seeders


def _seed_questionnaires(context: DemoContext) -> str:
    report = sync_questionnaires(context.session, context.questionnaires_dir)
    return f"Questionnaires: {len(report.published)} published" if report.published else ""


def _seed_staff(context: DemoContext) -> str:
    for email, role in ((DEMO_ADMIN, "admin"), (DEMO_ANALYST, "analyst")):
        create_user(context.session, email, context.password, role)
    return f"Staff: {DEMO_ADMIN} (admin), {DEMO_ANALYST} (analyst)"


register_seeder("questionnaires", "Publish the shipped questionnaires", _seed_questionnaires)
register_seeder("staff", "Demo staff accounts: an admin and an analyst", _seed_staff)
for _plan in PLANS:
    register_seeder(_plan.slug, f"Rounds and answers of '{_plan.slug}'", lambda context, plan=_plan: seed_feedback(context, plan))


# The agencies' quarterly action-plan returns (named, RAG-rated), the twice-yearly audits,
# indicator figures and actions, ending with the demo's last quarter (to June 2023).
EVIDENCE_DEMO_TODAY = date(2023, 7, 22)


def _seed_evidence(context: DemoContext) -> str:
    from .evidence.demo import seed_evidence_demo

    before = context.session.scalar(select(func.max(Response.id))) or 0
    done = seed_evidence_demo(context.session, today=EVIDENCE_DEMO_TODAY)
    added = list(context.session.scalars(select(Response.id).where(Response.id > before)))
    context.flags += analyse_stored_responses(context.session, added)
    context.responses += len(added)
    return (f"Evidence: {done.action_plan_returns} action-plan returns over {done.action_plan_rounds} quarters, "
            f"{done.audit_returns} audited cases in {done.audit_rounds} rounds, "
            f"{done.indicator_values} indicator figures, {done.actions} actions")


register_seeder("evidence", "Action-plan returns, audits, indicator figures and actions", _seed_evidence)
