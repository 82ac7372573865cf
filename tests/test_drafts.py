"""Save and finish later: a draft under a resume code, not a response until it is sent."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.drafts import find_draft, normalise_code
from feedback_app.models import Answer, AuditEvent, Response, ResponseDraft, SafeguardingFlag, ShareLink, utcnow

CODE = re.compile(r'id="resume-code">([A-Z0-9-]+)<')


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _save(client, token: str, answers: dict, **extra):
    data = {f"q_{key}": value for key, value in answers.items()} | extra
    return client.post(f"/r/{token}/save", data=data)


def _checked(text: str) -> dict[str, list[str]]:
    """The radio buttons and checkboxes ticked on a page, by field name."""
    out: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*\bchecked\b[^>]*>", text):
        name, value = re.search(r'name="([^"]+)"', tag).group(1), re.search(r'value="([^"]*)"', tag).group(1)
        out.setdefault(name, []).append(value)
    return out


def _code(page) -> str:
    return CODE.search(page.get_data(as_text=True)).group(1)


def test_a_draft_resumes_on_another_device_and_is_not_a_response_until_sent(app, make_app, database_url, client,
                                                                          make_round, make_link):
    link = make_link(make_round("practitioners", 2), "single-use")
    disclosure = "A child told me he is hit at home and has no food"
    page = _save(client, link.token, {"agency": "Police", "used_toolkit": "Yes", "tools_used": ["Chronology"],
                                      "howe_model_barriers": disclosure}, pages_shown="2")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    code = _code(page)
    assert "We show it only once and cannot send it to you" in text and f"/r/resume/{code}" in text
    # Stored hashed: the code itself is nowhere in the database.
    with app.app_context():
        [draft] = db.session.scalars(select(ResponseDraft)).all()
        assert code not in draft.code_hash and draft.answers["tools_used"] == '["Chronology"]'
    # Not counted, not screened, and the single-use link is still unused.
    assert _count(app, Response) == 0 and _count(app, Answer) == 0 and _count(app, SafeguardingFlag) == 0
    with app.app_context():
        assert db.session.get(ShareLink, link.id).response_count == 0

    other_device = make_app(database_url).test_client()
    resumed = other_device.post("/r/resume", data={"code": code.lower().replace("-", " ")})
    resumed_text = resumed.get_data(as_text=True)
    assert resumed.status_code == 200 and "These are the answers you saved" in resumed_text
    assert _checked(resumed_text) == {"q_agency": ["Police"], "q_used_toolkit": ["Yes"], "q_tools_used": ["Chronology"]}
    assert disclosure in resumed_text
    assert f'name="draft_code" value="{code}"' in resumed_text
    # The single-use link is used up only now, on sending; the draft goes with it.
    sent = other_device.post(f"/r/{link.token}/questions", data={
        "q_agency": "Police", "q_used_toolkit": "Yes", "q_tools_used": "Chronology",
        "q_howe_model_barriers": disclosure, "pages_shown": "2", "draft_code": code})
    assert sent.status_code == 302
    assert _count(app, Response) == 1 and _count(app, ResponseDraft) == 0 and _count(app, SafeguardingFlag) == 1
    assert other_device.get(f"/r/resume/{code}").status_code == 404


def test_saving_again_replaces_the_draft_with_a_new_code(app, client, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    first = _code(_save(client, link.token, {"agency": "Police"}))
    second = _code(_save(client, link.token, {"agency": "Police", "role": "Senior manager"}, draft_code=first))
    assert first != second and _count(app, ResponseDraft) == 1
    assert client.get(f"/r/resume/{first}").status_code == 404
    assert _checked(client.get(f"/r/resume/{second}").get_data(as_text=True)) == {
        "q_agency": ["Police"], "q_role": ["Senior manager"]}


def test_a_hidden_answer_is_not_kept_in_a_draft_either(app, client, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    _save(client, link.token, {"agency": "Police", "used_toolkit": "No", "tools_used": ["Chronology"]}, pages_shown="2")
    with app.app_context():
        assert db.session.scalars(select(ResponseDraft)).one().answers == {"agency": "Police", "used_toolkit": "No"}


def test_an_empty_draft_is_refused_kindly(app, client, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    page = _save(client, link.token, {})
    assert page.status_code == 400 and "There is nothing to save yet" in page.get_data(as_text=True)
    assert _count(app, ResponseDraft) == 0


def test_drafts_expire_and_are_purged(app, client, runner, make_round, make_link):
    link = make_link(make_round("practitioners", 2))
    code = _code(_save(client, link.token, {"agency": "Police"}))
    with app.app_context():
        assert find_draft(db.session, code) is not None
        assert find_draft(db.session, code, now=utcnow() + timedelta(days=14, minutes=1)) is None
        draft = db.session.scalars(select(ResponseDraft)).one()
        assert timedelta(days=13, hours=23) < draft.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None) <= timedelta(days=14)
        draft.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = client.get(f"/r/resume/{code}")
    assert page.status_code == 404 and "kept for 14 days" in page.get_data(as_text=True)
    result = runner.invoke(args=["drafts", "purge"])
    assert result.exit_code == 0 and "Deleted 1 expired draft(s)." in result.output
    assert _count(app, ResponseDraft) == 0
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all()[-1] == "drafts-purge"


def test_the_expiry_is_a_setting(make_app, database_url, make_round, make_link):
    app = make_app(database_url, DRAFT_EXPIRY_DAYS=2)
    link = make_link(make_round("practitioners", 2))
    code = _code(_save(app.test_client(), link.token, {"agency": "Police"}))
    with app.app_context():
        assert find_draft(db.session, code, now=utcnow() + timedelta(days=2, minutes=1)) is None


def test_a_mistyped_code_gets_a_clear_message(client):
    page = client.post("/r/resume", data={"code": "not a code"})
    assert page.status_code == 404
    assert "That is not a resume code: it has 16 letters and numbers" in page.get_data(as_text=True)
    assert normalise_code("k7qf 2m9x pa4t w8rb") == "K7QF-2M9X-PA4T-W8RB"
    assert normalise_code("K7QF-2M9X-PA4T-W8R0") is None  # 0 is never in a code
