"""The framework's evidence beyond free text: agency RAG tracker, indicators against
their targets, the audit digest, lines of enquiry from closed answers, and the action log.

Pure functions over plain data and pandas frames: no Flask, no database. The app hands
them rows and renders what they return; the same code serves the pages, the scrutiny
pack, the command line and the tests.

Organisational returns (an agency's action-plan summary, an agency-led audit) are named
and never suppressed: an agency's RAG rating is not personal data. Counts from people's
anonymous answers (closed questions) keep the suppression threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .compare import AUDIENCE_PROMPTS
from .disclosure import DisclosurePolicy

RAG_ORDER = {"Red": 0, "Amber": 1, "Green": 2}
# Pattern names for the CSS classes of each rating: a rating is never shown by colour alone.
RAG_PATTERN = {"Red": "rag-red", "Amber": "rag-amber", "Green": "rag-green"}
PERIOD_PATTERNS = {
    "quarterly": re.compile(r"^(?P<year>\d{4})-Q(?P<part>[1-4])$"),
    "annual": re.compile(r"^(?P<year>\d{4})$"),
    "monthly": re.compile(r"^(?P<year>\d{4})-(?P<part>0[1-9]|1[0-2])$"),
}
PERIOD_EXAMPLES = {"quarterly": "2024-Q1", "annual": "2024", "monthly": "2024-03"}


# ---------------------------------------------------------------- agency RAG tracker


@dataclass(frozen=True)
class ReturnRound:
    """One round (a quarter) of the action-plan summary."""

    id: int
    label: str
    opens_on: date
    closes_on: date


@dataclass(frozen=True)
class RagCell:
    """One agency's return for one quarter, or the note that it is missing."""

    agency: str
    round_id: int
    rating: str | None = None  # Red, Amber, Green; None when no rating (or no return)
    response_id: int | None = None
    late: bool = False
    state: str = "returned"  # returned | missing | awaited
    movement: str | None = None  # better | worse | same; None when nothing to compare

    @property
    def arrow(self) -> str:
        """The arrow shown for the movement since the agency's previous rating."""
        return {"better": "↑", "worse": "↓", "same": "→"}.get(self.movement or "", "")

    @property
    def movement_text(self) -> str:
        """The movement in words, for screen readers and print."""
        return {"better": "better than last return", "worse": "worse than last return",
                "same": "same as last return"}.get(self.movement or "", "")

    @property
    def pattern(self) -> str:
        """The CSS class of the cell's colour and pattern."""
        return RAG_PATTERN.get(self.rating or "", "rag-none")


@dataclass(frozen=True)
class RedArea:
    """An agency's Red return with the barriers it reported and what it asked for."""

    agency: str
    round_label: str
    response_id: int
    barriers: str
    next_steps: str


@dataclass
class RagGrid:
    """Agencies by quarters, the Red areas of the latest quarter, and movements."""

    rounds: list[ReturnRound]
    agencies: list[str]
    cells: dict[tuple[str, int], RagCell]
    red_areas: list[RedArea]

    def header(self, round_: ReturnRound) -> str:
        """The round's label without the words every round's label starts with
        ("Action plan summary 2024-Q1" is shown as "2024-Q1" above a column)."""
        words = [r.label.split() for r in self.rounds]
        common = 0
        if len(words) > 1:
            while all(len(w) > common + 1 and w[common] == words[0][common] for w in words):
                common += 1
        return " ".join(round_.label.split()[common:])

    def cell(self, agency: str, round_id: int) -> RagCell:
        """The cell of ``agency`` in round ``round_id``."""
        return self.cells[(agency, round_id)]

    def counts(self, round_id: int) -> dict[str, int]:
        """Number of Red, Amber and Green returns, missing and late ones in a round."""
        cells = [self.cells[(a, round_id)] for a in self.agencies]
        out = {rating: sum(c.rating == rating for c in cells) for rating in RAG_ORDER}
        out["missing"] = sum(c.state == "missing" for c in cells)
        out["late"] = sum(c.late for c in cells)
        return out


def _movement(before: str | None, now: str | None) -> str | None:
    if before not in RAG_ORDER or now not in RAG_ORDER:
        return None
    change = RAG_ORDER[now] - RAG_ORDER[before]
    return "better" if change > 0 else "worse" if change < 0 else "same"


def rag_grid(returns: Sequence[Mapping[str, Any]], rounds: Sequence[ReturnRound],
             agencies: Sequence[str], today: date) -> RagGrid:
    """The agency RAG tracker from action-plan-summary returns.

    ``returns`` holds one mapping per return: ``response_id``, ``round_id``, ``agency``,
    ``submitted_at`` (date or datetime), ``overall_rag``, ``barriers_and_risks``,
    ``next_steps``. ``agencies`` are the rows (an agency that returned without being
    listed is added). A return submitted after its round closed is late; a closed round
    with no return from an agency is missing, an open one is awaited. When an agency
    returns twice in a round the later return counts. Never suppressed.
    """
    ordered = sorted(rounds, key=lambda r: (r.opens_on, r.id))
    round_ids = {r.id for r in ordered}
    latest: dict[tuple[str, int], Mapping[str, Any]] = {}
    for row in sorted(returns, key=lambda r: (_as_date(r["submitted_at"]), r["response_id"])):
        if row["round_id"] in round_ids and row.get("agency"):
            latest[(row["agency"], row["round_id"])] = row
    names = list(dict.fromkeys([*agencies, *sorted({agency for agency, _ in latest})]))
    cells: dict[tuple[str, int], RagCell] = {}
    for agency in names:
        previous: str | None = None
        for rnd in ordered:
            row = latest.get((agency, rnd.id))
            if row is None:
                state = "missing" if rnd.closes_on < today else "awaited"
                cells[(agency, rnd.id)] = RagCell(agency=agency, round_id=rnd.id, state=state)
                continue
            rating = row.get("overall_rag") if row.get("overall_rag") in RAG_ORDER else None
            cells[(agency, rnd.id)] = RagCell(
                agency=agency, round_id=rnd.id, rating=rating, response_id=row["response_id"],
                late=_as_date(row["submitted_at"]) > rnd.closes_on, movement=_movement(previous, rating),
            )
            previous = rating or previous
    red_areas = []
    if ordered:
        last = ordered[-1]
        for agency in names:
            row = latest.get((agency, last.id))
            if row is not None and row.get("overall_rag") == "Red":
                red_areas.append(RedArea(agency=agency, round_label=last.label, response_id=row["response_id"],
                                         barriers=str(row.get("barriers_and_risks") or ""),
                                         next_steps=str(row.get("next_steps") or "")))
    return RagGrid(rounds=ordered, agencies=names, cells=cells, red_areas=red_areas)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# ---------------------------------------------------------------- indicators


class IndicatorError(ValueError):
    """The indicators file or an indicator value is wrong; the message says where and how."""


@dataclass(frozen=True)
class Indicator:
    """One indicator of the partnership dataset (``questionnaires/indicators.yaml``)."""

    key: str
    name: str
    unit: str  # count | percent
    definition: str
    source: str
    better: str  # higher | lower
    period: str  # quarterly | annual | monthly
    target: float | None = None
    target_note: str = ""
    by_agency: bool = False
    baseline_period: str | None = None
    baseline_value: float | None = None

    def format(self, value: float | None) -> str:
        """``value`` as written on a page: ``35.7%`` or ``1,204``."""
        if value is None:
            return "no figure"
        text = f"{value:,.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
        return f"{text}%" if self.unit == "percent" else text


INDICATOR_FIELDS = {"key", "name", "unit", "definition", "source", "better", "period", "target",
                    "target_note", "by_agency", "baseline"}


def parse_indicators(raw: Any, source: str = "indicators.yaml") -> list[Indicator]:
    """The indicators of the parsed YAML ``raw`` (a mapping with an ``indicators:`` list).

    Raises IndicatorError naming the indicator and the fault.
    """
    items = raw.get("indicators") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise IndicatorError(f"{source}: needs an 'indicators:' list")
    out, seen = [], set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) \
                or not re.match(r"^[a-z][a-z0-9_]*$", item["key"]):
            raise IndicatorError(f"{source}: indicator number {number} needs a snake_case 'key'")
        key = item["key"]
        where = f"{source}: indicator '{key}'"
        unknown = sorted(set(item) - INDICATOR_FIELDS)
        if unknown:
            raise IndicatorError(f"{where}: unknown field(s) {', '.join(unknown)}")
        if key in seen:
            raise IndicatorError(f"{where}: is listed twice")
        seen.add(key)
        for name in ("name", "definition", "source"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                raise IndicatorError(f"{where}: needs a '{name}'")
        checks = {"unit": ("count", "percent"), "better": ("higher", "lower"), "period": tuple(PERIOD_PATTERNS)}
        for name, allowed in checks.items():
            if item.get(name) not in allowed:
                raise IndicatorError(f"{where}: '{name}' must be one of {', '.join(allowed)}")
        target = item.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float))):
            raise IndicatorError(f"{where}: 'target' must be a number")
        baseline = item.get("baseline") or {}
        baseline_period = baseline.get("period") if isinstance(baseline, dict) else None
        baseline_value = baseline.get("value") if isinstance(baseline, dict) else None
        if baseline and (not isinstance(baseline, dict) or period_error(str(baseline_period), item["period"])
                         or not isinstance(baseline_value, (int, float))):
            raise IndicatorError(f"{where}: 'baseline' needs a 'period' like "
                                 f"{PERIOD_EXAMPLES[item['period']]} and a number 'value'")
        out.append(Indicator(
            key=key, name=item["name"].strip(), unit=item["unit"], definition=item["definition"].strip(),
            source=item["source"].strip(), better=item["better"], period=item["period"],
            target=float(target) if target is not None else None, target_note=str(item.get("target_note") or ""),
            by_agency=bool(item.get("by_agency", False)),
            baseline_period=str(baseline_period) if baseline else None,
            baseline_value=float(baseline_value) if baseline else None,
        ))
    return out


def period_error(period: str, cadence: str) -> str | None:
    """Why ``period`` is not a period of ``cadence`` (``2024-Q1`` for quarterly), or None."""
    if PERIOD_PATTERNS[cadence].match(period.strip()):
        return None
    return f"'{period}' is not a {cadence} period (write it like {PERIOD_EXAMPLES[cadence]})"


@dataclass(frozen=True)
class ValueRow:
    """One row of an indicator import: ``indicator,period,value[,agency]``."""

    indicator: str
    period: str
    value: float
    agency: str = ""


def check_indicator_rows(rows: Sequence[Mapping[str, str]], indicators: Sequence[Indicator],
                         agencies: Sequence[str]) -> tuple[list[ValueRow], list[str]]:
    """Check every row of an indicator import; returns the clean rows and every problem.

    Each problem names its line (the header is line 1). A file with any problem must be
    refused whole: the caller stores the rows only when the problem list is empty.
    """
    by_key = {i.key: i for i in indicators}
    clean: list[ValueRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    if not rows:
        return [], ["the file has no rows of figures"]
    for line, row in enumerate(rows, start=2):
        key = (row.get("indicator") or "").strip()
        period = (row.get("period") or "").strip()
        text = (row.get("value") or "").strip().replace(",", "")
        agency = (row.get("agency") or "").strip()
        indicator = by_key.get(key)
        errors = []
        if indicator is None:
            errors.append(f"unknown indicator '{key}' (known: {', '.join(by_key)})" if key else "no indicator")
        elif (problem := period_error(period, indicator.period)) is not None:
            errors.append(problem)
        value: float | None = None
        try:
            value = float(text.rstrip("%"))
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        except ValueError:
            errors.append(f"'{row.get('value') or ''}' is not a number")
        if value is not None and indicator is not None and indicator.unit == "percent" and not 0 <= value <= 100:
            errors.append(f"{text} is not a percentage from 0 to 100")
        if agency and agency not in agencies:
            errors.append(f"unknown agency '{agency}'")
        if agency and indicator is not None and not indicator.by_agency:
            errors.append(f"'{key}' is a partnership-wide figure: leave agency empty")
        ident = (key, period, agency)
        if ident in seen and not errors:
            errors.append(f"repeats line {seen[ident]} (same indicator, period and agency)")
        seen.setdefault(ident, line)
        if errors:
            problems.extend(f"line {line}: {error}" for error in errors)
        else:
            clean.append(ValueRow(indicator=key, period=period, value=float(value), agency=agency))  # type: ignore[arg-type]
    return clean, problems


@dataclass(frozen=True)
class IndicatorTrend:
    """An indicator's figures over time, where it stands against its target and baseline."""

    indicator: Indicator
    agency: str
    points: list[tuple[str, float]]  # (period, value) in period order
    baseline: tuple[str, float] | None
    latest: tuple[str, float] | None
    direction: str  # improving | worsening | no change | no data
    on_target: bool | None  # None when there is no target or no figure

    @property
    def summary(self) -> str:
        """One sentence: latest figure, target, and direction since the baseline."""
        ind = self.indicator
        if self.latest is None:
            return f"{ind.name}: no figures yet."
        text = f"{ind.name}: {ind.format(self.latest[1])} in {self.latest[0]}"
        if ind.target is not None:
            text += f" against a target of {ind.format(ind.target)}"
        if self.baseline is not None and self.baseline[0] != self.latest[0]:
            text += f"; {self.direction} since the baseline of {ind.format(self.baseline[1])} in {self.baseline[0]}"
        return text + "."


def period_sort_key(period: str) -> tuple[int, int]:
    """Orders periods of any cadence: ``2024`` < ``2024-Q1``-ish by year then part."""
    match = re.match(r"^(\d{4})(?:-Q?(\d{1,2}))?$", period)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else (0, 0)


def indicator_trend(indicator: Indicator, values: Iterable[tuple[str, float]], agency: str = "") -> IndicatorTrend:
    """Where ``indicator`` stands: its figures in period order, baseline (from the
    definition, else the first figure), latest figure, direction of travel since the
    baseline (by which direction is better) and whether the latest is on target."""
    points = sorted({period: float(value) for period, value in values}.items(), key=lambda p: period_sort_key(p[0]))
    if indicator.baseline_period is not None and not agency:
        baseline: tuple[str, float] | None = (indicator.baseline_period, float(indicator.baseline_value or 0.0))
        if indicator.baseline_period not in dict(points):
            points = sorted([*points, baseline], key=lambda p: period_sort_key(p[0]))
    else:
        baseline = points[0] if points else None
    latest = points[-1] if points else None
    if latest is None or baseline is None:
        direction = "no data"
    elif latest[1] == baseline[1]:
        direction = "no change"
    else:
        up = latest[1] > baseline[1]
        direction = "improving" if up == (indicator.better == "higher") else "worsening"
    on_target = None
    if indicator.target is not None and latest is not None:
        on_target = latest[1] >= indicator.target if indicator.better == "higher" else latest[1] <= indicator.target
    return IndicatorTrend(indicator=indicator, agency=agency, points=points, baseline=baseline,
                          latest=latest, direction=direction, on_target=on_target)


# ---------------------------------------------------------------- audit digest


@dataclass(frozen=True)
class DigestRow:
    """One question's answers in one sample group: counts and percentages of each option."""

    group: str
    counts: dict[str, int]
    total: int

    def percent(self, option: str) -> int | None:
        """The share of ``option`` as a whole percentage, None when nobody answered."""
        return round(100 * self.counts.get(option, 0) / self.total) if self.total else None


@dataclass(frozen=True)
class DigestQuestion:
    """One closed audit question: its rows by sample group, then all groups."""

    key: str
    text: str
    options: tuple[str, ...]
    rows: list[DigestRow]

    @property
    def overall(self) -> DigestRow:
        """The row of all sample groups together."""
        return self.rows[-1]


ALL_GROUPS = "All cases"
NOT_RECORDED = "Group not recorded"


def audit_digest(answers: pd.DataFrame, questions: Sequence[tuple[str, str, Sequence[str]]],
                 group_key: str = "sample_group") -> list[DigestQuestion]:
    """Percentages of each answer (Yes/Partly/No, Yes/No/Not known) per question and sample group.

    ``answers`` has columns ``response_id, question_key, value`` (one row per answer);
    ``questions`` lists (key, text, options) of the closed questions to digest. The sample
    group of a response is its answer to ``group_key``. Counts are shown as they are: an
    audit is an organisational return about practice, not a person's anonymous answer.
    """
    frame = answers[["response_id", "question_key", "value"]] if len(answers) else pd.DataFrame(
        columns=["response_id", "question_key", "value"])
    groups = frame[frame["question_key"] == group_key].set_index("response_id")["value"].to_dict()
    group_names = sorted(set(groups.values()))
    out = []
    for key, text, options in questions:
        mine = frame[frame["question_key"] == key]
        by_group: dict[str, list[str]] = {}
        for response_id, value in zip(mine["response_id"], mine["value"]):
            by_group.setdefault(groups.get(response_id, NOT_RECORDED), []).append(value)
        names = [*group_names, *([NOT_RECORDED] if NOT_RECORDED in by_group else [])]
        rows = []
        for name in [*names, ALL_GROUPS]:
            values = [v for vs in by_group.values() for v in vs] if name == ALL_GROUPS else by_group.get(name, [])
            counts = {option: sum(v == option for v in values) for option in options}
            rows.append(DigestRow(group=name, counts=counts, total=sum(counts.values())))
        out.append(DigestQuestion(key=key, text=text, options=tuple(options), rows=rows))
    return out


# ---------------------------------------------------------------- lines of enquiry


@dataclass(frozen=True)
class LineOfEnquiry:
    """A draft question for the scrutiny event, with the evidence and counts it rests on."""

    source: str  # closed question | RAG | indicator | audit
    capture_point: str
    text: str
    evidence: str


# What a line asks, by the question key it comes from (framework 11.2 gives the first).
QUESTION_PROMPTS = {
    "knew_about_cp_plan": "had the plan been shared with the child?",
    "knows_social_worker_name": "does each child know who their worker is?",
    "part_of_safety_planning": "were children involved in planning to keep them safe?",
}
AUDIENCE_NOUNS = {
    "children": "children", "parents": "parents and carers", "practitioners": "practitioners",
    "champions": "champions", "auditors": "audited cases", "agency-leads": "agencies",
}
NEGATIVE_OPTIONS = ("No", "Not known", "I'm not sure")


def closed_question_lines(distribution: Sequence[Mapping[str, Any]], audience: str, capture_point: str,
                          min_count: int, min_share: float = 0.25) -> list[LineOfEnquiry]:
    """Lines from closed questions where a negative answer ("No") is common.

    ``distribution`` rows: ``question_key, question_text, option, count, total`` for the
    latest round. A line is drafted when a negative option is at least ``min_share`` of
    the answers; counts below ``min_count`` never appear (people's answers are suppressed).
    """
    lines = []
    noun = AUDIENCE_NOUNS.get(audience, "respondents")
    # A count the question's table withholds (small, or hidden so that a small one cannot be
    # worked out from the total) never makes a line either.
    policy = DisclosurePolicy(max(1, int(min_count)))
    by_question: dict[Any, list[int]] = {}
    for index, row in enumerate(distribution):
        by_question.setdefault(row["question_key"], []).append(index)
    withheld: set[int] = set()
    for indexes in by_question.values():
        hidden = policy.suppress_partition([int(distribution[i]["count"]) for i in indexes])
        withheld.update(i for i, hide in zip(indexes, hidden) if hide)
    for index, row in enumerate(distribution):
        count, total = int(row["count"]), int(row["total"])
        if row["option"] not in NEGATIVE_OPTIONS or total == 0 or index in withheld or policy.too_small(total):
            continue
        if count / total < min_share:
            continue
        prompt = QUESTION_PROMPTS.get(row["question_key"], AUDIENCE_PROMPTS.get(audience, "what lies behind this?"))
        lines.append(LineOfEnquiry(
            source="closed question", capture_point=capture_point,
            text=f"{count} of {total} {noun} answered \u201c{row['option']}\u201d to \u201c{row['question_text']}\u201d: {prompt}",
            evidence=f"{row['question_key']}: {count} of {total} ({round(100 * count / total)}%)",
        ))
    return lines


def rag_lines(grid: RagGrid, capture_point: str = "Agency action plans") -> list[LineOfEnquiry]:
    """Lines from the RAG tracker: agencies whose rating fell in the latest quarter, agencies
    Red in the latest quarter, and returns missing from it."""
    if not grid.rounds:
        return []
    last = grid.rounds[-1]
    quarter = grid.header(last)
    lines = []
    for agency in grid.agencies:
        cell = grid.cell(agency, last.id)
        if cell.movement == "worse":
            lines.append(LineOfEnquiry("RAG", capture_point,
                                       f"{agency} rated its plan {cell.rating} in {quarter}, down since its last return: "
                                       "what barriers lie behind this, and what support does it need?",
                                       f"{agency}: {cell.rating} in {last.label} (worse than its last return)"))
        elif cell.rating == "Red":
            lines.append(LineOfEnquiry("RAG", capture_point,
                                       f"{agency} rated its plan Red in {quarter}: what barriers remain, and what support "
                                       "has the Partnership given?", f"{agency}: Red in {last.label}"))
        if cell.state == "missing":
            lines.append(LineOfEnquiry("RAG", capture_point,
                                       f"{agency} sent no action-plan summary for {quarter}: what is its progress?",
                                       f"{agency}: no return for {last.label}"))
    return lines


def indicator_lines(trends: Sequence[IndicatorTrend], capture_point: str = "Indicators",
                    since: str | None = None) -> list[LineOfEnquiry]:
    """Lines from indicators whose latest figure is off target (and, with ``since``, from
    that period on: a baseline years old is not news)."""
    floor = period_sort_key(since) if since else (0, 0)
    return [
        LineOfEnquiry("indicator", capture_point,
                      f"{t.summary[:-1]}; off target: what lies behind this, and what would bring it back on target?",
                      f"{t.indicator.key}: {t.indicator.format(t.latest[1])} in {t.latest[0]}, target "
                      f"{t.indicator.format(t.indicator.target)}")
        for t in trends if t.on_target is False and t.latest is not None and period_sort_key(t.latest[0]) >= floor
    ]


def audit_lines(digest: Sequence[DigestQuestion], capture_point: str = "Audits",
                max_yes_share: float = 0.5) -> list[LineOfEnquiry]:
    """Lines from audit questions where fewer than half of the audited cases had "Yes"."""
    lines = []
    for question in digest:
        row = question.overall
        if "Yes" not in question.options or row.total == 0:
            continue
        yes = row.counts.get("Yes", 0)
        if yes / row.total < max_yes_share:
            lines.append(LineOfEnquiry(
                "audit", capture_point,
                f"Only {yes} of {row.total} audited cases had \u201cYes\u201d for \u201c{question.text}\u201d: "
                "what would make this the case for every child?",
                f"{question.key}: Yes {yes}, "
                + ", ".join(f"{o} {row.counts.get(o, 0)}" for o in question.options if o != "Yes")
                + f" (of {row.total})",
            ))
    return lines


# ---------------------------------------------------------------- action log


ACTION_STATUSES = ("open", "in-progress", "done", "dropped")
CLOSED_STATUSES = ("done", "dropped")


def is_overdue(due_on: date, status: str, today: date) -> bool:
    """True when an action is past its due date and neither done nor dropped."""
    return status not in CLOSED_STATUSES and due_on < today
