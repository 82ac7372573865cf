"""The safeguarding queue in a browser: from the admin bar count to recording an action and back."""

from __future__ import annotations

import os
import re
from pathlib import Path

PASSWORD = "correct horse battery staple"  # the shared make_user fixture's default
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-issue-9"))


def _sign_in(page, live_server) -> None:
    page.goto(live_server("/auth/login"))
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_from_the_admin_bar_count_to_an_action_and_back(browser, page, live_server, make_user, make_round,
                                                         make_link, respondent, axe):
    make_user("admin@example.org", "admin")
    link = make_link(make_round("children", 2, label="Children spring 2026"))
    respondent.answer(link.token, {"what_did_not_help": "nobody makes me tea and im hungry every night"})
    respondent.answer(link.token, {"what_did_not_help": "i want to kill myself"})

    _sign_in(page, live_server)
    queue_link = page.get_by_role("link", name=re.compile(r"^Safeguarding"))
    assert "2" in queue_link.inner_text(), "the admin bar counts the new flags"
    queue_link.click()
    page.wait_for_url("**/safeguarding/")
    axe(page, "the safeguarding queue")
    rows = page.locator("tbody tr")
    assert "i want to kill myself" in rows.nth(0).inner_text(), "danger now comes first"
    assert "Danger now" in rows.nth(0).inner_text() and "Self-harm" in rows.nth(0).inner_text()
    assert "Neglect" in rows.nth(1).inner_text() and "Children spring 2026" in rows.nth(1).inner_text()

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "queue-1280.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        small = phone.new_page()
        _sign_in(small, live_server)
        small.goto(live_server("/safeguarding/"))
        small.screenshot(path=str(SHOTS / "queue-360.png"), full_page=True)
        assert small.evaluate("document.documentElement.scrollWidth") <= 360 + 1, "no sideways scroll on a phone"
        small.get_by_role("link", name="i want to kill myself").click()
        small.wait_for_url(re.compile(r"/safeguarding/\d+"))
        small.screenshot(path=str(SHOTS / "flag-360.png"), full_page=True)
        assert small.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    finally:
        phone.close()

    # Filter to neglect, open the flag, record an action, come back to the filtered queue.
    page.get_by_label("Category").select_option(label="Neglect")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**category=neglect**")
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("link", name=re.compile("nobody makes me tea")).click()
    page.wait_for_url(re.compile(r"/safeguarding/\d+"))
    axe(page, "a flagged answer")
    page.screenshot(path=str(SHOTS / "flag-1280.png"), full_page=True)
    page.get_by_role("radio", name=re.compile("^Acknowledged")).check()
    page.get_by_label("Note").fill("Spoke to the school's safeguarding lead")
    page.get_by_role("button", name="Record action").click()
    page.wait_for_url("**category=neglect**")
    assert page.get_by_text("Your action has been recorded.").is_visible()
    assert "Nothing waiting." in page.locator("table").inner_text()
    assert "1" in page.get_by_role("link", name=re.compile(r"^Safeguarding")).inner_text()
    page.get_by_role("link", name=re.compile(r"^Safeguarding")).click()
    page.wait_for_url("**/safeguarding/")
    assert "i want to kill myself" in page.locator("tbody").inner_text()
