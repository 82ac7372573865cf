"""Analysts' coding of answers: store a code, read the newest code, draw a sample to code.

A code never overwrites the computed features: it is a row of its own (who, when), and
analysis reads the newest code of an answer where there is one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from analysis.agreement import Agreement, Code, agreement
from analysis.sentiment import LABELS

from ..definitions import TEXT_TYPES
from .models_store import describe_analyser
from ..models import Answer, AnswerFeature, Coding, Question, Response, Round
from ..tallies import kept_tallies


class CodingError(ValueError):
    """A code cannot be stored; the message says why."""


@dataclass(frozen=True)
class AnswerToCode:
    """One answer as the coding page shows it."""

    answer_id: int
    text: str
    question_key: str
    round_label: str
    computed_label: str | None
    computed_themes: list[str]
    coded: Coding | None
    #: what labelled the computed sentiment, e.g. "sentiment model version 2" or "the lexicon rules"
    computed_by: str = ""


def save_coding(session: Session, answer_id: int, sentiment: str | None, themes: list[str] | None,
                coder: str, known_themes: set[str], source: str = "app") -> Coding:
    """Store ``coder``'s code of answer ``answer_id`` (commits). Raises :class:`CodingError`
    for an unknown answer, label or theme, or a code with neither sentiment nor themes."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        raise CodingError(f"there is no answer {answer_id}")
    if sentiment is not None and sentiment not in LABELS:
        raise CodingError(f"unknown sentiment {sentiment!r}")
    unknown = sorted(set(themes or []) - known_themes)
    if unknown:
        raise CodingError(f"unknown theme(s): {', '.join(unknown)}")
    if sentiment is None and themes is None:
        raise CodingError("choose a sentiment or confirm the themes")
    coding = Coding(answer_id=answer_id, text=answer.value, sentiment=sentiment,
                    themes=list(themes) if themes is not None else None, coder=coder, source=source)
    with kept_tallies(session, [answer_id]):  # issue 13 item 2: the code changes what analysis counts
        session.add(coding)
    session.commit()
    return coding


def newest_codings(session: Session, answer_ids: list[int]) -> dict[int, Coding]:
    """The code in force of each of ``answer_ids`` that has one: the newest agreed code, else the newest."""
    if not answer_ids:
        return {}
    rows = session.scalars(select(Coding).where(Coding.answer_id.in_(answer_ids))
                           .order_by(Coding.source == "agreed", Coding.id))
    return {row.answer_id: row for row in rows}


def newest_coding_query():
    """A subquery of the code of each coded answer that analysis uses: the newest agreed
    code, else the newest code; columns ``answer_id``, ``sentiment``, ``themes``.

    For analysis queries to prefer the coded value over the computed one (outer join on
    ``answer_id``).
    """
    newest = (select(Coding.answer_id,
                     func.coalesce(func.max(case((Coding.source == "agreed", Coding.id))), func.max(Coding.id)).label("id"))
              .where(Coding.answer_id.is_not(None)).group_by(Coding.answer_id).subquery())
    return (select(Coding.answer_id, Coding.sentiment, Coding.themes)
            .join(newest, newest.c.id == Coding.id).subquery("newest_coding"))


def answer_to_code(session: Session, answer_id: int, coder: str | None = None) -> AnswerToCode | None:
    """The answer ``answer_id`` with its computed features and newest code, or None.

    With ``coder`` (blind coding) only that coder's own code is shown.
    """
    row = session.execute(
        select(Answer, Round.label, AnswerFeature.label, AnswerFeature.themes, AnswerFeature.analyser_version)
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Answer.id == answer_id)
    ).first()
    if row is None:
        return None
    answer, round_label, label, themes, analyser_version = row
    coded = (codes_by_coder(session, coder).get(answer.id) if coder
             else newest_codings(session, [answer.id]).get(answer.id))
    return AnswerToCode(answer.id, answer.value, answer.question_key, round_label, label, list(themes or []), coded,
                        describe_analyser(analyser_version) if analyser_version else "")


def next_to_code(session: Session, rng: random.Random | None = None, exclude: set[int] | None = None) -> int | None:
    """A random uncoded free-text answer, stratified: drawn from the computed sentiment label
    with the fewest coded answers so far, so a sample covers every label. None when every
    answer is coded. With ``exclude``, only those answers count as coded."""
    rng = rng or random.SystemRandom()
    base = (
        select(Answer.id, AnswerFeature.label)
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Question, and_(Question.version_id == Round.version_id, Question.key == Answer.question_key))
        .join(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Question.type.in_(TEXT_TYPES))
    )
    coded_ids = exclude if exclude is not None else set(
        session.scalars(select(Coding.answer_id).where(Coding.answer_id.is_not(None))))
    strata: dict[str, list[int]] = {}
    coded_per_label: dict[str, int] = {}
    for answer_id, label in session.execute(base):
        if answer_id in coded_ids:
            coded_per_label[label] = coded_per_label.get(label, 0) + 1
        else:
            strata.setdefault(label, []).append(answer_id)
    if not strata:
        return None
    fewest = min(coded_per_label.get(label, 0) for label in strata)
    label = rng.choice(sorted(label for label in strata if coded_per_label.get(label, 0) == fewest))
    return rng.choice(strata[label])


def next_to_code_blind(session: Session, coder: str, rng: random.Random | None = None) -> int | None:
    """For a second coder: an answer another coder has coded and ``coder`` has not (so both
    code the same sample), else any answer ``coder`` has not coded; None when none is left."""
    rng = rng or random.SystemRandom()
    rows = session.execute(select(Coding.answer_id, Coding.coder).where(Coding.answer_id.is_not(None),
                                                                        Coding.source == "app")).all()
    mine = {answer_id for answer_id, who in rows if who == coder}
    others = sorted({answer_id for answer_id, who in rows if who != coder} - mine)
    if others:
        return rng.choice(others)
    return next_to_code(session, rng, exclude=mine)


def codes_by_coder(session: Session, coder: str) -> dict[int, Coding]:
    """``coder``'s newest code of each answer they coded in the app."""
    rows = session.scalars(select(Coding).where(Coding.coder == coder, Coding.source == "app",
                                                Coding.answer_id.is_not(None)).order_by(Coding.coded_at, Coding.id))
    return {row.answer_id: row for row in rows}


def coders(session: Session) -> list[str]:
    """Everyone who has coded answers in the app."""
    return sorted(session.scalars(select(Coding.coder).where(Coding.source == "app").distinct()))


def two_coder_agreement(session: Session, first: str, second: str, themes: list[str]) -> Agreement:
    """Agreement of coders ``first`` and ``second`` on the answers both coded in the app."""
    def codes(coder: str) -> dict[int, Code]:
        return {answer_id: Code(c.sentiment, frozenset(c.themes or ()))
                for answer_id, c in codes_by_coder(session, coder).items()}

    return agreement(codes(first), codes(second), themes)


def answer_texts(session: Session, answer_ids: list[int]) -> dict[int, str]:
    """The text of each answer in ``answer_ids``."""
    if not answer_ids:
        return {}
    return dict(session.execute(select(Answer.id, Answer.value).where(Answer.id.in_(answer_ids))).all())


def agreed_codes(session: Session, answer_ids: list[int]) -> dict[int, Coding]:
    """The newest agreed final code of each of ``answer_ids`` that has one."""
    if not answer_ids:
        return {}
    rows = session.scalars(select(Coding).where(Coding.answer_id.in_(answer_ids), Coding.source == "agreed")
                           .order_by(Coding.coded_at, Coding.id))
    return {row.answer_id: row for row in rows}


@dataclass(frozen=True)
class Provenance:
    """What produced an analysis page's figures: the sentiment labeller and the coded answers."""

    labelled_by: str
    model_coded: int
    model_development: int
    coded_here: int
    answers_here: int


def analysis_provenance(session: Session, question_key: str, round_ids: list[int]) -> Provenance:
    """Which model labelled the sentiment of the answers to ``question_key`` in ``round_ids``
    (the one most of them were analysed with), how many coded answers trained it, and how
    many of the answers carry an analyst's code (used in place of the computed values)."""
    scope = (select(Answer.id).join(Response, Response.id == Answer.response_id)
             .where(Answer.question_key == question_key, Response.round_id.in_(list(round_ids))))
    versions = session.execute(
        select(AnswerFeature.analyser_version, func.count()).where(AnswerFeature.answer_id.in_(scope))
        .group_by(AnswerFeature.analyser_version)).all()
    coded_here = session.scalar(select(func.count(func.distinct(Coding.answer_id)))
                                .where(Coding.answer_id.in_(scope))) or 0
    return provenance_of(session, [(str(v), int(n)) for v, n in versions], coded_here)


def provenance_of(session: Session, versions: list[tuple[str, int]], coded_here: int) -> Provenance:
    """:class:`Provenance` of answers whose features were computed by each analyser version
    ``versions`` (version, answers) and of which ``coded_here`` carry an analyst's code."""
    from ..models import SentimentModelVersion
    from .models_store import describe_analyser, model_version_of, shipped_model

    analysed = sum(n for _v, n in versions)
    stored = max(versions, key=lambda row: row[1])[0] if versions else ""
    model = None
    version = model_version_of(stored) if stored else None
    if version:
        model = session.scalar(select(SentimentModelVersion).where(SentimentModelVersion.version == version))
    elif "+ship-" in stored:
        name, model = shipped_model()
        model = model if name and stored.endswith(name) else None
    return Provenance(describe_analyser(stored) if stored else "the lexicon rules",
                      model.n_coded if model else 0, model.n_development if model else 0, coded_here, analysed)


def round_agreement(session: Session, round_ids: list[int], themes: list[str]) -> list[tuple[str, str, Agreement]]:
    """Agreement of every pair of analysts who both coded answers of ``round_ids`` in the app."""
    rows = session.scalars(
        select(Coding).join(Answer, Answer.id == Coding.answer_id).join(Response, Response.id == Answer.response_id)
        .where(Response.round_id.in_(list(round_ids)), Coding.source == "app").order_by(Coding.coded_at, Coding.id))
    by_coder: dict[str, dict[int, Code]] = {}
    for row in rows:
        by_coder.setdefault(row.coder, {})[row.answer_id] = Code(row.sentiment, frozenset(row.themes or ()))
    names = sorted(by_coder)
    pairs = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            if set(by_coder[first]) & set(by_coder[second]):
                pairs.append((first, second, agreement(by_coder[first], by_coder[second], themes)))
    return pairs
