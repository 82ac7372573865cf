"""The printable comparison report of one questionnaire: one self-contained HTML file.

For each free-text question: theme shares with counts, changes with their tests,
sentiment, charts, word clouds, typical quotes, emerging phrases and draft key lines of
enquiry; for each closed question, the spread of answers; and the questionnaire's
governance. Images are embedded as ``data:`` URIs and the styles sit in the file, so
it can be emailed, printed or archived as it is. Small numbers are suppressed exactly
as on the analysis pages (the same ``insights.summary`` functions build both).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd

from flask import current_app
from sqlalchemy.orm import Session

from analysis.disclosure import DisclosurePolicy
from analysis.wordclouds import CloudWords, whats_new_cloud_png, whats_new_png_of, word_cloud_png, word_cloud_png_of

from ..coding.coding import round_agreement
from ..definitions import GOVERNANCE_LABELS
from ..choice_tallies import choice_counts
from ..models import questionnaire_by_slug
from ..tallies import tallies_current
from ..text_analysis import current_codebook
from .clouds import counted_whats_new, counted_word_cloud, whats_new_cloud, word_cloud
from .data import (
    QuestionSummary,
    RoundSummary,
    TermCounts,
    load_answers,
    load_choice_counts,
    load_tallied,
    question_catalogue,
    question_provenance,
    questionnaire_rounds,
)
from .policy import disclosure_policy
from .summary import (
    FreeTextSummary,
    QuoteResult,
    quotes_for,
    summarise_closed,
    summarise_free_text,
    summarise_tallied,
    tallied_quotes,
)

class ReportError(Exception):
    """The report cannot be made as asked (unknown questionnaire or round); the message says why."""


QUOTED_THEMES = 3
QUOTES_PER_THEME = 2


@dataclass(frozen=True)
class Image:
    """An image embedded in the report."""

    src: str
    alt: str
    caption: str


@dataclass
class FreeTextSection:
    """One free-text question in the report."""

    summary: FreeTextSummary
    theme_chart: Image | None
    sentiment_chart: Image | None
    clouds: list[Image] = field(default_factory=list)
    quotes: list[tuple[str, QuoteResult]] = field(default_factory=list)


def data_uri(content: bytes | str, mimetype: str) -> str:
    """``content`` as a base64 ``data:`` URI."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return f"data:{mimetype};base64,{base64.b64encode(raw).decode('ascii')}"


def parse_round_ids(text: str | None) -> list[int] | None:
    """``"3,5"`` as ``[3, 5]``; None for no text. Raises ReportError for anything else."""
    if text is None or not text.strip():
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ReportError(f"--rounds takes round ids separated by commas, such as 3,5; not {text!r}.") from None


class _TextClouds:
    """A round's word clouds drawn from its answers' texts (when the tallies are not current)."""

    def __init__(self, texts: dict[int, list[str]], folder: Path | None, min_answers: int) -> None:
        self.texts, self.folder, self.min_answers = texts, folder, min_answers

    def cloud(self, round_id: int) -> bytes:
        texts = self.texts.get(round_id, [])
        if self.folder:
            return word_cloud(self.folder, texts, self.min_answers)[1]
        return word_cloud_png(texts, min_answers=self.min_answers)

    def whats_new(self, round_id: int, before: int) -> bytes:
        texts, previous = self.texts.get(round_id, []), self.texts.get(before, [])
        if self.folder:
            return whats_new_cloud(self.folder, texts, previous, self.min_answers)[1]
        return whats_new_cloud_png(texts, previous, min_answers=self.min_answers)


class _CountedClouds:
    """A round's word clouds drawn from its word tallies (issue 13 item 2): the same pictures
    as :class:`_TextClouds`, without reading the answers."""

    def __init__(self, terms: TermCounts, folder: Path | None, min_answers: int) -> None:
        self.terms, self.folder, self.min_answers = terms, folder, min_answers
        self._words: dict[int, CloudWords] = {}

    def words(self, round_id: int) -> CloudWords:
        """The round's counted words, read once (a round is drawn, then compared with the next)."""
        if round_id not in self._words:
            self._words[round_id] = self.terms.words(round_id)
        return self._words[round_id]

    def cloud(self, round_id: int) -> bytes:
        words = self.words(round_id)
        if self.folder:
            return counted_word_cloud(self.folder, words, self.min_answers)[1]
        return word_cloud_png_of(words, min_answers=self.min_answers)

    def whats_new(self, round_id: int, before: int) -> bytes:
        words, previous = self.words(round_id), self.words(before)
        if self.folder:
            return counted_whats_new(self.folder, words, previous, self.min_answers)[1]
        return whats_new_png_of(words, previous.uses, min_answers=self.min_answers)


def _clouds(rounds: Sequence, states: dict, draw: _TextClouds | _CountedClouds) -> list[Image]:
    """The word clouds worth drawing: none for a suppressed round or one without words."""
    images = []
    previous = None
    for column in rounds:
        if column.suppressed:
            previous = None
            continue
        state = states.get(column.round_id)
        if state is not None and state.words:
            images.append(Image(data_uri(draw.cloud(column.round_id), "image/png"),
                                f"Word cloud of the words used most in {column.label}",
                                f"Words used most in {column.label}"))
        if previous is not None and state is not None and state.new_words:
            images.append(Image(data_uri(draw.whats_new(column.round_id, previous.round_id), "image/png"),
                                f"Word cloud of the words used more in {column.label} than in {previous.label}",
                                f"What's new in {column.label} compared with {previous.label}"))
        previous = column
    return images


def _governance(session: Session, rounds: list[RoundSummary], questionnaire) -> tuple[dict[str, str], int | None]:
    versions = {r.version for r in rounds}
    chosen = None
    for version in reversed(questionnaire.versions):
        if not versions or version.version in versions:
            chosen = version
            break
    chosen = chosen or questionnaire.latest_version()
    if chosen is None:
        return {}, None
    governance = chosen.governance or {}
    return ({label: governance[key] for key, label in GOVERNANCE_LABELS.items() if governance.get(key)},
            chosen.version)


def build_report(
    session: Session,
    slug: str,
    round_ids: Sequence[int] | None = None,
    *,
    min_count: int = 5,
    cache_folder: Path | None = None,
    generated_on: date | None = None,
) -> str:
    """The report of questionnaire ``slug`` over ``round_ids`` (default: every round) as HTML text.

    Needs an application context (for the template). Word clouds are taken from, and
    added to, ``cache_folder`` when one is given. Raises ReportError for an unknown
    questionnaire or a round that is not one of its rounds.
    """
    questionnaire = questionnaire_by_slug(session, slug)
    if questionnaire is None:
        raise ReportError(f"No questionnaire '{slug}' is published.")
    rounds = _chosen_rounds(questionnaire_rounds(session, questionnaire.id), round_ids, slug)
    policy = disclosure_policy(questionnaire, min_count)
    codebook, saved = current_codebook(session)
    sections = _Sections(session, rounds, codebook, policy, cache_folder, questionnaire.latest_version().audience)
    free_text, closed = [], []
    for question, frame in _question_frames(session, slug, rounds, sections.from_tallies):
        if question.free_text:
            free_text.append(sections.free_text(question, frame))
        else:
            closed.append(summarise_closed(frame, question, policy))
    governance, governance_version = _governance(session, rounds, questionnaire)
    template = current_app.jinja_env.get_template("report/report.html")
    return template.render(
        questionnaire=questionnaire,
        rounds=rounds,
        governance=governance,
        governance_version=governance_version,
        free_text=free_text,
        closed=[c for c in closed if c.rounds],
        min_count=policy.min_count,
        suppressed=policy.label,
        policy=policy,
        codebook=codebook,
        codebook_version=saved.version if saved else None,
        generated_on=generated_on or date.today(),
        coder_agreement=round_agreement(session, [r.id for r in rounds], codebook.keys),
        # issue 14: which model and how many coded answers produced each question's figures
        provenance={f.summary.question.key: question_provenance(session, f.summary.question.key, [r.id for r in rounds],
                                                                sections.from_tallies)
                    for f in free_text},
    )


def _chosen_rounds(all_rounds: list, round_ids: Sequence[int] | None, slug: str) -> list:
    """The rounds of ``round_ids`` (every round when none are given); ReportError names any
    id that is not one of the questionnaire's rounds."""
    if not round_ids:
        return all_rounds
    known = {r.id for r in all_rounds}
    unknown = [str(i) for i in round_ids if i not in known]
    if unknown:
        raise ReportError(f"Round {', '.join(unknown)} is not a round of '{slug}'; its rounds are "
                          f"{', '.join(f'{r.id} ({r.label})' for r in all_rounds) or 'none yet'}.")
    return [r for r in all_rounds if r.id in set(round_ids)]


def _question_frames(session: Session, slug: str, rounds: list[RoundSummary],
                     from_tallies: bool) -> Iterator[tuple[QuestionSummary, pd.DataFrame | None]]:
    """Each question of the questionnaire that has answers in ``rounds``, with its answers;
    when the tallies are current, a free-text question's answers are not read (None) and a
    closed question's are counted in SQL (:func:`~.data.load_choice_counts`)."""
    catalogue = question_catalogue(session, questionnaire_by_slug(session, slug).id)
    round_ids = [r.id for r in rounds]
    if not from_tallies:  # one query for every question, as before the tallies
        answers = load_answers(session, slug, round_ids=round_ids, noun_phrases=True)
        by_key = {key: group for key, group in answers.groupby("question_key", sort=False)}
        yield from ((q, by_key[q.key]) for q in catalogue if q.key in by_key)
        return
    for question in catalogue:
        if question.free_text:
            if _answered(session, question.key, round_ids):
                yield question, None
            continue
        frame = load_choice_counts(session, slug, question.key, round_ids)
        if not frame.empty:
            yield question, frame


def _answered(session: Session, question_key: str, round_ids: list[int]) -> bool:
    """Whether ``question_key`` has an answer (analysed or not, outside excluded bursts) in
    ``round_ids``: from its counts (:func:`feedback_app.choice_tallies.choice_counts`)."""
    return bool(choice_counts(session, question_key, round_ids))


class _Sections:
    """Builds the report's free-text sections: from the tallies when they are current under
    the codebook (issue 13 item 2: counts, not rows, and quotes from a bounded sample),
    else from the question's answers. Both give the same section."""

    def __init__(self, session: Session, rounds: list[RoundSummary], codebook, policy: DisclosurePolicy,
                 cache_folder: Path | None, audience: str | None) -> None:
        self.session, self.rounds, self.codebook, self.policy = session, rounds, codebook, policy
        self.cache_folder, self.audience = cache_folder, audience
        self.from_tallies = tallies_current(session, codebook)

    def free_text(self, question: QuestionSummary, frame: pd.DataFrame | None) -> FreeTextSection:
        """The section of ``question``; ``frame`` (its answers) is None when read from the tallies."""
        if frame is None:
            return self._tallied(question)
        summary = summarise_free_text(frame, question, self.codebook, self.policy, audience=self.audience)
        section = _charted(summary, question)
        if not summary.rounds:
            return section
        analysed = frame[frame["label"].notna()]
        texts: dict[int, list[str]] = {}
        for round_id, value in zip(analysed["round_id"], analysed["value"]):
            texts.setdefault(int(round_id), []).append(str(value))
        section.clouds = _clouds(summary.rounds, summary.clouds,
                                 _TextClouds(texts, self.cache_folder, self.policy.min_count))
        section.quotes = [(name, quotes_for(analysed, key, round_id, self.codebook, self.policy, n=QUOTES_PER_THEME))
                          for name, key, round_id in _quoted(summary)]
        return section

    def _tallied(self, question: QuestionSummary) -> FreeTextSection:
        tallied = load_tallied(self.session, question.key, self.rounds)
        summary = summarise_tallied(tallied, question, self.codebook, self.policy, audience=self.audience)
        section = _charted(summary, question)
        if not summary.rounds:
            return section
        section.clouds = _clouds(summary.rounds, summary.clouds,
                                 _CountedClouds(tallied.terms, self.cache_folder, self.policy.min_count))
        by_id = {r.id: r for r in self.rounds}
        section.quotes = [(name, tallied_quotes(self.session, question.key, by_id[round_id], key, self.policy,
                                                n=QUOTES_PER_THEME))
                          for name, key, round_id in _quoted(summary)]
        return section


def _quoted(summary: FreeTextSummary) -> list[tuple[str, str, int]]:
    """(name, key, round) of the themes quoted: the most common ones, in the latest round."""
    latest = summary.latest_round
    if latest is None:
        return []
    return [(row.name, row.key, latest.round_id) for row in summary.themes[:QUOTED_THEMES]]


def _charted(summary: FreeTextSummary, question: QuestionSummary) -> FreeTextSection:
    """A section holding ``summary`` and its two charts."""
    return FreeTextSection(
        summary=summary,
        theme_chart=Image(data_uri(summary.theme_chart_svg, "image/svg+xml"),
                          f"Line chart of the share of answers to {question.key} mentioning each theme, by round",
                          "Share of answers mentioning each theme") if summary.theme_chart_svg else None,
        sentiment_chart=Image(data_uri(summary.sentiment_chart_svg, "image/svg+xml"),
                              f"Bar chart of positive, neutral and negative answers to {question.key}, by round",
                              "Tone of answers by round") if summary.sentiment_chart_svg else None,
    )


def report_filename(slug: str, day: date | None = None) -> str:
    """The report's file name: ``children-report-2024-05-01.html``."""
    return f"{slug}-report-{(day or date.today()).isoformat()}.html"
