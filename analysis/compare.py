"""Comparison of answers across rounds, always within one question key.

Input to every function is an *answers* frame with one row per answer::

    response_id, round_id, round_label, round_order (int), question_key,
    agency, value (str), polarity (float), label, themes (list[str])

``themes`` may also hold a JSON list string, a tuple/array or ``None``.
Outputs are grouped by ``question_key`` first, so answers to different
questions are never pooled ("What didn't help?" is negative by design).

Small numbers are suppressed so that no child can be identified: a count
between 1 and ``min_count - 1`` is withheld (``<NA>``) and shown as
"fewer than N" in the matching ``*_display`` column, and every share,
difference or test derived from it is withheld too (``NaN``). Zero is shown.
A round with fewer than ``min_count`` answers is suppressed whole. Where counts
add up to a shown total (sentiment labels, single-choice options) the next-smallest
count is withheld as well (secondary suppression). The rules are those of
:mod:`analysis.disclosure`.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .disclosure import SECONDARY_LABEL, DisclosurePolicy, suppressed_label
from .text import content_tokens

__all__ = [
    "ANSWER_COLUMNS",
    "ANSWERS_WEIGHT",
    "suppressed_label",
    "theme_prevalence",
    "compare_rounds",
    "sentiment_by_round",
    "theme_sentiment",
    "prevalence_from_tallies",
    "sentiment_from_tallies",
    "choice_distribution",
    "choice_change",
    "scale_by_round",
    "scale_change",
    "representative_quotes",
    "lines_of_enquiry",
]

ANSWER_COLUMNS = (
    "response_id", "round_id", "round_label", "round_order", "question_key",
    "agency", "value", "polarity", "label", "themes",
)
_ROUND_COLS = ["question_key", "round_id", "round_label", "round_order"]
ALPHA = 0.05


# ---------------------------------------------------------------------------
# helpers

def _require(answers: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in answers.columns]
    if missing:
        raise ValueError(f"answers frame is missing column(s): {', '.join(missing)}")


def _check_min_count(min_count: int) -> None:
    if not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be a positive integer, got {min_count!r}")


def _has_text(values: pd.Series) -> pd.Series:
    items = values.to_numpy(dtype=object)
    has = np.fromiter((isinstance(v, str) and bool(v.strip()) for v in items), dtype=bool, count=len(items))
    return pd.Series(has, index=values.index, dtype=bool)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return []
        if s.startswith("["):
            try:
                parsed = json.loads(s)
            except json.JSONDecodeError:
                return [s]
            return [str(x) for x in parsed if x is not None and str(x).strip()]
        return [s]
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Series)):
        return [str(x) for x in value if x is not None and str(x).strip()]
    return [str(value)]


def _too_small(n: int, min_count: int) -> bool:
    """A group of ``n`` answers too small to describe (:meth:`DisclosurePolicy.too_small`)."""
    return DisclosurePolicy(max(1, int(min_count))).too_small(n)


def _is_small(n: int, min_count: int) -> bool:
    return DisclosurePolicy(int(min_count)).is_small(n)


def _partition_hidden(counts: Sequence[int], min_count: int) -> list[bool]:
    """Primary and secondary suppression of cells adding up to a shown total
    (:meth:`analysis.disclosure.DisclosurePolicy.suppress_partition`)."""
    return DisclosurePolicy(int(min_count)).suppress_partition([int(k) for k in counts])


def _display(n: int | None, suppressed: bool, min_count: int, secondary: bool = False) -> str:
    """A count as shown: the count, "fewer than N", or "withheld" for a count that is not
    small but is hidden so that a small one beside it cannot be worked out."""
    if suppressed:
        return SECONDARY_LABEL if secondary else suppressed_label(min_count)
    return "" if n is None else str(int(n))


def _rounds(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (question_key, round) in round order."""
    return (
        frame[_ROUND_COLS]
        .drop_duplicates(subset=["question_key", "round_id"])
        .sort_values(["question_key", "round_order", "round_id"], kind="stable")
        .reset_index(drop=True)
    )


def _content_key(value: Any) -> Any:
    """A hashable key, equal for theme values with the same content (a list and a tuple
    of the same items alike)."""
    key = ("items", tuple(value)) if isinstance(value, (list, tuple)) else ("value", value)
    try:
        hash(key)
    except TypeError:
        return ("repr", type(value).__name__, repr(value))
    return key


def _codes_by_content(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Each value's code into the distinct values (by content: :func:`_content_key`), and
    the first value of each code."""
    raw_code: dict[Any, int] = {}
    originals: list[Any] = []
    raw = np.empty(len(values), dtype=np.intp)
    for i, value in enumerate(values):
        key = _content_key(value)
        code = raw_code.get(key)
        if code is None:
            code = raw_code[key] = len(originals)
            originals.append(value)
        raw[i] = code
    return raw, originals


def _theme_codes(themes: pd.Series) -> tuple[np.ndarray, list[list[str]]]:
    """Each row's theme list as a code into the distinct lists (each as :func:`_as_list`
    reads it), and those distinct lists: ``distinct[codes[i]]`` is row ``i``'s themes.

    Rows are grouped by content, so each distinct value is read once, however many
    rows repeat it (a few hundred theme lists serve 100,000 answers)."""
    values = themes.to_numpy(dtype=object)
    try:  # hashable values (tuples, as loaded; text; None): grouped by a hash table
        raw, originals = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # lists: grouped by their content, one at a time
        raw, originals = _codes_by_content(values)
    by_content: dict[tuple[str, ...], int] = {}
    distinct: list[list[str]] = []
    code_of_raw = np.empty(len(originals), dtype=np.intp)
    for k, value in enumerate(originals):
        parsed = _as_list(value)
        code_of_raw[k] = by_content.setdefault(tuple(parsed), len(distinct))
        if code_of_raw[k] == len(distinct):
            distinct.append(parsed)
    return code_of_raw[raw], distinct


def _object_array(items: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _text_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Answers with text, ``themes`` read as tuples (immutable, so rows with the same
    themes may share one)."""
    frame = answers[_has_text(answers["value"])].copy()
    if "themes" in frame:
        codes, distinct = _theme_codes(frame["themes"])
        frame["themes"] = pd.Series(_object_array([tuple(d) for d in distinct])[codes], index=frame.index,
                                    dtype="object")
    else:
        frame["themes"] = [() for _ in range(len(frame))]
    return frame


def _round_index(frame: pd.DataFrame, rounds: pd.DataFrame) -> np.ndarray:
    """Each row's position in ``rounds`` (from :func:`_rounds`), matched on question key and
    round id; -1 when either is missing."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.intp)
    keys = pd.MultiIndex.from_frame(rounds[["question_key", "round_id"]])
    index = keys.get_indexer(pd.MultiIndex.from_frame(frame[["question_key", "round_id"]]))
    missing = (frame["question_key"].isna() | frame["round_id"].isna()).to_numpy()
    index[missing] = -1
    return index


def _nullable_int(values: list[int | None]) -> pd.Series:
    return pd.Series(pd.array(values, dtype="Int64"))


# ---------------------------------------------------------------------------
# theme prevalence and round-to-round comparison

def theme_prevalence(
    answers: pd.DataFrame, min_count: int = 5, themes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Share of answers mentioning each theme, per question key, round and theme.

    Returns columns ``question_key, round_id, round_label, round_order, theme,
    n_responses, n_theme, share, suppressed, n_responses_display,
    n_theme_display``. ``n_responses`` counts answers with text in that round
    for that question; ``share`` = n_theme / n_responses. A suppressed row
    has ``n_theme`` (and, if the round is small, ``n_responses``) as ``<NA>``,
    ``share`` NaN and the display column "fewer than N". Themes listed in
    ``themes`` appear even with zero counts; otherwise every theme seen for
    that question. Raises ``ValueError`` for missing columns or a bad
    ``min_count``.
    """
    _check_min_count(min_count)
    _require(answers, ["round_id", "round_label", "round_order", "question_key", "value", "themes"])
    frame = answers[_has_text(answers["value"])]
    codes, distinct = _theme_codes(frame["themes"])
    unique_sets = [set(ts) for ts in distinct]
    rounds_all = _rounds(frame)
    round_of_row = _round_index(frame, rounds_all)
    question_codes, question_keys = pd.factorize(frame["question_key"], sort=True)
    rows: list[dict[str, Any]] = []
    for q, question_key in enumerate(question_keys):
        in_question = question_codes == q
        q_codes = codes[in_question]
        present = np.bincount(q_codes, minlength=len(distinct)) > 0
        seen = sorted({t for s, ts in enumerate(unique_sets) if present[s] for t in ts})
        theme_list = list(dict.fromkeys([*(themes or []), *seen]))
        position = {t: i for i, t in enumerate(theme_list)}
        incidence = np.zeros((len(distinct), len(theme_list)), dtype=np.int64)
        for s, ts in enumerate(unique_sets):
            for t in ts:
                if t in position:
                    incidence[s, position[t]] = 1
        rounds = rounds_all[rounds_all["question_key"] == question_key].reset_index(drop=True)
        first_round = int(np.flatnonzero((rounds_all["question_key"] == question_key).to_numpy())[0]) if len(rounds) else 0
        q_round = round_of_row[in_question]
        matched = q_round >= 0
        local = q_round[matched] - first_round
        per_round = np.bincount(local, minlength=len(rounds))
        by_set = np.bincount(local * len(distinct) + q_codes[matched],
                             minlength=len(rounds) * len(distinct)).reshape(len(rounds), len(distinct))
        rows.extend(_prevalence_rows(rounds, per_round, by_set @ incidence, theme_list, min_count))
    return _finish_prevalence(rows)


def _finish_prevalence(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = [*_ROUND_COLS, "theme", "n_responses", "n_theme", "share", "suppressed",
               "n_responses_display", "n_theme_display"]
    out = pd.DataFrame(rows, columns=columns)
    out["n_responses"] = _nullable_int(list(out["n_responses"]))
    out["n_theme"] = _nullable_int(list(out["n_theme"]))
    out["share"] = out["share"].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


def _prevalence_rows(rounds: pd.DataFrame, per_round: np.ndarray, theme_counts: np.ndarray,
                     theme_list: list[str], min_count: int) -> list[dict[str, Any]]:
    """The rows of :func:`theme_prevalence` for one question: per round (``rounds``, with
    ``per_round`` answers each) and theme (``theme_counts[round, theme]``), suppressed
    as the disclosure policy for ``min_count`` says."""
    rows = []
    for r, (_, rnd) in enumerate(rounds.iterrows()):
        n_resp = int(per_round[r])
        small_round = _too_small(n_resp, min_count)
        for i, t in enumerate(theme_list):
            n = int(theme_counts[r, i])
            suppressed = small_round or _is_small(n, min_count)
            rows.append({
                **rnd.to_dict(),
                "theme": t,
                "n_responses": None if small_round else n_resp,
                "n_theme": None if suppressed else n,
                "share": float("nan") if suppressed or n_resp == 0 else n / n_resp,
                "suppressed": suppressed,
                "n_responses_display": _display(n_resp, small_round, min_count),
                "n_theme_display": _display(n, suppressed, min_count),
            })
    return rows


def _two_by_two_test(a: int, n1: int, b: int, n2: int) -> tuple[float, str]:
    """p-value and test name for a difference in two proportions a/n1 vs b/n2:
    chi-square (with Yates' correction), or Fisher's exact test when any
    expected count is below 5."""
    table = np.array([[a, n1 - a], [b, n2 - b]], dtype=float)
    if table.sum(axis=0).min() == 0 or table.sum(axis=1).min() == 0:
        return 1.0, "none"
    expected = stats.contingency.expected_freq(table)
    if expected.min() < 5:
        return float(stats.fisher_exact(table.astype(int))[1]), "fisher"
    p_value = stats.chi2_contingency(table, correction=True)[1]
    return float(p_value), "chi-square"


def compare_rounds(
    answers: pd.DataFrame, min_count: int = 5, themes: Sequence[str] | None = None,
    *, prevalence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Theme shares in each pair of consecutive rounds of the same question.

    ``prevalence``, when the caller already has it, is ``theme_prevalence(answers,
    min_count, themes)`` and is not worked out again.

    Returns columns ``question_key, theme, round_from, round_from_label,
    round_to, round_to_label, n_from, n_theme_from, share_from, n_to,
    n_theme_to, share_to, difference, test, p_value, significant, direction,
    suppressed, n_theme_from_display, n_theme_to_display``. ``difference`` =
    share_to - share_from; ``test`` is "chi-square" or "fisher" (when any
    expected count < 5); ``significant`` is p < 0.05; ``direction`` is "rose"
    or "fell" (significant change), "new" / "gone" (significant, and absent in
    one of the rounds), "no clear change", or "suppressed" when either round's
    count is small — then counts, shares, difference and p-value are all
    withheld. Raises ``ValueError`` for missing columns or a bad ``min_count``.
    """
    if prevalence is None:
        prevalence = theme_prevalence(answers, min_count=min_count, themes=themes)
    rows: list[dict[str, Any]] = []
    for (question_key, theme), grp in prevalence.groupby(["question_key", "theme"], sort=False):
        grp = grp.sort_values(["round_order", "round_id"], kind="stable")
        records = grp.to_dict("records")
        rows.extend(_change_of_theme(question_key, theme, prev, cur, min_count)
                    for prev, cur in zip(records, records[1:]))
    out = pd.DataFrame(rows, columns=_CHANGE_COLUMNS)
    for c in ("n_from", "n_theme_from", "n_to", "n_theme_to"):
        out[c] = _nullable_int(list(out[c]))
    for c in ("share_from", "share_to", "difference", "p_value"):
        out[c] = out[c].astype("float64")
    for c in ("significant", "suppressed"):
        out[c] = out[c].astype(bool)
    return out


_CHANGE_COLUMNS = ["question_key", "theme", "round_from", "round_from_label", "round_to", "round_to_label",
                   "n_from", "n_theme_from", "share_from", "n_to", "n_theme_to", "share_to", "difference",
                   "test", "p_value", "significant", "direction", "suppressed",
                   "n_theme_from_display", "n_theme_to_display"]


def _change_of_theme(question_key: Any, theme: Any, prev: dict[str, Any], cur: dict[str, Any],
                     min_count: int) -> dict[str, Any]:
    """One row of :func:`compare_rounds`: ``theme``'s share in round ``prev`` against round
    ``cur`` (rows of :func:`theme_prevalence`), everything withheld when either is suppressed."""
    suppressed = bool(prev["suppressed"] or cur["suppressed"])
    row: dict[str, Any] = {
        "question_key": question_key,
        "theme": theme,
        "round_from": prev["round_id"],
        "round_from_label": prev["round_label"],
        "round_to": cur["round_id"],
        "round_to_label": cur["round_label"],
        "n_from": prev["n_responses"],
        "n_theme_from": None if suppressed else prev["n_theme"],
        "share_from": float("nan") if suppressed else prev["share"],
        "n_to": cur["n_responses"],
        "n_theme_to": None if suppressed else cur["n_theme"],
        "share_to": float("nan") if suppressed else cur["share"],
        "difference": float("nan"),
        "test": "",
        "p_value": float("nan"),
        "significant": False,
        "direction": "suppressed" if suppressed else "no clear change",
        "suppressed": suppressed,
        "n_theme_from_display": prev["n_theme_display"] if not suppressed or prev["suppressed"] else suppressed_label(min_count),
        "n_theme_to_display": cur["n_theme_display"] if not suppressed or cur["suppressed"] else suppressed_label(min_count),
    }
    if suppressed:
        return row
    a, n1 = int(prev["n_theme"]), int(prev["n_responses"])
    b, n2 = int(cur["n_theme"]), int(cur["n_responses"])
    p, test = _two_by_two_test(a, n1, b, n2)
    significant = p < ALPHA
    row.update(difference=b / n2 - a / n1, test=test, p_value=p, significant=significant)
    if significant:
        if a == 0:
            row["direction"] = "new"
        elif b == 0:
            row["direction"] = "gone"
        else:
            row["direction"] = "rose" if b / n2 > a / n1 else "fell"
    return row


# ---------------------------------------------------------------------------
# sentiment

_LABELS = ("positive", "neutral", "negative")


def _mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval; the interval collapses to the mean when the
    spread is zero and is NaN for fewer than two values."""
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n) if sd > 0 else 0.0
    return mean, mean - half, mean + half


def _interval_from_sums(n: int, total: float, squares: float) -> tuple[float, float, float]:
    """:func:`_mean_interval` of ``n`` values from their sum and sum of squares."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = total / n
    if n < 2:
        return mean, float("nan"), float("nan")
    sd = math.sqrt(max((squares - total * total / n) / (n - 1), 0.0))
    if sd < 1e-7 * max(1.0, abs(mean)):  # equal values, up to rounding in the sums
        sd = 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n) if sd > 0 else 0.0
    return mean, mean - half, mean + half


def _sentiment_row(n: int, label_counts: Sequence[int], polarity: np.ndarray | tuple[int, float, float],
                   min_count: int) -> dict[str, Any]:
    """The sentiment values of one group: ``n`` labelled answers, their counts per label
    (in ``_LABELS`` order) and their known polarities in answer order (or their count,
    sum and sum of squares)."""
    small = _too_small(n, min_count)
    row: dict[str, Any] = {"n_responses": None if small else n,
                           "n_responses_display": _display(n, small, min_count)}
    # Positive, neutral and negative add up to the round's answers: secondary suppression.
    hidden = _partition_hidden(label_counts, min_count)
    for lab, k, hide in zip(_LABELS, label_counts, hidden):
        k = int(k)
        sup = small or hide
        row[f"n_{lab}"] = None if sup else k
        row[f"share_{lab}"] = float("nan") if sup or n == 0 else k / n
        row[f"n_{lab}_display"] = _display(k, sup, min_count, secondary=not small and not _is_small(k, min_count))
    summed = isinstance(polarity, tuple)
    mean, lo, hi = ((_interval_from_sums(*polarity) if summed else _mean_interval(polarity)) if not small
                    else (float("nan"),) * 3)
    row.update(mean_polarity=mean, ci_low=lo, ci_high=hi, suppressed=small)
    return row


def _sentiment_groups(frame: pd.DataFrame, group: np.ndarray, rows: np.ndarray, n_groups: int,
                      min_count: int) -> dict[int, dict[str, Any]]:
    """Sentiment values per group: entry ``j`` is answer ``rows[j]`` of ``frame`` in group
    ``group[j]`` (-1 for none); entries keep their order within a group."""
    label_codes = pd.Index(_LABELS).get_indexer(frame["label"]).astype(np.intp)[rows]
    polarity = pd.to_numeric(frame["polarity"], errors="coerce").to_numpy(dtype=float)[rows]
    labelled = (label_codes >= 0) & (group >= 0)
    group, label_codes, polarity = group[labelled], label_codes[labelled], polarity[labelled]
    n = np.bincount(group, minlength=n_groups)
    per_label = np.bincount(group * len(_LABELS) + label_codes,
                            minlength=n_groups * len(_LABELS)).reshape(n_groups, len(_LABELS))
    known = ~np.isnan(polarity)
    group, polarity = group[known], polarity[known]
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
    sorted_polarity = polarity[order]
    return {
        g: _sentiment_row(int(n[g]), per_label[g], np.ascontiguousarray(sorted_polarity[bounds[g]:bounds[g + 1]]),
                          min_count)
        for g in range(n_groups)
    }


_SENTIMENT_VALUE_COLS = [
    "n_responses", "n_positive", "n_neutral", "n_negative",
    "share_positive", "share_neutral", "share_negative",
    "mean_polarity", "ci_low", "ci_high", "suppressed",
    "n_responses_display", "n_positive_display", "n_neutral_display", "n_negative_display",
]


def _finish_sentiment(rows: list[dict[str, Any]], key_cols: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=[*key_cols, *_SENTIMENT_VALUE_COLS])
    for c in ("n_responses", "n_positive", "n_neutral", "n_negative"):
        out[c] = _nullable_int(list(out[c]))
    for c in ("share_positive", "share_neutral", "share_negative", "mean_polarity", "ci_low", "ci_high"):
        out[c] = out[c].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


def sentiment_by_round(answers: pd.DataFrame, min_count: int = 5) -> pd.DataFrame:
    """Distribution of sentiment labels and mean polarity per question key and round.

    Returns columns ``question_key, round_id, round_label, round_order,
    n_responses, n_positive, n_neutral, n_negative, share_positive,
    share_neutral, share_negative, mean_polarity, ci_low, ci_high,
    suppressed`` and ``*_display`` columns. ``ci_low``/``ci_high`` are a 95%
    t-interval for the mean polarity. A label count of 1..min_count-1 is
    withheld with its share; a round with fewer than ``min_count`` labelled
    answers is suppressed whole (``suppressed`` True, mean and interval NaN).
    Raises ``ValueError`` for missing columns or a bad ``min_count``.
    """
    _check_min_count(min_count)
    _require(answers, ["round_id", "round_label", "round_order", "question_key", "value", "polarity", "label"])
    frame = answers[_has_text(answers["value"])]
    rounds = _rounds(frame)
    round_of_row = _round_index(frame, rounds)
    values = _sentiment_groups(frame, round_of_row, np.arange(len(frame)), len(rounds), min_count)
    rows = [{**rnd.to_dict(), **values[r]} for r, (_, rnd) in enumerate(rounds.iterrows())]
    return _finish_sentiment(rows, _ROUND_COLS)


def theme_sentiment(answers: pd.DataFrame, min_count: int = 5) -> pd.DataFrame:
    """Tone of the answers that mention each theme, per question key, round and theme.

    Same value columns as :func:`sentiment_by_round` plus ``theme``; the
    same suppression. Raises ``ValueError`` for missing columns or a bad
    ``min_count``.
    """
    _check_min_count(min_count)
    _require(answers, ["round_id", "round_label", "round_order", "question_key", "value",
                       "polarity", "label", "themes"])
    frame = answers[_has_text(answers["value"])]
    codes, distinct = _theme_codes(frame["themes"])
    theme_names = sorted({t for ts in distinct for t in ts})
    theme_id = {t: i for i, t in enumerate(theme_names)}
    # Explode the distinct theme lists once: long entry j is answer rows[j] with theme themes_long[j]
    # (an answer listing a theme twice counts twice, in its own place, as frame.explode gives it).
    lengths = np.array([len(ts) for ts in distinct], dtype=np.intp)
    flat = np.array([theme_id[t] for ts in distinct for t in ts], dtype=np.intp)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp) if len(distinct) else lengths
    row_lengths = lengths[codes]
    rows_long = np.repeat(np.arange(len(frame)), row_lengths)
    offsets = np.arange(len(rows_long)) - np.repeat(np.cumsum(row_lengths) - row_lengths, row_lengths)
    themes_long = flat[starts[codes][rows_long] + offsets] if len(rows_long) else rows_long
    rounds = _rounds(frame)
    round_long = _round_index(frame, rounds)[rows_long]
    n_themes = max(len(theme_names), 1)
    matched = round_long >= 0
    present = np.unique(round_long[matched] * n_themes + themes_long[matched])
    group = np.full(len(rows_long), -1, dtype=np.intp)
    group[matched] = np.searchsorted(present, round_long[matched] * n_themes + themes_long[matched])
    values = _sentiment_groups(frame, group, rows_long, len(present), min_count)
    round_rows = [rnd.to_dict() for _, rnd in rounds.iterrows()]
    rows = [
        {**round_rows[int(key) // n_themes], "theme": theme_names[int(key) % n_themes], **values[g]}
        for g, key in enumerate(present)
    ]
    return _finish_sentiment(rows, [*_ROUND_COLS, "theme"])


# ---------------------------------------------------------------------------
# the same figures from tallies (counts kept as answers arrive, not the answers)

TALLY_COLUMNS = ("answers", "positive", "neutral", "negative", "polarity_count", "polarity_sum", "polarity_squares")


def prevalence_from_tallies(rounds: pd.DataFrame, themes: pd.DataFrame, min_count: int = 5) -> pd.DataFrame:
    """:func:`theme_prevalence` of one question from tallies rather than answers.

    ``rounds`` has the round columns (``question_key, round_id, round_label,
    round_order``) and ``answers`` (answers with text in the round); ``themes`` has
    ``round_id, theme, answers`` (answers mentioning the theme). Themes are those with
    answers in some round, alphabetically, as :func:`theme_prevalence` lists them.
    """
    _check_min_count(min_count)
    rounds = rounds.sort_values(["round_order", "round_id"], kind="stable").reset_index(drop=True)
    seen = themes[themes["answers"] > 0]
    theme_list = sorted(set(seen["theme"]))
    matrix = np.zeros((len(rounds), len(theme_list)), dtype=np.int64)
    position = {t: i for i, t in enumerate(theme_list)}
    place = {int(rid): r for r, rid in enumerate(rounds["round_id"])}
    for rid, theme, n in zip(seen["round_id"], seen["theme"], seen["answers"]):
        if int(rid) in place:
            matrix[place[int(rid)], position[theme]] += int(n)
    per_round = rounds["answers"].to_numpy(dtype=np.int64)
    return _finish_prevalence(_prevalence_rows(rounds[_ROUND_COLS], per_round, matrix, theme_list, min_count))


def sentiment_from_tallies(groups: pd.DataFrame, min_count: int = 5, *, by_theme: bool = False) -> pd.DataFrame:
    """:func:`sentiment_by_round` (or with ``by_theme`` :func:`theme_sentiment`) from tallies.

    ``groups`` has the round columns (and ``theme``) and the tally columns
    (:data:`TALLY_COLUMNS`: answers, per label, and the count, sum and sum of squares
    of the known polarities); groups without answers are left out. Rows in round order
    (then theme), with the same values and suppression as from the answers.
    """
    _check_min_count(min_count)
    keys = [*_ROUND_COLS, "theme"] if by_theme else list(_ROUND_COLS)
    frame = groups[groups["answers"] > 0].sort_values(
        ["round_order", "round_id", *(["theme"] if by_theme else [])], kind="stable")
    rows = []
    for g in frame.itertuples(index=False):
        values = _sentiment_row(int(g.answers), [int(g.positive), int(g.neutral), int(g.negative)],
                                (int(g.polarity_count), float(g.polarity_sum), float(g.polarity_squares)), min_count)
        rows.append({**{k: getattr(g, k) for k in keys}, **values})
    return _finish_sentiment(rows, keys)


# ---------------------------------------------------------------------------
# closed questions

ANSWERS_WEIGHT = "answers"  # optional column: how many identical answers a row stands for


def _weights(frame: pd.DataFrame) -> np.ndarray:
    """How many answers each row of a closed question's frame stands for: its
    :data:`ANSWERS_WEIGHT` column when there is one (answers counted per round and value),
    else 1 each."""
    if ANSWERS_WEIGHT in frame.columns:
        return frame[ANSWERS_WEIGHT].to_numpy(dtype="int64")
    return np.ones(len(frame), dtype="int64")


def _numbers(frame: pd.DataFrame) -> np.ndarray:
    """The numeric answers of ``frame`` (its ``_number`` column), each repeated as many
    times as its row stands for."""
    return np.repeat(frame["_number"].to_numpy(dtype=float), _weights(frame))


def _option_counts(in_round: pd.DataFrame, option_list: list) -> dict:
    """Answers choosing each option in ``in_round`` (``_choices`` and ``_weight`` columns)."""
    counts = {o: 0 for o in option_list}
    for os_, weight in zip(in_round["_choices"], in_round["_weight"]):
        for o in os_:
            counts[o] += int(weight)
    return counts


def choice_distribution(
    answers: pd.DataFrame,
    min_count: int = 5,
    options: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Counts per option per round for closed questions.

    ``value`` holds the chosen option, or for multiple-choice questions a
    JSON list string (each option counted once per answer); a row with an
    :data:`ANSWERS_WEIGHT` column stands for that many identical answers. Returns columns
    ``question_key, round_id, round_label, round_order, option, n_responses,
    count, share, suppressed, n_responses_display, count_display``; ``share``
    is count / answers in that round. Options in ``options`` (a list, or a
    mapping of question key to list) are listed in that order even with zero
    counts, then any others seen. Small counts are
    withheld as in :func:`theme_prevalence`. Raises ``ValueError`` for missing
    columns or a bad ``min_count``.
    """
    _check_min_count(min_count)
    _require(answers, ["round_id", "round_label", "round_order", "question_key", "value"])
    frame = answers.copy()
    parsed = {value: list(dict.fromkeys(_as_list(value))) for value in frame["value"].drop_duplicates()}
    frame["_choices"] = frame["value"].map(parsed)
    frame = frame[frame["_choices"].map(len) > 0]
    frame["_weight"] = _weights(frame)
    rows = []
    for question_key, qframe in frame.groupby("question_key", sort=True):
        seen = sorted({o for os_ in qframe["_choices"] for o in os_})
        declared = options.get(question_key, []) if isinstance(options, Mapping) else (options or [])
        option_list = list(dict.fromkeys([*declared, *seen]))
        for _, rnd in _rounds(qframe).iterrows():
            in_round = qframe[qframe["round_id"] == rnd["round_id"]]
            n_resp = int(in_round["_weight"].sum())
            small_round = _too_small(n_resp, min_count)
            counts = _option_counts(in_round, option_list)
            # One option per answer: the options add up to the round's answers, so a withheld
            # count needs a second one withheld beside it (secondary suppression).
            single = all(len(os_) == 1 for os_ in in_round["_choices"])
            hidden = (_partition_hidden([counts[o] for o in option_list], min_count) if single
                      else [_is_small(counts[o], min_count) for o in option_list])
            for o, hide in zip(option_list, hidden):
                k = counts[o]
                sup = small_round or hide
                rows.append({
                    **rnd.to_dict(), "option": o,
                    "n_responses": None if small_round else n_resp,
                    "count": None if sup else k,
                    "share": float("nan") if sup else k / n_resp,
                    "suppressed": sup,
                    "n_responses_display": _display(n_resp, small_round, min_count),
                    "count_display": _display(k, sup, min_count,
                                              secondary=not small_round and not _is_small(k, min_count)),
                })
    out = pd.DataFrame(rows, columns=[*_ROUND_COLS, "option", "n_responses", "count", "share", "suppressed",
                                      "n_responses_display", "count_display"])
    out["n_responses"] = _nullable_int(list(out["n_responses"]))
    out["count"] = _nullable_int(list(out["count"]))
    out["share"] = out["share"].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


PERMUTATIONS = 4000


def _contingency_test(table: np.ndarray) -> tuple[float, str]:
    """p-value and test name for a rounds × options table of counts: chi-square when
    every expected count is at least 5, otherwise Fisher's exact test (2 × 2) or its
    Monte Carlo form for larger tables (fixed seed, so the same table gives the same p)."""
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0, "none"
    expected = stats.contingency.expected_freq(table)
    if expected.min() >= 5:
        return float(stats.chi2_contingency(table, correction=table.shape == (2, 2))[1]), "chi-square"
    if table.shape == (2, 2):
        return float(stats.fisher_exact(table.astype(int))[1]), "fisher"
    rounds = np.repeat(np.arange(table.shape[0]), table.sum(axis=1).astype(int))
    options = np.concatenate([np.repeat(np.arange(table.shape[1]), row.astype(int)) for row in table])

    def statistic(labels: np.ndarray) -> float:
        observed = np.zeros(table.shape)
        np.add.at(observed, (rounds, labels), 1)
        return float(((observed - expected) ** 2 / expected).sum())

    seen = statistic(options)
    rng = np.random.default_rng(20190701)
    as_extreme = sum(statistic(rng.permutation(options)) >= seen - 1e-9 for _ in range(PERMUTATIONS))
    return (1 + as_extreme) / (1 + PERMUTATIONS), "fisher (Monte Carlo)"


def _per_option_test(columns: np.ndarray) -> tuple[float, str]:
    """For a multiple-choice question (an answer may choose several options, so counts add
    up to more than the answers): each shown option chosen or not, out of each round's
    answers, in a 2 × 2 table; the smallest p-value, Bonferroni-adjusted for the number of
    options (Holm's first step): "did any option's share change". ``columns`` holds each
    round's shown counts then its answers minus their sum, as :func:`choice_change` builds."""
    totals = columns.sum(axis=1)
    found = [_contingency_test(np.array([[k, n - k] for k, n in zip(counts, totals)]))
             for counts in columns[:, :-1].T]
    if not found:
        return 1.0, "none"
    p, test = min(found)
    return min(1.0, p * len(found)), f"{test} per option, Bonferroni"


def choice_change(distribution: pd.DataFrame, min_count: int = 5, *, multiple: bool = False) -> pd.DataFrame:
    """Did the spread of answers change between consecutive rounds of a closed question?

    ``distribution`` is :func:`choice_distribution` output. For each pair of consecutive
    rounds (per question key) the test compares the options shown in both rounds, with
    the withheld options pooled into one column, so the test uses nothing a reader
    could not already work out from the shown counts and totals. Returns columns
    ``question_key, round_from, round_from_label, round_to, round_to_label, test,
    p_value, significant, suppressed``; a pair with a round of fewer than ``min_count``
    answers is ``suppressed`` (no test). Raises ``ValueError`` for missing columns.
    """
    _require(distribution, ["question_key", "round_id", "round_label", "round_order", "option",
                            "n_responses", "count", "suppressed"])
    rows: list[dict[str, Any]] = []
    for question_key, qframe in distribution.groupby("question_key", sort=True):
        rounds = qframe.drop_duplicates("round_id").sort_values(["round_order", "round_id"], kind="stable")
        records = rounds.to_dict("records")
        for prev, cur in zip(records, records[1:]):
            row = {"question_key": question_key, "round_from": prev["round_id"],
                   "round_from_label": prev["round_label"], "round_to": cur["round_id"],
                   "round_to_label": cur["round_label"], "test": "", "p_value": float("nan"),
                   "significant": False, "suppressed": True}
            if not (pd.isna(prev["n_responses"]) or pd.isna(cur["n_responses"])):
                pair = qframe[qframe["round_id"].isin([prev["round_id"], cur["round_id"]])]
                shown = pair.groupby("option", sort=False)["suppressed"].transform("any") == False  # noqa: E712
                columns = []
                for rid in (prev["round_id"], cur["round_id"]):
                    part = pair[(pair["round_id"] == rid) & shown]
                    total = int(pair.loc[pair["round_id"] == rid, "n_responses"].iloc[0])
                    counts = [int(k) for k in part["count"]]
                    columns.append(counts + [total - sum(counts)])
                if multiple or min(column[-1] for column in columns) < 0:
                    p, test = _per_option_test(np.array(columns, dtype=float))
                else:
                    p, test = _contingency_test(np.array(columns, dtype=float))
                row.update(test=test, p_value=p, significant=p < ALPHA, suppressed=False)
            rows.append(row)
    out = pd.DataFrame(rows, columns=["question_key", "round_from", "round_from_label", "round_to",
                                      "round_to_label", "test", "p_value", "significant", "suppressed"])
    out["p_value"] = out["p_value"].astype("float64")
    out["significant"] = out["significant"].astype(bool)
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


def scale_by_round(answers: pd.DataFrame, min_count: int = 5) -> pd.DataFrame:
    """Mean answer and its 95% t-interval per question key and round, for scale questions
    (``value`` holds a number such as "4"; other values are ignored; a row may stand for
    several answers, :data:`ANSWERS_WEIGHT`).

    Returns columns ``question_key, round_id, round_label, round_order, n_responses,
    mean, ci_low, ci_high, suppressed, n_responses_display``; a round with fewer than
    ``min_count`` numeric answers is suppressed (mean and interval NaN). Raises
    ``ValueError`` for missing columns or a bad ``min_count``.
    """
    _check_min_count(min_count)
    _require(answers, ["round_id", "round_label", "round_order", "question_key", "value"])
    frame = answers.assign(_number=pd.to_numeric(answers["value"], errors="coerce"))
    frame = frame[frame["_number"].notna()]
    rows = []
    for _, rnd in _rounds(frame).iterrows():
        values = _numbers(frame[(frame["question_key"] == rnd["question_key"]) & (frame["round_id"] == rnd["round_id"])])
        small = _too_small(len(values), min_count)
        mean, low, high = (float("nan"),) * 3 if small else _mean_interval(values)
        rows.append({**rnd.to_dict(), "n_responses": None if small else len(values), "mean": mean,
                     "ci_low": low, "ci_high": high, "suppressed": small,
                     "n_responses_display": _display(len(values), small, min_count)})
    out = pd.DataFrame(rows, columns=[*_ROUND_COLS, "n_responses", "mean", "ci_low", "ci_high", "suppressed",
                                      "n_responses_display"])
    out["n_responses"] = _nullable_int(list(out["n_responses"]))
    for c in ("mean", "ci_low", "ci_high"):
        out[c] = out[c].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


def scale_change(answers: pd.DataFrame, min_count: int = 5) -> pd.DataFrame:
    """Did answers on a 1-5 scale move between consecutive rounds of a question?

    A Mann-Whitney U test (two-sided) of the numeric answers of each pair of consecutive
    rounds: a rank test fits an ordinal scale and uses no single cell of the table, so
    withheld counts stay withheld (rows weighted as in :func:`scale_by_round`). Returns columns ``question_key, round_from,
    round_from_label, round_to, round_to_label, test, p_value, significant, direction,
    suppressed``; ``direction`` is "rose" / "fell" (significant, by the means) or "no
    clear change"; a pair with a round of fewer than ``min_count`` answers is
    ``suppressed``. Raises ``ValueError`` for missing columns or a bad ``min_count``.
    """
    _check_min_count(min_count)
    _require(answers, ["round_id", "round_label", "round_order", "question_key", "value"])
    frame = answers.assign(_number=pd.to_numeric(answers["value"], errors="coerce"))
    frame = frame[frame["_number"].notna()]
    rows: list[dict[str, Any]] = []
    for question_key, qframe in frame.groupby("question_key", sort=True):
        records = _rounds(qframe).to_dict("records")
        for prev, cur in zip(records, records[1:]):
            before = _numbers(qframe[qframe["round_id"] == prev["round_id"]])
            after = _numbers(qframe[qframe["round_id"] == cur["round_id"]])
            row = {"question_key": question_key, "round_from": prev["round_id"],
                   "round_from_label": prev["round_label"], "round_to": cur["round_id"],
                   "round_to_label": cur["round_label"], "test": "", "p_value": float("nan"),
                   "significant": False, "direction": "suppressed", "suppressed": True}
            if not (_too_small(len(before), min_count) or _too_small(len(after), min_count)):
                if np.ptp(np.concatenate([before, after])) == 0:
                    p = 1.0
                else:
                    p = float(stats.mannwhitneyu(before, after, alternative="two-sided").pvalue)
                significant = p < ALPHA
                direction = ("rose" if after.mean() > before.mean() else "fell") if significant else "no clear change"
                row.update(test="Mann-Whitney", p_value=p, significant=significant, direction=direction,
                           suppressed=False)
            rows.append(row)
    out = pd.DataFrame(rows, columns=["question_key", "round_from", "round_from_label", "round_to",
                                      "round_to_label", "test", "p_value", "significant", "direction",
                                      "suppressed"])
    out["p_value"] = out["p_value"].astype("float64")
    out["significant"] = out["significant"].astype(bool)
    out["suppressed"] = out["suppressed"].astype(bool)
    return out


# ---------------------------------------------------------------------------
# quotes

def representative_quotes(
    answers: pd.DataFrame,
    theme: str,
    round_id: Any,
    n: int = 3,
    *,
    question_key: str | None = None,
    min_count: int = 5,
) -> pd.DataFrame:
    """The ``n`` most typical answers mentioning ``theme`` in ``round_id``.

    Typical = highest cosine similarity to the TF-IDF centroid of all the
    theme's answers in that round (tokens from :func:`analysis.text.content_tokens`),
    so quotes are chosen by content, never by sentiment. Ties break by
    ``response_id``; identical texts are quoted once. Returns columns
    ``response_id, question_key, agency, value, polarity, label, typicality``.
    Returns an empty frame when fewer than ``min_count`` answers carry the
    theme (quoting a small group could identify someone). Raises
    ``ValueError`` when answers from several question keys are passed
    without ``question_key``, or for missing columns.
    """
    _require(answers, ["response_id", "round_id", "question_key", "value", "themes"])
    frame = _text_answers(answers)
    if question_key is not None:
        frame = frame[frame["question_key"] == question_key]
    elif frame["question_key"].nunique() > 1:
        raise ValueError("answers hold several question keys; pass question_key to quote within one")
    frame = frame[(frame["round_id"] == round_id) & frame["themes"].map(lambda ts: theme in ts)]
    columns = ["response_id", "question_key", "agency", "value", "polarity", "label", "typicality"]
    if _too_small(len(frame), min_count) or n < 1:
        return pd.DataFrame(columns=columns)
    frame = frame.assign(_key=frame["value"].str.strip().str.lower()).drop_duplicates("_key")
    docs = [content_tokens(v) for v in frame["value"]]
    vocab = sorted({t for d in docs for t in d})
    if not vocab:
        typicality = np.zeros(len(docs))
    else:
        index = {t: i for i, t in enumerate(vocab)}
        tf = np.zeros((len(docs), len(vocab)))
        for r, d in enumerate(docs):
            for t in d:
                tf[r, index[t]] += 1
        df_ = (tf > 0).sum(axis=0)
        idf = np.log((1 + len(docs)) / (1 + df_)) + 1.0
        tfidf = tf * idf
        norms = np.linalg.norm(tfidf, axis=1, keepdims=True)
        unit = np.divide(tfidf, norms, out=np.zeros_like(tfidf), where=norms > 0)
        centroid = unit.mean(axis=0)
        c_norm = np.linalg.norm(centroid)
        typicality = unit @ (centroid / c_norm) if c_norm > 0 else np.zeros(len(docs))
    out = frame.assign(typicality=np.round(typicality, 12), _rid=frame["response_id"].astype(str))
    out = out.sort_values(["typicality", "_rid"], ascending=[False, True], kind="stable").head(n)
    for c in ("agency", "polarity", "label"):
        if c not in out:
            out[c] = None
    return out[columns].reset_index(drop=True)


# ---------------------------------------------------------------------------
# key lines of enquiry

def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


#: The question a line of enquiry ends with, in words that fit who answered.
AUDIENCE_PROMPTS = {
    "children": "what are children telling us?",
    "parents": "what are parents and carers telling us?",
    "practitioners": "what is getting in the way for practitioners?",
    "champions": "what support do the champions need?",
    "auditors": "what does the audit evidence show about practice?",
    "agency-leads": "what are agencies telling us?",
}


def audience_prompt(audience: str | None) -> str:
    """The question a line of enquiry about ``audience``'s answers ends with."""
    return AUDIENCE_PROMPTS.get(audience or "", "what are respondents telling us?")


def lines_of_enquiry(
    comparison: pd.DataFrame,
    sentiment: pd.DataFrame,
    *,
    theme_names: Mapping[str, str] | None = None,
    max_lines: int = 8,
    audience: str | None = None,
) -> list[str]:
    """Draft key lines of enquiry for the scrutiny event, as short sentences.

    From ``comparison`` (:func:`compare_rounds`): themes that rose or appeared
    significantly between consecutive rounds, smallest p-value first. From
    ``sentiment``: if it has a ``theme`` column (:func:`theme_sentiment`), the
    themes whose answers are most often negative in each question's latest
    round; otherwise (:func:`sentiment_by_round`) the questions whose latest
    round is most negative. Suppressed rows are never used. ``theme_names``
    maps keys to display names (e.g. from the codebook). Returns at most
    ``max_lines`` sentences; ``[]`` when nothing qualifies. Lines about tone end with a
    question that fits ``audience`` (who answered: ``children``, ``practitioners``…).
    """
    names = dict(theme_names or {})
    lines = _risen_theme_lines(comparison, names) + _negative_tone_lines(sentiment, names, audience)
    return lines[:max_lines]


def _risen_theme_lines(comparison: pd.DataFrame, names: Mapping[str, str]) -> list[str]:
    """Lines about themes that rose or appeared significantly, smallest p-value first."""
    if not len(comparison):
        return []
    risen = comparison[
        comparison["significant"].astype(bool)
        & ~comparison["suppressed"].astype(bool)
        & comparison["direction"].isin(["rose", "new"])
    ].sort_values(["p_value", "difference"], ascending=[True, False], kind="stable")
    lines = []
    for r in risen.itertuples(index=False):
        name = names.get(r.theme, str(r.theme).replace("_", " "))
        verb = "appeared" if r.direction == "new" else "rose"
        lines.append(
            f"“{name}” {verb} in answers to {r.question_key} from {_pct(r.share_from)} "
            f"({r.n_theme_from} of {r.n_from}) in {r.round_from_label} to {_pct(r.share_to)} "
            f"({r.n_theme_to} of {r.n_to}) in {r.round_to_label} ({_p(r.p_value)}): what lies behind this?"
        )
    return lines


def _negative_tone_lines(sentiment: pd.DataFrame, names: Mapping[str, str], audience: str | None) -> list[str]:
    """Lines about the most negative themes (a ``theme`` column) or questions in each
    question's latest round; suppressed rows are never used."""
    if not len(sentiment):
        return []
    usable = sentiment[~sentiment["suppressed"].astype(bool) & sentiment["share_negative"].notna()]
    if not len(usable):
        return []
    latest = usable.loc[usable.groupby("question_key")["round_order"].transform("max") == usable["round_order"]]
    # Means to 9 places: the same order whether they were averaged from answers or from sums.
    latest = latest.assign(mean_rounded=latest["mean_polarity"].round(9)).sort_values(
        ["share_negative", "mean_rounded"], ascending=[False, True], kind="stable")
    lines = []
    if "theme" in latest.columns:
        for r in latest.head(3).itertuples(index=False):
            if r.share_negative > 0:
                name = names.get(r.theme, str(r.theme).replace("_", " "))
                lines.append(
                    f"Answers to {r.question_key} about “{name}” carry the most negative tone in "
                    f"{r.round_label}: {_pct(r.share_negative)} negative ({r.n_negative} of "
                    f"{r.n_responses}): {audience_prompt(audience)}"
                )
        return lines
    for r in latest.head(2).itertuples(index=False):
        if r.share_negative > 0:
            lines.append(
                f"Answers to {r.question_key} in {r.round_label} were the most negative: "
                f"{_pct(r.share_negative)} negative ({r.n_negative} of {r.n_responses}), mean "
                f"polarity {r.mean_polarity:+.2f} (95% CI {r.ci_low:+.2f} to {r.ci_high:+.2f})."
            )
    return lines
