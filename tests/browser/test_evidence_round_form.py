"""The new-round form asks for a reason outside the cadence, accessibly (issue 16, item 6)."""

from __future__ import annotations

PASSWORD = "correct horse battery staple"  # the shared make_user fixture's default


def test_new_round_outside_the_cadence_asks_why(browser, live_server, synced, make_user, axe, artifacts):
    make_user("admin@example.org", "admin")
    for width in (1280, 360):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(live_server("/auth/login"))
        page.get_by_label("Email address").fill("admin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/admin/")
        for attempt in range(2):
            page.goto(live_server("/admin/rounds/new"))
            page.get_by_label("Questionnaire version").select_option(label="Your views about the help your family got (parents v1, annual)")
            page.get_by_label("Label").fill(f"Parents {width} {attempt}")
            page.get_by_label("Opens on").fill("2024-03-01")
            page.get_by_label("Closes on").fill("2024-05-31")
            page.get_by_role("button", name="Create round").click()
            page.wait_for_load_state()
        # The first parents round of 2024 was created; any further one needs a reason.
        assert "already has a round opening between 2024-01-01 and 2024-12-31" in page.content()
        page.locator("[data-error-summary] a").click()  # the summary links to the reason box
        assert page.evaluate("document.activeElement.id") == "reason"
        page.screenshot(path=str(artifacts / f"evidence-round-reason-{width}.png"), full_page=True)
        axe(page, f"the new-round form asking for a reason at {width} px")
        context.close()
