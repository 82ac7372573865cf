"""The pure evidence functions (analysis/evidence.py, analysis/evidence_charts.py): RAG
tracker, indicators, audit digest, lines of enquiry, action log; degenerate inputs too."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from analysis.evidence import (
    IndicatorError,
    ReturnRound,
    audit_digest,
    audit_lines,
    check_indicator_rows,
    closed_question_lines,
    indicator_lines,
    indicator_trend,
    is_overdue,
    parse_indicators,
    rag_grid,
    rag_lines,
)
from analysis.evidence_charts import nice_ceiling, trend_chart_svg
from feedback_app.evidence.data import load_indicators

ROUNDS = [
    ReturnRound(1, "Action plan summary 2024-Q1", date(2024, 1, 1), date(2024, 4, 21)),
    ReturnRound(2, "Action plan summary 2024-Q2", date(2024, 4, 1), date(2024, 7, 21)),
    ReturnRound(3, "Action plan summary 2024-Q3", date(2024, 7, 1), date(2024, 10, 21)),
]
TODAY = date(2024, 10, 1)  # Q3 still open


def _return(response_id, round_id, agency, rating, day, **extra):
    return {"response_id": response_id, "round_id": round_id, "agency": agency, "overall_rag": rating,
            "submitted_at": datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc), **extra}


def test_rag_grid_names_every_agency_with_movements_late_and_missing():
    returns = [
        _return(1, 1, "Police", "Amber", date(2024, 4, 1)),
        _return(2, 2, "Police", "Red", date(2024, 7, 30), barriers_and_risks="No trainers", next_steps="Ask WSSCP"),
        _return(3, 1, "Schools", "Red", date(2024, 4, 2)),
        _return(4, 2, "Schools", "Green", date(2024, 7, 1)),
        _return(5, 3, "Schools", "Green", date(2024, 9, 1)),
    ]
    grid = rag_grid(returns, ROUNDS, ["Police", "Schools", "Early Help"], TODAY)
    assert grid.agencies == ["Police", "Schools", "Early Help"]
    police_q2 = grid.cell("Police", 2)
    assert (police_q2.rating, police_q2.movement, police_q2.arrow, police_q2.late) == ("Red", "worse", "↓", True)
    assert grid.cell("Schools", 2).movement == "better" and grid.cell("Schools", 3).movement == "same"
    assert grid.cell("Early Help", 1).state == "missing"  # a closed quarter with no return
    assert grid.cell("Police", 3).state == "awaited"  # the quarter is still open
    assert grid.cell("Police", 2).pattern == "rag-red"
    assert grid.counts(2) == {"Red": 1, "Amber": 0, "Green": 1, "missing": 1, "late": 1}
    assert grid.header(ROUNDS[0]) == "2024-Q1"


def test_red_areas_of_the_latest_quarter_carry_barriers_and_next_steps():
    returns = [_return(9, 3, "Police", "Red", date(2024, 9, 1), barriers_and_risks="No trainers",
                       next_steps="Ask WSSCP for sessions")]
    grid = rag_grid(returns, ROUNDS, ["Police"], TODAY)
    assert [(a.agency, a.barriers, a.next_steps) for a in grid.red_areas] == [
        ("Police", "No trainers", "Ask WSSCP for sessions")]
    lines = rag_lines(grid)
    assert lines[0].text.startswith("Police rated its plan Red in 2024-Q3")


def test_a_later_return_in_the_same_quarter_counts():
    returns = [_return(1, 1, "Police", "Red", date(2024, 2, 1)), _return(2, 1, "Police", "Green", date(2024, 3, 1))]
    assert rag_grid(returns, ROUNDS[:1], ["Police"], TODAY).cell("Police", 1).rating == "Green"


@pytest.mark.parametrize("returns, rounds", [([], []), ([], ROUNDS), ([_return(1, 99, "Police", "Red", date(2024, 1, 2))], ROUNDS)])
def test_rag_grid_with_nothing_to_show(returns, rounds):
    grid = rag_grid(returns, rounds, ["Police"], TODAY)
    assert grid.red_areas == []
    assert rag_lines(grid) == [] or all(line.text.startswith("Police sent no") for line in rag_lines(grid))


SHIPPED = {i.key: i for i in load_indicators()}


def test_shipped_indicators_are_the_ones_the_seeds_name():
    assert set(SHIPPED) == {"staff_trained_neglect_tools", "cp_plans_neglect", "cin_plans_over_12_months",
                            "repeat_cp_plans_neglect", "neglect_referrals_front_door"}
    trained = SHIPPED["staff_trained_neglect_tools"]
    assert (trained.target, trained.baseline_value, trained.better) == (800, 180, "higher")


@pytest.mark.parametrize(
    "raw, message",
    [
        ({}, "needs an 'indicators:' list"),
        ({"indicators": [{"key": "X"}]}, "indicator number 1 needs a snake_case 'key'"),
        ({"indicators": [{"key": "a", "name": "A", "definition": "d", "source": "s", "unit": "kg",
                          "better": "higher", "period": "quarterly"}]}, "'unit' must be one of count, percent"),
        ({"indicators": [{"key": "a", "name": "A", "definition": "d", "source": "s", "unit": "count",
                          "better": "higher", "period": "quarterly", "baseline": {"period": "2020", "value": 1}}]},
         "'baseline' needs a 'period' like 2024-Q1"),
        ({"indicators": [{"key": "a", "colour": "red"}]}, "unknown field(s) colour"),
    ],
)
def test_a_bad_indicators_file_is_refused_with_a_message(raw, message):
    with pytest.raises(IndicatorError, match=re.escape(message)):
        parse_indicators(raw)


def test_an_import_lists_every_problem_with_its_line():
    rows = [
        {"indicator": "cin_plans_over_12_months", "period": "2024-Q1", "value": "34.2"},
        {"indicator": "nope", "period": "2024-Q1", "value": "1"},
        {"indicator": "cin_plans_over_12_months", "period": "2024", "value": "ten"},
        {"indicator": "cin_plans_over_12_months", "period": "2024-Q2", "value": "140"},
        {"indicator": "cp_plans_neglect", "period": "2024-Q1", "value": "5", "agency": "Police"},
        {"indicator": "cin_plans_over_12_months", "period": "2024-Q1", "value": "30"},
    ]
    clean, problems = check_indicator_rows(rows, list(SHIPPED.values()), ["Police"])
    assert [r.value for r in clean] == [34.2]
    assert problems[0].startswith("line 3: unknown indicator 'nope'")
    assert "line 4: '2024' is not a quarterly period (write it like 2024-Q1)" in problems
    assert "line 4: 'ten' is not a number" in problems
    assert "line 5: 140 is not a percentage from 0 to 100" in problems
    assert "line 6: 'cp_plans_neglect' is a partnership-wide figure: leave agency empty" in problems
    assert "line 7: repeats line 2 (same indicator, period and agency)" in problems
    assert check_indicator_rows([], list(SHIPPED.values()), []) == ([], ["the file has no rows of figures"])


def test_trend_direction_and_target_follow_which_way_is_better():
    cin = SHIPPED["cin_plans_over_12_months"]  # lower is better, baseline 35.7 in 2020-Q1, target 25
    worse = indicator_trend(cin, [("2024-Q1", 38.0), ("2023-Q4", 36.0)])
    assert worse.points[0] == ("2020-Q1", 35.7) and worse.latest == ("2024-Q1", 38.0)
    assert (worse.direction, worse.on_target) == ("worsening", False)
    better = indicator_trend(cin, [("2024-Q1", 24.0)])
    assert (better.direction, better.on_target) == ("improving", True)
    assert "24% in 2024-Q1 against a target of 25%" in better.summary
    lines = indicator_lines([worse, better])
    assert len(lines) == 1 and "off target" in lines[0].text


def test_trend_with_no_figures_and_no_baseline():
    cp = SHIPPED["cp_plans_neglect"]  # no target, no baseline
    trend = indicator_trend(cp, [])
    assert (trend.direction, trend.on_target, trend.latest) == ("no data", None, None)
    assert trend.summary.endswith("no figures yet.")
    assert "No figures yet" in trend_chart_svg(trend, "c")
    single = indicator_trend(cp, [("2024-Q1", 10.0)])
    assert single.direction == "no change" and indicator_lines([single]) == []


def test_trend_chart_is_plain_svg_with_target_and_baseline():
    trend = indicator_trend(SHIPPED["staff_trained_neglect_tools"],
                            [("2024-Q1", 300.0), ("2024-Q2", 420.0), ("2024-Q3", 500.0)])
    svg = trend_chart_svg(trend, "chart-trained")
    assert "style=" not in svg  # the Content Security Policy forbids inline styles
    assert 'class="target-line"' in svg and "Target 800" in svg
    assert 'class="baseline-mark"' in svg and ">Baseline<" in svg
    assert '<title id="chart-trained-title">' in svg
    hostile = indicator_trend(SHIPPED["staff_trained_neglect_tools"], [("<script>", 1.0)])
    assert "<script>" not in trend_chart_svg(hostile, "x")
    assert [nice_ceiling(v) for v in (0, 7, 800, 954.8, 44.1)] == [1.0, 10, 1000, 1000, 50]


def _audit_frame(rows):
    return pd.DataFrame(rows, columns=["response_id", "question_key", "value"])


def test_audit_digest_gives_percentages_and_counts_by_sample_group():
    frame = _audit_frame([
        (1, "sample_group", "CP plan"), (1, "child_involved", "Yes"),
        (2, "sample_group", "CP plan"), (2, "child_involved", "No"),
        (3, "sample_group", "Closed"), (3, "child_involved", "No"),
        (4, "child_involved", "Partly"),
    ])
    digest = audit_digest(frame, [("child_involved", "Has the child been involved?", ("Yes", "Partly", "No"))])
    rows = {row.group: row for row in digest[0].rows}
    assert list(rows) == ["CP plan", "Closed", "Group not recorded", "All cases"]
    assert rows["CP plan"].counts == {"Yes": 1, "Partly": 0, "No": 1} and rows["CP plan"].percent("Yes") == 50
    assert rows["All cases"].total == 4 and rows["All cases"].percent("No") == 50
    lines = audit_lines(digest)
    assert lines[0].text.startswith("Only 1 of 4 audited cases had “Yes” for “Has the child been involved?”")


def test_audit_digest_of_no_audits():
    digest = audit_digest(_audit_frame([]), [("child_involved", "Involved?", ("Yes", "Partly", "No"))])
    assert digest[0].overall.total == 0 and digest[0].overall.percent("Yes") is None
    assert audit_lines(digest) == []


def test_closed_question_line_is_the_seeds_own_example():
    rows = [
        {"question_key": "knew_about_cp_plan", "question_text": "Did you know you were on a child protection plan?",
         "option": "No", "count": 13, "total": 35},
        {"question_key": "knew_about_cp_plan", "question_text": "Did you know you were on a child protection plan?",
         "option": "Yes", "count": 22, "total": 35},
    ]
    lines = closed_question_lines(rows, "children", "Voice of the child and parents", min_count=5)
    assert [line.text for line in lines] == [
        "13 of 35 children answered “No” to “Did you know you were on a child protection plan?”: "
        "had the plan been shared with the child?"]
    assert lines[0].evidence == "knew_about_cp_plan: 13 of 35 (37%)"


@pytest.mark.parametrize("count, total", [(4, 35), (3, 4), (0, 0), (5, 40)])
def test_no_closed_question_line_from_small_or_rare_counts(count, total):
    rows = [{"question_key": "q", "question_text": "Q?", "option": "No", "count": count, "total": total}]
    assert closed_question_lines(rows, "practitioners", "Practitioners", min_count=5) == []


def test_overdue_actions_are_open_ones_past_their_date():
    today = date(2024, 6, 1)
    assert is_overdue(date(2024, 5, 31), "open", today) and is_overdue(date(2024, 5, 31), "in-progress", today)
    assert not is_overdue(date(2024, 5, 31), "done", today) and not is_overdue(date(2024, 6, 1), "open", today)
