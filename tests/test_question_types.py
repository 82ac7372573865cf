"""Question types: one class each, and the web form and the import agree on every answer."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from wtforms import StringField

from feedback_app.db import db
from feedback_app.definitions import DefinitionError, load_agencies, parse_definition
from feedback_app.models import Answer, LinkKind, LinkStatus, Response, Round, RoundStatus, ShareLink
from feedback_app.question_types import FREE_TEXT, QUESTION_CLASSES, QuestionType, question_type, summary_of
from feedback_app.rounds import create_round, find_version
from feedback_app.submission import import_responses
from feedback_app.transfer import ImportRefused

AGENCIES = load_agencies()
GOVERNANCE = 'governance: {reviewed_by: "A", escalated_to: "B", frequency: "C", capture_point: "D"}'


def definition(*questions: str, slug: str = "survey") -> str:
    """The YAML of a practitioners' questionnaire with ``questions`` (flow mappings)."""
    lines = [f"slug: {slug}", "version: 1", 'title: "Test"', "audience: practitioners", "cadence: quarterly",
             GOVERNANCE, "questions:"]
    return "\n".join(lines + [f"  - {question}" for question in questions]) + "\n"


def publish(runner, tmp_path, yaml_text: str, slug: str = "survey") -> None:
    folder = tmp_path / slug
    folder.mkdir()
    (folder / f"{slug}-v1.yaml").write_text(yaml_text, encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "sync", "--path", str(folder)])
    assert result.exit_code == 0, result.output


def open_round(app, slug: str) -> Round:
    with app.app_context():
        return create_round(db.session, find_version(db.session, slug), f"{slug} round",
                            date(2020, 1, 1), date(2099, 12, 31))


def import_problems(app, round_: Round, *lines: str) -> list[str]:
    data = ("\r\n".join(lines) + "\r\n").encode()
    with app.app_context():
        round_ = db.session.get(Round, round_.id)
        with pytest.raises(ImportRefused) as refused:
            with db.write_session() as write:
                import_responses(write, round_, data, AGENCIES)
    return [str(problem) for problem in refused.value.errors]


def web_errors(page) -> list[str]:
    """The messages of the error summary on a page."""
    return [html.unescape(text) for text in re.findall(r'<a href="#q_[^"]*">([^<]*)</a>', page.get_data(as_text=True))]


def stored_answers(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(Answer.question_key, Answer.value).order_by(Answer.id))]


# ---------------------------------------------------------------- a new type, end to end


class PostcodeDistrict(QuestionType):
    """A made-up type: the first half of a UK postcode, stored in capitals."""

    name = "postcode_district"
    summary = FREE_TEXT
    typed = True
    pattern = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")

    def form_field(self, question, label, required_message, agencies):
        return StringField(label, validators=self.validators(question, required_message))

    def problems(self, question, value):
        if not self.pattern.fullmatch(str(value).strip().upper()):
            return [f"'{value}' is not the first half of a postcode, such as BN1"]
        return []

    def parse_cell(self, question, value, agencies):
        problems = self.problems(question, value)
        return (None, problems) if problems else (self.encode(value), [])

    def encode(self, value):
        return str(value).strip().upper() or None if value is not None else None


@pytest.fixture
def postcode_type(monkeypatch):
    """The made-up type, registered for one test."""
    monkeypatch.setitem(QUESTION_CLASSES, PostcodeDistrict.name, PostcodeDistrict())


def test_a_type_registered_in_one_class_works_through_definition_form_and_import(
        app, runner, tmp_path, synced, postcode_type, make_link, respondent):
    publish(runner, tmp_path, definition(
        '{key: district, type: postcode_district, text: "Where do you work?", required: true}',
        '{key: comment, type: long_text, text: "Anything else?"}',
    ))
    round_ = open_round(app, "survey")
    link = make_link(round_)

    refused = respondent.answer(link.token, {"district": "nowhere!"})
    assert refused.status_code == 400
    assert web_errors(refused) == ["'nowhere!' is not the first half of a postcode, such as BN1"]
    assert import_problems(app, round_, "district", "nowhere!") == [
        "row 2, column district: 'nowhere!' is not the first half of a postcode, such as BN1"
    ]

    assert respondent.answer(link.token, {"district": "bn1"}).status_code == 302
    with app.app_context():
        with db.write_session() as write:
            report = import_responses(write, db.session.get(Round, round_.id), b"district\r\nrh12\r\n", AGENCIES)
    assert report.count == 1
    assert stored_answers(app) == [("district", "BN1"), ("district", "RH12")]


def test_a_type_takes_only_the_fields_it_owns(postcode_type):
    with pytest.raises(DefinitionError, match="'max_length' belongs to a text question"):
        parse_definition(definition('{key: district, type: postcode_district, text: "Where?", max_length: 4}'),
                         "survey-v1.yaml")
    with pytest.raises(DefinitionError, match="a postcode_district question takes no options"):
        parse_definition(definition('{key: district, type: postcode_district, text: "Where?", options: [A]}'),
                         "survey-v1.yaml")


def test_an_unknown_type_lists_the_registered_ones():
    with pytest.raises(DefinitionError) as error:
        parse_definition(definition('{key: district, type: postcode, text: "Where?"}'), "survey-v1.yaml")
    assert "unknown type 'postcode'; use one of long_text, short_text, single_choice" in str(error.value)


@pytest.mark.parametrize(("name", "summary"), [
    ("long_text", "free_text"), ("short_text", "free_text"), ("single_choice", "choice"),
    ("multiple_choice", "choice"), ("scale_1_5", "scale"), ("number", "number"), ("agency", "choice"),
    ("rag", "choice"), ("yes_partly_no", "choice"), ("yes_no_not_known", "choice"),
])
def test_each_type_says_how_analysis_summarises_it(name, summary):
    assert summary_of(name) == summary


def test_stored_form_and_export_cell_round_trip():
    chosen = question_type("multiple_choice")
    assert chosen.encode(["SDQ", "", "Chronology"]) == '["SDQ", "Chronology"]'
    assert chosen.export_cell('["SDQ", "Chronology"]') == "SDQ; Chronology"
    assert question_type("number").encode(__import__("decimal").Decimal("2.500")) == "2.5"
    assert question_type("long_text").encode("  a\x00b  ") == "ab"


# ---------------------------------------------------------------- web and import agree


TEXT_AND_NUMBERS = definition(
    '{key: team_size, type: number, text: "How many in your team?", min: 1, max: 50}',
    '{key: note, type: short_text, text: "A note", max_length: 10}',
    '{key: story, type: long_text, text: "Tell us more"}',
    slug="agree",
)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("note", "eleven chars", "Your answer must be 10 characters or fewer (it has 12)"),
    ("story", "x" * 5001, "Your answer must be 5,000 characters or fewer (it has 5,001)"),
    ("team_size", "0", "Enter a number from 1 to 50"),
    ("team_size", "51", "Enter a number from 1 to 50"),
    ("team_size", "lots", "'lots' is not a number"),
    ("team_size", "1e999999", "'1e999999' is too long a number"),
])
def test_the_web_form_and_the_import_refuse_an_answer_with_the_same_message(
        app, runner, tmp_path, synced, make_link, respondent, key, value, message):
    publish(runner, tmp_path, TEXT_AND_NUMBERS, slug="agree")
    round_ = open_round(app, "agree")
    page = respondent.answer(make_link(round_).token, {key: value})
    assert page.status_code == 400
    assert web_errors(page) == [message]
    assert import_problems(app, round_, key, value) == [f"row 2, column {key}: {message}"]


def test_line_ends_count_once_on_the_web_as_in_an_import(app, runner, tmp_path, synced, make_link, respondent):
    publish(runner, tmp_path, TEXT_AND_NUMBERS, slug="agree")
    round_ = open_round(app, "agree")
    form, _key = respondent.open_form(make_link(round_).token)
    assert re.search(r'<input[^>]*maxlength="10"[^>]*name="q_note"|<input[^>]*name="q_note"[^>]*maxlength="10"',
                     form.get_data(as_text=True)), "the browser stops typing at the limit"
    assert 'maxlength="5000"' in form.get_data(as_text=True)
    number = re.search(r'<input[^>]*name="q_team_size"[^>]*>', form.get_data(as_text=True)).group(0)
    assert 'min="1"' in number and 'max="50"' in number
    page = respondent.answer(make_link(round_).token, {"note": "one\r\ntwo\r\n3"})  # 11 sent, 10 written
    assert page.status_code == 302


# ---------------------------------------------------------------- links and rounds know their state


def _round(status=RoundStatus.OPEN, opens=date(2021, 1, 1), closes=date(2021, 12, 31)) -> Round:
    return Round(label="r", status=status, opens_on=opens, closes_on=closes)


NOW = datetime(2021, 6, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(("round_", "link", "state"), [
    (_round(), {}, LinkStatus.OPEN),
    (_round(), {"revoked_at": NOW}, LinkStatus.REVOKED),
    (_round(RoundStatus.DRAFT), {}, LinkStatus.NOT_OPEN),
    (_round(opens=date(2021, 7, 1)), {}, LinkStatus.NOT_OPEN),
    (_round(RoundStatus.CLOSED), {}, LinkStatus.CLOSED),
    (_round(closes=date(2021, 5, 31)), {}, LinkStatus.CLOSED),
    (_round(), {"expires_at": NOW - timedelta(hours=1)}, LinkStatus.EXPIRED),
    (_round(), {"expires_at": (NOW + timedelta(hours=1)).replace(tzinfo=None)}, LinkStatus.OPEN),
    (_round(), {"kind": LinkKind.SINGLE_USE, "max_responses": 1, "response_count": 1}, LinkStatus.USED),
    (_round(), {"max_responses": 3, "response_count": 3}, LinkStatus.CAPPED),
    (_round(), {"max_responses": 3, "response_count": 2}, LinkStatus.OPEN),
])
def test_a_link_knows_whether_it_takes_a_response(round_, link, state):
    fields = {"kind": LinkKind.OPEN, "response_count": 0, **link}
    assert ShareLink(round=round_, token="t", **fields).state_at(NOW) == state
    assert round_.accepts_responses_on(NOW.date()) == (round_.link_status_on(NOW.date()) == LinkStatus.OPEN)


def test_a_round_accepts_responses_only_when_open_and_within_its_dates():
    today = date.today()
    assert _round(opens=today, closes=today).accepts_responses
    assert not _round(RoundStatus.CLOSED, opens=today, closes=today).accepts_responses
    assert not _round(opens=today + timedelta(days=1), closes=today + timedelta(days=2)).accepts_responses


def test_the_respondent_reads_why_a_used_link_is_closed(app, make_round, make_link, respondent):
    link = make_link(make_round("children", 2), "single-use")
    assert respondent.answer(link.token, {"what_helped": "school"}).status_code == 302
    page = respondent.answer(link.token, {"what_helped": "again"})
    assert page.status_code == 410
    assert "This link has already been used" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ShareLink).where(ShareLink.token == link.token)).state == LinkStatus.USED
        assert len(db.session.scalars(select(Response)).all()) == 1
