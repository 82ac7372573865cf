"""Skip logic in a real browser: one page with JavaScript, page by page without, never storing hidden answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from feedback_app.db import db
from feedback_app.models import Answer

SHOTS = Path("/tmp/shots-issue-15")
USED = "Have you used the neglect toolkit?"
WHICH = "Use of the agreed assessment tools: which of these tools have you used?"


def _stored(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Answer.question_key, Answer.value)).all())


def _answer_page_one(page, used: str) -> None:
    page.get_by_role("group", name="Which agency do you work for?").get_by_role("radio", name="Police").check()
    page.get_by_role("group", name=USED).get_by_role("radio", name=used, exact=True).check()


def test_with_javascript_questions_appear_and_disappear_on_one_page(page, live_server, live_app, make_round, make_link, axe):
    link = make_link(make_round("practitioners", 2))
    page.goto(live_server(f"/r/{link.token}/questions"))
    which = page.get_by_role("group", name=WHICH)
    assert not which.is_visible()
    assert page.get_by_label("What are the barriers to success in intervening for children experiencing neglect?").is_visible()
    assert page.get_by_role("button", name="Continue").count() == 0  # every page at once
    _answer_page_one(page, "Yes")
    assert which.is_visible()
    which.get_by_role("checkbox", name="Chronology").check()
    axe(page, "the practitioners' form (v2) with the toolkit questions shown")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "skip-js-yes-1024.png"), full_page=True)
    # Changing the answer hides the question again; what was ticked there is not sent.
    page.get_by_role("group", name=USED).get_by_role("radio", name="No", exact=True).check()
    assert not which.is_visible()
    page.get_by_role("button", name="Send answers").click()
    page.wait_for_url("**/thanks")
    assert _stored(live_app) == {"agency": "Police", "used_toolkit": "No"}


@pytest.mark.parametrize("used, expected_tools", [("Yes", '["Chronology"]'), ("Not sure", None)])
def test_without_javascript_the_deciding_answer_opens_the_next_page(browser, live_server, live_app, make_round,
                                                                     make_link, used, expected_tools):
    link = make_link(make_round("practitioners", 2))
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(live_server(f"/r/{link.token}/questions"))
        assert page.get_by_role("button", name="Send answers").count() == 0 or not page.get_by_role(
            "button", name="Send answers").is_visible()
        assert not page.get_by_label("Are there any barriers to the use of the Howe model?").is_visible()
        _answer_page_one(page, used)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert page.get_by_text("More questions, based on your answers so far.").is_visible()
        which = page.get_by_role("group", name=WHICH)
        assert which.is_visible() == (used == "Yes")
        if used == "Yes":
            which.get_by_role("checkbox", name="Chronology").check()
        page.get_by_label("Are there any barriers to the use of the Howe model?").fill("Time")
        page.screenshot(path=str(SHOTS / f"skip-nojs-{used.replace(' ', '-').lower()}-360.png"), full_page=True)
        page.get_by_role("button", name="Send answers").click()
        page.wait_for_url("**/thanks")
    finally:
        context.close()
    stored = _stored(live_app)
    assert stored.get("tools_used") == expected_tools
    assert stored["used_toolkit"] == used and stored["howe_model_barriers"] == "Time"
