"""Every staff page fits a 360 px phone: no sideways scroll of the page (wide tables scroll in their own box).

The pages are visited with the demo data loaded, so tables, charts and lists are as full
as a real partnership's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from feedback_app.db import db
from feedback_app.demo import DEMO_ADMIN, seed_demo
from feedback_app.models import Question, QuestionnaireVersion, Round, SafeguardingFlag

PHONE_WIDTH = 360
PASSWORD = "demo data password"
SHOTS = os.environ.get("STAFF_LAYOUT_SHOTS")  # a folder to save full-page screenshots in, when set


@pytest.fixture
def demo_app(live_app):
    with live_app.app_context():
        seed_demo(db.session, password=PASSWORD)
    return live_app


def _staff_paths(app) -> list[str]:
    """One URL of every kind of staff page, with the demo's data."""
    with app.app_context():
        session = db.session
        practitioners = session.scalar(select(Round).join(QuestionnaireVersion).where(Round.label.like("Practitioner%")).limit(1))
        flag = session.scalar(select(SafeguardingFlag.id).limit(1))
        version_id = practitioners.version_id
        paths = [
            "/admin/", f"/admin/rounds/{practitioners.id}", "/admin/rounds/new", "/admin/questionnaires",
            f"/admin/questionnaires/{version_id}", "/admin/users", "/admin/export", f"/admin/rounds/{practitioners.id}/import",
            "/admin/audit", "/safeguarding/", f"/safeguarding/{flag}", "/analysis/", "/analysis/codebook",
        ]
        for slug in ("children", "practitioners"):
            paths.append(f"/analysis/{slug}")
        text_key = "tools_barriers"
        paths += [f"/analysis/practitioners/{text_key}", "/analysis/practitioners/confidence_recognising",
                  "/analysis/practitioners/tools_used", "/analysis/children/what_did_not_help",
                  f"/analysis/practitioners/{text_key}/themes/workload_and_capacity",
                  f"/analysis/practitioners/{text_key}/themes/workload_and_capacity/answers?round={practitioners.id}"]
        assert session.scalar(select(Question.id).where(Question.key == text_key)) is not None
    return paths


def _overflow(page) -> dict:
    return page.evaluate("""() => ({
        scrollWidth: document.documentElement.scrollWidth,
        wide: [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .filter(el => !el.closest('.table-scroll'))
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''))
            .slice(0, 8),
    })""")


@pytest.mark.parametrize("width, javascript", [(PHONE_WIDTH, True), (PHONE_WIDTH, False), (1280, True)])
def test_every_staff_page_fits_the_screen_without_sideways_scroll(demo_app, live_server, browser, width, javascript):
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=javascript,
                                  is_mobile=width == PHONE_WIDTH)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(live_server("/auth/login"))
        page.get_by_label("Email").fill(DEMO_ADMIN)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/admin/")
        too_wide = {}
        paths = _staff_paths(demo_app)
        for path in paths:
            response = page.goto(live_server(path))
            assert response.status == 200, path
            overflow = _overflow(page)
            if overflow["scrollWidth"] > width:
                too_wide[path] = overflow
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                page.screenshot(path=str(Path(SHOTS) / f"staff-{name}-{width}{'' if javascript else '-nojs'}.png"), full_page=True)
    finally:
        context.close()
    assert not too_wide, f"staff pages wider than {width}px (they scroll sideways): {too_wide}"
    assert len(paths) >= 20
