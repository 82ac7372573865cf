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
    assert "Children 2026" in queue and "Schools" in queue
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
