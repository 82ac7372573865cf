"""Indicator trend charts as small, self-contained SVG: figures over time, the target line
and the baseline marked. Presentation attributes and CSS classes only (the Content
Security Policy forbids inline ``style=``); every label is plain, escaped text."""

from __future__ import annotations

import math
from html import escape

from .evidence import IndicatorTrend

WIDTH, HEIGHT = 440, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44


def _scale(low: float, high: float, size: float, value: float, invert: bool = False) -> float:
    share = 0.5 if high == low else (value - low) / (high - low)
    return (1 - share) * size if invert else share * size


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least ``value``
    (an axis top that reads well); 1 for zero or less."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def trend_chart_svg(trend: IndicatorTrend, chart_id: str) -> str:
    """An SVG line chart of ``trend``: a line through the figures, a dashed target line,
    the baseline point ringed and labelled. ``chart_id`` makes the title's id unique on a
    page. With no figures, a chart that says so."""
    ind = trend.indicator
    title = f"{ind.name}: {trend.summary}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{escape(chart_id)}-title">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    if not trend.points:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="chart-note">No figures yet</text>')
        return "".join(parts) + "</svg>"
    values = [v for _, v in trend.points] + ([ind.target] if ind.target is not None else [])
    low, high = min(0.0, min(values)), nice_ceiling(max(values))
    if ind.unit == "percent":
        high = min(high, 100.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(trend.points)

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n)

    def y(value: float) -> float:
        return TOP + _scale(low, high, plot_h, value, invert=True)

    # axes and value labels
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" class="axis" stroke="#505a5f" />')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis" stroke="#505a5f" />')
    for tick in (low, (low + high) / 2, high):
        parts.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" class="tick" font-size="11">'
                     f'{escape(ind.format(round(tick, 1)))}</text>')
    step = -(-n // 6)  # at most six period labels, counted back from the latest so it is always labelled
    for i, (period, _value) in enumerate(trend.points):
        if (n - 1 - i) % step == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" class="tick" '
                         f'font-size="11">{escape(period)}</text>')
    if ind.target is not None:
        ty = y(ind.target)
        parts.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}" class="target-line" '
                     f'stroke="#00703c" stroke-width="2" stroke-dasharray="6 4" />')
        parts.append(f'<text x="{LEFT + plot_w}" y="{ty - 5:.1f}" text-anchor="end" class="target-label" '
                     f'font-size="11" fill="#00703c">Target {escape(ind.format(ind.target))}</text>')
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, (_p, v) in enumerate(trend.points))
    parts.append(f'<polyline points="{points}" class="trend-line" fill="none" stroke="#1d70b8" stroke-width="2.5" />')
    for i, (period, value) in enumerate(trend.points):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" class="trend-point" fill="#1d70b8">'
                     f'<title>{escape(period)}: {escape(ind.format(value))}</title></circle>')
    if trend.baseline is not None:
        index = [p for p, _ in trend.points].index(trend.baseline[0]) if trend.baseline[0] in dict(trend.points) else 0
        bx, by = x(index), y(trend.baseline[1])
        parts.append(f'<circle cx="{bx:.1f}" cy="{by:.1f}" r="7" class="baseline-mark" fill="none" '
                     f'stroke="#0b0c0c" stroke-width="2" />')
        parts.append(f'<text x="{bx:.1f}" y="{TOP + plot_h + 32}" text-anchor="middle" class="baseline-label" '
                     f'font-size="11" font-weight="bold">Baseline</text>')
    return "".join(parts) + "</svg>"
