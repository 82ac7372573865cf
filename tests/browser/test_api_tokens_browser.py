"""The admin page of API tokens: readable at 1280 and 360 px, accessible, and revoking works."""

from __future__ import annotations

from pathlib import Path

import pytest

SHOTS = Path("/tmp/shots-issue-15")
PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("width", [1280, 360])
def test_an_admin_sees_and_revokes_api_tokens(browser, live_server, live_app, make_user, axe, width):
    runner = live_app.test_cli_runner()
    for role, label in (("analyst", "Power BI dashboard"), ("admin", "Data team export")):
        assert runner.invoke(args=["tokens", "create", "--role", role, "--label", label]).exit_code == 0
    make_user("admin@example.org", "admin", PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width == 360)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server("/auth/login"))
        page.get_by_label("Email").fill("admin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/admin/")
        page.get_by_role("link", name="API tokens").click()
        page.wait_for_url("**/admin/api-tokens/")
        table = page.get_by_role("table", name="API tokens, newest first")
        assert table.get_by_role("row").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        axe(page, f"the API tokens page at {width}px")
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"api-tokens-{width}.png"), full_page=True)
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Revoke Power BI dashboard").click()
        page.wait_for_load_state()
        assert "is revoked: it no longer works" in page.locator("main").inner_text()
        assert page.get_by_role("button", name="Revoke Power BI dashboard").count() == 0
    finally:
        context.close()
