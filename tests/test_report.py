"""The printable comparison report: from the command line and as a download."""

from __future__ import annotations

import re
from datetime import date

import pytest

from feedback_app.cli.report import report_command
from test_insights import FOOD_1, FOOD_2, OTHER_1, OTHER_2, store_answers


@pytest.fixture
def rounds(app, make_round):
    """Children v1: two rounds of "what didn't help" (food rising 2 -> 15 of 20) and some age bands."""
    first = make_round("children", 1, label="Voice of the child 2023", opens_on=date(2023, 1, 1), closes_on=date(2023, 3, 31))
    second = make_round("children", 1, label="Voice of the child 2024", opens_on=date(2024, 1, 1), closes_on=date(2099, 3, 31))
    store_answers(app, first, [{"what_did_not_help": text, "age_band": "8 to 11"} for text in FOOD_1 + OTHER_1])
    store_answers(app, second, [{"what_did_not_help": text, "age_band": "12 to 15"} for text in FOOD_2 + OTHER_2[:3]]
                  + [{"what_did_not_help": "<script>alert(1)</script> nobody listened", "age_band": "16 or over"}] * 2)
    return first, second


def test_report_command_writes_a_self_contained_report(runner, rounds, tmp_path):
    output = tmp_path / "children.html"
    result = runner.invoke(report_command, ["children", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the children report to {output}." in result.output
    report = output.read_text(encoding="utf-8")
    # governance from the questionnaire definition
    assert "<dt>Capture point</dt><dd>Annual WSSCP QA report</dd>" in report
    assert "<dt>Concerns escalated to</dt><dd>WSSCP Steering Group</dd>" in report
    # charts and word clouds are embedded, nothing is fetched
    assert "data:image/svg+xml;base64," in report and "data:image/png;base64," in report
    assert not re.search(r"""(src|href)=["']https?://""", report)
    # small counts are suppressed, their shares withheld
    row = re.search(r"<th scope=\"row\">Practical needs[^<]*</th>(.*?)</tr>", report).group(1)
    assert re.findall(r"<td class=\"num\">(.*?)</td>", row) == ["fewer than 5", "15 (75%)"]
    assert "What didn't help" in report or "What didn&#39;t help" in report
    # closed questions: the spread of answers
    assert re.search(r"<th scope=\"row\">8 to 11</th><td class=\"num\">20 \(100%\)</td>", report)
    assert re.search(r"<th scope=\"row\">16 or over</th><td class=\"num\">0 \(0%\)</td><td class=\"num\">fewer than 5</td>", report)
    # answers are escaped in the report too
    assert "<script>alert(1)" not in report
    assert "Draft key lines of enquiry" in report and "Emerging phrases in Voice of the child 2024" in report


def test_report_quotes_typical_answers_and_drafts_lines_of_enquiry(app, runner, rounds, tmp_path):
    app.config["SUPPRESSION_THRESHOLD"] = 2
    output = tmp_path / "children.html"
    result = runner.invoke(report_command, ["children", "--output", str(output)])
    assert result.exit_code == 0, result.output
    report = output.read_text(encoding="utf-8")
    assert "<strong>rose</strong>" in report and "p &lt; 0.001 (chi-square)" in report
    assert re.search(r"<li>“Practical needs[^<]*” rose in answers to what_did_not_help from 10%", report)
    assert re.search(r"<blockquote>(There was no food at home|I was hungry at school)", report)


def test_report_command_takes_chosen_rounds(runner, rounds, tmp_path):
    first, _second = rounds
    output = tmp_path / "first.html"
    result = runner.invoke(report_command, ["children", "--rounds", str(first.id), "--output", str(output)])
    assert result.exit_code == 0, result.output
    report = output.read_text(encoding="utf-8")
    assert "Voice of the child 2023" in report and "Voice of the child 2024" not in report


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "Error: No questionnaire 'nope' is published."),
        (["children", "--rounds", "999"], "Error: Round 999 is not a round of 'children'"),
        (["children", "--rounds", "one"], "Error: --rounds takes round ids separated by commas, such as 3,5; not 'one'."),
    ],
)
def test_report_command_names_what_is_wrong(runner, rounds, tmp_path, args, message):
    result = runner.invoke(report_command, args + ["--output", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "r.html").exists()


def test_report_is_a_download_from_the_comparison_page(client, login, rounds):
    login("analyst")
    page = client.get("/analysis/children/what_did_not_help").get_data(as_text=True)
    assert 'href="/analysis/children/report.html"' in page
    response = client.get("/analysis/children/report.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="children-report-')
    assert "Annual WSSCP QA report" in response.get_data(as_text=True)


def test_anonymous_visitors_cannot_download_the_report(client, rounds):
    response = client.get("/analysis/children/report.html")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_report_charts_closed_questions_per_round_with_their_change_test(app, runner, make_round, tmp_path):
    first = make_round("practitioners", 1, label="2021 H1", opens_on=date(2021, 1, 1), closes_on=date(2021, 6, 30))
    second = make_round("practitioners", 1, label="2021 H2", opens_on=date(2021, 7, 1), closes_on=date(2099, 12, 31))
    store_answers(app, first, [{"confidence_recognising": v} for v in ["1", "2", "2", "3"] * 5])
    store_answers(app, second, [{"confidence_recognising": v} for v in ["4", "5", "5", "3"] * 5])
    output = tmp_path / "practitioners.html"
    result = runner.invoke(report_command, ["practitioners", "--output", str(output)])
    assert result.exit_code == 0, result.output
    report = output.read_text(encoding="utf-8")
    section = report.split("How confident are you in recognising neglect?")[1].split("<h3>")[0]
    assert "Mean answer by round" in section and "p &lt; 0.001 (Mann-Whitney)" in section
    assert section.count('<img src="data:image/svg+xml;base64,') == 2
    assert "1 (Not at all confident)" in section
