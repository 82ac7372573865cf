"""Versioned learned sentiment models in the database: train, list, switch, load.

The model in use decides the sentiment label of every analysed answer. Its version
is part of the analyser version stored with each answer's features, so switching
models makes features stale and ``feedback-app analyse`` (or the inline refresh)
recomputes them. With no model version chosen, the shipped default model
(``analysis/sentiment_model.npz``, trained on the FFT development file) labels
sentiment, unless the ``SENTIMENT_DEFAULT_MODEL`` setting says ``rules``;
``feedback-app model use 0`` chooses the lexicon rules explicitly.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from analysis import ANALYSER_VERSION
from analysis.features import TextFeatures
from analysis.learning import (
    SHIPPED_MODEL_PATH,
    LabelledText,
    SentimentModel,
    add_theme_classifiers,
    cross_validated_coded_f1,
    macro_f1,
    per_class_f1,
    shipped_model_bytes,
    stored_model_id,
    train_sentiment_model,
)

from ..models import Coding, SentimentModelVersion

#: the development file's time split: train before, score from this date
TIME_SPLIT_CUTOFF = "2022-07-01"
#: the stored "version" that records an explicit choice of the lexicon rules (``model use 0``)
RULES_CHOSEN = 0
#: what ``model use`` takes to go back to the shipped default model
SHIPPED = "shipped"


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
        figures["coded_weight"] = model.params.get("coded_weight")
        figures["weight_choice"] = model.params.get("weight_choice")
        figures["bayes_share"] = model.params.get("bayes_share")
        figures["development_share"] = model.params.get("development_share")
        figures["development_mix"] = model.params.get("development_mix")
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
    model_changed(session)
    return row


def model_changed(session: Session) -> int:
    """Called once whenever the sentiment model in use changes (a new version trained, or
    ``model use``): returns how many answers' features are now stale, and, when the task
    queue computes features (``ANALYSE_IN_BACKGROUND``), queues their re-analysis by the
    worker (``feedback_app/tasks.py``), whose progress the codebook page shows.
    """
    from ..tasks import in_background, reanalyse_in_background
    from ..text_analysis import stale_answer_count

    stale = stale_answer_count(session)
    session.commit()  # end the read transaction before the queue's sweep writes
    if stale and in_background():
        reanalyse_in_background()
    return stale


def list_versions(session: Session) -> list[SentimentModelVersion]:
    """Every stored model version, oldest first (not the record of choosing the rules)."""
    return list(session.scalars(select(SentimentModelVersion).where(SentimentModelVersion.version != RULES_CHOSEN)
                                .order_by(SentimentModelVersion.version)))


def use_version(session: Session, version: int | str) -> SentimentModelVersion | None:
    """Put model ``version`` in use (commits); ``0`` chooses the lexicon rules and
    :data:`SHIPPED` goes back to the shipped default model.

    Raises :class:`ModelError` for an unknown version.
    """
    row = None
    if version == SHIPPED:
        session.execute(update(SentimentModelVersion).values(in_use=False))
    elif int(version) == RULES_CHOSEN:
        session.execute(update(SentimentModelVersion).values(in_use=False))
        row = session.scalar(select(SentimentModelVersion).where(SentimentModelVersion.version == RULES_CHOSEN))
        if row is None:
            row = SentimentModelVersion(version=RULES_CHOSEN, model=b"", evaluation={}, created_by="model use 0")
            session.add(row)
        row.in_use = True
        row = None
    else:
        row = session.scalar(select(SentimentModelVersion).where(SentimentModelVersion.version == int(version)))
        if row is None:
            raise ModelError(f"there is no model version {version}; `feedback-app model list` shows them")
        session.execute(update(SentimentModelVersion).values(in_use=False))
        row.in_use = True
    session.commit()
    model_changed(session)
    return row


_cache_lock = threading.Lock()
_cache: dict = {}
#: the model last loaded for each version, for worker processes forked after loading
_loaded: dict[int | str, SentimentModel] = {}


def default_choice() -> str:
    """``shipped`` or ``rules``: what labels sentiment when no model version is chosen
    (the ``SENTIMENT_DEFAULT_MODEL`` setting; ``shipped`` outside an app)."""
    from flask import current_app, has_app_context

    return str(current_app.config.get("SENTIMENT_DEFAULT_MODEL", SHIPPED)) if has_app_context() else SHIPPED


def shipped_model() -> tuple[str | None, SentimentModel | None]:
    """(name, model) of the shipped default model (loaded once per process), or (None, None)
    when it is not installed."""
    with _cache_lock:
        if "shipped" not in _cache:
            data = shipped_model_bytes()
            _cache["shipped"] = (stored_model_id(data), SentimentModel.loads(data)) if data else (None, None)
        name, model = _cache["shipped"]
        if name is not None:
            _loaded[name] = model
        return name, model


def model_in_use(session: Session) -> tuple[int | str | None, SentimentModel | None]:
    """(version, model) of the model in use: a stored version (a number), else the shipped
    default (its name, "ship-..."), or (None, None) when the rules label sentiment.

    Each version is unpickled once per process.
    """
    row = session.execute(select(SentimentModelVersion.version, SentimentModelVersion.created_at)
                          .where(SentimentModelVersion.in_use.is_(True))).first()
    if row is None:
        return shipped_model() if default_choice() == SHIPPED else (None, None)
    version, created_at = row
    if version == RULES_CHOSEN:
        return None, None
    # the same version number in another database (or a re-created one) is another model
    key = (str(session.get_bind().url), version, str(created_at))
    with _cache_lock:
        if key not in _cache:
            data = session.scalar(select(SentimentModelVersion.model).where(SentimentModelVersion.version == version))
            _cache[key] = SentimentModel.loads(data)
        _loaded[version] = _cache[key]
        return version, _cache[key]


def analyser_version(model_version: int | str | None) -> str:
    """The analyser version stored with features made under ``model_version`` (a stored
    version number, or the shipped model's name): a new model makes older features stale."""
    if model_version is None:
        return ANALYSER_VERSION
    return f"{ANALYSER_VERSION}+{model_version}" if isinstance(model_version, str) else f"{ANALYSER_VERSION}+m{model_version}"


def model_version_of(stored_analyser_version: str) -> int | None:
    """The model version named in a stored analyser version ("1.0+m3" -> 3), or None for the rules."""
    _base, _plus, model = stored_analyser_version.partition("+m")
    return int(model) if model.isdigit() else None


def describe_analyser(stored_analyser_version: str) -> str:
    """What labelled sentiment, in words: "sentiment model version 3", "the shipped sentiment
    model (ship-...)" or "the lexicon rules"."""
    version = model_version_of(stored_analyser_version)
    _base, _plus, name = stored_analyser_version.partition("+")
    if name.startswith("ship-"):
        return f"the shipped sentiment model ({name})"
    return f"sentiment model version {version}" if version else "the lexicon rules"


def build_shipped_model(development_path: str | Path, output: Path = SHIPPED_MODEL_PATH) -> tuple[int, str]:
    """Train the shipped default model on the development file alone and write it to
    ``output``; returns (bytes written, the model's name). Raises :class:`ModelError` when the
    file cannot be read."""
    development = development_examples(development_path)
    data = train_sentiment_model(_rows(development)).dumps()
    Path(output).write_bytes(data)
    return len(data), stored_model_id(data)


def relabel(features: list[tuple[TextFeatures, str, str]], model_version: int | None,
            model: SentimentModel | None) -> list[TextFeatures]:
    """``features`` (with each answer's text and ``nothing_means``) with the model's labels,
    the themes its classifiers add to the codebook's, and the analyser version that names
    the model; unchanged when no model is in use."""
    if model is None:
        return [f for f, _, _ in features]
    texts = [t for _, t, _ in features]
    labels, learned = model.labels_and_themes(texts, [nm for _, _, nm in features])
    version = analyser_version(model_version)
    # each made directly, field by field (``dataclasses.replace`` looks every field up again for
    # each text: issue 13, a tenth of a recompute worker's relabel)
    relabelled = []
    for (f, text, _), label, extra in zip(features, labels, learned):
        said = bool(str(text or "").strip())
        themes = list(f.themes) + [k for k in extra if k not in f.themes] if said else list(f.themes)
        relabelled.append(TextFeatures(f.polarity, f.subjectivity, label if said else f.label, themes,
                                       f.noun_phrases, version, f.codebook_hash))
    return relabelled


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
