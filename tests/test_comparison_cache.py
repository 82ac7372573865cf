"""Issue 13 item 2: the comparison page is kept while nothing it reads has changed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from feedback_app.insights import views
from feedback_app.insights.cache import PAGE_CACHE
from feedback_app.kept import KeptPerProcess

from tests.test_insights import FOOD_2, store_answers, two_rounds  # noqa: F401  (a fixture)

PAGE = "/analysis/children/what_did_not_help"


@pytest.fixture
def reads(monkeypatch):
    """How many times a page read the answers or their tallies (each read is a cache miss)."""
    calls = []

    def counting(real):
        def counted(*args, **kwargs):
            calls.append(kwargs.get("round_ids"))
            return real(*args, **kwargs)
        return counted

    monkeypatch.setattr(views, "load_answers", counting(views.load_answers))
    monkeypatch.setattr(views, "load_tallied", counting(views.load_tallied))
    PAGE_CACHE.clear()
    yield calls
    PAGE_CACHE.clear()


def _row(page: str, name: str) -> str:
    """The cells of the table row whose header starts with ``name``."""
    match = re.search(r"<tr>\s*<th scope=\"row\">(?:<a [^>]*>)?" + re.escape(name) + r"[^<]*(?:</a>)?</th>(.*?)</tr>",
                      page, re.S)
    assert match, f"no row for {name!r}"
    return match.group(1)


def _main(page: str) -> str:
    """The page's main content (no per-request form tokens)."""
    main = page.split("<main")[1].split("</main>")[0]
    return re.sub(r'name="csrf_token"[^>]*', "", main)


def test_a_warm_page_reads_no_answers_and_equals_a_fresh_one(client, login, two_rounds, reads):
    login("analyst")
    fresh = client.get(PAGE).get_data(as_text=True)
    warm = client.get(PAGE).get_data(as_text=True)
    assert len(reads) == 1  # the second view was served from the cache
    PAGE_CACHE.clear()
    again = client.get(PAGE).get_data(as_text=True)
    assert len(reads) == 2
    assert _main(warm) == _main(fresh) == _main(again)
    assert "15 (75%)" in _row(warm, "Practical needs")


def test_a_new_analysed_answer_changes_the_page(app, client, login, two_rounds, reads):
    _first, second = two_rounds
    login("analyst")
    assert "15 (75%)" in _row(client.get(PAGE).get_data(as_text=True), "Practical needs")
    store_answers(app, second, [{"what_did_not_help": text} for text in FOOD_2[:5]], agency="Police")
    page = client.get(PAGE).get_data(as_text=True)
    assert len(reads) == 2
    assert "20 (80%)" in _row(page, "Practical needs")


def test_a_codebook_edit_changes_the_page(client, login, two_rounds, reads):
    login("analyst")
    assert "Hungry at school" not in client.get(PAGE).get_data(as_text=True)
    response = client.post("/analysis/codebook/add_theme",
                           data={"key": "hungry_at_school", "name": "Hungry at school", "pattern": "hungry"})
    assert response.status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "Hungry at school" in page
    assert "not analysed yet or" not in page  # re-analysed inline, and the cached stale count moved on too


def test_a_new_unanalysed_answer_shows_in_the_stale_notice(app, client, login, two_rounds, reads):
    from feedback_app.db import db
    from feedback_app.models import Answer, AnswerFeature

    login("analyst")
    assert "not analysed yet or" not in client.get(PAGE).get_data(as_text=True)
    with app.app_context():  # features lost (the worker has not run yet): the answer is pending
        newest = db.session.query(Answer).order_by(Answer.id.desc()).first()
        db.session.query(AnswerFeature).filter_by(answer_id=newest.id).delete()
        db.session.commit()
    store_answers(app, two_rounds[1], [{"what_did_not_help": "No food again"}], agency="Police")
    with app.app_context():
        newest = db.session.query(Answer).order_by(Answer.id.desc()).first()
        db.session.query(AnswerFeature).filter_by(answer_id=newest.id).delete()
        db.session.commit()
    assert "2 stored answers are not analysed yet or" in client.get(PAGE).get_data(as_text=True)


def test_filters_never_share_an_entry_so_suppression_holds(client, login, two_rounds, reads):
    login("analyst")
    for _ in range(2):  # second pass: every page from the cache
        everyone = client.get(PAGE).get_data(as_text=True)
        health = client.get(PAGE + "?agency=Health").get_data(as_text=True)
        police = client.get(PAGE + "?agency=Police").get_data(as_text=True)
        assert "15 (75%)" in _row(everyone, "Practical needs")
        assert "agency: Health" in health and "fewer than 5 answers" in health
        assert "15 (75%)" not in health
        assert "The filter for Police is not applied" in police and "is not applied" not in everyone
    # everyone and Health; the refused Police filter shows everyone's figures, from everyone's entry
    assert len(reads) == 2


def test_the_cache_keeps_at_most_its_size_and_forgets_the_least_recently_used():
    cache = KeptPerProcess(size=2)
    computed = []

    def value(name):
        return lambda: computed.append(name) or name

    assert cache.get_or_compute("a", value("a")) == "a"
    cache.get_or_compute("b", value("b"))
    cache.get_or_compute("a", value("a"))  # used again: "b" is now the oldest
    cache.get_or_compute("c", value("c"))
    assert len(cache) == 2
    cache.get_or_compute("a", value("a"))
    cache.get_or_compute("b", value("b"))
    assert computed == ["a", "b", "c", "b"]


def test_excluding_responses_changes_the_page(app, client, login, two_rounds, reads):
    """Excluding a junk burst (issue 11) changes no maximum: the fingerprint counts exclusions."""
    from feedback_app.bursts import set_excluded
    from feedback_app.db import db
    from feedback_app.models import Answer, Response

    login("analyst")
    assert "15 (75%)" in _row(client.get(PAGE).get_data(as_text=True), "Practical needs")
    with app.app_context():  # marked as a burst, then excluded as the round page does
        burst = db.session.query(Answer.response_id).filter(Answer.value.like("%listened to me in week%"))
        db.session.query(Response).filter(Response.id.in_(burst.scalar_subquery())).update(
            {Response.burst_id: -1}, synchronize_session=False)
        db.session.commit()
        set_excluded(db.session, two_rounds[1].id, -1, True)
    assert "15 (100%)" in _row(client.get(PAGE).get_data(as_text=True), "Practical needs")


def test_renaming_a_round_changes_the_page(app, client, login, two_rounds, reads):
    """A round's label is shown but changes nothing the fingerprint counts: the key holds the rounds."""
    from feedback_app.db import db
    from feedback_app.models import Round

    login("analyst")
    assert "Voice of the child 2024" in client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        db.session.get(Round, two_rounds[1].id).label = "Spring listening 2024"
        db.session.commit()
    page = client.get(PAGE).get_data(as_text=True)
    assert "Spring listening 2024" in page and "Voice of the child 2024" not in page


def test_erasing_a_round_changes_the_agencies_the_page_offers(app, client, login, make_round, two_rounds, reads):
    """An erased response moves no maximum, and one with no free-text answer changes no
    tally: the fingerprint still moves (issue 13: the erasure counter, not a count of the
    responses), so an agency only erased responses had leaves the filter."""
    from feedback_app.db import db
    from feedback_app.privacy import plan_purge, purge

    old = make_round("children", 1, label="Voice of the child 2022", opens_on=date(2022, 1, 1),
                     closes_on=date(2022, 3, 31))
    store_answers(app, old, [{"age_band": "12 to 15"}], agency="Schools")  # no free text: no tally
    store_answers(app, two_rounds[1], [{"age_band": "12 to 15"}], agency="Police")  # the newest ids stay
    login("analyst")
    assert '<option value="Schools">' in client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        purge(db.session, plan_purge(db.session, date(2022, 12, 31)))  # the 2022 round's responses go
    page = client.get(PAGE).get_data(as_text=True)
    assert '<option value="Schools">' not in page
    assert '<option value="Police">' in page


def test_excluding_a_response_without_free_text_changes_the_page_key(app, client, login, two_rounds):
    """Excluding responses whose answers no tally counts still gives a new fingerprint."""
    from feedback_app.bursts import set_excluded
    from feedback_app.db import db
    from feedback_app.insights.cache import data_fingerprint
    from feedback_app.models import Response

    first, _second = two_rounds
    store_answers(app, first, [{"age_band": "12 to 15"}], agency="Schools")
    with app.app_context():
        before = data_fingerprint(db.session)
        newest = db.session.query(Response).order_by(Response.id.desc()).first()
        newest.burst_id = newest.id
        db.session.commit()
        set_excluded(db.session, first.id, newest.id, True)
        assert data_fingerprint(db.session) != before
