"""Translations and easy read: checked at sync, chosen by the respondent, recorded, not mis-analysed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from feedback_app.db import db
from feedback_app.definitions import DefinitionError, parse_definition, read_definitions
from feedback_app.models import Answer, AnswerFeature, Response, SafeguardingFlag
from feedback_app.text_analysis import current_codebook, stale_answers

BASE = """\
slug: demo
version: 1
title: Demo
audience: children
cadence: annual
intro: Hello
governance: {reviewed_by: WG, escalated_to: Board, frequency: Annual, capture_point: QA report}
questions:
  - key: what_helped
    type: long_text
    text: What helped?
    help: Write as much as you like.
  - key: colour
    type: single_choice
    text: Pick one
    options: [Red, Blue]
"""
GOOD_PL = """\
translations:
  pl:
    needs_review: true
    title: Demo po polsku
    intro: Cześć
    questions:
      what_helped: {text: "Co pomogło?", hint: "Napisz tyle, ile chcesz."}
      colour: {text: Wybierz jedno, options: [Czerwony, Niebieski]}
"""


def _parse(translations: str):
    return parse_definition(BASE + translations, "demo-v1.yaml")


def test_a_complete_translation_is_part_of_the_version_and_its_hash():
    plain, translated = _parse(""), _parse(GOOD_PL)
    assert translated.translations["pl"]["questions"]["colour"]["options"] == ["Czerwony", "Niebieski"]
    assert plain.content_hash != translated.content_hash
    assert "translations" not in plain.as_dict()  # versions without translations keep their hash


@pytest.mark.parametrize("change, message", [
    (("pl:", "xx:"), "demo-v1.yaml: 'translations' has unknown language 'xx'; use one of easy-read, pl, ar"),
    (("      colour: {text: Wybierz jedno, options: [Czerwony, Niebieski]}\n", ""),
     "demo-v1.yaml: question 'colour': the Polish (pl) translation is missing this question"),
    ((', hint: "Napisz tyle, ile chcesz."', ""),
     "demo-v1.yaml: question 'what_helped': the Polish (pl) translation: 'hint' (the question has help text) must be text"),
    (("[Czerwony, Niebieski]", "[Czerwony]"),
     "demo-v1.yaml: question 'colour': the Polish (pl) translation needs 'options': 2 in the order Red, Blue"),
    (("    intro: Cześć\n", ""), "demo-v1.yaml: the Polish (pl) translation: 'intro' must be text"),
    (("    title: Demo po polsku\n", ""), "demo-v1.yaml: the Polish (pl) translation: 'title' must be text"),
])
def test_an_incomplete_translation_is_refused_at_sync_naming_what_is_missing(change, message):
    with pytest.raises(DefinitionError) as error:
        _parse(GOOD_PL.replace(*change))
    assert str(error.value) == message


def test_the_shipped_translations_are_complete_and_marked_for_review():
    versions = {(d.slug, d.version): d for d in read_definitions()}
    assert set(versions["children", 4].translations) == {"easy-read", "pl", "ar"}
    assert set(versions["parents", 2].translations) == {"pl", "ar"}
    assert versions["children", 4].translations["pl"]["needs_review"] is True
    assert versions["children", 4].translations["easy-read"]["needs_review"] is False


def _html_tag(text: str) -> str:
    return re.search(r"<html[^>]*>", text).group(0)


@pytest.mark.parametrize("lang, html", [
    ("pl", '<html lang="pl" dir="ltr">'),
    ("ar", '<html lang="ar" dir="rtl">'),
    ("easy-read", '<html lang="en" dir="ltr">'),
    ("xx", '<html lang="en" dir="ltr">'),  # not offered: English
])
def test_pages_set_lang_and_dir_for_the_chosen_language(client, make_round, make_link, lang, html):
    link = make_link(make_round("children", 4))
    intro = client.get(f"/r/{link.token}?lang={lang}").get_data(as_text=True)
    questions = client.get(f"/r/{link.token}/questions?lang={lang}").get_data(as_text=True)
    assert _html_tag(intro) == html and _html_tag(questions) == html


def test_the_intro_page_offers_the_languages_and_keeps_the_choice(client, make_round, make_link):
    link = make_link(make_round("children", 4))
    intro = client.get(f"/r/{link.token}").get_data(as_text=True)
    for name, code in (("Polski", "pl"), ("العربية", "ar"), ("Easy read", "easy-read")):
        assert f'href="/r/{link.token}?lang={code}"' in intro and name in intro
    polish = client.get(f"/r/{link.token}?lang=pl").get_data(as_text=True)
    assert "Co stanie się z Twoimi odpowiedziami" in polish
    assert "muszą coś zrobić, żeby pomóc" in polish  # the safeguarding promise, in the language chosen
    assert f'href="/r/{link.token}/questions?lang=pl"' in polish


def test_a_polish_answer_keeps_english_keys_records_its_language_and_is_screened_not_analysed(
        app, client, make_round, make_link):
    link = make_link(make_round("children", 4))
    form = client.get(f"/r/{link.token}/questions?lang=pl").get_data(as_text=True)
    assert "Czy wiedziałeś/wiedziałaś, że masz plan ochrony dziecka?" in form
    assert re.search(r'value="I&#39;m not sure"[^>]*>\s*<label[^>]*>Nie wiem</label>', form)
    sent = client.post(f"/r/{link.token}/questions", data={
        "lang": "pl", "q_what_helped": "Pani z opieki społecznej mnie słuchała",
        "q_knew_about_cp_plan": "I'm not sure"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/thanks?lang=pl")
    thanks = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Dziękujemy" in thanks and "0800 1111" in thanks and "999" in thanks
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.language == "pl"
        answers = dict(db.session.execute(select(Answer.question_key, Answer.value)).all())
        assert answers == {"what_helped": "Pani z opieki społecznej mnie słuchała", "knew_about_cp_plan": "I'm not sure"}
        assert db.session.scalars(select(AnswerFeature)).all() == []  # not analysed wrongly...
        codebook, _saved = current_codebook(db.session)
        assert stale_answers(db.session, codebook.version_hash()) == []  # ...nor later by `analyse`


def test_arabic_free_text_goes_to_a_person_to_read(app, client, make_round, make_link):
    link = make_link(make_round("children", 4))
    sent = client.post(f"/r/{link.token}/questions", data={
        "lang": "ar", "q_what_did_not_help": "لم يستمع إلي أحد عندما قلت إنني جائع وخائف في البيت"})
    assert sent.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Response.language)).one() == "ar"
        assert len(db.session.scalars(select(SafeguardingFlag)).all()) == 1  # could not screen: a person reads it


def test_easy_read_is_english_and_analysed(app, client, make_round, make_link):
    link = make_link(make_round("children", 4))
    form = client.get(f"/r/{link.token}/questions?lang=easy-read").get_data(as_text=True)
    assert "What did grown-ups do that helped you feel safe?" in form and "Write a little or a lot." in form
    client.post(f"/r/{link.token}/questions", data={"lang": "easy-read", "q_what_helped": "My teacher listened to me"})
    with app.app_context():
        assert db.session.scalars(select(Response.language)).one() == "easy-read"
        assert len(db.session.scalars(select(AnswerFeature)).all()) == 1
