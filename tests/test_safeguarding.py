"""The safeguarding queue: disclosures reach staff at once, and staff record what they did."""

from __future__ import annotations

from sqlalchemy import select

from feedback_app.db import db
from feedback_app.models import AuditEvent, FlagStatus, SafeguardingFlag


def test_a_childs_disclosure_reaches_the_queue_and_an_action_is_recorded(app, client, login, respondent, make_round, make_link):
    link = make_link(make_round("children", 2, label="Children 2026"), "agency", agency="Schools")
    thanks = respondent.answer(link.token, {"what_did_not_help": "grandad smacks me really hard"}, follow=True)
    assert "Childline" in thanks.get_data(as_text=True)

    login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'aria-label="1 waiting">1</span>' in page, "the queue count is on every staff page"
    queue = client.get("/safeguarding/").get_data(as_text=True)
    assert "Children 2026" in queue and "grandad smacks me really hard" in queue
    assert 'data-label="Why flagged">Physical harm' in queue and ">physical_harm" not in queue, "categories in plain English"
    with app.app_context():
        flag_id = db.session.scalar(select(SafeguardingFlag.id))
    detail = client.get(f"/safeguarding/{flag_id}").get_data(as_text=True)
    assert "grandad smacks me really hard" in detail

    refused = client.post(f"/safeguarding/{flag_id}", data={"status": "referred"})
    assert refused.status_code == 400
    assert "Write a short note of what you did and why" in refused.get_data(as_text=True)

    done = client.post(f"/safeguarding/{flag_id}", data={"status": "referred", "note": "Passed to the front door"}, follow_redirects=True)
    assert "Your action has been recorded." in done.get_data(as_text=True)
    with app.app_context():
        flag = db.session.get(SafeguardingFlag, flag_id)
        assert flag.status == FlagStatus.REFERRED and flag.action_by == "admin@example.org" and flag.action_at
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "safeguarding-action" in actions and "login" in actions
    assert 'aria-label="0 waiting">0</span>' in client.get("/admin/").get_data(as_text=True)
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "safeguarding-action" in log and "status: referred" in log and "admin@example.org" in log


def test_harmless_answers_are_not_flagged(app, respondent, make_round, make_link):
    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_did_not_help": "I got hit by the ball in PE", "what_helped": "my social worker"})
    with app.app_context():
        assert db.session.scalars(select(SafeguardingFlag)).all() == []


def test_analysts_cannot_see_the_queue(client, login):
    login("analyst")
    assert client.get("/safeguarding/").status_code == 403


def test_neglect_in_a_childs_own_words_is_flagged_and_stored_with_its_signals(app, respondent, make_round, make_link):
    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_did_not_help": "nobody makes me tea, i have to find my own food"})
    with app.app_context():
        flag = db.session.scalars(select(SafeguardingFlag)).one()
        assert "neglect" in flag.categories
        assert flag.model_version.startswith("wordllama") and flag.score is not None
        assert "meaning" in flag.signals and "rules" in flag.signals


def test_practitioners_writing_about_neglect_as_a_topic_are_not_flagged(app, respondent, make_round, make_link):
    link = make_link(make_round("practitioners", 1))
    version_keys = _text_questions(app, link)
    respondent.answer(link.token, {key: "It helps me think about the type of neglect" for key in version_keys})
    with app.app_context():
        assert db.session.scalars(select(SafeguardingFlag)).all() == []


def _text_questions(app, link) -> list[str]:
    from feedback_app.definitions import TEXT_TYPES
    from feedback_app.models import ShareLink

    with app.app_context():
        found = db.session.get(ShareLink, link.id)
        return [q.key for q in found.round.version.questions if q.type in TEXT_TYPES][:2]


def test_the_queue_puts_danger_first_marks_overdue_and_filters(app, client, login, respondent, make_round, make_link):
    from datetime import timedelta

    link = make_link(make_round("children", 2, label="Spring round"))
    respondent.answer(link.token, {"what_did_not_help": "there is never any food in my house"})
    respondent.answer(link.token, {"what_did_not_help": "i want to kill myself"})
    with app.app_context():
        oldest = db.session.scalars(select(SafeguardingFlag).order_by(SafeguardingFlag.id)).first()
        oldest.flagged_at = oldest.flagged_at - timedelta(days=10)
        db.session.commit()
    login("admin")
    queue = client.get("/safeguarding/").get_data(as_text=True)
    assert queue.index("i want to kill myself") < queue.index("there is never any food"), "danger now comes first"
    assert "Overdue" in queue and "Danger now" in queue and "Spring round" in queue
    assert "(1 overdue)" in queue, "the admin bar counts overdue flags"
    only_neglect = client.get("/safeguarding/?category=neglect").get_data(as_text=True)
    assert "there is never any food" in only_neglect and "i want to kill myself" not in only_neglect
    acted = client.get("/safeguarding/?show=acted").get_data(as_text=True)
    assert "Nothing waiting." in acted
    bad = client.get("/safeguarding/?show=nonsense&category=%3Cscript%3E")
    assert bad.status_code == 200


def test_the_flag_page_links_back_to_the_filtered_queue(app, client, login, respondent, make_round, make_link):
    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_did_not_help": "my dad hits me"})
    login("admin")
    with app.app_context():
        flag_id = db.session.scalar(select(SafeguardingFlag.id))
    page = client.get(f"/safeguarding/{flag_id}?back=/safeguarding/?category%3Dphysical_harm").get_data(as_text=True)
    assert 'href="/safeguarding/?category=physical_harm">Back to the queue' in page
    evil = client.get(f"/safeguarding/{flag_id}?back=//evil.example").get_data(as_text=True)
    assert 'href="/safeguarding/">Back to the queue' in evil


def test_overdue_counts_working_days_only():
    from datetime import datetime, timezone

    from feedback_app.safeguarding.queue import overdue_cutoff

    monday = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    assert overdue_cutoff(monday, 2) == datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday


def test_analyse_text_keeps_every_column_writes_numbers_and_screens_by_audience(runner, tmp_path):
    import csv

    source = tmp_path / "past.csv"
    source.write_text(
        "id,agency,comment\n1,Health,It helps me think about the type of neglect\n"
        "2,School,i hate this and nothing helped at all it was awful\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    for audience, expected in (("practitioners", "no"), ("children", None)):
        result = runner.invoke(args=["analyse-text", "--input", str(source), "--column", "comment",
                                     "--id-column", "id", "--output", str(out), "--audience", audience])
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8-sig")
        rows = list(csv.DictReader(text.splitlines()))
        assert list(rows[0])[:3] == ["id", "agency", "comment"], "every input column is kept"
        assert rows[1]["agency"] == "School"
        assert "'-" not in text, "numbers are written as numbers"
        float(rows[1]["polarity"]) and float(rows[0]["concern_score"])
        if expected:
            assert rows[0]["concern"] == expected


def test_when_the_model_cannot_load_answers_are_flagged_not_passed(app, client, login, respondent, make_round,
                                                                   make_link, monkeypatch):
    from feedback_app import text_analysis

    monkeypatch.setitem(text_analysis._bank, "bank", text_analysis._BrokenBank())
    link = make_link(make_round("children", 2))
    respondent.answer(link.token, {"what_did_not_help": "we had a nice day at the park"})
    with app.app_context():
        flag = db.session.scalars(select(SafeguardingFlag)).one()
        assert flag.categories == ["could_not_screen"]
    login("admin")
    assert "Could not screen: read it yourself" in client.get("/safeguarding/").get_data(as_text=True)
