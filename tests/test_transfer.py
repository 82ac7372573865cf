"""Import of paper and interview answers from CSV; export of raw responses to CSV and XLSX."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import event
from sqlalchemy import func, select

from feedback_app import transfer
from feedback_app.cli.responses import responses_group
from feedback_app.db import db
from feedback_app.definitions import load_agencies
from feedback_app.models import Answer, Response, Round, RoundStatus
from feedback_app.responses import store_response
from feedback_app.rounds import close_round, create_round, find_version
from feedback_app.submission import import_responses
from feedback_app.transfer import (
    ExportError,
    ImportRefused,
    decode_answer,
    encode_answer,
    export_filename,
    export_frame,
    neutralise_cell,
    write_csv,
    write_xlsx,
)

DATA = Path(__file__).parent / "data"
AGENCIES = load_agencies()

SURVEY_V1 = """
slug: survey
version: 1
title: "Test survey"
audience: practitioners
anonymous: true
cadence: quarterly
governance: {reviewed_by: "A", escalated_to: "B", frequency: "C", capture_point: "D"}
questions:
  - {key: team_size, type: number, text: "How many in your team?", min: 1, max: 50, required: true}
  - {key: tools, type: multiple_choice, text: "Which tools?", options: ["Chronology", "SDQ", "Day in my life"]}
  - {key: confidence, type: scale_1_5, text: "How confident are you?"}
  - {key: rating, type: rag, text: "Overall?"}
  - {key: old_question, type: short_text, text: "Dropped in version 2", max_length: 10}
"""

SURVEY_V2 = """
slug: survey
version: 2
previous_version: 1
title: "Test survey"
audience: practitioners
anonymous: true
cadence: quarterly
governance: {reviewed_by: "A", escalated_to: "B", frequency: "C", capture_point: "D"}
questions:
  - {key: confidence, type: scale_1_5, text: "How confident are you?"}
  - {key: team_size, type: number, text: "How many in your team?", min: 1, max: 50, required: true}
  - {key: tools, type: multiple_choice, text: "Which tools?", options: ["Chronology", "SDQ", "Day in my life"]}
  - {key: rating, type: rag, text: "Overall?"}
  - {key: new_question, type: long_text, text: "New in version 2"}
"""


def csv_bytes(*rows: str) -> bytes:
    """A CSV file from its lines."""
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")


def count_responses(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Response))


def make_round(session, slug: str, version: int, label: str, status: RoundStatus = RoundStatus.OPEN) -> Round:
    return create_round(
        session, find_version(session, slug, version), label, date(2021, 1, 1), date(2030, 12, 31), status=status
    )


@pytest.fixture
def children(synced, session) -> Round:
    """An open round of children version 2."""
    return make_round(session, "children", 2, "Children 2021")


@pytest.fixture
def survey(app, runner, session, tmp_path) -> tuple[Round, Round]:
    """Rounds of both versions of a test questionnaire with numbers, scales and a dropped key."""
    folder = tmp_path / "survey"
    folder.mkdir()
    (folder / "survey-v1.yaml").write_text(SURVEY_V1, encoding="utf-8")
    (folder / "survey-v2.yaml").write_text(SURVEY_V2, encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "sync", "--path", str(folder)])
    assert result.exit_code == 0, result.output
    return make_round(session, "survey", 1, "Survey 2021 Q1"), make_round(session, "survey", 2, "Survey 2021 Q2")


def do_import(round_: Round, data: bytes):
    """Import as the command does; then end the test session's read transaction to see the result."""
    try:
        with db.write_session() as write:
            return import_responses(write, round_, data, AGENCIES)
    finally:
        db.session.rollback()


def refusal(round_: Round, data: bytes) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        do_import(round_, data)
    return [str(problem) for problem in caught.value.errors]


# ---------------------------------------------------------------- import: good files


def test_a_good_file_stores_every_response_with_its_answers_and_agency(children, session):
    data = "\ufeff".encode() + csv_bytes(
        "what_helped,age_band,knew_about_cp_plan,agency,submitted_at",
        '"My social worker listened, and came back",8 to 11,yes,Police,2021-03-04',
        ",,,,",
        '"Line one\r\nline two",I\'d rather not say,,schools,2021-03-05T10:30:00',
        "Nothing,,No,,",
    )
    report = do_import(children, data)
    assert report.count == 3 and len(report.response_ids) == 3
    responses = [session.get(Response, rid) for rid in report.response_ids]
    assert [r.source for r in responses] == ["import"] * 3
    assert [r.round_id for r in responses] == [children.id] * 3
    assert [r.agency for r in responses] == ["Police", "Schools", None]
    stamps = [r.submitted_at.replace(tzinfo=r.submitted_at.tzinfo or timezone.utc) for r in responses]
    assert stamps[0] == datetime(2021, 3, 4, tzinfo=timezone.utc)
    assert stamps[1] == datetime(2021, 3, 5, 10, 30, tzinfo=timezone.utc)
    assert {a.question_key: a.value for a in responses[0].answers} == {
        "what_helped": "My social worker listened, and came back",
        "age_band": "8 to 11",
        "knew_about_cp_plan": "Yes",  # matched ignoring case, stored as the option is written
    }
    assert {a.question_key: a.value for a in responses[1].answers} == {
        "what_helped": "Line one\nline two",
        "age_band": "I'd rather not say",
    }
    assert {a.question_key: a.value for a in responses[2].answers} == {"what_helped": "Nothing", "knew_about_cp_plan": "No"}


def test_multiple_choice_is_stored_as_a_json_list_and_the_agency_question_names_the_agency(synced, session):
    round_ = make_round(session, "champions", 1, "Champions 2021 Jan-Feb")
    data = csv_bytes(
        "agency,successes_seen,successes",
        'early help,"None of these; an increase in the use of the neglect tools",More tools used',
    )
    report = do_import(round_, data)
    response = session.get(Response, report.response_ids[0])
    assert response.agency == "Early Help"
    stored = {a.question_key: a.value for a in response.answers}
    assert stored["agency"] == "Early Help"
    assert json.loads(stored["successes_seen"]) == ["An increase in the use of the neglect tools", "None of these"]
    assert decode_answer("multiple_choice", stored["successes_seen"]) == json.loads(stored["successes_seen"])


def test_numbers_scales_and_rag_are_checked_and_stored_as_text(survey, session):
    first, _second = survey
    report = do_import(first, csv_bytes("team_size,tools,confidence,rating", "12,sdq;Chronology,4,amber", "7.50,,,"))
    values = [
        {a.question_key: a.value for a in session.get(Response, rid).answers} for rid in report.response_ids
    ]
    assert values[0] == {"team_size": "12", "tools": json.dumps(["Chronology", "SDQ"]), "confidence": "4", "rating": "Amber"}
    assert values[1] == {"team_size": "7.5"}


def test_a_closed_round_takes_late_paper_answers(children, session):
    close_round(session, children)
    assert do_import(children, csv_bytes("what_helped", "Being listened to")).count == 1


def test_the_shared_answer_helpers_round_trip():
    assert encode_answer("multiple_choice", ["SDQ", "Chronology"]) == '["SDQ", "Chronology"]'
    assert decode_answer("multiple_choice", '["SDQ", "Chronology"]') == ["SDQ", "Chronology"]


# ---------------------------------------------------------------- import: bad files


def test_a_bad_file_changes_nothing_and_lists_every_problem(children, session):
    before = count_responses(session)
    data = csv_bytes(
        "what_helped,age_band,favourite_colour,agency,submitted_at",
        "Fine,8 to 11,blue,Police,2021-03-04",
        f"{'x' * 5001},nine,,Fire Brigade,04/03/2021",
        "Good,,,,2099-01-01",
        "Also fine,12 to 15,,,",
    )
    assert refusal(children, data) == [
        "column favourite_colour: not a question of children version 2",
        "row 3, column what_helped: Your answer must be 5,000 characters or fewer (it has 5,001)",
        "row 3, column age_band: 'nine' is not one of: 7 or under, 8 to 11, 12 to 15, 16 or over, I'd rather not say",
        "row 3, column agency: 'Fire Brigade' is not one of: " + ", ".join(AGENCIES),
        "row 3, column submitted_at: '04/03/2021' is not a date written YYYY-MM-DD or a date and time such as "
        "2021-03-04T10:30 (if a spreadsheet changed the dates, format the column as text)",
        "row 4, column submitted_at: 2099-01-01 is in the future",
    ]
    assert count_responses(session) == before


def test_required_questions_missing_or_empty(synced, session):
    round_ = make_round(session, "action-plan-summary", 1, "Action plan 2021 Q1")
    data = csv_bytes("agency,overall_rag,progress_against_plan", "Police,green,On track", "CCG,,", "SPFT,purple,x")
    problems = refusal(round_, data)
    assert problems == [
        "column barriers_and_risks: missing, but it is a required question",
        "column difference_for_children: missing, but it is a required question",
        "column difference_for_practitioners: missing, but it is a required question",
        "column next_steps: missing, but it is a required question",
        "row 3, column overall_rag: empty, but it is a required question",
        "row 3, column progress_against_plan: empty, but it is a required question",
        "row 4, column overall_rag: 'purple' is not one of: Red, Amber, Green",
    ]
    assert count_responses(session) == 0


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["team_size,confidence", "0,3"], ["row 2, column team_size: Enter a number from 1 to 50"]),
        (["team_size,confidence", "51,3"], ["row 2, column team_size: Enter a number from 1 to 50"]),
        (["team_size", "lots"], ["row 2, column team_size: 'lots' is not a number"]),
        (["team_size", "NaN"], ["row 2, column team_size: 'NaN' is not a number"]),
        (["team_size", "1e999999"], ["row 2, column team_size: '1e999999' is too long a number"]),
        (["team_size", "1.0000001"], ["row 2, column team_size: '1.0000001' is too long a number"]),
        (["team_size", "2.500000"], []),
        (["team_size,confidence", "3,6"], ["row 2, column confidence: '6' is not one of: 1, 2, 3, 4, 5"]),
        (
            ["team_size,tools", "3,SDQ; genogram; Chronology; ecomap"],
            [
                "row 2, column tools: 'genogram' is not one of: Chronology, SDQ, Day in my life",
                "row 2, column tools: 'ecomap' is not one of: Chronology, SDQ, Day in my life",
            ],
        ),
        (["confidence", "3"], ["column team_size: missing, but it is a required question"]),
        (["team_size,rating", "3,"], []),
        (["team_size,,", "3,,", "4,,x"], ["column C: has answers but no name in the header row"]),
        (["team_size", "3,4"], ["row 2: has 2 cells but the header row has 1 columns"]),
        (["team_size,confidence,Team_Size", "3,4,3"], ["column Team_Size: appears twice (columns A and C)"]),
        (["team_size,rating", ",", "3,", ",red"], ["row 4, column team_size: empty, but it is a required question"]),
        (["team_size,agency", ",Police"], ["row 2: has no answers"]),
        (
            ["agency", "Police"],
            [
                "column team_size: missing, but it is a required question",
                "row 1: names no question of survey version 1; its questions are: "
                "team_size, tools, confidence, rating, old_question",
            ],
        ),
        (
            ["team_size;confidence", "3;4"],
            [
                "column team_size;confidence: not a question of survey version 1 (the columns seem to be separated "
                "by ';' or tabs: save the file as 'CSV UTF-8 (Comma delimited)')",
                "column team_size: missing, but it is a required question",
                "row 1: names no question of survey version 1; its questions are: "
                "team_size, tools, confidence, rating, old_question",
            ],
        ),
        (["team_size,old_question", "3,eleven chars"], ["row 2, column old_question: Your answer must be 10 characters or fewer (it has 12)"]),
    ],
)
def test_bad_cells_and_columns_are_reported_exactly(survey, session, lines, expected):
    first, _second = survey
    if not expected:
        assert do_import(first, csv_bytes(*lines)).count == 1
        return
    assert refusal(first, csv_bytes(*lines)) == expected
    assert count_responses(session) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty: it needs a header row of question keys and one row per response"),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty: it needs a header row of question keys and one row per response"),
        (b"what_helped,age_band\r\n", "The file has a header row but no responses below it"),
        (b"what_helped\r\n,\r\n\r\n", "The file has a header row but no responses below it"),
        ("what_helped\r\nCaf\u00e9 staff were kind\r\n".encode("cp1252"), transfer.NOT_UTF8),
        (b",,\r\nx,y,z\r\n", "row 1: the first row must be the header: the question keys, one per column"),
        (
            b'what_helped\r\nfine\r\n"' + b"x" * 140_000 + b'"\r\n',
            "row 3: cannot be read as CSV (field larger than field limit (131072))",
        ),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_one_clear_message(children, session, data, expected):
    assert refusal(children, data) == [expected]
    assert count_responses(session) == 0


def test_limits_on_size_and_rows(children, session, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_IMPORT_ROWS", 2)
    assert refusal(children, csv_bytes("what_helped", "a", "b", "c")) == [
        "The file has more than 2 responses, the most that can be imported at once: split it into smaller files and import each"
    ]
    monkeypatch.setattr(transfer, "MAX_IMPORT_BYTES", 1024 * 1024)
    big = csv_bytes("what_helped", *(["x" * 1000] * 1100))
    assert refusal(children, big) == [
        "The file is 1.1 MB; the most that can be imported at once is 1 MB: split it into smaller files and import each"
    ]
    assert count_responses(session) == 0


def test_a_draft_round_takes_no_imports(synced, session):
    draft = make_round(session, "children", 2, "Children 2022", status=RoundStatus.DRAFT)
    assert refusal(draft, csv_bytes("what_helped", "x")) == [
        f"Round {draft.id} (Children 2022) is a draft: open it before importing answers into it"
    ]


def test_the_same_file_imported_twice_is_refused_the_second_time(children, session):
    data = csv_bytes("what_helped", "Being listened to", "Being listened to")
    assert do_import(children, data).count == 2
    assert refusal(children, data) == [f"This file has already been imported into round {children.id} (Children 2021)"]
    assert count_responses(session) == 2


def test_import_refused_lists_its_problems_in_its_message(children):
    with pytest.raises(ImportRefused) as caught:
        do_import(children, csv_bytes("what_helped,age_band", "x,nine", "y,ten"))
    assert str(caught.value).splitlines() == [
        "The file was not imported and nothing was stored. Fix these 2 problems and import it again:",
        "  row 2, column age_band: 'nine' is not one of: 7 or under, 8 to 11, 12 to 15, 16 or over, I'd rather not say",
        "  row 3, column age_band: 'ten' is not one of: 7 or under, 8 to 11, 12 to 15, 16 or over, I'd rather not say",
    ]


def test_a_failure_while_storing_leaves_nothing_behind(children, session, monkeypatch):
    class Boom(Exception):
        pass

    def explode(*_args, **_kwargs):
        raise Boom()

    def refuse_answers(_connection, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO ANSWERS"):
            explode()

    data = csv_bytes("what_helped", "a", "b")
    event.listen(db.engine, "before_cursor_execute", refuse_answers)
    try:
        with db.write_session() as write:
            with pytest.raises(Boom):
                import_responses(write, children, data, AGENCIES)
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse_answers)
    assert count_responses(session) == 0


# ---------------------------------------------------------------- import: command line


def test_cli_import_stores_the_file(children, app, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_bytes(csv_bytes("what_helped,agency", "Kind staff,Police", "Listened,"))
    runner = app.test_cli_runner()
    result = runner.invoke(responses_group, ["import", str(children.id), str(path), "--check"])
    assert result.exit_code == 0, result.output
    assert f"The file is fine: 2 responses would be imported into round {children.id} (Children 2021)." in result.output
    result = runner.invoke(responses_group, ["import", str(children.id), str(path)])
    assert result.exit_code == 0, result.output
    assert f"Imported 2 responses into round {children.id} (Children 2021)." in result.output
    with app.app_context():
        assert count_responses(db.session) == 2


def test_cli_import_of_a_bad_file_lists_every_problem_and_exits_non_zero(children, app, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_bytes(csv_bytes("what_helped,age_band,favourite_colour", "x,nine,", "y,ten,"))
    result = app.test_cli_runner().invoke(responses_group, ["import", str(children.id), str(path)])
    assert result.exit_code == 1
    assert "Error: The file was not imported and nothing was stored. Fix these 3 problems" in result.output
    assert "  column favourite_colour: not a question of children version 2\n" in result.output
    assert "  row 2, column age_band: 'nine' is not one of:" in result.output
    assert "  row 3, column age_band: 'ten' is not one of:" in result.output
    with app.app_context():
        assert count_responses(db.session) == 0


def test_cli_import_into_a_missing_round_says_so(synced, app, tmp_path):
    path = tmp_path / "paper.csv"
    path.write_bytes(csv_bytes("what_helped", "x"))
    result = app.test_cli_runner().invoke(responses_group, ["import", "999", str(path)])
    assert result.exit_code == 1
    assert "Error: There is no round 999." in result.output


def test_cli_import_refuses_a_huge_file_before_reading_it(children, app, tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "MAX_IMPORT_BYTES", 1024 * 1024)
    path = tmp_path / "paper.csv"
    with path.open("wb") as out:
        out.write(b"what_helped\r\n")
        out.seek(3 * 1024 * 1024)
        out.write(b"x\r\n")
    monkeypatch.setattr(Path, "read_bytes", lambda _self: pytest.fail("the file was read"))
    result = app.test_cli_runner().invoke(responses_group, ["import", str(children.id), str(path)])
    assert result.exit_code == 1
    assert "  The file is 3.1 MB; the most that can be imported at once is 1 MB: split it into smaller files" in result.output


# ---------------------------------------------------------------- export


def test_export_has_every_key_of_every_version_in_order(survey, session):
    first, second = survey
    do_import(first, csv_bytes("team_size,tools,old_question,submitted_at", "3,SDQ;Chronology,gone,2021-02-01"))
    do_import(second, csv_bytes("team_size,confidence,new_question,agency", "3,5,-3,Police"))
    frame = export_frame(session, questionnaire_slug="survey")
    assert list(frame.columns) == [
        "response_id", "round_id", "round", "version", "agency", "submitted_at", "source",
        "confidence", "team_size", "tools", "rating", "new_question", "old_question",
    ]
    assert list(frame["round"]) == ["Survey 2021 Q1", "Survey 2021 Q2"]
    assert list(frame["version"]) == [1, 2]
    assert list(frame["source"]) == ["import", "import"]
    assert frame.loc[0, "tools"] == "Chronology; SDQ"
    assert frame.loc[0, "old_question"] == "gone"
    assert frame.loc[0, "submitted_at"] == datetime(2021, 2, 1, tzinfo=timezone.utc)
    assert frame.loc[1, "agency"] == "Police"
    one_round = export_frame(session, round_id=second.id)
    assert list(one_round.columns) == list(frame.columns)
    assert list(one_round["response_id"]) == [frame.loc[1, "response_id"]]
    text = write_csv(one_round).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["new_question"] == "'-3"  # negative numbers are neutralised too (OWASP)
    assert row["submitted_at"].endswith("+00:00")


def test_a_question_keyed_like_a_fixed_column_keeps_its_own_column(synced, session):
    round_ = make_round(session, "champions", 1, "Champions 2021")
    do_import(round_, csv_bytes("agency,successes", "Police,More advice taken up"))
    frame = export_frame(session, questionnaire_slug="champions")
    assert frame.loc[0, "agency"] == "Police" and frame.loc[0, "agency (answer)"] == "Police"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Say what to export: a questionnaire (--questionnaire SLUG) or a round (--round ID)."),
        ({"questionnaire_slug": "nope"}, "There is no questionnaire 'nope'."),
        ({"round_id": 999}, "There is no round 999."),
        ({"questionnaire_slug": "parents", "round_id": "ROUND"}, "Round ROUND (Children 2021) is a round of 'children', not 'parents'."),
    ],
)
def test_export_errors(children, session, kwargs, message):
    if kwargs.get("round_id") == "ROUND":
        kwargs["round_id"] = children.id
        message = message.replace("ROUND", str(children.id))
    with pytest.raises(ExportError) as caught:
        export_frame(session, **kwargs)
    assert str(caught.value) == message


def test_an_empty_export_still_has_its_columns(children, session):
    frame = export_frame(session, round_id=children.id)
    assert len(frame) == 0
    assert list(frame.columns)[7:] == [
        "what_helped", "what_did_not_help", "what_could_be_better", "knew_about_cp_plan",
        "knows_social_worker_name", "part_of_safety_planning", "age_band",
    ]
    assert write_csv(frame).decode("utf-8-sig").splitlines()[0].startswith("response_id,round_id,round,")
    assert openpyxl.load_workbook(io.BytesIO(write_xlsx(frame))).active.max_row == 1


MALICIOUS = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("what_helped", "what_helped"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (float("nan"), ""),
        (3, "3"),
        (-3, "'-3"),
        (["a", "b"], "a; b"),
    ],
)
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_malicious_answers_and_headers_are_neutralised_in_csv_and_xlsx(children, session):
    for value in MALICIOUS:  # stored as the web form might, without the import's trimming
        with db.write_session() as write:
            store_response(write, children.id, {"what_helped": value}, agency="@Police")
    frame = export_frame(session, round_id=children.id)
    assert sorted(frame["what_helped"]) == sorted(MALICIOUS)  # stored as given
    frame["=cmd|' /C calc'!A0"] = "-2+3"  # a malicious header, as a frame might carry
    csv_data = write_csv(frame)
    assert csv_data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"), newline="")))
    assert table[0][-1] == "'=cmd|' /C calc'!A0"
    exported = [row[table[0].index("what_helped")] for row in table[1:]]
    assert sorted(exported) == sorted("'" + value for value in MALICIOUS)
    for row in table:
        assert not any(cell.startswith(transfer.FORMULA_TRIGGERS) for cell in row)

    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(frame))).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells
    for cell in cells:
        assert cell.data_type != "f", cell.coordinate
        assert not str(cell.value).startswith(transfer.FORMULA_TRIGGERS), cell.coordinate
    header = [cell.value for cell in sheet[1]]
    assert header[-1] == "'=cmd|' /C calc'!A0"
    column = header.index("what_helped") + 1
    assert sorted(sheet.cell(row=r, column=column).value for r in range(2, sheet.max_row + 1)) == sorted(
        "'" + value.replace("\r", "\n") for value in MALICIOUS  # line ends are written as "\n"
    )
    assert sheet.cell(row=2, column=header.index("agency") + 1).value == "'@Police"


def test_xlsx_drops_characters_it_cannot_hold_before_neutralising():
    import pandas as pd

    data = write_xlsx(pd.DataFrame({"q": ["\x01=1+1", "ok\x02"]}))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [sheet["A2"].value, sheet["A3"].value] == ["'=1+1", "ok"]


def test_cli_export_csv_and_xlsx(children, app, tmp_path):
    do_import(children, csv_bytes("what_helped,age_band", "=1+1,8 to 11"))
    runner = app.test_cli_runner()
    target = tmp_path / "out.csv"
    result = runner.invoke(responses_group, ["export", "--questionnaire", "children", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Exported 1 responses to {target}." in result.output
    table = list(csv.DictReader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert table[0]["what_helped"] == "'=1+1" and table[0]["age_band"] == "8 to 11"
    assert table[0]["round"] == "Children 2021" and table[0]["version"] == "2"

    target = tmp_path / "out.xlsx"
    result = runner.invoke(responses_group, ["export", "--round", str(children.id), "--output", str(target)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("what_helped") + 1).value == "'=1+1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--format", "csv", "--output", "x.csv"],
         "Error: Say what to export: --questionnaire SLUG (every round of it) or --round ID (one round)."),
        (["export", "--questionnaire", "nope", "--output", "x.csv"], "Error: There is no questionnaire 'nope'."),
        (["export", "--round", "999", "--format", "xlsx", "--output", "x.xlsx"], "Error: There is no round 999."),
    ],
)
def test_cli_export_errors(synced, app, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = app.test_cli_runner().invoke(responses_group, args)
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.xlsx").exists()


def test_cli_export_default_file_name(children, app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = app.test_cli_runner().invoke(responses_group, ["export", "--questionnaire", "children"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "responses-children.csv").exists()


def test_export_filename():
    assert export_filename("children", None, "csv") == "responses-children.csv"
    assert export_filename("children", 3, "xlsx") == "responses-children-round-3.xlsx"
    assert export_filename(None, 3, "csv") == "responses-round-3.csv"
    assert export_filename("../../etc", None, "csv") == "responses-etc.csv"
    with pytest.raises(ValueError):
        export_filename("children", None, "pdf")
