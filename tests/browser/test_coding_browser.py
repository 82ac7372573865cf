"""Coding in a browser: two analysts code a sample (the second blind), compare with a known
kappa, agree a code; a model trained on the coding changes what the analysis says."""

from __future__ import annotations

import csv
import os
import re
from datetime import date
from pathlib import Path

from tests.test_insights import store_answers

PASSWORD = "correct horse battery staple"  # the shared make_user fixture's default
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-issue-14"))
TEXTS = ["My social worker listened to me", "There was no food at home", "I went to school", "It was great"]
FIRST = {"My social worker listened to me": "Positive", "There was no food at home": "Negative",
         "I went to school": "Neutral or mixed", "It was great": "Positive"}
SECOND = dict(FIRST, **{"I went to school": "Positive"})


def _sign_in(page, live_server, email: str) -> None:
    page.goto(live_server("/auth/login"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _code_by_keyboard(page, label: str) -> None:
    """Choose ``label`` with the arrow keys from the first (focused) option, then Enter."""
    order = ["Positive", "Neutral or mixed", "Negative"]
    page.get_by_label("Positive").focus()
    page.keyboard.press("Space")
    for _ in range(order.index(label)):
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_two_coders_agreement_and_a_model_that_learns(browser, page, live_server, app, runner, make_user,
                                                      make_round, axe, tmp_path):
    round_ = make_round("children", 1, opens_on=date(2024, 1, 1))
    store_answers(app, round_, [{"what_did_not_help": text} for text in TEXTS])
    make_user("first@example.org", "analyst")
    make_user("second@example.org", "analyst")
    SHOTS.mkdir(parents=True, exist_ok=True)

    _sign_in(page, live_server, "first@example.org")
    page.goto(live_server("/coding/sample"))
    axe(page, "the coding page")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "code-answer-1280.png"), full_page=True)
    for _ in TEXTS:
        text = page.locator("blockquote").inner_text().strip()
        _code_by_keyboard(page, FIRST[text])
    assert "Every analysed answer has been coded" in page.content()

    other = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        phone = other.new_page()
        _sign_in(phone, live_server, "second@example.org")
        phone.goto(live_server("/coding/blind"))
        assert "Blind coding" in phone.content() and "first@example.org" not in phone.content()
        phone.screenshot(path=str(SHOTS / "blind-360.png"), full_page=True)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1, "no sideways scroll on a phone"
        for _ in TEXTS:
            text = phone.locator("blockquote").inner_text().strip()
            _code_by_keyboard(phone, SECOND[text])
    finally:
        other.close()

    page.goto(live_server("/coding/agreement?first=first@example.org&second=second@example.org"))
    axe(page, "the agreement page")
    page.screenshot(path=str(SHOTS / "agreement-1280.png"), full_page=True)
    # observed 3/4; chance 2/4*3/4 + 1/4*1/4 = 0.4375 -> kappa (0.75-0.4375)/(1-0.4375) = 0.56
    assert page.locator("#sentiment-kappa").inner_text() == "0.56"
    # the first coder kept the computed themes, the second (blind) chose none: those differ too
    assert page.locator("h2", has_text="Disagreements").inner_text() == "Disagreements (3)"
    section = page.locator("section.disagreement", has_text="I went to school")
    section.get_by_label("Neutral or mixed").check()
    with page.expect_navigation():
        section.get_by_role("button", name="Agree this code").click()
    assert "neutral" in page.locator("section.disagreement", has_text="I went to school").locator("td").nth(2).inner_text()

    # a made-up word the rules cannot read is neutral until the model learns it from coding
    store_answers(app, round_, [{"what_did_not_help": "The blorf was zingy"}])
    coded = tmp_path / "coded.csv"
    with open(coded, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "sentiment"])
        writer.writerows([[f"It was zingy {n}", "positive"] for n in range(15)]
                         + [[f"It was grumbo {n}", "negative"] for n in range(15)]
                         + [[f"It came on day {n}", "neutral"] for n in range(15)])
    assert runner.invoke(args=["coding", "import", str(coded), "--text-column", "text",
                               "--sentiment-column", "sentiment"]).exit_code == 0
    page.goto(live_server("/coding/sample"))
    assert "The blorf was zingy" in page.content()
    computed = page.locator("dl.coding-values dd").first
    assert computed.inner_text().startswith("neutral")
    trained = runner.invoke(args=["model", "train", "--no-evaluation"])
    # the new model makes the answers stale and the task queue re-analyses them (at once in tests)
    assert trained.exit_code == 0 and "re-analyses them in the background" in trained.output, trained.output
    assert "Every answer is up to date" in runner.invoke(args=["analyse", "--workers", "1"]).output
    page.reload()
    assert computed.inner_text().startswith("positive")
    assert re.search(r"model version 1", page.content())
    page.goto(live_server("/analysis/children/what_did_not_help"))
    provenance = page.locator("#provenance").inner_text()
    assert "Sentiment from sentiment model version 1 (trained on 0 development comments and 49 coded answers)" in provenance  # 45 imported, 4 coded here
    assert "4 of 5 analysed answers here carry an analyst's code" in provenance
    page.screenshot(path=str(SHOTS / "compare-provenance-1280.png"), full_page=False)
