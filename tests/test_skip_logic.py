"""Skip logic (``show_if``): checked at sync, part of the hash, evaluated by the server."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from analysis.compare import choice_distribution
from feedback_app.db import db
from feedback_app.definitions import DefinitionError, check_against_previous, parse_definition, read_definitions
from feedback_app.insights.data import load_answers
from feedback_app.models import Answer, Response
from feedback_app.skip_logic import pages, shown_keys

HEAD = """\
slug: demo
version: {version}
title: Demo
audience: practitioners
cadence: annual
previous_version: {previous}
governance: {{reviewed_by: WG, escalated_to: Board, frequency: Annual, capture_point: QA report}}
questions:
"""
USED = """\
  - key: used
    type: single_choice
    text: Have you used the toolkit?
    options: ["Yes", "No"]
"""


def _definition(questions: str, version: int = 1, previous: str = "null"):
    return parse_definition(HEAD.format(version=version, previous=previous) + questions, f"demo-v{version}.yaml")


def _question(key: str, show_if: str, extra: str = "") -> str:
    return f"  - key: {key}\n    type: long_text\n    text: About {key}?\n    show_if: {show_if}\n{extra}"


@pytest.mark.parametrize("questions, message", [
    (USED + _question("which", "{question: nope, equals: 'Yes'}"),
     "demo-v1.yaml: question 'which': 'show_if' refers to unknown question 'nope'"),
    (_question("first", "{question: second, answered: true}") + _question("second", "{question: first, answered: true}"),
     "demo-v1.yaml: question 'first': 'show_if' makes a cycle: first -> second -> first"),
    (_question("itself", "{question: itself, answered: true}"),
     "demo-v1.yaml: question 'itself': 'show_if' makes a cycle: itself -> itself"),
    (_question("early", "{question: used, equals: 'Yes'}") + USED,
     "demo-v1.yaml: question 'early': 'show_if' depends on 'used', which comes later; a condition may "
     "only look at questions asked before it"),
    (USED + _question("which", "{question: used, equals: 'Maybe'}"),
     "demo-v1.yaml: question 'which': 'show_if' expects 'Maybe' from 'used', which is not one of its options (Yes, No)"),
    (USED + _question("which", "{question: used, is: 'Yes'}"),
     "demo-v1.yaml: question 'which': 'show_if' has unknown field(s) is; use question with equals, in or answered, or all/any"),
    (USED + _question("which", "{question: used}"),
     "demo-v1.yaml: question 'which': 'show_if' needs exactly one of equals, in or answered"),
    (USED + _question("which", "{all: []}"),
     "demo-v1.yaml: question 'which': 'show_if' 'all' needs a non-empty list of conditions"),
    (USED + _question("which", "{question: used, answered: 'yes'}"),
     "demo-v1.yaml: question 'which': 'show_if' 'answered' must be true or false"),
])
def test_a_bad_condition_is_refused_naming_the_question(questions, message):
    with pytest.raises(DefinitionError) as error:
        _definition(questions)
    assert str(error.value) == message


def test_conditions_combine_and_count_only_answers_to_shown_questions():
    definition = _definition(
        USED
        + _question("why_not", "{question: used, equals: 'No'}")
        + _question("more", "{any: [{question: used, in: ['Yes']}, {all: [{question: why_not, answered: true}]}]}")
    )
    questions = definition.questions
    assert shown_keys(questions, {"used": "Yes"}) == ["used", "more"]
    assert shown_keys(questions, {"used": "No"}) == ["used", "why_not"]
    assert shown_keys(questions, {"used": "No", "why_not": "no time"}) == ["used", "why_not", "more"]
    # An answer to a hidden question does not open the questions that depend on it.
    assert shown_keys(questions, {"why_not": "typed before changing my mind"}) == ["used"]
    assert [[q.key for q in page] for page in pages(questions)] == [["used"], ["why_not"], ["more"]]


def test_a_condition_is_part_of_the_content_hash_and_of_a_new_versions_rules():
    plain = _definition(USED + "  - key: which\n    type: long_text\n    text: About which?\n")
    gated = _definition(USED + _question("which", "{question: used, equals: 'Yes'}"))
    assert plain.content_hash != gated.content_hash
    second = _definition(USED + _question("which", "{question: used, equals: 'No'}"), version=2, previous="1")
    with pytest.raises(DefinitionError) as error:
        check_against_previous(second, gated)
    assert str(error.value) == (
        "demo-v2.yaml: question 'which': changes its 'show_if' since version 1: declare 'comparable: true' "
        "if answers can still be compared with the old version, or 'comparable: false'")


def test_the_practitioners_version_with_skip_logic_syncs_and_diff_lists_the_changed_condition(runner, synced):
    versions = {d.version: d for d in read_definitions() if d.slug == "practitioners"}
    assert versions[2].question("tools_used").settings["show_if"] == {"question": "used_toolkit", "equals": "Yes"}
    result = runner.invoke(args=["questionnaires", "diff", "practitioners", "1", "2"])
    assert result.exit_code == 0, result.output
    assert "added (2): used_toolkit, tools_helpful" in result.output
    assert "conditions changed (1): tools_used" in result.output


def _post(client, token: str, data: dict):
    return client.post(f"/r/{token}/questions", data={f"q_{k}" if not k.startswith("_") else k[1:]: v
                                                      for k, v in data.items()})


def _shown(page_text: str) -> set[str]:
    """Keys of the questions a browser without JavaScript shows (no ``hidden`` attribute)."""
    return {m.group(1) for m in re.finditer(r'<div class="skip-question" data-question="([a-z_]+)"[^>]*?(?<! hidden)>',
                                              page_text) if " hidden" not in m.group(0)}


def _stored(app) -> list[dict[str, str]]:
    with app.app_context():
        responses = db.session.scalars(select(Response).order_by(Response.id)).all()
        return [dict(db.session.execute(select(Answer.question_key, Answer.value)
                                        .where(Answer.response_id == r.id)).all()) for r in responses]


PAGE_ONE = {"agency": "Police", "role": "Senior manager"}


def test_without_javascript_the_form_goes_page_by_page_and_hidden_answers_are_not_stored(app, client, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    first = client.get(f"/r/{link.token}/questions").get_data(as_text=True)
    assert "used_toolkit" in _shown(first) and "tools_used" not in _shown(first)
    assert "intervention_barriers" not in _shown(first)  # page 2 waits for "Continue"
    assert 'data-skip-send hidden' in first and "Continue</button>" in first

    page = _post(client, link.token, {**PAGE_ONE, "used_toolkit": "No", "_pages_shown": "1", "_continue": "1"})
    second = page.get_data(as_text=True)
    assert page.status_code == 200 and "More questions, based on your answers so far." in second
    assert {"intervention_barriers", "tools_barriers"} <= _shown(second)
    assert "tools_used" not in _shown(second) and "tools_helpful" not in _shown(second)
    assert 'value="2"' in second and "data-skip-send>" in second

    # Answers to the hidden questions (sent by hand, or typed before changing the answer) are dropped.
    page = _post(client, link.token, {**PAGE_ONE, "used_toolkit": "No", "tools_used": ["Chronology"],
                                      "tools_helpful": "5", "tools_barriers": "No time", "_pages_shown": "2"})
    assert page.status_code == 302
    assert _stored(app) == [{**PAGE_ONE, "used_toolkit": "No", "tools_barriers": "No time"}]


def test_a_shown_question_is_stored_and_a_required_hidden_question_is_not_required(app, client, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    page = _post(client, link.token, {**PAGE_ONE, "used_toolkit": "Yes", "tools_used": ["Chronology", "Day in my life"],
                                      "tools_helpful": "4", "_pages_shown": "2"})
    assert page.status_code == 302
    assert _stored(app)[0]["tools_used"] == '["Chronology", "Day in my life"]'
    assert _stored(app)[0]["tools_helpful"] == "4"
    # The agency question is required; a "Continue" without it shows the error and stays on page 1.
    page = _post(client, link.token, {"used_toolkit": "Yes", "_pages_shown": "1", "_continue": "1"})
    assert page.status_code == 400 and "Select an answer to: Which agency do you work for" in page.get_data(as_text=True)
    assert "tools_used" not in _shown(page.get_data(as_text=True))


def test_analysis_counts_only_the_respondents_who_were_shown_a_question(app, client, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    for used in ("Yes", "Yes", "Yes", "No", "No", "Not sure"):
        page = _post(client, link.token, {**PAGE_ONE, "used_toolkit": used, "tools_used": ["Chronology"],
                                          "_pages_shown": "2"})
        assert page.status_code == 302
    with app.app_context():
        frame = load_answers(db.session, "practitioners", "tools_used")
    table = choice_distribution(frame, min_count=1)
    chronology = table[table["option"] == "Chronology"].iloc[0]
    # Three were shown "which tools?" and all three ticked the chronology: 100%, not 50%.
    assert int(chronology["n_responses"]) == 3 and float(chronology["share"]) == 1.0


def test_an_imported_answer_the_form_would_not_have_asked_for_is_refused(app, runner, make_round, tmp_path):
    round_ = make_round("practitioners", 2)
    paper = tmp_path / "paper.csv"
    paper.write_text("agency,used_toolkit,tools_used\nPolice,No,Chronology\nPolice,Yes,Chronology\n", encoding="utf-8")
    result = runner.invoke(args=["responses", "import", str(round_.id), str(paper)])
    assert result.exit_code != 0
    assert "row 2, column tools_used: is answered, but the form asks it only when used_toolkit is \u201cYes\u201d" \
        in result.output
    assert "row 3" not in result.output
    with app.app_context():
        assert db.session.scalars(select(Response)).all() == []


def test_the_admin_version_page_says_when_a_question_is_asked(app, client, login, synced):
    from feedback_app.definitions import published_version

    with app.app_context():
        version_id = published_version(db.session, "practitioners", 2).id
    login("admin")
    page = client.get(f"/admin/questionnaires/{version_id}").get_data(as_text=True)
    assert page.count("Asked only when used_toolkit is \u201cYes\u201d") == 2
