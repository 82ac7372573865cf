"""Measuring the sentiment labeller against human labels (pure functions).

Used by ``bench/evaluate_sentiment.py`` and the tests. The FFT development
file is read only by :func:`load_labelled_feedback`, when called; never at
import time.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from .sentiment import LABELS, SentimentParams, cached_evidence, combine_evidence, baseline_label

__all__ = [
    "ClassificationReport",
    "classification_report",
    "collapse_fft_sentiment",
    "load_labelled_feedback",
    "parse_fft_date",
    "predict_labels",
    "baseline_labels",
    "parameter_grid",
    "choose_params",
    "cross_validated_f1",
    "date_split_f1",
]


@dataclass(frozen=True)
class ClassificationReport:
    """Macro-F1, per-class precision/recall/F1 and the confusion matrix
    (rows: true label, columns: predicted label, order :data:`LABELS`)."""

    macro_f1: float
    per_class: pd.DataFrame
    confusion: pd.DataFrame
    n: int


def classification_report(y_true: Sequence[str], y_pred: Sequence[str]) -> ClassificationReport:
    """Compare two equal-length label sequences over the three sentiment labels.

    Returns a :class:`ClassificationReport`. Raises ``ValueError`` if the
    lengths differ.
    """
    yt = np.asarray(list(y_true), dtype=object)
    yp = np.asarray(list(y_pred), dtype=object)
    if len(yt) != len(yp):
        raise ValueError(f"y_true has {len(yt)} labels but y_pred has {len(yp)}")
    rows = []
    for c in LABELS:
        tp = int(((yt == c) & (yp == c)).sum())
        fp = int(((yt != c) & (yp == c)).sum())
        fn = int(((yt == c) & (yp != c)).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"label": c, "precision": precision, "recall": recall, "f1": f1,
                     "support": int((yt == c).sum())})
    per_class = pd.DataFrame(rows).set_index("label")
    confusion = pd.DataFrame(
        [[int(((yt == t) & (yp == p)).sum()) for p in LABELS] for t in LABELS],
        index=pd.Index(LABELS, name="true"),
        columns=pd.Index(LABELS, name="predicted"),
    )
    return ClassificationReport(float(per_class["f1"].mean()), per_class, confusion, len(yt))


def collapse_fft_sentiment(score: float) -> str | None:
    """FFT 'Comment sentiment' (1 very positive .. 5 very negative) to three
    classes: 1-2 positive, 3 neutral (incl. mixed), 4-5 negative; else ``None``."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    if score in (1, 2):
        return "positive"
    if score == 3:
        return "neutral"
    if score in (4, 5):
        return "negative"
    return None


_DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_fft_date(value: object) -> pd.Timestamp | None:
    """Parse the FFT file's mixed dates: zero-padded ``dd/mm/yyyy`` (UK) and
    unpadded ``m/d/yyyy`` (US); an impossible month decides. ``None`` if unparseable."""
    m = _DATE_RE.match(str(value)) if isinstance(value, str) else None
    if not m:
        return None
    a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if a > 12:
        day, month = a, b
    elif b > 12:
        month, day = a, b
    elif len(m.group(1)) == 2:
        day, month = a, b
    else:
        month, day = a, b
    try:
        return pd.Timestamp(year, month, day)
    except ValueError:
        return None


def load_labelled_feedback(path: str | Path) -> pd.DataFrame:
    """Read the FFT development CSV and return the rows with text and a label:
    columns ``text``, ``label`` (three classes), ``date`` (Timestamp or NaT), ``question``.

    Raises ``FileNotFoundError`` if ``path`` does not exist and ``KeyError`` if
    the expected columns are missing.
    """
    raw = pd.read_csv(path)
    df = pd.DataFrame(
        {
            "text": raw["FFT answer"],
            "label": raw["Comment sentiment"].map(collapse_fft_sentiment),
            "date": pd.to_datetime(raw["Date"].map(parse_fft_date)),
            "question": raw["FFT question"],
        }
    )
    df = df[df["text"].notna() & df["label"].notna()]
    df = df[df["text"].astype(str).str.strip() != ""]
    return df.reset_index(drop=True)


def predict_labels(texts: Iterable[str], params: SentimentParams | None = None) -> list[str]:
    """Our labels for ``texts`` (default parameters unless ``params`` given)."""
    params = params or SentimentParams()
    return [combine_evidence(cached_evidence(str(t), "positive"), params)[2] for t in texts]


def baseline_labels(texts: Iterable[str]) -> list[str]:
    """Plain TextBlob labels (polarity > 0 positive, < 0 negative) for ``texts``."""
    return [baseline_label(t) for t in texts]


def parameter_grid() -> list[SentimentParams]:
    """The grid searched by :func:`choose_params` (576 settings)."""
    return [
        SentimentParams(dw, hi, lo, cw, mt)
        for dw, hi, lo, cw, mt in product(
            (0.2, 0.3, 0.4, 0.5),
            (0.1, 0.15, 0.2, 0.25),
            (-0.1, -0.05, 0.0),
            (1.0, 2.0, 3.0),
            (0.2, 0.3, 0.4, math.inf),
        )
    ]


def _prediction_matrix(texts: Sequence[str], grid: Sequence[SentimentParams]) -> np.ndarray:
    evidence = [cached_evidence(str(t), "positive") for t in texts]
    return np.array([[combine_evidence(e, p)[2] for e in evidence] for p in grid], dtype=object)


def _macro_f1(y: np.ndarray, p: np.ndarray) -> float:
    return classification_report(y, p).macro_f1


def choose_params(
    texts: Sequence[str], labels: Sequence[str], grid: Sequence[SentimentParams] | None = None
) -> tuple[SentimentParams, float]:
    """The grid setting with the best macro-F1 on (texts, labels), and that F1."""
    grid = list(grid or parameter_grid())
    y = np.asarray(list(labels), dtype=object)
    preds = _prediction_matrix(texts, grid)
    scores = [_macro_f1(y, row) for row in preds]
    best = int(np.argmax(scores))
    return grid[best], float(scores[best])


def cross_validated_f1(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    grid: Sequence[SentimentParams] | None = None,
) -> dict[str, object]:
    """Nested k-fold estimate: in each fold the parameters are chosen on the
    other folds and scored on this one. Returns ``{"ours": [f1...],
    "baseline": [f1...], "chosen": [SentimentParams...]}``."""
    grid = list(grid or parameter_grid())
    texts = list(texts)
    y = np.asarray(list(labels), dtype=object)
    preds = _prediction_matrix(texts, grid)
    base = np.asarray(baseline_labels(texts), dtype=object)
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(order, folds)
    out: dict[str, list] = {"ours": [], "baseline": [], "chosen": []}
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[i] for i in range(folds) if i != k])
        j = int(np.argmax([_macro_f1(y[train], row[train]) for row in preds]))
        out["chosen"].append(grid[j])
        out["ours"].append(_macro_f1(y[test], preds[j][test]))
        out["baseline"].append(_macro_f1(y[test], base[test]))
    return out


def date_split_f1(
    frame: pd.DataFrame,
    cutoff: str | pd.Timestamp,
    grid: Sequence[SentimentParams] | None = None,
    score: Callable[[Sequence[str], Sequence[str]], ClassificationReport] = classification_report,
) -> dict[str, object]:
    """Choose parameters on rows dated before ``cutoff``, score on the rest.

    ``frame`` needs ``text``, ``label`` and ``date`` columns (see
    :func:`load_labelled_feedback`). Returns a dict with ``chosen``,
    ``train_f1``, ``test_f1``, ``baseline_test_f1``, ``default_test_f1``,
    ``n_train``, ``n_test``. Raises ``ValueError`` if either side is empty.
    """
    cutoff = pd.Timestamp(cutoff)
    train = frame[frame["date"] < cutoff]
    test = frame[frame["date"] >= cutoff]
    if train.empty or test.empty:
        raise ValueError(f"cutoff {cutoff.date()} leaves an empty train or test side")
    chosen, train_f1 = choose_params(list(train["text"]), list(train["label"]), grid)
    return {
        "chosen": chosen,
        "train_f1": train_f1,
        "test_f1": score(list(test["label"]), predict_labels(test["text"], chosen)).macro_f1,
        "default_test_f1": score(list(test["label"]), predict_labels(test["text"])).macro_f1,
        "baseline_test_f1": score(list(test["label"]), baseline_labels(test["text"])).macro_f1,
        "n_train": len(train),
        "n_test": len(test),
    }
