"""Running tallies of the answers analysis counts, so the comparison page reads counts,
not every answer (issue 13 item 2).

An answer *counts* when it has text, a sentiment label (computed, or an analyst's code)
and its response is not excluded. For each counted answer the tallies hold:

* its themes as analysis uses them (``answer_themes``): an analyst's code over the
  computed themes, merged theme keys read as the theme they were merged into;
* per round, question and agency (``answer_tallies``), over all its answers (theme "")
  and per theme: answers, answers per sentiment label, and the count, sum and sum of
  squares of their polarities (the mean and its interval);
* per round, question and agency (``term_tallies``): answers using each phrase
  (emerging phrases) and all phrase uses together, and uses and answers of each word,
  with its written forms (word clouds).

Every writer of what decides those figures changes them inside :func:`kept_tallies`,
in its own transaction: the answers' contributions are read before and after the change
and the difference is added (dialect upserts, so concurrent writers add, never
overwrite; on PostgreSQL each locks the answers it changes). The writers are the
feature writer (:mod:`feedback_app.text_analysis`: worker, sweep, import, inline
analysis), coding (:func:`feedback_app.coding.coding.save_coding`), exclusion
(:func:`feedback_app.bursts.set_excluded`) and erasure (:func:`feedback_app.privacy.purge`,
:func:`forget_rounds`).

Beside them (issue 13, the cold page) ``feature_tallies`` counts every stored feature row
per round, question, analyser and codebook version (excluded responses too: which model
labelled a question's answers), kept by the same writers in the same way.

The tallies are counted under the codebook's merges and the text analyser recorded in
``tally_state``; when either differs from what is in use (a merge edit, a new analyser)
or the tallies were never built (a database upgraded with answers), :func:`tallies_current`
is False and the pages read the answers as before, until :func:`rebuild_tallies` (run
by the sweep after a codebook edit, by ``feedback-app analyse`` and by
``feedback-app analyse rebuild-tallies``) recounts them from scratch.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

from sqlalchemy import Integer, Text, any_, bindparam, cast, delete, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from analysis import ANALYSER_VERSION
from analysis.codebook import Codebook
from analysis.compare import TALLY_COLUMNS
from analysis.sentiment import LABELS
from analysis.text import content_bigrams, content_words

from .choice_tallies import advance_choice_mark, forget_choice_rounds, reset_choice_tallies
from .db import PG_SNAPSHOT, dialect_insert, settled_mark
from .models import (
    Answer,
    AnswerFeature,
    AnswerTally,
    AnswerTheme,
    FeatureTally,
    Response,
    TallyState,
    TermTally,
)

NO_AGENCY = ""
ALL_ANSWERS = ""  # the theme of the tally of all of a group's answers
TALLY_VALUES = TALLY_COLUMNS  # the columns of an answer tally, as analysis.compare reads them
TERM_VALUES = ("answers", "uses")
TERM_LIMIT = 200  # longer phrases and words are not tallied (nor could one be shown)
PHRASE, LEMMA, WRITTEN = "p", "l", "w"
PHRASE_USES = "P"  # term "": uses of every phrase together (the totals emerging phrases weigh against)
_CHUNK = 500
FEATURE_KEY = ("round_id", "question_key", "analyser_version", "codebook_hash")


@dataclass(frozen=True)
class CountedAnswer:
    """One answer as the tallies count it."""

    answer_id: int
    round_id: int
    question_key: str
    agency: str
    label: str
    polarity: float | None
    themes: tuple[str, ...]
    value: str
    noun_phrases: tuple[str, ...]


def effective_columns(coded) -> tuple[Any, Any]:
    """The sentiment label and the themes (JSON text) analysis uses for an answer: the
    newest code's (``coded``: :func:`feedback_app.coding.coding.newest_coding_query`),
    else the computed ones."""
    return (func.coalesce(coded.c.sentiment, AnswerFeature.label),
            func.coalesce(cast(coded.c.themes, Text), cast(AnswerFeature.themes, Text)))


def merged_json(codebook: Codebook) -> str:
    """The codebook's merges as the tallies record them."""
    return json.dumps(dict(codebook.merged), sort_keys=True)


@lru_cache(maxsize=65536)
def _json_strings(raw: str | None) -> tuple[str, ...]:
    """A stored JSON list as a tuple of strings (``()`` for anything else), as the pages read it."""
    value = json.loads(raw) if raw else None
    return tuple(map(str, value)) if isinstance(value, list) else ()


def _counted_query(coded):
    label, themes = effective_columns(coded)
    return (
        select(Answer.id, Response.round_id, Answer.question_key, Response.agency, Answer.value,
               AnswerFeature.polarity, label, themes, cast(AnswerFeature.noun_phrases, Text))
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .outerjoin(coded, coded.c.answer_id == Answer.id)
        .where(Response.excluded.is_(False), label.is_not(None))
    )


def _counted(rows: Iterable[tuple], merged: Mapping[str, str]) -> Iterator[CountedAnswer]:
    for row in rows:
        answer = _counted_answer(*row, merged=merged)
        if answer is not None:
            yield answer


def _counted_answer(answer_id: int, round_id: int, key: str, agency: str | None, value: object,
                    polarity: float | None, label: str, themes: str | None, phrases: str | None, *,
                    merged: Mapping[str, str]) -> CountedAnswer | None:
    """One answer (themes and phrases as stored JSON text) as the tallies count it; None when it
    has no text (analysis.compare reads answers with text)."""
    if not (isinstance(value, str) and value.strip()):
        return None
    canonical = tuple(dict.fromkeys(merged.get(t, t) for t in _json_strings(themes) if t.strip()))
    return CountedAnswer(int(answer_id), int(round_id), key, agency or NO_AGENCY, label,
                         None if polarity is None else float(polarity), canonical, value, _json_strings(phrases))


def counted_answers(session: Session, answer_ids: Iterable[int], merged: Mapping[str, str]) -> dict[int, CountedAnswer]:
    """The answers of ``answer_ids`` that count, as they stand in ``session`` now."""
    from .coding.coding import newest_coding_query

    ids = sorted(set(answer_ids))
    found: dict[int, CountedAnswer] = {}
    for start in range(0, len(ids), _CHUNK):
        query = _counted_query(newest_coding_query()).where(Answer.id.in_(ids[start:start + _CHUNK]))
        found.update((a.answer_id, a) for a in _counted(session.execute(query), merged))
    return found


# ---------------------------------------------------------------- what one answer adds


class TextTerms(NamedTuple):
    """What a text adds to the term tallies whatever its noun phrases, terms longer than
    :data:`TERM_LIMIT` left out: its content bigrams, the lemmas it uses (each once), and
    uses per lemma and per (lemma, written form)."""

    bigrams: frozenset[str]
    lemmas: tuple[str, ...]
    lemma_uses: tuple[tuple[str, int], ...]
    written_uses: tuple[tuple[tuple[str, str], int], ...]


@lru_cache(maxsize=65536)
def _text_terms(value: str) -> TextTerms:
    words = content_words(value)
    fitting = [(word, lemma) for word, lemma in words if len(word) <= TERM_LIMIT and len(lemma) <= TERM_LIMIT]
    return TextTerms(frozenset(b for b in content_bigrams(value) if len(b) <= TERM_LIMIT),
                     tuple(dict.fromkeys(lemma for _word, lemma in words if len(lemma) <= TERM_LIMIT)),
                     tuple(Counter(lemma for _word, lemma in fitting).items()),
                     tuple(Counter((lemma, word) for word, lemma in fitting).items()))


class Changes:
    """Additions to the tallies, summed over answers (subtract with ``sign`` -1)."""

    def __init__(self) -> None:
        self.tallies: dict[tuple, list[float]] = defaultdict(lambda: [0] * len(TALLY_VALUES))
        self.terms: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        # stored feature rows per (round, question, analyser version, codebook hash)
        self.features: Counter[tuple] = Counter()

    def add(self, answer: CountedAnswer, sign: int = 1) -> None:
        """Add (or with ``sign`` -1 take away) what ``answer`` contributes."""
        self._add_tallies(answer, sign)
        self._add_terms((answer.round_id, answer.question_key, answer.agency), answer.value,
                        answer.noun_phrases, sign)

    def move(self, before: Iterable[CountedAnswer], after: Iterable[CountedAnswer]) -> None:
        """Take away what the answers ``before`` contributed and add what they do ``after``.

        The answer tallies move answer by answer; the term tallies (whole numbers) once per
        place, text and phrases, by how many more answers use them after than before: an
        answer whose text and phrases are unchanged moves no term (issue 13, a recompute)."""
        uses: Counter[tuple] = Counter()
        for sign, answers in ((-1, before), (1, after)):
            for answer in answers:
                self._add_tallies(answer, sign)
                uses[(answer.round_id, answer.question_key, answer.agency, answer.value, answer.noun_phrases)] += sign
        for (*place, value, phrases), times in uses.items():
            if times:
                self._add_terms(tuple(place), value, phrases, times)

    def _add_tallies(self, answer: CountedAnswer, sign: int) -> None:
        place = (answer.round_id, answer.question_key, answer.agency)
        values = [1] + [int(answer.label == label) for label in LABELS]
        known = answer.polarity is not None and answer.polarity == answer.polarity  # not NaN
        polarity = answer.polarity if known else 0.0
        values += [int(known), polarity, polarity * polarity]
        for theme in (ALL_ANSWERS, *answer.themes):
            row = self.tallies[place + (theme,)]
            for i, v in enumerate(values):
                row[i] += sign * v

    def _add_terms(self, place: tuple, value: str, noun_phrases: tuple[str, ...], times: int) -> None:
        """Add what ``times`` answers at ``place`` with this text and these phrases add to the
        term tallies (``times`` below 0 takes it away)."""
        terms = _text_terms(value)
        phrases = terms.bigrams.union(phrase for phrase in noun_phrases if len(phrase) <= TERM_LIMIT)
        for phrase in phrases:
            self.terms[place + (PHRASE, phrase, "")][0] += times
        if phrases:
            self.terms[place + (PHRASE_USES, "", "")][0] += times * len(phrases)
        for lemma in terms.lemmas:
            self.terms[place + (LEMMA, lemma, "")][0] += times
        for lemma, uses in terms.lemma_uses:
            self.terms[place + (LEMMA, lemma, "")][1] += times * uses
        for (lemma, word), uses in terms.written_uses:
            self.terms[place + (WRITTEN, lemma, word)][1] += times * uses

    def nonzero(self) -> tuple[list[dict], list[dict]]:
        """The tally and term rows to add, in key order (concurrent writers lock rows in one order)."""
        tallies = [dict(zip(("round_id", "question_key", "agency", "theme", *TALLY_VALUES), key + tuple(v)))
                   for key, v in sorted(self.tallies.items()) if any(v)]
        terms = [dict(zip(("round_id", "question_key", "agency", "kind", "term", "form", *TERM_VALUES),
                          key + tuple(v)))
                 for key, v in sorted(self.terms.items()) if any(v)]
        return tallies, terms

    def feature_rows(self) -> list[dict]:
        """The feature tally rows to add, in key order."""
        return [dict(zip(FEATURE_KEY + ("answers",), key + (n,))) for key, n in sorted(self.features.items()) if n]


def _upsert(session: Session, model, keys: tuple[str, ...], values: tuple[str, ...], rows: list[dict]) -> None:
    """Add ``rows`` to the table of ``model``: a new key is inserted, a known one summed."""
    if not rows:
        return
    table = model.__table__
    statement = dialect_insert(session)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: table.c[c] + statement.excluded[c] for c in values})
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start:start + 1000])


def add_changes(session: Session, changes: Changes) -> None:
    """Add ``changes`` to the stored tallies (in the caller's transaction)."""
    tallies, terms = changes.nonzero()
    _upsert(session, AnswerTally, ("round_id", "question_key", "agency", "theme"), TALLY_VALUES, tallies)
    _upsert(session, TermTally, ("round_id", "question_key", "agency", "kind", "term", "form"), TERM_VALUES, terms)
    _upsert(session, FeatureTally, FEATURE_KEY, ("answers",), changes.feature_rows())


def _feature_query():
    return (select(Response.round_id, Answer.question_key, AnswerFeature.analyser_version,
                   AnswerFeature.codebook_hash)
            .select_from(AnswerFeature)
            .join(Answer, Answer.id == AnswerFeature.answer_id)
            .join(Response, Response.id == Answer.response_id))


def feature_places(session: Session, answer_ids: Iterable[int]) -> Counter[tuple]:
    """The stored features of ``answer_ids`` counted by (round, question, analyser version,
    codebook hash): what they add to the feature tallies."""
    ids = sorted(set(answer_ids))
    places: Counter[tuple] = Counter()
    for start in range(0, len(ids), _CHUNK):
        places.update(tuple(row) for row in session.execute(
            _feature_query().where(AnswerFeature.answer_id.in_(ids[start:start + _CHUNK]))))
    return places


def count_features(session: Session) -> Counter[tuple]:
    """Every stored feature row counted as :func:`feature_places` counts them (one grouped query)."""
    columns = _feature_query().selected_columns
    return Counter({tuple(row[:4]): int(row[4]) for row in session.execute(
        _feature_query().add_columns(func.count()).group_by(*columns))})


def _theme_rows(answers: Iterable[CountedAnswer]) -> list[dict]:
    return [{"answer_id": a.answer_id, "theme": theme, "round_id": a.round_id, "question_key": a.question_key,
             "agency": a.agency} for a in answers for theme in a.themes]


def _insert_themes(session: Session, rows: list[dict]) -> None:
    for start in range(0, len(rows), 1000):
        session.execute(AnswerTheme.__table__.insert(), rows[start:start + 1000])


# ---------------------------------------------------------------- the writers' hook


def _state(session: Session, *, for_update: bool = False) -> TallyState | None:
    query = select(TallyState).where(TallyState.id == 1)
    if for_update:  # PostgreSQL: FOR UPDATE (SQLite's write lock is the database's)
        query = query.with_for_update()
    return session.scalar(query)


def _built_merges(session: Session) -> dict[str, str] | None:
    """The codebook merges the tallies were counted under, the state row locked shared for the
    writer (PostgreSQL); None while the tallies are not built. Two columns, not the ORM object
    (issue 13: read once a write of a recompute)."""
    state = session.execute(select(TallyState.built_at, TallyState.merged).where(TallyState.id == 1)
                            .with_for_update(read=True)).first()
    if state is None or state.built_at is None:
        return None
    return json.loads(state.merged or "{}")


@contextmanager
def kept_tallies(session: Session, answer_ids: Iterable[int]) -> Iterator[None]:
    """Keep the tallies right across a change to ``answer_ids`` made inside the block (their
    features, codes or responses' exclusion): what they counted before is taken away and
    what they count after is added, in the caller's transaction (which commits both).
    Does nothing while the tallies are not built."""
    merged = _built_merges(session)
    if merged is None:
        yield
        return
    ids = _locked(session, answer_ids)
    before, features_before = counted_answers(session, ids, merged), feature_places(session, ids)
    yield
    session.flush()
    after = counted_answers(session, ids, merged)
    changes = Changes()
    changes.move(before.values(), after.values())
    changes.features.update(feature_places(session, ids))
    changes.features.subtract(features_before)
    add_changes(session, changes)
    for start in range(0, len(ids), _CHUNK):
        session.execute(delete(AnswerTheme).where(AnswerTheme.answer_id.in_(ids[start:start + _CHUNK])))
    _insert_themes(session, _theme_rows(after.values()))


def _locked(session: Session, answer_ids: Iterable[int]) -> list[int]:
    """``answer_ids`` sorted, each once; on PostgreSQL their answers are locked (one writer of
    an answer at a time) in that order."""
    ids = sorted(set(answer_ids))
    if ids and session.get_bind().dialect.name == "postgresql":
        for start in range(0, len(ids), _CHUNK):
            session.execute(select(Answer.id).where(ids_in(session, Answer.id, ids[start:start + _CHUNK]))
                            .order_by(Answer.id).with_for_update())
    return ids


def ids_in(session: Session, column, ids: list[int]):
    """``column IN ids`` with the ids bound as one parameter (a JSON array read by ``json_each``
    on SQLite, an array on PostgreSQL), not one parameter each: the statement is the same for
    any ids, and SQLAlchemy does not expand and name hundreds of parameters per statement
    (issue 13, a recompute: three such statements per 500 answers)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(list(ids))))))


#: the feature columns :class:`FeatureRewrite` reads, the JSON lists as their stored text: the
#: first :data:`TALLIED_FEATURE` are those the answer and term tallies count, the rest are restamped
STORED_FEATURE = ("label", "polarity", "themes", "noun_phrases", "analyser_version", "codebook_hash", "subjectivity")
TALLIED_FEATURE = 4
#: those of them :class:`FeatureRewrite` reads as their stored JSON text
STORED_JSON = ("themes", "noun_phrases")


def _answers_query(coded):
    """Each answer as the tallies place it: where it is counted, its text, whether it may count
    and its newest code (without its features)."""
    return (select(Answer.id, Response.round_id, Answer.question_key, Response.agency, Answer.value,
                   Response.excluded, coded.c.sentiment, cast(coded.c.themes, Text))
            .join(Response, Response.id == Answer.response_id)
            .outerjoin(coded, coded.c.answer_id == Answer.id))


def _in_chunks(session: Session, query, column, ids: list[int]) -> list[tuple]:
    """The rows of ``query`` whose ``column`` is one of ``ids``, read ``_CHUNK`` ids at a time
    (as plain rows, on the session's connection: no ORM loading, issue 13)."""
    rows: list[tuple] = []
    connection = session.connection()
    for start in range(0, len(ids), _CHUNK):
        rows.extend(connection.execute(query.where(ids_in(session, column, ids[start:start + _CHUNK]))).all())
    return rows


class FeatureRewrite:
    """The answers one feature write changes (issue 13, a recompute): :attr:`stored` holds their
    stored features, read once before the write; the block tells it what it wrote
    (:meth:`replaced`, :meth:`restamped`), and the tallies' changes are worked out from that,
    the stored features and the written answers' places and codes, not read again after the
    write. Made by :func:`kept_feature_rewrite`."""

    def __init__(self, stored: Iterable[tuple], merged: Mapping[str, str] | None) -> None:
        #: the stored features of each answer that has them: a tuple in :data:`STORED_FEATURE`
        #: order (compared whole or in two slices: no dict per answer, issue 13)
        self.stored: dict[int, tuple] = {}
        #: where each of them is counted (round, question): read with them, so the answers
        #: restamped need no second read (issue 13, a recompute)
        self._places: dict[int, tuple[int, str]] = {}
        width = len(STORED_FEATURE) + 1
        for row in stored:
            self.stored[row[0]] = tuple(row[1:width])
            self._places[row[0]] = (row[width], row[width + 1])
        self._merged = merged  # None: the tallies are not built, nothing to keep
        self._replaced: list[Mapping[str, Any]] = []
        self._restamped: list[tuple[int, Any]] = []

    def replaced(self, written: Iterable[Mapping[str, Any]]) -> None:
        """Note features written in place of the stored ones (or where there were none):
        ``written`` are their column values with the lists as their stored JSON text."""
        if self._merged is not None:
            self._replaced.extend(written)

    def restamped(self, written: Iterable[tuple[int, Any]]) -> None:
        """Note features whose tallied values (label, polarity, themes, phrases) were kept and
        whose versions (or subjectivity) were written, as (answer id, features with
        ``analyser_version`` and ``codebook_hash``): only the feature tallies move."""
        if self._merged is not None:
            self._restamped.extend(written)

    def keep(self, session: Session) -> None:
        """Add the changes noted to the tallies and replace the answer themes of the answers
        replaced, in the caller's transaction."""
        from .coding.coding import newest_coding_query

        if self._merged is None or not (self._replaced or self._restamped):
            return
        # the answers replaced are read as the tallies count them; those restamped had stored
        # features, read with their places (issue 13: a recompute's rows are mostly restamped)
        answers, places = {}, self._places
        if self._replaced:
            answers = {row[0]: row for row in _in_chunks(session, _answers_query(newest_coding_query()), Answer.id,
                                                         sorted(values["answer_id"] for values in self._replaced))}
            places = {**places, **{answer_id: (row[1], row[2]) for answer_id, row in answers.items()}}
        changes = Changes()
        versions = STORED_FEATURE.index("analyser_version")
        written = [(values["answer_id"], values["analyser_version"], values["codebook_hash"]) for values in self._replaced]
        written += [(answer_id, features.analyser_version, features.codebook_hash)
                    for answer_id, features in self._restamped]
        for answer_id, analyser, codebook in written:
            round_id, key = places[answer_id]
            before = self.stored.get(answer_id)
            if before is not None:
                changes.features[(round_id, key, *before[versions:versions + 2])] -= 1
            changes.features[(round_id, key, analyser, codebook)] += 1
        counted = [(self._counted(answers[v["answer_id"]], self.stored_values(v["answer_id"])),
                    self._counted(answers[v["answer_id"]], v)) for v in self._replaced]
        after = [answer for _before, answer in counted if answer is not None]
        changes.move([answer for answer, _after in counted if answer is not None], after)
        add_changes(session, changes)
        replaced = sorted(values["answer_id"] for values in self._replaced)
        for start in range(0, len(replaced), _CHUNK):
            session.execute(delete(AnswerTheme).where(AnswerTheme.answer_id.in_(replaced[start:start + _CHUNK])))
        _insert_themes(session, _theme_rows(after))

    def stored_values(self, answer_id: int) -> dict[str, Any] | None:
        """The stored features of ``answer_id`` by :data:`STORED_FEATURE` name (None: none stored)."""
        row = self.stored.get(answer_id)
        return None if row is None else dict(zip(STORED_FEATURE, row))

    def _counted(self, answer: tuple, features: Mapping[str, Any] | None) -> CountedAnswer | None:
        """``answer`` (a row of :func:`_answers_query`) as the tallies count it with ``features``
        (stored form; None: none)."""
        answer_id, round_id, key, agency, value, excluded, coded_label, coded_themes = answer
        features = features or {}
        label = coded_label if coded_label is not None else features.get("label")
        if excluded is not False or label is None:
            return None
        themes = coded_themes if coded_themes is not None else features.get("themes")
        return _counted_answer(answer_id, round_id, key, agency, value, features.get("polarity"), label, themes,
                               features.get("noun_phrases"), merged=self._merged or {})


@contextmanager
def kept_feature_rewrite(session: Session, answer_ids: Iterable[int]) -> Iterator[FeatureRewrite]:
    """:func:`kept_tallies` for a write of the features of ``answer_ids`` (and nothing else)
    that says what it writes: the answers are locked (PostgreSQL) and their stored features
    read once; the block compares with :attr:`FeatureRewrite.stored`, writes, and tells the
    rewrite what it wrote; the tallies' changes follow from that, in the caller's transaction
    (issue 13, a recompute: nothing is read again after the write, and the answers' places
    and codes only for the rows written). Keeps nothing while the tallies are not built."""
    merged = _built_merges(session)
    ids = _locked(session, answer_ids) if merged is not None else sorted(set(answer_ids))
    columns = [cast(getattr(AnswerFeature, name), Text) if name in STORED_JSON
               else getattr(AnswerFeature, name) for name in STORED_FEATURE]
    stored = _in_chunks(session, select(AnswerFeature.answer_id, *columns, Response.round_id, Answer.question_key)
                        .join(Answer, Answer.id == AnswerFeature.answer_id)
                        .join(Response, Response.id == Answer.response_id), AnswerFeature.answer_id, ids)
    rewrite = FeatureRewrite(stored, merged)
    yield rewrite
    rewrite.keep(session)


def forget_rounds(session: Session, round_ids: Iterable[int]) -> None:
    """Drop the tallies of rounds whose responses are all being deleted (retention), in the
    caller's transaction."""
    ids = list(round_ids)
    for model in (AnswerTheme, AnswerTally, TermTally, FeatureTally):
        session.execute(delete(model).where(model.round_id.in_(ids)))
    note_response_change(session)
    forget_choice_rounds(session, ids)
    # SQLite gives a new row the id after the largest left, so ids of erased answers may come
    # back below the analysed mark: start it again (the next sweep moves it up).
    session.execute(update(TallyState).where(TallyState.id == 1).values(analysed_below=0, mark_candidate=None))


def note_response_change(session: Session) -> None:
    """Record, in the caller's transaction, that which responses count changed (an exclusion,
    an erasure): the page cache's fingerprint reads the counter (issue 13 item 2)."""
    session.execute(update(TallyState).where(TallyState.id == 1).values(changes=TallyState.changes + 1))


# ---------------------------------------------------------------- state and rebuild


def tallies_current(session: Session, codebook: Codebook) -> bool:
    """True when the tallies are built, under ``codebook``'s merges and this text analyser:
    the pages may read them. Else the pages read the answers."""
    state = _state(session)
    return (state is not None and state.built_at is not None and state.merged == merged_json(codebook)
            and state.analyser == ANALYSER_VERSION)


def tally_marker(session: Session) -> tuple:
    """What changes whenever the tallies do (for the page cache's key): when they were
    built, and the totals of the answer tallies."""
    state = _state(session)
    totals = session.execute(select(func.count(), func.sum(AnswerTally.answers), func.sum(AnswerTally.positive),
                                    func.sum(AnswerTally.negative), func.sum(AnswerTally.polarity_sum))).one()
    built = None if state is None else (str(state.built_at), state.merged, state.analyser, state.changes)
    return (built,) + tuple(str(v) for v in totals)


def analysed_mark(session: Session) -> int:
    """An answer id below which every analysable free-text answer has features (0 when none
    is known): the stale count looks for answers without features from here on."""
    from .text_analysis import analysed_basis

    state = _state(session)
    return int(state.analysed_below or 0) if state is not None and state.analysed_basis == analysed_basis() else 0


def advance_analysed_mark(session: Session) -> int:
    """Move the mark of :func:`analysed_mark` up, then the choice tallies' mark
    (:func:`feedback_app.choice_tallies.advance_choice_mark`; commits); returns the
    analysed mark. Run by the sweep, ``analyse`` and a rebuild."""
    mark = _advance_analysed(session)
    advance_choice_mark(session)
    return mark


def _advance_analysed(session: Session) -> int:
    """Move the mark of :func:`analysed_mark` up to the first analysable answer without
    features, or past the newest answer (commits); returns the mark. Reads the answers
    from the old mark on.

    The mark holds because features are only replaced, or deleted with their answer. On
    PostgreSQL an answer id may commit after a higher one, so the mark found now is only a
    candidate, taken up by a later advance once every transaction in progress when it was
    found has ended (its answers are then visible to that advance's own look)."""
    from .text_analysis import analysed_basis, first_unanalysed_answer

    postgresql = session.get_bind().dialect.name == "postgresql"
    oldest_running = session.execute(text(PG_SNAPSHOT)).one()[0] if postgresql else None
    mark = analysed_mark(session)
    found = first_unanalysed_answer(session, mark)
    top = found if found is not None else (session.scalar(select(func.max(Answer.id))) or 0) + 1
    basis = analysed_basis()
    if not postgresql:
        # End the read first: SQLite cannot turn a read transaction into a write once another
        # writer has committed ("database is locked" at once). The mark found stays true.
        session.commit()
        session.execute(update(TallyState).where(TallyState.id == 1).values(
            analysed_below=top, analysed_basis=basis, mark_candidate=None, mark_xmax=None))
        session.commit()
        return top
    newest_running = session.execute(text(PG_SNAPSHOT)).one()[1]
    state = _state(session, for_update=True)
    if state is None:
        return 0
    if state.analysed_basis != basis:  # a candidate found under another basis is no good
        state.mark_candidate = None
    # From ``mark``, which is 0 under a new basis: the old basis's mark is no good either.
    state.analysed_below = settled_mark(mark, state.mark_candidate, state.mark_xmax, oldest_running, top)
    state.mark_candidate, state.mark_xmax, state.analysed_basis = top, newest_running, basis
    session.commit()
    return int(state.analysed_below)


@dataclass(frozen=True)
class Rebuilt:
    """What :func:`rebuild_tallies` counted."""

    answers: int
    themes: int
    tallies: int
    terms: int


def rebuild_tallies(session: Session, codebook: Codebook, batch_size: int = 5000) -> Rebuilt:
    """Count every tally again from the answers, under ``codebook``'s merges (commits).

    For repair, after a merge of themes or a new text analyser, and for a database
    upgraded with answers. Writers wait while it runs (it locks ``tally_state``)."""
    from .coding.coding import newest_coding_query

    state = _state(session, for_update=True)
    if state is None:
        state = TallyState(id=1)
        session.add(state)
    for model in (AnswerTheme, AnswerTally, TermTally, FeatureTally):
        session.execute(delete(model))
    reset_choice_tallies(session)  # counted again by the advance at the end
    merged = dict(codebook.merged)
    changes = Changes()
    changes.features = count_features(session)
    answers = themes = 0
    query = _counted_query(newest_coding_query()).order_by(Answer.id)
    batch: list[CountedAnswer] = []
    for answer in _counted(session.execute(query.execution_options(yield_per=batch_size)), merged):
        changes.add(answer)
        batch.append(answer)
        if len(batch) >= batch_size:
            themes += _flush_batch(session, batch)
        answers += 1
    themes += _flush_batch(session, batch)
    tallies, terms = changes.nonzero()
    for model, rows in ((AnswerTally, tallies), (TermTally, terms), (FeatureTally, changes.feature_rows())):
        for start in range(0, len(rows), 1000):
            session.execute(model.__table__.insert(), rows[start:start + 1000])
    session.execute(update(TallyState).where(TallyState.id == 1).values(
        built_at=datetime.now(timezone.utc), merged=merged_json(codebook), analyser=ANALYSER_VERSION))
    session.commit()
    advance_analysed_mark(session)
    return Rebuilt(answers, themes, len(tallies), len(terms))


def _flush_batch(session: Session, batch: list[CountedAnswer]) -> int:
    rows = _theme_rows(batch)
    _insert_themes(session, rows)
    batch.clear()
    return len(rows)


def ensure_tallies(session: Session, codebook: Codebook) -> Rebuilt | None:
    """Rebuild the tallies when they are not current (:func:`tallies_current`); None when they were."""
    if tallies_current(session, codebook):
        return None
    return rebuild_tallies(session, codebook)


def recount(session: Session, codebook: Codebook) -> tuple[dict, dict, dict, dict]:
    """The tallies as counted from scratch now (answer tallies, term tallies, answer themes,
    feature tallies), without storing them: what the stored ones must equal (tests, ``check``)."""
    from .coding.coding import newest_coding_query

    changes = Changes()
    themes: set[tuple] = set()
    for answer in _counted(session.execute(_counted_query(newest_coding_query())), dict(codebook.merged)):
        changes.add(answer)
        themes.update((answer.answer_id, t, answer.round_id, answer.question_key, answer.agency)
                      for t in answer.themes)
    tallies, terms = changes.nonzero()
    features = {key: (n,) for key, n in count_features(session).items() if n}
    return _by_key(tallies, 4), _by_key(terms, 6), {t: (1,) for t in themes}, features


def stored(session: Session) -> tuple[dict, dict, dict, dict]:
    """The stored tallies in the shape of :func:`recount` (rows summing to zero left out)."""
    tally_columns = [AnswerTally.__table__.c[c] for c in ("round_id", "question_key", "agency", "theme",
                                                         *TALLY_VALUES)]
    term_columns = [TermTally.__table__.c[c] for c in ("round_id", "question_key", "agency", "kind", "term",
                                                      "form", *TERM_VALUES)]
    tallies = [dict(row._mapping) for row in session.execute(select(*tally_columns))]
    terms = [dict(row._mapping) for row in session.execute(select(*term_columns))]
    themes = session.execute(select(AnswerTheme.answer_id, AnswerTheme.theme, AnswerTheme.round_id,
                                    AnswerTheme.question_key, AnswerTheme.agency)).all()
    features = {tuple(row[:4]): (int(row[4]),) for row in session.execute(
        select(*(FeatureTally.__table__.c[c] for c in FEATURE_KEY), FeatureTally.answers)) if row[4]}
    return (_by_key([r for r in tallies if any(r[c] for c in TALLY_VALUES)], 4),
            _by_key([r for r in terms if any(r[c] for c in TERM_VALUES)], 6),
            {tuple(t): (1,) for t in themes}, features)


def tally_differences(session: Session, codebook: Codebook) -> int:
    """How many stored tallies and answer themes differ from a count from scratch
    (:func:`recount`; sums of polarities compared to 1e-9): 0 when they are right."""
    expected, now = recount(session, codebook), stored(session)
    differing = 0
    for want, have in zip(expected, now):
        for key in want.keys() | have.keys():
            a, b = want.get(key), have.get(key)
            if a is None or b is None or any(abs(x - y) > 1e-9 for x, y in zip(a, b)):
                differing += 1
    return differing


def _by_key(rows: list[dict], width: int) -> dict[tuple, tuple]:
    return {tuple(row.values())[:width]: tuple(row.values())[width:] for row in rows}

