"""Answers out of the database in the shape ``analysis.compare`` expects.

Dashboards aggregate the features stored when each answer arrived; nothing here
re-analyses text. :func:`load_answers` is one SQL query whose rows become a DataFrame
directly, so even 100,000 answers load in a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Collection, Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.compare import ANSWER_COLUMNS

from ..definitions import TEXT_TYPES
from ..models import (
    Answer,
    AnswerFeature,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Round,
)


@dataclass(frozen=True)
class RoundSummary:
    """One round of a questionnaire, its place in time order and its response count."""

    id: int
    label: str
    version: int
    opens_on: date
    closes_on: date
    status: str
    order: int
    responses: int


@dataclass(frozen=True)
class QuestionSummary:
    """One question key of a questionnaire across its versions (wording from the newest)."""

    key: str
    text: str
    type: str
    options: tuple[str, ...] = ()
    versions: tuple[int, ...] = field(default_factory=tuple)

    @property
    def free_text(self) -> bool:
        """True for long and short text questions (themes and sentiment apply)."""
        return self.type in TEXT_TYPES


def questionnaire_rounds(session: Session, questionnaire_id: int) -> list[RoundSummary]:
    """The questionnaire's rounds in time order (opening date, then id), with response counts."""
    counts = (
        select(Response.round_id, func.count(Response.id).label("n"))
        .group_by(Response.round_id)
        .subquery()
    )
    rows = session.execute(
        select(Round.id, Round.label, QuestionnaireVersion.version, Round.opens_on, Round.closes_on,
               Round.status, func.coalesce(counts.c.n, 0))
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .outerjoin(counts, counts.c.round_id == Round.id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(Round.opens_on, Round.id)
    ).all()
    return [
        RoundSummary(id=rid, label=label, version=version, opens_on=opens, closes_on=closes,
                     status=getattr(status, "value", status), order=order, responses=int(n))
        for order, (rid, label, version, opens, closes, status, n) in enumerate(rows)
    ]


def rounds_between(rounds: Sequence[RoundSummary], from_id: int | None, to_id: int | None) -> list[RoundSummary]:
    """The rounds from ``from_id`` to ``to_id`` inclusive, in time order (either end may be open).

    Ends the wrong way round are swapped; an unknown id leaves that end open.
    """
    orders = {r.id: r.order for r in rounds}
    low = orders.get(from_id, 0) if from_id is not None else 0
    high = orders.get(to_id, len(rounds) - 1) if to_id is not None else len(rounds) - 1
    low, high = min(low, high), max(low, high)
    return [r for r in rounds if low <= r.order <= high]


def question_catalogue(session: Session, questionnaire_id: int) -> list[QuestionSummary]:
    """Every question key asked in any version, ordered as in the newest version that asks it."""
    rows = session.execute(
        select(Question.key, Question.text, Question.type, Question.options, Question.position,
               QuestionnaireVersion.version)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Question.version_id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.version.desc(), Question.position)
    ).all()
    newest: dict[str, tuple] = {}
    versions: dict[str, list[int]] = {}
    for key, text, qtype, options, position, version in rows:
        newest.setdefault(key, (text, qtype, tuple(options or ()), version, position))
        versions.setdefault(key, []).append(version)
    ordered = sorted(newest.items(), key=lambda item: (-item[1][3], item[1][4]))
    return [
        QuestionSummary(key=key, text=text, type=qtype, options=options, versions=tuple(sorted(versions[key])))
        for key, (text, qtype, options, _version, _position) in ordered
    ]


def questionnaire_agencies(session: Session, questionnaire_id: int) -> list[str]:
    """The agencies that responses to this questionnaire carry, alphabetically."""
    return list(
        session.scalars(
            select(Response.agency)
            .distinct()
            .join(Round, Round.id == Response.round_id)
            .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
            .where(QuestionnaireVersion.questionnaire_id == questionnaire_id, Response.agency.is_not(None))
            .order_by(Response.agency)
        )
    )


def load_answers(
    session: Session,
    slug: str,
    question_key: str | None = None,
    *,
    agency: str | None = None,
    round_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The answers to questionnaire ``slug`` as a frame with ``analysis.compare.ANSWER_COLUMNS``.

    One row per answer, ordered by round then answer, optionally only for ``question_key``,
    one ``agency`` and the rounds in ``round_ids``. ``round_order`` is the round's place
    by (opening date, id). Free-text answers carry their stored ``polarity``, ``label``
    and ``themes`` (NaN / None / [] when not analysed yet, and for closed questions).
    Runs one query; an unknown slug gives an empty frame.
    """
    query = (
        select(
            Answer.response_id,
            Response.round_id,
            Round.label,
            Round.opens_on,
            Answer.question_key,
            Response.agency,
            Answer.value,
            AnswerFeature.polarity,
            AnswerFeature.label,
            AnswerFeature.themes,
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Questionnaire.slug == slug)
        .order_by(Round.opens_on, Round.id, Answer.id)
    )
    if question_key is not None:
        query = query.where(Answer.question_key == question_key)
    if agency:
        query = query.where(Response.agency == agency)
    if round_ids is not None:
        query = query.where(Round.id.in_(list(round_ids)))
    rows = session.execute(query).all()
    frame = pd.DataFrame.from_records(
        rows,
        columns=["response_id", "round_id", "round_label", "opens_on", "question_key", "agency",
                 "value", "polarity", "label", "themes"],
    )
    # Rows arrive in round order, so a round's first row gives its place.
    round_ids_in_order = frame["round_id"].drop_duplicates()
    order = pd.Series(range(len(round_ids_in_order)), index=round_ids_in_order.to_numpy())
    frame["round_order"] = frame["round_id"].map(order).astype("int64")
    frame["polarity"] = frame["polarity"].astype("float64")
    frame["themes"] = [t if isinstance(t, list) else [] for t in frame["themes"]]
    return frame[list(ANSWER_COLUMNS)]
