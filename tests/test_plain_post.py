"""A complete respondent post is read without binding a WTForms form (issue 13), and takes
exactly the posts the form takes, storing the same answers: anything in doubt goes the
WTForms way, which says what is wrong as before."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from feedback_app.db import db
from feedback_app.definitions import load_agencies, published_snapshot
from feedback_app.models import Answer, QuestionnaireVersion
from feedback_app.question_types import Agency
from feedback_app.respond.forms import form_class_for, new_form, read_post

from tests.test_question_types import definition, open_round, publish

AGENCIES = load_agencies()

EVERY_TYPE = definition(
    '{key: team_size, type: number, text: "How many in your team?", min: 1, max: 50, required: true}',
    '{key: caseload, type: number, text: "Caseload?"}',
    '{key: note, type: short_text, text: "A note", max_length: 10}',
    '{key: story, type: long_text, text: "Tell us more", required: true, max_length: 40}',
    '{key: used, type: single_choice, text: "Used it?", options: ["Yes", "No"], required: true}',
    '{key: tools, type: multiple_choice, text: "Which?", options: ["SDQ", "Chronology"], '
    'show_if: {question: used, equals: "Yes"}}',
    '{key: helpful, type: scale_1_5, text: "Helpful?", show_if: {question: used, equals: "Yes"}}',
    '{key: why_not, type: long_text, text: "Why not?", show_if: {question: used, equals: "No"}, required: true}',
    '{key: rating, type: rag, text: "Rating", required: true}',
    '{key: agency, type: agency, text: "Your agency"}',
    slug="every",
)


def candidates(question, agencies: list[str]) -> list[list[str]]:
    """Values a post might hold for ``question``: answers, blanks, wrong ones, odd ones."""
    common = [[], [""], ["   "], ["\x00"], ["not an option"]]
    if question.type in ("long_text", "short_text"):
        limit = (question.settings or {}).get("max_length", 5000)
        return common + [["fine"], ["  padded  "], ["x" * limit], ["x" * (limit + 1)], ["a\r\nb"], ["one", "two"]]
    if question.type == "number":
        return common + [["5"], [" 7 "], ["0"], ["51"], ["2.50"], ["lots"], ["1e999999"], ["1 000"], ["-3"]]
    options = list(AGENCIES if question.type == Agency.name else question.options or ())
    if question.type == "multiple_choice":
        return common + [options[:1], options, options[::-1], options[:1] * 2, ["", options[0]], [options[0], "zzz"]]
    return common + [[option] for option in options] + [[options[0].lower()], [options[0], options[-1]]]


def random_posts(questions, rng: random.Random, count: int) -> list[MultiDict]:
    posts = []
    for _ in range(count):
        data = MultiDict()
        for question in questions:
            for value in rng.choice(candidates(question, AGENCIES)):
                data.add(f"q_{question.key}", value)
        for name, values in (("pages_shown", [None, "", "1", "2", "3", "99", "x"]), ("submission_key", [None, "k" * 32])):
            value = rng.choice(values)
            if value is not None:
                data.add(name, value)
        posts.append(data)
    return posts


def test_a_post_read_without_the_form_is_one_the_form_takes_with_the_same_answers(app, runner, tmp_path, synced):
    publish(runner, tmp_path, EVERY_TYPE, slug="every")
    rng = random.Random(13)
    with app.app_context():
        versions = [published_snapshot(v) for v in db.session.scalars(select(QuestionnaireVersion))]
    assert any(v.slug == "every" for v in versions)
    taken = 0
    for version in versions:
        for fixed in (None, AGENCIES[0]):
            form_class = form_class_for(version, AGENCIES, fixed)
            assert form_class.posted_questions is not None, f"{version.slug} v{version.version}: every field is read"
            for data in random_posts(form_class.shown_questions, rng, 150):
                with app.test_request_context(method="POST", data=data):
                    form = new_form(version, AGENCIES, fixed)
                    form_takes = form.validate_on_submit() and not form.more_pages
                    read = read_post(form_class, data)
                    if read is None:
                        continue
                    assert form_takes, (version.slug, data, form.errors)
                    assert read.answers == form.answers() and list(read.answers) == list(form.answers())
                    assert read.submission_key == form.submission_key.data
                    taken += 1
    assert taken > 200  # the plain path is the common one, not a rarity


def test_a_post_in_doubt_gets_the_forms_messages(app, runner, tmp_path, synced, make_link, respondent):
    publish(runner, tmp_path, EVERY_TYPE, slug="every")
    link = make_link(open_round(app, "every"))
    page = respondent.answer(link.token, {"team_size": "51", "story": "ok", "used": "No", "rating": "Red"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Enter a number from 1 to 50" in text and "Please answer" not in text
    assert "Enter an answer to: Why not" in text  # shown by the answer "No", required, blank
    stored = respondent.answer(link.token, {"team_size": " 7 ", "story": "ok", "used": "Yes", "tools": ["SDQ"],
                                            "helpful": "4", "why_not": "not shown, not stored", "rating": "Red"})
    assert stored.status_code == 302
    with app.app_context():
        answers = dict(db.session.execute(select(Answer.question_key, Answer.value)).all())
    assert answers == {"team_size": "7", "story": "ok", "used": "Yes", "tools": '["SDQ"]', "helpful": "4",
                       "rating": "Red"}


@pytest.mark.parametrize("token_ok", [True, False])
def test_the_csrf_token_is_checked_as_the_form_checks_it(make_app, database_url, synced, make_round, make_link, token_ok):
    link = make_link(make_round("children", 2))
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get(f"/r/{link.token}/questions").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token if token_ok else token[:-2] + "xx", "q_what_helped": "school"}
    posted = client.post(f"/r/{link.token}/questions", data=data)
    if token_ok:
        assert posted.status_code == 302
    else:
        assert posted.status_code == 400
        assert "This page was open too long, or was sent twice" in posted.get_data(as_text=True)
        assert "school" in posted.get_data(as_text=True), "what was typed is kept"
