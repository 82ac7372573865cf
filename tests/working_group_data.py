"""Realistic answers for the Working Group's pages: a data builder for the tests.

``seed_working_group_data(app)`` publishes nothing itself (the app must have the shipped
questionnaires synced) and stores, through the same path as a respondent's answers
(``derive`` then ``store_response``):

* children: three rounds of version 1 (2019-2021) and two of version 2 (2022-2023),
  about 30 answers each, in which "practical needs" rises, "being listened to" falls
  and "vaping" is talked about only in the last round; a few answers carry a small
  agency (so quotes must withhold it);
* practitioners: two rounds (2022 H1 and H2) of about 40 answers across agencies, with
  1-5 scales whose answers improve, role and tools questions;
* one practitioners' round of only 3 answers (suppressed whole).

Everything is drawn from a seeded ``random.Random``, so the data are the same every run.
The builder returns a :class:`SeededData` that names the rounds and the pages worth
visiting; a demo data set (``feedback-app demo``) can later replace the answers by
implementing the same ``answers`` callables, leaving the tests as they are.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from feedback_app.db import db
from feedback_app.models import Round

AnswerMaker = Callable[[random.Random, int, int], dict[str, str]]

HELPED = [
    "My social worker listened to me and came back when she said she would",
    "School was a safe place where I could talk to my teacher",
    "Having food in the cupboard and clean clothes for school",
    "The family support worker helped mum with the shopping and the bills",
    "I knew who my social worker was and I could ring her",
    "Going to the youth club on Fridays with my friends",
    "The nurse checked my teeth and got me new glasses",
]
NOT_HELPED = [
    "My social worker kept changing so I had to tell my story again",
    "Nobody listened to me in the meetings",
    "There was no food at home at the weekend",
    "I was hungry at school and my uniform was too small",
    "We had no heating and the house was cold all winter",
    "The meetings were long and I did not understand the words",
    "I did not know what the plan was or why people came",
]
BETTER = [
    "Talk to me on my own and not just to my mum",
    "Help with food and clothes sooner",
    "Keep the same social worker",
    "Explain the plan in words I understand",
    "More help with vaping at school because everyone does it",
    "A free bus pass so I can get to school",
    "Somewhere safe to go after school",
]
VAPING = [
    "Older kids sell vapes near the school gates and I started vaping",
    "Vaping makes me feel sick but everyone at school vapes",
]
BARRIERS = [
    "Caseloads are too high to use the tools properly",
    "The chronology tool takes too long to complete on our system",
    "Parents do not engage with the assessment checklist",
    "We have not had training on the Howe model yet",
    "Thresholds for early help are unclear between agencies",
    "Supervision is cancelled when the team is short of staff",
    "The day in my life tool works well with younger children",
]
CHANGES = [
    "We now discuss neglect in every supervision",
    "The neglect champion runs a monthly clinic for the team",
    "We use the graded care profile for every new case",
    "Nothing has changed in our team yet",
    "Multi-agency meetings happen sooner than before",
]
SMALL_AGENCY = "Community and Voluntary Sector"


def _children(version: int, vaping: bool, weight: float) -> AnswerMaker:
    """Answers to the children's questionnaire; ``weight`` tilts towards practical needs."""

    def make(rng: random.Random, round_number: int, n: int) -> dict[str, str]:
        not_helped = NOT_HELPED[2:4] if rng.random() < weight else rng.choice([NOT_HELPED[:2], NOT_HELPED[4:]])
        answer: dict[str, str] = {
            "what_helped": f"{rng.choice(HELPED)}. {rng.choice(HELPED)}",
            "what_did_not_help": f"{rng.choice(not_helped)}",
            "what_could_be_better": rng.choice(VAPING if vaping and n % 3 == 0 else BETTER),
            "age_band": rng.choice(["8 to 11", "8 to 11", "12 to 15", "12 to 15", "16 or over"]),
        }
        if version == 2:
            answer["knew_about_cp_plan"] = rng.choice(["Yes", "Yes", "No", "I'm not sure"])
            answer["knows_social_worker_name"] = rng.choice(["Yes", "Yes", "Yes", "No", "I'm not sure"])
            answer["part_of_safety_planning"] = rng.choice(["Yes", "No", "A bit", "A bit"])
        return answer

    return make


def _practitioners(shift: int) -> AnswerMaker:
    """Answers to the practitioners' consultation; ``shift`` raises the scales."""

    def scale(rng: random.Random) -> str:
        return str(min(5, max(1, rng.choice([2, 3, 3, 4]) + shift - (1 if rng.random() < 0.2 else 0))))

    def make(rng: random.Random, round_number: int, n: int) -> dict[str, str]:
        return {
            "role": rng.choice(["Front-line practitioner", "Front-line practitioner", "Team manager or supervisor",
                                "Neglect Champion"]),
            "strategy_knowledge": scale(rng),
            "strategy_knowledge_comments": "I read the strategy on the partnership website and at team briefings",
            "tools_used": json.dumps(rng.sample(["Day in my life", "Chronology", "Assessment checklist",
                                                 "Parent/child observation"], 2)),
            "tools_barriers": rng.choice(BARRIERS),
            "intervention_barriers": rng.choice(BARRIERS),
            "operational_changes": rng.choice(CHANGES),
            "confidence_recognising": scale(rng),
            "confidence_responding": scale(rng),
            "confidence_using_tools": scale(rng),
        }

    return make


@dataclass(frozen=True)
class RoundPlan:
    """One round to create and fill."""

    slug: str
    version: int
    label: str
    opens_on: date
    closes_on: date
    answers: AnswerMaker
    count: int
    agencies: tuple[str | None, ...] = (None,)


@dataclass
class SeededData:
    """What the builder made: round ids by label, and the analysis pages worth visiting."""

    rounds: dict[str, int] = field(default_factory=dict)
    questions: dict[str, list[str]] = field(default_factory=dict)


PRACTITIONER_AGENCIES = ("Schools", "Police", "Children's Social Care", "Early Help", "SCFT")

PLANS = [
    RoundPlan("children", 1, "Voice of the child 2019", date(2019, 7, 1), date(2019, 9, 30),
              _children(1, False, 0.2), 30),
    RoundPlan("children", 1, "Voice of the child 2020", date(2020, 7, 1), date(2020, 9, 30),
              _children(1, False, 0.35), 30),
    RoundPlan("children", 1, "Voice of the child 2021", date(2021, 7, 1), date(2021, 9, 30),
              _children(1, False, 0.5), 32),
    RoundPlan("children", 2, "Voice of the child 2022", date(2022, 7, 1), date(2022, 9, 30),
              _children(2, False, 0.6), 30),
    RoundPlan("children", 2, "Voice of the child 2023", date(2023, 4, 1), date(2099, 6, 30),
              _children(2, True, 0.7), 36, ("Children's Social Care",) * 11 + (SMALL_AGENCY,)),
    RoundPlan("practitioners", 1, "Practitioner consultation 2022 H1", date(2022, 1, 1), date(2022, 6, 30),
              _practitioners(0), 40, PRACTITIONER_AGENCIES),
    RoundPlan("practitioners", 1, "Practitioner consultation 2022 H2", date(2022, 7, 1), date(2022, 12, 31),
              _practitioners(1), 45, PRACTITIONER_AGENCIES),
    RoundPlan("practitioners", 1, "Practitioner consultation 2023 H1", date(2023, 1, 1), date(2099, 6, 30),
              _practitioners(1), 3, ("Police",)),
]


def seed_working_group_data(app, plans: list[RoundPlan] | None = None, seed: int = 2019) -> SeededData:
    """Create and fill the rounds of ``plans`` (default :data:`PLANS`) in ``app``'s database.

    Needs the shipped questionnaires published (the ``synced`` fixture). Returns what was made.
    """
    from feedback_app.insights.data import question_catalogue
    from feedback_app.models import questionnaire_by_slug
    from feedback_app.responses import store_response
    from feedback_app.rounds import create_round, find_version
    from feedback_app.text_analysis import current_codebook, derive

    rng = random.Random(seed)
    made = SeededData()
    with app.app_context():
        codebook, _saved = current_codebook(db.session)
        for plan in plans or PLANS:
            db.session.rollback()  # end the read transaction, so this session may write (SQLite)
            round_ = create_round(db.session, find_version(db.session, plan.slug, plan.version), plan.label,
                                  plan.opens_on, plan.closes_on)
            round_ = db.session.get(Round, round_.id)
            questions = {q.key: q for q in round_.version.questions}
            made.rounds[plan.label] = round_.id
            for n in range(plan.count):
                values = {k: v for k, v in plan.answers(rng, len(made.rounds), n).items() if k in questions}
                agency = plan.agencies[n % len(plan.agencies)]
                if "agency" in questions and agency:
                    values["agency"] = agency
                derived = derive(questions, values, codebook)
                with db.write_session() as session:
                    store_response(session, round_.id, values, agency=agency, derived=derived)
        for slug in {plan.slug for plan in plans or PLANS}:
            questionnaire = questionnaire_by_slug(db.session, slug)
            made.questions[slug] = [q.key for q in question_catalogue(db.session, questionnaire.id)]
    return made
