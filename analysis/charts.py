"""Accessible SVG charts of round comparisons (matplotlib, no GUI).

Charts are drawn on a standalone ``Figure`` after selecting the Agg backend
inside each function, so importing this module has no side effects. Text
stays text in the SVG (``svg.fonttype = none``) and the SVG root carries a
``<title>``, ``role="img"`` and ``aria-label`` with the chart's title.
Suppressed points (small numbers) are never plotted.

Every chart can be inlined in a page whose Content-Security-Policy refuses inline
styles (``style-src 'self'``): colours and fonts are SVG presentation attributes,
never ``style=`` (:func:`csp_safe_svg`). Labels are plain text, never read as
mathematics, whatever ``$`` signs an analyst's theme name holds. The closed-question
bar chart is written directly as SVG, without matplotlib.
"""
from __future__ import annotations

import hashlib
import io
import re
import textwrap
from contextlib import contextmanager
from html import escape
from typing import Mapping, Sequence

import pandas as pd

__all__ = ["theme_share_chart_svg", "sentiment_chart_svg", "choice_chart_svg", "csp_safe_svg"]

_SENTIMENT_COLOURS = {"positive": "#1b7837", "neutral": "#bdbdbd", "negative": "#b2182b"}


def _one_question(frame: pd.DataFrame, question_key: str | None) -> tuple[pd.DataFrame, str]:
    if question_key is not None:
        frame = frame[frame["question_key"] == question_key]
    keys = frame["question_key"].unique() if "question_key" in frame else []
    if len(keys) > 1:
        raise ValueError("frame holds several question keys; pass question_key to chart one")
    return frame, (str(keys[0]) if len(keys) else "")


PLOT_BACKGROUND = "#f3f2f1"


def _figure(width: float = 6.4, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _axes(fig):
    """The chart's one plot, on a light grey ground so that the data stand out from the page."""
    ax = fig.add_subplot()
    ax.set_facecolor(PLOT_BACKGROUND)
    return ax


@contextmanager
def _plain_text():
    """Every label drawn inside is plain text: ``$...$`` from an analyst's theme name is
    never read as mathematics (which fails on bad input)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "svg.fonttype": "none",
                                "svg.hashsalt": "neglect-feedback"}):
        yield


def _tick(label: object) -> str:
    """A round's label wrapped onto short lines, so neighbouring labels never overlap."""
    return "\n".join(textwrap.wrap(str(label), 14)) or str(label)


def _legend_label(text: str) -> str:
    # matplotlib leaves labels starting with "_" out of the legend.
    return "\u2009" + text if text.startswith("_") else text


_PRESENTATION = re.compile(r'\sstyle="([^"]*)"')
_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>|\s*<style\b[^>]*>.*?</style>", re.S)
_IDS = re.compile(r'(\sid="|url\(#|xlink:href="#)([^")]+)')


def _attributes(style: str) -> str:
    """``fill: #fff; stroke: none`` as presentation attributes (` fill="#fff" stroke="none"`):
    a page's Content-Security-Policy refuses inline ``style``, but not these."""
    out = []
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name and value:
            out.append(f' {name}="{escape(value, quote=True)}"')
    return "".join(out)


def csp_safe_svg(svg: str, title: str) -> str:
    """matplotlib's SVG made fit to inline under ``style-src 'self'``: no XML prolog, no
    ``<style>`` element, every ``style=`` turned into presentation attributes, ids made
    unique to this chart (several charts share a page), and an accessible title
    (``role="img"``, ``aria-label`` and one ``<title>``)."""
    svg = _METADATA.sub("", _PROLOG.sub("", svg, count=1))
    svg = _PRESENTATION.sub(lambda m: _attributes(m.group(1)), svg)
    prefix = "c" + hashlib.sha256(svg.encode("utf-8")).hexdigest()[:8] + "-"
    svg = _IDS.sub(lambda m: m.group(1) + prefix + m.group(2), svg)
    label = escape(title, quote=True)
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{label}" class="chart-svg" '
                 'stroke-linejoin="round" stroke-linecap="butt"', svg, count=1)
    return re.sub(r"(<svg\b[^>]*>)", lambda m: f"{m.group(1)}\n <title>{label}</title>", svg, count=1)


def _svg(fig, title: str) -> str:
    buf = io.StringIO()
    with _plain_text():
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return csp_safe_svg(buf.getvalue(), title)


@_plain_text()
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
    ax = _axes(fig)
    for theme in themes:
        pts = reportable[reportable["theme"] == theme]
        series = pd.Series(float("nan"), index=range(len(x_of)), dtype="float64")
        for rid, share in zip(pts["round_id"], pts["share"]):
            series[x_of[rid]] = 100.0 * float(share)
        ax.plot(series.index, series.values, marker="o", label=_legend_label(str(names.get(theme, theme))))
    ax.set_xticks(range(len(x_of)), [_tick(l) for l in rounds["round_label"]])
    ax.set_ylabel("% of answers")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=11)
    if themes:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize=9, frameon=False)
    else:
        ax.text(0.5, 0.5, "No reportable theme shares", ha="center", va="center", transform=ax.transAxes)
    ax.grid(axis="y", color="#ffffff", linewidth=1.2)
    ax.set_axisbelow(True)
    return _svg(fig, title)


@_plain_text()
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
    ax = _axes(fig)
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
    ax.set_xticks(xs, [_tick(l) for l in frame["round_label"]])
    ax.set_ylabel("% of answers")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize=9, frameon=False, ncols=3)
    return _svg(fig, title)


_BAR_COLOUR = "#1d4ed8"
_INK = "#0b0c0c"


def _wrapped_label(text: str, x: float, y: float, width: int = 24) -> str:
    """An option's label as SVG text on at most two lines, right-aligned at ``x``."""
    lines = textwrap.wrap(text, width) or [text]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    first = y - 7 * (len(lines) - 1)
    spans = "".join(f'<tspan x="{x}" y="{first + 14 * i:.0f}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text text-anchor="end" dominant-baseline="middle">{spans}</text>'


def choice_chart_svg(
    distribution: pd.DataFrame,
    round_id: object,
    *,
    question_key: str | None = None,
    option_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str:
    """SVG horizontal bar chart of the share of answers choosing each option in one round,
    from :func:`analysis.compare.choice_distribution` output.

    Drawn directly as SVG with presentation attributes (no matplotlib: a report draws one
    per round and question). A withheld count has no bar and reads "fewer than N" at its
    place; a round that is suppressed whole draws no bars and says so. ``option_labels``
    gives the words shown for an option (a scale point's label). Returns the SVG text
    with an accessible title. Raises ``ValueError`` when several question keys are
    present without ``question_key``, or when the round is not in the frame.
    """
    frame, qkey = _one_question(distribution, question_key)
    frame = frame[frame["round_id"] == round_id]
    if frame.empty:
        raise ValueError(f"no answers for round {round_id!r}")
    labels = dict(option_labels or {})
    round_label = str(frame["round_label"].iloc[0])
    title = title or f"Answers to {qkey or 'this question'} in {round_label}"
    if frame["n_responses"].isna().all():
        title += " (too few answers to show)"
    label_width, bar_width, value_width, row, top = 200, 250, 100, 36, 34
    width = label_width + bar_width + value_width
    height = top + row * len(frame) + 30
    left = label_width + 10
    label = escape(title, quote=True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" class="chart-svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="13" fill="{_INK}">',
        f"<title>{label}</title>",
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>',
        f'<rect x="{left}" y="{top - 4}" width="{bar_width}" height="{row * len(frame) + 8}" fill="{PLOT_BACKGROUND}"/>',
    ]
    for tick in (0, 25, 50, 75, 100):
        x = left + bar_width * tick / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + row * len(frame) + 4}" '
                     f'stroke="#ffffff" stroke-width="1.5"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="11">{tick}%</text>')
    for i, r in enumerate(frame.itertuples(index=False)):
        y = top + row * i + row / 2
        option = str(r.option)
        parts.append(_wrapped_label(labels.get(option, option), label_width, y))
        if bool(r.suppressed) or pd.isna(r.share):
            parts.append(f'<text x="{left + 6}" y="{y:.0f}" dominant-baseline="middle">{escape(str(r.count_display))}</text>')
            continue
        share = 100.0 * float(r.share)
        bar = bar_width * share / 100
        parts.append(f'<rect x="{left}" y="{y - 10:.0f}" width="{bar:.1f}" height="20" fill="{_BAR_COLOUR}"/>')
        parts.append(f'<text x="{left + bar + 6:.1f}" y="{y:.0f}" dominant-baseline="middle">'
                     f'{share:.0f}% ({escape(str(r.count_display))})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def scale_labels_text(labels: Mapping[str, str], points: Sequence[str] = ("1", "2", "3", "4", "5")) -> dict[str, str]:
    """Scale points with their words where the questionnaire gives them:
    ``{"1": "1 (Not at all confident)", "2": "2", …}``."""
    return {p: f"{p} ({labels[p]})" if labels.get(p) else p for p in points}
