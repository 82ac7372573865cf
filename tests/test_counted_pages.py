"""Issue 13: closed questions' comparison pages, the agency filter's check and the index
pages count in SQL (or read the tallies), never a row per answer, and show what they
showed when they read every answer."""

from __future__ import annotations

import json
from datetime import date

import pytest

from feedback_app.db import db
from feedback_app.insights import views
from feedback_app.insights.cache import PAGE_CACHE
from feedback_app.insights.data import (
    load_answers,
    load_choice_counts,
    question_catalogue,
    question_round_groups,
    questionnaire_rounds,
    tallied_round_groups,
)
from feedback_app.insights.summary import summarise_closed
from feedback_app.models import Questionnaire

from tests.test_insights import _row, store_answers, two_rounds  # noqa: F401  (a fixture)


@pytest.fixture
def no_answer_rows(monkeypatch):
    """Fail any page that reads the answers row by row."""
    def refuse(*args, **kwargs):
        raise AssertionError("a page read every answer row")

    monkeypatch.setattr(views, "load_answers", refuse)
    PAGE_CACHE.clear()
    yield
    PAGE_CACHE.clear()


def _ages(app, make_round, health: int):
    round_ = make_round("children", 1, label="Round A")
    store_answers(app, round_, [{"age_band": "8 to 11"}] * 6 + [{"age_band": "16 or over"}] * 5, agency="Police")
    store_answers(app, round_, [{"age_band": "12 to 15"}] * health, agency="Health")
    return round_


def test_a_closed_question_page_counts_each_value_and_filters_by_agency(app, client, login, make_round,
                                                                      no_answer_rows):
    _ages(app, make_round, health=7)
    login("analyst")
    page = client.get("/analysis/children/age_band").get_data(as_text=True)
    assert "18 answers" in page
    assert "6 (33%)" in _row(page, "8 to 11") and "7 (39%)" in _row(page, "12 to 15")
    police = client.get("/analysis/children/age_band?agency=Police").get_data(as_text=True)
    assert "11 answers" in police and "is not applied" not in police
    assert "6 (55%)" in _row(police, "8 to 11") and _row(police, "12 to 15") == '<td class="num">0 (0%)</td>'


def test_a_closed_question_refuses_an_agency_filter_that_would_isolate_a_small_group(app, client, login,
                                                                                   make_round, no_answer_rows):
    """All agencies minus Police would give the 3 Health answers away."""
    _ages(app, make_round, health=3)
    login("analyst")
    page = client.get("/analysis/children/age_band?agency=Police").get_data(as_text=True)
    assert "The filter for Police is not applied: in Round A, fewer than 5 answers came from other agencies" in page
    assert "14 answers" in page  # the figures are all agencies'


def _tools(values: list[list[str]]) -> list[dict[str, str]]:
    return [{"tools_used": json.dumps(chosen)} for chosen in values]


def test_closed_summaries_counted_in_sql_equal_those_from_every_answer(app, make_round):
    """Multiple choice (a JSON list per answer) and a 1-5 scale, two rounds, two agencies."""
    first = make_round("practitioners", 1, label="Spring", opens_on=date(2024, 3, 1), closes_on=date(2024, 4, 1))
    second = make_round("practitioners", 1, label="Autumn", opens_on=date(2024, 9, 1), closes_on=date(2099, 1, 1))
    store_answers(app, first, _tools([["Chronology"]] * 9 + [["Chronology", "Day in my life"]] * 6 + [[]] * 2)
                  + [{"confidence_recognising": str(1 + n % 5)} for n in range(12)], agency="Police")
    store_answers(app, second, _tools([["Day in my life"]] * 12 + [["Chronology", "Assessment checklist"]] * 3)
                  + [{"confidence_recognising": str(3 + n % 3)} for n in range(14)], agency="Health")
    store_answers(app, second, _tools([["Chronology"]] * 6), agency="Police")
    ids = [first.id, second.id]
    with app.app_context():
        found = db.session.query(Questionnaire).filter_by(slug="practitioners").one()
        questions = {q.key: q for q in question_catalogue(db.session, found.id)}
        for key in ("tools_used", "confidence_recognising"):
            for agency in (None, "Police"):
                rows = load_answers(db.session, "practitioners", key, round_ids=ids)
                if agency:
                    rows = rows[rows["agency"] == agency]
                counted = load_choice_counts(db.session, "practitioners", key, ids, agency=agency)
                from_rows = summarise_closed(rows, questions[key], 5, charts=False)
                assert summarise_closed(counted, questions[key], 5, charts=False) == from_rows, (key, agency)
                assert from_rows.options and (from_rows.changes or agency)


def test_the_multiple_choice_page_names_its_test(app, client, login, make_round):
    first = make_round("practitioners", 1, label="Spring", opens_on=date(2024, 3, 1), closes_on=date(2024, 4, 1))
    second = make_round("practitioners", 1, label="Autumn", opens_on=date(2024, 9, 1), closes_on=date(2099, 1, 1))
    store_answers(app, first, _tools([["Chronology"]] * 20))
    store_answers(app, second, _tools([["Day in my life"]] * 20))
    login("analyst")
    page = client.get("/analysis/practitioners/tools_used").get_data(as_text=True)
    assert "each option chosen or not out of the round's answers, tested on its own" in page
    assert "withheld options taken together" not in page


def test_the_tallied_agency_check_counts_what_the_page_counts(app, two_rounds):
    """Every answer analysed: the tallies give the same groups as a count over the answers."""
    with app.app_context():
        found = db.session.query(Questionnaire).filter_by(slug="children").one()
        rounds = questionnaire_rounds(db.session, found.id, count=False)
        for agency in ("Police", "Health", "Education"):
            assert tallied_round_groups(db.session, "what_did_not_help", agency, rounds) == question_round_groups(
                db.session, "what_did_not_help", agency, [r.id for r in rounds])
        assert [g.agency for g in tallied_round_groups(db.session, "what_did_not_help", "Health", rounds)] == [0, 3]


def test_the_index_counts_responses_once_per_change_of_the_data(app, client, login, two_rounds, monkeypatch):
    _first, second = two_rounds
    counted = []
    real = views.round_response_counts
    monkeypatch.setattr(views, "round_response_counts", lambda session, qid: counted.append(qid) or real(session, qid))
    PAGE_CACHE.clear()
    login("analyst")
    index = client.get("/analysis/").get_data(as_text=True)
    client.get("/analysis/")
    client.get("/analysis/children")
    assert counted and len(counted) == len(set(counted))  # each questionnaire counted once for both pages
    assert "<td class=\"num\">20</td>" in index
    store_answers(app, second, [{"what_did_not_help": "Nothing helped"}] * 2, agency="Police")
    assert "<td class=\"num\">22</td>" in client.get("/analysis/").get_data(as_text=True)
    PAGE_CACHE.clear()


def test_a_post_writes_no_choice_tally_and_the_sweep_counts_them(app, make_round):
    """The respondent's post leaves the choice tallies alone; the sweep's advance counts them
    (on PostgreSQL one advance later: ids may commit out of order), and the figures are the
    same before and after."""
    from sqlalchemy import func, select

    from feedback_app.choice_tallies import choice_counts, choices_mark, response_counts
    from feedback_app.models import ChoiceTally, Response
    from feedback_app.tallies import advance_analysed_mark

    round_ = _ages(app, make_round, health=7)
    with app.app_context():
        before = choice_counts(db.session, "age_band", [round_.id])
        assert choices_mark(db.session) == 0 and not db.session.scalar(select(func.count()).select_from(ChoiceTally))
        for _ in range(2):
            advance_analysed_mark(db.session)
        assert choices_mark(db.session) == db.session.scalar(select(func.max(Response.id))) + 1
        assert db.session.scalar(select(func.sum(ChoiceTally.answers)).where(ChoiceTally.question_key == "age_band")) == 18
        assert response_counts(db.session, [round_.id]) == {round_.id: 18}
        assert response_counts(db.session, [round_.id], "Health") == {round_.id: 7}
        assert choice_counts(db.session, "age_band", [round_.id]) == before
        assert before[(round_.id, "12 to 15")][0] == 7
