"""Save and finish later in a browser: save on one device, carry on and send on another."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.models import Answer, Response, ResponseDraft

SHOTS = Path("/tmp/shots-issue-15")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_save_on_a_phone_and_finish_on_a_laptop(browser, live_server, live_app, make_round, make_link, axe):
    link = make_link(make_round("practitioners", 2), "single-use")
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    laptop = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = phone.new_page()
        page.goto(live_server(f"/r/{link.token}/questions"))
        page.get_by_role("group", name="Which agency do you work for?").get_by_role("radio", name="Police").check()
        page.get_by_label("Are there any barriers to the use of the Howe model?").fill("Not enough time to learn it")
        page.get_by_role("button", name="Save and finish later").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Your answers are saved"
        code = page.locator("#resume-code").inner_text()
        axe(page, "the draft-saved page with its resume code")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "draft-saved-360.png"), full_page=True)
        assert _count(live_app, Response) == 0 and _count(live_app, ResponseDraft) == 1

        other = laptop.new_page()
        other.goto(live_server("/r/resume"))
        axe(other, "the resume page")
        other.get_by_label("Your resume code").fill(code.lower())
        other.get_by_role("button", name="Carry on").click()
        other.wait_for_load_state()
        assert other.get_by_label("Are there any barriers to the use of the Howe model?").input_value() == \
            "Not enough time to learn it"
        assert other.get_by_role("group", name="Which agency do you work for?").get_by_role(
            "radio", name="Police").is_checked()
        other.screenshot(path=str(SHOTS / "draft-resumed-1280.png"), full_page=False)
        other.get_by_role("button", name="Send answers").click()
        other.wait_for_url("**/thanks")
    finally:
        phone.close()
        laptop.close()
    with live_app.app_context():
        assert dict(db.session.execute(select(Answer.question_key, Answer.value)).all()) == {
            "agency": "Police", "howe_model_barriers": "Not enough time to learn it"}
    assert _count(live_app, ResponseDraft) == 0
