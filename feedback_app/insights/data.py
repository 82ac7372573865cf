"""Answers out of the database in the shape ``analysis.compare`` expects.

Dashboards aggregate the features stored when each answer arrived; nothing here
re-analyses text. :func:`load_answers` is one SQL query whose rows become a DataFrame
directly, so even 100,000 answers load in a fraction of a second.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Collection, Mapping, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import String, Text, case, cast, func, literal, select, type_coerce, union_all
from sqlalchemy.orm import Session

from analysis.compare import ANSWER_COLUMNS, ANSWERS_WEIGHT, TALLY_COLUMNS
from analysis.disclosure import RoundGroup
from analysis.wordclouds import CloudWords

from ..choice_tallies import RESPONSES, choice_counts, response_counts, round_counts
from ..coding.coding import Provenance, analysis_provenance, newest_coding_query, provenance_of
from ..definitions import TEXT_TYPES, is_identifier
from ..models import (
    Answer,
    AnswerFeature,
    AnswerTally,
    AnswerTheme,
    Coding,
    FeatureTally,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Round,
    TermTally,
)
from ..tallies import ALL_ANSWERS, LEMMA, PHRASE, PHRASE_USES, WRITTEN, effective_columns


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
    responses: int | None  # None: not counted (the comparison page shows no response counts)


@dataclass(frozen=True)
class QuestionSummary:
    """One question key of a questionnaire across its versions (wording from the newest)."""

    key: str
    text: str
    type: str
    options: tuple[str, ...] = ()
    versions: tuple[int, ...] = field(default_factory=tuple)
    # Words for the points of a 1-5 scale ({"1": "Not at all confident", ...}), from the newest version.
    scale_labels: dict[str, str] = field(default_factory=dict)
    # Versions whose re-wording was declared not comparable with the version before.
    breaks: tuple[int, ...] = field(default_factory=tuple)

    @property
    def free_text(self) -> bool:
        """True for long and short text questions (themes and sentiment apply)."""
        return self.type in TEXT_TYPES


def round_response_counts(session: Session, questionnaire_id: int) -> dict[int, int]:
    """Responses per round of the questionnaire (excluded junk bursts left out, issue 11);
    rounds without responses are absent. From their tallies and a live count of the newest
    (:func:`feedback_app.choice_tallies.response_counts`; issue 13: a grouped count over a
    million responses took 2 s)."""
    round_ids = session.scalars(select(Round.id).join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
                                .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)).all()
    return response_counts(session, round_ids)


def questionnaire_rounds(session: Session, questionnaire_id: int,
                         counts: Mapping[int, int] | None = None, *, count: bool = True) -> list[RoundSummary]:
    """The questionnaire's rounds in time order (opening date, then id), with response counts
    (``counts`` when the caller has them, e.g. from a cache; else :func:`round_response_counts`;
    None in each with ``count`` False: the count is a pass over the round's responses)."""
    if counts is None and count:
        counts = round_response_counts(session, questionnaire_id)
    rows = session.execute(
        select(Round.id, Round.label, QuestionnaireVersion.version, Round.opens_on, Round.closes_on, Round.status)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(Round.opens_on, Round.id)
    ).all()
    return [
        RoundSummary(id=rid, label=label, version=version, opens_on=opens, closes_on=closes,
                     status=getattr(status, "value", status), order=order,
                     responses=None if counts is None else int(counts.get(rid, 0)))
        for order, (rid, label, version, opens, closes, status) in enumerate(rows)
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
    """Every question key asked in any version, ordered as in the newest version that asks it
    (identifier questions such as a case reference left out)."""
    rows = session.execute(
        select(Question.key, Question.text, Question.type, Question.options, Question.position,
               QuestionnaireVersion.version, Question.comparable_with_previous, Question.settings)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Question.version_id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.version.desc(), Question.position)
    ).all()
    newest: dict[str, tuple] = {}
    versions: dict[str, list[int]] = {}
    breaks: dict[str, list[int]] = {}
    for key, text, qtype, options, position, version, comparable, settings in rows:
        if is_identifier(key, settings):
            continue  # a case reference identifies a case: never analysed, charted or quoted
        newest.setdefault(key, (text, qtype, tuple(options or ()), version, position,
                                dict((settings or {}).get("scale_labels") or {})))
        versions.setdefault(key, []).append(version)
        if not comparable:
            breaks.setdefault(key, []).append(version)
    ordered = sorted(newest.items(), key=lambda item: (-item[1][3], item[1][4]))
    return [
        QuestionSummary(key=key, text=text, type=qtype, options=options, versions=tuple(sorted(versions[key])),
                        breaks=tuple(sorted(breaks.get(key, ()))), scale_labels=labels)
        for key, (text, qtype, options, _version, _position, labels) in ordered
    ]


def questionnaire_agencies(session: Session, questionnaire_id: int) -> list[str]:
    """The agencies that responses to this questionnaire carry, alphabetically (in the
    database's order). Each round's are found by seeking its next agency on
    ``ix_responses_round_agency`` (one seek per round and agency), not by reading every
    response (issue 13, the cold comparison page)."""
    round_ids = session.scalars(select(Round.id).join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
                                .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)).all()
    found: set[str] = set()
    for round_id in round_ids:
        after = select(func.min(Response.agency)).where(Response.round_id == round_id)
        agency = session.scalar(after.where(Response.agency.is_not(None)))
        while agency is not None:
            found.add(agency)
            agency = session.scalar(after.where(Response.agency > agency))
    if len(found) < 2:
        return sorted(found)
    names = union_all(*(select(literal(name, String).label("agency")) for name in found)).subquery()
    return list(session.scalars(select(names.c.agency).order_by(names.c.agency)))


def response_groups(session: Session, questionnaire_id: int, agency: str,
                    round_ids: Collection[int] | None = None) -> list[RoundGroup]:
    """Per round of the questionnaire with responses (time order), responses from ``agency``
    and from everyone (excluded ones left out, as everywhere they are counted), from the
    response tallies (:func:`feedback_app.choice_tallies.response_counts`)."""
    rounds = questionnaire_rounds(session, questionnaire_id, count=False)
    if round_ids is not None:
        chosen = set(round_ids)
        rounds = [r for r in rounds if r.id in chosen]
    return _agency_groups(session, RESPONSES, agency, [(r.id, r.label) for r in rounds])


def _agency_groups(session: Session, question_key: str, agency: str,
                   rounds: Sequence[tuple[int, str]]) -> list[RoundGroup]:
    """Per (round id, label) of ``rounds`` that has any, the counted answers to
    ``question_key`` from ``agency`` and from everyone (:func:`round_counts`)."""
    ids = [rid for rid, _label in rounds]
    everyone, mine = round_counts(session, question_key, ids), round_counts(session, question_key, ids, agency)
    return [RoundGroup(str(label), mine.get(rid, 0), everyone[rid]) for rid, label in rounds if everyone.get(rid)]


def json_tuples(raws: list[str | None]) -> np.ndarray:
    """Each JSON text as a tuple of strings, in an object array (``()`` for no text or a
    JSON value that is not a list). Each distinct text is parsed once, and all of them by
    one ``json.loads`` call (as one JSON array) rather than one call each; rows with the
    same text share one tuple, which is safe because a tuple cannot be changed."""
    items = np.empty(len(raws), dtype=object)
    items[:] = raws
    codes, uniques = pd.factorize(items, use_na_sentinel=False)
    distinct = [raw if isinstance(raw, str) else None for raw in uniques]  # factorize reads None as NaN
    texts = [raw for raw in distinct if raw]
    try:
        parsed = json.loads("[" + ",".join(texts) + "]")
        if len(parsed) != len(texts):
            raise ValueError("not one JSON value per text")
    except ValueError:
        # Some text is not exactly one JSON value: parse them one at a time (raising as before).
        parsed = [json.loads(raw) for raw in texts]
    values = iter(parsed)
    tuples = np.empty(len(distinct), dtype=object)
    for i, raw in enumerate(distinct):
        value = next(values) if raw else None
        tuples[i] = tuple(map(str, value)) if isinstance(value, list) else ()
    return tuples[codes]


def _answers_query(slug: str, question_key: str | None, agency: str | None,
                   round_ids: Collection[int] | None, noun_phrases: bool):
    """The one query :func:`load_answers` runs (columns in its ``names`` order)."""
    coded = newest_coding_query()
    query = (
        select(
            Answer.response_id,
            Response.round_id,
            Round.label,
            # As the driver returns it (no per-row date parsing): only compared with itself.
            type_coerce(Round.opens_on, String),
            Answer.question_key,
            Response.agency,
            Answer.value,
            AnswerFeature.polarity,
            # The coded label and themes over the computed ones; themes as JSON text (every
            # driver): there are few distinct theme lists, each parsed once.
            *effective_columns(coded),
            *([cast(AnswerFeature.noun_phrases, Text)] if noun_phrases else []),
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .outerjoin(coded, coded.c.answer_id == Answer.id)
        .where(Questionnaire.slug == slug, Response.excluded.is_(False))  # excluded junk bursts stay out
    )
    if question_key is not None:
        query = query.where(Answer.question_key == question_key)
    if agency:
        query = query.where(Response.agency == agency)
    if round_ids is not None:
        query = query.where(Round.id.in_(list(round_ids)))
    return query


def load_answers(
    session: Session,
    slug: str,
    question_key: str | None = None,
    *,
    agency: str | None = None,
    round_ids: Collection[int] | None = None,
    noun_phrases: bool = False,
) -> pd.DataFrame:
    """The answers to questionnaire ``slug`` as a frame with ``analysis.compare.ANSWER_COLUMNS``.

    One row per answer, ordered by round then response, optionally only for ``question_key``,
    one ``agency`` and the rounds in ``round_ids``. ``round_order`` is the round's place
    by (opening date, id) among the rounds in the result. Free-text answers carry their
    stored ``polarity``, ``label`` and ``themes`` (NaN / None / ``()`` when not analysed
    yet, and for closed questions; themes are tuples, so rows may share one safely). With
    ``noun_phrases`` a further column holds each answer's stored noun phrases as tuples
    (for emerging phrases without re-analysing the text).
    Runs one query; an unknown slug gives an empty frame. An answer an analyst coded
    carries the newest coded label and themes instead of the computed ones.
    """
    query = _answers_query(slug, question_key, agency, round_ids, noun_phrases)
    # Core rather than ORM rows, plain tuples, sorting in pandas rather than in SQL:
    # the frame is built without per-row work in Python beyond one tuple() each.
    rows = [tuple(row) for row in session.connection().execute(query).all()]
    names = ["response_id", "round_id", "round_label", "opens_on", "question_key", "agency",
             "value", "polarity", "label", "themes"] + (["noun_phrases"] if noun_phrases else [])
    frame = pd.DataFrame(rows, columns=names)
    frame["themes"] = pd.Series(json_tuples([row[9] for row in rows]), index=frame.index, dtype="object")
    if noun_phrases:
        frame["noun_phrases"] = pd.Series(json_tuples([row[10] for row in rows]), index=frame.index,
                                          dtype="object")
    frame["polarity"] = pd.to_numeric(frame["polarity"]).astype("float64")
    rounds = frame[["opens_on", "round_id"]].drop_duplicates().sort_values(["opens_on", "round_id"])
    order = pd.Series(range(len(rounds)), index=rounds["round_id"].to_numpy(), dtype="int64")
    frame["round_order"] = frame["round_id"].map(order).astype("int64")
    frame = frame.sort_values(["round_order", "response_id"], kind="stable", ignore_index=True)
    return frame[list(ANSWER_COLUMNS) + (["noun_phrases"] if noun_phrases else [])]


def load_choice_counts(session: Session, slug: str, question_key: str,
                       round_ids: Collection[int], agency: str | None = None) -> pd.DataFrame:
    """A closed question's answers for its summary, from their counts (issue 13: the page and
    the report at a million answers; :func:`feedback_app.choice_tallies.choice_counts`): one
    row per round and value, with the columns a closed question's summary reads
    (``round_id, round_label, round_order, question_key, value``) and how many answers gave
    it (:data:`analysis.compare.ANSWERS_WEIGHT`), instead of a row per answer. Values come in
    the order :func:`load_answers` first meets them (by round, then first response), so
    options a definition does not list are ordered the same way. With ``agency``, that
    agency's answers alone."""
    rounds = session.execute(
        select(Round.id, Round.label, Round.opens_on)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Round.version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.slug == slug, Round.id.in_(list(round_ids)))).all()
    about = {rid: (label, opens) for rid, label, opens in rounds}
    counts = choice_counts(session, question_key, list(about), agency)
    groups = pd.DataFrame([(rid, about[rid][0], str(about[rid][1]), value, answers, first)
                           for (rid, value), (answers, first) in counts.items()],
                          columns=["round_id", "round_label", "opens_on", "value", "answers", "first"])
    ordered = groups[["opens_on", "round_id"]].drop_duplicates().sort_values(["opens_on", "round_id"])
    order = pd.Series(range(len(ordered)), index=ordered["round_id"].to_numpy(), dtype="int64")
    groups["round_order"] = groups["round_id"].map(order).astype("int64")
    groups["question_key"] = question_key
    groups = groups.sort_values(["round_order", "first"], kind="stable", ignore_index=True)
    groups[ANSWERS_WEIGHT] = groups["answers"].astype("int64")
    return groups[["round_id", "round_label", "round_order", "question_key", "value", ANSWERS_WEIGHT]]


# ---------------------------------------------------------------- from the tallies (issue 13 item 2)


@dataclass(frozen=True)
class TermCounts:
    """The phrase and word tallies of one question under a filter, summed in SQL when asked
    (their rows grow with the vocabulary, so they are never all read)."""

    session: Session
    question_key: str
    agency: str | None

    def _query(self, *columns, kind: str | tuple[str, ...], round_ids: Collection[int]):
        kinds = (kind,) if isinstance(kind, str) else kind
        query = select(*columns).where(TermTally.question_key == self.question_key, TermTally.kind.in_(kinds),
                                       TermTally.round_id.in_(list(round_ids)))
        return query.where(TermTally.agency == self.agency) if self.agency else query

    def emerging_candidates(self, latest: int, earlier: Collection[int],
                            min_count: int) -> tuple[dict[str, tuple[int, int]], tuple[int, int, int]]:
        """For :func:`analysis.emerging.rank_emerging_totals`: each phrase used in at least
        ``min_count`` answers of round ``latest``, with its uses there and in ``earlier``
        rounds, and the totals (uses in each, and whether two or more phrases are used at
        all: 2 stands for "two or more")."""
        rounds = [latest, *earlier]
        uses = self.session.execute(self._query(
            func.coalesce(func.sum(case((TermTally.round_id == latest, TermTally.answers), else_=0)), 0),
            func.coalesce(func.sum(case((TermTally.round_id != latest, TermTally.answers), else_=0)), 0),
            kind=PHRASE_USES, round_ids=rounds)).one()
        distinct = len(self.session.scalars(self._query(TermTally.term, kind=PHRASE, round_ids=rounds)
                                            .where(TermTally.answers > 0).distinct().limit(2)).all())
        # One pass over the question's phrases in term order (the covering ix_term_tallies_term:
        # no sort, no look-up per phrase), both sums at once (issue 13: half the time at 1M).
        now = func.sum(case((TermTally.round_id == latest, TermTally.answers), else_=0))
        before = func.sum(case((TermTally.round_id != latest, TermTally.answers), else_=0))
        candidates = {term: (int(n), int(b or 0)) for term, n, b in self.session.execute(
            self._query(TermTally.term, now, before, kind=PHRASE, round_ids=rounds)
            .group_by(TermTally.term).having(now >= min_count))}
        return candidates, (int(uses[0]), int(uses[1]), distinct)

    def rounds_with_words(self, round_ids: Collection[int], min_answers: int) -> set[int]:
        """The rounds of ``round_ids`` with a word used in at least ``min_answers`` answers."""
        per_word = self._query(TermTally.round_id, func.sum(TermTally.answers).label("answers"), kind=LEMMA,
                               round_ids=round_ids).group_by(TermTally.round_id, TermTally.term).subquery()
        return set(self.session.scalars(select(per_word.c.round_id).distinct()
                                        .where(per_word.c.answers >= max(1, min_answers))))

    def words(self, round_id: int) -> CloudWords:
        """The counted words of one round (uses and answers by lemma, and written forms)."""
        found = CloudWords()
        for kind, term, form, answers, uses in self.session.execute(
                self._query(TermTally.kind, TermTally.term, TermTally.form, func.sum(TermTally.answers),
                            func.sum(TermTally.uses), kind=(LEMMA, WRITTEN), round_ids=[round_id])
                .group_by(TermTally.kind, TermTally.term, TermTally.form)):
            if kind == LEMMA and (answers or uses):
                found.answers[term], found.uses[term] = int(answers or 0), int(uses or 0)
            elif kind == WRITTEN and uses:
                found.written.setdefault(term, Counter())[form] = int(uses)
        return found


@dataclass(frozen=True)
class TalliedAnswers:
    """One question's tallies under a filter: what the comparison page reads instead of its
    answers. ``rounds`` (round columns and :data:`analysis.compare.TALLY_COLUMNS`) has the
    rounds with counted answers; ``themes`` the same per theme; ``terms`` sums the phrase
    and word tallies when asked."""

    rounds: pd.DataFrame
    themes: pd.DataFrame
    terms: TermCounts


def _tally_filter(query, model, question_key: str, rounds: Sequence[RoundSummary], agency: str | None):
    query = query.where(model.question_key == question_key, model.round_id.in_([r.id for r in rounds]))
    return query.where(model.agency == agency) if agency else query


def load_tallied(session: Session, question_key: str, rounds: Sequence[RoundSummary],
                 agency: str | None = None) -> TalliedAnswers:
    """The tallies of ``question_key`` in ``rounds`` (one ``agency``, or every agency summed):
    one grouped query over counts, however many answers there are."""
    sums = [func.sum(AnswerTally.__table__.c[c]) for c in TALLY_COLUMNS]
    rows = session.execute(_tally_filter(select(AnswerTally.round_id, AnswerTally.theme, *sums), AnswerTally,
                                         question_key, rounds, agency)
                           .group_by(AnswerTally.round_id, AnswerTally.theme)).all()
    by_id = {r.id: r for r in rounds}
    frame = pd.DataFrame([(question_key, rid, by_id[rid].label, by_id[rid].order, theme, *values)
                          for rid, theme, *values in rows],
                         columns=["question_key", "round_id", "round_label", "round_order", "theme", *TALLY_COLUMNS])
    for column in TALLY_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).fillna(0)
    frame = frame[frame["answers"] > 0]
    totals = frame[frame["theme"] == ""].drop(columns="theme").reset_index(drop=True)
    return TalliedAnswers(totals, frame[frame["theme"] != ""].reset_index(drop=True),
                          TermCounts(session, question_key, agency))


def tallied_round_groups(session: Session, question_key: str, agency: str,
                         rounds: Sequence[RoundSummary]) -> list[RoundGroup]:
    """:func:`question_round_groups` from the tallies: per round of ``rounds`` in time order,
    the counted answers to ``question_key`` from ``agency`` and from everyone (the answers a
    tallied page shows), summed over a few tally rows instead of counted over the answers."""
    rows = session.execute(_tally_filter(
        select(AnswerTally.round_id, func.sum(AnswerTally.answers),
               func.sum(case((AnswerTally.agency == agency, AnswerTally.answers), else_=0))),
        AnswerTally, question_key, rounds, None).where(AnswerTally.theme == ALL_ANSWERS)
        .group_by(AnswerTally.round_id)).all()
    counts = {rid: (int(total or 0), int(mine or 0)) for rid, total, mine in rows}
    return [RoundGroup(r.label, counts[r.id][1], counts[r.id][0])
            for r in sorted(rounds, key=lambda r: (r.order, r.id)) if counts.get(r.id, (0, 0))[0]]


QUOTE_SAMPLE = 2000  # answers a theme's quotes are chosen from (the first, by response)


def theme_sample(session: Session, question_key: str, round_id: int, theme: str, agency: str | None = None,
                 limit: int = QUOTE_SAMPLE, offset: int = 0) -> pd.DataFrame:
    """Up to ``limit`` counted answers of ``question_key`` in ``round_id`` that mention
    ``theme`` (from ``answer_themes``; one ``agency``), first responses first (after
    skipping ``offset``), in the shape of :func:`load_answers` (``themes`` holds the theme
    alone): the answers a theme's typical quotes are chosen from, however many there
    are, or one page of the theme's answers."""
    coded = newest_coding_query()
    label, _themes = effective_columns(coded)
    query = (select(Answer.response_id, AnswerTheme.round_id, Answer.question_key, Response.agency, Answer.value,
                    AnswerFeature.polarity, label)
             .select_from(AnswerTheme)
             .join(Answer, Answer.id == AnswerTheme.answer_id)
             .join(Response, Response.id == Answer.response_id)
             .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
             .outerjoin(coded, coded.c.answer_id == Answer.id)
             .where(AnswerTheme.question_key == question_key, AnswerTheme.round_id == round_id,
                    AnswerTheme.theme == theme)
             .order_by(Answer.response_id).limit(limit).offset(offset))
    if agency:
        query = query.where(AnswerTheme.agency == agency)
    frame = pd.DataFrame([tuple(row) for row in session.execute(query)],
                         columns=["response_id", "round_id", "question_key", "agency", "value", "polarity", "label"])
    frame["themes"] = pd.Series([(theme,)] * len(frame), index=frame.index, dtype="object")
    return frame


def tallied_provenance(session: Session, question_key: str, round_ids: Collection[int]) -> Provenance:
    """:func:`feedback_app.coding.coding.analysis_provenance` from the feature tallies (which
    analyser computed how many answers' features) and the codes (counted from the codes'
    side: there are few), not from every answer of the question."""
    versions = session.execute(
        select(FeatureTally.analyser_version, func.sum(FeatureTally.answers))
        .where(FeatureTally.question_key == question_key, FeatureTally.round_id.in_(list(round_ids)))
        .group_by(FeatureTally.analyser_version).having(func.sum(FeatureTally.answers) > 0)
        .order_by(FeatureTally.analyser_version)).all()
    coded_here = session.scalar(
        select(func.count(func.distinct(Coding.answer_id))).select_from(Coding)
        .join(Answer, Answer.id == Coding.answer_id).join(Response, Response.id == Answer.response_id)
        .where(Answer.question_key == question_key, Response.round_id.in_(list(round_ids)))) or 0
    return provenance_of(session, [(str(v), int(n)) for v, n in versions], int(coded_here))


def question_provenance(session: Session, question_key: str, round_ids: Collection[int],
                        from_tallies: bool) -> Provenance:
    """Which model and how many coded answers produced the figures of ``question_key`` in
    ``round_ids``: from the feature tallies when they are current, else from the answers."""
    if from_tallies:
        return tallied_provenance(session, question_key, round_ids)
    return analysis_provenance(session, question_key, round_ids)


def round_agency_answers(session: Session, question_key: str, round_id: int,
                         agency: str | None) -> dict[str | None, int]:
    """Counted answers per agency of ``question_key`` in ``round_id`` (only ``agency``'s
    under an agency filter; None for answers without one), from the tallies."""
    query = (select(AnswerTally.agency, AnswerTally.answers)
             .where(AnswerTally.question_key == question_key, AnswerTally.round_id == round_id,
                    AnswerTally.theme == "", AnswerTally.answers > 0))
    if agency:
        query = query.where(AnswerTally.agency == agency)
    return {(name or None): int(n) for name, n in session.execute(query)}


def question_round_groups(session: Session, question_key: str, agency: str,
                          round_ids: Collection[int]) -> list[RoundGroup]:
    """:func:`analysis.disclosure.round_groups` of the answers :func:`load_answers` would
    give for ``question_key`` in ``round_ids``, from their counts (one answer per response
    and question): per round in time order, the responses answering it from ``agency`` and
    from everyone."""
    rounds = session.execute(select(Round.id, Round.label).where(Round.id.in_(list(round_ids)))
                             .order_by(Round.opens_on, Round.id)).all()
    return _agency_groups(session, question_key, agency, [(rid, label) for rid, label in rounds])