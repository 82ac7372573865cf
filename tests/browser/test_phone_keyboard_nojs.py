"""The respondent form on a small phone, by keyboard alone, and with JavaScript switched off."""

from __future__ import annotations

from sqlalchemy import select

from feedback_app.db import db
from feedback_app.models import Answer

PHONE_WIDTH = 360
MIN_TARGET = 24  # WCAG 2.2 2.5.8 Target Size (Minimum), CSS px


def _stored_answers(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Answer.question_key, Answer.value)).all())


def _overflow(page) -> dict:
    return page.evaluate("""() => ({
        scrollWidth: document.documentElement.scrollWidth,
        wide: [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))
            .slice(0, 10),
    })""")


def _small_targets(page) -> list[dict]:
    # Questions hidden by skip logic (inside a [hidden] box) are not on screen, so are no target.
    return page.evaluate("""min => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
        .filter(el => !el.closest('[hidden]'))
        .map(el => { const r = el.getBoundingClientRect(); return {id: el.id, width: r.width, height: r.height}; })
        .filter(t => t.width < min || t.height < min)""", MIN_TARGET)


def test_children_form_fits_a_360px_phone_with_big_enough_targets(phone_page, live_server, make_round, make_link, artifacts):
    page = phone_page
    link = make_link(make_round("children", 2))
    page.goto(live_server(f"/r/{link.token}/questions"))
    assert page.viewport_size == {"width": PHONE_WIDTH, "height": 740}

    overflow = _overflow(page)
    assert overflow["scrollWidth"] <= PHONE_WIDTH, f"the page scrolls sideways at {PHONE_WIDTH}px: {overflow}"
    assert page.locator("input[type=radio]").count() >= 10
    assert _small_targets(page) == []
    # The submit button is as wide as the screen's content area and tall enough to tap.
    button = page.get_by_role("button", name="Send my answers").bounding_box()
    assert button["height"] >= 44 and button["width"] >= PHONE_WIDTH - 40
    page.screenshot(path=str(artifacts / "children-form-360.png"), full_page=True)

    # The intro page and the error-free thank-you page fit too.
    page.get_by_label("What could we do better for other children like you?").fill("Tell us what is happening")
    page.get_by_role("radio", name="12 to 15").check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/thanks")
    assert _overflow(page)["scrollWidth"] <= PHONE_WIDTH
    page.screenshot(path=str(artifacts / "children-thanks-360.png"), full_page=True)

    page.goto(live_server(f"/r/{link.token}"))
    assert _overflow(page)["scrollWidth"] <= PHONE_WIDTH


def test_practitioners_form_fits_a_360px_phone(phone_page, live_server, make_round, make_link, artifacts):
    page = phone_page
    link = make_link(make_round("practitioners"))
    page.goto(live_server(f"/r/{link.token}/questions"))
    assert page.locator("input[type=checkbox]").count() >= 5
    overflow = _overflow(page)
    assert overflow["scrollWidth"] <= PHONE_WIDTH, f"the page scrolls sideways at {PHONE_WIDTH}px: {overflow}"
    assert _small_targets(page) == []

    page.get_by_role("button", name="Send answers").click()  # the error state, with its summary
    page.wait_for_load_state()
    assert page.locator("[data-error-summary]").is_visible()
    assert _overflow(page)["scrollWidth"] <= PHONE_WIDTH
    page.screenshot(path=str(artifacts / "practitioners-error-360.png"), full_page=False)


def test_the_form_works_without_javascript(browser, live_server, live_app, make_round, make_link):
    link = make_link(make_round("children", 2))
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server(f"/r/{link.token}"))
        page.get_by_role("link", name="Start").click()
        page.wait_for_url("**/questions")
        page.get_by_label("What did grown-ups do that helped you feel safe and looked after?").fill(
            "My teacher checked I had lunch")
        page.get_by_role("group", name="Do you know the name of your social worker?").get_by_role(
            "radio", name="Yes").check()
        page.get_by_role("button", name="Send my answers").click()
        page.wait_for_url("**/thanks")
        assert page.locator("h1").inner_text() == "Thank you"
    finally:
        context.close()
    assert _stored_answers(live_app) == {
        "what_helped": "My teacher checked I had lunch",
        "knows_social_worker_name": "Yes",
    }


def test_an_error_without_javascript_still_lists_the_problem(browser, live_server, make_round, make_link):
    link = make_link(make_round("practitioners", 1))  # one page: version 2 has skip logic
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server(f"/r/{link.token}/questions"))
        page.get_by_role("button", name="Send answers").click()
        page.wait_for_load_state()
        assert "Select an answer to: Which agency do you work for" in page.locator("[data-error-summary]").inner_text()
        page.get_by_role("group", name="Which agency do you work for?").get_by_role("radio").first.check()
        page.get_by_role("button", name="Send answers").click()
        page.wait_for_url("**/thanks")
    finally:
        context.close()


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || null, type: el.type || null,
                text: (el.innerText || '').trim().slice(0, 40), checked: !!el.checked};
    }""")


def _tab_until(page, predicate, limit: int = 60) -> tuple[dict, int]:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if predicate(focused):
            return focused, presses
    raise AssertionError(f"Tab did not reach the element in {limit} presses; last focus: {focused}")


def test_keyboard_alone(page, live_server, live_app, make_round, make_link):
    link = make_link(make_round("children", 2))
    page.goto(live_server(f"/r/{link.token}/questions"))

    # The skip link comes first, then the page's own link, then the first question.
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Skip to main content"
    assert page.locator(".skip-link").bounding_box()["x"] >= 0  # it shows itself when focused
    first, presses = _tab_until(page, lambda f: f["tag"] in ("input", "textarea", "select"))
    assert first["id"] == "q_what_helped" and presses <= 2
    page.keyboard.type("The nurse listened to me")

    # Tab into a radio group: one stop for the group; Space chooses, arrow keys move the choice.
    radio, _ = _tab_until(page, lambda f: f["name"] == "q_knew_about_cp_plan")
    assert radio["type"] == "radio" and radio["id"] == "q_knew_about_cp_plan-0" and not radio["checked"]
    page.keyboard.press("Space")
    assert page.locator("#q_knew_about_cp_plan-0").is_checked()
    page.keyboard.press("ArrowDown")
    assert _focused(page)["id"] == "q_knew_about_cp_plan-1"
    assert page.locator("#q_knew_about_cp_plan-1").is_checked()
    assert not page.locator("#q_knew_about_cp_plan-0").is_checked()

    # The next Tab leaves the group for the next question, not the next option.
    page.keyboard.press("Tab")
    assert _focused(page)["name"] == "q_knows_social_worker_name"

    button, _ = _tab_until(page, lambda f: f["tag"] == "button")
    assert button["text"] == "Send my answers"
    # The focused button shows a visible focus indicator.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks")
    assert _stored_answers(live_app) == {"what_helped": "The nurse listened to me", "knew_about_cp_plan": "No"}


def test_skip_link_moves_focus_to_the_main_content(page, live_server, make_round, make_link):
    link = make_link(make_round("children", 2))
    page.goto(live_server(f"/r/{link.token}"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Start"
    page.keyboard.press("Enter")  # the Start link, by keyboard
    page.wait_for_url("**/questions")
