"""Versioned learned sentiment models in the database: train, list, switch, load.

The model in use decides the sentiment label of every analysed answer. Its version
is part of the analyser version stored with each answer's features, so switching
models makes features stale and ``feedback-app analyse`` (or the inline refresh)
recomputes them. With no model stored, the lexicon rules label sentiment.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from analysis import ANALYSER_VERSION
from analysis.features import TextFeatures
from analysis.learning import (
    LabelledText,
    SentimentModel,
    add_theme_classifiers,
    cross_validated_coded_f1,
    macro_f1,
    per_class_f1,
    train_sentiment_model,
)

from ..models import Coding, SentimentModelVersion

#: the development file's time split: train before, score from this date
TIME_SPLIT_CUTOFF = "2022-07-01"


class ModelError(Exception):
    """A model cannot be trained or switched to; the message says why."""


def coded_examples(session: Session) -> list[LabelledText]:
    """The partnership's coded answers with a sentiment: the newest coding of each answer,
    plus every imported coding without an answer."""
    rows = session.execute(
        select(Coding.answer_id, Coding.text, Coding.sentiment)
        .where(Coding.sentiment.is_not(None))
        .order_by(Coding.coded_at, Coding.id)
    ).all()
    newest: dict[object, LabelledText] = {}
    for i, (answer_id, text, label) in enumerate(rows):
        newest[answer_id if answer_id is not None else ("import", i)] = LabelledText(text, label)
    return list(newest.values())


def coded_theme_examples(session: Session) -> list[tuple[str, list[str]]]:
    """(text, theme keys) of every coded answer whose themes were coded: the code in force
    of each answer, plus every imported coding without an answer."""
    rows = session.execute(
        select(Coding.answer_id, Coding.text, Coding.themes, Coding.source)
        .where(Coding.themes.is_not(None)).order_by(Coding.source == "agreed", Coding.id)
    ).all()
    newest: dict[object, tuple[str, list[str]]] = {}
    for i, (answer_id, text, themes, _source) in enumerate(rows):
        newest[answer_id if answer_id is not None else ("import", i)] = (text, list(themes or []))
    return list(newest.values())


def development_examples(path: str | Path | None) -> pd.DataFrame:
    """The labelled development rows (``text``, ``label``, ``date``) from ``path``; empty when no path.

    Raises :class:`ModelError` when the path is given but cannot be read.
    """
    if not path:
        return pd.DataFrame({"text": [], "label": [], "date": []})
    from analysis.evaluation import load_labelled_feedback

    try:
        return load_labelled_feedback(path)
    except FileNotFoundError:
        raise ModelError(f"no development data at {path}") from None
    except (KeyError, ValueError, UnicodeDecodeError) as error:
        raise ModelError(f"{path} is not the labelled FFT development file: {error}") from None


def _rows(frame: pd.DataFrame) -> list[LabelledText]:
    return [LabelledText(str(t), str(label)) for t, label in zip(frame["text"], frame["label"])]


def evaluate(development: pd.DataFrame, coded: list[LabelledText]) -> dict:
    """Evaluation figures for a model trained on ``development`` plus ``coded``.

    ``time_split``: trained on development rows before :data:`TIME_SPLIT_CUTOFF`
    (and every coded answer), scored on those from it. ``coded_cv``: 5-fold
    cross-validated macro-F1 on the coded answers (``None`` below 10 of them).
    """
    figures: dict = {"n_coded": len(coded), "n_development": len(development)}
    if len(development):
        cutoff = pd.Timestamp(TIME_SPLIT_CUTOFF)
        before, after = development[development["date"] < cutoff], development[development["date"] >= cutoff]
        if len(before) and len(after):
            model = train_sentiment_model(_rows(before), coded)
            predicted = model.predict(list(after["text"]))
            figures["time_split"] = {"macro_f1": macro_f1(after["label"], predicted),
                                     "per_class_f1": per_class_f1(after["label"], predicted),
                                     "n_test": len(after), "cutoff": TIME_SPLIT_CUTOFF}
    figures["coded_cv_macro_f1"] = cross_validated_coded_f1(_rows(development), coded)
    return figures


def train_and_store(session: Session, development_path: str | Path | None, actor: str | None,
                    evaluate_model: bool = True, theme_min_examples: int = 20) -> SentimentModelVersion:
    """Train a model on the development file (if any) plus the coded answers, store it as
    the next version and put it in use (commits). Themes with at least ``theme_min_examples``
    coded answers get a classifier too. Raises :class:`ModelError` when there is nothing to
    learn from."""
    development = development_examples(development_path)
    coded = coded_examples(session)
    try:
        model = train_sentiment_model(_rows(development), coded)
        figures = evaluate(development, coded) if evaluate_model else {}
        figures["themes_learned"] = add_theme_classifiers(model, coded_theme_examples(session), theme_min_examples)
    except ValueError as error:
        raise ModelError(f"cannot train: {error} (coded answers: {len(coded)}, "
                         f"development rows: {len(development)})") from None
    latest = session.scalar(select(func.max(SentimentModelVersion.version))) or 0
    session.execute(update(SentimentModelVersion).values(in_use=False))
    row = SentimentModelVersion(version=latest + 1, model=model.dumps(), evaluation=figures,
                                n_development=model.n_development, n_coded=model.n_coded,
                                in_use=True, created_by=actor)
    session.add(row)
    session.commit()
    return row


def list_versions(session: Session) -> list[SentimentModelVersion]:
    """Every stored model version, oldest first."""
    return list(session.scalars(select(SentimentModelVersion).order_by(SentimentModelVersion.version)))


def use_version(session: Session, version: int) -> SentimentModelVersion:
    """Put model ``version`` in use (commits); ``0`` goes back to the lexicon rules.

    Raises :class:`ModelError` for an unknown version.
    """
    row = None
    if version:
        row = session.scalar(select(SentimentModelVersion).where(SentimentModelVersion.version == version))
        if row is None:
            raise ModelError(f"there is no model version {version}; `feedback-app model list` shows them")
    session.execute(update(SentimentModelVersion).values(in_use=False))
    if row is not None:
        row.in_use = True
    session.commit()
    return row


_cache_lock = threading.Lock()
_cache: dict[tuple, SentimentModel] = {}
#: the model last loaded for each version number, for worker processes forked after loading
_loaded: dict[int, SentimentModel] = {}


def model_in_use(session: Session) -> tuple[int | None, SentimentModel | None]:
    """(version, model) of the model in use, or (None, None) when the rules label sentiment.

    Each version is unpickled once per process.
    """
    row = session.execute(select(SentimentModelVersion.version, SentimentModelVersion.created_at)
                          .where(SentimentModelVersion.in_use.is_(True))).first()
    if row is None:
        return None, None
    version, created_at = row
    # the same version number in another database (or a re-created one) is another model
    key = (str(session.get_bind().url), version, str(created_at))
    with _cache_lock:
        if key not in _cache:
            data = session.scalar(select(SentimentModelVersion.model).where(SentimentModelVersion.version == version))
            _cache[key] = SentimentModel.loads(data)
        _loaded[version] = _cache[key]
        return version, _cache[key]


def analyser_version(model_version: int | None) -> str:
    """The analyser version stored with features made under ``model_version``."""
    return ANALYSER_VERSION if model_version is None else f"{ANALYSER_VERSION}+m{model_version}"


def model_version_of(stored_analyser_version: str) -> int | None:
    """The model version named in a stored analyser version ("1.0+m3" -> 3), or None for the rules."""
    _base, _plus, model = stored_analyser_version.partition("+m")
    return int(model) if model.isdigit() else None


def describe_analyser(stored_analyser_version: str) -> str:
    """What labelled sentiment, in words: "sentiment model version 3" or "the lexicon rules"."""
    version = model_version_of(stored_analyser_version)
    return f"sentiment model version {version}" if version else "the lexicon rules"


def relabel(features: list[tuple[TextFeatures, str, str]], model_version: int | None,
            model: SentimentModel | None) -> list[TextFeatures]:
    """``features`` (with each answer's text and ``nothing_means``) with the model's labels,
    the themes its classifiers add to the codebook's, and the analyser version that names
    the model; unchanged when no model is in use."""
    if model is None:
        return [f for f, _, _ in features]
    texts = [t for _, t, _ in features]
    labels = model.predict(texts, [nm for _, _, nm in features])
    learned = model.learned_themes(texts)
    version = analyser_version(model_version)
    return [replace(f, label=label if str(text or "").strip() else f.label, analyser_version=version,
                    themes=list(f.themes) + [k for k in extra if k not in f.themes] if str(text or "").strip()
                    else list(f.themes))
            for (f, text, _), label, extra in zip(features, labels, learned)]


def loaded_model(version: int | None) -> SentimentModel | None:
    """The model ``version`` already loaded in this process (by :func:`model_in_use`), or None."""
    return None if version is None else _loaded.get(version)


def model_in_use_or_rules(session: Session) -> tuple[int | None, SentimentModel | None]:
    """:func:`model_in_use`, or (None, None) when the database has no model table yet."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return model_in_use(session)
    except SQLAlchemyError:
        session.rollback()
        return None, None
