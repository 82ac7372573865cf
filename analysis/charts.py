"""Accessible SVG charts of round comparisons (matplotlib, no GUI).

Charts are drawn on a standalone ``Figure`` after selecting the Agg backend
inside each function, so importing this module has no side effects. Text
stays text in the SVG (``svg.fonttype = none``) and the SVG root carries a
``<title>``, ``role="img"`` and ``aria-label`` with the chart's title.
Suppressed points (small numbers) are never plotted.
"""
from __future__ import annotations

import io
import re
from html import escape
from typing import Mapping

import pandas as pd

__all__ = ["theme_share_chart_svg", "sentiment_chart_svg"]

_SENTIMENT_COLOURS = {"positive": "#1b7837", "neutral": "#bdbdbd", "negative": "#b2182b"}


def _one_question(frame: pd.DataFrame, question_key: str | None) -> tuple[pd.DataFrame, str]:
    if question_key is not None:
        frame = frame[frame["question_key"] == question_key]
    keys = frame["question_key"].unique() if "question_key" in frame else []
    if len(keys) > 1:
        raise ValueError("frame holds several question keys; pass question_key to chart one")
    return frame, (str(keys[0]) if len(keys) else "")


def _figure(width: float = 8.0, height: float = 4.5):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _svg(fig, title: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "neglect-feedback"}):
        fig.savefig(buf, format="svg", metadata={"Title": title, "Date": None}, bbox_inches="tight")
    svg = buf.getvalue()
    label = escape(title, quote=True)
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{label}"', svg, count=1)
    return re.sub(r"(<svg\b[^>]*>)", rf"\1\n <title>{label}</title>", svg, count=1)


def theme_share_chart_svg(
    prevalence: pd.DataFrame,
    *,
    question_key: str | None = None,
    theme_names: Mapping[str, str] | None = None,
    themes: list[str] | None = None,
    title: str | None = None,
) -> str:
    """SVG line chart of each theme's share of answers by round, from
    :func:`analysis.compare.theme_prevalence` output for one question.

    Suppressed or missing shares leave a gap. ``themes`` limits and orders the
    lines (default: themes with any reportable share, at most 8 by largest
    share). Returns the SVG text with an accessible title. Raises
    ``ValueError`` when several question keys are present without
    ``question_key``.
    """
    frame, qkey = _one_question(prevalence, question_key)
    names = dict(theme_names or {})
    title = title or f"Share of answers to {qkey or 'this question'} mentioning each theme, by round"
    rounds = frame[["round_id", "round_label", "round_order"]].drop_duplicates("round_id").sort_values(
        ["round_order", "round_id"], kind="stable")
    x_of = {rid: i for i, rid in enumerate(rounds["round_id"])}
    reportable = frame[~frame["suppressed"].astype(bool) & frame["share"].notna()]
    if themes is None:
        peak = reportable.groupby("theme")["share"].max().sort_values(ascending=False, kind="stable")
        themes = [t for t in peak.index if peak[t] > 0][:8]
    fig = _figure()
    ax = fig.add_subplot()
    for theme in themes:
        pts = reportable[reportable["theme"] == theme]
        series = pd.Series(float("nan"), index=range(len(x_of)), dtype="float64")
        for rid, share in zip(pts["round_id"], pts["share"]):
            series[x_of[rid]] = 100.0 * float(share)
        ax.plot(series.index, series.values, marker="o", label=names.get(theme, theme))
    ax.set_xticks(range(len(x_of)), [str(l) for l in rounds["round_label"]])
    ax.set_ylabel("% of answers")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=11)
    if themes:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "No reportable theme shares", ha="center", va="center", transform=ax.transAxes)
    ax.grid(axis="y", alpha=0.3)
    return _svg(fig, title)


def sentiment_chart_svg(
    sentiment_by_round: pd.DataFrame, *, question_key: str | None = None, title: str | None = None
) -> str:
    """SVG stacked bar chart of positive / neutral / negative shares by round,
    from :func:`analysis.compare.sentiment_by_round` output for one question.

    A suppressed label share is not drawn; a suppressed round shows the text
    "fewer than N answers" instead of a bar. Returns the SVG text with an
    accessible title. Raises ``ValueError`` when several question keys are
    present without ``question_key``.
    """
    frame, qkey = _one_question(sentiment_by_round, question_key)
    frame = frame.sort_values(["round_order", "round_id"], kind="stable").reset_index(drop=True)
    title = title or f"Tone of answers to {qkey or 'this question'}, by round"
    fig = _figure()
    ax = fig.add_subplot()
    xs = list(range(len(frame)))
    bottoms = [0.0] * len(frame)
    for label, colour in _SENTIMENT_COLOURS.items():
        heights = [100.0 * v if pd.notna(v) else 0.0 for v in frame[f"share_{label}"]]
        drawn = [i for i, v in enumerate(frame[f"share_{label}"]) if pd.notna(v)]
        ax.bar([xs[i] for i in drawn], [heights[i] for i in drawn], bottom=[bottoms[i] for i in drawn],
               color=colour, label=label.capitalize(), edgecolor="white")
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for i, row in frame.iterrows():
        if bool(row["suppressed"]):
            ax.text(i, 50, str(row.get("n_responses_display", "few answers")) + " answers",
                    ha="center", va="center", fontsize=9, rotation=90)
    ax.set_xticks(xs, [str(l) for l in frame["round_label"]])
    ax.set_ylabel("% of answers")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _svg(fig, title)
