"""Text features and safeguarding screening of answers, computed once when they arrive.

The work itself is done by the pure functions in ``analysis/``; this module feeds them
answers from the database, stores what they return, and keeps the codebook versioned.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from analysis.codebook import Codebook, load_codebook
from analysis.concerns import ConcernResult, ConcernRules, load_concern_rules, screen
from analysis.features import TextFeatures, text_features

from .definitions import TEXT_TYPES, is_identifier
from .models import Answer, AnswerFeature, CodebookVersion, Question, Response, Round, SafeguardingFlag
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
            text_features("warm up", load_codebook())
            concern_rules()
            concern_bank()
            _warm = True


@lru_cache(maxsize=1)
def concern_rules() -> ConcernRules:
    """The shipped screening rules, compiled once per process (the file is read-only)."""
    return load_concern_rules()


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


@lru_cache(maxsize=1)
def shipped_codebook() -> Codebook:
    """The codebook shipped with the app, parsed once per process (the file is read-only)."""
    return load_codebook()


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


def derive(question_types: dict[str, Question], answers: dict[str, str], codebook: Codebook,
           rules: ConcernRules | None = None, audience: str | None = None,
           features: bool = True) -> dict[str, DerivedAnswer]:
    """Features and concern screening of each free-text answer in ``answers`` (keyed by question key).

    Answers are screened as ``audience`` answered them; by default the audience of
    the questionnaire version the questions belong to (children if unknown).
    ``features=False`` screens only (features None: the queue's worker computes them).
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
            concern=screen(value, rules, audience=audience or _audience_of(question), bank=concern_bank()),
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


def feature_row(answer_id: int, features: TextFeatures) -> AnswerFeature:
    """The database row for ``features`` of one answer."""
    return AnswerFeature(
        answer_id=answer_id,
        analyser_version=features.analyser_version,
        codebook_hash=features.codebook_hash,
        polarity=float(features.polarity),
        subjectivity=float(features.subjectivity),
        label=features.label,
        themes=list(features.themes),
        noun_phrases=list(features.noun_phrases),
    )


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


def store_derived(session: Session, answers: Iterable[Answer], derived: dict[str, DerivedAnswer]) -> int:
    """Add feature rows and safeguarding flags for stored ``answers``; returns flags raised."""
    flags = 0
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


# ---------------------------------------------------------------- bulk (re)analysis


@dataclass(frozen=True)
class PendingAnswer:
    """A free-text answer whose features are missing or stale."""

    answer_id: int
    value: str
    nothing_means: str
    #: the learned sentiment model to label it with (None: the lexicon rules)
    model_version: int | None = None


def stale_answers(session: Session, codebook_hash: str, recompute: bool = False,
                  response_ids: list[int] | None = None) -> list[PendingAnswer]:
    """Free-text answers with no features, or features from another analyser, sentiment model
    or codebook version (only those of ``response_ids`` when given)."""
    from .coding.models_store import analyser_version

    model_version = sentiment_model(session)[0]
    current_version = analyser_version(model_version)
    query = (
        select(Answer.id, Answer.value, Question.settings, Question.key)
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Question, and_(Question.version_id == Round.version_id, Question.key == Answer.question_key))
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Question.type.in_(TEXT_TYPES))
        # Answers in a language the analysers cannot read stay not analysed (issue 15).
        .where(or_(Response.language.is_(None), Response.language.in_(ANALYSED_LANGUAGES)))
    )
    if response_ids is not None:  # issue 13 (queue): one submission's answers
        query = query.where(Answer.response_id.in_(response_ids))
    if not recompute:
        query = query.where(
            or_(
                AnswerFeature.answer_id.is_(None),
                AnswerFeature.analyser_version != current_version,
                AnswerFeature.codebook_hash != codebook_hash,
            )
        )
    return [
        PendingAnswer(answer_id, value, (settings or {}).get("nothing_means", "positive"), model_version)
        for answer_id, value, settings, key in session.execute(query.order_by(Answer.id))
        if not is_identifier(key, settings)
    ]


def _features_of(batch: list[tuple[int, str, str]], codebook_dict: dict,
                 model_version: int | None = None) -> list[tuple[int, dict]]:
    """Worker-process entry point: features of a batch of (answer_id, text, nothing_means).

    The sentiment model ``model_version`` was loaded by the parent before the workers forked.
    """
    from .coding.models_store import loaded_model

    codebook = _codebook_from_json(json.dumps(codebook_dict, sort_keys=True))
    features = _learned_sentiment([(text_features(text, codebook, nothing_means=nm), text, nm)
                                   for _answer_id, text, nm in batch], model_version, loaded_model(model_version))
    return [(answer_id, f.to_dict()) for (answer_id, _t, _n), f in zip(batch, features)]


def analyse_pending(pending: list[PendingAnswer], codebook: Codebook, workers: int = 1,
                    batch_size: int = 500, progress=None) -> Iterable[list[tuple[int, dict]]]:
    """Compute features for ``pending`` answers, in batches, on ``workers`` processes.

    Yields each finished batch of (answer_id, features dict); ``progress(n)`` is called
    with the number done after each batch.
    """
    items = [(p.answer_id, p.value, p.nothing_means) for p in pending]
    batches = [items[i:i + batch_size] for i in range(0, len(items), batch_size)]
    content = codebook.to_dict()
    # the model stale_answers found in use (and loaded, before any workers fork)
    model_version = pending[0].model_version if pending else None
    if workers <= 1 or len(batches) <= 1:
        for batch in batches:
            done = _features_of(batch, content, model_version)
            if progress:
                progress(len(done))
            yield done
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork") if hasattr(multiprocessing, "get_context") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for done in pool.map(_features_of, batches, [content] * len(batches), [model_version] * len(batches)):
            if progress:
                progress(len(done))
            yield done


def write_features(session: Session, results: list[tuple[int, dict]]) -> None:
    """Replace the stored features of the answers in ``results`` (commits)."""
    ids = [answer_id for answer_id, _ in results]
    session.query(AnswerFeature).filter(AnswerFeature.answer_id.in_(ids)).delete(synchronize_session=False)
    session.add_all(
        AnswerFeature(
            answer_id=answer_id,
            analyser_version=data["analyser_version"],
            codebook_hash=data["codebook_hash"],
            polarity=float(data["polarity"]),
            subjectivity=float(data["subjectivity"]),
            label=data["label"],
            themes=list(data["themes"]),
            noun_phrases=list(data["noun_phrases"]),
        )
        for answer_id, data in results
    )
    session.commit()


INLINE_REANALYSIS_LIMIT = 5000


def refresh_stale_features(session: Session, limit: int = INLINE_REANALYSIS_LIMIT) -> tuple[int, int]:
    """Re-analyse stale answers now when there are at most ``limit`` of them (a few seconds).

    Returns (re-analysed, still stale); above the limit nothing is done here and
    ``feedback-app analyse`` (on every core) is the way.
    """
    codebook, _saved = current_codebook(session)
    pending = stale_answers(session, codebook.version_hash())
    session.commit()
    if not pending or len(pending) > limit:
        return 0, len(pending)
    from .db import db

    for batch in analyse_pending(pending, codebook, workers=1):
        with db.write_session() as write:
            write_features(write, batch)
    return len(pending), 0


def analyse_stored_responses(session: Session, response_ids: list[int]) -> int:
    """Features and safeguarding screening for responses stored without them (e.g. imported).

    Returns the number of answers flagged. Commits.
    """
    if not response_ids:
        return 0
    codebook, _saved = current_codebook(session)
    rows = session.execute(
        select(Answer, Question)
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Response.round_id)
        .join(Question, and_(Question.version_id == Round.version_id, Question.key == Answer.question_key))
        .outerjoin(AnswerFeature, AnswerFeature.answer_id == Answer.id)
        .where(Answer.response_id.in_(response_ids), Question.type.in_(TEXT_TYPES), AnswerFeature.answer_id.is_(None))
    ).all()
    flags = 0
    for answer, question in rows:
        derived = derive({question.key: question}, {answer.question_key: answer.value}, codebook)
        flags += store_derived(session, [answer], derived)
    session.commit()
    return flags
