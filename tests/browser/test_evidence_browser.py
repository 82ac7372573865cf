"""The evidence pages and the scrutiny pack in a real browser: the pack opens offline
with every chart drawn, and axe-core finds no WCAG 2.2 A/AA violation (issue 16)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from feedback_app.db import db
from feedback_app.evidence.data import reporting_agencies
from feedback_app.evidence.demo import seed_evidence_demo
from feedback_app.evidence.pack import build_pack
from tests.evidence_builders import children_round

PASSWORD = "correct horse battery staple"  # the shared make_user fixture's default
VIEWPORTS = (1280, 360)


@pytest.fixture
def demo_pack(synced, tmp_path):
    """The demo evidence and its scrutiny pack written to a file."""
    today = date.today()
    children_round(synced, "Children's views 2025", today - timedelta(days=200), ["No"] * 13 + ["Yes"] * 22)
    with synced.app_context():
        seed_evidence_demo(db.session, today=today)
        html = build_pack(db.session, today - timedelta(days=3 * 365), today, 5, today=today)
    path = tmp_path / "scrutiny-pack.html"
    path.write_text(html, encoding="utf-8")
    return path


def _images_loaded(page) -> dict:
    return page.evaluate("""() => ({
        imgs: [...document.images].map(i => i.complete && i.naturalWidth > 0),
        charts: [...document.querySelectorAll('svg.trend-chart')].map(s => s.getBoundingClientRect().width > 0),
        width: document.documentElement.scrollWidth,
    })""")


@pytest.mark.parametrize("width", VIEWPORTS)
def test_pack_opens_offline_with_every_chart_and_no_violations(browser, demo_pack, axe, artifacts, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(demo_pack.as_uri())
    page.wait_for_load_state("load")
    assert requests == [demo_pack.as_uri()], f"the pack asked for more than itself: {requests}"
    loaded = _images_loaded(page)
    assert all(loaded["imgs"]) and len(loaded["charts"]) == 5 and all(loaded["charts"])
    assert loaded["width"] <= width, "the pack scrolls sideways (only wide tables may scroll, inside their box)"
    grid = page.locator("table.rag-table")
    for agency in reporting_agencies():
        assert grid.get_by_role("rowheader", name=agency, exact=True).count() == 1
    assert page.locator("td.rag-red .rag-word").first.inner_text() == "Red"
    page.screenshot(path=str(artifacts / f"evidence-pack-{width}.png"), full_page=True)
    axe(page, f"the scrutiny pack at {width} px")
    context.close()


def test_evidence_pages_are_accessible(browser, live_server, synced, make_user, axe, artifacts):
    with synced.app_context():
        seed_evidence_demo(db.session, today=date.today())
    make_user("admin@example.org", "admin")
    for width in VIEWPORTS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(live_server("/auth/login"))
        page.get_by_label("Email address").fill("admin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/admin/")
        for path, name in (("/evidence/", "rag"), ("/evidence/indicators", "indicators"),
                           ("/evidence/audits", "audits"), ("/evidence/lines", "lines"), ("/evidence/actions", "actions"),
                           ("/evidence/pack", "pack-form")):
            page.goto(live_server(path))
            page.screenshot(path=str(artifacts / f"evidence-{name}-{width}.png"), full_page=True)
            assert _images_loaded(page)["width"] <= width, f"{path} scrolls sideways at {width} px"
            axe(page, f"the evidence page {path} at {width} px")
        # A rating in the grid opens the agency's return.
        page.goto(live_server("/evidence/"))
        page.locator("td.rag-cell a").first.click()
        page.wait_for_url("**/evidence/returns/**")
        assert "Evidence of progress against the action plan" in page.content()
        axe(page, f"an agency's return at {width} px")
        context.close()
