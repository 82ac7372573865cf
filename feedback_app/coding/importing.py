"""Importing coding done elsewhere (a spreadsheet of coded answers) as coded examples."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from analysis.codebook import Codebook
from analysis.sentiment import LABELS

from ..models import Coding


class CodingImportError(Exception):
    """The file is refused whole; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CodedRow:
    """One coded example read from the file."""

    text: str
    sentiment: str | None
    themes: list[str] | None


_THEME_SPLIT = re.compile(r"[;,]")


def read_coded_file(path: Path, text_column: str, codebook: Codebook, sentiment_column: str | None = None,
                    themes_column: str | None = None) -> list[CodedRow]:
    """Read and check every row of the CSV at ``path``.

    Sentiment labels are ``positive``/``neutral``/``negative`` (any case); themes are
    codebook keys separated by ";" or ",". Raises :class:`CodingImportError` listing every
    problem (missing columns, empty text, unknown labels, unknown theme keys) when there is any.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CodingImportError([f"{path.name} is not UTF-8 text: save it as 'CSV UTF-8' and try again"]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise CodingImportError([f"{path.name} cannot be read as CSV: {error}"]) from None
    wanted = [c for c in (text_column, sentiment_column, themes_column) if c]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise CodingImportError([f"no column {c!r} (the columns are: {', '.join(frame.columns)})" for c in missing])
    if not sentiment_column and not themes_column:
        raise CodingImportError(["give --sentiment-column, --themes-column or both: there is nothing coded to import"])
    known = set(codebook.keys) | set(codebook.merged)
    problems: list[str] = []
    rows: list[CodedRow] = []
    for i, record in enumerate(frame.to_dict("records"), start=2):  # row 1 is the header
        text = record[text_column].strip()
        if not text:
            problems.append(f"row {i}: the text is empty")
        sentiment = None
        if sentiment_column:
            sentiment = record[sentiment_column].strip().lower() or None
            if sentiment is not None and sentiment not in LABELS:
                problems.append(f"row {i}: unknown sentiment {record[sentiment_column]!r} "
                                f"(use {', '.join(LABELS)})")
        themes = None
        if themes_column:
            themes = [k.strip() for k in _THEME_SPLIT.split(record[themes_column]) if k.strip()]
            for key in themes:
                if key not in known:
                    problems.append(f"row {i}: unknown theme key {key!r}")
            themes = [codebook.canonical_key(k) for k in themes]
        rows.append(CodedRow(text, sentiment, themes))
    if not rows:
        problems.append(f"{path.name} has no rows")
    if problems:
        raise CodingImportError(problems)
    return rows


def store_imported(session: Session, rows: list[CodedRow], coder: str) -> int:
    """Add ``rows`` as codings without answers (commits). Returns how many were added."""
    session.add_all(Coding(answer_id=None, text=r.text, sentiment=r.sentiment, themes=r.themes,
                           coder=coder, source="import") for r in rows)
    session.commit()
    return len(rows)
