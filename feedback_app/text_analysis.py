"""Text features and safeguarding screening of answers, computed once when they arrive.

The work itself is done by the pure functions in ``analysis/``; this module feeds them
answers from the database, stores what they return, and keeps the codebook versioned.

Two public entry points do the work (a task queue calls exactly these):

* :func:`analyse_answers_now` — analyse these answers now (features and safeguarding
  screening of answers just stored);
* :func:`analyse_stale_in_batches` — analyse everything pending or stale, in batches
  (after a codebook edit, a new sentiment model or analyser version).

"Stale" has one definition, :func:`stale_condition`; :func:`stale_answer_count` is what
the codebook page shows and agrees with what the batch run analyses. Every feature row
is built by :func:`feature_row`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Collection, Iterable, Mapping, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from analysis.codebook import Codebook, shipped_codebook
from analysis.concerns import ConcernResult, ConcernRules, screen, shipped_rules
from analysis.features import TextFeatures, in_batches, map_batches, text_features

from .definitions import TEXT_TYPES, is_identifier
from .models import Answer, AnswerFeature, CodebookVersion, Question, Response, Round, SafeguardingFlag, utcnow
from .tallies import (
    STORED_FEATURE,
    STORED_JSON,
    TALLIED_FEATURE,
    advance_analysed_mark,
    ensure_tallies,
    ids_in,
    kept_feature_rewrite,
    kept_tallies,
)
from .translations import ANALYSED_LANGUAGES


@dataclass(frozen=True)
class DerivedAnswer:
    """What is computed from one free-text answer before it is stored."""

    features: TextFeatures
    concern: ConcernResult


_warm_lock = threading.Lock()
_warm = False


def warm_up() -> None:
    """Load the sentiment lexicon and screening rules once per process (about 1.5 s).

    Called before the first request a worker serves; the lock stops concurrent first
    requests from each loading their own copy.
    """
    global _warm
    with _warm_lock:
        if not _warm:
            text_features("warm up", shipped_codebook())
            concern_rules()
            concern_bank()
            _warm = True


def concern_rules() -> ConcernRules:
    """The shipped screening rules (:func:`analysis.concerns.shipped_rules`, cached there)."""
    return shipped_rules()


_bank_lock = threading.Lock()
_bank: dict[str, object] = {}


def concern_bank():
    """The screening example bank and embedding model, loaded once per process.

    The model's loader links to the ``wordllama`` package's files from a folder in
    the app's instance folder when there is an app context, else a temporary
    folder. Returns None when the model cannot be loaded: ``screen`` then flags
    every answer "could not screen" rather than passing it.
    """
    if "bank" not in _bank:
        with _bank_lock:
            if "bank" not in _bank:
                _bank["bank"] = _load_bank()
    return _bank["bank"]


def _load_bank():
    from flask import current_app, has_app_context

    from analysis.concern_bank import BankError, load_concern_bank
    from analysis.embeddings import EmbeddingUnavailable, shared_model

    cache_dir = None
    if has_app_context():
        cache_dir = os.path.join(current_app.instance_path, "wordllama")
    try:
        return load_concern_bank(model=shared_model(cache_dir),
                                 known_categories={c.key for c in concern_rules().categories})
    except (BankError, EmbeddingUnavailable, OSError):
        return _BrokenBank()


class _BrokenBank:
    """Stands in for a bank that could not load: screening it raises, so answers are flagged."""

    version = ""

    def scores(self, text: str):
        raise RuntimeError("the screening model could not be loaded")


def _content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def _codebook_from_json(content_json: str) -> Codebook:
    return Codebook.from_dict(json.loads(content_json))


def current_codebook(session: Session) -> tuple[Codebook, CodebookVersion | None]:
    """The codebook in use: the newest saved version, or the shipped one before any is saved."""
    saved = session.scalar(select(CodebookVersion).order_by(CodebookVersion.version.desc()).limit(1))
    if saved is None:
        return shipped_codebook(), None
    return _codebook_from_json(json.dumps(saved.content, sort_keys=True)), saved


def save_codebook(session: Session, codebook: Codebook, note: str, actor: str | None) -> CodebookVersion:
    """Save ``codebook`` as a new version (commits). Answers analysed with an older one become stale."""
    latest = session.scalar(select(CodebookVersion.version).order_by(CodebookVersion.version.desc()).limit(1))
    content = codebook.to_dict()
    version = CodebookVersion(
        version=(latest or 0) + 1,
        content=content,
        content_hash=_content_hash(content),
        note=note[:500],
        created_by=actor,
    )
    session.add(version)
    session.commit()
    return version


def derive(question_types: dict[str, Question], answers: dict[str, str], codebook: Codebook | None,
           rules: ConcernRules | None = None, audience: str | None = None,
           features: bool = True) -> dict[str, DerivedAnswer]:
    """Features and concern screening of each free-text answer in ``answers`` (keyed by question key).

    Answers are screened as ``audience`` answered them; by default the audience of
    the questionnaire version the questions belong to (children if unknown).
    ``features=False`` screens only (features None: the queue's worker computes them), and
    needs no ``codebook``.
    """
    if not _warm:
        warm_up()
    rules = rules or concern_rules()
    derived = {}
    for key, value in answers.items():
        question = question_types.get(key)
        if question is None or question.type not in TEXT_TYPES or not value.strip():
            continue
        if is_identifier(question.key, question.settings):  # a case reference is not text to analyse
            continue
        nothing_means = (question.settings or {}).get("nothing_means", "positive")
        derived[key] = DerivedAnswer(
            # issue 13 (queue): features=False leaves them to the worker; screening stays here
            features=_learned_sentiment([(text_features(value, codebook, nothing_means=nothing_means),
                                          value, nothing_means)], *sentiment_model())[0] if features else None,
            # flag_only: what is kept of a screen is its flag (store_derived); issue 13
            concern=screen(value, rules, audience=audience or _audience_of(question), bank=concern_bank(),
                           flag_only=True),
        )
    return derived


def sentiment_model(session: Session | None = None):
    """(version, model) of the learned sentiment model in use, or (None, None) when the
    lexicon rules label sentiment (also outside an app context)."""
    from .coding.models_store import model_in_use

    if session is None:
        from flask import has_app_context

        if not has_app_context():
            return None, None
        from .db import db

        session = db.session
    return model_in_use(session)


def _learned_sentiment(items, model_version, model):
    from .coding.models_store import relabel

    return relabel(items, model_version, model)


def _audience_of(question: Question) -> str:
    version = getattr(question, "version", None)
    return getattr(version, "audience", None) or "children"


def flag_row(answer: Answer, concern: ConcernResult) -> SafeguardingFlag:
    """The safeguarding-queue row for a flagged answer."""
    return SafeguardingFlag(
        answer_id=answer.id,
        response_id=answer.response_id,
        categories=list(concern.categories),
        matches=list(concern.matches),
        rules_version=concern.rules_version,
        model_version=concern.model_version or None,
        signals=dict(concern.signals),
        score=float(concern.score),
    )


def store_derived(session: Session, stored: Iterable[tuple[Iterable[Answer], dict[str, DerivedAnswer]]]) -> int:
    """Add feature rows and safeguarding flags for stored answers, given as (answers, what
    was derived for them) pairs (one a response); returns flags raised. The tallies are kept
    once for them all, in the same transaction (issue 13)."""
    stored = [(list(answers), derived) for answers, derived in stored]
    analysed = [a.id for answers, derived in stored for a in answers
                if getattr(derived.get(a.question_key), "features", None) is not None]
    flags = 0
    with kept_tallies(session, analysed) if analysed else nullcontext():
        for answers, derived in stored:
            for answer in answers:
                item = derived.get(answer.question_key)
                if item is None:
                    continue
                if item.features is not None:  # None: a language the analysers cannot read (issue 15)
                    session.add(feature_row(answer.id, item.features))
                if item.concern.flagged:
                    session.add(flag_row(answer, item.concern))
                    flags += 1
    return flags


def feature_row(answer_id: int, features: TextFeatures) -> AnswerFeature:
    """The database row for ``features`` of one answer: the one place such a row is built."""
    return AnswerFeature(**feature_values(answer_id, features))


def feature_values(answer_id: int, features: TextFeatures) -> dict:
    """The column values of the feature row of one answer (for :func:`feature_row` and bulk inserts)."""
    return {
        "answer_id": answer_id,
        "analyser_version": features.analyser_version,
        "codebook_hash": features.codebook_hash,
        "polarity": float(features.polarity),
        "subjectivity": float(features.subjectivity),
        "label": features.label,
        "themes": list(features.themes),
        "noun_phrases": list(features.noun_phrases),
    }


def analyse_answers_now(session: Session, *, response_ids: Collection[int] = (),
                        answer_ids: Collection[int] = ()) -> int:
    """Analyse these answers now: text features and safeguarding screening of the free-text
    answers of ``response_ids`` and of ``answer_ids`` that have no features yet.

    The entry point for work on answers just stored (an import, a task queue after a
    submission): as :func:`derive` does for a web submission, identifier questions are
    left alone and every other free-text answer is screened. Adds the feature rows and
    safeguarding flags, commits, and returns the number of answers flagged.
    """
    if not response_ids and not answer_ids:
        return 0
    codebook, _saved = current_codebook(session)
    chosen = or_(Answer.response_id.in_(list(response_ids)), Answer.id.in_(list(answer_ids)))
    rows = session.execute(
        _text_answers(select(Answer, Question)).where(chosen, AnswerFeature.answer_id.is_(None))
    ).all()
    flags = store_derived(session, [([answer], derive({question.key: question}, {answer.question_key: answer.value},
                                                      codebook)) for answer, question in rows])
    session.commit()
    return flags


def analyse_stored_responses(session: Session, response_ids: list[int]) -> int:
    """:func:`analyse_answers_now` for the answers of ``response_ids`` (stored without
    features, e.g. imported). Returns the number of answers flagged. Commits."""
    return analyse_answers_now(session, response_ids=response_ids)


# ---------------------------------------------------------------- bulk (re)analysis


class PendingAnswer(NamedTuple):
    """A free-text answer whose features are missing or stale."""

    answer_id: int
    value: str
    nothing_means: str
    #: the learned sentiment model to label it with (None: the lexicon rules)
    model_version: int | None = None


@dataclass(frozen=True)
class AnalysisRun:
    """What :func:`analyse_stale_in_batches` did: answers analysed, and answers still
    stale because there were more than its ``limit``."""

    analysed: int
    still_stale: int


def _text_answers(query):
    """``query`` limited to free-text answers, joined to their question and outer-joined
    to their stored features."""
    return (
        query.select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Question, and_(Question.version_id == Round.version_id, Question.key == Answer.question_key))
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Question.type.in_(TEXT_TYPES))
    )


def _analysable(query):
    """:func:`_text_answers` without answers in a language the analysers cannot read:
    their features stay not analysed (issue 15)."""
    return _text_answers(query).where(or_(Response.language.is_(None), Response.language.in_(ANALYSED_LANGUAGES)))


def stale_condition(analyser: str, codebook_hash: str):
    """The one definition of stale features, as a SQL condition on ``AnswerFeature``: none
    stored, or stored by another analyser (which names the sentiment model) or with
    another codebook version than ``codebook_hash``."""
    return or_(
        AnswerFeature.answer_id.is_(None),
        AnswerFeature.analyser_version != analyser,
        AnswerFeature.codebook_hash != codebook_hash,
    )


def _current_analyser(session: Session, codebook_hash: str | None) -> tuple[int | None, str, str]:
    """(sentiment model version, analyser version, codebook hash) in use now."""
    from .coding.models_store import analyser_version

    model_version = sentiment_model(session)[0]
    if codebook_hash is None:
        codebook_hash = current_codebook(session)[0].version_hash()
    return model_version, analyser_version(model_version), codebook_hash


def stale_answers(session: Session, codebook_hash: str | None = None, recompute: bool = False,
                  response_ids: Collection[int] | None = None) -> list[PendingAnswer]:
    """Free-text answers whose features are stale (:func:`stale_condition`; every one with
    ``recompute``), in answer order; only those of ``response_ids`` when given.
    ``codebook_hash`` defaults to the codebook in use."""
    model_version, analyser, codebook_hash = _current_analyser(session, codebook_hash)
    query = _analysable(select(Answer.id, Answer.value, Question.id))
    if response_ids is not None:  # one submission's answers (the task queue, issue 13)
        query = query.where(Answer.response_id.in_(list(response_ids)))
    if not recompute:
        query = query.where(stale_condition(analyser, codebook_hash))
    rows = session.connection().execute(query.order_by(Answer.id)).all()  # plain rows: no ORM loading
    # each question's settings read once, not once per answer (issue 13, a recompute)
    nothing_means = {qid: (settings or {}).get("nothing_means", "positive") for qid, key, settings in session.execute(
        select(Question.id, Question.key, Question.settings).where(Question.id.in_({row[2] for row in rows})))
        if not is_identifier(key, settings)}
    return [PendingAnswer(answer_id, value, nothing_means[qid], model_version)
            for answer_id, value, qid in rows if qid in nothing_means]


def stale_answer_count(session: Session, codebook_hash: str | None = None, recompute: bool = False, *,
                       analysed_below: int = 0) -> int:
    """How many answers :func:`stale_answers` would return (what the codebook page shows
    as stale and ``feedback-app analyse`` analyses), counted per question in SQL.

    With ``analysed_below`` (every analysable answer below that id has features:
    :func:`feedback_app.tallies.analysed_mark`) the same count costs the answers since the
    mark and the outdated features, not every answer (issue 13, the cold comparison page):
    answers without features are looked for from the mark on, and features of another
    analyser or codebook by their versions (:func:`feature_versions`, index seeks)."""
    _model, analyser, codebook_hash = _current_analyser(session, codebook_hash)
    counted = _analysable(select(Question.id, func.count(Answer.id))).group_by(Question.id)
    if recompute:
        return _countable(session, dict(session.execute(counted).all()))
    if not analysed_below:
        return _countable(session, dict(session.execute(counted.where(stale_condition(analyser, codebook_hash)))
                                        .all()))
    counts = Counter(dict(session.execute(
        counted.where(Answer.id >= analysed_below, AnswerFeature.answer_id.is_(None))).all()))
    for version, codebook in feature_versions(session):
        if (version, codebook) != (analyser, codebook_hash):
            counts.update(dict(session.execute(counted.where(AnswerFeature.analyser_version == version,
                                                             AnswerFeature.codebook_hash == codebook)).all()))
    return _countable(session, counts)


def _not_identifiers(session: Session, by_question: Mapping[int, int]) -> list[int]:
    """The values of ``by_question`` (keyed by question id) of questions that are not
    identifier questions (whose answers are never analysed)."""
    if not by_question:
        return []
    questions = session.execute(select(Question.id, Question.key, Question.settings)
                                .where(Question.id.in_(list(by_question)))).all()
    return [by_question[qid] for qid, key, settings in questions if not is_identifier(key, settings)]


def _countable(session: Session, counts: Mapping[int, int]) -> int:
    """The sum of ``counts`` (answers per question id) without identifier questions'."""
    return sum(_not_identifiers(session, counts))


def feature_versions(session: Session) -> list[tuple[str, str]]:
    """Every (analyser version, codebook hash) that stored features carry, found by index
    seeks on ``ix_answer_features_versions`` (one per pair and per version: there are few),
    not by reading the features."""
    pairs: list[tuple[str, str]] = []
    version = session.scalar(select(func.min(AnswerFeature.analyser_version)))
    while version is not None:
        of_version = select(func.min(AnswerFeature.codebook_hash)).where(AnswerFeature.analyser_version == version)
        codebook = session.scalar(of_version)
        while codebook is not None:
            pairs.append((version, codebook))
            codebook = session.scalar(of_version.where(AnswerFeature.codebook_hash > codebook))
        version = session.scalar(select(func.min(AnswerFeature.analyser_version))
                                 .where(AnswerFeature.analyser_version > version))
    return pairs


def first_unanalysed_answer(session: Session, from_id: int = 0) -> int | None:
    """The smallest id, from ``from_id`` on, of an analysable free-text answer (identifier
    questions left out) that has no features; None when every one has. Reads the answers
    from ``from_id`` on."""
    firsts = dict(session.execute(_analysable(select(Question.id, func.min(Answer.id)))
                                  .where(Answer.id >= from_id, AnswerFeature.answer_id.is_(None))
                                  .group_by(Question.id)).all())
    return min(_not_identifiers(session, firsts), default=None)


def analysed_basis() -> str:
    """What decides which answers are analysable (the languages the analysers read, the
    free-text types): a mark counted under another basis is not trusted."""
    return f"languages={','.join(sorted(ANALYSED_LANGUAGES))};types={','.join(sorted(TEXT_TYPES))}"


def _features_of(batch: list[PendingAnswer], codebook: Codebook,
                 model_version: int | None = None) -> list[tuple[int, TextFeatures]]:
    """Worker-process entry point: (answer_id, features) of each answer in ``batch``.

    The sentiment model ``model_version`` was loaded by the parent before the workers forked.
    """
    from .coding.models_store import loaded_model

    features = _learned_sentiment([(text_features(p.value, codebook, nothing_means=p.nothing_means),
                                    p.value, p.nothing_means) for p in batch],
                                  model_version, loaded_model(model_version))
    return [(p.answer_id, f) for p, f in zip(batch, features)]


def same_text_groups(pending: Iterable[PendingAnswer]) -> dict[PendingAnswer, list[int]]:
    """``pending`` grouped by what decides their features (the text, ``nothing_means`` and
    the sentiment model): the first answer of each group, in answer order, mapped to the ids
    of every answer in it. Features are computed once per group (issue 13)."""
    groups: dict[tuple[str, str, int | None], tuple[PendingAnswer, list[int]]] = {}
    for item in pending:
        key = (item.value, item.nothing_means, item.model_version)
        if key in groups:
            groups[key][1].append(item.answer_id)
        else:
            groups[key] = (item, [item.answer_id])
    return dict(groups.values())


def _as_stored(values: dict) -> dict:
    """The column ``values`` of a feature row as :attr:`feedback_app.tallies.FeatureRewrite.stored`
    reads them back (the JSON columns as the text SQLAlchemy's JSON type writes: ``json.dumps``;
    text written otherwise only reads as different, and is rewritten)."""
    return {**values, **{name: json.dumps(values[name]) for name in STORED_JSON}}


def stored_form(features: TextFeatures) -> tuple:
    """``features`` as :attr:`feedback_app.tallies.FeatureRewrite.stored` holds stored features:
    the values of :func:`_as_stored` in :data:`~feedback_app.tallies.STORED_FEATURE` order, made
    straight from ``features`` (issue 13, a recompute: one per distinct text written)."""
    return (features.label, float(features.polarity), json.dumps(list(features.themes)),
            json.dumps(list(features.noun_phrases)), features.analyser_version, features.codebook_hash,
            float(features.subjectivity))


def write_features(session: Session, results: list[tuple[int, TextFeatures]]) -> None:
    """Replace the stored features of the answers in ``results`` (commits), keeping the
    tallies right in the same transaction (issue 13 item 2).

    Only what differs is written (issue 13): features stored exactly as computed are left
    alone; features whose tallied values (label, polarity, themes, phrases) are unchanged
    get their versions and subjectivity updated, moving only the feature tallies; the rest
    are replaced, their tallies taken away and added again. The stored features are read
    once (:func:`feedback_app.tallies.kept_feature_rewrite`)."""
    with kept_feature_rewrite(session, [answer_id for answer_id, _ in results]) as rewrite:
        stored = rewrite.stored
        replaced, restamped = [], []
        # answers with the same text share one features object: its stored form, whole and the
        # tallied part, is made once; an answer then costs two lookups and a comparison (issue 13)
        made: dict[int, tuple[tuple, tuple]] = {}
        for answer_id, features in results:
            form = made.get(id(features))
            if form is None:
                whole = stored_form(features)
                form = made[id(features)] = whole, whole[:TALLIED_FEATURE]
            before = stored.get(answer_id)
            if before == form[0]:
                continue
            if before is None or before[:TALLIED_FEATURE] != form[1]:
                replaced.append((answer_id, features))
            else:
                restamped.append((answer_id, features))
        if replaced:
            rows, written = _replacing_rows(replaced)
            session.execute(delete(AnswerFeature).where(
                ids_in(session, AnswerFeature.answer_id, [answer_id for answer_id, _ in replaced])))
            session.execute(insert(AnswerFeature.__table__), rows)
            rewrite.replaced(written)
        if restamped:
            _restamp(session, restamped, stored)
            rewrite.restamped(restamped)
    session.commit()


def _replacing_rows(replaced: list[tuple[int, TextFeatures]]) -> tuple[list[dict], list[dict]]:
    """The feature rows of ``replaced`` (answer id, features) to insert, and the same with the lists
    as their stored JSON (:func:`_as_stored`), each made once a features object (issue 13)."""
    made: dict[int, tuple[dict, dict]] = {}
    rows, written = [], []
    for answer_id, features in replaced:
        form = made.get(id(features))
        if form is None:
            values = feature_values(answer_id, features)
            form = made[id(features)] = values, _as_stored(values)
        rows.append({**form[0], "answer_id": answer_id})
        written.append({**form[1], "answer_id": answer_id})
    return rows, written


def _restamp(session: Session, restamped: list[tuple[int, TextFeatures]], stored: Mapping[int, tuple]) -> None:
    """Write the versions (and subjectivity, where it differs from ``stored``) of the features
    ``restamped`` (answer id, features): one statement for the rows of the same versions (a
    recompute's are all the same), the subjectivities one by one (issue 13)."""
    table = AnswerFeature.__table__
    now = utcnow()  # a feature change all the same (the page cache keys on the newest)
    by_versions: dict[tuple[str, str], list[int]] = {}
    for answer_id, features in restamped:
        by_versions.setdefault((features.analyser_version, features.codebook_hash), []).append(answer_id)
    for (analyser, codebook), ids in by_versions.items():  # the ids bound as one parameter: one statement
        session.execute(update(table).where(ids_in(session, table.c.answer_id, ids))
                        .values(analyser_version=analyser, codebook_hash=codebook, computed_at=now))
    subjectivity = STORED_FEATURE.index("subjectivity")
    moved = [{"b_answer_id": answer_id, "subjectivity": float(features.subjectivity)}
             for answer_id, features in restamped if stored[answer_id][subjectivity] != float(features.subjectivity)]
    if moved:
        session.execute(update(table).where(table.c.answer_id == bindparam("b_answer_id")), moved)


INLINE_REANALYSIS_LIMIT = 5000


def analyse_stale_in_batches(session: Session, *, workers: int = 1, batch_size: int = 500,
                             recompute: bool = False, limit: int | None = None,
                             progress: Callable[[int], object] | None = None,
                             response_ids: Collection[int] | None = None) -> AnalysisRun:
    """Analyse everything pending or stale, in batches: the features of every answer
    :func:`stale_answers` finds (every answer with ``recompute``), with the codebook and
    sentiment model in use.

    Answers with the same text (and ``nothing_means`` and model) are analysed once
    (:func:`same_text_groups`). Batches of at most ``batch_size`` distinct texts, smaller towards
    the end (:func:`_compute_batches`), run on ``workers`` processes (this one among them); the
    features are written as the batches are done, ``batch_size`` or :data:`WRITE_ANSWERS` answers
    (the larger) at a time, and what is left at the end, each write in its own short write
    transaction, so a long run can be interrupted losing no more than one write's work, and
    ``progress(n)`` is called after each. With ``limit``, nothing is done when more than ``limit`` answers are stale
    (the run is then left to ``feedback-app analyse``); with ``response_ids``, only the
    answers of those responses are looked at. Returns an :class:`AnalysisRun`.
    Safeguarding screening is not repeated: it runs once, when an answer arrives.
    """
    codebook, _saved = current_codebook(session)
    if response_ids is None and limit is None:
        # a sweep or ``analyse``: the tallies under the codebook's merges. Never in a web request
        # (``refresh_stale_features`` sets a limit): a recount holds the write lock for long, and
        # until the sweep does it the pages read the answers.
        ensure_tallies(session, codebook)
        advance_analysed_mark(session)  # issue 13: the stale count looks above it only
    pending = stale_answers(session, codebook.version_hash(), recompute, response_ids=response_ids)
    session.commit()  # end the read transaction before the (long) computation
    if not pending or (limit is not None and len(pending) > limit):
        return AnalysisRun(0, len(pending))
    # the model stale_answers found in use (and loaded, before any workers fork)
    model_version = pending[0].model_version
    groups = same_text_groups(pending)
    same_as = {first.answer_id: ids for first, ids in groups.items()}
    # the batches' results taken as they finish, whichever process computed them (issue 13)
    batches = _compute_batches(list(groups), batch_size, workers)
    if workers > 1 and len(batches) > 1:  # the lexicons loaded once, here, for the workers to inherit as they fork
        text_features("warm up", codebook)
    at_once = max(batch_size, WRITE_ANSWERS)
    unwritten: list[tuple[int, TextFeatures]] = []  # the answers of the batches done, not yet written
    results = map_batches(_features_of, batches, codebook, model_version, workers=workers, ordered=False)
    for received, done in enumerate(results, 1):
        unwritten += [(answer_id, features) for first_id, features in done for answer_id in same_as[first_id]]
        # the rest is written as soon as the last batch is in, while the workers exit (issue 13:
        # about 10 ms for a large process, which map_batches waits for before it ends)
        while len(unwritten) >= at_once or (received == len(batches) and unwritten):
            _write_done(unwritten[:at_once], progress)
            del unwritten[:at_once]
    return AnalysisRun(len(pending), 0)


def _write_done(answers: list[tuple[int, TextFeatures]], progress: Callable[[int], object] | None) -> None:
    """Write the features of ``answers`` in one short write transaction, then report them."""
    from .db import db

    with db.write_session() as write:
        write_features(write, answers)
    if progress:
        progress(len(answers))


#: answers written in one write transaction (at least ``batch_size``; the last write may be fewer):
#: fewer, larger writes cost less (issue 13, round 8: a recompute of 10,168 answers about 5% faster
#: than at 500; round 9: answers of several batches gathered into one write, 11 writes, not 23), and
#: one holds SQLite's write lock for about 10 ms
WRITE_ANSWERS = 1000

#: fewest distinct texts in a batch given to a process (each batch costs a round trip)
SMALLEST_BATCH = 32


def _compute_batches(groups: list[PendingAnswer], batch_size: int, workers: int) -> list[list[PendingAnswer]]:
    """``groups`` cut into the batches of distinct texts the processes take in turn: at most
    ``batch_size`` each, and with more than one process each a share of what is left (guided
    scheduling: a ``2 x workers``-th, at least :data:`SMALLEST_BATCH`), so the batches get smaller
    towards the end: the processes finish together, and the last results, written after every
    other, are few (issue 13)."""
    if workers <= 1:
        return in_batches(groups, batch_size)
    batches, start = [], 0
    while start < len(groups):
        size = max(SMALLEST_BATCH, min(batch_size, -(-(len(groups) - start) // (2 * workers))))
        batches.append(groups[start:start + size])
        start += size
    return batches


def refresh_stale_features(session: Session, limit: int = INLINE_REANALYSIS_LIMIT) -> tuple[int, int]:
    """Re-analyse stale answers now when there are at most ``limit`` of them (a few seconds).

    Returns (re-analysed, still stale); above the limit nothing is done here and
    ``feedback-app analyse`` (on every core) is the way.
    """
    run = analyse_stale_in_batches(session, limit=limit)
    return run.analysed, run.still_stale
