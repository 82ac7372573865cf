"""The Working Group's analysis pages: what an analyst sees when comparing rounds."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import event, func, select

from feedback_app.db import db
from feedback_app.models import CodebookVersion, Round


def store_answers(app, round_, answers: list[dict[str, str]], agency: str | None = None) -> None:
    """Store one response per dict of ``answers``, with features derived as on arrival.

    The same path as the respondent journey after the form (``derive`` then
    ``store_response``), without a browser round trip per response.
    """
    from feedback_app.responses import store_response
    from feedback_app.text_analysis import current_codebook, derive

    with app.app_context():
        round_ = db.session.get(Round, round_.id)
        questions = {q.key: q for q in round_.version.questions}
        codebook, _saved = current_codebook(db.session)
        for values in answers:
            derived = derive(questions, values, codebook)
            with db.write_session() as session:
                store_response(session, round_.id, values, agency=agency, derived=derived)


FOOD_1 = ["There was food in the cupboard"] * 2
OTHER_1 = [f"My social worker listened to me about thing {n}" for n in range(18)]
FOOD_2 = [f"There was no food at home on day {n}" for n in range(8)] + [f"I was hungry at school every week {n}" for n in range(7)]
OTHER_2 = [f"My social worker listened to me in week {n}" for n in range(5)]


@pytest.fixture
def two_rounds(app, make_round):
    """Children v1: round 1 with 20 answers (2 about food), round 2 with 20 (15 about food)."""
    first = make_round("children", 1, label="Voice of the child 2023", opens_on=date(2023, 1, 1), closes_on=date(2023, 3, 31))
    second = make_round("children", 1, label="Voice of the child 2024", opens_on=date(2024, 1, 1), closes_on=date(2099, 3, 31))
    store_answers(app, first, [{"what_did_not_help": text} for text in FOOD_1 + OTHER_1], agency="Police")
    store_answers(app, second, [{"what_did_not_help": text} for text in FOOD_2[:12] + OTHER_2], agency="Police")
    store_answers(app, second, [{"what_did_not_help": text} for text in FOOD_2[12:]], agency="Health")
    return first, second


def _row(page: str, name: str) -> str:
    """The cells of the table row whose header starts with ``name``."""
    match = re.search(r"<tr>\s*<th scope=\"row\">(?:<a [^>]*>)?" + re.escape(name) + r"[^<]*(?:</a>)?</th>(.*?)</tr>",
                      page, re.S)
    assert match, f"no row for {name!r}"
    return match.group(1)


def test_anonymous_visitors_are_sent_to_sign_in(client, two_rounds):
    for path in ("/analysis/", "/analysis/children", "/analysis/children/what_did_not_help", "/analysis/codebook",
                 "/analysis/children/report.html"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert client.post("/analysis/codebook/add_theme", data={"key": "x"}).status_code == 302


def test_index_lists_rounds_with_response_counts(client, login, two_rounds):
    login("analyst")
    page = client.get("/analysis/").get_data(as_text=True)
    assert "Voice of the child 2023" in page and "Voice of the child 2024" in page
    assert re.search(r"Voice of the child 2024</td>.*?<td class=\"num\">20</td>", page, re.S)
    assert 'href="/analysis/children"' in page


def test_question_picker_lists_free_text_and_closed_questions_apart(client, login, two_rounds):
    login("analyst")
    page = client.get("/analysis/children").get_data(as_text=True)
    free_text, closed = page.split("<h2>Closed questions</h2>")
    assert "what_did_not_help" in free_text and "age_band" not in free_text
    assert "age_band" in closed
    # keys added in version 2 are listed too
    assert "knew_about_cp_plan" in page and "asked in version 2" in page


def test_theme_share_per_round_with_counts_and_small_counts_suppressed(client, login, two_rounds):
    login("analyst")
    page = client.get("/analysis/children/what_did_not_help").get_data(as_text=True)
    row = _row(page, "Practical needs")
    cells = re.findall(r"<td class=\"num\">(.*?)</td>", row)
    assert cells == ["fewer than 5", "15 (75%)"]
    assert "%" not in cells[0]
    # the change cannot be reported when one side is suppressed
    change = _row(page.split('id="changes"')[1], "Practical needs")
    assert "withheld (fewer than 5)" in change and "p =" not in change and "p <" not in change
    assert "<svg" in page and "<script" not in page.split("<main")[1].split("</main>")[0]


def test_significant_rise_is_labelled_rose_with_its_p_value(app, client, login, two_rounds):
    app.config["SUPPRESSION_THRESHOLD"] = 2
    login("analyst")
    page = client.get("/analysis/children/what_did_not_help").get_data(as_text=True)
    assert _row(page, "Practical needs").count("(75%)") == 1
    change = _row(page.split('id="changes"')[1], "Practical needs")
    assert "<strong>rose</strong> (+65 points)" in change
    assert "p &lt; 0.001 (chi-square)" in change
    assert "2 of 20 (10%)" in change and "15 of 20 (75%)" in change


def test_sentiment_per_round_with_mean_and_interval(client, login, two_rounds):
    login("analyst")
    page = client.get("/analysis/children/what_did_not_help").get_data(as_text=True)
    sentiment = page.split('id="sentiment"')[1].split('id="emerging"')[0]
    row = _row(sentiment, "Voice of the child 2024")
    assert re.search(r"[+-]\d\.\d\d \([+-]\d\.\d\d to [+-]\d\.\d\d\)", row)


def test_quotes_shown_then_withheld_when_an_agency_filter_leaves_too_few(client, login, two_rounds):
    _first, second = two_rounds
    login("analyst")
    page = client.get(f"/analysis/children/what_did_not_help/themes/practical_needs?round={second.id}").get_data(as_text=True)
    assert page.count('<blockquote class="quote">') == 3
    assert "All 15 answers in this theme" in page
    filtered = client.get(f"/analysis/children/what_did_not_help/themes/practical_needs?round={second.id}&agency=Health")
    text = filtered.get_data(as_text=True)
    assert "Quotes are withheld: fewer than 5 responses match these filters" in text
    assert "<blockquote" not in text
    listing = client.get(f"/analysis/children/what_did_not_help/themes/practical_needs/answers?round={second.id}&agency=Health")
    assert "The answers are withheld" in listing.get_data(as_text=True)


def test_all_answers_of_a_theme_are_paginated(client, login, two_rounds):
    _first, second = two_rounds
    login("analyst")
    page = client.get(f"/analysis/children/what_did_not_help/themes/practical_needs/answers?round={second.id}").get_data(as_text=True)
    assert "15 answers; page 1 of 1." in page
    assert page.count('<blockquote class="quote">') == 15


def test_filters_by_agency_and_round_range(client, login, two_rounds):
    first, _second = two_rounds
    login("analyst")
    page = client.get(f"/analysis/children/what_did_not_help?round_to={first.id}").get_data(as_text=True)
    assert "Voice of the child 2023" in page and "Voice of the child 2024</th>" not in page
    page = client.get("/analysis/children/what_did_not_help?agency=Health").get_data(as_text=True)
    assert "agency: Health" in page
    # 3 Health answers in 2024 only: the whole round is suppressed
    assert "fewer than 5 answers" in page


def test_emerging_phrase_can_be_made_a_theme(app, client, login, make_round):
    first = make_round("children", 1, label="Round A", opens_on=date(2023, 1, 1), closes_on=date(2023, 3, 31))
    second = make_round("children", 1, label="Round B", opens_on=date(2024, 1, 1), closes_on=date(2099, 3, 31))
    store_answers(app, first, [{"what_could_be_better": f"More visits from the nurse {n}"} for n in range(10)])
    store_answers(app, second, [{"what_could_be_better": f"A free bus pass for my mum {n}"} for n in range(8)]
                  + [{"what_could_be_better": f"More visits from the nurse {n}"} for n in range(4)])
    login("analyst", "analyst@example.org")
    page = client.get("/analysis/children/what_could_be_better").get_data(as_text=True)
    emerging = page.split('id="emerging"')[1].split('id="clouds"')[0]
    assert '<th scope="row">bus pass</th>' in emerging
    assert "Make this a theme" in emerging
    response = client.post("/analysis/children/what_could_be_better/themes", data={"phrase": "bus pass"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "“bus pass” is now the theme bus_pass (codebook version 1)" in text
    assert "answers were re-analysed with it." in text
    with app.app_context():
        saved = db.session.scalars(select(CodebookVersion)).all()
        assert [v.version for v in saved] == [1]
        assert saved[0].created_by == "analyst@example.org"
        assert any(t["key"] == "bus_pass" and t["patterns"] == ["bus pass"] for t in saved[0].content["themes"])
    codebook = client.get("/analysis/codebook").get_data(as_text=True)
    assert "Bus pass" in codebook and "Made the emerging phrase “bus pass” theme bus_pass" in codebook
    # the stored answers were re-analysed at once, so none is stale and the phrase is now themed
    assert "not analysed yet or" not in codebook
    with app.app_context():
        from feedback_app.models import AnswerFeature

        assert any("bus_pass" in themes for themes in db.session.scalars(select(AnswerFeature.themes)))


def test_closed_question_distribution_per_round(app, client, login, make_round):
    round_ = make_round("children", 1, label="Round A")
    store_answers(app, round_, [{"age_band": "8 to 11"}] * 6 + [{"age_band": "12 to 15"}] * 2
                  + [{"age_band": "16 or over"}] * 5)
    login("analyst")
    page = client.get("/analysis/children/age_band").get_data(as_text=True)
    assert "13 answers" in page
    assert "fewer than 5" in _row(page, "12 to 15") and "%" not in _row(page, "12 to 15")
    # Regression (issue 10): "16 or over 5" and "8 to 11 6" beside 13 answers gave "12 to 15" = 2
    # away; the next-smallest count is withheld too (secondary suppression).
    assert _row(page, "16 or over") == '<td class="num">withheld</td>'
    assert "6 (46%)" in _row(page, "8 to 11")
    assert _row(page, "7 or under") == '<td class="num">0 (0%)</td>'
    # a bar chart per round, drawn without inline styles
    charts = page.split('id="charts"')[1]
    assert charts.count("<svg") == 1 and "style=" not in charts.split("</figure>")[0]


def test_answer_text_is_escaped(app, client, login, respondent, make_round, make_link):
    link = make_link(make_round("children", 1, label="Round A"))
    for n in range(5):
        response = respondent.answer(link.token, {"what_did_not_help": f"<script>alert(1)</script> nobody listened to me {n}"})
        assert response.status_code == 302
    login("analyst")
    with app.app_context():
        round_id = db.session.scalar(select(Round.id))
    page = client.get(f"/analysis/children/what_did_not_help/themes/being_listened_to?round={round_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; nobody listened to me" in page
    assert "<script>alert(1)" not in page
    listing = client.get(f"/analysis/children/what_did_not_help/themes/being_listened_to/answers?round={round_id}")
    assert "<script>alert(1)" not in listing.get_data(as_text=True)


def test_word_cloud_png_is_cached_on_disk_with_an_etag(app, client, login, two_rounds):
    first, second = two_rounds
    login("analyst")
    page = client.get("/analysis/children/what_did_not_help").get_data(as_text=True)
    assert f"/analysis/children/what_did_not_help/cloud/{second.id}.png" in page
    assert f"/analysis/children/what_did_not_help/whats-new/{second.id}.png" in page
    response = client.get(f"/analysis/children/what_did_not_help/cloud/{second.id}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    etag = response.headers["ETag"]
    from pathlib import Path

    cached = list((Path(app.instance_path) / "cache" / "wordclouds").glob("*.png"))
    assert [p.stem for p in cached] == [etag.strip('"')]
    again = client.get(f"/analysis/children/what_did_not_help/cloud/{second.id}.png", headers={"If-None-Match": etag})
    assert again.status_code == 304
    new = client.get(f"/analysis/children/what_did_not_help/whats-new/{second.id}.png")
    assert new.status_code == 200 and new.data.startswith(b"\x89PNG")
    # a round too small under the filter has no cloud
    assert client.get(f"/analysis/children/what_did_not_help/cloud/{second.id}.png?agency=Health").status_code == 404


@pytest.mark.parametrize(
    ("edit", "data", "message"),
    [
        ("add_theme", {"key": "practical_needs", "name": "Again", "pattern": "food"}, "theme 'practical_needs': duplicate key"),
        ("add_theme", {"key": "Bad Key", "name": "X", "pattern": "x"}, "Enter a theme key of lower-case letters"),
        ("add_pattern", {"key": "practical_needs", "pattern": "a*", "kind": "pattern"},
         "theme 'practical_needs': bad pattern 'a*' in patterns"),
        ("add_pattern", {"key": "practical_needs", "pattern": "food", "kind": "pattern"},
         "theme 'practical_needs': duplicate pattern 'food' in patterns"),
        ("merge", {"into": "practical_needs", "merged": "practical_needs"},
         "theme 'practical_needs': cannot merge a theme with itself"),
    ],
)
def test_codebook_errors_are_shown_in_the_error_summary(app, client, login, edit, data, message):
    login("analyst")
    response = client.post(f"/analysis/codebook/{edit}", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = html.unescape(page.split('class="error-summary"')[1].split("</div>")[0])
    assert message in summary
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CodebookVersion)) == 0


def test_codebook_edits_each_save_a_version_with_who_and_why(app, client, login):
    login("analyst", "wg@example.org")
    assert client.get("/analysis/codebook").status_code == 200
    steps = [
        ("add_theme", {"key": "transport", "name": "Transport", "pattern": "bus pass*", "note": "seen in 2024"}),
        ("rename", {"key": "transport", "name": "Getting about"}),
        ("add_pattern", {"key": "transport", "pattern": "taxi*", "kind": "pattern"}),
        ("merge", {"into": "practical_needs", "merged": "transport"}),
    ]
    for edit, data in steps:
        response = client.post(f"/analysis/codebook/{edit}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/analysis/codebook").get_data(as_text=True)
    assert "Saved codebook version 4" in page
    assert "Added theme transport. seen in 2024" in page
    assert "Renamed theme transport to “Getting about”" in page
    assert "Merged theme transport into practical_needs" in page
    assert "transport → practical_needs" in page
    with app.app_context():
        versions = db.session.scalars(select(CodebookVersion).order_by(CodebookVersion.version)).all()
        assert [v.version for v in versions] == [1, 2, 3, 4]
        assert {v.created_by for v in versions} == {"wg@example.org"}


def test_codebook_get_changes_nothing(app, client, login):
    login("analyst")
    client.get("/analysis/codebook/add_theme?key=x&name=x&pattern=x")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CodebookVersion)) == 0


def test_load_answers_is_one_query_in_the_compare_shape(app, two_rounds):
    from analysis.compare import ANSWER_COLUMNS
    from feedback_app.insights.data import load_answers

    first, second = two_rounds
    with app.app_context():
        statements = []
        engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            frame = load_answers(db.session, "children", "what_did_not_help", agency="Police")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
        assert tuple(frame.columns) == ANSWER_COLUMNS
        assert len(frame) == 20 + 17
        assert frame.groupby("round_id")["round_order"].first().to_dict() == {first.id: 0, second.id: 1}
        assert frame["themes"].map(type).eq(tuple).all()  # immutable, so rows sharing one is safe
        only_second = load_answers(db.session, "children", "what_did_not_help", round_ids=[second.id])
        assert set(only_second["round_id"]) == {second.id} and len(only_second) == 20
        assert load_answers(db.session, "nope").empty


def test_emerging_phrases_from_stored_features_match_the_pure_function(app, make_round):
    from analysis.emerging import emerging_phrases
    from feedback_app.insights.data import load_answers
    from feedback_app.text_analysis import current_codebook

    first = make_round("children", 1, label="Round A", opens_on=date(2023, 1, 1), closes_on=date(2023, 3, 31))
    second = make_round("children", 1, label="Round B", opens_on=date(2024, 1, 1), closes_on=date(2099, 3, 31))
    store_answers(app, first, [{"what_could_be_better": f"More visits from the nurse {n}"} for n in range(10)])
    store_answers(app, second, [{"what_could_be_better": f"A free bus pass {n}"} for n in range(8)]
                  + [{"what_could_be_better": f"The youth club {n}"} for n in range(8)]
                  + [{"what_could_be_better": "More visits from the nurse"}] * 3)
    with app.app_context():
        codebook, _saved = current_codebook(db.session)
        frame = load_answers(db.session, "children", "what_could_be_better", noun_phrases=True)
        expected = emerging_phrases(frame.drop(columns=["noun_phrases"]), second.id, codebook)  # chunks the text
        found = emerging_phrases(frame, second.id, codebook)  # counts the stored phrases
    assert {"bus pass", "youth club"} <= set(expected["phrase"])
    assert found.to_dict("records") == expected.to_dict("records")


def test_unknown_questions_and_empty_ones_are_handled(client, login, two_rounds):
    login("analyst")
    assert client.get("/analysis/nope").status_code == 404
    assert client.get("/analysis/children/no_such_question").status_code == 404
    assert client.get("/analysis/children/what_did_not_help/themes/no_such_theme").status_code == 404
    page = client.get("/analysis/children/what_helped")
    assert page.status_code == 200
    assert "No analysed answers to this question match these filters yet." in page.get_data(as_text=True)


def test_a_reworded_question_declared_not_comparable_is_flagged_on_its_page(app, runner, client, login, tmp_path):
    import shutil

    from feedback_app.definitions import default_questionnaires_dir

    folder = tmp_path / "q"
    shutil.copytree(default_questionnaires_dir(), folder)
    v2 = (folder / "children-v2.yaml").read_text(encoding="utf-8")
    v3 = v2.replace("version: 2", "version: 3").replace("previous_version: 1", "previous_version: 2")
    head, _, tail = v3.partition("key: what_could_be_better")
    tail = tail.replace("text: ", "comparable: false\n    text: \"What would you change?\"\n    old_text: ", 1)
    tail = tail.replace("    old_text: ", "    # was: ", 1)
    (folder / "children-v3.yaml").write_text(head + "key: what_could_be_better" + tail, encoding="utf-8")
    (folder / "children-v4.yaml").unlink()  # it follows the shipped v3, which this test replaces
    result = runner.invoke(args=["questionnaires", "sync", "--path", str(folder)])
    assert result.exit_code == 0, result.output
    login("analyst")
    page = client.get("/analysis/children/what_could_be_better").get_data(as_text=True)
    assert "changed in version 3, and the change was declared <strong>not comparable</strong>" in page
    other = client.get("/analysis/children/what_helped").get_data(as_text=True)
    assert "not comparable" not in other


# ---------------------------------------------------------------- disclosure control (issue 10)


def test_quotes_and_answer_list_withhold_the_agency_of_a_small_group(app, client, login, two_rounds):
    """Regression (issue 10): verbatim answers carried an agency with 1-3 answers in the round."""
    _first, second = two_rounds  # 2024: Police 17 answers, Health 3
    login("analyst")
    listing = client.get(f"/analysis/children/what_did_not_help/themes/practical_needs/answers?round={second.id}")
    text = listing.get_data(as_text=True)
    assert text.count('<blockquote class="quote">') == 15
    quotes = re.findall(r'<blockquote class="quote">(.*?)</blockquote>', text, re.S)
    assert sum("· Police" in q for q in quotes) == 12  # Police: 17 answers in the round, named
    assert not any("Health" in q for q in quotes)
    assert any("I was hungry at school every week 6" in q for q in quotes)  # a Health answer, agency withheld
    theme = client.get(f"/analysis/children/what_did_not_help/themes/practical_needs?round={second.id}")
    quotes = theme.get_data(as_text=True).split("Typical answers")[1]
    assert "· Health" not in quotes


def test_agency_filter_that_would_isolate_a_small_group_is_refused(client, login, two_rounds):
    """Regression (issue 10): "all agencies" minus "Police" gave the 3 Health answers away."""
    login("analyst")
    page = client.get("/analysis/children/what_did_not_help?agency=Police").get_data(as_text=True)
    assert ("The filter for Police is not applied: in Voice of the child 2024, fewer than 5 answers came from "
            "other agencies") in page
    assert "agency: Police" not in page
    assert "15 (75%)" in _row(page, "Practical needs")  # the figures are all agencies'
    listing = client.get("/analysis/children/what_did_not_help/themes/practical_needs?agency=Police")
    assert "The filter for Police is not applied" in listing.get_data(as_text=True)
    assert client.get("/analysis/children?agency=Police").get_data(as_text=True).count("is not applied") == 1


def test_emerging_phrases_need_the_threshold(app, client, login, make_round):
    """Regression (issue 10): a phrase three answers used (a place name) was listed."""
    first = make_round("children", 1, label="Round A", opens_on=date(2023, 1, 1), closes_on=date(2023, 3, 31))
    second = make_round("children", 1, label="Round B", opens_on=date(2024, 1, 1), closes_on=date(2099, 3, 31))
    store_answers(app, first, [{"what_could_be_better": f"More visits from the nurse and the doctor at the clinic {n}"}
                               for n in range(40)])
    store_answers(app, second, [{"what_could_be_better": f"A free bus pass {n}"} for n in range(6)]
                  + [{"what_could_be_better": f"Moving from Ashbourne Lane {n}"} for n in range(3)]
                  + [{"what_could_be_better": f"More visits {n}"} for n in range(3)])
    login("analyst")
    page = client.get("/analysis/children/what_could_be_better").get_data(as_text=True)
    emerging = page.split('id="emerging"')[1].split('id="clouds"')[0]
    assert "bus pass" in emerging
    assert "ashbourne" not in emerging.lower()


def test_index_and_questionnaire_pages_do_not_print_small_totals(app, client, login, make_round):
    """Regression (issue 10): the analysis index printed "2 responses"."""
    round_ = make_round("children", 1, label="Tiny round")
    store_answers(app, round_, [{"what_did_not_help": "Nothing at all"}] * 2)
    login("analyst")
    index = client.get("/analysis/").get_data(as_text=True)
    assert re.search(r"Tiny round</td>.*?<td class=\"num\">fewer than 5</td>", index, re.S)
    assert not re.search(r"Tiny round</td>.*?<td class=\"num\">2</td>", index, re.S)
    page = client.get("/analysis/children").get_data(as_text=True)
    assert "Tiny round (fewer than 5 responses)" in page and "2 responses" not in page


def test_a_theme_named_with_dollar_signs_renders_page_and_report(app, client, login, two_rounds):
    """Regression (issue 10): a theme renamed to contain $...$ made the page and report fail (500)."""
    login("analyst")
    assert client.post("/analysis/codebook/rename",
                       data={"key": "practical_needs", "name": "Food $x^{2$ and $5 fares"}).status_code == 302
    page = client.get("/analysis/children/what_did_not_help")
    assert page.status_code == 200
    assert "Food $x^{2$ and $5 fares" in page.get_data(as_text=True).split('<div class="chart">')[1]
    report = client.get("/analysis/children/report.html")
    assert report.status_code == 200


def test_scale_question_shows_mean_interval_labels_and_a_change_test(app, client, login, make_round):
    first = make_round("practitioners", 1, label="2021 H1", opens_on=date(2021, 1, 1), closes_on=date(2021, 6, 30))
    second = make_round("practitioners", 1, label="2021 H2", opens_on=date(2021, 7, 1), closes_on=date(2099, 12, 31))
    store_answers(app, first, [{"strategy_knowledge": v} for v in ["1", "2", "2", "3"] * 5])
    store_answers(app, second, [{"strategy_knowledge": v} for v in ["4", "5", "5", "3"] * 5])
    login("analyst")
    page = client.get("/analysis/practitioners/strategy_knowledge").get_data(as_text=True)
    assert "1 (I know nothing about it)" in page and "5 (I know it well)" in page
    assert re.search(r"2021 H1</th><td class=\"num\">20</td><td class=\"num\">2\.00 \(1\.\d\d to 2\.\d\d\)</td>", page)
    change = page.split('id="change-strategy_knowledge"')[1]
    assert "<strong>rose</strong>" in change and "p &lt; 0.001 (Mann-Whitney)" in change
    assert page.split('id="charts"')[1].count("<svg") == 2


def test_organisational_returns_are_never_suppressed(app, client, login, make_round, monkeypatch):
    """Named agencies' RAG returns describe organisations: counts, quotes and agencies are shown.
    (Questionnaires gain ``respondent: organisation``; the pages pass it to the policy.)"""
    from feedback_app.insights import policy

    monkeypatch.setattr(policy, "respondent_of",
                        lambda q: "organisation" if getattr(q, "slug", "") == "action-plan-summary" else None)
    round_ = make_round("action-plan-summary", 1, label="Quarter 1")
    store_answers(app, round_, [{"agency": "Police", "overall_rag": "Amber",
                                 "progress_against_plan": "Training for all response officers is under way"}],
                  agency="Police")
    store_answers(app, round_, [{"agency": "Schools", "overall_rag": "Green",
                                 "progress_against_plan": "Every school has a neglect lead"}], agency="Schools")
    login("analyst")
    rag = client.get("/analysis/action-plan-summary/overall_rag").get_data(as_text=True)
    assert "1 (50%)" in _row(rag, "Amber") and "1 (50%)" in _row(rag, "Green") and "no count is withheld" in rag
    index = client.get("/analysis/").get_data(as_text=True)
    assert re.search(r"Quarter 1</td>.*?<td class=\"num\">2</td>", index, re.S)
    themes = client.get("/analysis/action-plan-summary/progress_against_plan").get_data(as_text=True)
    assert "fewer than" not in themes.split("<main")[1]
    children = client.get("/analysis/children").get_data(as_text=True)  # people's answers stay suppressed
    assert "no count is withheld" not in children


def test_an_emerging_phrase_fewer_than_the_threshold_used_is_not_listed(app, client, login, make_round):
    """Against 30 earlier answers, "bus pass" in four new ones stands out, but four is
    under the threshold: a phrase so few people wrote could identify them."""
    earlier = [f"More visits from the nurse {n}" for n in range(30)]
    later = [f"The youth club {n}" for n in range(8)] + [f"A free bus pass {n}" for n in range(4)]
    for number, texts in enumerate([earlier, later]):
        round_ = make_round("children", 1, label=f"Round {number}", opens_on=date(2023 + number, 1, 1),
                            closes_on=date(2099, 3, 31) if number else date(2023, 3, 31))
        store_answers(app, round_, [{"what_could_be_better": text} for text in texts])
    login("analyst")
    page = client.get("/analysis/children/what_could_be_better").get_data(as_text=True)
    emerging = page.split('id="emerging"')[1].split('id="clouds"')[0]
    assert '<th scope="row">youth club</th>' in emerging  # eight answers: listed
    assert "bus pass" not in emerging  # four answers
