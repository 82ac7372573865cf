"""Every analysis page, the admin dashboard and a round's monitoring page, in a real browser,
with realistic answers, at a desktop and a phone width.

A page fails on any Content-Security-Policy violation logged in the console (the charts
drew as black boxes when the policy refused their inline styles), on any chart (an SVG
or image in ``main``) whose rendered pixels are mostly one colour (blank or black), and
on any axe-core WCAG 2.2 A/AA violation. Screenshots of every page are written to
``test-artifacts/working-group/``.

The answers come from ``tests/working_group_data.py``; a demo data set can replace them
there without changing this file.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from working_group_data import seed_working_group_data  # noqa: E402

PASSWORD = "correct horse battery staple"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 360, "height": 740}}
# A chart whose most common colour covers more than this share of its pixels is blank or black.
ONE_COLOUR_LIMIT = 0.95
CHARTS = "main svg[role=img], main .chart img, main figure img"


def _one_colour_share(png: bytes) -> float:
    """The share of pixels of the most common colour in a PNG screenshot."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = image.width * image.height
    return max(count for count, _colour in image.getcolors(maxcolors=pixels)) / pixels


def _wait_for_images(page, seconds: float = 20.0) -> None:
    """Wait until every image in ``main`` has loaded (``wait_for_function`` evaluates a
    string, which the page's CSP rightly refuses)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate("() => [...document.querySelectorAll('main img')].every(i => i.complete)"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"images on {page.url} did not load in {seconds} seconds")


def _pages(made) -> list[tuple[str, str]]:
    """(what, path) of every page to visit."""
    children_2023 = made.rounds["Voice of the child 2023"]
    practitioners_h2 = made.rounds["Practitioner consultation 2022 H2"]
    pages = [("analysis index", "/analysis/"), ("codebook", "/analysis/codebook"),
             ("admin dashboard", "/admin/"), ("round monitoring", f"/admin/rounds/{children_2023}"),
             ("practitioners round monitoring", f"/admin/rounds/{practitioners_h2}")]
    for slug, keys in made.questions.items():
        pages.append((f"{slug} questionnaire", f"/analysis/{slug}"))
        pages += [(f"{slug} {key}", f"/analysis/{slug}/{key}") for key in keys if key != "agency"]
    theme = "/analysis/children/what_did_not_help/themes/practical_needs"
    pages += [("theme quotes", f"{theme}?round={children_2023}"),
              ("theme answers", f"{theme}/answers?round={children_2023}"),
              ("filtered comparison", "/analysis/practitioners/tools_barriers?agency=Schools"),
              # 33 of the 36 answers of 2023 are Children's Social Care's: the filter is refused.
              ("refused filter", "/analysis/children/what_did_not_help?agency=Children%27s+Social+Care")]
    return pages


@pytest.fixture
def seeded(synced, live_app, make_user):
    """The shipped questionnaires, realistic rounds of answers, and an admin account."""
    made = seed_working_group_data(live_app)
    make_user("admin@example.org", "admin")
    return made


def _sign_in(page, live_server) -> None:
    page.goto(live_server("/auth/login"))
    page.get_by_label("Email address").fill("admin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_working_group_page_draws_its_charts_under_the_csp(browser, live_server, seeded, axe, artifacts, size):
    context = browser.new_context(viewport=VIEWPORTS[size])
    context.set_default_timeout(20_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    problems: list[str] = []
    folder = artifacts / "working-group"
    folder.mkdir(exist_ok=True)
    charts_seen = csp_errors = pages_seen = 0
    try:
        _sign_in(page, live_server)
        for what, path in _pages(seeded):
            console.clear()
            response = page.goto(live_server(path))
            assert response.status == 200, f"{what} ({path}) answered {response.status}"
            # Draw every lazy image before looking at it.
            for image in page.locator("main img").all():
                image.scroll_into_view_if_needed()
            _wait_for_images(page)
            page.wait_for_load_state("networkidle")
            name = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
            page.screenshot(path=str(folder / f"{size}-{name}.png"), full_page=True)
            for number, chart in enumerate(page.locator(CHARTS).all()):
                charts_seen += 1
                chart.scroll_into_view_if_needed()
                share = _one_colour_share(chart.screenshot())
                if share > ONE_COLOUR_LIMIT:
                    problems.append(f"{what} ({path}): chart {number + 1} is {share:.0%} one colour")
            if what == "refused filter":
                assert page.get_by_role("alert").filter(has_text="is not applied").is_visible()
            violations = [line for line in console if "Content Security Policy" in line or line.startswith("error")]
            problems += [f"{what} ({path}): console {line[:200]}" for line in violations]
            csp_errors += sum("Content Security Policy" in line for line in console)
            pages_seen += 1
            axe(page, f"{what} at {size} width")
    finally:
        context.close()
    print(f"{size}: {pages_seen} pages, {charts_seen} charts, {csp_errors} CSP violations, "
          f"{len(problems)} problems")
    assert charts_seen >= 20, f"only {charts_seen} charts were found: the pages did not show the seeded data"
    assert not problems, "\n".join(problems)
