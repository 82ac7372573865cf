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
from typing import Sequence

from flask import current_app
from sqlalchemy.orm import Session

from analysis.disclosure import DisclosurePolicy
from analysis.wordclouds import whats_new_cloud_png, word_cloud_png

from ..coding.coding import analysis_provenance, round_agreement
from ..definitions import GOVERNANCE_LABELS
from ..models import questionnaire_by_slug
from ..text_analysis import current_codebook
from .clouds import whats_new_cloud, word_cloud
from .data import RoundSummary, load_answers, question_catalogue, questionnaire_rounds
from .policy import disclosure_policy
from .summary import FreeTextSummary, QuoteResult, quotes_for, summarise_closed, summarise_free_text

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


def _clouds(section_texts: dict[int, list[str]], rounds: Sequence, cache_folder: Path | None,
            policy: DisclosurePolicy, states: dict) -> list[Image]:
    """The word clouds worth drawing: none for a suppressed round or one without words."""
    images = []
    previous = None
    for column in rounds:
        texts = section_texts.get(column.round_id, [])
        if column.suppressed:
            previous = None
            continue
        words = policy.min_count
        state = states.get(column.round_id)
        if state is not None and state.words:
            png = (word_cloud(cache_folder, texts, words)[1] if cache_folder
                   else word_cloud_png(texts, min_answers=words))
            images.append(Image(data_uri(png, "image/png"), f"Word cloud of the words used most in {column.label}",
                                f"Words used most in {column.label}"))
        if previous is not None and state is not None and state.new_words:
            prev_label, prev_texts = previous
            png = (whats_new_cloud(cache_folder, texts, prev_texts, words)[1] if cache_folder
                   else whats_new_cloud_png(texts, prev_texts, min_answers=words))
            images.append(Image(data_uri(png, "image/png"),
                                f"Word cloud of the words used more in {column.label} than in {prev_label}",
                                f"What's new in {column.label} compared with {prev_label}"))
        previous = (column.label, texts)
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
    answers = load_answers(session, slug, round_ids=[r.id for r in rounds], noun_phrases=True)
    by_key = {key: group for key, group in answers.groupby("question_key", sort=False)}

    free_text, closed = [], []
    for question in question_catalogue(session, questionnaire.id):
        frame = by_key.get(question.key)
        if frame is None:
            continue
        if question.free_text:
            free_text.append(_free_text_section(frame, question, codebook, policy, cache_folder,
                                                audience=questionnaire.latest_version().audience))
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
        provenance={f.summary.question.key: analysis_provenance(session, f.summary.question.key, [r.id for r in rounds])
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


def _free_text_section(frame, question, codebook, policy: DisclosurePolicy,
                       cache_folder: Path | None, audience: str | None = None) -> FreeTextSection:
    summary = summarise_free_text(frame, question, codebook, policy, audience=audience)
    section = FreeTextSection(
        summary=summary,
        theme_chart=Image(data_uri(summary.theme_chart_svg, "image/svg+xml"),
                          f"Line chart of the share of answers to {question.key} mentioning each theme, by round",
                          "Share of answers mentioning each theme") if summary.theme_chart_svg else None,
        sentiment_chart=Image(data_uri(summary.sentiment_chart_svg, "image/svg+xml"),
                              f"Bar chart of positive, neutral and negative answers to {question.key}, by round",
                              "Tone of answers by round") if summary.sentiment_chart_svg else None,
    )
    if not summary.rounds:
        return section
    analysed = frame[frame["label"].notna()]
    texts: dict[int, list[str]] = {}
    for round_id, value in zip(analysed["round_id"], analysed["value"]):
        texts.setdefault(int(round_id), []).append(str(value))
    section.clouds = _clouds(texts, summary.rounds, cache_folder, policy, summary.clouds)
    latest = summary.latest_round
    for row in summary.themes[:QUOTED_THEMES]:
        if latest is None:
            break
        section.quotes.append((row.name, quotes_for(analysed, row.key, latest.round_id, codebook, policy,
                                                    n=QUOTES_PER_THEME)))
    return section


def report_filename(slug: str, day: date | None = None) -> str:
    """The report's file name: ``children-report-2024-05-01.html``."""
    return f"{slug}-report-{(day or date.today()).isoformat()}.html"
