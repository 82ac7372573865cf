"""Coding answers in the app: confirm or correct sentiment and themes, code a sample."""

from __future__ import annotations

import html
import random
import re
from datetime import date

import pytest
from sqlalchemy import select

from feedback_app.db import db
from feedback_app.models import Answer, AnswerFeature, Coding
from tests.test_insights import store_answers, two_rounds  # noqa: F401  (a fixture)

TEXTS = ["My social worker listened to me", "There was no food at home", "I went to school",
         "Nobody listened and I was hungry", "It was great"]


@pytest.fixture
def answers(app, make_round):
    round_ = make_round("children", 1, opens_on=date(2024, 1, 1))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS])
    with app.app_context():
        return {a.value: a.id for a in db.session.scalars(select(Answer))}


def test_an_analyst_corrects_an_answer_and_the_computed_features_stay(app, client, login, answers):
    login("analyst")
    answer_id = answers["There was no food at home"]
    page = client.get(f"/coding/answers/{answer_id}").get_data(as_text=True)
    assert "There was no food at home" in page and "not coded yet" in page
    response = client.post(f"/coding/answers/{answer_id}",
                           data={"sentiment": "negative", "themes": ["practical_needs", "feeling_safe"]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    coded = re.search(r'<dd id="coded-value">(.*?)</dd>', page, re.S).group(1)
    assert "Coded" in coded and "negative" in coded and "analyst@example.org" in coded
    with app.app_context():
        coding = db.session.scalars(select(Coding)).one()
        assert (coding.sentiment, sorted(coding.themes), coding.source) == (
            "negative", ["feeling_safe", "practical_needs"], "app")
        feature = db.session.get(AnswerFeature, answer_id)
        assert "feeling_safe" not in feature.themes  # the computed features are untouched


def test_bad_codes_are_refused_with_a_message(client, login, answers):
    login("analyst")
    answer_id = answers["It was great"]
    page = client.post(f"/coding/answers/{answer_id}", data={"sentiment": "ecstatic"})
    assert page.status_code == 200
    assert "Not a valid choice" in page.get_data(as_text=True)
    assert client.get("/coding/answers/999999").status_code == 404


def test_anonymous_visitors_cannot_code(client, answers):
    assert client.get("/coding/sample").status_code == 302
    assert client.post(f"/coding/answers/{answers['It was great']}", data={"sentiment": "negative"}).status_code == 302


def test_the_sample_serves_each_uncoded_answer_once_then_says_done(app, client, login, answers):
    login("analyst")
    seen = []
    for _ in range(len(TEXTS)):
        response = client.get("/coding/sample")
        assert response.status_code == 302
        location = response.headers["Location"]
        answer_id = int(re.search(r"/coding/answers/(\d+)", location).group(1))
        seen.append(answer_id)
        page = client.get(location).get_data(as_text=True)
        assert "Save code and show the next answer" in page
        saved = client.post(location, data={"sentiment": "neutral", "next": "/coding/sample"})
        assert saved.headers["Location"].endswith("/coding/sample")
    assert sorted(seen) == sorted(answers.values())
    assert "Every analysed answer has been coded" in client.get("/coding/sample").get_data(as_text=True)


def test_the_sample_is_stratified_by_computed_sentiment(app, answers):
    from feedback_app.coding.coding import next_to_code, save_coding

    with app.app_context():
        labels = {a: db.session.get(AnswerFeature, a).label for a in answers.values()}
        drawn = []
        for seed in range(len(answers)):
            answer_id = next_to_code(db.session, random.Random(seed))
            drawn.append(labels[answer_id])
            save_coding(db.session, answer_id, "neutral", None, "sam", set())
    # every computed label is drawn before any label is drawn a second time
    distinct = len(set(labels.values()))
    assert len(set(drawn[:distinct])) == distinct


def test_two_coders_code_blind_and_the_agreement_page_shows_known_kappa(app, client, login, answers):
    # first coder codes four answers; sentiment only
    first_codes = {"My social worker listened to me": "positive", "There was no food at home": "negative",
                   "I went to school": "neutral", "It was great": "positive"}
    second_codes = {"My social worker listened to me": "positive", "There was no food at home": "negative",
                    "I went to school": "positive", "It was great": "positive"}
    login("analyst", "first@example.org")
    for text, label in first_codes.items():
        client.post(f"/coding/answers/{answers[text]}", data={"sentiment": label, "themes": []})
    client.get("/auth/logout")
    client.post("/auth/logout")
    login("analyst", "second@example.org")
    for _ in range(len(second_codes)):
        location = client.get("/coding/blind").headers["Location"]
        page = client.get(location).get_data(as_text=True)
        assert "Blind coding" in page and "first@example.org" not in page
        text = next(t for t in second_codes if t in page)
        client.post(location, data={"sentiment": second_codes[text], "blind": "1"})
    # observed 3/4; first: pos 2/4, neg 1/4, neu 1/4; second: pos 3/4, neg 1/4 -> expected 0.5*0.75 + 0.25*0.25 = 0.4375
    expected = (0.75 - 0.4375) / (1 - 0.4375)
    page = client.get("/coding/agreement?first=first@example.org&second=second@example.org").get_data(as_text=True)
    kappa = re.search(r'<dd id="sentiment-kappa">([^<]*)</dd>', page).group(1)
    assert kappa == f"{expected:.2f}"
    assert "Disagreements (1)" in page and "I went to school" in page
    answer_id = answers["I went to school"]
    client.post("/coding/agreement", data={"answer_id": answer_id, "sentiment": "neutral",
                                           "first": "first@example.org", "second": "second@example.org"})
    with app.app_context():
        from feedback_app.coding.coding import newest_codings

        final = newest_codings(db.session, [answer_id])[answer_id]
        assert (final.sentiment, final.source) == ("neutral", "agreed")


def test_analysis_uses_the_coded_value_and_says_what_produced_it(app, client, login, answers):
    from feedback_app.insights.data import load_answers

    login("analyst")
    client.post(f"/coding/answers/{answers['I went to school']}", data={"sentiment": "negative",
                                                                         "themes": ["feeling_safe"]})
    client.post(f"/coding/answers/{answers['It was great']}", data={"sentiment": "neutral"})
    with app.app_context():
        frame = load_answers(db.session, "children", "what_did_not_help").set_index("value")
        computed = db.session.get(AnswerFeature, answers["I went to school"])
    assert (frame.loc["I went to school", "label"], list(frame.loc["I went to school", "themes"])) == (
        "negative", ["feeling_safe"])
    assert computed.label != "negative" or "feeling_safe" not in computed.themes
    assert frame.loc["It was great", "label"] == "neutral"
    assert list(frame.loc["It was great", "themes"]) == []  # coded with no themes: none
    assert frame.loc["My social worker listened to me", "label"] == "positive"  # not coded: computed
    page = client.get("/analysis/children/what_did_not_help").get_data(as_text=True)
    provenance = re.search(r'<p class="muted" id="provenance">(.*?)</p>', page, re.S).group(1)
    assert "Sentiment from the lexicon rules" in provenance
    assert "2 of 5 analysed answers here carry an analyst's code" in provenance


def test_a_quote_on_the_theme_pages_links_to_coding_it_and_back(client, login, two_rounds):
    _first, second = two_rounds
    login("analyst")
    listing = f"/analysis/children/what_did_not_help/themes/practical_needs/answers?round={second.id}"
    for path in (listing, f"/analysis/children/what_did_not_help/themes/practical_needs?round={second.id}"):
        page = client.get(path).get_data(as_text=True)
        links = re.findall(r'<a href="([^"]+)">Code this answer</a>', page)
        assert links, path
    first_link = html.unescape(re.findall(r'<a href="([^"]+)">Code this answer</a>', client.get(listing).get_data(as_text=True))[0])
    coding_page = client.get(first_link)
    assert coding_page.status_code == 302
    page = client.get(coding_page.headers["Location"]).get_data(as_text=True)
    text = re.search(r'<blockquote class="quote"><p>(.*?)</p>', page).group(1)
    assert "food" in text or "hungry" in text
    saved = client.post(coding_page.headers["Location"], data={"sentiment": "positive", "themes": ["practical_needs"]})
    assert saved.headers["Location"] == listing  # back where the analyst was
    assert client.get("/coding/responses/999999/what_did_not_help").status_code == 404


def test_an_agreed_code_stays_in_force_over_a_later_single_code(app, answers):
    from feedback_app.coding.coding import newest_codings, save_coding
    from feedback_app.insights.data import load_answers

    answer_id = answers["I went to school"]
    with app.app_context():
        save_coding(db.session, answer_id, "negative", [], "first", set())
        save_coding(db.session, answer_id, "neutral", [], "agreed: first and second", set(), source="agreed")
        save_coding(db.session, answer_id, "positive", [], "second", set())
        assert newest_codings(db.session, [answer_id])[answer_id].sentiment == "neutral"
        frame = load_answers(db.session, "children", "what_did_not_help").set_index("value")
    assert frame.loc["I went to school", "label"] == "neutral"


def test_the_report_states_the_agreement_between_coders(app, runner, answers, tmp_path):
    from feedback_app.coding.coding import save_coding

    first = {"My social worker listened to me": "positive", "There was no food at home": "negative",
             "I went to school": "neutral", "It was great": "positive"}
    second = dict(first, **{"I went to school": "positive"})
    with app.app_context():
        for coder, codes in (("first@example.org", first), ("second@example.org", second)):
            for text, label in codes.items():
                save_coding(db.session, answers[text], label, [], coder, set())
    out = tmp_path / "report.html"
    result = runner.invoke(args=["report", "children", "--output", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    section = page[page.index("<h2>Agreement between coders</h2>"):]
    row = re.search(r"<tr><th scope=\"row\">first@example.org and second@example.org</th>(.*?)</tr>", section, re.S).group(1)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells[0] == "4" and cells[1] == "0.56"  # kappa (0.75 - 0.4375) / (1 - 0.4375)
