"""Emerging phrases: what is new in this round's answers that no theme covers.

:func:`emerging_phrases` is the one entry point. Given an answers frame with a
``noun_phrases`` column (the phrases stored when each answer was analysed) it counts
those instead of chunking every text again; the result is the same either way.

Phrases (noun phrases and two-word sequences of content words) are compared
between the current round and all earlier rounds *of the same question*
with the weighted log-odds ratio and an informative Dirichlet prior
(Monroe, Colaresi & Quinn 2008, "Fightin' Words"), which shrinks rare
phrases towards the pooled rate so that one-off words do not dominate.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping

import pandas as pd

from .codebook import Codebook
from .noun_phrases import noun_phrases
from .text import content_bigrams

__all__ = ["answer_phrases", "log_odds_z", "emerging_phrases", "phrase_counts", "rank_emerging", "rank_emerging_totals"]


def answer_phrases(text: object, stored_noun_phrases: Iterable[str] | None = None) -> set[str]:
    """The set of phrases of one answer: its noun phrases plus bigrams of
    adjacent content words (stopwords removed, plurals singularised).

    ``stored_noun_phrases`` are the noun phrases stored for the answer when it was
    analysed; given, they are used instead of chunking ``text`` again."""
    phrases = set(noun_phrases(text) if stored_noun_phrases is None else stored_noun_phrases)
    phrases.update(content_bigrams(text))
    return phrases


def log_odds_z(
    current: Counter[str] | dict[str, int], earlier: Counter[str] | dict[str, int], prior_scale: float = 0.25
) -> dict[str, float]:
    """z-scores of the weighted log-odds ratio of each term, current vs earlier,
    with an informative Dirichlet prior from the pooled counts (times
    ``prior_scale``: the prior is worth a quarter of the data by default, so
    a phrase never seen before needs several mentions to stand out). Positive z = over-represented in ``current``. Returns
    ``{}`` when either side is empty, and z = 0 for every term when only one term is
    used at all (every answer in both rounds reduced to one word: nothing can be
    over-represented against nothing else, and the odds would divide by zero)."""
    n_i, n_j = sum(current.values()), sum(earlier.values())
    if n_i == 0 or n_j == 0:
        return {}
    pooled = Counter(current) + Counter(earlier)
    if len(+pooled) < 2:
        return {w: 0.0 for w in pooled}
    return {w: _z(current.get(w, 0), earlier.get(w, 0), n_i, n_j, prior_scale) for w in pooled}


def _z(y_i: int, y_j: int, n_i: int, n_j: int, prior_scale: float) -> float:
    """The z-score of :func:`log_odds_z` of one term used ``y_i`` / ``y_j`` times out of ``n_i`` / ``n_j``."""
    a0 = prior_scale * (n_i + n_j)
    a_w = prior_scale * (y_i + y_j)
    delta = math.log((y_i + a_w) / (n_i + a0 - y_i - a_w)) - math.log((y_j + a_w) / (n_j + a0 - y_j - a_w))
    var = 1.0 / (y_i + a_w) + 1.0 / (y_j + a_w)
    return delta / math.sqrt(var)


def rank_emerging_totals(candidates: Mapping[str, tuple[int, int]], totals: tuple[int, int, int], codebook: Codebook,
                         *, min_count: int = 3, top: int = 15, min_z: float = 1.96) -> pd.DataFrame:
    """:func:`rank_emerging` from totals rather than every phrase's counts: ``candidates``
    maps each phrase used in at least ``min_count`` current answers to (current, earlier)
    uses, and ``totals`` is (current uses, earlier uses, distinct phrases used) over every
    phrase. The same rows, the same order (e.g. with counts summed in SQL)."""
    n_i, n_j, distinct = totals
    if n_i == 0 or n_j == 0:
        rows = []
    else:
        rows = [
            {"phrase": p, "count": cur, "earlier_count": old,
             "z": 0.0 if distinct < 2 else _z(cur, old, n_i, n_j, 0.25)}
            for p, (cur, old) in candidates.items() if cur >= min_count
        ]
        rows = [r for r in rows if r["z"] >= min_z and not codebook.covers(r["phrase"])]
    return _ranked(pd.DataFrame(rows, columns=["phrase", "count", "earlier_count", "z"]), top)


def phrase_counts(values: Iterable[Any], stored_noun_phrases: Iterable[Any] | None = None) -> Counter[str]:
    """How many answers use each phrase (:func:`answer_phrases`; each phrase counts once
    an answer). Blank and non-text answers use none.

    With ``stored_noun_phrases`` (one item per answer: its stored noun phrases as a
    list, or anything else for an answer not analysed yet, which then contributes its
    bigrams only) the stored phrases are used rather than chunking the texts again.
    Answers with the same text (and stored phrases) are worked out once."""
    if stored_noun_phrases is None:
        keys: Iterable[tuple[Any, Any]] = ((value, None) for value in values)
    else:
        keys = ((value, tuple(p) if isinstance(p, (list, tuple)) else ()) for value, p in
                zip(values, stored_noun_phrases))
    counts: Counter[str] = Counter()
    bigrams_of: dict[Any, frozenset[str]] = {}  # answers sharing a text share its bigrams
    for (value, stored), weight in Counter(keys).items():
        if stored is None and not (isinstance(value, str) and value.strip()):
            continue
        text_bigrams = bigrams_of.get(value)
        if text_bigrams is None:
            text_bigrams = bigrams_of[value] = content_bigrams(value)
        phrases = text_bigrams.union(noun_phrases(value) if stored is None else stored)
        if weight == 1:
            counts.update(phrases)
        else:
            for phrase in phrases:
                counts[phrase] += weight
    return counts


def _round_counts(part: pd.DataFrame) -> Counter[str]:
    stored = part["noun_phrases"].tolist() if "noun_phrases" in part.columns else None
    return phrase_counts(part["value"].tolist(), stored)


def emerging_phrases(
    answers: pd.DataFrame,
    current_round_id: Any,
    codebook: Codebook,
    min_count: int = 3,
    top: int = 15,
    *,
    question_key: str | None = None,
    min_z: float = 1.96,
) -> pd.DataFrame:
    """Phrases over-represented in ``current_round_id`` versus earlier rounds
    (lower ``round_order``) of the same question, that no codebook theme covers.

    Each phrase counts once per answer; a ``noun_phrases`` column of stored phrases is
    used when present (:func:`phrase_counts`). Returns columns ``phrase, count,
    earlier_count, z`` (``count`` = answers in the current round using the
    phrase, at least ``min_count``; ``z`` >= ``min_z``), highest z first, at
    most ``top`` rows; empty when there is no earlier round. Raises
    ``ValueError`` if the round is unknown, or if several question keys are
    present and ``question_key`` is not given.
    """
    columns = ["phrase", "count", "earlier_count", "z"]
    frame = answers
    if question_key is not None:
        frame = frame[frame["question_key"] == question_key]
    elif frame["question_key"].nunique() > 1:
        raise ValueError("answers hold several question keys; pass question_key to compare within one")
    current = frame[frame["round_id"] == current_round_id]
    if current.empty:
        raise ValueError(f"no answers for round {current_round_id!r}")
    order = current["round_order"].iloc[0]
    earlier = frame[frame["round_order"] < order]
    if earlier.empty:
        return pd.DataFrame(columns=columns)
    return rank_emerging(_round_counts(current), _round_counts(earlier), codebook,
                         min_count=min_count, top=top, min_z=min_z)


def rank_emerging(current: Counter[str], earlier: Counter[str], codebook: Codebook, *, min_count: int = 3,
                  top: int = 15, min_z: float = 1.96) -> pd.DataFrame:
    """Rank phrases by weighted log-odds of ``current`` counts against ``earlier`` ones.

    Keeps phrases used in at least ``min_count`` current answers, with ``z`` >= ``min_z``
    and no codebook theme covering them. Returns columns ``phrase, count,
    earlier_count, z``, highest z first, at most ``top`` rows.
    """
    z = log_odds_z(current, earlier)
    rows = [
        {"phrase": p, "count": current[p], "earlier_count": earlier.get(p, 0), "z": z[p]}
        for p in current
        if current[p] >= min_count and z.get(p, 0.0) >= min_z and not codebook.covers(p)
    ]
    return _ranked(pd.DataFrame(rows, columns=["phrase", "count", "earlier_count", "z"]), top)


def _ranked(out: pd.DataFrame, top: int) -> pd.DataFrame:
    if out.empty:
        return out
    out = out.sort_values(["z", "count", "phrase"], ascending=[False, False, True], kind="stable")
    return out.head(top).reset_index(drop=True)
