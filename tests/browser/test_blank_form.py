"""A child who sends the form empty is told kindly, keeps their link, and sees who is asking."""

from __future__ import annotations

from sqlalchemy import func, select

from feedback_app.db import db
from feedback_app.models import Response


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_an_empty_childrens_form_is_not_sent_and_the_single_use_link_still_works(
        phone_page, live_server, live_app, make_round, make_link, axe):
    page = phone_page
    link = make_link(make_round("children", 2), "single-use")
    page.goto(live_server(f"/r/{link.token}/questions"))
    assert page.locator(".site-name").inner_text() == live_app.config["PARTNERSHIP_NAME"]
    assert "neglect" not in page.title().lower()

    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    notice = page.get_by_role("alert")
    assert "You haven't answered anything yet" in notice.inner_text()
    assert page.evaluate("document.activeElement === document.querySelector('[data-error-summary]')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe(page, "the children's form sent empty")
    assert _responses(live_app) == 0

    page.get_by_label("What could we do better for other children like you?").fill("Ask us what we think")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/thanks")
    assert _responses(live_app) == 1
