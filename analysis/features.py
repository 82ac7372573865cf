"""Text features of one answer, computed once when it arrives and stored with
:data:`analysis.ANALYSER_VERSION`.

:func:`features_frame` does the same for a whole DataFrame, optionally in
worker processes; every function used there is top-level and picklable.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import pandas as pd

from . import ANALYSER_VERSION
from .codebook import Codebook
from .noun_phrases import noun_phrases
from .sentiment import sentiment

__all__ = ["TextFeatures", "text_features", "features_frame", "FEATURE_COLUMNS"]

#: Columns :func:`features_frame` adds.
FEATURE_COLUMNS = ("polarity", "subjectivity", "label", "themes", "noun_phrases", "analyser_version")


@dataclass(frozen=True)
class TextFeatures:
    """Features of one free-text answer.

    ``themes`` are codebook theme keys; ``codebook_hash`` is the
    :meth:`~analysis.codebook.Codebook.version_hash` of the codebook used.
    """

    polarity: float
    subjectivity: float
    label: str
    themes: list[str] = field(default_factory=list)
    noun_phrases: list[str] = field(default_factory=list)
    analyser_version: str = ANALYSER_VERSION
    codebook_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable) for storage."""
        return asdict(self)


def text_features(text: object, codebook: Codebook, *, nothing_means: str = "positive") -> TextFeatures:
    """Sentiment, codebook themes and noun phrases of ``text``.

    Empty or non-text input gives a neutral zero result with no themes or
    phrases. ``nothing_means`` is passed to :func:`analysis.sentiment.sentiment`.
    Never raises for any text.
    """
    s = sentiment(text, nothing_means=nothing_means)  # type: ignore[arg-type]
    if not isinstance(text, str) or not text.strip():
        return TextFeatures(s.polarity, s.subjectivity, s.label, [], [], ANALYSER_VERSION, codebook.version_hash())
    return TextFeatures(
        polarity=s.polarity,
        subjectivity=s.subjectivity,
        label=s.label,
        themes=codebook.match(text),
        noun_phrases=noun_phrases(text),
        analyser_version=ANALYSER_VERSION,
        codebook_hash=codebook.version_hash(),
    )


def _features_chunk(args: tuple[Sequence[object], Codebook, str]) -> list[TextFeatures]:
    """Worker: features of a chunk of texts (top level so it pickles)."""
    texts, codebook, nothing_means = args
    return [text_features(t, codebook, nothing_means=nothing_means) for t in texts]


def features_frame(
    df: pd.DataFrame,
    text_column: str,
    codebook: Codebook,
    *,
    workers: int | None = None,
    chunk_size: int = 200,
    nothing_means: str = "positive",
) -> pd.DataFrame:
    """A copy of ``df`` with the columns in :data:`FEATURE_COLUMNS` added
    (``themes`` and ``noun_phrases`` hold lists).

    With ``workers`` > 1 the texts are processed in chunks of ``chunk_size``
    by a ``ProcessPoolExecutor``; the result is identical to the serial one.
    Raises ``KeyError`` if ``text_column`` is missing and ``ValueError`` for a
    non-positive ``chunk_size``.
    """
    if text_column not in df.columns:
        raise KeyError(f"column {text_column!r} not in frame (columns: {', '.join(map(str, df.columns))})")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    texts = list(df[text_column])
    chunks = [texts[i : i + chunk_size] for i in range(0, len(texts), chunk_size)]
    jobs = [(c, codebook, nothing_means) for c in chunks]
    if workers and workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_features_chunk, jobs))
    else:
        results = [_features_chunk(j) for j in jobs]
    feats = [f for chunk in results for f in chunk]
    out = df.copy()
    out["polarity"] = pd.Series([f.polarity for f in feats], index=df.index, dtype="float64")
    out["subjectivity"] = pd.Series([f.subjectivity for f in feats], index=df.index, dtype="float64")
    out["label"] = pd.Series([f.label for f in feats], index=df.index, dtype="object")
    out["themes"] = pd.Series([f.themes for f in feats], index=df.index, dtype="object")
    out["noun_phrases"] = pd.Series([f.noun_phrases for f in feats], index=df.index, dtype="object")
    out["analyser_version"] = ANALYSER_VERSION
    return out
