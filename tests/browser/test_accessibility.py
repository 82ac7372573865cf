"""axe-core finds no WCAG 2.2 A/AA violation on the respondent pages, and errors are announced."""

from __future__ import annotations

from feedback_app.db import db
from feedback_app.models import ShareLink, utcnow


def test_children_intro_and_form(page, live_server, make_round, make_link, axe):
    link = make_link(make_round("children", 2))
    page.goto(live_server(f"/r/{link.token}"))
    assert page.locator("h1").inner_text() == "Your views about the help you got"
    axe(page, "the children's intro page")

    page.get_by_role("link", name="Start").click()
    page.wait_for_url("**/questions")
    assert page.get_by_label("What did grown-ups do that helped you feel safe and looked after?").is_visible()
    axe(page, "the children's questions (children v2)")


def test_practitioners_form(page, live_server, make_round, make_link, axe):
    link = make_link(make_round("practitioners"))
    page.goto(live_server(f"/r/{link.token}"))  # practitioners go straight to the questions
    page.wait_for_url("**/questions")
    assert page.get_by_role("group", name="Which agency do you work for?").is_visible()
    axe(page, "the practitioners' questions")


def test_error_state_is_accessible_focused_and_links_to_the_field(page, live_server, make_round, make_link, axe):
    link = make_link(make_round("practitioners"))
    page.goto(live_server(f"/r/{link.token}/questions"))
    page.get_by_role("button", name="Send answers").click()
    page.wait_for_load_state()

    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    assert "Select an answer to: Which agency do you work for" in summary.inner_text()
    # The summary takes focus, so a screen reader announces the problems first.
    assert page.evaluate("document.activeElement === document.querySelector('[data-error-summary]')")
    axe(page, "the practitioners' form with an error (agency missing)")

    # Its link moves focus to the question: the first radio button of the agency group.
    summary.get_by_role("link", name="Select an answer to: Which agency do you work for").click()
    focused = page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName, type: el.type || null, name: el.name || null, id: el.id};
    }""")
    assert focused["name"] == "q_agency" and focused["type"] == "radio", (
        f"following the error link left focus on {focused}, not on an agency radio button")
    # and the question itself is on screen.
    assert page.get_by_role("group", name="Which agency do you work for?").is_visible()


def test_error_link_to_a_text_box_puts_the_cursor_in_it(page, live_server, make_round, make_link):
    link = make_link(make_round("practitioners"))
    page.goto(live_server(f"/r/{link.token}/questions"))
    box = page.locator("textarea[name=q_howe_model_barriers]")
    box.evaluate("el => el.removeAttribute('maxlength')")  # stand in for a browser that ignores it
    box.fill("x" * 5001)
    page.get_by_role("button", name="Send answers").click()
    page.wait_for_load_state()
    page.locator(".error-summary a[href='#q_howe_model_barriers']").click()
    assert page.evaluate("document.activeElement.id") == "q_howe_model_barriers"


def test_children_thank_you_page(page, live_server, make_round, make_link, axe):
    link = make_link(make_round("children", 2))
    page.goto(live_server(f"/r/{link.token}/questions"))
    page.get_by_label("What could we do better for other children like you?").fill("Listen more")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/thanks")
    assert page.locator("h1").inner_text() == "Thank you"
    help_box = page.get_by_role("region", name="If you need help or someone to talk to")
    assert "0800 1111" in help_box.inner_text()
    axe(page, "the children's thank-you page")


def test_closed_link_pages(page, live_server, live_app, make_round, make_link, axe):
    revoked = make_link(make_round("children", 2, label="children revoked"))
    closed_round = make_round("parents", label="parents closed")
    closed = make_link(closed_round)
    with live_app.app_context():
        db.session.get(ShareLink, revoked.id).revoked_at = utcnow()
        db.session.commit()
        from feedback_app.models import Round
        from feedback_app.rounds import close_round

        close_round(db.session, db.session.get(Round, closed_round.id))

    response = page.goto(live_server(f"/r/{revoked.token}"))
    assert response.status == 410
    assert page.locator("h1").inner_text() == "This link has been switched off"
    axe(page, "a revoked link's page")

    response = page.goto(live_server(f"/r/{closed.token}/questions"))
    assert response.status == 410
    assert page.locator("h1").inner_text() == "This questionnaire has closed"
    axe(page, "a closed round's page")
